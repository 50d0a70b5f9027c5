"""Learning-rate schedules of the stochastic solvers.

The 'cosine' schedule, the linear warm-up of ``warmup_fraction``, and
scikit-learn's 'invscaling' and 'adaptive' schedules applied to 'adam' with
``schedule_adam=True``. The rate of each epoch is read from the fitted
optimizer and compared with its formula.
"""

import math

import numpy as np
import pytest
from _data import diabetes
from _network import Network
from numpy.testing import assert_allclose, assert_array_equal

from skmlp import MLPRegressor


def epoch_rates(est, X, y, n_epochs, **fit_params):
    """The learning rate of each of ``n_epochs`` partial_fit epochs."""
    rates = []
    for _ in range(n_epochs):
        est.partial_fit(X, y, **fit_params)
        rates.append(float(est._optimizer_hyper[0]))
    return np.array(rates)


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
def test_cosine_rate_follows_half_cosine_over_max_iter(solver):
    X, y = diabetes()
    lr, max_iter = 0.01, 8
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        solver=solver,
        learning_rate="cosine",
        learning_rate_init=lr,
        max_iter=max_iter,
        random_state=0,
    )
    rates = epoch_rates(est, X, y, max_iter)
    expected = lr * 0.5 * (1 + np.cos(np.pi * np.arange(max_iter) / max_iter))
    assert_allclose(rates, expected, rtol=1e-12)


def test_cosine_rate_of_the_last_epoch_of_fit():
    X, y = diabetes()
    lr, max_iter = 0.01, 7
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        learning_rate="cosine",
        learning_rate_init=lr,
        max_iter=max_iter,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, y)
    assert est.n_iter_ == max_iter
    expected = lr * 0.5 * (1 + np.cos(np.pi * (max_iter - 1) / max_iter))
    assert_allclose(est._optimizer_hyper[0], expected, rtol=1e-12)


def test_cosine_rate_is_the_step_size_sgd_takes():
    X, y = diabetes()
    X, y = X[:50], y[:50]
    lr, max_iter, alpha = 0.05, 5, 0.1
    est = MLPRegressor(
        hidden_layer_sizes=(6,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        batch_size=50,  # one step per epoch
        shuffle=False,
        alpha=alpha,
        learning_rate="cosine",
        learning_rate_init=lr,
        max_iter=max_iter,
        random_state=0,
    )
    for _ in range(3):
        est.partial_fit(X, y)
    before = est._params.copy()
    _, grad = Network(est, X, y, np.ones(50)).loss_grad(before, alpha)
    est.partial_fit(X, y)  # epoch 3
    rate = lr * 0.5 * (1 + np.cos(np.pi * 3 / max_iter))
    assert_allclose(before - est._params, rate * grad, rtol=1e-9, atol=1e-14)
    assert np.max(np.abs(rate * grad)) > 1e-4


def test_warmup_ramps_the_rate_linearly_over_ceil_fraction_of_max_iter():
    X, y = diabetes()
    lr, max_iter = 0.01, 10
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        learning_rate_init=lr,
        warmup_fraction=0.25,  # ceil(2.5) = 3 epochs
        max_iter=max_iter,
        random_state=0,
    )
    rates = epoch_rates(est, X, y, 6)
    assert_allclose(rates, lr * np.array([1 / 3, 2 / 3, 1, 1, 1, 1]), rtol=1e-12)


def test_warmup_precedes_the_cosine_annealing():
    X, y = diabetes()
    lr, max_iter, warmup = 0.01, 10, 3
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        solver="nadam",
        learning_rate="cosine",
        learning_rate_init=lr,
        warmup_fraction=0.3,
        max_iter=max_iter,
        random_state=0,
    )
    rates = epoch_rates(est, X, y, max_iter)
    e = np.arange(max_iter)
    cosine = lr * 0.5 * (1 + np.cos(np.pi * (e - warmup) / (max_iter - warmup)))
    expected = np.where(e < warmup, lr * (e + 1) / warmup, cosine)
    assert_allclose(rates, expected, rtol=1e-12)


def test_invscaling_schedule_changes_the_adam_trajectory():
    X, y = diabetes()
    n = len(y)
    params = dict(
        hidden_layer_sizes=(8,),
        solver="adam",
        schedule_adam=True,
        learning_rate_init=0.01,
        random_state=0,
    )
    # The first epoch runs at learning_rate_init under both schedules ...
    one_const = MLPRegressor(max_iter=1, **params).fit(X, y)
    one_inv = MLPRegressor(max_iter=1, learning_rate="invscaling", **params).fit(X, y)
    assert_array_equal(one_inv._params, one_const._params)
    # ... later epochs at learning_rate_init / (t_ + 1) ** power_t.
    const = MLPRegressor(max_iter=3, **params).fit(X, y)
    inv = MLPRegressor(max_iter=3, learning_rate="invscaling", power_t=0.25, **params).fit(X, y)
    assert_allclose(inv._optimizer_hyper[0], 0.01 / (2 * n + 1) ** 0.25, rtol=1e-12)
    assert const._optimizer_hyper[0] == 0.01
    assert np.max(np.abs(inv._params - const._params)) > 1e-3


def test_adaptive_schedule_divides_the_adam_rate_by_five_instead_of_stopping():
    X, y = diabetes()
    # tol is so large that no epoch counts as an improvement.
    params = dict(
        hidden_layer_sizes=(4,),
        solver="adam",
        schedule_adam=True,
        learning_rate_init=1e-3,
        tol=1e6,
        n_iter_no_change=2,
        max_iter=100,
        random_state=0,
    )
    constant = MLPRegressor(**params).fit(X, y)
    adaptive = MLPRegressor(learning_rate="adaptive", **params).fit(X, y)
    assert constant.n_iter_ < 10  # constant stops after n_iter_no_change bad epochs
    assert adaptive.n_iter_ > constant.n_iter_
    # The last epoch's rate is learning_rate_init / 5**k, k >= 1 divisions.
    k = math.log(1e-3 / adaptive._optimizer_hyper[0], 5)
    assert k >= 1 - 1e-9
    assert abs(k - round(k)) < 1e-9
    assert adaptive._learning_rate <= 1e-6  # stopped once the rate got too small
