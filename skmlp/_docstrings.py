"""The numpydoc blocks that MLPClassifier and MLPRegressor share.

``PARAMETERS`` (with ``{stratified}`` and ``{score_name}`` to fill),
``ATTRIBUTES`` (with ``{score}``) and ``NOTES`` are pasted into both
estimators' docstrings, so a parameter is documented once.
"""

PARAMETERS = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), int or 'auto', \
default=(100,)
        The ith element represents the number of neurons in the ith
        hidden layer. An empty tuple gives a network with no hidden layer.
        'auto' gives one hidden layer of ``max(1, round((n_features_in_ +
        n_outputs_) / 2))`` units, the mean of the input and output widths
        (Python's ``round``: a half goes to the even neighbour), decided at
        :meth:`fit` from the data; the fitted widths are
        ``hidden_layer_sizes_``.

    activation : {{'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', \
'selu', 'gelu', 'silu', 'softplus', 'mish'}}, list of them or callable, \
default='relu'
        Activation function for the hidden layers: one name for all of them,
        or a list or tuple of names, one per hidden layer in order (its length
        must be the number of hidden layers, else a ValueError names both), or
        a user-defined activation for all of them: a module-level function
        compiled with ``numba.njit`` that takes a float ``z`` and returns the
        tuple ``(f(z), f'(z))`` (see the user guide, "Your own activation").
        With a list, each weight matrix is initialised with the gain of the
        hidden layer it feeds and the output layer's with the last hidden
        layer's.

        - 'identity', no-op activation, returns f(x) = x
        - 'logistic', the logistic sigmoid, returns f(x) = 1 / (1 + exp(-x))
        - 'tanh', the hyperbolic tangent, returns f(x) = tanh(x)
        - 'relu', the rectified linear unit, returns f(x) = max(0, x)
        - 'leaky_relu', the leaky rectified linear unit, returns
          f(x) = x for x > 0 and 0.01 * x otherwise
        - 'elu', the exponential linear unit (alpha = 1), returns
          f(x) = x for x > 0 and exp(x) - 1 otherwise
        - 'selu', the scaled exponential linear unit, returns
          f(x) = scale * x for x > 0 and scale * alpha * (exp(x) - 1)
          otherwise, with alpha = 1.6732632423543772 and
          scale = 1.0507009873554805
        - 'gelu', the Gaussian error linear unit (exact form), returns
          f(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))), Phi being the
          standard normal cumulative distribution function (computed as
          0.5 * x * erfc(-x / sqrt(2)), accurate for x << 0 too)
        - 'silu', the sigmoid linear unit (swish), returns
          f(x) = x * logistic(x) = x / (1 + exp(-x))
        - 'softplus', returns f(x) = log(1 + exp(x)), computed as
          max(x, 0) + log1p(exp(-abs(x)))
        - 'mish', returns f(x) = x * tanh(softplus(x)) =
          x * tanh(log(1 + exp(x))), computed as a rational function of
          exp(-abs(x)) (no tanh or log, accurate in both tails)

        The first four are scikit-learn's and give its results. The others
        are computed without overflow for any input; the weights are
        initialised as for 'relu' (Glorot uniform). Training with 'elu',
        'selu', 'gelu', 'silu', 'softplus' or 'mish' keeps the hidden layers'
        pre-activations for the backward pass: one more workspace of the size
        of the activations, as does a user-defined activation, which is
        compiled (with the kernels calling it) on its first fit and cached on
        disk, and whose derivative is checked against a finite difference of
        its value at a few points at each fit (a ``ValueError`` names it).

    solver : {{'lbfgs', 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'nadam'}}, \
