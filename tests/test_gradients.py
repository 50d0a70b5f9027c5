"""The compiled loss kernel against finite differences and scikit-learn's loss.

``skmlp._engine.network.loss_grad`` returns the regularised loss of a batch and writes
its gradient into a flat buffer; the solvers trust that gradient blindly.  Here
the gradient is compared, in float64, with central finite differences of the
loss returned by the same kernel, for every hidden activation, every loss (and
output activation), with L2 regularisation, uniform and non-uniform sample
weights, zero, one and two hidden layers, and dense and CSR input.  The loss
value itself is compared with scikit-learn's definition
(``sklearn.neural_network._base.LOSS_FUNCTIONS`` plus
``0.5 * alpha * ||W||^2 / sum(sample_weight)``) computed from an independent
NumPy forward pass.

Accuracy criterion
------------------
The parameters are scikit-learn's initialisation after one SGD step, far from
any stationary point (the largest gradient entry is asserted to exceed 1% of
the loss).  With ``h = 1e-6`` the central difference
``(L(p + h e_k) - L(p - h e_k)) / 2h`` has a truncation error of order
``h^2 |L'''| ~ 1e-12`` and a rounding error of order
``eps |L| / h ~ 2e-10 |L|``, so an exact analytic gradient agrees to ~1e-8:
the largest errors observed are ~1e-8 globally and ~3e-8 per entry, 30-100x
inside the required ``1e-6``.  Two criteria are applied:

* the global one, ``||g - g_fd|| / ||g_fd|| <= 1e-6``;
* a per-entry one, ``|g_k - g_fd_k| <= 1e-6 * max(|g_fd_k|, floor)`` with
  ``floor = 1e-2 * max(||g_fd||_inf, |L|)``.  Without a floor, entries that
  are (close to) zero -- dead ReLU units, weights of weakly used units --
  would be held to an absolute accuracy far below the finite-difference
  rounding noise of ~2e-10 |L|.  The floor makes the smallest absolute
  tolerance ``1e-8 * max(||g_fd||_inf, |L|)``, ~50x that noise, while any
  entry whose gradient is wrong by a millionth of its own size (or of 1% of
  the largest entry) is caught individually instead of being drowned in the
  global norm.

For the activations that are not smooth at 0 -- ReLU, leaky ReLU and SELU
(whose first derivative jumps there) and ELU (whose second derivative does,
which would leave an ``O(h)`` error) -- every hidden pre-activation is
checked to keep its sign under every ``+-h`` perturbation, so no finite
difference straddles the kink.  The other activations are analytic.

The check is shown not to be vacuous: gradients with a relative error of
1e-5, a single wrong entry, a missing L2 term or ignored sample weights all
fail the same criterion.
"""

import inspect
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from reference_activations import value as reference_activation
from sklearn.neural_network._base import ACTIVATIONS, LOSS_FUNCTIONS
from sklearn.preprocessing import LabelBinarizer

from skmlp import MLPClassifier, MLPRegressor
from skmlp._engine.activations import HIDDEN_ACTIVATIONS
from skmlp._engine.losses import LOSSES
from skmlp._engine.workspaces import Batch

STEP = 1e-6
RTOL = 1e-6
FLOOR_FRACTION = 1e-2
ALPHA = 0.3
N_SAMPLES = 30
N_FEATURES = 4

# (task, kernel loss name, number of outputs) for each loss / output setting.
LOSS_CASES = {
    "squared_error": ("regression", "squared_error", 1),
    "squared_error_multioutput": ("regression", "squared_error", 3),
    "poisson": ("poisson", "poisson", 1),
    "log_loss_multiclass": ("multiclass", "log_loss", 3),
    "binary_log_loss_binary": ("binary", "binary_log_loss", 1),
    "binary_log_loss_multilabel": ("multilabel", "binary_log_loss", 3),
}
# The kernel's loss value is scikit-learn's in every case. For multi-output
# squared error that value is the mean over outputs while the gradient, as
# scikit-learn's, is the one of the sum: its finite differences are taken of
# ``KernelLoss.objective``, the sum.
SKLEARN_LOSS_CASES = list(LOSS_CASES)

