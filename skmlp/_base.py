"""The estimators' common base: parameters, validation, fitted state, prediction.

``BaseMultilayerPerceptron`` holds what :class:`~skmlp.MLPClassifier` and
:class:`~skmlp.MLPRegressor` share: the constructor parameters and their
constraints, input validation, the fitted state (one flat parameter buffer
with ``coefs_``/``intercepts_`` as views, plain arrays and builtins only) and
the forward pass of prediction. Training is delegated to the trainers of
:mod:`skmlp._training.stochastic` and :mod:`skmlp._training.lbfgs`, which do
not reach into the estimator: ``_fit`` hands them the buffer, the data, the
hyper-parameters and what only the estimator knows (its validation score),
and assigns what they return to the fitted attributes. The numerics are in
the compiled kernels of :mod:`skmlp._engine.network`.
"""

import inspect
import warnings
import weakref
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.metrics import check_scoring, get_scorer_names, log_loss, make_scorer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import _version
from ._engine import network as _engine
from ._engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ._engine.cache import announce
from ._engine.losses import LOSSES
from ._engine.optimizers import SOLVERS
from ._engine.user import check_activation, is_user_function, loss_code, reference, resolve
from ._engine.workspaces import NO_DROPOUT, Batch, EngineInput, norm_pack
from ._model.architecture import (
    activation_codes,
    hidden_activations,
    init_activations,
    n_hidden_layers,
    resolved_sizes,
    validated_sizes,
)
from ._model.initializers import WEIGHT_INITS
from ._model.layout import Layout
from ._training.advice import advice
from ._training.callbacks import CallbackSupportMixin, fit_tasks
from ._training.lbfgs import LbfgsTrainer
from ._training.rollback import NON_FINITE_WEIGHTS, NothingTrained, unchanged_on_failure
from ._training.state import OPTIMIZER, RECORD, TrainingState
from ._training.stochastic import StochasticTrainer
from ._training.validation_set import given_validation_set, split_validation_set
from .exceptions import UNKNOWN_VERSION, InconsistentVersionWarning

_STOCHASTIC_SOLVERS = tuple(SOLVERS)

#: Each estimator's generators for an int ``random_state`` (see ``_seeded_generator``).
_GENERATORS = weakref.WeakKeyDictionary()

# Largest activation workspace (elements) prediction uses; rows go in blocks.
_PREDICT_WORKSPACE = 1 << 22
_EPSILON = {np.dtype(t): float(np.finfo(t).eps) for t in (np.float32, np.float64)}
#: The log losses' kernel parameter (their probability clip) per dtype, as the
#: kernels take it: a float64 array (writeable, as Numba types the
#: kernels' arguments), shared by every model and never written.
_CLIP = {dtype: np.array([eps]) for dtype, eps in _EPSILON.items()}
_CODES = {}  # (activation, loss, out_activation_, n_layers) -> the kernels' codes (_codes)


