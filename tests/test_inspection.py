"""Attributions: input gradients and integrated gradients (skmlp.inspection)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

from skmlp import MLPClassifier, MLPRegressor
from skmlp.inspection import input_gradients, integrated_gradients

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 4))
Y_REG = np.column_stack([np.sin(X[:, 0]) + X[:, 1] * X[:, 2], X[:, 3] ** 2])
Y_CLS = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)


def _fit(model, X_, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X_, y)


def _output(model, X_, target):
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X_)
        return proba[:, list(model.classes_).index(target)] if proba.ndim == 2 else proba
    return model.predict(X_).reshape(len(X_), -1)[:, target]


def _central_differences(model, X_, target, h=1e-6):
    fd = np.empty(X_.shape)
    for j in range(X_.shape[1]):
        up, down = X_.copy(), X_.copy()
        up[:, j] += h
        down[:, j] -= h
        fd[:, j] = (_output(model, up, target) - _output(model, down, target)) / (2 * h)
    return fd


CONFIGS = [
    dict(activation="relu"),
    dict(activation="tanh"),
    dict(activation="gelu", batch_norm=True),
    dict(activation=["relu", "mish"], hidden_layer_sizes=(6, 5), batch_norm=True),
    dict(activation="logistic", dropout=0.2, hidden_layer_sizes=(6, 5)),
]


@pytest.mark.parametrize("params", CONFIGS)
def test_input_gradients_match_central_differences(params):
    params = {"hidden_layer_sizes": (7,), "max_iter": 40, "random_state": 0, **params}
    clf = _fit(MLPClassifier(**params), X, Y_CLS)  # three classes: softmax
    for target in clf.classes_:
        G = input_gradients(clf, X[:8], target=target)
        assert_allclose(G, _central_differences(clf, X[:8], target), rtol=1e-5, atol=1e-8)
    reg = _fit(MLPRegressor(**params), X, Y_REG)  # two outputs: identity
    for target in (0, 1):
        G = input_gradients(reg, X[:8], target=target)
        assert_allclose(G, _central_differences(reg, X[:8], target), rtol=1e-5, atol=1e-7)


def test_binary_multilabel_sparse_and_float32_gradients():
    binary = _fit(MLPClassifier((5,), max_iter=30, random_state=0), X, Y_CLS > 0)
    for target in (False, True):  # one logistic output: class 0 is 1 - p
        G = input_gradients(binary, X[:5], target=target)
        assert_allclose(G, _central_differences(binary, X[:5], target), rtol=1e-5, atol=1e-8)
    assert_allclose(
        input_gradients(binary, X[:5], target=False), -input_gradients(binary, X[:5], target=True)
    )
    labels = np.column_stack([Y_CLS == 0, Y_CLS == 2]).astype(int)
    multilabel = _fit(MLPClassifier((5,), max_iter=30, random_state=0), X, labels)
    G = input_gradients(multilabel, X[:5], target=1)
    up_down = [multilabel.predict_proba(X[:5] + s * 1e-6 * np.eye(4)[j])[:, 1] for j in range(4)
               for s in (1, -1)]  # fmt: skip
    fd = np.array([(up_down[2 * j] - up_down[2 * j + 1]) / 2e-6 for j in range(4)]).T
    assert_allclose(G, fd, rtol=1e-5, atol=1e-8)
    # Sparse input gives the gradients of its dense form.
    X_sparse = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    reg = _fit(
        MLPRegressor(hidden_layer_sizes=(6,), max_iter=30, random_state=0), X_sparse, Y_REG[:, 0]
    )
    assert_allclose(
        input_gradients(reg, X_sparse[:7]), input_gradients(reg, X_sparse[:7].toarray())
    )
    # float32 models differentiate in float32.
    model = MLPRegressor(hidden_layer_sizes=(6,), activation="tanh", max_iter=30, random_state=0)
    reg32 = _fit(model, X.astype(np.float32), Y_REG[:, 0])
    G = input_gradients(reg32, X[:5].astype(np.float32))
    assert_allclose(G, _central_differences(reg32, X[:5], 0, h=1e-3), rtol=2e-2, atol=1e-3)


@pytest.mark.parametrize("activation", ["tanh", "gelu", "softplus"])
def test_integrated_gradients_are_complete_for_smooth_networks(activation):
    reg = _fit(
        MLPRegressor(hidden_layer_sizes=(8, 6), activation=activation, max_iter=60, random_state=0),
        X,
        Y_REG,
    )
    clf = _fit(MLPClassifier((8,), activation=activation, max_iter=60, random_state=0), X, Y_CLS)
    for model, target in ((reg, 1), (clf, 2), (clf, None)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # no warning: rtol reached
            result = integrated_gradients(model, X[:20], target=target, baseline=X.mean(axis=0))
        assert result.attributions.shape == (20, 4)
        total = result.attributions.sum(axis=1)
        assert_allclose(total, result.difference, rtol=1e-6, atol=1e-9)
        assert result.error.max() < 1e-6


@pytest.mark.parametrize(
    "params",
    [
        dict(activation="relu", hidden_layer_sizes=(16, 8)),
        dict(activation="leaky_relu", hidden_layer_sizes=(12,), batch_norm=True),
        dict(activation=["relu", "identity"], hidden_layer_sizes=(12, 6), batch_norm=True),
    ],
)
def test_integrated_gradients_are_complete_for_relu_networks(params):
    # The path is cut at the units' kinks; each linear piece is integrated alone.
    reg = _fit(MLPRegressor(max_iter=80, random_state=0, **params), X, Y_REG)
    clf = _fit(MLPClassifier(max_iter=80, random_state=0, **params), X, Y_CLS)
    for model, target in ((reg, 0), (reg, 1), (clf, None), (clf, 0)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            result = integrated_gradients(model, X[:25], target=target)
        assert result.error.max() < 1e-6
        assert_allclose(result.attributions.sum(axis=1), result.difference, rtol=1e-6, atol=1e-9)


def test_integrated_gradients_say_the_error_they_reached():
    # relu and tanh mixed: fixed points on the path, whose error falls as 1 / n_steps.
    model = MLPRegressor(hidden_layer_sizes=(16, 8), activation=["relu", "tanh"], max_iter=80,
                         random_state=0)  # fmt: skip
    reg = _fit(model, X, Y_REG[:, 0])
    with pytest.warns(UserWarning, match="relative error of") as record:
        result = integrated_gradients(reg, X[:10], n_steps=8)
    assert f"{result.error.max():.2g}" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        finer = integrated_gradients(reg, X[:10], n_steps=256)
    assert finer.error.max() < result.error.max() / 4
    expected = reg.predict(X[:10]) - reg.predict(np.zeros((1, 4)))
    assert_allclose(finer.difference, expected, rtol=1e-12)


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler(), MaxAbsScaler(),
                                    RobustScaler()])  # fmt: skip
def test_pipeline_attributions_are_in_the_input_units(scaler):
    data = X * [1.0, 10.0, 100.0, 0.1] + [0.0, 5.0, -50.0, 1.0]
    network = MLPRegressor(hidden_layer_sizes=(6,), activation="tanh", max_iter=50, random_state=0)
    pipe = make_pipeline(scaler, network)
    _fit(pipe, data, Y_REG[:, 0])
    G = input_gradients(pipe, data[:6])
    assert_allclose(G, _central_differences(pipe, data[:6], 0, h=1e-5), rtol=1e-4, atol=1e-9)
    baseline = data.mean(axis=0)
    result = integrated_gradients(pipe, data[:6], baseline=baseline)
    inner = integrated_gradients(
        pipe[-1], pipe[0].transform(data[:6]), baseline=pipe[0].transform(baseline[None])[0]
    )
    assert_allclose(result.attributions, inner.attributions, rtol=1e-10, atol=1e-12)
    assert_allclose(result.attributions.sum(axis=1), result.difference, rtol=1e-6, atol=1e-9)


def test_bad_calls_raise_clear_errors():
    reg = _fit(MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0), X, Y_REG)
    clf = _fit(MLPClassifier((4,), max_iter=5, random_state=0), X, Y_CLS)
    with pytest.raises(ValueError, match="target is required for a regressor with 2 outputs"):
        input_gradients(reg, X[:2])
    with pytest.raises(ValueError, match="output index in"):
        input_gradients(reg, X[:2], target=2)
    with pytest.raises(ValueError, match="is not one of the classes"):
        input_gradients(clf, X[:2], target=7)
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        integrated_gradients(clf, X[:2], n_steps=0)
    with pytest.raises(ValueError, match="baseline must have shape"):
        integrated_gradients(clf, X[:2], baseline=np.zeros(3))
    with pytest.raises(ValueError, match="features"):
        input_gradients(clf, X[:2, :3])
    with pytest.raises(NotFittedError):
        input_gradients(MLPClassifier(), X[:2])
    with pytest.raises(TypeError, match="skmlp MLPClassifier or MLPRegressor"):
        input_gradients(StandardScaler().fit(X), X[:2])
    pipe = _fit(
        make_pipeline(PolynomialFeatures(), MLPRegressor(hidden_layer_sizes=(4,), max_iter=5)),
        X,
        Y_REG,
    )
    with pytest.raises(ValueError, match="PolynomialFeatures is not one"):
        input_gradients(pipe, X[:2], target=0)


def test_a_fit_does_not_compile_the_attribution_skeleton():
    script = (
        "import numpy as np, skmlp\n"
        "from skmlp._engine import attribution\n"
        "X = np.random.RandomState(0).normal(size=(30, 3))\n"
        "skmlp.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(X, X[:, 0]).predict(X)\n"
        "print(len(attribution.gradients_.signatures), len(attribution._tables))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["0", "0"]


@pytest.mark.parametrize("n_targets", [1, 2])
def test_quantile_model_gradients_are_those_of_the_predicted_quantile(n_targets):
    # The quantiles are a monotone map of the network's outputs: the gradient
    # of each predicted quantile, not of a raw output, matches differences.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] + np.abs(X[:, 1]) * rng.normal(size=300)
    Y = y if n_targets == 1 else np.column_stack([y, X[:, 2] - y])
    model = MLPRegressor(
        loss="quantile", quantile=[0.1, 0.5, 0.9], hidden_layer_sizes=(8,), activation="tanh",
        max_iter=50, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y)
    x = X[:10]
    for k in range(3 * n_targets):
        G = input_gradients(model, x, target=k)
        assert_allclose(G, _central_differences(model, x, k), rtol=1e-5, atol=1e-9)
    result = integrated_gradients(model, x, target=3 * n_targets - 1)
    assert np.max(result.error) <= 1e-6
