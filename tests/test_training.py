"""Training semantics of skmlp's estimators, specified against scikit-learn.

skmlp draws initial weights, minibatch shuffles and the early-stopping split
from the same ``RandomState`` stream, in the same order, as scikit-learn.  With
the same parameters and float64 data both estimators therefore follow the same
trajectory up to floating-point rounding, so most tests fit both and compare
with a tight relative tolerance (``RTOL``).
"""

import inspect
import re
import warnings
from functools import lru_cache

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neural_network as sknn
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer, StandardScaler

import skmlp
from skmlp._training.stochastic import StochasticTrainer

# scikit-learn's MLP estimators take sample_weight and MLPRegressor(loss=) from
# scikit-learn 1.7 on: the comparisons that use them need it.
needs_sklearn_1_7 = pytest.mark.skipif(
    "sample_weight" not in inspect.signature(sknn.MLPClassifier.fit).parameters,
    reason="scikit-learn < 1.7's MLP has no sample_weight or loss=",
)

# A few epochs of float64 arithmetic in a different order (fused kernels and
# BLAS calls on a flat buffer instead of NumPy on lists of arrays) differ by a
# few ulps; 1e-10 relative is far above that and far below any real
# difference in the update rules.  ATOL only covers entries that are ~0.
RTOL = 1e-10
ATOL = 1e-12


# ----------------------------------------------------------------------------
# Data


def _standardize(X):
    return StandardScaler().fit_transform(X)


@lru_cache
def digits():
    """Multiclass (10 classes), 200 x 64."""
    X, y = load_digits(return_X_y=True)
    return _standardize(X[:200]), y[:200]


@lru_cache
def iris():
    """Multiclass (3 classes), 150 x 4."""
    X, y = load_iris(return_X_y=True)
    return _standardize(X), y


@lru_cache
def breast_cancer():
    """Binary, 200 x 30."""
    X, y = load_breast_cancer(return_X_y=True)
    return _standardize(X[:200]), y[:200]


@lru_cache
def multilabel():
    """Multilabel indicator targets (3 labels), 150 x 10."""
    X, y = make_classification(n_samples=150, n_features=10, n_informative=6, random_state=0)
    Y = np.column_stack([y, (X[:, 0] > 0).astype(int), (X[:, 1] + X[:, 2] > 0).astype(int)])
    return _standardize(X), Y


@lru_cache
def diabetes():
    """Single-output regression, 200 x 10, standardised target."""
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:200], y[:200]
    return _standardize(X), (y - y.mean()) / y.std()


@lru_cache
def multi_output_regression():
    """Three-output regression, 150 x 8, standardised targets."""
    X, Y = make_regression(n_samples=150, n_features=8, n_targets=3, noise=1.0, random_state=0)
    return _standardize(X), _standardize(Y)


def poisson_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 5))
    y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1]))
    return X, y.astype(float)


TASKS = {
    "multiclass": (skmlp.MLPClassifier, sknn.MLPClassifier, digits),
    "binary": (skmlp.MLPClassifier, sknn.MLPClassifier, breast_cancer),
    "multilabel": (skmlp.MLPClassifier, sknn.MLPClassifier, multilabel),
    "regression": (skmlp.MLPRegressor, sknn.MLPRegressor, diabetes),
}


def pair(task, **params):
    """(skmlp estimator, scikit-learn estimator, X, y) for a task, same params."""
    ours, theirs, data = TASKS[task]
    X, y = data()
    return ours(**params), theirs(**params), X, y


# ----------------------------------------------------------------------------
# Assertions


def assert_same_parameters(ours, ref, rtol=RTOL, atol=ATOL):
    assert len(ours.coefs_) == len(ref.coefs_)
    for a, b in zip(ours.coefs_, ref.coefs_):
        assert a.shape == b.shape
        assert_allclose(a, b, rtol=rtol, atol=atol)
    for a, b in zip(ours.intercepts_, ref.intercepts_):
        assert a.shape == b.shape
        assert_allclose(a, b, rtol=rtol, atol=atol)


def assert_same_fit(ours, ref, rtol=RTOL, atol=ATOL):
    """Same parameters, loss, loss curve and iteration count as ``ref``."""
    assert_same_parameters(ours, ref, rtol=rtol, atol=atol)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.t_ == ref.t_
    assert_allclose(ours.loss_, ref.loss_, rtol=rtol)
    if hasattr(ref, "loss_curve_"):
        assert len(ours.loss_curve_) == len(ref.loss_curve_)
        assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=rtol)


def initial_parameters(est_class, X, y, **params):
    """The parameters an estimator starts from.

    SGD without momentum and with a learning rate of 1e-300 moves no weight
    by even one ulp in one epoch, so the fitted parameters are the initial ones.
    """
    params = dict(params, solver="sgd", momentum=0.0, learning_rate_init=1e-300, max_iter=1)
    est = est_class(**params).fit(X, y)
    return [c.copy() for c in est.coefs_], [b.copy() for b in est.intercepts_]


def glorot_draws(random_state, layer_units, activation):
    """scikit-learn's Glorot-uniform draws: per layer, weights then biases."""
    rng = np.random.RandomState(random_state)
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rng.uniform(-bound, bound, fan_out))
    return coefs, intercepts, rng


SMALL = dict(hidden_layer_sizes=(8,), random_state=0, batch_size=50, max_iter=5)


# ----------------------------------------------------------------------------
# Initialisation


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_initial_weights_are_sklearns_glorot_uniform_draws(activation):
    X, y = iris()
    hidden = (7, 5)
    coefs, intercepts = initial_parameters(
        skmlp.MLPClassifier, X, y, hidden_layer_sizes=hidden, activation=activation, random_state=3
    )
    expected_coefs, expected_intercepts, _ = glorot_draws(3, [4, *hidden, 3], activation)
    for a, b in zip(coefs + intercepts, expected_coefs + expected_intercepts):
        assert_array_equal(a, b)


