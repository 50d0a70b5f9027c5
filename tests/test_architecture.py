"""The network's shape: ``hidden_layer_sizes='auto'`` and per-layer activations."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from reference_activations import value as reference_value
from scipy.special import softmax as _softmax
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.model_selection import GridSearchCV

from skmlp import MLPClassifier, MLPRegressor
from skmlp._model.architecture import auto_width

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_SCALED = (X_IRIS - X_IRIS.mean(axis=0)) / X_IRIS.std(axis=0)
X_REG, Y_REG = load_diabetes(return_X_y=True)
X_REG = (X_REG - X_REG.mean(axis=0)) / X_REG.std(axis=0)
Y_REG = (Y_REG - Y_REG.mean()) / Y_REG.std()

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def softmax(Z):
    return _softmax(Z, axis=1)


def small(estimator_class, **params):
    return estimator_class(**{"max_iter": 5, "random_state": 0, **params})


# ----------------------------------------------------------------------
# hidden_layer_sizes='auto'


@pytest.mark.parametrize(
    "n_features, n_outputs, width",
    [(4, 3, 4), (4, 1, 2), (6, 1, 4), (1, 1, 1), (64, 10, 37), (0, 1, 1), (10, 1, 6)],
)
def test_auto_width_is_the_rounded_mean_of_input_and_output_widths(n_features, n_outputs, width):
    assert auto_width(n_features, n_outputs) == width


@pytest.mark.parametrize(
    "estimator_class, X, y, n_outputs",
    [
        (MLPClassifier, X_IRIS, Y_IRIS, 3),  # multiclass: one output per class
        (MLPClassifier, X_IRIS, Y_IRIS == 1, 1),  # binary: one output
        (MLPRegressor, X_REG, Y_REG, 1),
        (MLPRegressor, X_REG, np.column_stack([Y_REG, -Y_REG, Y_REG]), 3),
    ],
)
def test_auto_hidden_layer_sizes_is_one_layer_decided_at_fit(estimator_class, X, y, n_outputs):
    est = small(estimator_class, hidden_layer_sizes="auto").fit(X, y)
    width = max(1, round((X.shape[1] + n_outputs) / 2))
    assert est.n_outputs_ == n_outputs
    assert est.hidden_layer_sizes_ == (width,)
    assert [c.shape for c in est.coefs_] == [(X.shape[1], width), (width, n_outputs)]
    assert est.hidden_layer_sizes == "auto"  # the parameter is not changed
    # The same network as asking for that width explicitly.
    explicit = small(estimator_class, hidden_layer_sizes=(width,)).fit(X, y)
    assert_array_equal(est._params, explicit._params)


def test_default_hidden_layer_sizes_stays_100():
    assert MLPClassifier().hidden_layer_sizes == (100,)
    assert MLPRegressor().hidden_layer_sizes == (100,)


@pytest.mark.parametrize("sizes, fitted", [((7, 3), (7, 3)), (5, (5,)), ([4], (4,)), ((), ())])
def test_hidden_layer_sizes_attribute_is_the_fitted_widths_as_a_tuple(sizes, fitted):
    est = small(MLPClassifier, hidden_layer_sizes=sizes).fit(X_IRIS, Y_IRIS)
    assert est.hidden_layer_sizes_ == fitted
    assert type(est.hidden_layer_sizes_) is tuple
    assert all(type(w) is int for w in est.hidden_layer_sizes_)


def test_auto_width_follows_the_data_of_each_fresh_fit():
    est = small(MLPClassifier, hidden_layer_sizes="auto")
    assert est.fit(X_IRIS, Y_IRIS).hidden_layer_sizes_ == (4,)  # (4 + 3) / 2 = 3.5
    X, y = load_digits(return_X_y=True)
    assert est.fit(X / 16, y).hidden_layer_sizes_ == (37,)  # (64 + 10) / 2


def test_auto_continues_with_warm_start_and_partial_fit():
    est = small(MLPClassifier, hidden_layer_sizes="auto", warm_start=True).fit(X_IRIS, Y_IRIS)
    before = est._params.copy()
    est.fit(X_IRIS, Y_IRIS)
    assert est.hidden_layer_sizes_ == (4,)
    assert not np.array_equal(est._params, before)  # continued, not restarted
    reg = small(MLPRegressor, hidden_layer_sizes="auto")
    for _ in range(3):
        reg.partial_fit(X_REG, Y_REG)
    assert reg.hidden_layer_sizes_ == (6,) and len(reg.loss_curve_) == 3
    # A fixed width of the same size continues the auto network, another refuses.
    est.set_params(hidden_layer_sizes=(4,)).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="does not match the fitted one"):
        est.set_params(hidden_layer_sizes=(5,)).fit(X_IRIS, Y_IRIS)


def test_auto_with_per_layer_dropout_and_batch_norm():
    est = small(MLPClassifier, hidden_layer_sizes="auto", dropout=[0.2], batch_norm=True)
    est.fit(X_IRIS, Y_IRIS)
    assert est.hidden_layer_sizes_ == (4,) and len(est.batch_norm_scales_) == 1


@pytest.mark.parametrize("sizes", ["big", "AUTO", ("auto",)])
def test_other_strings_for_hidden_layer_sizes_raise(sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        small(MLPClassifier, hidden_layer_sizes=sizes).fit(X_IRIS, Y_IRIS)


def test_hidden_layer_sizes_attribute_survives_pickling():
    est = small(MLPRegressor, hidden_layer_sizes="auto").fit(X_REG, Y_REG)
    assert pickle.loads(pickle.dumps(est)).hidden_layer_sizes_ == (6,)


# ----------------------------------------------------------------------
# Per-layer activations


def numpy_forward(est, X):
    """The network's output from its fitted arrays, one activation per hidden layer."""
    names = list(est.activation) if not isinstance(est.activation, str) else None
    A = X
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        Z = A @ W
        if i < len(est.coefs_) - 1:
            if getattr(est, "batch_norm_scales_", None) is not None:
                mean, var = est.batch_norm_means_[i], est.batch_norm_vars_[i]
                Z = (Z - mean) / np.sqrt(var + 1e-5) * est.batch_norm_scales_[i]
            A = reference_value(names[i] if names else est.activation, Z + b)
        else:
            A = Z + b
    return A


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("name", ["logistic", "relu", "gelu"])
def test_a_list_of_one_name_is_bitwise_the_name(solver, name):
    params = dict(hidden_layer_sizes=(6, 5), solver=solver, max_iter=5, random_state=0)
    plain = MLPClassifier(activation=name, **params).fit(X_IRIS, Y_IRIS)
    for listed in ([name, name], (name, name), np.array([name, name])):
        est = MLPClassifier(activation=listed, **params).fit(X_IRIS, Y_IRIS)
        assert_array_equal(est._params, plain._params)
        assert est.loss_ == plain.loss_
        assert_array_equal(est.predict_proba(X_IRIS), plain.predict_proba(X_IRIS))