HIDDEN_LAYER_SIZES = {"no_hidden": (), "one_hidden": (5,), "two_hidden": (4, 3)}

# Activations with a kink at 0 (see the module docstring).
KINKED = ("relu", "leaky_relu", "elu", "selu")

# The hidden activation is unused without a hidden layer: test it once there.
NETWORKS = [
    (name, activation)
    for name, sizes in HIDDEN_LAYER_SIZES.items()
    for activation in (HIDDEN_ACTIVATIONS if sizes else ["identity"])
]


# ----------------------------------------------------------------------
# Data, estimators and the kernel wrapper


def make_problem(case, input_kind, weights, seed=0):
    """Small data for ``case``: X (dense or CSR, ~40% zeros), y, sample weights."""
    task, _, n_outputs = LOSS_CASES[case]
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    X[rng.uniform(size=X.shape) < 0.4] = 0.0
    score = X @ rng.normal(size=(N_FEATURES, n_outputs)) + 0.3 * rng.normal(
        size=(N_SAMPLES, n_outputs)
    )
    if task == "regression":
        y = score
    elif task == "poisson":
        y = rng.poisson(np.exp(0.5 * score)).astype(np.float64)  # contains zeros
    elif task == "multiclass":
        y = np.array(["a", "b", "c"])[np.argmax(score, axis=1)]
    else:  # binary (one column) or multilabel (three columns)
        y = (score > 0).astype(np.int64)
    if n_outputs == 1:
        y = y.ravel()
    if weights == "uniform":
        sample_weight = np.ones(N_SAMPLES)
    else:
        sample_weight = rng.uniform(0.2, 3.0, size=N_SAMPLES)
        sample_weight[::7] = 0.0  # zero weights must drop out of loss and gradient
    if input_kind == "sparse":
        X = sp.csr_matrix(X)
    return X, y, sample_weight


def make_estimator(case, hidden_layer_sizes, activation, random_state=0):
    task = LOSS_CASES[case][0]
    params = dict(
        hidden_layer_sizes=hidden_layer_sizes,
        activation=activation,
        # One epoch of SGD is a single step on 30 samples: the parameters are
        # scikit-learn's initialisation moved slightly, far from any stationary
        # point, so the gradient is large compared with finite-difference noise.
        solver="sgd",
        max_iter=1,
        alpha=ALPHA,
        random_state=random_state,
    )
    if task in ("regression", "poisson"):
        return MLPRegressor(loss="poisson" if task == "poisson" else "squared_error", **params)
    return MLPClassifier(**params)


def target_matrix(est, y):
    """The 2-D float64 target the kernel sees (one-hot / indicator for classifiers)."""
    if isinstance(est, MLPClassifier):
        Y = LabelBinarizer().fit(y).transform(y)
    else:
        Y = y.reshape(len(y), -1)
    return np.ascontiguousarray(Y, dtype=np.float64)


class KernelLoss:
    """``loss(params)`` and ``grad(params)`` of a fitted estimator's network.

    Evaluates ``skmlp._engine.network.loss_grad`` on fixed ``X``, ``Y`` and sample
    weights exactly as ``LbfgsTrainer`` does, at any flat parameter vector.
    """

    def __init__(self, est, X, Y, sample_weight):
        assert est._params.dtype == np.float64
        self.alpha = float(est.alpha)
        self.batch = Batch(est, X, Y, sample_weight)
        batch = self.batch
        self.inp, self.n, self.Y, self.sw = batch.inp, batch.n, batch.Y, batch.sw
        # One column per target (a model of several quantiles has more outputs).
        assert self.Y.shape == (self.n, est.n_outputs_)
        # How many times the value counts the data loss in the objective whose
        # gradient is computed: the squared error's value is a mean over outputs.
        self.outputs_averaged = self.Y.shape[1] if est._codes()[2] == LOSSES["squared_error"] else 1

    def value_and_grad(self, params):
        params = np.array(params, dtype=np.float64)
        # NaN-filled: every entry of the gradient must be written by the kernel.
        grads = np.full_like(params, np.nan)
        value = self.batch.loss_grad(params, grads, self.alpha, 0.0)
        return value, grads

    def loss(self, params):
        return self.value_and_grad(params)[0]

    def objective(self, params):
        """The function whose gradient ``grad`` is: ``loss``, with the data loss
        summed rather than averaged over the outputs of the squared error."""
        value = self.loss(params)
        if self.outputs_averaged == 1:
            return value
        grads = np.empty_like(params)
        data = self.batch.loss_grad(np.array(params, dtype=np.float64), grads, 0.0, 0.0)
        return value + (self.outputs_averaged - 1) * data

    def grad(self, params):
        return self.value_and_grad(params)[1]


