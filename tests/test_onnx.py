"""ONNX export: skl2onnx converts every model skmlp can fit, and onnxruntime agrees.

Each test runs the converted graph in a real onnxruntime ``InferenceSession``
and compares it with skmlp's own ``predict``/``predict_proba``: labels equal,
probabilities and values within 1e-5 (float32) and 1e-10 (float64).
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
from scipy.special import ndtr  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402

import skmlp.onnx  # noqa: E402, F401  (registers the converters)
from skmlp import MLPClassifier, MLPRegressor  # noqa: E402
from skmlp._engine.activations import HIDDEN_ACTIVATIONS  # noqa: E402

OPSET = 21
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
X_RAW, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_RAW)
NAMES = np.array(["setosa", "versicolor", "virginica"])

#: Every output skmlp can fit, with the label kinds: (estimator, target, fit parameters).
TARGETS = {
    "softmax, string labels": (MLPClassifier, NAMES[Y_IRIS], {}),
    "softmax, integer labels": (MLPClassifier, Y_IRIS + 3, {}),
    "logistic, boolean labels": (MLPClassifier, Y_IRIS == 1, {}),
    "logistic, string labels": (MLPClassifier, np.where(Y_IRIS == 2, "yes", "no"), {}),
    "multilabel logistic": (
        MLPClassifier,
        np.column_stack([Y_IRIS == 0, Y_IRIS == 2, X_RAW[:, 0] > 5.8]).astype(int),
        {},
    ),
    "identity": (MLPRegressor, X_RAW[:, 0], {}),
    "identity, two outputs": (MLPRegressor, X_RAW[:, :2], {}),
    "exp (poisson)": (MLPRegressor, X_RAW[:, 3], {"loss": "poisson"}),
}


def _fit(estimator_class, X, y, **params):
    params = {"hidden_layer_sizes": (5, 4), "max_iter": 3, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator_class(**params).fit(X, y)


def _run(model, X, **options):
    onx = to_onnx(model, X[:1], target_opset=OPSET, **options)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def _decided(proba, atol):
    """Rows whose label no change of ``atol`` in the probabilities can flip."""
    if proba.shape[1] == 2 or proba.ndim == 1:
        return np.abs(proba[:, -1] - 0.5) > atol
    top = np.sort(proba, axis=1)
    return top[:, -1] - top[:, -2] > 2 * atol


def _assert_classifier_parity(model, X, label, proba):
    atol = TOLERANCE[X.dtype.type]
    expected = model.predict_proba(X)
    assert proba.dtype == X.dtype
    assert_allclose(proba, expected, rtol=0, atol=atol)
    predicted = model.predict(X)
    if predicted.ndim == 2:  # multilabel: the indicator matrix
        decided = np.all(np.abs(expected - 0.5) > atol, axis=1)
    else:
        decided = _decided(expected, atol)
    # A label may differ only where the probabilities tie within the tolerance.
    assert decided.mean() > 0.9
    if predicted.dtype == np.bool_:
        predicted = predicted.astype(np.int64)
    assert_array_equal(label[decided], predicted[decided])


def test_every_hidden_activation_has_an_onnx_builder():
    from skmlp.onnx._graph import HIDDEN_BUILDERS

    assert set(HIDDEN_BUILDERS) == set(HIDDEN_ACTIVATIONS)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_onnxruntime_matches_predict(activation, dtype, batch_norm, target):
    estimator_class, y, params = TARGETS[target]
    X = X_IRIS.astype(dtype)
    extra = {"batch_norm": True, "dropout": 0.1} if batch_norm else {}
    model = _fit(estimator_class, X, y, activation=activation, **params, **extra)
    if estimator_class is MLPRegressor:
        (values,) = _run(model, X)
        assert values.dtype == dtype and values.shape == (len(X), model.n_outputs_)
        expected = model.predict(X).reshape(len(X), -1)
        assert_allclose(values, expected, rtol=0, atol=TOLERANCE[dtype])
    else:
        label, proba = _run(model, X, options={"zipmap": False})
        _assert_classifier_parity(model, X, label, proba)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_with_standard_scaler_converts(dtype):
    X = X_RAW.astype(dtype)
    classifier = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(X, NAMES[Y_IRIS])
    label, proba = _run(classifier, X, options={"zipmap": False})
    _assert_classifier_parity(classifier, X, label, proba)
    regressor = make_pipeline(
        StandardScaler(), MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        regressor.fit(X[:, 1:], X[:, 0])
    (values,) = _run(regressor, X[:, 1:])
    assert_allclose(values.ravel(), regressor.predict(X[:, 1:]), rtol=0, atol=TOLERANCE[dtype])


def test_a_float64_model_exports_as_a_float32_graph():
    model = _fit(MLPClassifier, X_IRIS, Y_IRIS)
    X = X_IRIS.astype(np.float32)
    label, proba = _run(model, X, options={"zipmap": False})
    assert proba.dtype == np.float32
    assert_allclose(proba, model.predict_proba(X_IRIS), rtol=0, atol=1e-5)


def test_an_integer_input_type_is_refused_with_the_way_out():
    model = _fit(MLPRegressor, X_IRIS, Y_IRIS)
    with pytest.raises(TypeError, match="float32 or float64"):
        to_onnx(model, X_RAW[:1].astype(np.int64), target_opset=OPSET)


def test_an_input_of_another_width_is_refused():
    model = _fit(MLPRegressor, X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="has 3 features but MLPRegressor was fitted with 4"):
        to_onnx(model, X_IRIS[:1, :3], target_opset=OPSET)


def test_no_hidden_layer_converts():
    X = X_IRIS.astype(np.float32)
    model = _fit(MLPClassifier, X, Y_IRIS, hidden_layer_sizes=())
    label, proba = _run(model, X, options={"zipmap": False})
    _assert_classifier_parity(model, X, label, proba)


def test_zipmap_gives_one_dict_per_row_keyed_by_class():
    X = X_IRIS.astype(np.float32)
    model = _fit(MLPClassifier, X, NAMES[Y_IRIS])
    label, dicts = _run(model, X)
    assert_array_equal(label, model.predict(X))
    proba = np.array([[row[name] for name in model.classes_] for row in dicts])
    assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-5)


def test_zipmap_columns_gives_one_output_per_class():
    X = X_IRIS
    model = _fit(MLPClassifier, X, Y_IRIS)
    label, *columns = _run(model, X, options={"zipmap": "columns"})
    assert len(columns) == 3
    assert_allclose(np.column_stack(columns), model.predict_proba(X), rtol=0, atol=1e-10)


def test_output_class_labels_adds_the_classes():
    model = _fit(MLPClassifier, X_IRIS, NAMES[Y_IRIS])
    options = {"zipmap": False, "output_class_labels": True}
    label, proba, classes = _run(model, X_IRIS, options=options)
    assert_array_equal(classes, model.classes_)
    _assert_classifier_parity(model, X_IRIS, label, proba)


def test_nocl_labels_are_class_indices():
    model = _fit(MLPClassifier, X_IRIS, NAMES[Y_IRIS])
    label, _ = _run(model, X_IRIS, options={"zipmap": False, "nocl": True})
    assert_array_equal(model.classes_[label], model.predict(X_IRIS))


def test_zipmap_of_a_float64_model_is_refused_with_the_way_out():
    model = _fit(MLPClassifier, X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="'zipmap': False"):
        to_onnx(model, X_IRIS[:1], target_opset=OPSET)


def test_boolean_class_labels_output_is_refused_with_the_way_out():
    model = _fit(MLPClassifier, X_IRIS, Y_IRIS == 1)
    options = {"zipmap": False, "output_class_labels": True}
    with pytest.raises(ValueError, match="output_class_labels"):
        to_onnx(model, X_IRIS[:1], target_opset=OPSET, options=options)


def test_float_labels_become_int64_labels():
    model = _fit(MLPClassifier, X_IRIS, Y_IRIS + 1.0)
    label, proba = _run(model, X_IRIS, options={"zipmap": False})
    assert label.dtype == np.int64
    _assert_classifier_parity(model, X_IRIS, label, proba)


def test_too_old_opset_names_the_activation_and_the_minimum():
    X = X_IRIS.astype(np.float32)
    model = _fit(MLPClassifier, X, Y_IRIS, activation="gelu")
    with pytest.raises(ValueError, match=r"activation='gelu' needs ONNX opset 20"):
        to_onnx(model, X[:1], target_opset=19, options={"zipmap": False})
    # Without the Gelu operator a float64 gelu and every other activation
    # convert for older opsets.
    for activation, dtype in (("gelu", np.float64), ("mish", np.float32)):
        model = _fit(MLPClassifier, X.astype(dtype), Y_IRIS, activation=activation)
        onx = to_onnx(model, X[:1].astype(dtype), target_opset=15, options={"zipmap": False})
        session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        proba = session.run(None, {"X": X.astype(dtype)})[1]
        assert_allclose(proba, model.predict_proba(X.astype(dtype)), rtol=0, atol=TOLERANCE[dtype])


def test_float64_gelu_is_accurate_to_double_precision():
    # One gelu unit between identities: the graph's output is gelu(x).
    x = np.linspace(-40, 40, 100_001).reshape(-1, 1)
    model = _fit(MLPRegressor, x[:20], x[:20, 0], hidden_layer_sizes=(1,), activation="gelu")
    for array in (*model.coefs_, *model.intercepts_):
        array[...] = 1.0 if array.ndim == 2 else 0.0
    (out,) = _run(model, x)
    out, x = out.ravel(), x.ravel()
    reference = x * ndtr(x)
    assert_allclose(out, reference, rtol=0, atol=1e-15)
    assert_allclose(out, model.predict(x.reshape(-1, 1)), rtol=0, atol=1e-15)
    # Relative precision far into the lower tail (no cancellation in 1 - erf).
    tail = (x < 0) & (reference != 0)
    near = tail & (x > -10)
    assert_allclose(out[near], reference[near], rtol=1e-14)
    assert_allclose(out[tail], reference[tail], rtol=1e-12)


def test_importing_skmlp_does_not_import_onnx():
    code = "import sys, skmlp; sys.exit(any(m in sys.modules for m in ('skl2onnx', 'onnx')))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_per_layer_activations_convert(dtype, batch_norm):
    X = X_IRIS.astype(dtype)
    extra = {"batch_norm": True, "dropout": 0.1} if batch_norm else {}
    activation = ["gelu", "relu", "tanh"]
    model = _fit(
        MLPClassifier,
        X,
        NAMES[Y_IRIS],
        hidden_layer_sizes=(5, 4, 3),
        activation=activation,
        **extra,
    )
    assert skmlp.onnx.hidden_activation(model, 1) == "relu"
    label, proba = _run(model, X, options={"zipmap": False})
    _assert_classifier_parity(model, X, label, proba)


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
def test_pruned_model_converts(batch_norm):
    from skmlp import prune

    X = X_IRIS.astype(np.float64)
    model = _fit(MLPRegressor, X, X_RAW[:, :2], hidden_layer_sizes=(8, 6), batch_norm=batch_norm)
    model.coefs_[0][:, [1, 4]] = 0.0  # constant units
    model.coefs_[2][[0], :] = 0.0  # a silent unit
    pruned = prune(model, X)
    assert sum(pruned.pruned_units_) >= 3
    (values,) = _run(pruned, X)
    assert_allclose(values, pruned.predict(X), rtol=0, atol=TOLERANCE[np.float64])
    assert_allclose(values, model.predict(X), rtol=0, atol=TOLERANCE[np.float64])


def test_quantile_and_label_smoothing_models_convert():
    X = X_IRIS.astype(np.float64)
    regressor = _fit(MLPRegressor, X, X_RAW[:, 0], loss="quantile", quantile=0.9)
    (values,) = _run(regressor, X)
    assert_allclose(values.ravel(), regressor.predict(X), rtol=0, atol=TOLERANCE[np.float64])
    classifier = _fit(MLPClassifier, X, Y_IRIS, label_smoothing=0.1, hidden_layer_sizes="auto")
    label, proba = _run(classifier, X, options={"zipmap": False})
    _assert_classifier_parity(classifier, X, label, proba)


@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_several_quantiles_export_as_predict_returns_them(dtype, n_targets):
    # The network's outputs regrouped per target through the monotone map
    # (first quantile, then cumulative softplus steps), predict's shape.
    X = X_IRIS.astype(dtype)
    y = X_RAW[:, :n_targets] if n_targets > 1 else X_RAW[:, 0]
    model = _fit(MLPRegressor, X, y, loss="quantile", quantile=[0.1, 0.5, 0.9], max_iter=20)
    (values,) = _run(model, X)
    expected = model.predict(X)
    assert values.dtype == dtype and values.shape == expected.shape
    assert expected.shape == ((len(X), 3) if n_targets == 1 else (len(X), 2, 3))
    assert_allclose(values, expected, rtol=0, atol=TOLERANCE[dtype])
    assert np.all(np.diff(values, axis=-1) > 0)
