"""``transform(X)``: the last hidden layer's activations; ``get_feature_names_out()``.

Both estimators are also transformers (as LinearDiscriminantAnalysis is a
classifier and a transformer): the hidden representation, computed as in
prediction (batch norm's running statistics, no dropout), in the model's dtype.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import skmlp._base
from skmlp import MLPClassifier, MLPRegressor

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = StandardScaler().fit_transform(X_DIGITS)[:500]
Y_DIGITS = Y_DIGITS[:500]
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB = StandardScaler().fit_transform(X_DIAB)
Y_DIAB = (Y_DIAB - Y_DIAB.mean()) / Y_DIAB.std()

HIDDEN = {
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
    "identity": lambda z: z,
}


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _reference_hidden(est, X):
    """The last hidden layer by NumPy: X @ W (+ batch norm with running statistics) + b."""
    A = np.asarray(X, dtype=np.float64)
    for i in range(est.n_layers_ - 2):
        Z = A @ est.coefs_[i]
        if est.batch_norm:
            mean, var = est.batch_norm_means_[i], est.batch_norm_vars_[i]
            Z = (Z - mean) / np.sqrt(var + 1e-5) * est.batch_norm_scales_[i]
        A = HIDDEN[est.activation](Z + est.intercepts_[i])
    return A


@pytest.mark.parametrize("activation", sorted(HIDDEN))
@pytest.mark.parametrize(
    "options", [{}, {"batch_norm": True}, {"dropout": 0.3, "batch_norm": True}], ids=str
)
def test_transform_is_the_last_hidden_layer(activation, options):
    est = MLPClassifier(
        hidden_layer_sizes=(12, 7), activation=activation, max_iter=20, random_state=0, **options
    )
    _fit(est, X_DIGITS, Y_DIGITS)
    hidden = est.transform(X_DIGITS)
    assert hidden.shape == (X_DIGITS.shape[0], 7)
    assert hidden.dtype == np.float64
    assert_allclose(hidden, _reference_hidden(est, X_DIGITS), rtol=1e-10, atol=1e-12)
    # Deterministic: no dropout at transform time.
    assert_array_equal(est.transform(X_DIGITS), hidden)


def test_transform_of_the_regressor_and_of_a_float32_model():
    est = _fit(MLPRegressor(hidden_layer_sizes=(9,), max_iter=30, random_state=0), X_DIAB, Y_DIAB)
    assert_allclose(est.transform(X_DIAB), _reference_hidden(est, X_DIAB), rtol=1e-10, atol=1e-12)
    est32 = MLPRegressor(hidden_layer_sizes=(9,), max_iter=30, random_state=0)
    _fit(est32, X_DIAB.astype(np.float32), Y_DIAB.astype(np.float32))
    hidden = est32.transform(X_DIAB.astype(np.float32))
    assert hidden.dtype == np.float32
    assert_allclose(
        hidden, _reference_hidden(est32, X_DIAB.astype(np.float32)), rtol=1e-4, atol=1e-5
    )


def test_transform_does_not_depend_on_row_blocks_or_sparsity(monkeypatch):
    est = _fit(
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=10, random_state=0), X_DIGITS, Y_DIGITS
    )
    whole = est.transform(X_DIGITS)
    assert_allclose(est.transform(sp.csr_matrix(X_DIGITS)), whole, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(skmlp._base, "_PREDICT_WORKSPACE", 50)  # blocks of a few rows
    assert_allclose(est.transform(X_DIGITS), whole, rtol=1e-12, atol=1e-12)


def test_feature_names_out_and_pandas_output():
    pd = pytest.importorskip("pandas")
    est = _fit(
        MLPClassifier(hidden_layer_sizes=(5, 3), max_iter=5, random_state=0), X_DIGITS, Y_DIGITS
    )
    assert_array_equal(
        est.get_feature_names_out(), ["mlpclassifier0", "mlpclassifier1", "mlpclassifier2"]
    )
    reg = _fit(MLPRegressor(hidden_layer_sizes=(2,), max_iter=5, random_state=0), X_DIAB, Y_DIAB)
    assert_array_equal(reg.get_feature_names_out(), ["mlpregressor0", "mlpregressor1"])
    frame = pd.DataFrame(X_DIGITS[:4], index=[10, 11, 12, 13])
    out = est.set_output(transform="pandas").transform(frame.to_numpy())
    assert list(out.columns) == ["mlpclassifier0", "mlpclassifier1", "mlpclassifier2"]
    assert_allclose(out.to_numpy(), est.set_output(transform="default").transform(X_DIGITS[:4]))


def test_transform_needs_a_fitted_model_with_a_hidden_layer():
    with pytest.raises(NotFittedError):
        MLPClassifier().transform(X_DIGITS)
    with pytest.raises(NotFittedError):
        MLPClassifier().get_feature_names_out()
    est = _fit(MLPRegressor(hidden_layer_sizes=(), max_iter=5, random_state=0), X_DIAB, Y_DIAB)
    assert est.predict(X_DIAB).shape == Y_DIAB.shape
    with pytest.raises(ValueError, match="last hidden layer, but this network has none"):
        est.transform(X_DIAB)
    with pytest.raises(ValueError, match="last hidden layer, but this network has none"):
        est.get_feature_names_out()
    # dir() (which skl2onnx and IDEs call) tests every attribute with hasattr.
    assert "transform" in dir(est)


def test_transform_refuses_bad_input_as_predict_does():
    est = _fit(
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0), X_DIGITS, Y_DIGITS
    )
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 64"):
        est.transform(X_DIGITS[:, :3])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.transform(np.where(X_DIGITS > 2, np.nan, X_DIGITS))
    # Finite input whose hidden activations overflow: refused, never inf or NaN.
    est.coefs_[0][...] = 1.0
    huge = np.full((2, 64), np.finfo(np.float64).max / 10)
    with pytest.raises(ValueError, match="not finite for some samples"):
        est.transform(huge)


def test_the_hidden_layer_feeds_another_estimator_in_a_pipeline():
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=50, random_state=0)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp), ("lr", LogisticRegression())])
    _fit(pipe, X_DIGITS, Y_DIGITS)
    features = pipe[:-1].transform(X_DIGITS)
    scaled = pipe["scale"].transform(X_DIGITS)
    assert features.shape == (X_DIGITS.shape[0], 32)
    assert_allclose(features, pipe["mlp"].transform(scaled))
    assert_array_equal(pipe[:-1].get_feature_names_out(), [f"mlpclassifier{i}" for i in range(32)])
    assert pipe["lr"].n_features_in_ == 32
    # The learned representation separates the training classes linearly.
    assert pipe.score(X_DIGITS, Y_DIGITS) > 0.95
    assert_array_equal(pipe.predict(X_DIGITS), pipe["lr"].predict(features))
    # And a regressor's hidden layer feeds Ridge.
    reg = make_pipeline(
        MLPRegressor(hidden_layer_sizes=(16,), max_iter=200, random_state=0), Ridge()
    )
    _fit(reg, X_DIAB, Y_DIAB)
    assert reg.score(X_DIAB, Y_DIAB) > 0.4