@pytest.mark.parametrize("activation", ["logistic", "relu"])
def test_initial_weights_lie_within_glorot_bound(activation):
    X, y = digits()
    coefs, intercepts = initial_parameters(
        skmlp.MLPClassifier, X, y, hidden_layer_sizes=(40,), activation=activation, random_state=0
    )
    factor = 2.0 if activation == "logistic" else 6.0
    for coef, intercept in zip(coefs, intercepts):
        bound = np.sqrt(factor / sum(coef.shape))
        assert np.abs(coef).max() <= bound
        assert np.abs(intercept).max() <= bound
        # The draws fill the interval: a wrong factor would be detected.
        assert np.abs(coef).max() > 0.9 * bound


def test_initial_weights_equal_sklearns_for_the_same_random_state():
    X, y = diabetes()
    params = dict(hidden_layer_sizes=(6, 4), random_state=12)
    ours = initial_parameters(skmlp.MLPRegressor, X, y, **params)
    ref = initial_parameters(sknn.MLPRegressor, X, y, **params)
    for a, b in zip(ours[0] + ours[1], ref[0] + ref[1]):
        assert_array_equal(a, b)


# ----------------------------------------------------------------------------
# Stochastic optimizers: same trajectory as scikit-learn


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("task", ["multiclass", "binary", "multilabel", "regression"])
def test_adam_trajectory_matches_sklearn(task, shuffle):
    ours, ref, X, y = pair(task, solver="adam", learning_rate_init=0.01, shuffle=shuffle, **SMALL)
    assert_same_fit(ours.fit(X, y), ref.fit(X, y))
    assert ours._optimizer_t == ref._optimizer.t


@pytest.mark.parametrize("nesterovs_momentum", [True, False])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_sgd_with_momentum_trajectory_matches_sklearn(task, shuffle, nesterovs_momentum):
    ours, ref, X, y = pair(
        task,
        solver="sgd",
        learning_rate_init=0.05,
        momentum=0.8,
        nesterovs_momentum=nesterovs_momentum,
        shuffle=shuffle,
        **SMALL,
    )
    assert_same_fit(ours.fit(X, y), ref.fit(X, y))


def test_nesterov_and_classical_momentum_give_different_trajectories():
    X, y = digits()
    params = dict(solver="sgd", learning_rate_init=0.05, momentum=0.8, **SMALL)
    nesterov = skmlp.MLPClassifier(nesterovs_momentum=True, **params).fit(X, y)
    classical = skmlp.MLPClassifier(nesterovs_momentum=False, **params).fit(X, y)
    assert not np.allclose(nesterov.coefs_[0], classical.coefs_[0], rtol=1e-6, atol=0)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_sgd_without_momentum_trajectory_matches_sklearn(task, shuffle):
    ours, ref, X, y = pair(
        task, solver="sgd", learning_rate_init=0.05, momentum=0.0, shuffle=shuffle, **SMALL
    )
    assert_same_fit(ours.fit(X, y), ref.fit(X, y))


def test_sgd_without_momentum_takes_plain_gradient_steps():
    # One full-batch step from w0 with rate lr: w1 = w0 - lr * grad(w0).  The
    # gradient is recovered from the step of a tiny rate (first order exact).
    X, y = iris()
    params = dict(hidden_layer_sizes=(5,), random_state=0, solver="sgd", momentum=0.0)
    params.update(batch_size=X.shape[0], max_iter=1, shuffle=False)
    w0 = skmlp.MLPClassifier(learning_rate_init=1e-300, **params).fit(X, y)._params.copy()
    w_small = skmlp.MLPClassifier(learning_rate_init=1e-6, **params).fit(X, y)._params
    w_big = skmlp.MLPClassifier(learning_rate_init=0.5, **params).fit(X, y)._params
    grad = (w0 - w_small) / 1e-6
    assert_allclose(w_big, w0 - 0.5 * grad, rtol=0, atol=1e-8)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_deep_network_trajectory_matches_sklearn_for_every_activation(activation):
    ours, ref, X, y = pair(
        "multiclass",
        solver="adam",
        activation=activation,
        learning_rate_init=0.01,
        hidden_layer_sizes=(10, 6, 4),
        random_state=1,
        batch_size=40,
        max_iter=4,
    )
    assert_same_fit(ours.fit(X, y), ref.fit(X, y))


@needs_sklearn_1_7
def test_poisson_regression_trajectory_matches_sklearn():
    X, y = poisson_data()
    params = dict(loss="poisson", solver="adam", learning_rate_init=0.01, **SMALL)
    ours = skmlp.MLPRegressor(**params).fit(X, y)
    ref = sknn.MLPRegressor(**params).fit(X, y)
    assert_same_fit(ours, ref)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_sparse_input_trains_like_dense_input(solver):
    X, y = digits()
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    params = dict(solver=solver, learning_rate_init=0.01, **SMALL)
    dense = skmlp.MLPClassifier(**params).fit(X, y)
    sparse = skmlp.MLPClassifier(**params).fit(sp.csr_matrix(X), y)
    assert_same_fit(sparse, dense)


def test_batch_size_larger_than_n_samples_is_clipped_with_warning():
    ours, ref, X, y = pair(
        "regression",
        solver="sgd",
        hidden_layer_sizes=(5,),
        random_state=0,
        batch_size=1000,
        max_iter=3,
    )
    with pytest.warns(UserWarning, match="clipped"):
        ours.fit(X, y)
    with pytest.warns(UserWarning, match="clipped"):
        ref.fit(X, y)
    assert_same_fit(ours, ref)
    # one batch per epoch
    assert ours._optimizer_t == 3


def test_loss_curve_has_one_entry_per_epoch_and_t_counts_samples():
    X, y = digits()
    est = skmlp.MLPClassifier(solver="adam", **SMALL).fit(X, y)
    assert len(est.loss_curve_) == est.n_iter_ == 5
    assert est.loss_ == est.loss_curve_[-1]
    assert est.t_ == 5 * X.shape[0]
    # Adam takes one step per minibatch: 200 samples in batches of 50.
    assert est._optimizer_t == 5 * 4


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_multioutput_regression_trajectory_and_loss_match_sklearn(solver):
    # scikit-learn reports the squared error averaged over outputs while
    # following the gradient of the sum (and gives L-BFGS both): so does skmlp.
    X, Y = multi_output_regression()
    params = dict(solver=solver, learning_rate_init=0.01, alpha=1e-3, **SMALL)
    ours = skmlp.MLPRegressor(**params).fit(X, Y)
    ref = sknn.MLPRegressor(**params).fit(X, Y)
    assert_same_fit(ours, ref)


