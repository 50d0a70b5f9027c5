"""Hidden activations: values, derivatives, limits, dtype, and training with them.

- The kernels of every hidden activation agree with a NumPy/SciPy reference
  (tests/reference_activations.py) in float32 and float64, over ordinary and
  extreme inputs (up to the dtype's largest finite value), and take the limit
  at +-inf; no NaN, no overflow, no warnings.  Both paths are checked: the
  in-place one of prediction (``bias_activate``) and the training one that
  also stores the slopes f'(z) (``bias_activate_slope``), and the derivative
  each activation uses in the backward pass (``multiply_derivative`` from
  the output, or the slopes ``bias_activate_slope`` stored).
- Float32 models compute in float32: results are the float32 rounding of the
  reference to a few ulp, not the float64 value rounded once.
- The pre-activation workspace exists only for the activations that need it,
  and passing one to any other activation changes nothing.
- scikit-learn's estimator checks pass for ``MLPClassifier(activation='gelu')``,
  ``MLPRegressor(activation='elu')``, ``MLPClassifier(activation='mish')`` and
  ``MLPRegressor(activation='mish', solver='lbfgs')``; every new activation
  learns digits, and mish does with every solver.

The analytic gradients of networks using them are checked against finite
differences in test_gradients.py.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from reference_activations import DERIVATIVE_LIMITS, LIMITS, derivative, value
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp import MLPClassifier, MLPRegressor
from skmlp._engine.activations import (
    HIDDEN_ACTIVATIONS,
    PREACTIVATION_CODES,
    bias_activate,
    bias_activate_slope,
    multiply_derivative,
)
from skmlp._engine.workspaces import Batch, preactivation_workspace

NEW_ACTIVATIONS = ["leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "mish"]
DTYPES = [np.float32, np.float64]
SOLVERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "lbfgs"]

# Kernels and reference raise no warning at all; fits raise no RuntimeWarning.
no_warnings = pytest.mark.filterwarnings("error")
no_runtime_warnings = pytest.mark.filterwarnings("error::RuntimeWarning")


def inputs(dtype):
    """Ordinary and extreme finite pre-activations, both signs, in ``dtype``."""
    info = np.finfo(dtype)
    ordinary = np.linspace(-12, 12, 241)
    extreme = [0.0, -0.0, info.tiny, info.eps, 1e-3, 0.5, 1.0, 3.0, 20.0, 30.0, 40.0, 80.0]
    # Half the largest value: selu's scale > 1 takes the largest beyond the range.
    extreme += [100.0, 700.0, 740.0, 800.0, 1e4, 1e6, 1e19, 1e30, float(info.max) / 2]
    z = np.concatenate([ordinary, extreme, -np.array(extreme)])
    return z.astype(dtype).reshape(-1, 1) * np.ones((1, 3), dtype=dtype)  # 3 columns


def tolerances(dtype):
    info = np.finfo(dtype)
    # A few ulp relative; absolutely, far below the smallest normal number
    # (results in the subnormal range have no relative precision).
    return dict(rtol=8 * info.eps, atol=1e3 * info.tiny)


def assert_values_close(name, got, expected, Z):
    """``got`` within a few ulp of ``expected``, allowing for gelu's conditioning.

    gelu(z) = z * erfc(-z / sqrt(2)) / 2 and erfc(x) has relative condition
    number ~2 x**2: rounding the argument ``z / sqrt(2)`` alone -- which any
    implementation, SciPy's ``ndtr`` included, does -- changes the result by
    up to ``z**2 / 2`` ulp in the lower tail (where gelu is tiny).
    """
    tol = tolerances(got.dtype)
    # (Beyond |z| = 40, gelu is 0 or z exactly: no need for larger factors.)
    z2 = np.minimum(np.abs(Z.astype(np.float64)), 40.0) ** 2
    rtol = tol["rtol"] * (1 + (z2 if name == "gelu" else 0))
    expected = expected.astype(got.dtype)
    error = np.abs(got.astype(np.float64) - expected)
    bad = ~(error <= tol["atol"] + rtol * np.abs(expected.astype(np.float64)))
    assert not bad.any(), list(zip(Z[bad][:5], got[bad][:5], expected[bad][:5]))


def forward(code, Z, keep):
    """The activation of Z through the prediction path or the training path."""
    b = np.zeros(Z.shape[1], dtype=Z.dtype)
    if keep:
        A = np.full_like(Z, np.nan)
        bias_activate_slope(code, Z.copy(), b, A)
        return A
    A = Z.copy()
    bias_activate(code, A, b)
    return A


def backward(code, Z, D):
    """``D * f'(Z)`` as the backward pass computes it for ``code``."""
    D = D.copy()
    if code in PREACTIVATION_CODES:
        S = Z.copy()  # the training forward pass leaves the slopes in it
        bias_activate_slope(code, S, np.zeros(Z.shape[1], dtype=Z.dtype), np.empty_like(Z))
        D *= S  # what the backward pass does with them
    else:
        A = forward(code, Z, keep=False)
        multiply_derivative(code, A, D, 1.0)
    return D


