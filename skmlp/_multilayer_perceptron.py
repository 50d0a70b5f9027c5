"""Multi-layer perceptron estimators with scikit-learn's API and semantics.

The estimators are thin: they validate input, own the fitted state (one flat
parameter buffer, optimizer state as plain arrays) and run the Python side of
training between epochs (early stopping, schedules, verbose output).  The
numerics are in the compiled kernels of :mod:`skmlp._engine`.
"""

import functools
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    is_classifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, check_scoring, get_scorer_names, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _batch_norm, _dropout, _engine
from ._activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, PREACTIVATION_CODES
from ._initializers import WEIGHT_INITS
from ._layout import Layout
from ._losses import LOSSES, loss_and_delta
from ._optimizers import LR, SOLVERS, STATE_ROWS, hyperparameters
from ._progress import EpochProgress

_STOCHASTIC_SOLVERS = tuple(SOLVERS)

# Largest activation workspace (elements) prediction uses; rows go in blocks.
_PREDICT_WORKSPACE = 1 << 22


# Placeholders for the representation a kernel call does not use; the
# kernels never write to them.
_NO_INDICES = np.empty(0, dtype=np.int64)
_NO_INDPTR = np.zeros(1, dtype=np.int64)
_NO_DATA = {np.dtype(t): np.empty(0, dtype=t) for t in (np.float32, np.float64)}
# Dropout off (prediction, L-BFGS, rate 0): the pack of empty arrays.
_NO_KEYS = np.empty(0, np.uint64)
_NO_DROPOUT = {
    dtype: (_NO_KEYS, np.empty(0), data, _NO_KEYS, np.zeros(2, np.uint64))
    for dtype, data in _NO_DATA.items()
}


def _preactivation_workspace(layout, rows, hidden, dtype):
    """The pre-activation workspace of ``rows`` samples (layout of the activations).

    Only activations whose derivative needs the pre-activation
    (``PREACTIVATION_CODES``) and networks with a hidden layer use it; for the
    others it is empty.
    """
    used = hidden in PREACTIVATION_CODES and len(layout.units) > 2
    return np.empty(layout.workspace_size(rows) if used else 0, dtype=dtype)


class _EngineInput:
    """X in the form the kernels take: dense C array or CSR arrays, the other empty."""

    __slots__ = ("dense", "data", "indices", "indptr", "sparse", "n_samples")

    def __init__(self, X, dtype):
        dtype = np.dtype(dtype)
        self.sparse = sp.issparse(X)
        self.n_samples = X.shape[0]
        if self.sparse:
            X = sp.csr_matrix(X, dtype=dtype)
            self.dense = np.empty((0, X.shape[1]), dtype=dtype)
            self.data = np.ascontiguousarray(X.data, dtype=dtype)
            self.indices = np.ascontiguousarray(X.indices, dtype=np.int64)
            self.indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
        else:
            # Kernels read X only, but a writeable C array keeps a single
            # compiled specialisation (read-only arrays are a distinct type).
            if not (X.dtype == dtype and X.flags.c_contiguous and X.flags.writeable):
                X = np.require(X, dtype=dtype, requirements=["C", "W"])
            self.dense = X
            self.data = _NO_DATA[dtype]
            self.indices = _NO_INDICES
            self.indptr = _NO_INDPTR

    def args(self):
        return self.dense, self.data, self.indices, self.indptr, self.sparse


class _Batch:
    """All rows of ``X`` as one batch, with its workspaces, for the training kernels.

    :meth:`loss_grad` is what L-BFGS minimises; :meth:`backprop` is the raw
    data-loss gradient.  Both run in training mode (batch statistics, and the
    dropout masks of ``dropout_rates`` under the generator ``drop[4]``).
    ``pres`` replaces the pre-activation workspace (tests of its handling).
    """

    def __init__(self, est, X, Y, sample_weight, *, dropout_rates=(), pres=None):
        layout = est._layout
        dtype = est._params.dtype
        self.layout = layout
        self.inp = _EngineInput(X, dtype)
        self.n = n = self.inp.n_samples
        self.Y = np.ascontiguousarray(Y, dtype=dtype).reshape(n, -1)
        self.sw = np.ascontiguousarray(sample_weight, dtype=dtype)
        self.codes = est._codes()
        self.loss_param = est._loss_param(dtype)
        self.acts = np.empty(layout.workspace_size(n), dtype=dtype)
        self.deltas = np.empty_like(self.acts)
        self.act_offsets = layout.act_offsets(n)
        self.rows = np.arange(n, dtype=np.int64)
        if pres is None:
            pres = _preactivation_workspace(layout, n, self.codes[0], dtype)
        self.pres = pres
        self.norm = est._norm_pack(n, training=True)
        self.drop = est._drop_pack(n, dropout_rates, self.inp, self.Y)

    def loss_grad(self, params, grads, alpha, l1_ratio):
        """(Data loss + penalty) / weight sum; its finished gradient into ``grads``."""
        lay = self.layout
        hidden, out_act, loss = self.codes
        return _engine.loss_grad(
            params, grads, lay.units, lay.coef_offsets, lay.intercept_offsets, lay.n_coefs,
            self.act_offsets, *self.inp.args(), self.rows, self.Y, self.sw, self.n,
            self.acts, self.pres, self.deltas, hidden, out_act, loss, alpha, l1_ratio,
            self.loss_param, self.norm, self.drop,
        )  # fmt: skip

    def backprop(self, params, grads):
        """Weighted data loss; the raw gradient (no penalty, not divided) into ``grads``."""
        lay = self.layout
        hidden, out_act, loss = self.codes
        return _engine.backprop(
            params, grads, lay.units, lay.coef_offsets, lay.intercept_offsets,
            self.act_offsets, *self.inp.args(), self.rows, self.Y, self.sw, self.n,
            self.acts, self.pres, self.deltas, hidden, out_act, loss, self.loss_param,
            self.norm, self.drop,
        )  # fmt: skip