# ----------------------------------------------------------------------------
# Learning-rate schedules (sgd)


def test_constant_learning_rate_stays_at_learning_rate_init():
    ours, ref, X, y = pair(
        "multiclass", solver="sgd", learning_rate="constant", learning_rate_init=0.02, **SMALL
    )
    ours.fit(X, y)
    assert ours._learning_rate == 0.02
    assert_same_fit(ours, ref.fit(X, y))


def test_invscaling_learning_rate_after_each_epoch():
    X, y = digits()
    params = dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5, power_t=0.3)
    est = skmlp.MLPClassifier(**params, **SMALL)
    n = X.shape[0]
    for epoch in range(1, 4):
        est.partial_fit(X, y, classes=np.unique(y))
        assert est.t_ == epoch * n
        assert_allclose(est._learning_rate, 0.5 / (epoch * n + 1) ** 0.3, rtol=1e-15)


def test_invscaling_trajectory_matches_sklearn():
    ours, ref, X, y = pair(
        "regression",
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=0.5,
        power_t=0.25,
        **SMALL,
    )
    ours.fit(X, y)
    ref.fit(X, y)
    assert_same_fit(ours, ref)
    assert_allclose(ours._learning_rate, ref._optimizer.learning_rate, rtol=1e-15)
    assert_allclose(ours._learning_rate, 0.5 / (ours.t_ + 1) ** 0.25, rtol=1e-15)


def test_adaptive_learning_rate_is_divided_by_5_and_training_continues():
    # With tol=10 no epoch improves by tol; the counter passes
    # n_iter_no_change=2 at epochs 4, 7 and 10, each time dividing the rate by 5.
    X, y = digits()
    params = dict(solver="sgd", learning_rate_init=0.1, tol=10.0, n_iter_no_change=2)
    params.update(hidden_layer_sizes=(8,), random_state=0, batch_size=50, max_iter=10)
    adaptive = skmlp.MLPClassifier(learning_rate="adaptive", **params)
    with pytest.warns(ConvergenceWarning):
        adaptive.fit(X, y)
    assert adaptive.n_iter_ == 10
    assert_allclose(adaptive._learning_rate, 0.1 / 5**3, rtol=1e-15)
    constant = skmlp.MLPClassifier(learning_rate="constant", **params).fit(X, y)
    assert constant.n_iter_ == 4


def test_adaptive_learning_rate_trajectory_matches_sklearn():
    ours, ref, X, y = pair(
        "multiclass",
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.2,
        tol=0.05,
        n_iter_no_change=1,
        hidden_layer_sizes=(8,),
        random_state=0,
        batch_size=50,
        max_iter=15,
    )
    ours.fit(X, y)
    ref.fit(X, y)
    assert_same_fit(ours, ref)
    assert_allclose(ours._learning_rate, ref._optimizer.learning_rate, rtol=1e-15)
    assert ours._learning_rate < 0.2  # the schedule did act