# ---------------------------------------------------------------- values


@no_warnings
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(HIDDEN_ACTIVATIONS))
def test_activation_values_match_reference(name, dtype):
    code = HIDDEN_ACTIVATIONS[name]
    Z = inputs(dtype)
    expected = value(name, Z)
    paths = [False, True] if code in PREACTIVATION_CODES else [False]
    for keep in paths:
        A = forward(code, Z, keep)
        assert A.dtype == dtype
        assert np.isfinite(A).all()
        assert_values_close(name, A, expected, Z)
    if len(paths) == 2:
        assert_array_equal(forward(code, Z, True), forward(code, Z, False))


@no_warnings
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(HIDDEN_ACTIVATIONS))
def test_activation_derivatives_match_reference(name, dtype):
    code = HIDDEN_ACTIVATIONS[name]
    Z = inputs(dtype)
    D = np.random.default_rng(0).uniform(-2, 2, size=Z.shape).astype(dtype)
    expected = derivative(name, Z)
    got = backward(code, Z, D)
    assert got.dtype == dtype
    assert np.isfinite(got).all()
    # Derivatives cross zero (silu) or are computed from the output with
    # cancellation (tanh, logistic): relative to a scale of 1, not to themselves.
    tol = tolerances(dtype)
    assert_allclose(got, (D * expected).astype(dtype), rtol=tol["rtol"], atol=4 * tol["rtol"])


@no_warnings
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(HIDDEN_ACTIVATIONS))
def test_activations_take_their_limits_at_infinity(name, dtype):
    code = HIDDEN_ACTIVATIONS[name]
    Z = np.array([[-np.inf, np.inf]], dtype=dtype)
    for keep in [False, True] if code in PREACTIVATION_CODES else [False]:
        assert_array_equal(forward(code, Z, keep), np.array([LIMITS[name]], dtype=dtype))
    D = np.ones_like(Z)
    assert_array_equal(backward(code, Z, D), np.array([DERIVATIVE_LIMITS[name]], dtype=dtype))


@no_warnings
@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_bias_is_added_before_the_activation(name):
    code = HIDDEN_ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(7, 4)) * 3
    b = rng.normal(size=4)
    A = Z.copy()
    bias_activate(code, A, b)
    assert_array_equal(A, forward(code, Z + b, keep=False))
    if code in PREACTIVATION_CODES:
        S, A2 = Z.copy(), np.empty_like(Z)
        bias_activate_slope(code, S, b, A2)
        assert_array_equal(A2, A)
        assert_array_equal(S, backward(code, Z + b, np.ones_like(Z)))


@no_warnings
@pytest.mark.parametrize("name", ["gelu", "silu", "softplus", "elu", "selu", "mish"])
def test_float32_kernels_compute_in_float32(name):
    """Computed in float64 and rounded once, the result would be the correctly
    rounded float32 value almost everywhere; float32 arithmetic is not, for a
    sizeable fraction of inputs (and it is what makes float32 models fast)."""
    code = HIDDEN_ACTIVATIONS[name]
    Z = np.random.default_rng(2).uniform(-6, 6, size=(2000, 1)).astype(np.float32)
    A32 = forward(code, Z, keep=True)
    rounded = forward(code, Z.astype(np.float64), keep=True).astype(np.float32)
    assert_values_close(name, A32, rounded, Z)
    assert np.mean(A32 != rounded) > 0.01


@no_warnings
def test_leaky_relu_slope_and_elu_alpha():
    Z = np.array([[-2.0, 0.0, 3.0]])
    assert_array_equal(forward(HIDDEN_ACTIVATIONS["leaky_relu"], Z, False), [[-0.02, 0.0, 3.0]])
    assert_allclose(forward(HIDDEN_ACTIVATIONS["elu"], Z, False), [[np.expm1(-2.0), 0.0, 3.0]])
    selu = forward(HIDDEN_ACTIVATIONS["selu"], np.array([[-np.inf, 1.0]]), False)
    assert_allclose(selu, [[-1.6732632423543772 * 1.0507009873554805, 1.0507009873554805]])


