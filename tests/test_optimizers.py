"""The solvers beyond scikit-learn's, the elastic-net penalty and gradient clipping.

The solvers 'adamw', 'rmsprop', 'adagrad' and 'nadam' (and 'sgd' and 'adam'
next to them); the elastic-net mixing ``l1_ratio``; ``max_grad_norm``, and
'lbfgs' refusing the step options.

The optimizer kernel is checked directly, in float64, against NumPy
references written from the documented update rules and penalty, and the
gradient with its L1 term against central finite differences; estimator-level
behaviour is checked on small scikit-learn datasets.
"""

import platform
import re
from functools import lru_cache

import numpy as np
import pytest
from _data import breast_cancer, iris, small_digits
from _network import (
    RTOL,
    Network,
    finite_difference_gradient,
    gradient_errors,
    passes_gradient_check,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from skmlp import MLPClassifier, MLPRegressor
from skmlp._engine.optimizers import SOLVERS, STATE_ROWS, hyperparameters, optimizer_step, penalty

NEW_SOLVERS = ["adamw", "rmsprop", "adagrad", "nadam"]
ALL_SOLVERS = ["sgd", "adam", *NEW_SOLVERS]


# ----------------------------------------------------------------------------
# Data


@lru_cache
def digits_split():
    """Digits, standardised on the training part: (X_train, X_test, y_train, y_test)."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


# ----------------------------------------------------------------------------
# NumPy references for the optimizer kernel


def finished_gradient_reference(solver, params, raw, n_coefs, alpha, l1_ratio, sw_sum):
    """``(grad + alpha * ((1 - r) * w + r * sign(w))) / sw_sum``; biases ``grad / sw_sum``.

    AdamW's decay is decoupled: its gradient has no penalty term.
    """
    g = np.array(raw, dtype=np.float64)
    if solver != "adamw":
        w = params[:n_coefs]
        g[:n_coefs] += alpha * ((1 - l1_ratio) * w + l1_ratio * np.sign(w))
    return g / sw_sum


class ReferenceOptimizer:
    """The documented update rules, one step at a time, on a finished gradient."""

    def __init__(self, solver, n_params, lr, momentum, nesterov, beta_1, beta_2, epsilon):
        self.solver = solver
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.b1, self.b2, self.eps = beta_1, beta_2, epsilon
        self.m = np.zeros(n_params)
        self.v = np.zeros(n_params)
        self.t = 0

    def step(self, p, g, n_coefs=0, alpha=0.0, l1_ratio=0.0):
        p = p.copy()
        self.t += 1
        t, lr, b1, b2, eps = self.t, self.lr, self.b1, self.b2, self.eps
        if self.solver == "sgd":
            self.v = self.momentum * self.v - lr * g
            p += self.momentum * self.v - lr * g if self.nesterov else self.v
            return p
        if self.solver == "rmsprop":
            self.v = b2 * self.v + (1 - b2) * g**2
            return p - lr * g / (np.sqrt(self.v) + eps)
        if self.solver == "adagrad":
            self.v = self.v + g**2
            return p - lr * g / (np.sqrt(self.v) + eps)
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g**2
        if self.solver == "nadam":
            m_hat = b1 * self.m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
            v_hat = self.v / (1 - b2**t)
            return p - lr * m_hat / (np.sqrt(v_hat) + eps)
        if self.solver == "adamw":
            w = p[:n_coefs]
            p[:n_coefs] = w - lr * alpha * ((1 - l1_ratio) * w + l1_ratio * np.sign(w))
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        return p - lr_t * self.m / (np.sqrt(self.v) + eps)


def penalty_reference(params, n_coefs, alpha, l1_ratio):
    w = params[:n_coefs]
    return alpha * ((1 - l1_ratio) / 2 * np.sum(w**2) + l1_ratio * np.sum(np.abs(w)))


N_PARAMS, N_COEFS = 16, 12
OPT = dict(lr=0.05, momentum=0.7, nesterov=True, beta_1=0.8, beta_2=0.95, epsilon=1e-3)


def kernel_steps(solver, params, raw_grads, alpha, l1_ratio, sw_sum, max_grad_norm=None):
    """Run ``optimizer_step`` on each raw gradient; return the iterates and penalties."""
    code = SOLVERS[solver]
    hyper = hyperparameters(
        OPT["lr"],
        OPT["momentum"],
        OPT["nesterov"],
        OPT["beta_1"],
        OPT["beta_2"],
        OPT["epsilon"],
        l1_ratio,
        max_grad_norm,
    )
    p = params.copy()
    state = np.zeros((STATE_ROWS[code], p.size))
    t = 0
    iterates, penalties = [], []
    for raw in raw_grads:
        pen, t = optimizer_step(code, p, raw.copy(), state, t, hyper, N_COEFS, alpha, sw_sum)
        iterates.append(p.copy())
        penalties.append(pen)
    assert t == len(raw_grads)
    return iterates, penalties


def optimizer_problem(seed=0, scale=1.0):
    rng = np.random.RandomState(seed)
    params = rng.normal(size=N_PARAMS)
    raw_grads = [scale * rng.normal(scale=3.0, size=N_PARAMS) for _ in range(2)]
    return params, raw_grads


# ----------------------------------------------------------------------------
# The new solvers


@pytest.mark.parametrize("l1_ratio", [0.0, 0.4])
@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_optimizer_step_matches_numpy_reference_for_two_steps(solver, l1_ratio):
    alpha, sw_sum = 0.3, 3.7
    params, raw_grads = optimizer_problem()
    iterates, penalties = kernel_steps(solver, params, raw_grads, alpha, l1_ratio, sw_sum)

    ref = ReferenceOptimizer(
        solver,
        N_PARAMS,
        OPT["lr"],
        OPT["momentum"],
        OPT["nesterov"],
        OPT["beta_1"],
        OPT["beta_2"],
        OPT["epsilon"],
    )
    p = params
    for raw, got, pen in zip(raw_grads, iterates, penalties):
        g = finished_gradient_reference(solver, p, raw, N_COEFS, alpha, l1_ratio, sw_sum)
        p = ref.step(p, g, N_COEFS, alpha, l1_ratio)
        assert_allclose(got, p, rtol=1e-12, atol=1e-14)
        # The returned penalty is at the updated weights; AdamW's is not in the loss.
        expected = 0.0 if solver == "adamw" else penalty_reference(p, N_COEFS, alpha, l1_ratio)
        assert_allclose(pen, expected, rtol=1e-12)
    # The steps moved every parameter (the comparison is not vacuous).
    assert np.all(iterates[-1] != params)


@pytest.mark.parametrize("solver", NEW_SOLVERS)
def test_new_solver_trains_digits_to_high_accuracy(solver):
    X_train, X_test, y_train, y_test = digits_split()
    lr = 5e-2 if solver == "adagrad" else 1e-2
    est = MLPClassifier(
        hidden_layer_sizes=(32,),
        solver=solver,
        learning_rate_init=lr,
        alpha=1e-3,
        max_iter=20,
        random_state=0,
    ).fit(X_train, y_train)
    assert est.score(X_test, y_test) >= 0.9


# ----------------------------------------------------------------------------
# The elastic-net penalty: l1_ratio


def weights_away_from_zero(params, n_coefs, margin=0.05):
    """Move weights within ``margin`` of 0 out to +-margin: sign(w) is then smooth."""
    params = params.copy()
    w = params[:n_coefs]
    small = np.abs(w) < margin
    w[small] = np.where(w[small] < 0, -margin, margin)
    return params


@lru_cache
def l1_setup():
    """A 3-class tanh network one SGD step from its init, weighted iris (30 samples)."""
    X, y = iris()
    X, y = X[::5], y[::5]
    rng = np.random.RandomState(0)
    sample_weight = rng.uniform(0.2, 3.0, size=len(y))
    sample_weight[::7] = 0.0
    est = MLPClassifier(
        hidden_layer_sizes=(5,), activation="tanh", solver="sgd", max_iter=1, random_state=0
    ).fit(X, y, sample_weight=sample_weight)
    Y = LabelBinarizer().fit(y).transform(y)
    net = Network(est, X, Y, sample_weight)
    params = weights_away_from_zero(est._params, net.n_coefs)
    return net, params


@pytest.mark.parametrize("l1_ratio", [0.3, 1.0])
def test_l1_ratio_finished_gradient_matches_finite_differences(l1_ratio):
    net, params = l1_setup()
    alpha = 0.5
    grad = net.finished_gradient(params, alpha, l1_ratio)

    def objective(p):
        return net.objective(p, alpha, l1_ratio)

    fd = finite_difference_gradient(objective, params)
    value = objective(params)
    global_error, entry_error = gradient_errors(grad, fd, value)
    assert global_error <= RTOL, global_error
    assert entry_error <= RTOL, entry_error
    # Not vacuous: the L1 part is far above the tolerance (the plain L2
    # gradient of the same strength fails the check).
    l2_only = net.finished_gradient(params, alpha * (1 - l1_ratio), 0.0)
    assert not passes_gradient_check(l2_only, fd, value)


def test_penalty_equals_its_formula():
    rng = np.random.RandomState(0)
    params = rng.normal(size=50)
    for alpha, l1_ratio in [(0.0, 0.5), (0.3, 0.0), (0.3, 0.25), (2.0, 1.0)]:
        got = penalty(params, 40, alpha, l1_ratio)
        assert_allclose(got, penalty_reference(params, 40, alpha, l1_ratio), rtol=1e-12)
    # Only the first n_coefs entries (the weights) are penalised.
    changed = params.copy()
    changed[40:] *= 100.0
    assert penalty(changed, 40, 0.3, 0.25) == penalty(params, 40, 0.3, 0.25)


def test_lbfgs_loss_includes_the_l1_term_of_l1_ratio():
    X, y = iris()
    est = MLPClassifier(
        hidden_layer_sizes=(5,),
        activation="tanh",
        solver="lbfgs",
        alpha=0.5,
        l1_ratio=0.6,
        max_iter=30,
        random_state=0,
    ).fit(X, y)
    net = Network(est, X, LabelBinarizer().fit_transform(y), np.ones(len(y)))
    assert_allclose(est.loss_, net.objective(est._params, 0.5, 0.6), rtol=1e-12)


def test_lbfgs_l1_ratio_one_drives_many_more_weights_to_zero():
    X, y = breast_cancer()
    fractions = {}
    for l1_ratio in (0.0, 1.0):
        est = MLPClassifier(
            hidden_layer_sizes=(16,),
            solver="lbfgs",
            alpha=3.0,
            l1_ratio=l1_ratio,
            max_iter=150,
            random_state=0,
        ).fit(X, y)
        fractions[l1_ratio] = np.mean(np.abs(est.coefs_[0]) < 1e-3)
        assert est.score(X, y) > 0.95
    assert fractions[1.0] > 0.7
    assert fractions[0.0] < 0.3


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
def test_l1_ratio_zero_is_bitwise_identical_to_not_setting_it(solver):
    X, y = iris()
    params = dict(hidden_layer_sizes=(8,), solver=solver, alpha=0.1, max_iter=15, random_state=0)
    default = MLPClassifier(**params).fit(X, y)
    zero = MLPClassifier(l1_ratio=0.0, **params).fit(X, y)
    assert_array_equal(zero._params, default._params)
    assert zero.loss_ == default.loss_


# ----------------------------------------------------------------------------
# Gradient clipping


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_max_grad_norm_clips_the_finished_gradient(solver):
    alpha, l1_ratio, sw_sum, max_norm = 0.3, 0.4, 3.7, 0.5
    params, raw_grads = optimizer_problem(seed=1, scale=100.0)
    iterates, _ = kernel_steps(solver, params, raw_grads, alpha, l1_ratio, sw_sum, max_norm)

    ref = ReferenceOptimizer(
        solver,
        N_PARAMS,
        OPT["lr"],
        OPT["momentum"],
        OPT["nesterov"],
        OPT["beta_1"],
        OPT["beta_2"],
        OPT["epsilon"],
    )
    p = params
    for raw, got in zip(raw_grads, iterates):
        g = finished_gradient_reference(solver, p, raw, N_COEFS, alpha, l1_ratio, sw_sum)
        norm = np.linalg.norm(g)
        assert norm > 10 * max_norm
        p = ref.step(p, g * (max_norm / (norm + 1e-6)), N_COEFS, alpha, l1_ratio)
        assert_allclose(got, p, rtol=1e-12, atol=1e-14)
    unclipped, _ = kernel_steps(solver, params, raw_grads, alpha, l1_ratio, sw_sum)
    assert np.max(np.abs(unclipped[-1] - iterates[-1])) > 1e-3


def test_sgd_step_with_clipping_has_the_clipped_norm():
    params, raw_grads = optimizer_problem(seed=2, scale=100.0)
    hyper = hyperparameters(1.0, 0.0, False, 0.9, 0.999, 1e-8, 0.0, 0.5)
    new = params.copy()
    optimizer_step(SOLVERS["sgd"], new, raw_grads[0], np.zeros((1, N_PARAMS)), 0, hyper,
                   N_COEFS, 0.3, 3.7)  # fmt: skip
    assert_allclose(np.linalg.norm(params - new), 0.5, rtol=1e-6)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_max_grad_norm_above_the_gradient_norm_changes_nothing(solver):
    params, raw_grads = optimizer_problem(seed=3)
    unclipped, pen = kernel_steps(solver, params, raw_grads, 0.3, 0.4, 3.7)
    loose, pen_loose = kernel_steps(solver, params, raw_grads, 0.3, 0.4, 3.7, max_grad_norm=1e6)
    for a, b in zip(unclipped, loose):
        assert_array_equal(a, b)
    assert pen == pen_loose


def test_max_grad_norm_none_is_bitwise_identical_to_default_training():
    X, y = small_digits()
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    default = MLPClassifier(**params).fit(X, y)
    none = MLPClassifier(max_grad_norm=None, **params).fit(X, y)
    loose = MLPClassifier(max_grad_norm=1e300, **params).fit(X, y)
    clipped = MLPClassifier(max_grad_norm=1e-3, **params).fit(X, y)
    assert_array_equal(none._params, default._params)
    assert_array_equal(loose._params, default._params)
    assert none.loss_curve_ == default.loss_curve_
    assert np.max(np.abs(clipped._params - default._params)) > 1e-3


@pytest.mark.parametrize(
    "Estimator, name, value",
    [
        (MLPClassifier, "max_grad_norm", 1.0),
        (MLPRegressor, "max_grad_norm", 1.0),
        (MLPClassifier, "warmup_fraction", 0.1),
        (MLPRegressor, "warmup_fraction", 0.1),
    ],
)
def test_lbfgs_with_step_options_raises_naming_both_parameters(Estimator, name, value):
    X, y = iris()
    est = Estimator(solver="lbfgs", max_iter=5, **{name: value})
    with pytest.raises(ValueError) as excinfo:
        est.fit(X, y)
    message = str(excinfo.value)
    assert name in message
    assert "solver" in message and "lbfgs" in message
    assert not hasattr(est, "coefs_")


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 instruction names"
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loop", ["_sgd", "_adam", "_nadam", "_rms"])
def test_the_update_loops_are_vectorised(loop, dtype):
    """Each solver's loop over the buffer compiles to packed (SIMD) arithmetic.

    A pass over every parameter per batch: scalar code made the Adam step 8x
    slower once (an index Numba could not prove non-negative, checked for
    wrap-around at every element). Compiled here afresh with the kernel's own
    options (the cached one has no machine code to inspect), on the
    arguments the update kernel passes.
    """
    import numba

    from skmlp._engine import optimizers

    kernel = getattr(optimizers, loop)
    options = {k: v for k, v in kernel.targetoptions.items() if k not in ("nopython", "cache")}
    options["no_cpython_wrapper"] = False  # callable here, to compile it
    fresh = numba.njit(**options)(kernel.py_func)
    one = dtype(0.5)
    vectors = [np.full(64, one) for _ in range(4 if loop in ("_adam", "_nadam") else 3)]
    fin = (one,) * 6
    constants = {"_sgd": (one, one, True), "_adam": (one,) * 6, "_nadam": (one,) * 9}
    fresh(*vectors, fin, constants.get(loop, (one,) * 4))
    (asm,) = fresh.inspect_asm().values()
    packed = "ps" if dtype == np.float32 else "pd"
    assert re.search(rf"\s(v?mul{packed}|vfn?madd\d+{packed})\s", asm), "no packed multiply"