def test_adaptive_learning_rate_stops_once_rate_is_too_small():
    ours, ref, X, y = pair(
        "regression",
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=1e-5,
        tol=10.0,
        n_iter_no_change=1,
        hidden_layer_sizes=(4,),
        random_state=0,
        max_iter=50,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours.fit(X, y)
    ref.fit(X, y)
    # 1e-5 -> 2e-6 -> 4e-7 <= 1e-6: stop at the third trigger (epochs 3, 5, 7).
    assert ours.n_iter_ == 7
    assert_allclose(ours._learning_rate, 4e-7, rtol=1e-12)
    assert_same_fit(ours, ref)


# ----------------------------------------------------------------------------
# L2 penalty


@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_l2_penalty_loss_matches_sklearn(solver):
    ours, ref, X, y = pair(
        "binary", solver=solver, alpha=1.0, learning_rate_init=0.01, **dict(SMALL, max_iter=8)
    )
    assert_same_fit(ours.fit(X, y), ref.fit(X, y))


@pytest.mark.parametrize("with_weights", [False, True])
def test_l2_penalty_is_divided_by_the_batch_weight_sum(with_weights):
    # The first epoch's loss of a full-batch fit is the loss at the initial
    # weights W0, so loss(alpha) - loss(0) = alpha / 2 * ||W0||^2 / sum(sw).
    X, y = iris()
    n = X.shape[0]
    sw = np.random.RandomState(0).uniform(0.5, 3.0, n) if with_weights else None
    params = dict(hidden_layer_sizes=(6,), random_state=0, solver="sgd", batch_size=n, max_iter=1)
    fits = {
        alpha: skmlp.MLPClassifier(alpha=alpha, **params).fit(X, y, sample_weight=sw)
        for alpha in (0.0, 2.0)
    }
    coefs0, _ = initial_parameters(
        skmlp.MLPClassifier, X, y, hidden_layer_sizes=(6,), random_state=0
    )
    squared_norm = sum(float((c**2).sum()) for c in coefs0)
    weight_sum = n if sw is None else sw.sum()
    penalty = fits[2.0].loss_curve_[0] - fits[0.0].loss_curve_[0]
    assert_allclose(penalty, 0.5 * 2.0 * squared_norm / weight_sum, rtol=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_scaling_sample_weights_by_c_equals_dividing_alpha_by_c(solver):
    # The data term is normalised by the weight sum, the L2 term is divided by
    # it: weights c * sw with alpha fit exactly like weights sw with alpha / c.
    # c is a power of two so the scaling itself is exact in floating point.
    X, y = diabetes()
    sw = np.random.RandomState(1).uniform(0.1, 2.0, X.shape[0])
    params = dict(solver=solver, learning_rate_init=0.01, **SMALL)
    scaled = skmlp.MLPRegressor(alpha=0.5, **params).fit(X, y, sample_weight=4.0 * sw)
    reference = skmlp.MLPRegressor(alpha=0.5 / 4.0, **params).fit(X, y, sample_weight=sw)
    assert_same_parameters(scaled, reference, rtol=1e-12, atol=1e-14)


def test_scaling_sample_weights_without_penalty_changes_nothing():
    X, y = iris()
    sw = np.random.RandomState(2).uniform(0.1, 2.0, X.shape[0])
    params = dict(solver="lbfgs", alpha=0.0, hidden_layer_sizes=(5,), random_state=0, max_iter=30)
    a = skmlp.MLPClassifier(**params).fit(X, y, sample_weight=sw)
    b = skmlp.MLPClassifier(**params).fit(X, y, sample_weight=8.0 * sw)
    assert_same_parameters(a, b, rtol=1e-12, atol=1e-14)
    assert_allclose(a.loss_, b.loss_, rtol=1e-12)


def test_scaling_sample_weights_with_penalty_changes_the_fit():
    X, y = iris()
    params = dict(solver="lbfgs", alpha=1.0, hidden_layer_sizes=(5,), random_state=0, max_iter=30)
    sw = np.ones(X.shape[0])
    a = skmlp.MLPClassifier(**params).fit(X, y, sample_weight=sw)
    b = skmlp.MLPClassifier(**params).fit(X, y, sample_weight=8.0 * sw)
    assert not np.allclose(a.coefs_[0], b.coefs_[0], rtol=1e-6)


def test_integer_sample_weights_equal_repeating_samples_lbfgs():
    X, y = iris()
    counts = np.random.RandomState(0).randint(1, 4, X.shape[0])
    params = dict(solver="lbfgs", alpha=0.1, hidden_layer_sizes=(5,), random_state=0, max_iter=15)
    weighted = skmlp.MLPClassifier(**params).fit(X, y, sample_weight=counts)
    repeated = skmlp.MLPClassifier(**params).fit(np.repeat(X, counts, 0), np.repeat(y, counts))
    assert_same_parameters(weighted, repeated, rtol=1e-9, atol=1e-11)
    assert_allclose(weighted.loss_, repeated.loss_, rtol=1e-9)


# ----------------------------------------------------------------------------
# Sample weights


@needs_sklearn_1_7
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("task", ["multiclass", "binary", "regression"])
def test_sample_weighted_fit_matches_sklearn(task, solver):
    ours, ref, X, y = pair(task, solver=solver, learning_rate_init=0.01, **SMALL)
    sw = np.random.RandomState(3).uniform(0.0, 3.0, X.shape[0])
    assert_same_fit(ours.fit(X, y, sample_weight=sw), ref.fit(X, y, sample_weight=sw))


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_zero_sample_weight_equals_dropping_the_sample_lbfgs(task):
    ours, _, X, y = pair(task, solver="lbfgs", hidden_layer_sizes=(6,), random_state=0)
    ours.set_params(max_iter=20)
    sw = np.ones(X.shape[0])
    dropped = np.arange(0, X.shape[0], 7)
    sw[dropped] = 0.0
    keep = sw > 0
    if task == "multiclass":
        assert np.array_equal(np.unique(y[keep]), np.unique(y))
    weighted = ours.fit(X, y, sample_weight=sw)
    reduced = type(ours)(**ours.get_params()).fit(X[keep], y[keep])
    assert_same_parameters(weighted, reduced, rtol=1e-9, atol=1e-11)
    assert_allclose(weighted.loss_, reduced.loss_, rtol=1e-9)


def test_minibatch_of_only_zero_weights_is_skipped():
    # skmlp's documented rule (scikit-learn would divide by a zero weight sum):
    # a minibatch whose weights sum to zero takes no optimizer step and adds
    # nothing to the epoch's loss sum, which is still divided by all samples.
    X, y = diabetes()
    n, skipped = X.shape[0], 20
    sw = np.ones(n)
    sw[:skipped] = 0.0
    params = dict(solver="adam", hidden_layer_sizes=(6,), random_state=0, shuffle=False)
    params.update(batch_size=skipped, max_iter=3, learning_rate_init=0.01)
    weighted = skmlp.MLPRegressor(**params).fit(X, y, sample_weight=sw)
    reduced = skmlp.MLPRegressor(**params).fit(X[skipped:], y[skipped:])
    assert_same_parameters(weighted, reduced, rtol=1e-12, atol=1e-14)
    assert weighted._optimizer_t == reduced._optimizer_t == 3 * (n // skipped - 1)
    assert_allclose(
        np.multiply(weighted.loss_curve_, n),
        np.multiply(reduced.loss_curve_, n - skipped),
        rtol=1e-12,
    )


# ----------------------------------------------------------------------------
# Stopping on a training-loss plateau (tol / n_iter_no_change)


def test_training_stops_when_loss_does_not_improve_by_tol():
    # With tol=10 no epoch improves by tol: the count exceeds n_iter_no_change
    # after n_iter_no_change + 2 epochs.
    ours, ref, X, y = pair(
        "multiclass",
        solver="adam",
        tol=10.0,
        n_iter_no_change=3,
        hidden_layer_sizes=(8,),
        random_state=0,
        max_iter=50,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours.fit(X, y)
    assert ours.n_iter_ == 5
    assert_same_fit(ours, ref.fit(X, y))


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_plateau_stopping_iteration_matches_sklearn(solver):
    ours, ref, X, y = pair(
        "regression",
        solver=solver,
        tol=1e-3,
        n_iter_no_change=2,
        learning_rate_init=0.01,
        hidden_layer_sizes=(8,),
        random_state=0,
        batch_size=50,
        max_iter=300,
    )
    ours.fit(X, y)
    ref.fit(X, y)
    assert ours.n_iter_ < 300
    assert_same_fit(ours, ref)
    assert ours.best_loss_ == min(ours.loss_curve_)


def test_infinite_n_iter_no_change_never_stops_early():
    X, y = iris()
    params = dict(hidden_layer_sizes=(4,), random_state=0, tol=10.0, max_iter=15)
    est = skmlp.MLPClassifier(n_iter_no_change=np.inf, **params)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        est.fit(X, y)
    assert est.n_iter_ == 15
    assert skmlp.MLPClassifier(n_iter_no_change=10, **params).fit(X, y).n_iter_ == 12


# ----------------------------------------------------------------------------
# ConvergenceWarning


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_stochastic_solver_warns_when_reaching_max_iter(solver):
    X, y = diabetes()
    est = skmlp.MLPRegressor(solver=solver, hidden_layer_sizes=(4,), random_state=0, max_iter=3)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        est.fit(X, y)
    assert est.n_iter_ == 3


def test_partial_fit_does_not_warn_about_max_iter():
    X, y = diabetes()
    est = skmlp.MLPRegressor(hidden_layer_sizes=(4,), random_state=0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.partial_fit(X, y)
        est.partial_fit(X, y)


def test_lbfgs_warns_when_reaching_max_iter():
    X, y = digits()
    est = skmlp.MLPClassifier(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0, max_iter=5)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est.fit(X, y)
    assert est.n_iter_ == 5


def test_lbfgs_warns_and_bounds_iterations_when_reaching_max_fun():
    X, y = digits()
    params = dict(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0, max_iter=200, max_fun=10)
    ours = skmlp.MLPClassifier(**params)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        ours.fit(X, y)
    assert 1 <= ours.n_iter_ <= 10
    ref = sknn.MLPClassifier(**params).fit(X, y)
    assert_same_fit(ours, ref)


# ----------------------------------------------------------------------------
# Early stopping


@pytest.mark.parametrize("task", ["binary", "multilabel", "regression"])
def test_early_stopping_validation_scores_match_sklearn(task):
    ours, ref, X, y = pair(
        task,
        solver="adam",
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=2,
        learning_rate_init=0.01,
        hidden_layer_sizes=(8,),
        random_state=0,
        batch_size=50,
        max_iter=30,
    )
    ours.fit(X, y)
    ref.fit(X, y)
    assert len(ours.validation_scores_) == ours.n_iter_
    assert_allclose(ours.validation_scores_, ref.validation_scores_, rtol=RTOL)
    assert_allclose(ours.best_validation_score_, ref.best_validation_score_, rtol=RTOL)
    assert ours.best_loss_ is None
    assert_same_fit(ours, ref)


def _validation_split(X, y, random_state, layer_units, activation="relu", stratify=None):
    """The split early stopping uses: drawn after the initial weights."""
    *_, rng = glorot_draws(random_state, layer_units, activation)
    return train_test_split(X, y, random_state=rng, test_size=0.2, stratify=stratify)


def test_early_stopping_restores_weights_of_the_best_validation_epoch():
    X, y = diabetes()
    est = skmlp.MLPRegressor(
        solver="adam",
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=3,
        learning_rate_init=0.05,
        hidden_layer_sizes=(16,),
        random_state=0,
        batch_size=20,
        max_iter=100,
    ).fit(X, y)
    scores = est.validation_scores_
    assert est.n_iter_ < 100
    best = int(np.argmax(scores))
    assert best < len(scores) - 1  # later epochs were worse: restoring matters
    assert est.best_validation_score_ == scores[best]
    _, X_val, _, y_val = _validation_split(X, y, 0, [10, 16, 1])
    assert_allclose(est.score(X_val, y_val), est.best_validation_score_, rtol=1e-12)
    # The same model stopped right at the best epoch has the same weights.
    at_best = skmlp.MLPRegressor(**dict(est.get_params(), max_iter=best + 1)).fit(X, y)
    assert_array_equal(at_best._params, est._params)


def test_early_stopping_validation_split_is_stratified_for_classification():
    X, y = breast_cancer()
    est = skmlp.MLPClassifier(
        solver="adam",
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=2,
        hidden_layer_sizes=(4,),
        random_state=0,
        max_iter=6,
    ).fit(X, y)
    # Stratified on the binarised labels, with the generator advanced past the
    # weight draws.  (As in scikit-learn, only single-output targets are
    # stratified, and n_outputs_ counts binarised columns: a multiclass target
    # has one column per class and is split without stratification.)
    Y = LabelBinarizer().fit_transform(y)
    _, X_val, _, y_val = _validation_split(X, y, 0, [30, 4, 1], stratify=Y)
    assert_allclose(est.score(X_val, y_val), est.best_validation_score_, rtol=1e-12)
    # (and that split does keep the class proportions)
    assert np.bincount(y_val).tolist() == [np.round(0.2 * c) for c in np.bincount(y)]


@pytest.mark.parametrize("stratify_multiclass", [False, True])
def test_early_stopping_validation_split_is_stratified_for_multiclass_on_request(
    stratify_multiclass,
):
    # scikit-learn splits multiclass targets without stratification (its test
    # is n_outputs_ == 1 on the binarised target), although both projects
    # document a stratified split; stratify_multiclass=True stratifies them.
    X, y = digits()
    est = skmlp.MLPClassifier(
        stratify_multiclass=stratify_multiclass,
        early_stopping=True,
        validation_fraction=0.2,
        hidden_layer_sizes=(8,),
        random_state=0,
        max_iter=3,
    ).fit(X, y)
    stratify = y if stratify_multiclass else None
    _, X_val, _, y_val = _validation_split(X, y, 0, [64, 8, 10], stratify=stratify)
    assert_allclose(est.score(X_val, y_val), est.best_validation_score_, rtol=1e-12)
    counts = np.bincount(y_val, minlength=10)
    expected = 0.2 * np.bincount(y)
    # Stratified: every class within one sample of its share; not stratified,
    # this split misses it by more for some class.
    assert np.all(np.abs(counts - expected) <= 1) == stratify_multiclass


def test_early_stopping_with_too_small_validation_set_raises():
    X, y = diabetes()
    est = skmlp.MLPRegressor(early_stopping=True, validation_fraction=0.1, random_state=0)
    with pytest.raises(ValueError, match="validation set is too small"):
        est.fit(X[:10], y[:10])


def test_early_stopping_classifier_with_a_one_sample_validation_set_raises():
    X, y = iris()
    idx = np.r_[0:10, 50:60]
    for est in (skmlp.MLPClassifier, sknn.MLPClassifier):
        with pytest.raises(ValueError):
            est(early_stopping=True, validation_fraction=0.05, random_state=0).fit(X[idx], y[idx])


@pytest.mark.parametrize("est_class", [skmlp.MLPClassifier, skmlp.MLPRegressor])
def test_partial_fit_with_early_stopping_raises(est_class):
    X, y = iris()
    est = est_class(early_stopping=True)
    kwargs = {"classes": np.unique(y)} if est_class is skmlp.MLPClassifier else {}
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        est.partial_fit(X, y, **kwargs)


@needs_sklearn_1_7
def test_early_stopping_with_sample_weight_matches_sklearn():
    # binary: the task whose (stratified) split is the same in both libraries
    ours, ref, X, y = pair(
        "binary",
        solver="sgd",
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=2,
        learning_rate_init=0.05,
        hidden_layer_sizes=(8,),
        random_state=0,
        batch_size=50,
        max_iter=20,
    )
    sw = np.random.RandomState(0).uniform(0.2, 2.0, X.shape[0])
    ours.fit(X, y, sample_weight=sw)
    ref.fit(X, y, sample_weight=sw)
    assert_allclose(ours.validation_scores_, ref.validation_scores_, rtol=RTOL)
    assert_same_fit(ours, ref)


# ----------------------------------------------------------------------------
# warm_start


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_warm_start_fit_continues_from_previous_weights(task, solver):
    ours, ref, X, y = pair(
        task,
        solver=solver,
        warm_start=True,
        learning_rate_init=0.01,
        **dict(SMALL, max_iter=1),
    )
    fresh = type(ours)(**ours.get_params()).fit(X, y)
    for _ in range(3):
        ours.fit(X, y)
        ref.fit(X, y)
    assert not np.allclose(ours.coefs_[0], fresh.coefs_[0], rtol=1e-6)
    assert_same_parameters(ours, ref)
    assert len(ours.loss_curve_) == 3
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=RTOL)
    assert ours.t_ == ref.t_ == 3 * X.shape[0]


def test_fit_without_warm_start_starts_from_scratch():
    X, y = iris()
    est = skmlp.MLPClassifier(hidden_layer_sizes=(5,), random_state=0, max_iter=2)
    first = est.fit(X, y)._params.copy()
    assert_array_equal(est.fit(X, y)._params, first)
    assert est.t_ == 2 * X.shape[0]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_warm_start_fit_resets_optimizer_state(solver):
    # As in scikit-learn: fit builds a new optimizer (partial_fit keeps it).
    X, y = digits()
    params = dict(solver=solver, warm_start=True, learning_rate_init=0.01, **SMALL)
    est = skmlp.MLPClassifier(**params).fit(X, y)
    start = est._params.copy()
    est.fit(X, y)
    assert est._optimizer_t == 5 * 4  # steps of the second fit only
    # Whatever optimizer state the first fit left is discarded by the second.
    corrupted = skmlp.MLPClassifier(**params).fit(X, y)
    assert_array_equal(corrupted._params, start)
    corrupted._optimizer_state[...] = 123.0
    corrupted._optimizer_t = 999
    corrupted._learning_rate = 7.0
    corrupted.fit(X, y)
    assert_array_equal(corrupted._params, est._params)


def test_warm_start_resets_adaptive_learning_rate():
    X, y = digits()
    params = dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, tol=10.0)
    params.update(n_iter_no_change=1, warm_start=True, **dict(SMALL, max_iter=3))
    est = skmlp.MLPClassifier(**params).fit(X, y)
    assert est._learning_rate == 0.1 / 5
    ref = sknn.MLPClassifier(**params).fit(X, y)
    est.set_params(max_iter=1).fit(X, y)
    ref.set_params(max_iter=1).fit(X, y)
    assert_same_parameters(est, ref)
    assert ref._optimizer.learning_rate == est._learning_rate


def test_warm_start_fit_resets_n_iter_and_keeps_counting_t():
    X, y = diabetes()
    est = skmlp.MLPRegressor(warm_start=True, **dict(SMALL, max_iter=3)).fit(X, y)
    est.set_params(max_iter=2).fit(X, y)
    assert est.n_iter_ == 2
    assert est.t_ == 5 * X.shape[0]
    assert len(est.loss_curve_) == 5


def test_warm_start_lbfgs_matches_sklearn():
    ours, ref, X, y = pair(
        "regression", solver="lbfgs", warm_start=True, hidden_layer_sizes=(8,), random_state=0
    )
    for est in (ours, ref):
        est.set_params(max_iter=4)
        for _ in range(3):
            est.fit(X, y)
    assert_same_fit(ours, ref, rtol=1e-8, atol=1e-10)
    fresh = skmlp.MLPRegressor(**dict(ours.get_params(), warm_start=False)).fit(X, y)
    assert not np.allclose(fresh._params, ours._params, rtol=1e-6)


def test_warm_start_with_early_stopping_ends_on_the_last_epoch_if_the_best_is_not_beaten():
    # best_validation_score_ carries over a warm start. As in scikit-learn
    # (whose saved best weights are, after the restore that ended the previous
    # fit, the live ones), a warm-started fit none of whose epochs beats it
    # ends on its last epoch's weights and keeps the old best score.
    X, y = diabetes()
    params = dict(
        solver="adam",
        early_stopping=True,
        warm_start=True,
        learning_rate_init=0.01,
        hidden_layer_sizes=(8,),
        random_state=0,
        max_iter=40,
        n_iter_no_change=3,
    )
    ours, ref = skmlp.MLPRegressor(**params), sknn.MLPRegressor(**params)
    for est in (ours, ref):
        est.fit(X, y)
    best_score, best_params = ours.best_validation_score_, ours._params.copy()
    n_first = len(ours.validation_scores_)
    for est in (ours, ref):
        est.set_params(learning_rate_init=0.05, max_iter=3).fit(X, y)
    new_scores = ours.validation_scores_[n_first:]
    # (The no-improvement count carries over too: one more bad epoch stops.)
    assert len(new_scores) == ours.n_iter_ == 1
    assert max(new_scores) < best_score == ours.best_validation_score_
    assert not np.allclose(ours._params, best_params)
    assert_same_fit(ours, ref)


def test_warm_start_with_different_classes_raises():
    X, y = iris()
    est = skmlp.MLPClassifier(hidden_layer_sizes=(4,), warm_start=True, max_iter=2).fit(X, y)
    y_other = np.where(y == 2, 3, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        est.fit(X, y_other)
    with pytest.raises(ValueError, match="warm_start can only be used"):
        est.fit(X[y < 2], y[y < 2])


# ----------------------------------------------------------------------------
# partial_fit


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_partial_fit_calls_match_sklearns(task, solver):
    ours, ref, X, y = pair(task, solver=solver, learning_rate_init=0.01, **SMALL)
    kwargs = {"classes": np.unique(y)} if task == "multiclass" else {}
    for _ in range(4):
        ours.partial_fit(X, y, **kwargs)
        ref.partial_fit(X, y, **kwargs)
    assert ours.n_iter_ == 1
    assert_same_parameters(ours, ref)
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=RTOL)
    assert ours.t_ == ref.t_ == 4 * X.shape[0]


def test_partial_fit_keeps_optimizer_state_across_calls():
    X, y = digits()
    classes = np.unique(y)
    est = skmlp.MLPClassifier(solver="adam", **SMALL)
    for call in range(1, 4):
        est.partial_fit(X, y, classes=classes)
        assert est._optimizer_t == 4 * call
    assert np.any(est._optimizer_state != 0)


def test_partial_fit_on_chunks_matches_sklearn():
    ours, ref, X, y = pair("multiclass", solver="sgd", learning_rate_init=0.05, **SMALL)
    classes = np.unique(y)
    for chunk in np.array_split(np.arange(X.shape[0]), 4):
        ours.partial_fit(X[chunk], y[chunk], classes=classes)
        ref.partial_fit(X[chunk], y[chunk], classes=classes)
    assert_same_parameters(ours, ref)
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=RTOL)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_after_fit_continues_optimizer_state(solver):
    ours, ref, X, y = pair("regression", solver=solver, learning_rate_init=0.01, **SMALL)
    ours.fit(X, y)
    ref.fit(X, y)
    t = ours._optimizer_t
    for _ in range(2):
        ours.partial_fit(X, y)
        ref.partial_fit(X, y)
    assert ours._optimizer_t == t + 2 * 4
    assert_same_parameters(ours, ref)
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=RTOL)
    assert len(ours.loss_curve_) == 7


@pytest.mark.parametrize(
    "solver, first, changed",
    [
        pytest.param("sgd", {"momentum": 0.9}, {"momentum": 0.1}, id="sgd-momentum"),
        pytest.param(
            "sgd",
            {"learning_rate": "constant"},
            {"learning_rate": "invscaling"},
            id="sgd-learning_rate",
        ),
        pytest.param("adam", {"beta_1": 0.9}, {"beta_1": 0.5}, id="adam-beta_1"),
    ],
)
def test_partial_fit_keeps_optimizer_hyperparameters_until_the_next_fit(solver, first, changed):
    # scikit-learn builds its optimizer, hyper-parameters included, on fit or
    # the first partial_fit; set_params between partial_fit calls does not
    # reach it (only a new fit does).
    ours, ref, X, y = pair("regression", solver=solver, **SMALL, **first)
    for est in (ours, ref):
        est.partial_fit(X, y)
        est.set_params(**changed)
        for _ in range(3):
            est.partial_fit(X, y)
    assert_same_parameters(ours, ref)
    assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=RTOL)


