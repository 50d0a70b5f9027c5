"""The advice appended to a ConvergenceWarning (skmlp/_training/advice.py).

Each piece of advice appears exactly when its condition holds; scikit-learn's
warning class and first sentence stay as they are.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import skmlp
from skmlp._training.advice import (
    FAR,
    column_rms,
    feature_advice,
    learning_rate_advice,
    oscillation,
    target_advice,
)

SKLEARN_FIRST = (
    "Stochastic Optimizer: Maximum iterations (%d) reached and the optimization hasn't "
    "converged yet."
)


def _convergence_messages(estimator, X, y):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        estimator.fit(X, y)
    return [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]


def test_column_rms_of_dense_and_sparse_input():
    X = np.random.RandomState(0).standard_normal((50, 4)) * [1, 3, 0, 30]
    expected = np.sqrt((X**2).mean(axis=0))
    assert_allclose(column_rms(X), expected)
    assert_allclose(column_rms(sp.csr_matrix(X)), expected)
    assert_allclose(column_rms(X.astype(np.float32)), expected, rtol=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
def test_feature_advice_exactly_beyond_the_threshold(sparse):
    X = np.ones((20, 3))
    X[:, 2] = FAR * 1.01  # root mean square just above
    make = sp.csr_matrix if sparse else np.asarray
    text = feature_advice(make(X))
    assert "1 of the 3 features" in text and "feature 2" in text and "StandardScaler" in text
    X[:, 2] = FAR * 0.99
    assert feature_advice(make(X)) == ""


def test_target_advice_for_large_small_and_constant_targets():
    y = np.random.RandomState(0).standard_normal(100)
    assert target_advice(y) == ""
    assert "TransformedTargetRegressor" in target_advice(y * 100)
    assert "TransformedTargetRegressor" in target_advice(y / 100)
    assert target_advice(np.zeros(100)) == ""  # constant: no scale to fix
    two = np.column_stack([y, y * 100])
    assert "TransformedTargetRegressor" in target_advice(two)


def test_oscillation_needs_enough_rises_that_give_back_the_falls():
    converging = [1.0, 0.9, 0.92, 0.8, 0.82, 0.7, 0.72, 0.6, 0.5, 0.4, 0.3]
    assert oscillation(converging) == (3, False)  # three rises, but falls dominate
    bouncing = [0.5, 0.6, 0.5, 0.62, 0.5, 0.61, 0.52, 0.6, 0.5, 0.6, 0.55]
    count, oscillating = oscillation(bouncing)
    assert count == 5 and oscillating
    assert "learning_rate_init=0.1" in learning_rate_advice(bouncing, 0.1)
    assert "try 0.01" in learning_rate_advice(bouncing, 0.1)
    two_rises = [0.5, 0.6, 0.5, 0.62, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    assert oscillation(two_rises) == (2, False)
    assert learning_rate_advice(two_rises, 0.1) == ""
    assert oscillation([1.0]) == (0, False)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_unscaled_features_get_the_advice_and_scaled_ones_do_not(solver):
    X, y = load_digits(return_X_y=True)
    model = skmlp.MLPClassifier(solver=solver, max_iter=3, random_state=0)
    (raw,) = _convergence_messages(model, X, y)
    # The example of docs/user_guide/input_scaling.rst.
    assert "19 of the 64 features are far from unit scale (root mean square up to 12.9, " in raw
    assert "feature 59)" in raw and "make_pipeline(StandardScaler(), estimator)" in raw
    (scaled,) = _convergence_messages(model, X / 16, y)
    assert "StandardScaler" not in scaled
    if solver == "adam":
        assert raw.startswith(SKLEARN_FIRST % 3)
        assert scaled == SKLEARN_FIRST % 3  # nothing appended: scikit-learn's text
    else:
        assert raw.startswith(scaled)  # scikit-learn's message, then the advice


def test_a_regression_target_far_from_unit_scale_gets_the_advice():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = skmlp.MLPRegressor(max_iter=3, random_state=0)
    (raw,) = _convergence_messages(model, X, y)  # y in the hundreds
    assert "TransformedTargetRegressor" in raw and "StandardScaler()" in raw
    (standard,) = _convergence_messages(model, X, (y - y.mean()) / y.std())
    assert standard == SKLEARN_FIRST % 3
    # A classifier's target has no scale.
    labels = (y > np.median(y)).astype(int) * 1000
    (classes,) = _convergence_messages(skmlp.MLPClassifier(max_iter=3, random_state=0), X, labels)
    assert "TransformedTargetRegressor" not in classes


def test_an_oscillating_loss_gets_the_advice_and_a_smooth_one_does_not():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    kwargs = dict(max_iter=60, n_iter_no_change=100, random_state=0)
    large = skmlp.MLPRegressor(solver="sgd", learning_rate_init=0.1, **kwargs)
    (message,) = _convergence_messages(large, X, y)
    assert oscillation(large.loss_curve_)[1]
    assert "learning_rate_init=0.1 is probably too large; try 0.01" in message
    default = skmlp.MLPRegressor(**kwargs)
    (message,) = _convergence_messages(default, X, y)
    assert not oscillation(default.loss_curve_)[1]
    assert message == SKLEARN_FIRST % 60
