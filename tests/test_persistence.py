"""Persistence: what a fitted model stores, and pickles of earlier versions.

A fitted model's state is NumPy arrays and Python builtins (plus
scikit-learn's own ``LabelBinarizer`` and NumPy's ``RandomState``), so that
``skops.io`` trusts everything in it but skmlp's estimator classes, and
models pickled by skmlp 0.1.0, whose state held a private layout object,
still load and predict the same.  Pickles record the skmlp version; loading
one under another version warns (``InconsistentVersionWarning``) and loads
when the state layout is readable; the pickles of each release kept in
tests/data keep loading and predicting the same.
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
import skmlp._version
from skmlp import MLPClassifier, MLPRegressor
from skmlp.exceptions import InconsistentVersionWarning

V1_PICKLES = Path(__file__).with_name("data") / "layout_v1.pkl"
RELEASE_PICKLES = sorted(Path(__file__).with_name("data").glob("skmlp_*.pkl"))
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
        method = "predict_proba" if estimator_class is MLPClassifier else "predict"
        # Bitwise: the same rows through the same weights.
        assert_array_equal(getattr(loaded, method)(X_IRIS), getattr(obj, method)(X_IRIS))


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


FLAT_LAYOUT_PICKLES = Path(__file__).with_name("data") / "flat_layout.pkl"


def test_pickles_of_the_flat_module_layout_load_and_predict_the_same():
    # Written when every module sat directly under skmlp/ (skmlp._tabular,
    # skmlp._classifier, ...): the classes they name must still be found.
    from data.make_flat_layout_pickles import frames

    (X_iris, _), (X_diab, _) = frames()
    inputs = {
        "tabular_classifier": X_iris,
        "tabular_regressor": X_diab,
        "classifier": X_iris.iloc[:, :4].to_numpy(),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        content = pickle.loads(FLAT_LAYOUT_PICKLES.read_bytes())
    assert set(content["models"]) == set(inputs)
    for name, model in content["models"].items():
        method, expected, labels = content["expected"][name]
        assert_allclose(getattr(model, method)(inputs[name]), expected, **_close(expected.dtype))
        assert_array_equal(model.predict(inputs[name]), labels)


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


def test_a_pickle_records_the_skmlp_version():
    state = _fitted(MLPClassifier).__getstate__()
    assert state["_skmlp_version"] == skmlp.__version__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same version: no warning
        restored = pickle.loads(pickle.dumps(_fitted(MLPClassifier)))
    assert "_skmlp_version" not in vars(restored)


def test_loading_under_another_version_warns_and_loads(monkeypatch):
    model = _fitted(MLPClassifier, batch_norm=True, hidden_layer_sizes=(8, 4))
    data, original = pickle.dumps(model), skmlp.__version__
    monkeypatch.setattr(skmlp._version, "__version__", "99.0.0")
    with pytest.warns(InconsistentVersionWarning) as record:
        restored = pickle.loads(data)
    (warning,) = [w.message for w in record if isinstance(w.message, InconsistentVersionWarning)]
    assert warning.estimator_name == "MLPClassifier"
    assert warning.original_skmlp_version == original
    assert warning.current_skmlp_version == "99.0.0"
    assert "from skmlp version %s when using version 99.0.0" % original in str(warning)
    assert_array_equal(restored.predict_proba(X_IRIS), model.predict_proba(X_IRIS))


def test_the_warning_is_a_scikit_learn_inconsistent_version_warning(monkeypatch):
    from sklearn.exceptions import InconsistentVersionWarning as SklearnWarning

    data = pickle.dumps(_fitted(MLPRegressor))
    monkeypatch.setattr(skmlp._version, "__version__", "99.0.0")
    with warnings.catch_warnings():
        # A filter on scikit-learn's warning covers skmlp's.
        warnings.simplefilter("error", SklearnWarning)
        with pytest.raises(SklearnWarning):
            pickle.loads(data)


def test_a_pickle_without_a_version_warns_that_it_is_unknown():
    with pytest.warns(InconsistentVersionWarning, match=r"version unknown \(0\.1\.0 or earlier\)"):
        content = pickle.loads(V1_PICKLES.read_bytes())
    assert isinstance(content["models"]["classifier_float32_sgd"], MLPClassifier)


def test_an_unreadable_state_layout_is_refused_with_the_versions(monkeypatch):
    state = _fitted(MLPClassifier).__getstate__()
    state["_skmlp_version"] = "99.0.0"
    del state["_layer_units"]  # a layout this version does not know
    model = MLPClassifier.__new__(MLPClassifier)
    with pytest.warns(InconsistentVersionWarning):
        with pytest.raises(ValueError, match="skmlp 99.0.0 with a fitted state this version"):
            model.__setstate__(state)


@pytest.mark.parametrize("path", RELEASE_PICKLES, ids=lambda p: p.name)
def test_pickles_of_releases_load_and_predict_the_same(path):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator")
        content = pickle.loads(path.read_bytes())
    assert path.name == "skmlp_%s.pkl" % content["version"]
    for name, model in content["models"].items():
        method, expected, labels = content["expected"][name]
        X = X_IRIS if hasattr(model, "predict_proba") else _diabetes()
        X = X.astype(expected.dtype)
        assert_allclose(getattr(model, method)(X), expected, **_close(expected.dtype))
        if labels.dtype.kind == "f":  # regression: values, to rounding as above
            assert_allclose(model.predict(X), labels, **_close(labels.dtype))
        else:
            assert_array_equal(model.predict(X), labels)


def test_the_current_release_has_its_pickles():
    # Run tests/data/make_release_pickles.py when the version changes.
    assert Path(__file__).with_name("data").joinpath("skmlp_%s.pkl" % skmlp.__version__).exists()


def test_a_version_0_1_0_pickle_gets_the_newer_parameters_defaults():
    for model in _load_v1()["models"].values():
        params = model.get_params()
        if isinstance(model, MLPClassifier):
            assert params["label_smoothing"] == 0.0
        else:
            assert params["quantile"] == 0.5
        assert model.hidden_layer_sizes_ == tuple(c.shape[1] for c in model.coefs_[:-1])