@no_warnings
def test_mish_keeps_its_precision_where_exp_z_is_subnormal():
    """Far below zero, mish(z) = z exp(z) and mish'(z) = (1 + z) exp(z) to
    working precision.  In float32 they are normal numbers down to z = -91.8
    while exp(z) is subnormal below -87.3: they keep their relative precision
    there (z * exp(z) computed as such would lose up to ~30 ulp)."""
    code = HIDDEN_ACTIVATIONS["mish"]
    Z = np.linspace(-91.5, -80, 500).astype(np.float32).reshape(-1, 1)
    z = Z.astype(np.float64)
    rtol = 8 * np.finfo(np.float32).eps
    for keep in (False, True):
        assert_allclose(forward(code, Z, keep), z * np.exp(z), rtol=rtol, atol=0)
    assert_allclose(backward(code, Z, np.ones_like(Z)), (1 + z) * np.exp(z), rtol=rtol, atol=0)


def dense_inputs(dtype):
    """A dense grid over the whole range where the activations change, tails included.

    Every 1/64 (float32) or 1/256 (float64) up to where exp under- and
    overflows, a logarithmic grid from the smallest normal number up, and
    the largest finite values: about 10^5 points per sign.
    """
    info = np.finfo(dtype)
    reach, step = (110.0, 1 / 64) if dtype == np.float32 else (760.0, 1 / 256)
    grid = np.arange(0.0, reach, step)
    logs = np.logspace(np.log10(float(info.tiny)), np.log10(float(info.max)) - 1e-6, 20000)
    z = np.concatenate([grid, logs, [float(info.max)]])
    return np.concatenate([z, -z]).astype(dtype).reshape(-1, 1)


#: Relative error bounds of the activations' values and derivatives wherever
#: both are normal numbers of the dtype.
DENSE_RTOL = {np.float32: 1e-6, np.float64: 1e-12}


def _cancellation_scale(name, z):
    """The size of the terms whose difference a derivative is, where it has a root.

    gelu' = Phi(z) + z phi(z) (root at z = -0.75), silu' = s (1 + z (1 - s))
    (z = -1.28) and mish' = t + z (1 - t^2) logistic(z) (z = -1.19) are sums
    of terms of opposite signs near their roots: there the relative error of
    any floating-point evaluation is the rounding of the terms divided by the
    small result (the derivative is ill-conditioned, not the kernel wrong).
    The error is measured relative to the larger of |f'(z)| and this scale.
    """
    from scipy.special import expit, ndtr

    if name == "gelu":
        return ndtr(z)
    if name == "silu":
        return expit(z)
    if name == "mish":
        return np.tanh(np.logaddexp(0, z))
    return np.zeros_like(z)


@no_warnings
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(HIDDEN_ACTIVATIONS))
def test_activations_are_accurate_over_the_whole_range(name, dtype):
    """Relative error at most 1e-6 (float32) / 1e-12 (float64) against SciPy's
    float64 reference, densely over the range and in the tails, wherever the
    exact value and derivative are normal numbers of the dtype; no NaN and no
    overflow anywhere.  The vectorised exp/expm1/log1p/normal-tail of
    skmlp._engine.vecmath are what these exercise."""
    code = HIDDEN_ACTIVATIONS[name]
    Z = dense_inputs(dtype)
    z = Z.astype(np.float64)
    tiny, rtol = float(np.finfo(dtype).tiny), DENSE_RTOL[dtype]
    with np.errstate(over="ignore"):
        expected, slope = value(name, z), derivative(name, z)
    largest = float(np.finfo(dtype).max)
    normal = (np.abs(expected) >= tiny) & (np.abs(slope) >= tiny) & (np.abs(expected) <= largest)
    normal |= z == 0  # f(0) = 0 must come out exactly
    for keep in [False, True] if code in PREACTIVATION_CODES else [False]:
        got = forward(code, Z, keep).astype(np.float64)
        assert not np.isnan(got).any()
        error = np.abs(got[normal] - expected[normal])
        bad = error > rtol * np.abs(expected[normal])
        assert not bad.any(), (z[normal][bad][:5], got[normal][bad][:5], expected[normal][bad][:5])
    got = backward(code, Z, np.ones_like(Z)).astype(np.float64)
    assert np.isfinite(got).all()
    scale = np.maximum(np.abs(slope), _cancellation_scale(name, z))
    if code not in PREACTIVATION_CODES:
        # Derivatives computed from the stored output, as scikit-learn does
        # (1 - a**2 for tanh, a (1 - a) for logistic): their error is a few
        # ulp of 1, not of f'(z), wherever a is close to 1.
        scale = np.maximum(scale, 1.0)
    bad = np.abs(got[normal] - slope[normal]) > rtol * scale[normal]
    assert not bad.any(), (z[normal][bad][:5], got[normal][bad][:5], slope[normal][bad][:5])


# ------------------------------------------------- pre-activation workspace


