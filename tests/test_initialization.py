"""``weight_init``: the statistics of each scheme's initial weights, and the default.

The default, 'glorot_uniform', draws bitwise scikit-learn's initial weights.
"""

from functools import lru_cache

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn import neural_network as sknn
from sklearn.datasets import make_regression

from skmlp import MLPRegressor
from skmlp._engine import network as _engine


@pytest.fixture
def initial_params(monkeypatch):
    """``fit`` a skmlp estimator and return the parameters its first epoch starts from."""
    captured = []
    real = _engine.run_epoch

    def spy(params, *args):
        captured.append(params.copy())
        return real(params, *args)

    monkeypatch.setattr(_engine, "run_epoch", spy)

    def fit(est, X, y):
        est.set_params(max_iter=1).fit(X, y)
        return est._layout.views(captured[0])

    return fit


@lru_cache
def wide_data():
    X, y = make_regression(n_samples=20, n_features=400, random_state=0)
    return X, y


INIT_SCHEMES = {
    # name: (uniform?, scale from (fan_in, fan_out)): bound for uniform, std for normal
    "glorot_normal": (False, lambda fi, fo: np.sqrt(2.0 / (fi + fo))),
    "he_uniform": (True, lambda fi, fo: np.sqrt(6.0 / fi)),
    "he_normal": (False, lambda fi, fo: np.sqrt(2.0 / fi)),
    "lecun_normal": (False, lambda fi, fo: np.sqrt(1.0 / fi)),
}


@pytest.mark.parametrize("scheme", list(INIT_SCHEMES))
def test_weight_init_scheme_statistics(scheme, initial_params):
    X, y = wide_data()
    est = MLPRegressor(hidden_layer_sizes=(300, 100), weight_init=scheme, random_state=0)
    coefs, intercepts = initial_params(est, X, y)
    uniform, scale = INIT_SCHEMES[scheme]
    for W, b in zip(coefs, intercepts):
        assert_array_equal(b, 0.0)
        fan_in, fan_out = W.shape
        s = scale(fan_in, fan_out)
        std = s / np.sqrt(3.0) if uniform else s
        w = W.ravel() / std  # standardised: mean 0, std 1
        if w.size < 10000:  # the output layer: only the support is checked
            assert np.all(np.abs(W) <= s) if uniform else np.all(np.abs(w) < 6)
            continue
        assert abs(w.mean()) < 5 / np.sqrt(w.size)
        assert abs(w.std() - 1) < 0.02
        if uniform:
            assert np.all(np.abs(W) <= s)
            assert np.max(np.abs(W)) > 0.99 * s
            assert abs(np.mean(np.abs(w) > 1) - (1 - 1 / np.sqrt(3.0))) < 0.01  # P(|U| > std)
        else:
            assert abs(np.mean(np.abs(w) > 2) - 0.0455) < 0.005  # P(|Z| > 2) of a normal
            assert np.max(np.abs(w)) > 4


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_default_weight_init_is_bitwise_sklearns(activation, initial_params, monkeypatch):
    X, y = wide_data()
    X, y = X[:, :30], y
    params = dict(hidden_layer_sizes=(20, 7), activation=activation, random_state=3)
    ours_coefs, ours_intercepts = initial_params(MLPRegressor(**params), X, y)

    captured = []
    real = sknn.MLPRegressor._initialize

    def spy(self, *args):
        real(self, *args)
        captured.append(([c.copy() for c in self.coefs_], [b.copy() for b in self.intercepts_]))

    monkeypatch.setattr(sknn.MLPRegressor, "_initialize", spy)
    sknn.MLPRegressor(max_iter=1, **params).fit(X, y)
    ref_coefs, ref_intercepts = captured[0]
    for a, b in zip(ours_coefs + ours_intercepts, ref_coefs + ref_intercepts):
        assert_array_equal(a, b)
    # and weight_init="glorot_uniform" is that default
    explicit = initial_params(MLPRegressor(weight_init="glorot_uniform", **params), X, y)
    for a, b in zip(explicit[0] + explicit[1], ref_coefs + ref_intercepts):
        assert_array_equal(a, b)
