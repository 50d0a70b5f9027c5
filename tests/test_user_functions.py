"""User-defined activations and regression losses (Numba functions of the user's).

The functions are module-level names of this module, as the estimators
require (a model stores them by reference).
"""

import math
import os
import pickle
import re
import subprocess
import sys
import textwrap
import warnings

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp import MLPClassifier, MLPRegressor
from skmlp._engine import losses, user


@numba.njit
def swish(z):
    """silu, written by a user: ``z * sigmoid(z)`` and its derivative."""
    s = 1.0 / (1.0 + math.exp(-z))
    return z * s, s + z * s * (1.0 - s)


@numba.njit
def swish_2(z):
    """A parametrised swish, ``z * sigmoid(2 z)``."""
    s = 1.0 / (1.0 + math.exp(-2.0 * z))
    return z * s, s + 2.0 * z * s * (1.0 - s)


@numba.njit
def half_squared(y_true, y_pred):
    r = y_pred - y_true
    return 0.5 * r * r, r


@numba.njit
def log_cosh(y_true, y_pred):
    r = y_pred - y_true
    return math.log(math.cosh(r)), math.tanh(r)


@numba.njit
def wrong_slope(z):
    return z * z, z  # the derivative is 2 z


@numba.njit
def wrong_loss_slope(y_true, y_pred):
    r = y_pred - y_true
    return r * r, r  # the derivative is 2 r


@numba.njit
def one_number(z):
    return z


@numba.njit
def log_activation(z):
    return math.log(z), 1.0 / z  # NaN for z < 0


def plain(z):
    return z, 1.0


def _digits(n=300):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_user_activation_trains_as_the_built_in_one_it_writes(dtype):
    X, y = _digits()
    X = X.astype(dtype)
    params = dict(hidden_layer_sizes=(20, 10), max_iter=15, random_state=0)
    mine = _fit(MLPClassifier(activation=swish, **params), X, y)
    built_in = _fit(MLPClassifier(activation="silu", **params), X, y)
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    assert_allclose(mine.loss_curve_, built_in.loss_curve_, rtol=rtol)
    assert_allclose(mine.predict_proba(X), built_in.predict_proba(X), rtol=rtol, atol=rtol)
    assert mine.coefs_[0].dtype == dtype


def test_a_parametrised_user_activation_matches_its_formula():
    X, y = _digits(100)
    model = _fit(MLPClassifier(activation=swish_2, hidden_layer_sizes=(7,), max_iter=3), X, y)
    z = X @ model.coefs_[0] + model.intercepts_[0]
    expected = z / (1.0 + np.exp(-2.0 * z))
    assert_allclose(model.transform(X), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_user_loss_trains_as_the_built_in_one_it_writes(solver):
    X, _ = _digits()
    y = X[:, 10] * 3 - X[:, 30]
    params = dict(hidden_layer_sizes=(12,), max_iter=20, solver=solver, random_state=0)
    mine = _fit(MLPRegressor(loss=half_squared, **params), X, y)
    built_in = _fit(MLPRegressor(loss="squared_error", **params), X, y)
    assert mine.n_iter_ == built_in.n_iter_
    assert mine.loss_ == pytest.approx(built_in.loss_, rel=1e-10)
    assert_allclose(mine.predict(X), built_in.predict(X), rtol=1e-10, atol=1e-12)


def test_a_user_loss_kernel_computes_the_weighted_loss_and_its_gradient():
    rng = np.random.default_rng(0)
    P, Y = rng.normal(size=(7, 2)), rng.normal(size=(7, 2))
    sw = rng.uniform(0.5, 2.0, size=7)
    D = np.empty_like(P)
    value = losses.loss_and_delta(user.loss_code(log_cosh), P, Y, sw, 0.0, D)
    r = P - Y
    assert value == pytest.approx(np.sum(sw[:, None] * np.log(np.cosh(r))), rel=1e-12)
    assert_allclose(D, sw[:, None] * np.tanh(r), rtol=1e-12)


def test_a_user_loss_model_reports_its_loss():
    X, _ = _digits(200)
    y = X[:, 20] * 4
    model = _fit(MLPRegressor(loss=log_cosh, max_iter=30, alpha=0.0, random_state=0), X, y)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    # The best loss is the last epoch's mean log-cosh, measured during the epoch.
    r = model.predict(X) - y
    assert np.mean(np.log(np.cosh(r))) < model.loss_curve_[0]


@pytest.mark.parametrize(
    "activation, message",
    [
        (lambda z: (z, 1.0), "lambda"),
        (plain, "not compiled"),
        (wrong_slope, "wrong_slope returns a derivative that disagrees"),
        (one_number, "tuple of two numbers"),
        ([swish, swish], "given alone"),
    ],
)
def test_a_wrong_user_activation_is_refused_with_what_to_pass(activation, message):
    X, y = _digits(50)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(activation=activation, hidden_layer_sizes=(4, 3), max_iter=2).fit(X, y)


def test_a_function_defined_inside_another_is_refused():
    @numba.njit
    def local(z):
        return z, 1.0

    X, y = _digits(50)
    with pytest.raises(ValueError, match="module-level"):
        MLPClassifier(activation=local, max_iter=2).fit(X, y)


def test_a_wrong_user_loss_is_refused_naming_it():
    X, y = _digits(50)
    with pytest.raises(ValueError, match="wrong_loss_slope returns a derivative"):
        MLPRegressor(loss=wrong_loss_slope, max_iter=2).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="lambda"):
        MLPRegressor(loss=lambda t, p: (p, 1.0), max_iter=2).fit(X, y.astype(float))