_NON_FINITE_WEIGHTS = (
    "Solver produced non-finite parameter weights. The input data may"
    " contain large values and need to be preprocessed."
)


class _NothingTrained(Exception):
    """Training stopped before one epoch (L-BFGS: iteration) of the call completed.

    Raised by the training loops; :func:`_unchanged_on_failure` then puts the
    estimator back as it was before the call and decides what the user sees.
    ``diverged`` tells divergence from interruption; ``keep_previous`` is True
    when the call continued an earlier model (warm start, ``partial_fit``).
    """

    def __init__(self, diverged, keep_previous):
        super().__init__()
        self.diverged = diverged
        self.keep_previous = keep_previous


def _unchanged_on_failure(method):
    """Make a fitting method leave the estimator as it was when it raises.

    Bad input is detected before training starts, but a fit may already have
    replaced attributes (classes, a new buffer) by then; they are put back, so a
    fitted model survives a failing fit or partial_fit intact.

    A call that trained nothing (:class:`_NothingTrained`) is undone too. When
    it continued an earlier model, that model is kept with a warning; a fresh
    fit that diverged raises scikit-learn's non-finite weights ``ValueError``
    and an interrupted one lets the ``KeyboardInterrupt`` through: there is no
    model to return.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(vars(self))
        lists = {name: len(v) for name, v in saved.items() if isinstance(v, list)}
        rng = saved.get("_random_state")
        rng_state = rng.get_state() if isinstance(rng, np.random.RandomState) else None

        def restore():
            self.__dict__.clear()
            self.__dict__.update(saved)
            for name, length in lists.items():
                del saved[name][length:]
            if rng_state is not None:
                rng.set_state(rng_state)

        try:
            return method(self, *args, **kwargs)
        except _NothingTrained as stopped:
            restore()
            if stopped.keep_previous:
                if stopped.diverged:
                    message = (
                        "Training diverged in the first epoch of this call: the training "
                        "loss became non-finite, so the model was left as it was before "
                        "the call. Lower learning_rate_init, or scale the input (for "
                        "example with StandardScaler)."
                    )
                    warnings.warn(message, ConvergenceWarning, stacklevel=3)
                else:
                    message = (
                        "Training interrupted by user before the first epoch of this call "
                        "completed; the model was left as it was before the call."
                    )
                    warnings.warn(message, stacklevel=3)
                return self
            if stopped.diverged:
                raise ValueError(
                    _NON_FINITE_WEIGHTS + " Training diverged before its first epoch "
                    "completed (the loss became non-finite); scale the input (for example "
                    "with StandardScaler) or lower learning_rate_init."
                ) from None
            raise KeyboardInterrupt from None
        except BaseException:
            restore()
            raise

    return wrapper


def _usable(params):
    """False for weights that are non-finite or whose squared norm overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(params @ params))


def _check_lbfgs_result(result, max_iter):
    """Warn like scikit-learn when L-BFGS stopped before converging; return n_iter."""
    if result.status != 0:
        message = result.message
        if isinstance(message, bytes):
            message = message.decode("latin1")
        warnings.warn(
            "lbfgs failed to converge after %d iteration(s) (status=%d):\n%s\n\n"
            "Increase the number of iterations to improve the convergence "
            "(max_iter=%d).\nYou might also want to scale the data."
            % (result.nit, result.status, message, max_iter),
            ConvergenceWarning,
            stacklevel=3,
        )
    return min(result.nit, max_iter)


