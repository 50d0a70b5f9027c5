"""``MLPRegressor(loss='quantile', quantile=q)``: quantile regression with the pinball loss.

The gradient and the value of the loss kernel are checked in
tests/test_gradients.py (``test_quantile_loss_*``).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.metrics import mean_pinball_loss, r2_score

from skmlp import MLPRegressor

# Adam with a cosine-annealed rate run for every epoch: the steps of a
# pinball loss do not shrink near the optimum by themselves.
PARAMS = dict(
    loss="quantile",
    hidden_layer_sizes=(32,),
    learning_rate_init=0.01,
    learning_rate="cosine",
    max_iter=150,
    n_iter_no_change=np.inf,
    random_state=0,
)


def heteroscedastic(n, seed):
    """y = sin(2 x0) + x1 + noise whose scale grows from 0.2 to 1 along x0."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    scale = 0.2 + 0.4 * (X[:, 0] + 1)
    y = np.sin(2 * X[:, 0]) + X[:, 1] + scale * rng.normal(size=n)
    return X, y


X_TRAIN, Y_TRAIN = heteroscedastic(3000, 0)
X_TEST, Y_TEST = heteroscedastic(3000, 1)
QUIET = X_TEST[:, 0] < 0  # the half with the smaller noise


@pytest.fixture(scope="module")
def predictions():
    return {
        q: MLPRegressor(quantile=q, **PARAMS).fit(X_TRAIN, Y_TRAIN).predict(X_TEST)
        for q in (0.1, 0.5, 0.9)
    }


@pytest.mark.parametrize("quantile", [0.1, 0.5, 0.9])
def test_held_out_coverage_is_within_0_03_of_the_quantile(predictions, quantile):
    below = Y_TEST <= predictions[quantile]
    assert abs(below.mean() - quantile) <= 0.03
    # Conditional, not only marginal: in the quiet and in the noisy half too.
    assert abs(below[QUIET].mean() - quantile) <= 0.03
    assert abs(below[~QUIET].mean() - quantile) <= 0.03


def test_the_interval_widens_where_the_noise_is_larger(predictions):
    width = predictions[0.9] - predictions[0.1]
    assert np.all(np.median(width) > 0)
    # Noise scale 0.2..0.6 in the quiet half, 0.6..1 in the noisy one.
    assert np.mean(width[~QUIET]) > 1.8 * np.mean(width[QUIET])
    assert np.mean(predictions[0.1] <= predictions[0.5]) > 0.95
    assert np.mean(predictions[0.5] <= predictions[0.9]) > 0.95


def test_quantile_fits_beat_the_median_fit_on_their_pinball_loss(predictions):
    for q in (0.1, 0.9):
        own = mean_pinball_loss(Y_TEST, predictions[q], alpha=q)
        median = mean_pinball_loss(Y_TEST, predictions[0.5], alpha=q)
        assert own < 0.8 * median


def test_several_outputs_each_get_the_quantile():
    Y = np.column_stack([Y_TRAIN, -2.0 * Y_TRAIN + 1.0])
    est = MLPRegressor(quantile=0.9, **PARAMS).fit(X_TRAIN, Y)
    P = est.predict(X_TEST)
    assert P.shape == (len(X_TEST), 2)
    Y_test = np.column_stack([Y_TEST, -2.0 * Y_TEST + 1.0])
    coverage = np.mean(Y_test <= P, axis=0)
    assert_allclose(coverage, 0.9, atol=0.03)


def test_score_stays_r2():
    est = MLPRegressor(quantile=0.9, **{**PARAMS, "max_iter": 20}).fit(X_TRAIN, Y_TRAIN)
    assert est.score(X_TEST, Y_TEST) == r2_score(Y_TEST, est.predict(X_TEST))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lbfgs_minimises_the_pinball_loss_too():
    q = 0.8
    est = MLPRegressor(loss="quantile", quantile=q, hidden_layer_sizes=(16,), solver="lbfgs")
    est.set_params(max_iter=300, random_state=0).fit(X_TRAIN, Y_TRAIN)
    coverage = np.mean(Y_TEST <= est.predict(X_TEST))
    assert abs(coverage - q) <= 0.05
    assert_allclose(
        est.loss_,
        mean_pinball_loss(Y_TRAIN, est.predict(X_TRAIN), alpha=q)
        + 0.5 * est.alpha * sum(np.sum(W**2) for W in est.coefs_) / len(Y_TRAIN),
        rtol=1e-9,
    )


@pytest.mark.parametrize("quantile", [0.0, 1.0, -0.5, 2.0, "0.5"])
def test_quantile_outside_the_open_unit_interval_raises(quantile):
    with pytest.raises(ValueError, match="quantile"):
        MLPRegressor(loss="quantile", quantile=quantile, max_iter=2).fit(X_TRAIN, Y_TRAIN)