def _kernel_loss(est, X, y, pres):
    grads = np.full(est._layout.n_params, np.nan)
    batch = Batch(est, X, y, np.ones(X.shape[0]), pres=pres)
    return batch.loss_grad(est._params, grads, 0.0, 0.0), grads


def _small_regression(activation, hidden_layer_sizes=(5, 4)):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ rng.normal(size=3)
    est = MLPRegressor(activation=activation, hidden_layer_sizes=hidden_layer_sizes, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est, X, y


@no_runtime_warnings
@pytest.mark.parametrize("name", list(HIDDEN_ACTIVATIONS))
def test_preactivation_workspace_only_where_needed(name):
    est, X, y = _small_regression(name)
    code = HIDDEN_ACTIVATIONS[name]
    n = X.shape[0]
    pres = preactivation_workspace(est._layout, n, code, np.float64)
    needed = name in ("elu", "selu", "gelu", "silu", "softplus", "mish")
    assert (code in PREACTIVATION_CODES) == needed
    assert pres.size == (est._layout.workspace_size(n) if needed else 0)
    # No hidden layer: nothing to keep.
    no_hidden, _, _ = _small_regression(name, hidden_layer_sizes=())
    assert preactivation_workspace(no_hidden._layout, n, code, np.float64).size == 0
    if not needed:
        # A workspace given to an activation that does not need it is ignored:
        # bitwise the same loss and gradient.
        full = np.full(est._layout.workspace_size(n), np.nan)
        v0, g0 = _kernel_loss(est, X, y, pres)
        v1, g1 = _kernel_loss(est, X, y, full)
        assert v0 == v1
        assert_array_equal(g0, g1)
        assert np.isnan(full).all()


@no_runtime_warnings
@pytest.mark.parametrize(
    "name", [n for n in NEW_ACTIVATIONS if HIDDEN_ACTIVATIONS[n] in PREACTIVATION_CODES]
)
def test_activation_needing_preactivations_refuses_an_empty_workspace(name):
    est, X, y = _small_regression(name)
    with pytest.raises(ValueError, match="pre-activation workspace"):
        _kernel_loss(est, X, y, np.empty(0))


# ---------------------------------------------------------------- estimators


@parametrize_with_checks(
    [
        MLPClassifier(activation="gelu"),
        MLPRegressor(activation="elu"),
        MLPClassifier(activation="mish"),
        MLPRegressor(activation="mish", solver="lbfgs"),
    ]
)
def test_sklearn_compatible_estimator_with_new_activations(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@no_runtime_warnings
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_new_activations_learn_digits(name, digits_split):
    X_train, X_test, y_train, y_test = digits_split
    est = MLPClassifier(activation=name, max_iter=200, random_state=0)
    est.fit(X_train, y_train)
    assert est.score(X_test, y_test) >= 0.9


@no_runtime_warnings
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", SOLVERS)
def test_mish_learns_digits_with_every_solver(solver, digits_split):
    X_train, X_test, y_train, y_test = digits_split
    est = MLPClassifier(activation="mish", solver=solver, max_iter=200, random_state=0)
    est.fit(X_train, y_train)
    assert est.score(X_test, y_test) >= 0.9


@no_runtime_warnings
@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_new_activations_train_in_float32_sparse_and_lbfgs(name, digits_split):
    X_train, X_test, y_train, y_test = digits_split
    X_train, X_test = X_train[:400], X_test[:200]
    y_train, y_test = y_train[:400], y_test[:200]
    params = dict(activation=name, hidden_layer_sizes=(32, 16), random_state=0, max_iter=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est32 = MLPClassifier(**params).fit(X_train.astype(np.float32), y_train)
        est64 = MLPClassifier(**params).fit(X_train, y_train)
        sparse = MLPClassifier(**params).fit(sp.csr_matrix(X_train), y_train)
        lbfgs = MLPClassifier(solver="lbfgs", **params).fit(X_train, y_train)
    assert est32._params.dtype == np.float32
    assert est32.predict_proba(X_test.astype(np.float32)).dtype == np.float32
    # Same initial weights and batches: float32 training follows float64's.
    assert abs(est32.score(X_test, y_test) - est64.score(X_test, y_test)) <= 0.03
    assert_allclose(sparse._params, est64._params, rtol=1e-9, atol=1e-12)
    assert lbfgs.score(X_train, y_train) >= 0.95


@no_runtime_warnings
@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_huge_learning_rate_raises_no_numpy_warnings(name, digits_split):
    X_train, _, y_train, _ = digits_split
    est = MLPClassifier(activation=name, learning_rate_init=10.0, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # divergence is reported
        est.fit(X_train, y_train)
    assert np.isfinite(est._params).all()
    assert np.isfinite(est.predict_proba(X_train)).all()