def _all_finite(a):
    """Whether every value of float array ``a`` is finite, without an array of flags.

    A finite sum means finite values (NaN and inf propagate); only when the
    sum is not finite (a non-finite value, or finite values whose sum
    overflows) are the values tested one by one. ``partial_fit``'s fast path
    does not call it: its epoch counts the non-finite values while gathering
    the batches (``run_epoch``).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = a.sum()
    return bool(np.isfinite(total)) or bool(np.isfinite(a).all())


class BaseMultilayerPerceptron(CallbackSupportMixin, BaseEstimator, ABC):
    """Base class for MLP classification and regression.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), "array-like", callable],
        "solver": [StrOptions({"lbfgs", *_STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "weight_init": [StrOptions(set(WEIGHT_INITS))],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "warmup_fraction": [Interval(Real, 0, 1, closed="left")],
        "scoring": [None, StrOptions(set(get_scorer_names())), callable],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "batch_norm": ["boolean"],
        "schedule_adam": ["boolean"],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        weight_init,
        l1_ratio,
        max_grad_norm,
        warmup_fraction,
        scoring,
        dropout,
        batch_norm,
        schedule_adam,
    ):
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_init = weight_init
        self.l1_ratio = l1_ratio
        self.max_grad_norm = max_grad_norm
        self.warmup_fraction = warmup_fraction
        self.scoring = scoring
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.schedule_adam = schedule_adam

    # ------------------------------------------------------------------
    # Fitted state: one flat buffer, coefs_ and intercepts_ as its views.
    # What is pickled is plain arrays and builtins: the layer widths and
    # whether batch norm is on describe the buffer; the Layout object that
    # computes offsets from them (``_layout``) is rebuilt on load.

    def _set_parameters(self, flat, layout):
        self._params = flat
        self._layout = layout
        self._layer_units = layout.units
        self._batch_normalized = layout.batch_norm
        self.coefs_, self.intercepts_ = layout.views(flat)
        if layout.batch_norm:
            self.batch_norm_scales_ = layout.scale_views(flat)
        else:
            self.__dict__.pop("batch_norm_scales_", None)
        # The view objects handed out: if the lists still hold exactly these,
        # the buffer is current (in-place edits of a view write the buffer).
        self._views = self._current_views()

    def _current_views(self):
        return (*self.coefs_, *self.intercepts_, *getattr(self, "batch_norm_scales_", ()))

    def _set_float64_parameters(self, flat):
        """Make the model float64, with ``flat`` as its weights (L-BFGS's solution)."""
        self._set_parameters(np.asarray(flat, dtype=np.float64), self._layout)
        self._set_running(self._running.astype(np.float64))
        if getattr(self, "_best_params", None) is not None:
            self._best_params = self._best_params.astype(np.float64)
            self._best_running = self._best_running.astype(np.float64)

    def _set_running(self, running):
        """Batch norm's running statistics: one array, ``batch_norm_means_``/``vars_`` views."""
        self._running = running
        if self._layout.batch_norm:
            self.batch_norm_means_, self.batch_norm_vars_ = self._layout.statistic_views(running)
        else:
            self.__dict__.pop("batch_norm_means_", None)
            self.__dict__.pop("batch_norm_vars_", None)

    def _sync_params(self):
        """Return the flat buffer, repacking it if coefs_/intercepts_ were replaced.

        Assigning new arrays to ``coefs_[i]`` (as scikit-learn allows) breaks
        the views; the buffer is then rebuilt from the lists, which stay the
        source of truth.
        """
        flat = self._params
        current = self._current_views()
        if len(current) == len(self._views) and all(a is b for a, b in zip(current, self._views)):
            return flat
        coefs = [np.asarray(c) for c in self.coefs_]
        units = [c.shape[0] for c in coefs] + [coefs[-1].shape[1]]
        layout = Layout.from_units(units, self._layout.batch_norm)
        new = np.empty(layout.n_params, dtype=flat.dtype)
        new_coefs, new_intercepts = layout.views(new)
        scales = getattr(self, "batch_norm_scales_", [])
        for dst, src in zip(
            new_coefs + new_intercepts + layout.scale_views(new),
            coefs + list(self.intercepts_) + list(scales),
        ):
            dst[...] = src
        self._set_parameters(new, layout)
        return new

    def __getstate__(self):
        state = dict(super().__getstate__(), _skmlp_version=_version.__version__)
        # User-defined functions are stored by reference ("module:name"), as
        # pickle stores functions, so that the state stays builtins.
        references = {
            name: reference(value)
            for name, value in state.items()
            if name in ("activation", "loss") and is_user_function(value)
        }
        if references:
            state.update(dict.fromkeys(references), _user_functions=references)
        if "_params" in state:
            self._sync_params()
            state = dict(state, _params=self._params)
            # The views are rebuilt on load; pickling them would store the
            # parameters twice and lose the aliasing.
            for name in (
                "coefs_",
                "intercepts_",
                "batch_norm_scales_",
                "batch_norm_means_",
                "batch_norm_vars_",
                "_views",
                "_layout",
            ):
                state.pop(name, None)
        return state

    def __setstate__(self, state):
        state = dict(state)
        original = state.pop("_skmlp_version", UNKNOWN_VERSION)
        if original != _version.__version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_skmlp_version=_version.__version__,
                    original_skmlp_version=original,
                )
            )
        if "_params" in state and "_layout" not in state and "_layer_units" not in state:
            raise ValueError(
                "This %s was pickled by skmlp %s with a fitted state this version (%s) "
                "cannot read; load it with the version that saved it and refit it "
                "here, or export it to ONNX there."
                % (type(self).__name__, original, _version.__version__)
            )
        for name, ref in state.pop("_user_functions", {}).items():
            state[name] = resolve(ref, type(self).__name__, name)
        super().__setstate__(state)
        # Parameters added after the model was pickled take their defaults,
        # which give the behaviour the model was trained with.
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if name != "self" and name not in self.__dict__:
                setattr(self, name, parameter.default)
        if "_params" in state:
            # Pickles of skmlp 0.1.0 hold the Layout itself instead of its units.
            layout = state.get("_layout")
            if layout is None:
                layout = Layout.from_units(self._layer_units, self._batch_normalized)
            self._set_parameters(self._params, layout)
            self._set_running(self._running)
            if "hidden_layer_sizes_" not in state:  # pickled by skmlp 0.1.0
                self.hidden_layer_sizes_ = tuple(int(u) for u in self._layer_units[1:-1])

    # ------------------------------------------------------------------
    # Initialisation

    def _validated_hidden_layer_sizes(self, n_features=None, n_outputs=None):
        """The hidden widths; ``'auto'`` needs the data's ``n_features`` and ``n_outputs``."""
        if n_features is None:
            return validated_sizes(self.hidden_layer_sizes)
        return resolved_sizes(self.hidden_layer_sizes, n_features, n_outputs)

    def _initialize(self, y, layer_units, dtype):
        self.__dict__.pop("pruned_units_", None)  # set by skmlp.prune, for the pruned network
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)

        if not is_classifier(self):
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"

        layout = Layout.from_units(layer_units, self.batch_norm)
        flat = np.empty(layout.n_params, dtype=dtype)
        self._set_parameters(flat, layout)
        # Layer by layer, weights then biases: with the default scheme a
        # random_state gives scikit-learn's starting point.
        init = WEIGHT_INITS[self.weight_init]
        names = self._hidden_activations(len(layer_units) - 2)
        gains = init_activations(self.activation, names)
        for coef, intercept, name in zip(self.coefs_, self.intercepts_, gains):
            coef[...], intercept[...] = init(self._random_state, *coef.shape, name)
        # Batch norm starts as the identity: scale 1, running mean 0, variance 1.
        n_norm = layout.n_normalized
        flat[layout.n_params - n_norm :] = 1.0
        self._set_running(np.concatenate([np.zeros(n_norm, dtype), np.ones(n_norm, dtype)]))
        self._best_params = flat.copy()
        self._best_running = self._running.copy()

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_ = None  # until an epoch completes
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_loss_curve_ = []
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_loss_curve_ = None
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _check_option_conflicts(self, dropout_rates):
        """Options that mean nothing together raise, naming both parameters."""
        if self.solver != "lbfgs":
            return
        for name, inactive in (("warmup_fraction", 0.0), ("max_grad_norm", None)):
            if getattr(self, name) != inactive:
                raise ValueError(
                    "%s=%r has no effect with solver='lbfgs', which takes no "
                    "learning-rate steps; use a stochastic solver or leave %s "
                    "at its default." % (name, getattr(self, name), name)
                )
        if any(dropout_rates) or self.batch_norm:
            name = "dropout" if any(dropout_rates) else "batch_norm"
            raise ValueError(
                "%s=%r needs minibatches, which solver='lbfgs' does not use: it "
                "minimises one deterministic full-batch loss. Use a stochastic "
                "solver (such as 'adam') or set %s=%r."
                % (name, getattr(self, name), name, 0.0 if name == "dropout" else False)
            )

    def _dropout_rates(self, n_hidden):
        """``dropout`` as one rate per hidden layer (ValueError if it is not one)."""
        rates = self.dropout
        if isinstance(rates, Real):
            return [float(rates)] * n_hidden
        try:
            rates = np.asarray(rates, dtype=np.float64)
        except (TypeError, ValueError):
            rates = None
        if rates is None or rates.ndim != 1 or rates.shape[0] != n_hidden:
            raise ValueError(
                "dropout must be a rate in [0, 1) or a sequence of one rate per hidden "
                "layer (%d here), got %r." % (n_hidden, self.dropout)
            )
        if not np.all((rates >= 0) & (rates < 1)):
            raise ValueError("Every dropout rate must be in [0, 1), got %r." % (self.dropout,))
        return rates.tolist()

    def _seeded_generator(self):
        """``check_random_state(self.random_state)``, reusing a generator for an int seed.

        Every call starts from ``random_state``, as scikit-learn's does. For an
        int seed, a generator created by an earlier call is reseeded instead
        of a new one created: a new ``RandomState`` first draws entropy from
        the operating system, which costs far more than reseeding, and a
        stream of small ``partial_fit`` calls would pay it on every call. Two
        generators alternate, so the one the fitted model holds (``_random_state``) is
        never the one a new call reseeds: a failing call, rolled back, leaves
        it exactly as it was. They are kept beside the estimator, not on it
        (never pickled, cloned or compared), like the workspaces. The global
        generator and a user's ``RandomState`` are used as they are.
        """
        seed = self.random_state
        if not isinstance(seed, Integral):
            return check_random_state(seed)
        try:
            pair = _GENERATORS.setdefault(self, [])
        except TypeError:  # a subclass that made its instances unhashable
            return np.random.RandomState(seed)
        held = self.__dict__.get("_random_state")
        spare = [rng for rng in pair if rng is not held]
        if spare:
            spare[0].seed(seed)
            return spare[0]
        rng = np.random.RandomState(seed)
        pair.append(rng)
        del pair[:-2]
        return rng

    def _sample_class_weight(self, y, sample_weight):
        """Per-sample weights from ``class_weight`` (classifier only), or None."""
        return None

    def _training_targets(self, Y):
        """The targets the loss is minimised for (the classifier's label smoothing)."""
        return Y

    def _loss_param(self, dtype):
        """The loss kernel's parameters (a float64 array): the log losses' probability clip."""
        return _CLIP[np.dtype(dtype)]

    def _loss_name(self):
        """The name of the loss kernel (:data:`skmlp._engine.losses.LOSSES`), or the callable."""
        return self.loss

    def _decays_on_plateau(self):
        """Whether a plateau divides the learning rate before it stops training (the trainer's)."""
        return False

    def _n_network_outputs(self, n_outputs):
        """The output layer's width for ``n_outputs`` targets."""
        return n_outputs

    def _spec(self, dtype):
        """The ``spec`` pack of the kernels: the three codes and the loss parameter."""
        return (*self._codes(), self._loss_param(dtype))

    def _check_user_functions(self):
        """ValueError if a user-defined function returns a wrong derivative (a few points)."""
        if is_user_function(self.activation):
            check_activation(self.activation)

    def _hidden_activations(self, n_hidden):
        """``activation`` as one name per hidden layer (ValueError naming both lengths)."""
        return hidden_activations(self.activation, n_hidden, self.hidden_layer_sizes)

    def _codes(self):
        """The kernels' codes: hidden activations (an int64 array), output activation, loss.

        Kept per configuration (``_CODES``): building them validates the
        activation names and allocates the code array, about 2 us that a
        one-row ``predict`` would otherwise pay on every call. The kernels
        and every caller only read the array, so one serves every model.
        """
        activation = self.activation
        if not isinstance(activation, str):
            try:
                activation = tuple(activation)
                hash(activation)
            except TypeError:  # not a sequence of hashable names: validated uncached
                return self._new_codes()
        key = (activation, self._loss_name(), self.out_activation_, len(self._layout.units))
        codes = _CODES.get(key)
        if codes is None:
            codes = self._new_codes()
            if len(_CODES) >= 256:
                _CODES.clear()
            _CODES[key] = codes
        return codes

    def _new_codes(self):
        loss = self._loss_name()
        if loss == "log_loss" and self.out_activation_ == "logistic":
            loss = "binary_log_loss"
        n_hidden = len(self._layout.units) - 2
        return (
            activation_codes(self._hidden_activations(n_hidden)),
            OUTPUT_ACTIVATIONS[self.out_activation_],
            LOSSES[loss] if isinstance(loss, str) else loss_code(loss),
        )

    # ------------------------------------------------------------------
    # Fitting

    def _fit(self, X, y, sample_weight=None, incremental=False, validation=(None, None, None)):
        given = (X, y, sample_weight)  # what callbacks see
        n_hidden = n_hidden_layers(self.hidden_layer_sizes)
        self._hidden_activations(n_hidden)
        self._check_user_functions()
        dropout_rates = self._dropout_rates(n_hidden)
        self._check_option_conflicts(dropout_rates)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        dtype = X.dtype if first_pass else self._params.dtype
        weighted = sample_weight is not None
        if weighted:
            # Negative weights are accepted, as by scikit-learn.
            sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype)
        else:
            sample_weight = np.ones(X.shape[0], dtype=dtype)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        y = np.ascontiguousarray(y, dtype=dtype)
        class_weight = self._sample_class_weight(y, sample_weight)
        if class_weight is not None:
            weighted = True
            sample_weight = sample_weight * class_weight.astype(dtype)
        if weighted and not np.any(sample_weight != 0):
            raise ValueError("Sample weights must contain at least one non-zero number.")

        n_outputs = self._n_network_outputs(y.shape[1])
        hidden_layer_sizes = self._validated_hidden_layer_sizes(X.shape[1], n_outputs)
        layer_units = [X.shape[1], *hidden_layer_sizes, n_outputs]
        if not first_pass:
            previous = self._layout.units.tolist()
            if previous != layer_units:
                raise ValueError(
                    "The network shape %s does not match the fitted one %s; "
                    "hidden_layer_sizes and the number of outputs must stay the "
                    "same with warm_start=True or partial_fit." % (layer_units, previous)
                )
            normalized = bool(self.batch_norm) and len(hidden_layer_sizes) > 0
            if self._layout.batch_norm != normalized:
                raise ValueError(
                    "batch_norm=%r does not match the fitted model, which was fitted "
                    "with batch_norm=%r; batch_norm must stay the same with "
                    "warm_start=True or partial_fit." % (self.batch_norm, not self.batch_norm)
                )
        self.n_outputs_ = y.shape[1]
        validation = given_validation_set(self, *validation, dtype)
        self._random_state = self._seeded_generator()

        if first_pass:
            self._initialize(y, layer_units, dtype)
            self.hidden_layer_sizes_ = tuple(hidden_layer_sizes)
        else:
            self._sync_params()

        stochastic = self.solver in _STOCHASTIC_SOLVERS
        # The skeletons serve both dtypes; ``dot`` is compiled per dtype.
        announce(dtype, _engine._run, _engine.dot)
        with fit_tasks(self, incremental, *given) as tasks:
            try:
                if stochastic:
                    warm = not first_pass
                    self._fit_stochastic(
                        X, y, sample_weight, validation, tasks, incremental, warm, dropout_rates
                    )
                else:
                    self._fit_lbfgs(X, y, sample_weight, tasks)
            except NothingTrained as stopped:
                stopped.keep_previous = not first_pass
                raise

        # The stochastic trainer checks the weights after every epoch (usable).
        if not stochastic and not _all_finite(self._params):
            raise ValueError(NON_FINITE_WEIGHTS)
        return self

    def _fit_stochastic(
        self, X, y, sample_weight, validation, tasks, incremental, warm, dropout_rates
    ):
        """Train with a stochastic solver; assign the trainer's state to the fitted attributes.

        ``validation`` is the set given to ``fit``, or None: with early
        stopping, a validation set is then split off ``X``. ``warm``: the call
        continues the weights of an earlier one (``warm_start`` or
        ``partial_fit``) instead of freshly initialised ones.
        """
        # early_stopping in partial_fit doesn't make sense
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.early_stopping and validation is None:
            classifier = is_classifier(self)
            X, y, sample_weight, rows, validation = split_validation_set(
                X,
                y,
                sample_weight,
                fraction=self.validation_fraction,
                random_state=self._random_state,
                binarizer=self._label_binarizer if classifier else None,
                stratify_multiclass=classifier and self.stratify_multiclass,
            )
            if tasks is not None:
                tasks.train_on(rows)
        early_stopping = self.early_stopping
        trainer = StochasticTrainer(
            self._params,
            self._running,
            self._layout,
            self._spec(self._params.dtype),
            self._training_state(),
            incremental=incremental,
            warm=warm,
            dropout_rates=dropout_rates,
            random_state=self._random_state,
            tasks=tasks,
            owner=self,
            name=type(self).__name__,
            advice=self._advice(X, y),
            score=self._validation_score if early_stopping else None,
            predict=self._validation_outputs if early_stopping else None,
            solver=self.solver,
            alpha=self.alpha,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            early_stopping=early_stopping,
            verbose=self.verbose,
            learning_rate=self.learning_rate,
            learning_rate_init=self.learning_rate_init,
            power_t=self.power_t,
            momentum=self.momentum,
            nesterovs_momentum=self.nesterovs_momentum,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            l1_ratio=self.l1_ratio,
            max_grad_norm=self.max_grad_norm,
            warmup_fraction=self.warmup_fraction,
            schedule_adam=self.schedule_adam,
            decay_on_plateau=self._decays_on_plateau(),
        )
        state = trainer.fit(X, self._training_targets(y), sample_weight, validation)
        self.__dict__.update(state.fitted_attributes())

    def _training_state(self):
        """The fitted attributes a stochastic training call continues, as a ``TrainingState``.

        The optimizer's are absent before a stochastic solver first trained
        the model.
        """
        held = self.__dict__
        return TrainingState(
            **{field: getattr(self, name) for field, name in RECORD.items()},
            **{field: held.get(name) for field, name in OPTIMIZER.items()},
        )

    def _advice(self, X, y):
        """What a ``ConvergenceWarning`` of this fit appends (:mod:`skmlp._training.advice`).

        A callable of the trainer's loss curve and learning rate, run only when
        the warning is issued.
        """
        target = None if is_classifier(self) else y

        def measure(loss_curve=None, learning_rate_init=None):
            return advice(X, target, loss_curve, learning_rate_init)

        return measure

    def _fit_lbfgs(self, X, y, sample_weight, tasks):
        """Train with L-BFGS; assign its result to the fitted attributes."""
        trainer = LbfgsTrainer(
            self._params,
            self._full_batch(X, y, sample_weight),
            tasks=tasks,
            advice=self._advice(X, y),
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            verbose=self.verbose,
        )
        result = trainer.fit()
        self.n_iter_ = result.n_iter
        self.loss_ = result.loss
        if result.float64_params is not None:
            self._set_float64_parameters(result.float64_params)

    def _full_batch(self, X, y, sample_weight):
        """The compiled full-batch loss of the training data, which L-BFGS minimises.

        No dropout or batch norm: both conflict with lbfgs.
        """
        return Batch(self, X, self._training_targets(y), sample_weight)

    def _validation_score(self, X, y, sample_weight):
        """Early stopping's score of a validation set: ``score`` (accuracy, R2), or ``scoring``.

        NaN when the network's outputs overflow, so that no score counts
        for that epoch.
        """
        if self.scoring is None:
            return self._score(X, y, sample_weight=sample_weight)
        if self.scoring == "neg_log_loss" and is_classifier(self):
            # Every class the network knows, not only those in the split: a
            # rare class may be missing from it.
            scorer = make_scorer(
                log_loss,
                greater_is_better=False,
                response_method="predict_proba",
                labels=self.classes_,
            )
        else:
            scorer = check_scoring(self, scoring=self.scoring)
        with warnings.catch_warnings():
            # X_val is an array; the names were checked when fit validated X.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            try:
                return float(scorer(self, X, y, sample_weight=sample_weight))
            except ValueError as error:
                if np.isfinite(self._validation_outputs(X)).all():
                    raise ValueError(
                        f"The early-stopping validation score (scoring={self.scoring!r}) "
                        f"failed on the validation split of {len(y)} samples: {error}"
                    ) from error
                return np.nan  # the outputs overflowed: no score this epoch

    def _validation_outputs(self, X):
        """The network's outputs for an already validated X (the validation loss's)."""
        return self._forward_pass_fast(X, check_input=False)

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_failure
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 input is trained in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights. Each minibatch's loss is the weighted mean over its
            samples; a minibatch whose weights sum to 0 is skipped.
            As in scikit-learn, negative weights are accepted.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            A validation set for early stopping, used instead of setting
            ``validation_fraction`` of the training data aside: the validation
            scores (``validation_scores_``) and losses
            (``validation_loss_curve_``) are computed on it, and all of X is
            trained on. Checked like X (features, their names, finite values).
            Requires ``early_stopping=True`` and a stochastic solver, and
            ``y_val``. In a :class:`~sklearn.pipeline.Pipeline`, ``X_val`` can
            be transformed the same way as X with
            ``Pipeline(..., transform_input=["X_val"])`` (metadata routing:
            request it with ``set_fit_request(X_val=True, y_val=True)``).

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            The targets of ``X_val``: class labels seen in y, or real numbers
            with as many outputs as y.

        sample_weight_val : array-like of shape (n_val,), default=None
            Non-negative weights of the validation samples, used by the
            validation score and loss (``class_weight`` is not applied to
            them). Ignored without ``X_val`` and ``y_val``.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic"
                " optimizers. %s is not stochastic." % self.solver
            )
        if getattr(self, "class_weight", None) == "balanced":
            raise AttributeError(
                "partial_fit is not available with class_weight='balanced': the class "
                "frequencies of the whole data are unknown. Pass a dict, e.g. from "
                "sklearn.utils.class_weight.compute_class_weight."
            )
        return True

    # ------------------------------------------------------------------
    # Prediction

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_params")

    def _is_plain_input(self, X, finite=True):
        """True for X that ``validate_data(reset=False)`` would return unchanged.

        A 2-D float32/float64 ndarray of the fitted width with only finite
        values, for a model fitted without feature names, passes every check
        ``validate_data`` would make. Prediction and ``partial_fit`` skip it
        for such X (it costs more than a small batch's forward pass); anything
        else goes through it, so errors and warnings are scikit-learn's own.
        ``finite=False`` leaves out the test of the values: ``partial_fit``'s
        epoch makes it while gathering the batches, and raises
        scikit-learn's error then (``run_epoch``'s ``nonfinite``).
        """
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype.type in (np.float64, np.float32)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and (not finite or _all_finite(X))
        )

    def _validate_predict_input(self, X):
        """``validate_data`` for prediction, with a fast path for plain float arrays."""
        if self._is_plain_input(X):
            return X
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )

    def _input_gradients(self, X, output, sign):
        """``sign * d outputs[:, output] / d X`` for the rows of validated ``X``, by the
        compiled backward pass (:mod:`skmlp._engine.attribution`)."""
        from ._engine.attribution import gradients

        params = self._sync_params()
        layout = self._layout
        inp = EngineInput(X, params.dtype)
        norm = norm_pack(layout, self._running, 0, training=False)
        spec = self._spec(params.dtype)
        return gradients(
            params, layout.pack, inp.pack, spec, norm, NO_DROPOUT[params.dtype], output, sign,
            _PREDICT_WORKSPACE,
        )  # fmt: skip

    def _forward_pass_fast(self, X, check_input=True, depth=None, dtype=None):
        """Output-layer activations for X (probabilities or predicted values).

        ``depth`` stops after that many weight layers: the activations of
        hidden layer ``depth`` (what ``transform`` returns for the last one).
        ``dtype`` computes in that precision instead of the model's: a
        float32 model evaluated in float64 gives each row the same result
        wherever it sits in X, which float32 BLAS kernels do not promise
        to scikit-learn's tolerance (the tabular recipe uses it).
        """
        if check_input:
            X = self._validate_predict_input(X)
        params = self._sync_params()
        running = self._running
        if dtype is not None and np.dtype(dtype) != params.dtype:
            params = params.astype(dtype)
            running = running.astype(dtype)
        announce(params.dtype, _engine._run, _engine.dot)
        layout = self._layout
        if depth is None:
            depth = len(layout.units) - 1
        inp = EngineInput(X, params.dtype)
        norm = norm_pack(layout, running, 0, training=False)
        spec = self._spec(params.dtype)
        drop = NO_DROPOUT[params.dtype]
        out = _engine.predict(
            params, layout.pack, inp.pack, _PREDICT_WORKSPACE, spec, norm, drop, depth
        )
        if check_input and not np.isfinite(out).all():
            # Finite weights and inputs can still overflow the dtype's range.
            raise ValueError(
                "The network's output is not finite for some samples: the input "
                "values (largest magnitude %g) are too large for this model's "
                "weights (largest magnitude %g). Scale the input, for example with "
                "StandardScaler, and fit on scaled input." % (abs(X).max(), np.abs(params).max())
            )
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        """Private score method without input validation."""
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