default='adam'
        The solver for weight optimization.

        - 'lbfgs' is a quasi-Newton method (SciPy's L-BFGS-B) working
          directly on the flat parameter buffer.
        - 'sgd' refers to stochastic gradient descent with momentum.
        - 'adam' refers to the stochastic optimizer of Kingma and Ba.
        - 'adamw' is Adam with decoupled weight decay: instead of adding the
          penalty's gradient, each step shrinks the weights by
          ``learning_rate * alpha * ((1 - l1_ratio) * w + l1_ratio * sign(w))``;
          the penalty is then not part of ``loss_``.
        - 'rmsprop' divides the gradient by a running root mean square, decayed
          with ``beta_2``.
        - 'adagrad' divides the gradient by the root of the sum of all squared
          gradients so far.
        - 'nadam' is Adam with Nesterov momentum (Dozat).

        ``epsilon`` is the stabilising constant of every adaptive solver.

        'adam' works well on relatively large datasets (thousands of samples
        or more); for small datasets 'lbfgs' can converge faster and better.

    alpha : float, default=0.0001
        Strength of the regularization term, L2 by default (see
        ``l1_ratio``). The term is divided by the sum of sample weights of the
        batch (the batch size without weights) when added to the loss.

    batch_size : int or 'auto', default='auto'
        Size of minibatches for stochastic optimizers. When set to 'auto',
        ``batch_size=min(200, n_samples)``. Not used by 'lbfgs'.

    learning_rate : {{'constant', 'invscaling', 'adaptive', 'cosine'}}, \
default='constant'
        Learning rate schedule of the stochastic solvers. As in scikit-learn,
        'adam' ignores 'invscaling' and 'adaptive' (its rate stays constant)
        unless ``schedule_adam=True``; every other solver follows them.

        - 'constant' keeps ``learning_rate_init``.
        - 'invscaling' sets the rate after each epoch to
          ``learning_rate_init / pow(t_ + 1, power_t)``.
        - 'adaptive' keeps ``learning_rate_init`` as long as training loss
          keeps decreasing; each time ``n_iter_no_change`` consecutive epochs
          fail to decrease the training loss (or increase the validation
          score with early stopping) by at least ``tol``, the learning rate is
          divided by 5.
        - 'cosine' anneals the rate from ``learning_rate_init`` to 0 along a
          half cosine over the ``max_iter`` epochs (after any warm-up).

    learning_rate_init : float, default=0.001
        The initial learning rate. Used by every stochastic solver (every
        solver but 'lbfgs').

    power_t : float, default=0.5
        The exponent for inverse scaling learning rate. Only used when
        ``learning_rate='invscaling'`` (with 'adam' only if
        ``schedule_adam=True``).

    max_iter : int, default=200
        Maximum number of iterations. For the stochastic solvers (every
        solver but 'lbfgs') this is the number of epochs, not of gradient
        steps.

    shuffle : bool, default=True
        Whether to shuffle samples in each iteration. Only used by the
        stochastic solvers.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for weights and bias
        initialization, the train-validation split with early stopping, and
        batch sampling. Pass an int for reproducible results across calls.
        The same integer gives the same initial weights, split and batches as
        scikit-learn's estimator.

    tol : float, default=1e-4
        Tolerance for the optimization. When the loss or score is not
        improving by at least ``tol`` for ``n_iter_no_change`` consecutive
        iterations, unless ``learning_rate`` is 'adaptive', convergence is
        considered to be reached and training stops. For 'lbfgs' it is the
        projected-gradient tolerance.

    verbose : bool or int, default=False
        Whether to report progress. True (or 1) prints a line per epoch
        (iteration for 'lbfgs') to stdout, as scikit-learn does. 2 or more
        shows a progress bar over the ``max_iter`` epochs of :meth:`fit`
        instead, with the training loss, the validation score (with early
        stopping), the elapsed and the estimated remaining time: drawn by
        tqdm when it is installed (``pip install skmlp[progress]``; a widget
        in notebooks), otherwise by a built-in text bar on stderr (output
        updated in place in Jupyter). Messages, such as why training stopped,
        are printed without breaking the bar. :meth:`partial_fit` runs one
        epoch and prints its line instead.

    warm_start : bool, default=False
        When set to True, reuse the solution of the previous call to fit as
        initialization, otherwise erase the previous solution. As in
        scikit-learn, the optimizer (its state: momentum, Adam moments, current
        learning rate; and its settings) starts afresh with each call to fit;
        :meth:`partial_fit` continues it, so ``set_params`` between
        ``partial_fit`` calls does not change a running optimizer.

    momentum : float, default=0.9
        Momentum for gradient descent update, in [0, 1]. Only used when
        solver='sgd'.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum. Only used when solver='sgd' and
        momentum > 0.

    early_stopping : bool, default=False
        Whether to set aside ``validation_fraction`` of the training data and
        stop when the validation score does not improve by at least ``tol``
        for ``n_iter_no_change`` consecutive epochs. The weights of the epoch
        with the best validation score are restored at the end. {stratified}
        A validation set passed to :meth:`fit` (``X_val``, ``y_val``) is used
        instead of the split. Only effective with the stochastic solvers
        (every solver but 'lbfgs').

    validation_fraction : float, default=0.1
        The proportion of training data to set aside as validation set for
        early stopping. Only used if early_stopping is True and :meth:`fit` is
        given no ``X_val``.

    beta_1 : float, default=0.9
        Exponential decay rate for estimates of first moment vector, in
        [0, 1). Used by 'adam', 'adamw' and 'nadam'.

    beta_2 : float, default=0.999
        Exponential decay rate for estimates of second moment vector, in
        [0, 1). Used by 'adam', 'adamw' and 'nadam', and as the decay of the
        running mean of squared gradients by 'rmsprop'.

    epsilon : float, default=1e-8
        Value for numerical stability, added to the root of the second
        moment estimate. Used by every adaptive solver ('adam', 'adamw',
        'rmsprop', 'adagrad', 'nadam').

    n_iter_no_change : int, default=10
        Maximum number of epochs to not meet ``tol`` improvement. Only
        effective with the stochastic solvers.

    max_fun : int, default=15000
        Only used when solver='lbfgs'. Maximum number of loss function calls.
        The solver iterates until convergence (determined by 'tol'), the
        number of iterations reaches max_iter, or this number of loss
        function calls.

    weight_init : {{'glorot_uniform', 'glorot_normal', 'he_uniform', \
'he_normal', 'lecun_normal'}}, default='glorot_uniform'
        How the weights are initialised. 'glorot_uniform' is scikit-learn's
        scheme (uniform in +-sqrt(6 / (fan_in + fan_out)), factor 2 instead of
        6 for 'logistic'; biases drawn alike). The others draw the weights
        from N(0, 2 / (fan_in + fan_out)) ('glorot_normal'), uniform in
        +-sqrt(6 / fan_in) ('he_uniform'), N(0, 2 / fan_in) ('he_normal') or
        N(0, 1 / fan_in) ('lecun_normal'), with zero biases.

    l1_ratio : float, default=0.0
        Elastic-net mixing of the penalty under ``alpha``: the term is
        ``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * |W|_1)`` over the
        weights (not the biases). 0 is scikit-learn's L2 penalty.

    max_grad_norm : float or None, default=None
        Clip the global norm of each step's gradient (all weights and biases
        together) to this value. None disables clipping. Stochastic solvers
        only.

    warmup_fraction : float, default=0.0
        Fraction of ``max_iter`` epochs over which the learning rate rises
        linearly to its scheduled value, epoch by epoch. Stochastic solvers
        only.

    scoring : str, callable or None, default=None
        Validation metric for early stopping: a scikit-learn scorer name or
        callable ``scorer(estimator, X, y, sample_weight=None)``, higher is
        better. None uses {score_name}. A scorer that raises a ``ValueError``
        stops the fit with that error, unless the network's outputs
        overflowed (the epoch's score is then NaN). A classifier's
        'neg_log_loss' counts every class of ``classes_``, also one that the
        validation split lacks.

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Dropout rate of the hidden layers' outputs: one rate in [0, 1) for
        every hidden layer, or one rate per hidden layer. In each training
        batch a unit is zeroed with that probability and the kept ones are
        scaled by ``1 / (1 - rate)`` (inverted dropout), so prediction, which
        uses every unit, needs no rescaling and is deterministic. The masks
        are drawn inside the compiled epoch from a seed that ``random_state``
        determines, and depend on a sample's content (features and target),
        not on its position, so an integer sample weight still equals
        repeating the row. 0 gives scikit-learn's network. Stochastic solvers
        only.

    batch_norm : bool, default=False
        Batch normalisation of the hidden layers: each hidden layer's ``X @
        W`` is normalised per unit with the mean and variance of the
        minibatch (weighted by the sample weights), multiplied by a learned
        scale (``batch_norm_scales_``, starting at 1) and shifted by the
        layer's intercept before the activation. Running means and
        variances (momentum 0.1, epsilon 1e-5; ``batch_norm_means_``,
        ``batch_norm_vars_``) replace the batch statistics at prediction
        time. The scales are not penalised by ``alpha``. Stochastic solvers
        only.

    schedule_adam : bool, default=False
        Whether ``learning_rate='invscaling'`` and ``'adaptive'`` apply to
        ``solver='adam'`` too. scikit-learn ignores them for 'adam' (False):
        the rate stays ``learning_rate_init``, and 'adaptive' stops training
        where it would divide the rate. True schedules adam's rate as every
        other stochastic solver's. 'cosine' and ``warmup_fraction`` apply to
        every stochastic solver either way."""

ATTRIBUTES = """
    loss_ : float
        The current loss computed with the loss function.

    best_loss_ : float or None
        The minimum loss reached by the solver throughout fitting. None with
        ``early_stopping=True``; see ``best_validation_score_`` then. Only set
        by the stochastic solvers.

    loss_curve_ : list of shape (`n_iter_`,)
        The ith element is the mean training loss of the ith epoch. Only set
        by the stochastic solvers.

    validation_scores_ : list of shape (`n_iter_`,) or None
        The score ({score}) on the held-out validation set at each epoch.
        Only set with ``early_stopping=True``, otherwise None.

    best_validation_score_ : float or None
        The best validation score ({score}). Only set with
        ``early_stopping=True``, otherwise None.

    t_ : int
        The number of training samples seen by the solver during fitting.

    coefs_ : list of shape (n_layers - 1,)
        The ith element is the weight matrix of layer i, a view into one
        flat parameter buffer shared with ``intercepts_``.

    intercepts_ : list of shape (n_layers - 1,)
        The ith element is the bias vector of layer i + 1.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    n_iter_ : int
        The number of iterations the solver has run.

    n_layers_ : int
        Number of layers.

    hidden_layer_sizes_ : tuple of int
        The width of each hidden layer of the fitted network: the widths
        ``hidden_layer_sizes`` asks for, or the one decided from the data with
        ``hidden_layer_sizes='auto'``.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation function.

    validation_loss_curve_ : list of shape (`n_iter_`,) or None
        The data loss (without the penalty) on the held-out validation set at
        each epoch. Only set with ``early_stopping=True``, otherwise None.

    batch_norm_scales_ : list of shape (n_layers - 2,)
        The ith element is the learned batch-norm scale of hidden layer i + 1,
        a view into the flat parameter buffer. Only with ``batch_norm=True``.

    batch_norm_means_ : list of shape (n_layers - 2,)
        The ith element is the running mean of hidden layer i + 1's ``X @ W``
        used for prediction. Only with ``batch_norm=True``.

    batch_norm_vars_ : list of shape (n_layers - 2,)
        The ith element is the running (biased) variance of hidden layer
        i + 1's ``X @ W`` used for prediction. Only with ``batch_norm=True``."""

NOTES = """
    The training epoch (every minibatch's forward pass, backward pass and
    optimizer step) runs as one compiled call; Python runs only between epochs.
    float32 input is trained and predicted in float32 by the stochastic
    solvers; 'lbfgs' evaluates float32 points and ends on SciPy's float64
    solution, so its model is float64, as scikit-learn's.

    With scikit-learn's parameter values, training follows scikit-learn's
    trajectory (see the user guide's "Reliability" page). As there, the
    multi-output squared error's ``loss_`` is the mean over outputs, while its
    gradient is the one of the sum.

    A fit that raises (bad input) leaves a fitted estimator unchanged. When the
    training loss becomes non-finite, training stops, the weights of the last
    finite epoch are restored and a ConvergenceWarning is issued. If that
    happens before the first epoch (L-BFGS: iteration) of a fresh fit
    completes, there is no model to keep: fit raises a ValueError ("Solver
    produced non-finite parameter weights", as scikit-learn) and leaves the
    estimator as it was; a warm-started fit or partial_fit keeps the previous
    model unchanged. A KeyboardInterrupt during fit keeps the last completed
    epoch."""