class BaseMultilayerPerceptron(BaseEstimator, ABC):
    """Base class for MLP classification and regression.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
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

    # ------------------------------------------------------------------
    # Fitted state: one flat buffer, coefs_ and intercepts_ as its views.

    def _set_parameters(self, flat, layout):
        self._params = flat
        self._layout = layout
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
        state = super().__getstate__()
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
            ):
                state.pop(name, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_params" in state:
            self._set_parameters(self._params, self._layout)
            self._set_running(self._running)

    # ------------------------------------------------------------------
    # Initialisation

    def _validated_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        for size in sizes:
            if (
                isinstance(size, (bool, np.bool_))
                or not isinstance(size, (Integral, np.integer))
                or size <= 0
            ):
                raise ValueError("hidden_layer_sizes must be positive integers, got %s." % (sizes,))
        return [int(s) for s in sizes]

    def _initialize(self, y, layer_units, dtype):
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
        for coef, intercept in zip(self.coefs_, self.intercepts_):
            coef[...], intercept[...] = init(self._random_state, *coef.shape, self.activation)
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

    def _sample_class_weight(self, y, sample_weight):
        """Per-sample weights from ``class_weight`` (classifier only), or None."""
        return None

    def _loss_param(self, dtype):
        """The loss kernel's parameter: the probability clip of the log losses."""
        return float(np.finfo(dtype).eps)

    def _codes(self):
        loss = self.loss
        if loss == "log_loss" and self.out_activation_ == "logistic":
            loss = "binary_log_loss"
        return (
            HIDDEN_ACTIVATIONS[self.activation],
            OUTPUT_ACTIVATIONS[self.out_activation_],
            LOSSES[loss],
        )

    # ------------------------------------------------------------------
    # Fitting

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden_layer_sizes = self._validated_hidden_layer_sizes()
        dropout_rates = self._dropout_rates(len(hidden_layer_sizes))
        self._check_option_conflicts(dropout_rates)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        dtype = X.dtype if first_pass else self._params.dtype
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype)
            if np.any(sample_weight < 0):
                raise ValueError("Negative values in data passed to `sample_weight`.")
        else:
            sample_weight = np.ones(X.shape[0], dtype=dtype)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        y = np.ascontiguousarray(y, dtype=dtype)
        class_weight = self._sample_class_weight(y, sample_weight)
        if class_weight is not None:
            sample_weight = sample_weight * class_weight.astype(dtype)
        if not np.any(sample_weight > 0):
            raise ValueError("Sample weights must contain at least one non-zero number.")

        layer_units = [X.shape[1], *hidden_layer_sizes, y.shape[1]]
        if not first_pass:
            previous = [int(u) for u in self._layout.units]
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
        self._random_state = check_random_state(self.random_state)

        if first_pass:
            self._initialize(y, layer_units, dtype)
        else:
            self._sync_params()

        try:
            if self.solver in _STOCHASTIC_SOLVERS:
                self._fit_stochastic(X, y, sample_weight, incremental, dropout_rates)
            else:
                self._fit_lbfgs(X, y, sample_weight)
        except _NothingTrained as stopped:
            stopped.keep_previous = not first_pass
            raise

        if not np.isfinite(self._params).all():
            raise ValueError(_NON_FINITE_WEIGHTS)
        return self

    def _fit_lbfgs(self, X, y, sample_weight):
        params = self._params
        grads = np.zeros_like(params)
        # No dropout or batch norm here: both conflict with lbfgs.
        batch = _Batch(self, X, y, sample_weight)
        alpha = float(self.alpha)
        l1_ratio = float(self.l1_ratio)

        def loss_and_gradient(x):
            params[:] = x
            value = batch.loss_grad(params, grads, alpha, l1_ratio)
            # A copy: the optimizer keeps the returned gradient between calls.
            return value, grads.astype(np.float64)

        # The last accepted iterate: what the model keeps if the optimizer
        # ends on a non-finite point or is interrupted.
        last = {"x": params.astype(np.float64), "fun": None, "nit": 0}

        progress = self._progress_bar()

        def callback(intermediate_result):
            fun = float(intermediate_result.fun)
            if not (np.isfinite(fun) and _usable(intermediate_result.x)):
                return  # not an iterate the model can keep
            last.update(x=intermediate_result.x.copy(), fun=fun)
            last["nit"] += 1
            if progress is not None:
                progress.update(last["nit"], last["fun"])
            elif self.verbose:
                print("Iteration %d, loss = %.8f" % (last["nit"], last["fun"]))

        try:
            # SciPy's line search meets non-finite losses when training
            # diverges; that is reported below, once, not as NumPy warnings.
            with np.errstate(invalid="ignore", over="ignore"):
                result = scipy.optimize.minimize(
                    loss_and_gradient,
                    last["x"],
                    method="L-BFGS-B",
                    jac=True,
                    options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
                    callback=callback,
                )
        except KeyboardInterrupt:
            if last["nit"] == 0:
                params[:] = last["x"]  # the buffer is the previous model's with warm_start
                raise _NothingTrained(diverged=False, keep_previous=False) from None
            result = None
            warnings.warn(
                "Training interrupted by user after %d iteration(s); the model keeps "
                "the weights of the last completed iteration." % last["nit"],
                stacklevel=3,
            )
        finally:
            if progress is not None:
                progress.close()
        if result is not None and np.isfinite(result.fun) and _usable(result.x):
            self.n_iter_ = _check_lbfgs_result(result, self.max_iter)
            self.loss_ = float(result.fun)
            params[:] = result.x
            return
        if result is not None:
            if last["nit"] == 0:
                params[:] = last["x"]
                raise _NothingTrained(diverged=True, keep_previous=False)
            warnings.warn(
                "Training diverged: the loss became non-finite after %d iteration(s), "
                "so training stopped and the weights of the last finite iteration "
                "were restored. Scale the input (for example with StandardScaler)." % last["nit"],
                ConvergenceWarning,
                stacklevel=3,
            )
        params[:] = last["x"]
        self.n_iter_ = last["nit"]
        self.loss_ = last["fun"]

    def _fit_stochastic(self, X, y, sample_weight, incremental, dropout_rates):
        layout = self._layout
        params = self._params
        dtype = params.dtype
        solver = SOLVERS[self.solver]
        if (
            not incremental
            or getattr(self, "_optimizer_solver", None) != self.solver
            or getattr(self, "_optimizer_state", np.empty(0)).shape[-1] != layout.n_params
        ):
            self._optimizer_solver = self.solver
            self._optimizer_state = np.zeros((STATE_ROWS[solver], layout.n_params), dtype)
            self._optimizer_t = 0
            self._learning_rate = float(self.learning_rate_init)
            # Like scikit-learn's optimizer objects, the settings are fixed when
            # the optimizer starts: set_params between partial_fit calls does
            # not reach a running optimizer.
            self._optimizer_hyper = hyperparameters(
                self.learning_rate_init,
                self.momentum,
                self.nesterovs_momentum,
                self.beta_1,
                self.beta_2,
                self.epsilon,
                self.l1_ratio,
                self.max_grad_norm,
            )
            self._optimizer_schedule = (
                self.learning_rate,
                float(self.learning_rate_init),
                float(self.power_t),
                int(np.ceil(self.warmup_fraction * self.max_iter)),
                int(self.max_iter),
            )
            self._optimizer_epoch = 0
        lr_schedule, lr_init, power_t = self._optimizer_schedule[:3]

        # early_stopping in partial_fit doesn't make sense
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        sample_weight_val = None
        if early_stopping:
            # Stratify single-output classification (binary and multiclass),
            # not multilabel.  scikit-learn documents the same but tests
            # n_outputs_ == 1, which misses multiclass (one column per class).
            # On the user's labels, so that the split's errors name them as
            # given; classes_ is sorted, so the split is the one of the codes.
            stratify = None
            if is_classifier(self) and self._label_binarizer.y_type_ == "binary":
                stratify = self.classes_.take(y[:, 0].astype(np.intp))
            elif is_classifier(self) and self._label_binarizer.y_type_ == "multiclass":
                stratify = self.classes_.take(y.argmax(axis=1))
            X_train, X_val, y_train, y_val, sw_train, sample_weight_val = train_test_split(
                X,
                y,
                sample_weight,
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            y_val_encoded = np.ascontiguousarray(y_val)
            if is_classifier(self):
                y_val = self._label_binarizer.inverse_transform(
                    y_val.ravel() if self.n_outputs_ == 1 else y_val
                )
            elif self.n_outputs_ == 1:
                y_val = y_val.ravel()
        else:
            X_train, y_train, sw_train = X, y, sample_weight
            X_val = y_val = y_val_encoded = None

        inp = _EngineInput(X_train, dtype)
        y_train = np.ascontiguousarray(y_train)
        sw_train = np.ascontiguousarray(sw_train)
        n_samples = inp.n_samples
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        # Workspaces: allocated once, reused by every batch of every epoch.
        grads = np.zeros_like(params)
        acts = np.empty(layout.workspace_size(batch_size), dtype=dtype)
        deltas = np.empty_like(acts)
        act_offsets = layout.act_offsets(batch_size)
        X_batch = np.empty((0 if inp.sparse else batch_size, X.shape[1]), dtype=dtype)
        y_batch = np.empty((batch_size, self.n_outputs_), dtype=dtype)
        sw_batch = np.empty(batch_size, dtype=dtype)
        rows = np.empty(batch_size, dtype=np.int64)
        hidden, out_act, loss = self._codes()
        pres = _preactivation_workspace(layout, batch_size, hidden, dtype)
        alpha = float(self.alpha)
        eps = self._loss_param(dtype)
        sample_idx = np.arange(n_samples, dtype=np.int64)
        norm = self._norm_pack(batch_size, training=True)
        drop = self._drop_pack(batch_size, dropout_rates, inp, y_train)
        dropout = drop is not _NO_DROPOUT[dtype]
        if dropout:
            # One draw per call (only with dropout, so the draws without it
            # are sklearn's); the epochs' masks derive from it and the number
            # of the epoch in the model's life, not from the shuffling draws,
            # which depend on n_samples.  The epoch number changes the masks
            # from one partial_fit or warm-started fit to the next even when an
            # integer random_state gives each call the same draws.
            drop[4][0] = self._random_state.randint(np.iinfo(np.int64).max)

        checkpoint = None
        progress = None if incremental else self._progress_bar()
        say = print if progress is None else progress.write
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                # What this epoch changes, to undo it if it diverges or is
                # interrupted before its bookkeeping is complete.
                checkpoint = self._checkpoint()
                if self.shuffle:
                    # What sklearn.utils.shuffle does, without its validation
                    # overhead: the same draw, so the same batches as sklearn.
                    permutation = np.arange(n_samples)
                    self._random_state.shuffle(permutation)
                    sample_idx = sample_idx[permutation]
                if dropout:
                    drop[4][1] = len(self.loss_curve_)  # epochs trained before this one
                hyper = self._optimizer_hyper
                hyper[LR] = self._epoch_learning_rate()
                total, step = _engine.run_epoch(
                    params, grads, self._optimizer_state, self._optimizer_t, hyper, solver,
                    layout.units, layout.coef_offsets, layout.intercept_offsets,
                    layout.n_coefs, act_offsets, *inp.args(),
                    y_train, sw_train, sample_idx, batch_size, X_batch, y_batch,
                    sw_batch, rows, acts, pres, deltas, hidden, out_act, loss, alpha, eps,
                    norm, drop,
                )  # fmt: skip
                # Diverged: a non-finite loss, or weights whose squared norm
                # (the L2 term) overflows, which no input can be used with.
                if not (np.isfinite(total) and _usable(params)):
                    self._rollback(checkpoint)
                    if self.n_iter_ == 0:
                        raise _NothingTrained(diverged=True, keep_previous=False)
                    checkpoint = None
                    warnings.warn(
                        "Training diverged in epoch %d: the training loss became "
                        "non-finite, so training stopped and the weights after epoch "
                        "%d were restored. Lower learning_rate_init, or scale the "
                        "input (for example with StandardScaler)."
                        % (self.n_iter_ + 1, self.n_iter_),
                        ConvergenceWarning,
                        stacklevel=3,
                    )
                    break
                self._optimizer_t = step
                self.n_iter_ += 1
                self.loss_ = total / n_samples
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose and progress is None:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))

                if early_stopping:
                    self.validation_loss_curve_.append(
                        self._validation_loss(X_val, y_val_encoded, sample_weight_val, eps)
                    )
                self._update_no_improvement_count(
                    early_stopping, X_val, y_val, sample_weight_val, progress is None
                )
                if progress is not None:
                    score = self.validation_scores_[-1] if early_stopping else None
                    progress.update(self.n_iter_, self.loss_, score)
                self._optimizer_epoch += 1
                if lr_schedule == "invscaling":
                    self._learning_rate = lr_init / (self.t_ + 1) ** power_t

                stop = False
                if self._no_improvement_count > self.n_iter_no_change:
                    # not better than last `n_iter_no_change` iterations by tol:
                    # stop, or decrease the learning rate
                    if early_stopping:
                        msg = (
                            "Validation score did not improve more than "
                            "tol=%f for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
                        )
                    else:
                        msg = (
                            "Training loss did not improve more than tol=%f"
                            " for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
                        )
                    stop = self._trigger_stopping(msg, lr_schedule, say)
                    if not stop:
                        self._no_improvement_count = 0
                checkpoint = None  # the epoch is complete
                if stop or incremental:
                    break

                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet." % self.max_iter,
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            if checkpoint is not None:
                self._rollback(checkpoint)
            if self.n_iter_ == 0:
                raise _NothingTrained(diverged=False, keep_previous=False) from None
            warnings.warn(
                "Training interrupted by user after %d epoch(s); the model keeps the "
                "weights of the last completed epoch%s."
                % (self.n_iter_, " with the best validation score" if early_stopping else ""),
                stacklevel=3,
            )
        finally:
            if progress is not None:
                progress.close()

        if early_stopping:
            # restore best weights
            params[:] = self._best_params
            self._running[:] = self._best_running

    def _norm_pack(self, rows, training):
        """The ``norm`` tuple of the kernels (see :mod:`skmlp._engine`).

        Training packs workspaces for ``rows`` samples; prediction needs only
        the scales' offsets and the running statistics.
        """
        layout = self._layout
        dtype = self._params.dtype
        if training and layout.batch_norm:
            stats = np.empty(2 * layout.n_normalized, dtype)
            norms = np.empty(layout.workspace_size(rows), dtype)
        else:  # never touched
            stats = norms = _NO_DATA[dtype]
        running = self._running
        if not running.flags.writeable:
            # Loaded read-only (a memory map): prediction does not write it, but
            # the kernel's type must allow the training branch to.
            running = running.copy()
        return (
            layout.scale_offsets,
            running,
            stats,
            norms,
            _batch_norm.MOMENTUM,
            _batch_norm.EPSILON,
        )

    def _drop_pack(self, rows, rates, inp, Y):
        """The ``drop`` tuple of the kernels: ``rows`` samples per batch of ``inp``, ``Y``."""
        dtype = self._params.dtype
        if len(self._layout.units) < 3 or not any(rates):
            return _NO_DROPOUT[dtype]
        keys = np.empty(inp.n_samples, np.uint64)
        _dropout.row_keys(
            inp.dense, _dropout.bits(inp.dense), inp.data, _dropout.bits(inp.data),
            inp.indices, inp.indptr, inp.sparse, Y, _dropout.bits(Y), keys,
        )  # fmt: skip
        return (
            _dropout.thresholds(rates),
            np.array([1.0 / (1.0 - r) for r in rates]),
            np.empty(self._layout.workspace_size(rows), dtype),
            keys,
            np.zeros(2, np.uint64),
        )

    def _checkpoint(self):
        """Everything an epoch changes: attributes, parameters, optimizer state."""
        lists = {
            name: len(value)
            for name, value in vars(self).items()
            if isinstance(value, list) and name not in ("coefs_", "intercepts_")
        }
        return (
            dict(vars(self)),
            self._params.copy(),
            self._optimizer_state.copy(),
            self._running.copy(),
            lists,
        )

    def _rollback(self, checkpoint):
        attributes, params, optimizer_state, running, lists = checkpoint
        self.__dict__.clear()
        self.__dict__.update(attributes)
        self._params[:] = params
        self._optimizer_state[:] = optimizer_state
        self._running[:] = running
        for name, length in lists.items():
            del getattr(self, name)[length:]

    def _epoch_learning_rate(self):
        """The learning rate of the next epoch: schedule, then linear warm-up.

        'constant', 'invscaling' and 'adaptive' keep their current rate in
        ``_learning_rate``; 'cosine' anneals from ``learning_rate_init`` to 0
        over the epochs after the warm-up.
        """
        schedule, lr_init, _, warmup, horizon = self._optimizer_schedule
        epoch = self._optimizer_epoch
        rate = self._learning_rate
        if schedule == "cosine":
            span = max(1, horizon - warmup)
            progress = min(max(epoch - warmup, 0), span) / span
            rate = lr_init * 0.5 * (1.0 + np.cos(np.pi * progress))
        if epoch < warmup:
            rate *= (epoch + 1) / warmup
        return rate

    def _progress_bar(self):
        """The epoch progress bar of a fit with ``verbose >= 2``, else None."""
        if isinstance(self.verbose, bool) or self.verbose < 2:
            return None
        return EpochProgress(self.max_iter)

    def _trigger_stopping(self, msg, lr_schedule, say=print):
        """Stop, or with the 'adaptive' schedule divide the learning rate by 5."""
        if lr_schedule != "adaptive":
            if self.verbose:
                say(msg + " Stopping.")
            return True
        if self._learning_rate <= 1e-6:
            if self.verbose:
                say(msg + " Learning rate too small. Stopping.")
            return True
        self._learning_rate /= 5.0
        if self.verbose:
            say(msg + " Setting learning rate to %f" % self._learning_rate)
        return False

    def _validation_score(self, X, y, sample_weight):
        """Score on the validation split: accuracy / R2, or ``scoring``."""
        if self.scoring is None:
            return self._score(X, y, sample_weight=sample_weight)
        scorer = check_scoring(self, scoring=self.scoring)
        with warnings.catch_warnings():
            # X_val is an array; the names were checked when fit validated X.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            try:
                return float(scorer(self, X, y, sample_weight=sample_weight))
            except ValueError:  # the outputs overflowed: no score this epoch
                return np.nan

    def _validation_loss(self, X, Y, sample_weight, loss_param):
        """Data loss (without penalty) of the validation split."""
        P = self._forward_pass_fast(X, check_input=False)
        D = np.empty_like(P)
        value = loss_and_delta(self._codes()[2], P, Y, sample_weight, loss_param, D)
        total_weight = float(sample_weight.sum())
        return float(value) / total_weight if total_weight > 0 else np.nan

    def _update_no_improvement_count(self, early_stopping, X, y, sample_weight, report=True):
        if early_stopping:
            # compute validation score (can be NaN), use that for stopping
            val_score = self._validation_score(X, y, sample_weight)
            self.validation_scores_.append(val_score)
            if self.verbose and report:
                print("Validation score: %f" % self.validation_scores_[-1])
            last_valid_score = self.validation_scores_[-1]
            if last_valid_score < (self.best_validation_score_ + self.tol):
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if last_valid_score > self.best_validation_score_:
                self.best_validation_score_ = last_valid_score
                self._best_params = self._params.copy()
                self._best_running = self._running.copy()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    @_fit_context(prefer_skip_nested_validation=True)
    @_unchanged_on_failure
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 input is trained in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights. Each minibatch's loss is the weighted
            mean over its samples.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

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

    def _validate_predict_input(self, X):
        """``validate_data`` for prediction, with a fast path for plain float arrays.

        A 2-D float32/float64 ndarray of the fitted width with only finite
        values, for a model fitted without feature names, passes every check
        ``validate_data`` would make; anything else goes through it, so errors
        and warnings are scikit-learn's own.
        """
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype.type in (np.float64, np.float32)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and np.isfinite(X).all()
        ):
            return X
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )

    def _forward_pass_fast(self, X, check_input=True):
        """Output-layer activations for X (probabilities or predicted values)."""
        if check_input:
            X = self._validate_predict_input(X)
        params = self._sync_params()
        layout = self._layout
        inp = _EngineInput(X, params.dtype)
        hidden, out_act, _ = self._codes()
        out = _engine.predict(
            params, layout.units, layout.coef_offsets, layout.intercept_offsets,
            *inp.args(), inp.n_samples, _PREDICT_WORKSPACE, hidden, out_act,
            self._norm_pack(0, training=False), _NO_DROPOUT[params.dtype],
        )  # fmt: skip
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