@pytest.mark.parametrize(
    "activation, batch_norm",
    [
        (("relu", "gelu", "tanh"), False),  # a pre-activation one between two others
        (("mish", "leaky_relu", "elu"), False),
        (("tanh", "selu", "logistic"), True),
    ],
)
def test_each_hidden_layer_applies_its_own_activation(activation, batch_norm):
    est = MLPRegressor(
        hidden_layer_sizes=(7, 6, 5),
        activation=activation,
        batch_norm=batch_norm,
        max_iter=20,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X_REG, Y_REG)
    assert_allclose(est.predict(X_REG), numpy_forward(est, X_REG).ravel(), rtol=1e-10, atol=1e-12)
    # Not vacuous: the same arrays through one activation everywhere differ.
    uniform = clone(est).set_params(activation=activation[0])
    uniform.__dict__.update({k: v for k, v in est.__dict__.items() if k.endswith("_")})
    assert np.max(np.abs(numpy_forward(uniform, X_REG).ravel() - est.predict(X_REG))) > 1e-3


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam"])
def test_per_layer_activations_train_with_every_solver(solver):
    est = MLPClassifier(
        hidden_layer_sizes=(16, 8),
        activation=["tanh", "silu"],
        solver=solver,
        max_iter=60,
        learning_rate_init=0.1 if solver == "adagrad" else 0.01,
        random_state=0,
    ).fit(X_SCALED, Y_IRIS)
    assert est.score(X_SCALED, Y_IRIS) > 0.85


def test_per_layer_activations_with_dropout_and_batch_norm():
    est = MLPClassifier(
        hidden_layer_sizes=(16, 8),
        activation=("gelu", "relu"),
        dropout=[0.1, 0.2],
        batch_norm=True,
        max_iter=60,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X_IRIS, Y_IRIS)
    assert est.score(X_IRIS, Y_IRIS) > 0.85
    assert_allclose(est.predict_proba(X_IRIS), softmax(numpy_forward(est, X_IRIS)), rtol=1e-9)


