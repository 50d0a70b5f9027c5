"""``MLPRegressor(loss='quantile', quantile=q)``: quantile regression with the pinball loss.

The gradient and the value of the loss kernel are checked in
tests/test_gradients.py (``test_quantile_loss_*``).
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import d2_pinball_score, mean_pinball_loss, r2_score

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


# ----------------------------------------------------------------------
# Several quantiles from one network: prediction intervals

TAUS = [0.05, 0.5, 0.95]


@pytest.fixture(scope="module")
def interval_models():
    """The default settings, three quantiles, two training seeds (data and weights)."""
    models = {}
    for seed in (0, 1):
        X, y = heteroscedastic(3000, seed)
        models[seed] = MLPRegressor(loss="quantile", quantile=TAUS, random_state=seed).fit(X, y)
    return models


@pytest.mark.parametrize("seed", [0, 1])
def test_default_settings_give_held_out_coverage_within_0_02(interval_models, seed):
    # Training ended before max_iter (no ConvergenceWarning), and every
    # quantile is calibrated on held-out data of another seed.
    model = interval_models[seed]
    assert model.n_iter_ < model.max_iter
    X_test, y_test = heteroscedastic(10_000, 100 + seed)
    Q = model.predict(X_test)
    assert Q.shape == (len(X_test), 3)
    coverage = np.mean(y_test[:, None] <= Q, axis=0)
    assert_allclose(coverage, TAUS, atol=0.02)
    # Where the noise is small the interval is narrow, and wide where it is large.
    quiet = X_test[:, 0] < 0
    width = Q[:, 2] - Q[:, 0]
    assert np.mean(width[~quiet]) > 1.5 * np.mean(width[quiet])


def test_a_plateau_divides_the_learning_rate_before_training_stops(capsys):
    # The pinball loss's steps do not shrink by themselves: with the default
    # constant rate, a plateau of the training loss divides it by 5 (as
    # learning_rate='adaptive' does) for adam too, and training goes on.
    params = dict(loss="quantile", quantile=0.9, random_state=0, verbose=True, max_iter=400)
    MLPRegressor(**params).fit(X_TRAIN, Y_TRAIN)
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.000200" in out
    assert "Learning rate too small. Stopping." in out
    # Other losses stop at the first plateau, as scikit-learn's adam does.
    MLPRegressor(**{**params, "loss": "absolute_error"}).fit(X_TRAIN, Y_TRAIN)
    out = capsys.readouterr().out
    assert "Setting learning rate" not in out and "Stopping." in out


def test_quantiles_never_cross_even_far_from_the_data(interval_models):
    model = interval_models[0]
    rng = np.random.RandomState(3)
    X_far = rng.normal(scale=50.0, size=(2000, 2))
    Q = model.predict(X_far)
    assert np.all(np.isfinite(Q))
    assert np.all(np.diff(Q, axis=1) >= 0)


def test_predictions_are_the_monotone_map_of_the_network_outputs(interval_models):
    model = interval_models[0]
    Z = model._forward_pass_fast(X_TEST)
    steps = np.concatenate([Z[:, :1], np.log1p(np.exp(Z[:, 1:]))], axis=1)
    assert_allclose(model.predict(X_TEST), np.cumsum(steps, axis=1), rtol=1e-12)


def test_several_targets_predict_one_row_of_quantiles_each():
    Y = np.column_stack([Y_TRAIN, -2.0 * Y_TRAIN + 1.0])
    model = MLPRegressor(loss="quantile", quantile=[0.1, 0.9], random_state=0).fit(X_TRAIN, Y)
    assert model.n_outputs_ == 2 and model._layout.units[-1] == 4
    Q = model.predict(X_TEST)
    assert Q.shape == (len(X_TEST), 2, 2)
    Y_test = np.column_stack([Y_TEST, -2.0 * Y_TEST + 1.0])
    coverage = np.mean(Y_test[:, :, None] <= Q, axis=0)
    assert_allclose(coverage, [[0.1, 0.9], [0.1, 0.9]], atol=0.03)


def test_float32_trains_and_predicts_in_float32():
    X, y = X_TRAIN.astype(np.float32), Y_TRAIN.astype(np.float32)
    model = MLPRegressor(loss="quantile", quantile=TAUS, random_state=0, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert model.coefs_[0].dtype == np.float32
    Q = model.predict(X_TEST.astype(np.float32))
    assert Q.dtype == np.float32 and np.all(np.diff(Q, axis=1) >= 0)


def test_score_is_the_mean_d2_pinball_score(interval_models):
    model = interval_models[0]
    Q = model.predict(X_TEST)
    expected = np.mean([d2_pinball_score(Y_TEST, Q[:, j], alpha=t) for j, t in enumerate(TAUS)])
    assert model.score(X_TEST, Y_TEST) == pytest.approx(expected, rel=1e-12)
    assert 0.2 < expected < 1.0
    weights = np.linspace(0.5, 2.0, len(Y_TEST))
    weighted = np.mean(
        [
            d2_pinball_score(Y_TEST, Q[:, j], alpha=t, sample_weight=weights)
            for j, t in enumerate(TAUS)
        ]
    )
    assert model.score(X_TEST, Y_TEST, sample_weight=weights) == pytest.approx(weighted)


def test_early_stopping_watches_the_d2_pinball_score():
    model = MLPRegressor(loss="quantile", quantile=TAUS, early_stopping=True, random_state=0)
    model.fit(X_TRAIN, Y_TRAIN)
    assert len(model.validation_scores_) == model.n_iter_
    assert 0.2 < model.best_validation_score_ < 1.0
    assert len(model.validation_loss_curve_) == model.n_iter_


def test_changing_the_number_of_quantiles_after_fit_raises(interval_models):
    model = clone(interval_models[0]).fit(X_TRAIN[:500], Y_TRAIN[:500])
    model.set_params(quantile=[0.1, 0.9])
    with pytest.raises(ValueError, match="fitted for 3 quantile"):
        model.predict(X_TEST)


def test_a_model_of_several_quantiles_survives_pickle_and_clone(interval_models):
    model = interval_models[0]
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X_TEST), model.predict(X_TEST))
    assert clone(model).get_params()["quantile"] == TAUS


@pytest.mark.parametrize(
    "quantile, message",
    [
        ([0.5, 0.1], "strictly increasing"),
        ([0.1, 0.1, 0.9], "strictly increasing"),
        ([0.1, 1.0], "open interval"),
        ([0.0, 0.5], "open interval"),
        ([[0.1, 0.9]], "1-D"),
        ([], "1-D"),
        (["low", "high"], "1-D"),
        ([0.1, np.nan], "open interval"),
    ],
)
def test_bad_lists_of_quantiles_raise(quantile, message):
    with pytest.raises(ValueError, match=message):
        MLPRegressor(loss="quantile", quantile=quantile, max_iter=2).fit(X_TRAIN, Y_TRAIN)
