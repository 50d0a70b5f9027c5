"""``skmlp.prune``: removing the hidden units that cannot matter."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

import skmlp
from skmlp import MLPClassifier, MLPRegressor, prune

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
X_REG, Y_REG = load_diabetes(return_X_y=True)
X_REG = StandardScaler().fit_transform(X_REG)
Y_REG = (Y_REG - Y_REG.mean()) / Y_REG.std()

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Predictions agree "to rounding": the folded intercepts and the BLAS products
# of narrower matrices round differently, by a few ulps.
CLOSE = dict(rtol=1e-12, atol=1e-13)


def fitted(estimator_class=MLPClassifier, **params):
    params = {
        "hidden_layer_sizes": (12, 10),
        "max_iter": 40,
        "learning_rate_init": 0.01,
        "random_state": 0,
        **params,
    }
    X, y = (X_IRIS, Y_IRIS) if estimator_class is MLPClassifier else (X_REG, Y_REG)
    return estimator_class(**params).fit(X, y), X, y


def outputs(est, X):
    return est.predict_proba(X) if isinstance(est, MLPClassifier) else est.predict(X)


def make_prunable(est):
    """Units that cannot matter, in each hidden layer: 2 without incoming
    weights (constant activation), 1 without outgoing weights."""
    for k in range(len(est.coefs_) - 1):
        est.coefs_[k][:, [1, 4]] = 0.0  # constant: f(b) (after batch norm: f(const))
        est.coefs_[k + 1][[2], :] = 0.0  # silent
    return est


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", ["tanh", "relu"]])
@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_pruning_with_tol_0_keeps_predictions_to_rounding(activation, batch_norm, estimator_class):
    est, X, _ = fitted(estimator_class, activation=activation, batch_norm=batch_norm)
    make_prunable(est)
    before = outputs(est, X)
    pruned = prune(est, X)
    assert type(pruned) is type(est)
    # At least the 3 made-up units go from each layer (relu may lose more: dead units).
    assert all(lost >= 3 for lost in pruned.pruned_units_)
    sizes = tuple(12 - pruned.pruned_units_[0] if k == 0 else 10 - pruned.pruned_units_[1]
                  for k in range(2))  # fmt: skip
    assert pruned.hidden_layer_sizes == pruned.hidden_layer_sizes_ == sizes
    assert [W.shape[1] for W in pruned.coefs_[:-1]] == list(sizes)
    if batch_norm:
        assert [len(s) for s in pruned.batch_norm_scales_] == list(sizes)
        assert [len(m) for m in pruned.batch_norm_means_] == list(sizes)
        assert [len(v) for v in pruned.batch_norm_vars_] == list(sizes)
    assert_allclose(outputs(pruned, X), before, **CLOSE)
    if estimator_class is MLPClassifier:
        assert_array_equal(pruned.predict(X), est.predict(X))
    # The original is unchanged.
    assert est.hidden_layer_sizes == (12, 10) and est.coefs_[0].shape == (X.shape[1], 12)
    assert_array_equal(outputs(est, X), before)


def test_dead_relu_units_are_found_on_X_and_only_there():
    est, X, _ = fitted(hidden_layer_sizes=(30,))
    est.intercepts_[0][:6] = -1e3  # never fire on X
    est.coefs_[0][:, 6] = 0.0
    est.intercepts_[0][6] = 0.5  # fires, with the same value everywhere
    pruned = prune(est, X)
    # Units constant on X, from a NumPy forward pass: the 7 made ones and any
    # unit that training left dead.
    H = np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0)
    constant = H.max(axis=0) == H.min(axis=0)
    assert constant[:7].all()
    assert pruned.pruned_units_ == (constant.sum(),)
    assert_allclose(pruned.predict_proba(X), est.predict_proba(X), **CLOSE)
    # The constant unit's 0.5 * outgoing weights went into the output intercept.
    W = est.coefs_[1]
    assert_allclose(pruned.intercepts_[1], est.intercepts_[1] + 0.5 * W[6], rtol=1e-14)
    # Without X, nothing is known about the activations: no unit goes.
    assert prune(est).pruned_units_ == (0,)


def test_without_X_only_units_without_outgoing_weights_go():
    est, X, _ = fitted(MLPRegressor)
    make_prunable(est)
    pruned = prune(est)
    assert pruned.pruned_units_ == (1, 1)
    # Removing them changes nothing anywhere, not only on the training data.
    X_new = np.random.RandomState(0).normal(size=(50, X.shape[1])) * 3
    assert_allclose(pruned.predict(X_new), est.predict(X_new), **CLOSE)


def test_constant_units_fold_into_the_next_batch_normalised_layer_running_mean():
    est, X, _ = fitted(batch_norm=True, activation="tanh")
    est.coefs_[0][:, [0, 3]] = 0.0
    pruned = prune(est, X)
    assert pruned.pruned_units_ == (2, 0)
    # The second layer's intercept (its shift, added after normalisation) is
    # untouched; its running mean moved.
    kept = [j for j in range(12) if j not in (0, 3)]
    assert_array_equal(pruned.intercepts_[1], est.intercepts_[1])
    assert not np.allclose(pruned.batch_norm_means_[1], est.batch_norm_means_[1])
    assert_allclose(pruned.batch_norm_means_[0], est.batch_norm_means_[0][kept])
    assert_allclose(pruned.predict_proba(X), est.predict_proba(X), **CLOSE)


def test_positive_tol_removes_small_weights_and_near_constant_units():
    est, X, _ = fitted(MLPRegressor, hidden_layer_sizes=(20,), activation="tanh")
    est.coefs_[1][:4] *= 1e-6  # nearly silent
    est.coefs_[0][:, 4:6] *= 1e-8  # nearly constant
    assert prune(est, X).pruned_units_ == (0,)
    pruned = prune(est, X, tol=1e-5)
    assert pruned.pruned_units_ == (6,)
    assert_allclose(pruned.predict(X), est.predict(X), atol=1e-4)


def test_a_layer_keeps_its_most_connected_unit():
    est, X, _ = fitted()
    est.coefs_[1][:] = 0.0
    est.coefs_[1][7, 0] = 1e-9  # the unit with the largest outgoing weights
    pruned = prune(est, tol=1e-6)
    assert pruned.hidden_layer_sizes == (1, 10) and pruned.pruned_units_ == (11, 0)
    assert_array_equal(pruned.coefs_[0][:, 0], est.coefs_[0][:, 7])


def test_sparse_X_finds_the_same_units():
    est, X, _ = fitted(activation="relu")
    make_prunable(est)
    dense = prune(est, X)
    sparse = prune(est, sp.csr_matrix(X))
    assert sparse.pruned_units_ == dense.pruned_units_
    assert_array_equal(sparse._params, dense._params)


def test_float32_model_prunes_in_float32():
    est = MLPClassifier(hidden_layer_sizes=(12, 10), max_iter=30, random_state=0)
    est.fit(X_IRIS.astype(np.float32), Y_IRIS)
    make_prunable(est)
    pruned = prune(est, X_IRIS)
    assert pruned._params.dtype == np.float32
    assert_allclose(
        pruned.predict_proba(X_IRIS.astype(np.float32)),
        est.predict_proba(X_IRIS.astype(np.float32)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_pruned_model_pickles():
    est, X, _ = fitted(batch_norm=True, dropout=0.1)
    pruned = prune(make_prunable(est), X)
    loaded = pickle.loads(pickle.dumps(pruned))
    assert loaded.pruned_units_ == pruned.pruned_units_
    assert loaded.hidden_layer_sizes == pruned.hidden_layer_sizes
    assert_array_equal(loaded.predict_proba(X), pruned.predict_proba(X))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_pruned_model_continues_with_warm_start(batch_norm):
    est, X, y = fitted(batch_norm=batch_norm, dropout=[0.1, 0.0])
    pruned = prune(make_prunable(est), X)
    sizes, epochs = pruned.hidden_layer_sizes, len(pruned.loss_curve_)
    before = pruned._params.copy()
    pruned.set_params(warm_start=True, max_iter=5).fit(X, y)
    assert pruned.hidden_layer_sizes_ == sizes and pruned.n_iter_ == 5
    assert not np.array_equal(pruned._params, before)
    assert len(pruned.loss_curve_) == epochs + 5 and np.isfinite(pruned.loss_)
    assert pruned.score(X, y) > 0.8
    # A fresh fit (warm_start off) forgets the pruning report.
    pruned.set_params(warm_start=False).fit(X, y)
    assert not hasattr(pruned, "pruned_units_")


def test_partial_fit_continues_the_optimizer_of_the_kept_parameters():
    est = MLPRegressor(hidden_layer_sizes=(12, 10), activation="tanh", random_state=0)
    for _ in range(5):
        est.partial_fit(X_REG, Y_REG)
    make_prunable(est)
    pruned = prune(est, X_REG)
    # Adam's moments of a kept parameter are the original's.
    kept = [j for j in range(12) if j not in (1, 2, 4)]
    old_coefs, _ = est._layout.views(est._optimizer_state[0])
    new_coefs, _ = pruned._layout.views(pruned._optimizer_state[0])
    assert new_coefs[0].shape[1] == len(kept)
    assert_array_equal(new_coefs[0], old_coefs[0][:, kept])
    t = pruned._optimizer_t
    pruned.partial_fit(X_REG, Y_REG)
    assert pruned._optimizer_t > t > 0  # continued, not restarted
    assert pruned._optimizer_state.shape[-1] == pruned._layout.n_params


def test_auto_and_lbfgs_models_prune_too():
    est = MLPRegressor(hidden_layer_sizes="auto", solver="lbfgs", max_iter=50, random_state=0)
    est.fit(X_REG, Y_REG)
    est.coefs_[1][0] = 0.0
    pruned = prune(est)
    assert pruned.hidden_layer_sizes == (5,) and pruned.pruned_units_ == (1,)
    assert_allclose(pruned.predict(X_REG), est.predict(X_REG), **CLOSE)
    pruned.set_params(warm_start=True, max_iter=5).fit(X_REG, Y_REG)
    assert pruned.coefs_[0].shape == (10, 5)


def test_prune_is_exported():
    assert skmlp.prune is prune and "prune" in skmlp.__all__


def test_prune_validates_its_arguments():
    est, X, _ = fitted()
    with pytest.raises(NotFittedError):
        prune(MLPClassifier())
    with pytest.raises(ValueError, match="tol"):
        prune(est, X, tol=-1.0)
    with pytest.raises(ValueError, match="features"):
        prune(est, X[:, :2])
    with pytest.raises(ValueError, match="estimator"):
        prune(StandardScaler().fit(X))