_PARAMETERS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element represents the number of neurons in the ith
        hidden layer. An empty tuple gives a network with no hidden layer.

    activation : {{'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', \
'selu', 'gelu', 'silu', 'softplus'}}, default='relu'
        Activation function for the hidden layers.

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

        The first four are scikit-learn's and give its results. The others
        are computed without overflow for any input; the weights are
        initialised as for 'relu' (Glorot uniform). Training with 'elu',
        'selu', 'gelu', 'silu' or 'softplus' keeps the hidden layers'
        pre-activations for the backward pass: one more workspace of the size
        of the activations.

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
        Learning rate schedule, for every stochastic solver (scikit-learn
        applies its three schedules to 'sgd' only).

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
        The initial learning rate. Only used when solver='sgd' or 'adam'.

    power_t : float, default=0.5
        The exponent for inverse scaling learning rate. Only used when
        ``solver='sgd'`` and ``learning_rate='invscaling'``.

    max_iter : int, default=200
        Maximum number of iterations. For stochastic solvers ('sgd', 'adam')
        this is the number of epochs, not of gradient steps.

    shuffle : bool, default=True
        Whether to shuffle samples in each iteration. Only used when
        solver='sgd' or 'adam'.

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
        Only effective when solver='sgd' or 'adam'.

    validation_fraction : float, default=0.1
        The proportion of training data to set aside as validation set for
        early stopping. Only used if early_stopping is True.

    beta_1 : float, default=0.9
        Exponential decay rate for estimates of first moment vector in adam,
        in [0, 1). Only used when solver='adam'.

    beta_2 : float, default=0.999
        Exponential decay rate for estimates of second moment vector in adam,
        in [0, 1). Only used when solver='adam'.

    epsilon : float, default=1e-8
        Value for numerical stability in adam. Only used when solver='adam'.

    n_iter_no_change : int, default=10
        Maximum number of epochs to not meet ``tol`` improvement. Only
        effective when solver='sgd' or 'adam'.

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
        better. None uses {score_name}.

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
        only."""

_ATTRIBUTES_DOC = """
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
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    n_iter_ : int
        The number of iterations the solver has run.

    n_layers_ : int
        Number of layers.

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