def test_a_non_finite_user_activation_is_a_divergence():
    # As for any activation: the first epoch's loss is not finite, the fit is
    # undone and raises scikit-learn's error, with skmlp's explanation.
    X, y = _digits(50)
    with pytest.raises(ValueError, match="Training diverged before its first epoch"):
        MLPClassifier(activation=log_activation, max_iter=5, random_state=0).fit(X, y)


def test_clone_params_pickle_and_skops_keep_the_function():
    X, _ = _digits(100)
    y = X[:, 5]
    model = _fit(MLPRegressor(activation=swish, loss=log_cosh, max_iter=5, random_state=0), X, y)
    assert clone(model).get_params()["activation"] is swish
    assert clone(model).set_params(loss=half_squared).loss is half_squared
    state = model.__getstate__()
    assert state["activation"] is None and state["loss"] is None
    assert state["_user_functions"] == {
        "activation": f"{__name__}:swish",
        "loss": f"{__name__}:log_cosh",
    }
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.activation is swish and loaded.loss is log_cosh
    assert_array_equal(loaded.predict(X), model.predict(X))
    sio = pytest.importorskip("skops.io")
    data = sio.dumps(model)
    assert set(sio.get_untrusted_types(data=data)) == {"skmlp._regressor.MLPRegressor"}
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert loaded.activation is swish
    assert_array_equal(loaded.predict(X), model.predict(X))


def test_loading_without_the_functions_module_says_what_to_import(monkeypatch):
    X, y = _digits(60)
    data = pickle.dumps(_fit(MLPClassifier(activation=swish, max_iter=2), X, y))
    monkeypatch.delitem(sys.modules, __name__)
    with pytest.raises(ValueError, match=f"import {__name__}"):
        pickle.loads(data)


def test_onnx_refuses_a_user_activation_and_exports_a_user_loss():
    skl2onnx = pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    import skmlp.onnx  # noqa: F401  registers the converters

    X, _ = _digits(80)
    X = X.astype(np.float32)
    y = X[:, 3] * 2
    with_activation = _fit(MLPRegressor(activation=swish, max_iter=3), X, y)
    with pytest.raises(ValueError, match="user-defined activation swish"):
        skl2onnx.to_onnx(with_activation, X[:1])
    with_loss = _fit(MLPRegressor(loss=log_cosh, max_iter=3), X, y)
    onx = skl2onnx.to_onnx(with_loss, X[:1])
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: X})
    assert_allclose(out.ravel(), with_loss.predict(X), rtol=1e-5, atol=1e-6)


FUNCTIONS = """
import math, numba

@numba.njit
def softsign(z):
    d = 1.0 + abs(z)
    return z / d, 1.0 / (d * d)

@numba.njit
def cauchy(y_true, y_pred):
    r = y_pred - y_true
    return math.log1p(r * r), 2.0 * r / (1.0 + r * r)
"""

SCRIPT = """
import warnings
import numpy as np
from functions import softsign, cauchy
import skmlp
from skmlp._engine import user
warnings.simplefilter("ignore")
X = np.random.RandomState(0).standard_normal((40, 3))
model = skmlp.MLPRegressor(
    hidden_layer_sizes=(5,), activation=softsign, loss=cauchy, max_iter=3, random_state=0
)
model.fit(X, X[:, 0]).predict(X)
kernels = [*user._kernels["activation"].values(), *user._kernels["loss"].values()]
kernels = [k for made in kernels for k in (made if isinstance(made, tuple) else (made,))]
print(sum(sum(k.stats.cache_hits.values()) for k in kernels),
      sum(sum(k.stats.cache_misses.values()) for k in kernels))
"""


def test_a_second_process_loads_the_user_kernels_from_the_cache(tmp_path):
    (tmp_path / "functions.py").write_text(textwrap.dedent(FUNCTIONS))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])

    def run():
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True,
            text=True, timeout=600, check=True,
        )  # fmt: skip
        return tuple(int(v) for v in result.stdout.split())

    hits, misses = run()
    assert hits == 0 and misses > 0  # compiled: activate, activate_slope, the loss
    assert run() == (misses, 0)  # loaded, each of them, and nothing compiled


def _with_checks(estimators):
    """``parametrize_with_checks``, with ids free of the functions' addresses.

    The same ids in every process: pytest-xdist's workers compare them.
    """
    mark = parametrize_with_checks(estimators).mark
    ids = mark.kwargs["ids"]
    return pytest.mark.parametrize(
        *mark.args, ids=lambda value: re.sub(r"at0x[0-9A-Fa-f]+", "", ids(value))
    )


@_with_checks([MLPClassifier(activation=swish), MLPRegressor(activation=swish_2, loss=log_cosh)])
def test_sklearn_compatible_estimator_with_user_functions(estimator, check):
    check(estimator)


def test_a_redefined_function_gets_kernels_of_its_own():
    # A notebook cell run again with another constant: same name, other code.
    namespace = {"numba": numba}
    source = "@numba.njit\ndef scaled(z):\n    return {0} * z, {0}\n"
    X, y = _digits(60)
    slopes = []
    for factor in (1.0, 2.0):
        exec(source.format(factor), namespace)
        model = MLPClassifier(activation=namespace["scaled"], hidden_layer_sizes=(3,), max_iter=1)
        _fit(model, X, y)
        z = X @ model.coefs_[0] + model.intercepts_[0]
        assert_allclose(model.transform(X), factor * z, rtol=1e-12)
        slopes.append(user.activation_code(namespace["scaled"]))
    assert slopes[0] != slopes[1]