def setup_case(case, hidden, activation, input_kind, weights, random_state=0):
    X, y, sample_weight = make_problem(case, input_kind, weights)
    est = make_estimator(case, HIDDEN_LAYER_SIZES[hidden], activation, random_state)
    est.fit(X, y, sample_weight=sample_weight)
    kernel = KernelLoss(est, X, target_matrix(est, y), sample_weight)
    return est, X, sample_weight, kernel


# ----------------------------------------------------------------------
# Independent reference: NumPy forward pass with scikit-learn's activations
# (and tests/reference_activations.py for those scikit-learn does not have)


def activate(name, Z):
    if name == "exp":  # poisson's output (scikit-learn has it from 1.7)
        return np.exp(Z, out=Z)
    if name in ACTIVATIONS:
        ACTIVATIONS[name](Z)  # in place
        return Z
    return reference_activation(name, Z)


def reference_forward(params, layout, X, activation, out_activation):
    """Return (output activations, list of hidden pre-activations)."""
    coefs, intercepts = layout.views(np.asarray(params, dtype=np.float64))
    A = X
    pre_activations = []
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = np.asarray(A @ W) + b
        last = i == len(coefs) - 1
        if not last:
            pre_activations.append(Z.copy())
        A = activate(out_activation if last else activation, Z)
    return A, pre_activations


def sign_pattern(params, layout, X, activation):
    _, pre = reference_forward(params, layout, X, activation, "identity")
    return np.concatenate([(z > 0).ravel() for z in pre])


# ----------------------------------------------------------------------
# Finite differences and the accuracy criterion


def finite_difference_gradient(loss, params, step=STEP):
    fd = np.empty_like(params)
    for k in range(params.size):
        up = params.copy()
        up[k] += step
        down = params.copy()
        down[k] -= step
        # Divide by the representable step actually taken.
        fd[k] = (loss(up) - loss(down)) / (up[k] - down[k])
    return fd


def entry_floor(fd, loss_value):
    """Smallest magnitude an entry is held to 1e-6 relative accuracy at."""
    return FLOOR_FRACTION * max(np.max(np.abs(fd)), abs(loss_value))


def gradient_errors(grad, fd, loss_value):
    """(global relative error, worst per-entry error relative to its tolerance scale)."""
    global_error = np.linalg.norm(grad - fd) / np.linalg.norm(fd)
    scale = np.maximum(np.abs(fd), entry_floor(fd, loss_value))
    entry_error = np.max(np.abs(grad - fd) / scale)
    return global_error, entry_error


def passes_gradient_check(grad, fd, loss_value):
    if not np.all(np.isfinite(grad)):
        return False
    global_error, entry_error = gradient_errors(grad, fd, loss_value)
    return global_error <= RTOL and entry_error <= RTOL


def kink_margin(params, layout, X, activation):
    """Smallest distance of a hidden pre-activation from the kink at 0."""
    _, pre = reference_forward(params, layout, X, activation, "identity")
    return min(np.min(np.abs(z)) for z in pre)


def setup_kink_free_case(case, hidden, activation, input_kind, weights, step=STEP):
    """``setup_case`` with the first ``random_state`` (from 0) whose network keeps
    every hidden pre-activation more than ``100 * step`` away from the kink."""
    for random_state in range(20):
        est, X, _, kernel = setup_case(case, hidden, activation, input_kind, weights, random_state)
        if kink_margin(est._params, est._layout, X, activation) > 100 * step:
            return est, X, kernel
    raise AssertionError("no random_state keeps the %s pre-activations off the kink" % activation)


