"""The robust regression losses: ``loss='absolute_error'`` and ``loss='huber'`` (``huber_delta``).

The loss kernel is checked directly, in float64: its value against the NumPy
formula, its gradient against central finite differences, at residuals away
from every kink. Training is checked against squared error: equal to it for a
huge ``huber_delta``, more resistant than it to corrupted targets.
"""

from functools import lru_cache

import numpy as np
import pytest
from _data import diabetes
from _network import (
    RTOL,
    Network,
    finite_difference_gradient,
    gradient_errors,
    passes_gradient_check,
)
from numpy.testing import assert_allclose
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split

from skmlp import MLPRegressor
from skmlp._engine.losses import LOSSES


def reference_forward(params, layout, X, activation, out_activation):
    """Independent NumPy forward pass (tanh / identity / softmax)."""
    coefs, intercepts = layout.views(np.asarray(params, dtype=np.float64))
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = A @ W + b
        if i < len(coefs) - 1:
            assert activation == "tanh"
            A = np.tanh(Z)
        elif out_activation == "identity":
            A = Z
        else:
            assert out_activation == "softmax"
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            A = E / E.sum(axis=1, keepdims=True)
    return A


HUBER_DELTA = 0.7


def robust_loss_reference(loss, r):
    if loss == "absolute_error":
        return np.abs(r)
    a = np.abs(r)
    return np.where(a <= HUBER_DELTA, 0.5 * r**2, HUBER_DELTA * (a - 0.5 * HUBER_DELTA))


@lru_cache
def robust_loss_setup(loss):
    """A 2-output tanh regressor, and targets whose residuals avoid every kink.

    The residuals ``prediction - target`` are at least 0.1 away from 0 and,
    for Huber, at least 0.2 * delta away from +-delta, on both sides of it.
    """
    X, y = diabetes()
    X = X[:30]
    Y0 = np.column_stack([y[:30], -y[:30]])
    rng = np.random.RandomState(0)
    sample_weight = rng.uniform(0.2, 3.0, size=30)
    sample_weight[::7] = 0.0
    est = MLPRegressor(
        loss=loss,
        huber_delta=HUBER_DELTA,
        hidden_layer_sizes=(5,),
        activation="tanh",
        solver="sgd",
        alpha=0.3,
        max_iter=1,
        random_state=0,
    ).fit(X, Y0, sample_weight=sample_weight)
    P = reference_forward(est._params, est._layout, X, "tanh", "identity")
    if loss == "huber":
        inside = rng.uniform(0.1, 0.8, size=P.shape) * HUBER_DELTA
        outside = rng.uniform(1.2, 3.0, size=P.shape) * HUBER_DELTA
        magnitude = np.where(rng.uniform(size=P.shape) < 0.5, inside, outside)
    else:
        magnitude = rng.uniform(0.1, 2.0, size=P.shape)
    residual = magnitude * np.where(rng.uniform(size=P.shape) < 0.5, -1.0, 1.0)
    Y = P - residual
    return est, X, Y, sample_weight, residual


@pytest.mark.parametrize("loss", ["absolute_error", "huber"])
def test_robust_loss_gradient_matches_finite_differences(loss):
    est, X, Y, sample_weight, residual = robust_loss_setup(loss)
    net = Network(est, X, Y, sample_weight)
    if loss == "huber":
        assert net.loss_param == HUBER_DELTA  # the kernel gets huber_delta
    params = est._params.copy()
    value, grad = net.loss_grad(params, 0.3)
    fd = finite_difference_gradient(lambda p: net.loss_grad(p, 0.3)[0], params)
    assert np.all(np.isfinite(grad))
    global_error, entry_error = gradient_errors(grad, fd, value)
    assert global_error <= RTOL, global_error
    assert entry_error <= RTOL, entry_error
    # Not vacuous: the squared-error gradient at the same point fails.
    hidden, out_act, _, loss_param = net.batch.spec
    net.batch.spec = (hidden, out_act, LOSSES["squared_error"], loss_param)
    assert not passes_gradient_check(net.loss_grad(params, 0.3)[1], fd, value)


@pytest.mark.parametrize("loss", ["absolute_error", "huber"])
def test_robust_loss_value_equals_numpy_formula(loss):
    est, X, Y, sample_weight, residual = robust_loss_setup(loss)
    net = Network(est, X, Y, sample_weight)
    params = est._params.copy()
    if loss == "huber":  # both branches of the Huber loss are exercised
        assert np.any(np.abs(residual) < HUBER_DELTA)
        assert np.any(np.abs(residual) > HUBER_DELTA)
    data = np.sum(sample_weight[:, None] * robust_loss_reference(loss, residual))
    coefs, _ = est._layout.views(params)
    l2 = 0.5 * 0.3 * sum(np.sum(W**2) for W in coefs)
    expected = (data + l2) / sample_weight.sum()
    assert_allclose(net.loss_grad(params, 0.3)[0], expected, rtol=1e-12)
    # backprop's weighted data loss alone
    assert_allclose(net.raw(params)[0], data, rtol=1e-12)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_huber_with_huge_delta_equals_squared_error_training(solver):
    X, y = diabetes()
    params = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=20, random_state=0)
    huber = MLPRegressor(loss="huber", huber_delta=1e10, **params).fit(X, y)
    squared = MLPRegressor(loss="squared_error", **params).fit(X, y)
    assert_allclose(huber._params, squared._params, rtol=1e-12, atol=1e-15)
    assert_allclose(huber.loss_, squared.loss_, rtol=1e-12)


@pytest.mark.parametrize("loss", ["absolute_error", "huber"])
def test_robust_loss_resists_corrupted_targets_better_than_squared_error(loss):
    X, y = diabetes()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    rng = np.random.RandomState(0)
    corrupted = y_train.copy()
    corrupted[rng.choice(len(y_train), 15, replace=False)] += 20.0  # 5% of the targets
    params = dict(
        hidden_layer_sizes=(16,),
        learning_rate_init=1e-2,
        alpha=1e-3,
        max_iter=100,
        random_state=0,
    )
    scores = {}
    for name in ("squared_error", loss):
        pred = MLPRegressor(loss=name, **params).fit(X_train, corrupted).predict(X_test)
        scores[name] = r2_score(y_test, pred), mean_absolute_error(y_test, pred)
    assert scores[loss][0] > scores["squared_error"][0] + 0.5
    assert scores[loss][0] > 0.1
    assert scores[loss][1] < 0.75 * scores["squared_error"][1]