def test_partial_fit_is_one_epoch_like_fit_with_max_iter_1():
    X, y = diabetes()
    params = dict(solver="adam", hidden_layer_sizes=(6,), random_state=0, max_iter=1)
    a = skmlp.MLPRegressor(**params).partial_fit(X, y)
    b = skmlp.MLPRegressor(**params).fit(X, y)
    assert_array_equal(a._params, b._params)


# ----------------------------------------------------------------------------
# L-BFGS


@pytest.mark.parametrize("task", ["multiclass", "binary", "multilabel", "regression"])
def test_lbfgs_short_run_matches_sklearn(task):
    ours, ref, X, y = pair(task, solver="lbfgs", hidden_layer_sizes=(8,), random_state=0)
    ours.set_params(max_iter=15)
    ref.set_params(max_iter=15)
    ours.fit(X, y)
    ref.fit(X, y)
    # L-BFGS amplifies rounding differences across iterations (line search,
    # curvature pairs); 15 iterations stay well within 1e-8.
    assert_same_fit(ours, ref, rtol=1e-8, atol=1e-10)
    assert not hasattr(ours, "loss_curve_")


def test_lbfgs_max_iter_bounds_iterations():
    X, y = diabetes()
    for max_iter in (1, 3, 8):
        est = skmlp.MLPRegressor(
            solver="lbfgs", hidden_layer_sizes=(8,), random_state=0, max_iter=max_iter
        ).fit(X, y)
        assert est.n_iter_ == max_iter