def assert_kinks_not_crossed(params, layout, X, activation, step=STEP):
    """No hidden pre-activation changes sign under any +-step perturbation.

    Otherwise the loss is not (twice) differentiable inside the
    finite-difference stencil and the comparison is meaningless.
    """
    margin = kink_margin(params, layout, X, activation)
    assert margin > 100 * step, "a %s pre-activation is within %g of the kink" % (
        activation,
        margin,
    )
    pattern = sign_pattern(params, layout, X, activation)
    for k in range(params.size):
        for sign in (1.0, -1.0):
            moved = params.copy()
            moved[k] += sign * step
            assert np.array_equal(sign_pattern(moved, layout, X, activation), pattern)


# ----------------------------------------------------------------------
# Gradient checks


@pytest.mark.parametrize("weights", ["uniform", "nonuniform"])
@pytest.mark.parametrize("input_kind", ["dense", "sparse"])
@pytest.mark.parametrize("case", list(LOSS_CASES))
@pytest.mark.parametrize("hidden, activation", NETWORKS)
def test_gradient_matches_central_finite_differences(hidden, activation, case, input_kind, weights):
    if activation in KINKED and HIDDEN_LAYER_SIZES[hidden]:
        est, X, kernel = setup_kink_free_case(case, hidden, activation, input_kind, weights)
        assert_kinks_not_crossed(est._params, est._layout, X, activation)
    else:
        est, X, _, kernel = setup_case(case, hidden, activation, input_kind, weights)
    params = est._params.copy()
    assert params.dtype == np.float64

    value, grad = kernel.value_and_grad(params)
    fd = finite_difference_gradient(kernel.objective, params)

    assert np.all(np.isfinite(grad))
    # Only meaningful away from a stationary point.
    assert np.max(np.abs(fd)) > 1e-2 * abs(value)
    global_error, entry_error = gradient_errors(grad, fd, value)
    assert global_error <= RTOL, global_error
    assert entry_error <= RTOL, entry_error
    # ...and the same criterion is sharp enough to reject a 1e-5 relative error.
    assert not passes_gradient_check(grad * (1 + 10 * RTOL), fd, value)


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_cases_use_the_intended_kernel_loss(case):
    _, loss_name, n_outputs = LOSS_CASES[case]
    est, _, _, kernel = setup_case(case, "one_hidden", "tanh", "dense", "uniform")
    assert est._codes()[2] == LOSSES[loss_name]
    assert est.n_outputs_ == n_outputs == kernel.Y.shape[1]


def test_kernel_call_leaves_parameters_unchanged():
    est, _, _, kernel = setup_case("log_loss_multiclass", "two_hidden", "tanh", "dense", "uniform")
    params = est._params.copy()
    before = params.copy()
    kernel.value_and_grad(params)
    np.testing.assert_array_equal(params, before)


