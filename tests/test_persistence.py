"""Persistence: what a fitted model stores, and pickles of earlier versions.

A fitted model's state is NumPy arrays and Python builtins (plus
scikit-learn's own ``LabelBinarizer`` and NumPy's ``RandomState``), so that
``skops.io`` trusts everything in it but skmlp's estimator classes, and
models pickled by skmlp 0.1.0, whose state held a private layout object,
still load and predict the same.
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelBinarizer, StandardScaler

import skmlp
from skmlp import MLPClassifier, MLPRegressor

V1_PICKLES = Path(__file__).with_name("data") / "layout_v1.pkl"
X_IRIS, Y_IRIS = load_iris(return_X_y=True)

ESTIMATOR_CLASSES = {
    f"{cls.__module__}.{cls.__name__}" for cls in (skmlp.MLPClassifier, skmlp.MLPRegressor)
}


def _fitted(estimator_class, pipeline=False, **params):
    y = Y_IRIS if estimator_class is MLPClassifier else X_IRIS[:, 0]
    est = estimator_class(max_iter=5, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return (make_pipeline(StandardScaler(), est) if pipeline else est).fit(X_IRIS, y)


def _plain(value):
    """Whether ``value`` is NumPy data, a Python builtin, or a container of them."""
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return value is None or isinstance(
        value, (bool, int, float, str, np.ndarray, np.generic, np.random.RandomState)
    )


FITTED = [
    (MLPClassifier, {}),
    (MLPClassifier, {"batch_norm": True, "dropout": 0.2, "hidden_layer_sizes": (8, 4)}),
    (MLPClassifier, {"solver": "lbfgs", "early_stopping": True}),
    (MLPRegressor, {"solver": "sgd", "early_stopping": True}),
    (MLPRegressor, {"hidden_layer_sizes": ()}),
]


@pytest.mark.parametrize("estimator_class, params", FITTED)
def test_fitted_state_is_numpy_arrays_and_builtins(estimator_class, params):
    state = _fitted(estimator_class, **params).__getstate__()
    for name, value in state.items():
        if name == "_label_binarizer":
            assert type(value) is LabelBinarizer
        else:
            assert _plain(value), (name, type(value))


@pytest.mark.parametrize("estimator_class, params", FITTED)
def test_skops_trusts_everything_but_the_estimator_classes(estimator_class, params):
    sio = pytest.importorskip("skops.io")
    est = _fitted(estimator_class, **params)
    pipeline = _fitted(estimator_class, pipeline=True, **params)
    for obj in (est, pipeline):
        data = sio.dumps(obj)
        assert set(sio.get_untrusted_types(data=data)) <= ESTIMATOR_CLASSES
        loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
        assert_array_equal(loaded.predict(X_IRIS), obj.predict(X_IRIS))


def _load_v1():
    with warnings.catch_warnings():
        # The fixture may come from another scikit-learn version than the one
        # installed; its LabelBinarizer is plain data either way.
        warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator")
        return pickle.loads(V1_PICKLES.read_bytes())


def _close(dtype):
    # skmlp's promise across BLAS kernels and row counts: a few ulps.
    return {"rtol": 64 * np.finfo(dtype).eps, "atol": 0}


def test_pickles_of_version_0_1_0_load_and_predict_the_same():
    content = _load_v1()
    assert content["version"] == "0.1.0"
    for name, model in content["models"].items():
        method, expected, labels = content["expected"][name]
        X = X_IRIS if isinstance(model, MLPClassifier) else _diabetes()
        X = X.astype(expected.dtype)
        assert_allclose(getattr(model, method)(X), expected, **_close(expected.dtype))
        assert_array_equal(model.predict(X), labels) if method == "predict_proba" else None
        # Re-pickled, the model no longer holds the private layout object.
        state = model.__getstate__()
        assert "_layout" not in state
        restored = pickle.loads(pickle.dumps(model))
        assert_array_equal(getattr(restored, method)(X), getattr(model, method)(X))


def test_a_version_0_1_0_pickle_continues_training():
    model = _load_v1()["models"]["classifier_float32_sgd"]
    X, y = X_IRIS.astype(np.float32), Y_IRIS == 1
    before, epochs = model._params.copy(), len(model.loss_curve_)
    model.partial_fit(X, y)
    assert model._params.dtype == np.float32
    assert not np.array_equal(model._params, before)
    assert len(model.loss_curve_) == epochs + 1 and np.isfinite(model.loss_)


def _diabetes():
    from sklearn.datasets import load_diabetes

    return load_diabetes(return_X_y=True)[0]