def test_lbfgs_max_fun_bounds_function_evaluations(monkeypatch):
    import scipy.optimize

    X, y = diabetes()
    minimize = scipy.optimize.minimize
    calls = []

    def counting_minimize(fun, *args, **kwargs):
        def counted(x, *a):
            calls.append(1)
            return fun(x, *a)

        return minimize(counted, *args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", counting_minimize)
    est = skmlp.MLPRegressor(
        solver="lbfgs", hidden_layer_sizes=(8,), random_state=0, max_iter=500, max_fun=20
    )
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    # L-BFGS-B checks the budget between line searches: it may overshoot by
    # the evaluations of one line search, never by many.
    assert 20 <= len(calls) <= 25
    assert est.n_iter_ <= 20


def test_lbfgs_tol_stops_before_max_iter():
    ours, ref, X, y = pair("regression", solver="lbfgs", hidden_layer_sizes=(8,), random_state=0)
    for est in (ours, ref):
        est.set_params(tol=1e-2, max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours.fit(X, y)
    ref.fit(X, y)
    assert ours.n_iter_ < 500
    assert_same_fit(ours, ref, rtol=1e-8, atol=1e-10)
    tighter = skmlp.MLPRegressor(**dict(ours.get_params(), tol=1e-4)).fit(X, y)
    assert tighter.n_iter_ > ours.n_iter_


# ----------------------------------------------------------------------------
# float32


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_float32_training_keeps_float32_and_tracks_float64(task, solver):
    ours, _, X, y = pair(task, solver=solver, learning_rate_init=0.01, **dict(SMALL, max_iter=10))
    fit64 = type(ours)(**ours.get_params()).fit(X, y)
    fit32 = ours.fit(X.astype(np.float32), y.astype(np.float32) if task == "regression" else y)
    # L-BFGS evaluates float32 points but keeps SciPy's float64 solution.
    model_dtype = np.float64 if solver == "lbfgs" else np.float32
    for array in fit32.coefs_ + fit32.intercepts_:
        assert array.dtype == model_dtype
    assert fit32._params.dtype == model_dtype
    assert fit32.predict(X.astype(np.float32)).dtype == (
        model_dtype if task == "regression" else y.dtype
    )
    # float32 rounds at ~6e-8 relative; over ten epochs (or ten L-BFGS
    # iterations) the accumulated difference in the loss stays orders of
    # magnitude below 1e-3, while a real defect (wrong update, lost precision
    # in the loss sum) would exceed it.
    assert_allclose(fit32.loss_, fit64.loss_, rtol=1e-3)
    if solver != "lbfgs":
        assert_allclose(fit32.loss_curve_, fit64.loss_curve_, rtol=1e-3)


# ----------------------------------------------------------------------------
# Determinism


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_int_random_state_gives_bitwise_identical_fits(solver):
    X, y = digits()
    params = dict(solver=solver, early_stopping=solver != "lbfgs", **SMALL)
    a = skmlp.MLPClassifier(**params).fit(X, y)
    b = skmlp.MLPClassifier(**params).fit(X, y)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(u, v)
    assert a.loss_ == b.loss_


def test_different_random_states_give_different_fits():
    X, y = digits()
    a = skmlp.MLPClassifier(**dict(SMALL, random_state=0)).fit(X, y)
    b = skmlp.MLPClassifier(**dict(SMALL, random_state=1)).fit(X, y)
    assert not np.allclose(a.coefs_[0], b.coefs_[0])


# ----------------------------------------------------------------------------
# KeyboardInterrupt


def _interrupt_bookkeeping(monkeypatch, after_epoch, before=True):
    """Raise KeyboardInterrupt in the bookkeeping of epoch ``after_epoch``.

    ``before``: before the stopping rule is updated (else right after it).
    """
    count = StochasticTrainer._count_no_improvement

    def interrupted(self, *args, **kwargs):
        if before and self.state.n_iter >= after_epoch:
            raise KeyboardInterrupt
        count(self, *args, **kwargs)
        if not before and self.state.n_iter >= after_epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(StochasticTrainer, "_count_no_improvement", interrupted)


def _fit_catching_interrupt(est, X, y):
    # An escaping KeyboardInterrupt would abort the whole pytest session.
    try:
        return est.fit(X, y)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped fit")


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_keyboard_interrupt_keeps_the_last_completed_epoch(solver, monkeypatch):
    # The interrupt arrives in epoch 2's bookkeeping: that epoch is undone
    # (weights, optimizer state, counters, curves), so the model is exactly the
    # one trained for one epoch.  scikit-learn instead keeps epoch 2's weights
    # with half-updated attributes.
    X, y = digits()
    params = dict(solver=solver, learning_rate_init=0.01, **dict(SMALL, max_iter=20))
    ours = skmlp.MLPClassifier(**params)
    with monkeypatch.context() as patch:
        _interrupt_bookkeeping(patch, after_epoch=2)
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            _fit_catching_interrupt(ours, X, y)
    assert ours.n_iter_ == 1
    assert len(ours.loss_curve_) == 1
    assert ours.t_ == X.shape[0]
    one_epoch = skmlp.MLPClassifier(**dict(params, max_iter=1)).fit(X, y)
    assert_array_equal(ours._params, one_epoch._params)
    assert_array_equal(ours._optimizer_state, one_epoch._optimizer_state)
    assert ours.loss_curve_ == one_epoch.loss_curve_
    assert_array_equal(ours.predict(X), one_epoch.predict(X))


def test_keyboard_interrupt_with_early_stopping_restores_best_weights(monkeypatch):
    X, y = diabetes()
    params = dict(early_stopping=True, validation_fraction=0.2, **dict(SMALL, max_iter=20))
    est = skmlp.MLPRegressor(**params)
    with monkeypatch.context() as patch:
        _interrupt_bookkeeping(patch, after_epoch=3, before=False)
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            _fit_catching_interrupt(est, X, y)
    # Epoch 3 was interrupted before its bookkeeping finished: it is undone, and
    # the best of the two completed epochs is restored.
    assert len(est.validation_scores_) == 2
    ref = skmlp.MLPRegressor(**dict(params, max_iter=2)).fit(X, y)
    assert_array_equal(est._params, ref._params)
    assert np.isfinite(est.predict(X)).all()


# ----------------------------------------------------------------------------
# verbose


_ITERATION_LINE = re.compile(r"^Iteration (\d+), loss = (\d+\.\d{8})$", re.MULTILINE)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_verbose_prints_each_epochs_loss(solver, capsys):
    X, y = iris()
    est = skmlp.MLPClassifier(solver=solver, verbose=True, **dict(SMALL, max_iter=4)).fit(X, y)
    lines = _ITERATION_LINE.findall(capsys.readouterr().out)
    assert [int(i) for i, _ in lines] == [1, 2, 3, 4]
    assert [loss for _, loss in lines] == ["%.8f" % loss for loss in est.loss_curve_]


def test_verbose_prints_lbfgs_iterations(capsys):
    X, y = iris()
    est = skmlp.MLPClassifier(
        solver="lbfgs", verbose=True, hidden_layer_sizes=(5,), random_state=0, max_iter=6
    ).fit(X, y)
    lines = _ITERATION_LINE.findall(capsys.readouterr().out)
    assert [int(i) for i, _ in lines] == list(range(1, est.n_iter_ + 1))
    assert lines[-1][1] == "%.8f" % est.loss_
    losses = [float(loss) for _, loss in lines]
    assert losses == sorted(losses, reverse=True)


def test_verbose_reports_validation_scores_and_stopping(capsys):
    X, y = iris()
    est = skmlp.MLPClassifier(
        verbose=True, early_stopping=True, n_iter_no_change=1, tol=10.0, **SMALL
    )
    est.set_params(max_iter=20).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("Validation score: ") == est.n_iter_ == 3
    assert (
        "Validation score did not improve more than tol=10.000000 for 1 consecutive epochs." in out
    )
    assert "Stopping." in out


def test_verbose_reports_adaptive_learning_rate_changes(capsys):
    X, y = iris()
    est = skmlp.MLPClassifier(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.1,
        verbose=True,
        n_iter_no_change=1,
        tol=10.0,
        **dict(SMALL, max_iter=3),
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "Training loss did not improve more than tol=10.000000" in out
    assert "Setting learning rate to 0.020000" in out
    assert est.n_iter_ == 3