def test_kernel_loss_and_gradient_are_deterministic():
    est, _, _, kernel = setup_case(
        "binary_log_loss_multilabel", "two_hidden", "logistic", "sparse", "nonuniform"
    )
    value1, grad1 = kernel.value_and_grad(est._params)
    value2, grad2 = kernel.value_and_grad(est._params)
    assert value1 == value2
    np.testing.assert_array_equal(grad1, grad2)


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_sparse_and_dense_input_give_the_same_loss_and_gradient(case):
    est, X, sample_weight, sparse_kernel = setup_case(
        case, "two_hidden", "tanh", "sparse", "nonuniform"
    )
    dense_kernel = KernelLoss(est, X.toarray(), sparse_kernel.Y, sample_weight)
    sparse_value, sparse_grad = sparse_kernel.value_and_grad(est._params)
    dense_value, dense_grad = dense_kernel.value_and_grad(est._params)
    np.testing.assert_allclose(sparse_value, dense_value, rtol=1e-13)
    np.testing.assert_allclose(sparse_grad, dense_grad, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------
# The check is not vacuous


@pytest.fixture(scope="module")
def reference():
    """Analytic and finite-difference gradients of one weighted, regularised case."""
    est, _, _, kernel = setup_case(
        "log_loss_multiclass", "two_hidden", "tanh", "dense", "nonuniform"
    )
    params = est._params.copy()
    value, grad = kernel.value_and_grad(params)
    fd = finite_difference_gradient(kernel.loss, params)
    assert passes_gradient_check(grad, fd, value)
    return SimpleNamespace(est=est, kernel=kernel, params=params, value=value, grad=grad, fd=fd)


def test_gradient_check_rejects_a_relative_error_of_1e_5(reference):
    wrong = reference.grad * (1 + 10 * RTOL)
    assert not passes_gradient_check(wrong, reference.fd, reference.value)


def test_gradient_check_rejects_a_single_wrong_small_entry(reference):
    fd = reference.fd
    floor = entry_floor(fd, reference.value)
    k = np.argmin(np.abs(fd))
    assert abs(fd[k]) <= floor
    wrong = reference.grad.copy()
    # Wrong by 1e-5 of the floor: below the global criterion's resolution,
    # caught by the per-entry one.
    wrong[k] += 10 * RTOL * floor
    assert np.linalg.norm(wrong - fd) / np.linalg.norm(fd) < RTOL
    assert not passes_gradient_check(wrong, fd, reference.value)


def test_gradient_check_rejects_a_gradient_without_the_l2_term(reference):
    n_coefs = reference.est._layout.n_coefs
    wrong = reference.grad.copy()
    wrong[:n_coefs] -= ALPHA * reference.params[:n_coefs] / reference.kernel.sw.sum()
    assert not passes_gradient_check(wrong, reference.fd, reference.value)


def test_gradient_check_rejects_a_gradient_that_ignores_sample_weights(reference):
    kernel = reference.kernel
    unweighted = KernelLoss(reference.est, kernel.inp.dense, kernel.Y, np.ones(kernel.n))
    wrong = unweighted.grad(reference.params)
    assert not passes_gradient_check(wrong, reference.fd, reference.value)


# ----------------------------------------------------------------------
# The loss value is scikit-learn's


def sklearn_loss(loss_name, Y, P, sample_weight):
    """scikit-learn's weighted data loss (its loss functions take weights from 1.7)."""
    loss = LOSS_FUNCTIONS.get(loss_name)
    if loss is None:
        pytest.skip("scikit-learn has the %s loss from 1.7" % loss_name)
    if "sample_weight" in inspect.signature(loss).parameters:
        return loss(Y, P, sample_weight)
    if np.all(sample_weight == sample_weight[0]):  # the unweighted mean is the same
        return loss(Y, P)
    pytest.skip("the reference, scikit-learn's weighted losses, needs scikit-learn 1.7")


def sklearn_regularised_loss(est, params, X, Y, sample_weight, loss_name):
    P, _ = reference_forward(params, est._layout, X, est.activation, est.out_activation_)
    data_loss = sklearn_loss(loss_name, Y, P, sample_weight)
    coefs, _ = est._layout.views(params)
    l2 = sum(np.dot(W.ravel(), W.ravel()) for W in coefs)
    return data_loss, 0.5 * ALPHA * l2 / np.sum(sample_weight)


@pytest.mark.parametrize("weights", ["uniform", "nonuniform"])
@pytest.mark.parametrize("input_kind", ["dense", "sparse"])
@pytest.mark.parametrize("case", SKLEARN_LOSS_CASES)
@pytest.mark.parametrize("hidden, activation", NETWORKS)
def test_kernel_loss_equals_sklearn_loss_plus_l2_penalty(
    hidden, activation, case, input_kind, weights
):
    est, X, sample_weight, kernel = setup_case(case, hidden, activation, input_kind, weights)
    loss_name = LOSS_CASES[case][1]
    params = est._params.copy()
    data_loss, penalty = sklearn_regularised_loss(
        est, params, X, kernel.Y, sample_weight, loss_name
    )
    # The L2 term is 1e6 times the tolerance: a missing or misscaled one fails.
    assert penalty > 1e-6 * data_loss
    np.testing.assert_allclose(kernel.loss(params), data_loss + penalty, rtol=1e-12)


@pytest.mark.parametrize("input_kind", ["dense", "sparse"])
def test_multioutput_squared_error_gradient_is_the_one_of_the_sum_over_outputs(input_kind):
    """scikit-learn's update: the value is averaged over outputs, the gradient is not."""
    case = "squared_error_multioutput"
    est, X, sample_weight, kernel = setup_case(case, "one_hidden", "tanh", input_kind, "nonuniform")
    params = est._params.copy()
    data_loss, penalty = sklearn_regularised_loss(
        est, params, X, kernel.Y, sample_weight, "squared_error"
    )
    n_outputs = kernel.Y.shape[1]
    np.testing.assert_allclose(kernel.loss(params), data_loss + penalty, rtol=1e-12)
    np.testing.assert_allclose(
        kernel.objective(params), n_outputs * data_loss + penalty, rtol=1e-12
    )
    # The gradient is not the one of the value (the mean) ...
    fd_value = finite_difference_gradient(kernel.loss, params)
    assert not passes_gradient_check(kernel.grad(params), fd_value, kernel.loss(params))


def test_lbfgs_reported_loss_is_the_kernel_loss_at_the_solution():
    X, y, sample_weight = make_problem("binary_log_loss_binary", "dense", "nonuniform")
    est = make_estimator("binary_log_loss_binary", (5,), "logistic")
    est.set_params(solver="lbfgs", max_iter=50).fit(X, y, sample_weight=sample_weight)
    kernel = KernelLoss(est, X, target_matrix(est, y), sample_weight)
    np.testing.assert_allclose(est.loss_, kernel.loss(est._params), rtol=1e-12)


# ----------------------------------------------------------------------
# Label smoothing: the same kernels on soft targets


@pytest.mark.parametrize(
    "case", ["log_loss_multiclass", "binary_log_loss_binary", "binary_log_loss_multilabel"]
)
@pytest.mark.parametrize("input_kind", ["dense", "sparse"])
def test_label_smoothing_gradient_matches_finite_differences(case, input_kind):
    X, y, sample_weight = make_problem(case, input_kind, "nonuniform")
    est = make_estimator(case, (4, 3), "tanh").set_params(label_smoothing=0.2)
    est.fit(X, y, sample_weight=sample_weight)
    Y = est._training_targets(target_matrix(est, y))
    assert 0.0 < Y.min() and Y.max() < 1.0  # soft targets, as training sees them
    kernel = KernelLoss(est, X, Y, sample_weight)
    params = est._params.copy()
    value, grad = kernel.value_and_grad(params)
    fd = finite_difference_gradient(kernel.loss, params)
    assert np.max(np.abs(fd)) > 1e-2 * abs(value)
    global_error, entry_error = gradient_errors(grad, fd, value)
    assert global_error <= RTOL, global_error
    assert entry_error <= RTOL, entry_error
    # Not vacuous: the gradient of the hard targets fails at the same point.
    hard = KernelLoss(est, X, target_matrix(est, y), sample_weight)
    assert not passes_gradient_check(hard.grad(params), fd, value)


# ----------------------------------------------------------------------
# The pinball loss of quantile regression (kinked at a zero residual)


@pytest.mark.parametrize("quantile", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("input_kind", ["dense", "sparse"])
def test_quantile_loss_gradient_matches_finite_differences(quantile, input_kind):
    X, y, sample_weight = make_problem("squared_error_multioutput", input_kind, "nonuniform")
    est = make_estimator("squared_error_multioutput", (4, 3), "tanh")
    est.set_params(loss="quantile", quantile=quantile).fit(X, y, sample_weight=sample_weight)
    # Targets whose residuals stay at least 0.1 from the kink at 0, of both
    # signs, so that no finite difference straddles it.
    P, _ = reference_forward(est._params, est._layout, X, "tanh", "identity")
    rng = np.random.RandomState(1)
    residual = rng.uniform(0.1, 1.0, P.shape) * np.where(rng.uniform(size=P.shape) < 0.5, -1, 1)
    Y = np.ascontiguousarray(P - residual)
    kernel = KernelLoss(est, X, Y, sample_weight)
    assert kernel.batch.spec[3] == quantile  # the kernel gets the quantile
    params = est._params.copy()
    value, grad = kernel.value_and_grad(params)
    fd = finite_difference_gradient(kernel.loss, params)
    global_error, entry_error = gradient_errors(grad, fd, value)
    assert global_error <= RTOL, global_error
    assert entry_error <= RTOL, entry_error
    # The value is the pinball loss: q u for u = y - p >= 0, (q - 1) u otherwise.
    u = -residual
    pinball = np.where(u >= 0, quantile * u, (quantile - 1) * u).sum(axis=1)
    l2 = 0.5 * ALPHA * sum(np.sum(W**2) for W in est._layout.views(params)[0])
    expected = (np.sum(sample_weight * pinball) + l2) / sample_weight.sum()
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    # Not vacuous: another quantile's gradient fails at the same point.
    other = KernelLoss(est.set_params(quantile=1 - quantile + 0.05), X, Y, sample_weight)
    assert not passes_gradient_check(other.grad(params), fd, value)


@pytest.mark.parametrize("input_kind", ["dense", "sparse"])
def test_several_quantiles_loss_gradient_matches_finite_differences(input_kind):
    # Three quantiles of each target: three outputs per target, mapped to
    # increasing quantiles (q0 = z0, qj = q(j-1) + softplus(zj)) inside the loss.
    taus = np.array([0.1, 0.5, 0.9])
    X, y, sample_weight = make_problem("squared_error_multioutput", input_kind, "nonuniform")
    est = make_estimator("squared_error_multioutput", (4, 3), "tanh")
    est.set_params(loss="quantile", quantile=list(taus)).fit(X, y, sample_weight=sample_weight)
    n_targets = y.shape[1]
    assert n_targets > 1 and est._layout.units[-1] == n_targets * len(taus)
    Z, _ = reference_forward(est._params, est._layout, X, "tanh", "identity")
    n = X.shape[0]
    Z = Z.reshape(n, n_targets, 3)
    steps = np.concatenate([Z[..., :1], np.log1p(np.exp(Z[..., 1:]))], axis=2)
    Q = np.cumsum(steps, axis=2)
    # Targets at least 0.1 from every quantile of their group, so that no
    # finite difference straddles a kink: around a random quantile, retried.
    rng = np.random.RandomState(1)
    Y = np.empty((n, n_targets))
    for i in range(n):
        for t in range(n_targets):
            while True:
                candidate = Q[i, t, rng.randint(3)] + rng.uniform(-0.6, 0.6)
                if np.min(np.abs(Q[i, t] - candidate)) >= 0.1:
                    break
            Y[i, t] = candidate
    kernel = KernelLoss(est, X, Y, sample_weight)
    np.testing.assert_array_equal(kernel.batch.spec[3], taus)  # the kernel gets the quantiles
    params = est._params.copy()
    value, grad = kernel.value_and_grad(params)
    fd = finite_difference_gradient(kernel.loss, params)
    global_error, entry_error = gradient_errors(grad, fd, value)
    assert global_error <= RTOL, global_error
    assert entry_error <= RTOL, entry_error
    # The value is the sum of the quantiles' pinball losses.
    u = Y[:, :, None] - Q
    pinball = np.where(u >= 0, taus * u, (taus - 1) * u).sum(axis=(1, 2))
    l2 = 0.5 * ALPHA * sum(np.sum(W**2) for W in est._layout.views(params)[0])
    expected = (np.sum(sample_weight * pinball) + l2) / sample_weight.sum()
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    # Not vacuous: other quantiles' gradient fails at the same point.
    other = KernelLoss(est.set_params(quantile=[0.2, 0.5, 0.8]), X, Y, sample_weight)
    assert not passes_gradient_check(other.grad(params), fd, value)


def test_quantile_loss_subgradient_at_a_zero_residual_is_zero():
    from skmlp._engine.losses import loss_and_delta

    P = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -0.25]])
    Y = np.array([[0.5, -2.0, 3.0], [3.0, 1.0, -0.75]])  # residuals 0, 1, -1 / 0, -1, 0.5
    sw = np.array([1.0, 2.0])
    D = np.full_like(P, np.nan)
    q = 0.2
    value = loss_and_delta(LOSSES["quantile"], P, Y, sw, q, D)
    # Over-prediction costs (1 - q) per unit, under-prediction q.
    np.testing.assert_allclose(value, 1 * (0.8 + 0.2) + 2 * (0.2 + 0.8 * 0.5), rtol=1e-15)
    np.testing.assert_array_equal(D, [[0.0, 0.8, -0.2], [0.0, -0.4, 1.6]])