_NOTES_DOC = """
    The training epoch (every minibatch's forward pass, backward pass and
    optimizer step) runs as one compiled call; Python runs only between epochs.
    float32 input is trained and predicted in float32 by every solver.

    Every loss is summed over outputs and averaged over samples. For a single
    output this equals scikit-learn's loss; for multi-output regression with
    squared error, scikit-learn reports the mean over outputs while using the
    gradient of the sum, and here ``loss_`` is the sum that is optimized.

    A fit that raises (bad input) leaves a fitted estimator unchanged. When the
    training loss becomes non-finite, training stops, the weights of the last
    finite epoch are restored and a ConvergenceWarning is issued. If that
    happens before the first epoch (L-BFGS: iteration) of a fresh fit
    completes, there is no model to keep: fit raises a ValueError ("Solver
    produced non-finite parameter weights", as scikit-learn) and leaves the
    estimator as it was; a warm-started fit or partial_fit keeps the previous
    model unchanged. A KeyboardInterrupt during fit keeps the last completed
    epoch."""


class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    __doc__ = f"""Multi-layer Perceptron classifier.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    same parameters, attributes and training semantics, compiled training.
    It optimizes the log-loss function using L-BFGS or stochastic gradient
    descent.

    Parameters
    ----------{
        _PARAMETERS_DOC.format(
            stratified="The split is stratified, except in a multilabel setting.",
            score_name="accuracy",
        )
    }

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{{label: weight}}`` (missing labels weigh 1), or 'balanced' for
        ``n_samples / (n_classes * np.bincount(y))``, counting each sample with
        its ``sample_weight``. Not for multilabel targets; with 'balanced',
        :meth:`partial_fit` is not available, as it does not see the whole
        data.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.
{_ATTRIBUTES_DOC.format(score="accuracy")}

    See Also
    --------
    MLPRegressor : Multi-layer Perceptron regressor.
    sklearn.neural_network.MLPClassifier : The reference implementation.

    Notes
    -----{_NOTES_DOC}

    Examples
    --------
    >>> from skmlp import MLPClassifier
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = make_classification(n_samples=100, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y,
    ...                                                     random_state=1)
    >>> clf = MLPClassifier(random_state=1, max_iter=300).fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:1]).shape
    (1, 2)
    >>> clf.predict(X_test[:5]).shape
    (5,)
    >>> clf.score(X_test, y_test) > 0.8
    True
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "class_weight": [None, StrOptions({"balanced"}), dict],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="glorot_uniform",
        l1_ratio=0.0,
        max_grad_norm=None,
        warmup_fraction=0.0,
        scoring=None,
        dropout=0.0,
        batch_norm=False,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            weight_init=weight_init,
            l1_ratio=l1_ratio,
            max_grad_norm=max_grad_norm,
            warmup_fraction=warmup_fraction,
            scoring=scoring,
            dropout=dropout,
            batch_norm=batch_norm,
        )
        self.class_weight = class_weight

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        # classes_ is (re)defined on a fresh fit; warm_start and partial_fit
        # must see labels compatible with the previous call.
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
            self._check_two_classes()
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        y = self._label_binarizer.transform(y)
        return X, y

    def _sample_class_weight(self, y, sample_weight):
        if self.class_weight is None:
            return None
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            raise ValueError("class_weight is not supported for multilabel targets.")
        # y is binarised: recover each sample's class index.
        index = y[:, 0].astype(np.intp) if y.shape[1] == 1 else y.argmax(axis=1)
        n_classes = len(self.classes_)
        if self.class_weight == "balanced":
            # Class totals of the sample weights, so that a sample of weight 2
            # counts as two copies; a class with no weight gets none.
            totals = np.bincount(index, weights=sample_weight, minlength=n_classes)
            weights = np.zeros(n_classes)
            present = totals > 0
            weights[present] = totals.sum() / (present.sum() * totals[present])
            return weights[index]
        unknown = set(self.class_weight) - set(self.classes_.tolist())
        if unknown:
            raise ValueError(
                "class_weight has labels %s that are not in classes_ %s."
                % (sorted(unknown, key=str), self.classes_)
            )
        weights = np.array([self.class_weight.get(c, 1.0) for c in self.classes_.tolist()])
        return weights[index]

    def _check_two_classes(self):
        if self._label_binarizer.y_type_ != "multilabel-indicator" and len(self.classes_) < 2:
            raise ValueError(
                "MLPClassifier needs samples of at least 2 classes to train, but the "
                "data contains only one class: %r." % (self.classes_[0],)
            )

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        if not hasattr(self, "_params"):  # cheap test first: predict latency counts
            check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        # LabelBinarizer.inverse_transform's rules, without its validation
        # overhead (which dominates single-row prediction).
        y_type = self._label_binarizer.y_type_
        if y_type == "multiclass":
            return self.classes_.take(y_pred.argmax(axis=1))
        if y_type == "binary" and len(self.classes_) == 2:
            return self.classes_.take((y_pred > 0.5).astype(np.intp))
        return self._label_binarizer.inverse_transform(y_pred)

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=accuracy_score
        )

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    @_unchanged_on_failure
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit. Can be obtained via
            `np.unique(y_all)`, where y_all is the target vector of the entire
            dataset. Required on the first call to partial_fit and can be
            omitted in the subsequent calls. `y` need not contain all labels
            in `classes`.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        first_call = not hasattr(self, "classes_")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None:
            classes = unique_labels(classes)
            if not first_call and not np.array_equal(self.classes_, classes):
                raise ValueError(
                    "`classes=%r` is not the same as on last call "
                    "to partial_fit, was: %r" % (classes, self.classes_)
                )
        if first_call:
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
            self._check_two_classes()
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The predicted log-probability of the sample for each class in the
            model, where classes are ordered as they are in `self.classes_`.
            Equivalent to `log(predict_proba(X))`.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The predicted probability of the sample for each class in the
            model, where classes are ordered as they are in `self.classes_`.
        """
        if not hasattr(self, "_params"):  # cheap test first: predict latency counts
            check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        # A saturated logistic or softmax output rounds to exactly 0 or 1;
        # keep probabilities strictly inside (0, 1) so their logs are finite.
        info = np.finfo(y_pred.dtype)
        np.clip(y_pred, info.tiny, 1 - info.epsneg, out=y_pred)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = self.class_weight is None
        return tags


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    __doc__ = f"""Multi-layer Perceptron regressor.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    same parameters, attributes and training semantics, compiled training.
    It optimizes the squared error (or Poisson deviance) using L-BFGS or
    stochastic gradient descent.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson', 'absolute_error', 'huber'}}, \
default='squared_error'
        The loss function to use when training the weights: half the squared
        error; half the Poisson deviance with a log link (exp output
        activation), which requires ``y >= 0``; the absolute error; or the
        Huber loss (squared within ``huber_delta`` of the target, linear
        beyond).
{_PARAMETERS_DOC.format(stratified="", score_name="R2")}

    huber_delta : float, default=1.0
        Threshold of the Huber loss, in the units of ``y``. Only used when
        ``loss='huber'``.

    Attributes
    ----------{_ATTRIBUTES_DOC.format(score="R2")}

    See Also
    --------
    MLPClassifier : Multi-layer Perceptron classifier.
    sklearn.neural_network.MLPRegressor : The reference implementation.

    Notes
    -----{_NOTES_DOC}

    Examples
    --------
    >>> from skmlp import MLPRegressor
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = make_regression(n_samples=200, n_features=20, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y,
    ...                                                     random_state=1)
    >>> regr = MLPRegressor(random_state=1, max_iter=2000, tol=0.1)
    >>> regr.fit(X_train, y_train)
    MLPRegressor(max_iter=2000, random_state=1, tol=0.1)
    >>> regr.predict(X_test[:2]).shape
    (2,)
    >>> regr.score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="glorot_uniform",
        l1_ratio=0.0,
        max_grad_norm=None,
        warmup_fraction=0.0,
        scoring=None,
        dropout=0.0,
        batch_norm=False,
        huber_delta=1.0,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            weight_init=weight_init,
            l1_ratio=l1_ratio,
            max_grad_norm=max_grad_norm,
            warmup_fraction=warmup_fraction,
            scoring=scoring,
            dropout=dropout,
            batch_norm=batch_norm,
        )
        self.huber_delta = huber_delta

    def _loss_param(self, dtype):
        if self.loss == "huber":
            return float(self.huber_delta)
        return super()._loss_param(dtype)

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        if not hasattr(self, "_params"):  # cheap test first: predict latency counts
            check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight=sample_weight, score_function=r2_score)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for loss='poisson'."
            )
        return X, y

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    @_unchanged_on_failure
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