def test_the_weights_take_the_initialisation_gain_of_the_layer_they_feed():
    # scikit-learn's Glorot bound is sqrt(2 / (fan_in + fan_out)) for logistic
    # layers, sqrt(6 / ...) otherwise; the output weights follow the last
    # hidden layer.
    est = MLPRegressor(hidden_layer_sizes=(300, 200), activation=["logistic", "relu"])
    est.set_params(max_iter=1, learning_rate_init=1e-12, random_state=0).fit(X_REG, Y_REG)
    bounds = [np.sqrt(2 / (10 + 300)), np.sqrt(6 / (300 + 200)), np.sqrt(6 / (200 + 1))]
    for W, bound in zip(est.coefs_, bounds):
        assert 0.95 * bound < np.max(np.abs(W)) <= bound * (1 + 1e-9)


@pytest.mark.parametrize(
    "sizes, activation, message",
    [
        ((5, 4), ["relu"], r"activation has 1 names but hidden_layer_sizes=\(5, 4\) has 2"),
        ((5,), ("relu", "tanh"), r"activation has 2 names but hidden_layer_sizes=\(5,\) has 1"),
        ((), ["relu"], r"activation has 1 names but hidden_layer_sizes=\(\) has 0"),
        ("auto", ["relu", "relu"], r"activation has 2 names but hidden_layer_sizes='auto' has 1"),
        ((5, 4), ["relu", "swish"], r"unknown names \['swish'\]"),
        ((5, 4), ["relu", 3], r"unknown names \[3\]"),
        ((5, 4), [["relu", "tanh"]], "one per hidden layer"),
        ((5,), "swish", "activation"),
    ],
)
def test_bad_activation_lists_raise_a_clear_value_error(sizes, activation, message):
    est = small(MLPClassifier, hidden_layer_sizes=sizes, activation=activation)
    with pytest.raises(ValueError, match=message):
        est.fit(X_IRIS, Y_IRIS)
    assert not hasattr(est, "coefs_")


def test_an_empty_list_fits_a_network_without_hidden_layer():
    est = small(MLPRegressor, hidden_layer_sizes=(), activation=[]).fit(X_REG, Y_REG)
    assert est.hidden_layer_sizes_ == () and len(est.coefs_) == 1


def test_grid_search_over_activation_lists():
    search = GridSearchCV(
        MLPClassifier(hidden_layer_sizes=(8, 4), max_iter=30, random_state=0),
        {"activation": [["relu", "tanh"], ("tanh", "relu"), "relu"]},
        cv=3,
    ).fit(X_IRIS, Y_IRIS)
    assert len(search.cv_results_["params"]) == 3
    assert [p["activation"] for p in search.cv_results_["params"]][:2] == [
        ["relu", "tanh"],
        ("tanh", "relu"),
    ]
    best = search.best_estimator_
    assert best.activation == search.best_params_["activation"]
    assert len(set(np.round(search.cv_results_["mean_test_score"], 12))) > 1


def test_per_layer_activations_pickle_clone_and_continue():
    est = small(MLPClassifier, hidden_layer_sizes=(6, 5), activation=["elu", "relu"])
    est.fit(X_IRIS, Y_IRIS)
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.predict_proba(X_IRIS), est.predict_proba(X_IRIS))
    assert clone(est).get_params()["activation"] == ["elu", "relu"]
    loaded.partial_fit(X_IRIS, Y_IRIS)
    assert len(loaded.loss_curve_) == len(est.loss_curve_) + 1


def test_prediction_follows_the_activation_it_is_given_now():
    # Prediction reads `activation` at call time, as scikit-learn's does; the
    # kernels' codes are kept per configuration (_codes), so a changed value,
    # or the same names as a list, a tuple or an array, must be looked up anew.
    est = small(MLPRegressor, hidden_layer_sizes=(6, 5), activation=("tanh", "gelu")).fit(
        X_REG, Y_REG
    )
    first = est.predict(X_REG)
    for names in (["tanh", "gelu"], np.array(["tanh", "gelu"])):
        est.set_params(activation=names)
        assert_array_equal(est.predict(X_REG), first)
    for names in ("relu", ["gelu", "tanh"], ("relu", "gelu")):
        est.set_params(activation=names)
        expected = numpy_forward(est, X_REG).ravel()
        assert_allclose(est.predict(X_REG), expected, rtol=1e-10, atol=1e-12)
        assert np.max(np.abs(expected - first)) > 1e-3
    est.set_params(activation=["relu"])  # one name for two hidden layers: refused, not cached
    with pytest.raises(ValueError, match="activation"):
        est.predict(X_REG)
    with pytest.raises(ValueError, match="activation"):
        est.predict(X_REG)