# ----------------------------------------------------------------------
# One activation per hidden layer


@pytest.mark.parametrize(
    "activations", [("tanh", "gelu", "logistic"), ("softplus", "silu", "mish")]
)
@pytest.mark.parametrize("input_kind", ["dense", "sparse"])
def test_per_layer_activations_gradient_matches_finite_differences(activations, input_kind):
    # Smooth activations only, so that no kink needs avoiding; pre-activation
    # ones and output-derivative ones mixed in one network.
    case = "log_loss_multiclass"
    X, y, sample_weight = make_problem(case, input_kind, "nonuniform")
    est = make_estimator(case, (4, 3, 3), list(activations))
    est.fit(X, y, sample_weight=sample_weight)
    kernel = KernelLoss(est, X, target_matrix(est, y), sample_weight)
    params = est._params.copy()
    value, grad = kernel.value_and_grad(params)
    fd = finite_difference_gradient(kernel.loss, params)
    global_error, entry_error = gradient_errors(grad, fd, value)
    assert global_error <= RTOL, global_error
    assert entry_error <= RTOL, entry_error
    # The loss is that of a NumPy forward pass with each layer's activation.
    coefs, intercepts = est._layout.views(params)
    A = X.toarray() if sp.issparse(X) else X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = A @ W + b
        A = activate(activations[i], Z) if i < len(activations) else activate("softmax", Z)
    data_loss = sklearn_loss("log_loss", kernel.Y, A, sample_weight)
    l2 = 0.5 * ALPHA * sum(np.sum(W**2) for W in coefs) / sample_weight.sum()
    np.testing.assert_allclose(value, data_loss + l2, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("variant", [0, 1, 2])
@pytest.mark.parametrize(
    "shape",
    [(5, 67, 4), (50, 67, 1), (1, 67, 40), (1, 1, 1), (1, 67, 1), (7, 0, 2), (0, 3, 2), (3, 2, 0)],
)
def test_the_engine_product_is_numbas_np_dot_to_the_bit(dtype, variant, shape):
    """The BLAS product the skeletons call (``_engine.blas.dot``): ``A @ B``, ``A.T @ B``
    and ``A @ B.T`` in both dtypes equal Numba's ``np.dot`` bit for bit (which the
    engine used before, and which picks gemv or dot for a result of one row or
    one column), and NumPy's product to rounding; empty inner dimensions give zeros."""
    import numba

    from skmlp._engine.blas import dot

    @numba.njit
    def product(A, B, out, variant):
        dot(A, B, out, variant)

    @numba.njit
    def numba_dot(A, B, out):
        np.dot(A, B, out)

    m, k, n = shape
    rng = np.random.default_rng(0)
    A = rng.standard_normal((k, m) if variant == 1 else (m, k)).astype(dtype)
    B = rng.standard_normal((n, k) if variant == 2 else (k, n)).astype(dtype)
    left, right = (A.T if variant == 1 else A), (B.T if variant == 2 else B)
    out = np.full((m, n), np.nan, dtype=dtype)
    product(A, B, out, variant)
    reference = np.full((m, n), np.nan, dtype=dtype)
    numba_dot(left, right, reference)
    np.testing.assert_array_equal(out, reference)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, left @ right, rtol=rtol, atol=rtol)
