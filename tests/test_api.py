"""API and input handling of skmlp's estimators, specified against scikit-learn's.

One behaviour per test. Networks are tiny and ``max_iter`` small, so the
ConvergenceWarnings these fits raise are expected (and ignored by the pytest
configuration).
"""

import copy
import inspect
import io
import pickle
import re
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn.neural_network
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import skmlp._base as _base_module
from skmlp import MLPClassifier, MLPRegressor

SKLEARN_ESTIMATORS = {
    MLPClassifier: sklearn.neural_network.MLPClassifier,
    MLPRegressor: sklearn.neural_network.MLPRegressor,
}
SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC_SOLVERS = ["sgd", "adam"]

# --------------------------------------------------------------------------
# Small data sets, loaded once.

X_IRIS, Y_IRIS = load_iris(return_X_y=True)

_digits = load_digits()
# Digits are mostly zeros: a natural sparse input.  Scaled to [0, 1].
X_DIGITS = _digits.data[:300] / 16.0
Y_DIGITS = _digits.target[:300]

_cancer = load_breast_cancer()
X_CANCER = _cancer.data[:200]
Y_CANCER = _cancer.target[:200]

X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB, Y_DIAB = X_DIAB[:150], Y_DIAB[:150] / 100.0

X_BIN, Y_BIN = make_classification(n_samples=80, n_features=6, n_informative=3, random_state=0)
X_REG, Y_REG = make_regression(n_samples=80, n_features=5, noise=0.1, random_state=0)
Y_REG = Y_REG / 100.0
X_MULTI_REG, Y_MULTI_REG = make_regression(
    n_samples=80, n_features=5, n_targets=3, noise=0.1, random_state=0
)
Y_MULTI_REG = Y_MULTI_REG / 100.0
X_ML, Y_ML = make_multilabel_classification(n_samples=80, n_features=6, n_classes=4, random_state=0)


def small(estimator_class, **params):
    """A small, fast, reproducible network; ``params`` override the defaults."""
    defaults = dict(hidden_layer_sizes=(6,), max_iter=10, random_state=0)
    defaults.update(params)
    return estimator_class(**defaults)


def data_for(estimator_class):
    return (X_IRIS, Y_IRIS) if estimator_class is MLPClassifier else (X_REG, Y_REG)


def _proba_or_predict(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


# --------------------------------------------------------------------------
# Constructor and parameter validation


# Options scikit-learn does not have: keyword-only, after all of its own.
EXTRA_PARAMS = {
    MLPClassifier: ["weight_init", "l1_ratio", "max_grad_norm", "warmup_fraction", "scoring",
                    "dropout", "batch_norm", "schedule_adam", "class_weight", "label_smoothing",
                    "stratify_multiclass"],
    MLPRegressor: ["weight_init", "l1_ratio", "max_grad_norm", "warmup_fraction", "scoring",
                   "dropout", "batch_norm", "schedule_adam", "huber_delta", "quantile"],
}  # fmt: skip

# MLPRegressor(loss=) is new in scikit-learn 1.7: with 1.6, skmlp's regressor
# (which has scikit-learn 1.9's parameters) has it as one more parameter.
NEWER_PARAMS = {
    MLPClassifier: [],
    MLPRegressor: [
        name
        for name in ["loss"]
        if name not in inspect.signature(sklearn.neural_network.MLPRegressor).parameters
    ],
}


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_constructor_signature_starts_with_sklearns_then_keyword_only_extras(estimator_class):
    ours = inspect.signature(estimator_class.__init__).parameters
    theirs = inspect.signature(SKLEARN_ESTIMATORS[estimator_class].__init__).parameters
    if NEWER_PARAMS[estimator_class]:
        pytest.skip("skmlp has scikit-learn 1.9's signature; MLPRegressor(loss=) is new in 1.7")
    assert list(ours) == list(theirs) + EXTRA_PARAMS[estimator_class]
    for name in theirs:
        assert ours[name].kind == theirs[name].kind, name
        assert ours[name].default == theirs[name].default, name
    for name in EXTRA_PARAMS[estimator_class]:
        assert ours[name].kind == inspect.Parameter.KEYWORD_ONLY, name


def test_regressor_first_positional_parameter_is_loss():
    params = list(inspect.signature(MLPRegressor.__init__).parameters.values())[1:]
    assert params[0].name == "loss"
    assert params[0].kind == inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert params[0].default == "squared_error"
    assert MLPRegressor("poisson").loss == "poisson"
    assert MLPRegressor().get_params()["loss"] == "squared_error"


def test_classifier_has_no_loss_parameter():
    assert "loss" not in MLPClassifier().get_params()


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_parameter_constraints_cover_sklearns_parameters_and_the_extras(estimator_class):
    ours = estimator_class._parameter_constraints
    theirs = SKLEARN_ESTIMATORS[estimator_class]._parameter_constraints
    extras = EXTRA_PARAMS[estimator_class] + NEWER_PARAMS[estimator_class]
    assert set(ours) == set(theirs) | set(extras)
    assert set(ours) == set(estimator_class().get_params())


INVALID_PARAMS = [
    ("activation", "bogus"),
    ("solver", "bogus"),
    ("learning_rate", "bogus"),
    ("alpha", -1.0),
    ("momentum", 2.0),
    ("beta_1", 1.0),
    ("beta_2", 1.0),
    ("epsilon", 0.0),
    ("learning_rate_init", 0.0),
    ("max_iter", 0),
    ("max_fun", 0),
    ("batch_size", 0),
    ("n_iter_no_change", 0),
    ("validation_fraction", 1.0),
    ("tol", -1.0),
    ("power_t", -1.0),
    ("shuffle", "yes"),
    ("hidden_layer_sizes", 0),
]


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("name, value", INVALID_PARAMS, ids=[p for p, _ in INVALID_PARAMS])
def test_invalid_parameter_raises_invalid_parameter_error_at_fit(estimator_class, name, value):
    X, y = data_for(estimator_class)
    est = estimator_class(**{name: value})  # construction does not validate
    assert getattr(est, name) == value
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        est.fit(X, y)
    assert issubclass(InvalidParameterError, ValueError)
    # the reference rejects the same value
    with pytest.raises(InvalidParameterError):
        SKLEARN_ESTIMATORS[estimator_class](**{name: value}).fit(X, y)


def test_regressor_invalid_loss_raises_invalid_parameter_error():
    with pytest.raises(InvalidParameterError, match="'loss' parameter"):
        MLPRegressor(loss="pinball").fit(X_REG, Y_REG)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("sizes", [(5, 0), (0,), (5, -1), [-2]])
def test_hidden_layer_sizes_with_nonpositive_entry_raises_value_error(estimator_class, sizes):
    X, y = data_for(estimator_class)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        estimator_class(hidden_layer_sizes=sizes).fit(X, y)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
def test_empty_hidden_layer_sizes_fits_network_without_hidden_layer(estimator_class, solver):
    X, y = data_for(estimator_class)
    est = small(estimator_class, hidden_layer_sizes=(), solver=solver).fit(X, y)
    n_out = 3 if estimator_class is MLPClassifier else 1
    assert est.n_layers_ == 2
    assert [c.shape for c in est.coefs_] == [(X.shape[1], n_out)]
    assert [b.shape for b in est.intercepts_] == [(n_out,)]
    assert np.isfinite(_proba_or_predict(est, X)).all()


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_int_hidden_layer_sizes_is_one_hidden_layer(estimator_class):
    X, y = data_for(estimator_class)
    as_int = small(estimator_class, hidden_layer_sizes=7).fit(X, y)
    as_tuple = small(estimator_class, hidden_layer_sizes=(7,)).fit(X, y)
    assert as_int.n_layers_ == 3
    assert [c.shape[1] for c in as_int.coefs_][:-1] == [7]
    assert_array_equal(as_int.predict(X), as_tuple.predict(X))


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize(
    "params",
    [
        dict(n_iter_no_change=np.inf),
        dict(momentum=0.0, solver="sgd"),
        dict(momentum=1.0, solver="sgd", nesterovs_momentum=False),
        dict(beta_1=0.0, beta_2=0.0),
        dict(alpha=0.0),
        dict(tol=0.0),
        dict(validation_fraction=0.0),
        dict(batch_size=1),
        dict(max_iter=1, max_fun=1, solver="lbfgs"),
        dict(random_state=np.random.RandomState(0)),
    ],
    # The same id in every process (pytest-xdist compares them): no addresses.
    ids=lambda params: re.sub(r" at 0x[0-9A-Fa-f]+", "", repr(params)),
)
def test_boundary_parameter_values_are_accepted(estimator_class, params):
    X, y = data_for(estimator_class)
    X, y = X[::4], y[::4]  # every class present
    est = small(estimator_class, **{"max_iter": 2, **params})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    # momentum=1 may diverge: training then stops with a warning and the last
    # finite weights; any other fit completes an epoch.
    diverged = any("diverged" in str(w.message) for w in caught)
    assert est.n_iter_ >= 1 or diverged
    assert np.isfinite(_proba_or_predict(est, X)).all()


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_batch_size_larger_than_n_samples_warns_and_is_clipped(estimator_class):
    X, y = data_for(estimator_class)
    with pytest.warns(UserWarning, match="batch_size"):
        big = small(estimator_class, batch_size=10_000).fit(X, y)
    full = small(estimator_class, batch_size=len(y)).fit(X, y)
    assert_array_equal(big._params, full._params)


def test_hidden_layer_sizes_accepts_list_and_array():
    shapes = []
    for sizes in [[4, 3], np.array([4, 3]), (4, 3)]:
        est = small(MLPClassifier, hidden_layer_sizes=sizes).fit(X_IRIS, Y_IRIS)
        shapes.append([c.shape for c in est.coefs_])
    assert shapes == [[(4, 4), (4, 3), (3, 3)]] * 3


# --------------------------------------------------------------------------
# Methods


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_fit_returns_self(estimator_class):
    X, y = data_for(estimator_class)
    est = small(estimator_class)
    assert est.fit(X, y) is est


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
def test_sample_weight_none_and_unit_weights_fit_the_same_model(estimator_class, solver):
    X, y = data_for(estimator_class)
    plain = small(estimator_class, solver=solver).fit(X, y)
    none = small(estimator_class, solver=solver).fit(X, y, sample_weight=None)
    ones = small(estimator_class, solver=solver).fit(X, y, sample_weight=np.ones(len(y)))
    assert_array_equal(plain._params, none._params)
    assert_allclose(plain._params, ones._params, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_integer_sample_weight_equals_repeating_samples_with_lbfgs(estimator_class):
    X, y = data_for(estimator_class)
    weights = np.random.RandomState(0).randint(0, 3, size=len(y))
    weighted = small(estimator_class, solver="lbfgs", max_iter=15)
    weighted.fit(X, y, sample_weight=weights)
    repeated = small(estimator_class, solver="lbfgs", max_iter=15)
    repeated.fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    assert_allclose(weighted._params, repeated._params, rtol=1e-6, atol=1e-8)


def test_classifier_partial_fit_requires_classes_on_first_call():
    clf = small(MLPClassifier)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X_IRIS, Y_IRIS)
    assert not hasattr(clf, "coefs_")


def test_classifier_partial_fit_later_calls_may_omit_classes():
    clf = small(MLPClassifier)
    clf.partial_fit(X_IRIS[::2], Y_IRIS[::2], classes=[0, 1, 2])
    before = clf._params.copy()
    assert clf.partial_fit(X_IRIS[1::2], Y_IRIS[1::2]) is clf
    assert not np.array_equal(before, clf._params)
    assert_array_equal(clf.classes_, [0, 1, 2])


def test_classifier_partial_fit_classes_defines_classes_even_if_first_batch_lacks_some():
    # The first batch holds only class 0 and 1; `classes` announces class 2.
    first = Y_IRIS < 2
    clf = small(MLPClassifier)
    clf.partial_fit(X_IRIS[first][::5], Y_IRIS[first][::5], classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.out_activation_ == "softmax"
    assert clf.coefs_[-1].shape == (6, 3)
    assert clf.predict_proba(X_IRIS).shape == (150, 3)
    clf.partial_fit(X_IRIS, Y_IRIS)  # class 2 is now seen: allowed
    assert_array_equal(clf.classes_, [0, 1, 2])


def test_classifier_first_partial_fit_rejects_labels_outside_classes():
    clf = small(MLPClassifier)
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1])


def test_classifier_partial_fit_rejects_classes_that_change():
    clf = small(MLPClassifier).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2, 3])


def test_classifier_partial_fit_rejects_unseen_labels():
    clf = small(MLPClassifier).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X_IRIS[:5], np.array([0, 1, 2, 3, 3]))


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_regressor_partial_fit_runs_one_epoch_per_call(solver):
    reg = small(MLPRegressor, solver=solver)
    for calls in (1, 2, 3):
        reg.partial_fit(X_REG, Y_REG)
        assert reg.n_iter_ == 1
        assert reg.t_ == calls * len(Y_REG)
    assert reg.predict(X_REG).shape == Y_REG.shape


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_partial_fit_is_unavailable_with_lbfgs(estimator_class):
    X, y = data_for(estimator_class)
    est = estimator_class(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        est.partial_fit(X, y)
    assert hasattr(estimator_class(solver="sgd"), "partial_fit")
    assert hasattr(estimator_class(solver="adam"), "partial_fit")


def test_partial_fit_availability_follows_set_params():
    est = MLPClassifier(solver="adam")
    assert hasattr(est, "partial_fit")
    est.set_params(solver="lbfgs")
    assert not hasattr(est, "partial_fit")


def test_partial_fit_with_early_stopping_raises():
    reg = small(MLPRegressor, early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        reg.partial_fit(X_REG, Y_REG)


@pytest.mark.parametrize("X, y", [(X_IRIS, Y_IRIS), (X_BIN, Y_BIN), (X_ML, Y_ML)])
def test_predict_log_proba_is_log_of_predict_proba(X, y):
    clf = small(MLPClassifier).fit(X, y)
    with np.errstate(divide="ignore"):
        assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))


@pytest.mark.parametrize("solver", SOLVERS)
def test_multiclass_predict_proba_rows_are_finite_and_sum_to_one(solver):
    clf = small(MLPClassifier, solver=solver, max_iter=30).fit(X_DIGITS, Y_DIGITS)
    proba = clf.predict_proba(X_DIGITS)
    assert proba.shape == (len(X_DIGITS), 10)
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_binary_predict_proba_has_complementary_columns():
    clf = small(MLPClassifier).fit(X_BIN, Y_BIN)
    proba = clf.predict_proba(X_BIN)
    assert proba.shape == (len(X_BIN), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.predict(X_BIN), clf.classes_[(proba[:, 1] > 0.5).astype(int)])


@pytest.mark.parametrize("solver", SOLVERS)
def test_multiclass_predict_is_argmax_of_predict_proba(solver):
    clf = small(MLPClassifier, solver=solver).fit(X_IRIS, Y_IRIS)
    proba = clf.predict_proba(X_IRIS)
    assert_array_equal(clf.predict(X_IRIS), clf.classes_[proba.argmax(axis=1)])


def test_classifier_score_is_accuracy():
    clf = small(MLPClassifier, max_iter=30).fit(X_IRIS, Y_IRIS)
    weights = np.linspace(0.1, 1, len(Y_IRIS))
    assert clf.score(X_IRIS, Y_IRIS) == accuracy_score(Y_IRIS, clf.predict(X_IRIS))
    assert clf.score(X_IRIS, Y_IRIS, sample_weight=weights) == pytest.approx(
        accuracy_score(Y_IRIS, clf.predict(X_IRIS), sample_weight=weights)
    )


def test_regressor_score_is_r2():
    reg = small(MLPRegressor, solver="lbfgs", max_iter=30).fit(X_DIAB, Y_DIAB)
    assert reg.score(X_DIAB, Y_DIAB) == pytest.approx(r2_score(Y_DIAB, reg.predict(X_DIAB)))


@pytest.mark.parametrize(
    "estimator_class, method",
    [
        (MLPClassifier, "predict"),
        (MLPClassifier, "predict_proba"),
        (MLPClassifier, "predict_log_proba"),
        (MLPClassifier, "score"),
        (MLPRegressor, "predict"),
        (MLPRegressor, "score"),
    ],
)
def test_methods_before_fit_raise_not_fitted_error(estimator_class, method):
    est = estimator_class()
    X, y = data_for(estimator_class)
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError):
        getattr(est, method)(*args)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_predict_with_wrong_number_of_features_raises(estimator_class):
    X, y = data_for(estimator_class)
    est = small(estimator_class).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :-1])


def test_regressor_has_no_predict_proba():
    assert not hasattr(small(MLPRegressor).fit(X_REG, Y_REG), "predict_proba")


@pytest.mark.parametrize("sparse", [False, True])
def test_prediction_in_blocks_equals_prediction_in_one_block(monkeypatch, sparse):
    clf = small(MLPClassifier, hidden_layer_sizes=(6, 5)).fit(X_DIGITS, Y_DIGITS)
    X = sp.csr_matrix(X_DIGITS) if sparse else X_DIGITS
    whole = clf.predict_proba(X)
    # 7 samples per block, the last block shorter
    monkeypatch.setattr(_base_module, "_PREDICT_WORKSPACE", 7 * (6 + 5 + 10))
    # What skmlp promises across row counts: the same labels, probabilities
    # within 1e-14 relative (float64). Not bitwise: BLAS may round a product
    # differently for another number of rows (OpenBLAS's Haswell kernel does,
    # in the last bits of some of these probabilities).
    in_blocks = clf.predict_proba(X)
    assert_allclose(in_blocks, whole, rtol=1e-14, atol=0)
    assert_array_equal(in_blocks.argmax(axis=1), whole.argmax(axis=1))
    assert_array_equal(clf.predict(X), clf.classes_[whole.argmax(axis=1)])
    assert_allclose(clf.predict_proba(X[:1]), whole[:1], rtol=1e-13)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_prints_the_loss_of_each_iteration(estimator_class, solver, capsys):
    X, y = data_for(estimator_class)
    small(estimator_class, solver=solver, max_iter=3, verbose=True).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out
    small(estimator_class, solver=solver, max_iter=3).fit(X, y)
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------
# Fitted attributes


@pytest.mark.parametrize(
    "estimator_class, X, y, n_outputs",
    [
        (MLPClassifier, X_IRIS, Y_IRIS, 3),
        (MLPClassifier, X_BIN, Y_BIN, 1),
        (MLPClassifier, X_ML, Y_ML, 4),
        (MLPRegressor, X_REG, Y_REG, 1),
        (MLPRegressor, X_MULTI_REG, Y_MULTI_REG, 3),
    ],
    ids=["multiclass", "binary", "multilabel", "regression", "multioutput"],
)
def test_fitted_layer_shapes(estimator_class, X, y, n_outputs):
    est = small(estimator_class, hidden_layer_sizes=(7, 5)).fit(X, y)
    units = [X.shape[1], 7, 5, n_outputs]
    assert est.n_layers_ == 4
    assert est.n_outputs_ == n_outputs
    assert len(est.coefs_) == len(est.intercepts_) == 3
    assert [c.shape for c in est.coefs_] == list(zip(units[:-1], units[1:]))
    assert [b.shape for b in est.intercepts_] == [(u,) for u in units[1:]]


@pytest.mark.parametrize(
    "estimator, X, y, expected",
    [
        (MLPClassifier(), X_IRIS, Y_IRIS, "softmax"),
        (MLPClassifier(), X_BIN, Y_BIN, "logistic"),
        (MLPClassifier(), X_ML, Y_ML, "logistic"),
        (MLPRegressor(), X_REG, Y_REG, "identity"),
        (MLPRegressor(), X_MULTI_REG, Y_MULTI_REG, "identity"),
        (MLPRegressor(loss="poisson"), X_REG, np.abs(Y_REG), "exp"),
    ],
    ids=["multiclass", "binary", "multilabel", "squared_error", "multioutput", "poisson"],
)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_out_activation(estimator, X, y, expected, solver):
    est = clone(estimator).set_params(hidden_layer_sizes=(4,), max_iter=3, solver=solver)
    assert est.fit(X, y).out_activation_ == expected


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_stochastic_solver_training_attributes(estimator_class, solver):
    X, y = data_for(estimator_class)
    est = small(estimator_class, solver=solver, max_iter=7).fit(X, y)
    assert est.n_iter_ == 7
    assert est.t_ == est.n_iter_ * X.shape[0]
    assert len(est.loss_curve_) == est.n_iter_
    assert est.loss_ == est.loss_curve_[-1]
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_stochastic_solver_stops_before_max_iter_when_loss_stalls(estimator_class):
    X, y = data_for(estimator_class)
    est = small(estimator_class, max_iter=200, tol=1e3, n_iter_no_change=2).fit(X, y)
    # epoch 1 improves on best_loss_=inf; epochs 2, 3, 4 do not improve by tol,
    # and training stops once more than n_iter_no_change epochs failed (as sklearn)
    assert est.n_iter_ == 4
    assert len(est.loss_curve_) == 4


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_early_stopping_training_attributes(estimator_class):
    X, y = data_for(estimator_class)
    est = small(estimator_class, early_stopping=True, max_iter=6).fit(X, y)
    n_train = X.shape[0] - int(np.ceil(0.1 * X.shape[0]))
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == est.n_iter_ == len(est.loss_curve_)
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.t_ == est.n_iter_ * n_train


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_lbfgs_training_attributes(estimator_class):
    X, y = data_for(estimator_class)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = small(estimator_class, solver="lbfgs", max_iter=5).fit(X, y)
    assert 1 <= est.n_iter_ <= 5
    assert isinstance(est.loss_, float) and np.isfinite(est.loss_)
    assert est.t_ == 0
    assert not hasattr(est, "loss_curve_")
    assert not hasattr(est, "best_loss_")


def test_lbfgs_warns_when_max_iter_is_reached():
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        small(MLPClassifier, solver="lbfgs", max_iter=2).fit(X_IRIS, Y_IRIS)


def test_stochastic_solver_warns_when_max_iter_is_reached():
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        small(MLPClassifier, max_iter=2).fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_n_features_in_is_set_and_feature_names_in_absent_for_arrays(estimator_class):
    X, y = data_for(estimator_class)
    est = small(estimator_class).fit(X, y)
    assert est.n_features_in_ == X.shape[1]
    assert not hasattr(est, "feature_names_in_")


def test_classes_are_sorted_unique_labels():
    y = np.array([7, -1, 3])[Y_IRIS]
    clf = small(MLPClassifier).fit(X_IRIS, y)
    assert_array_equal(clf.classes_, [-1, 3, 7])
    assert set(clf.predict(X_IRIS)) <= {-1, 3, 7}
    assert clf.predict(X_IRIS).dtype == y.dtype


# --------------------------------------------------------------------------
# pandas and feature names


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_dataframe_input_sets_feature_names_and_matches_array_fit(estimator_class):
    X, y = data_for(estimator_class)
    columns = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=columns)
    from_df = small(estimator_class).fit(df, pd.Series(y))
    from_array = small(estimator_class).fit(X, y)
    assert_array_equal(from_df.feature_names_in_, columns)
    assert from_df.n_features_in_ == X.shape[1]
    assert_array_equal(from_df.predict(df), from_array.predict(X))
    assert_array_equal(_proba_or_predict(from_df, df), _proba_or_predict(from_array, X))


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_predict_dataframe_with_other_column_names_raises_like_sklearn(estimator_class):
    X, y = data_for(estimator_class)
    fit_df = pd.DataFrame(X, columns=[f"a{i}" for i in range(X.shape[1])])
    other_df = pd.DataFrame(X, columns=[f"b{i}" for i in range(X.shape[1])])
    ours = small(estimator_class).fit(fit_df, y)
    theirs = small(SKLEARN_ESTIMATORS[estimator_class]).fit(fit_df, y)
    with pytest.raises(ValueError, match="feature names should match") as ours_error:
        ours.predict(other_df)
    with pytest.raises(ValueError) as theirs_error:
        theirs.predict(other_df)
    assert str(ours_error.value) == str(theirs_error.value)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_predict_array_after_dataframe_fit_warns_like_sklearn(estimator_class):
    X, y = data_for(estimator_class)
    df = pd.DataFrame(X, columns=[f"a{i}" for i in range(X.shape[1])])
    est = small(estimator_class).fit(df, y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        est.predict(X)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_predict_dataframe_after_array_fit_warns_like_sklearn(estimator_class):
    X, y = data_for(estimator_class)
    df = pd.DataFrame(X, columns=[f"a{i}" for i in range(X.shape[1])])
    est = small(estimator_class).fit(X, y)
    with pytest.warns(UserWarning, match="X has feature names"):
        est.predict(df)


# --------------------------------------------------------------------------
# The flat parameter buffer


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
def test_coefs_and_intercepts_are_views_of_the_flat_buffer(estimator_class, solver):
    X, y = data_for(estimator_class)
    est = small(estimator_class, hidden_layer_sizes=(5, 4), solver=solver).fit(X, y)
    params = est._params
    assert params.ndim == 1
    n_params = sum(c.size for c in est.coefs_) + sum(b.size for b in est.intercepts_)
    assert params.size == n_params
    for array in est.coefs_ + est.intercepts_:
        assert np.shares_memory(array, params)
    # the views do not overlap: together they are the whole buffer
    marker = np.zeros_like(params)
    marker_views = est._layout.views(marker)
    for array in marker_views[0] + marker_views[1]:
        array += 1
    assert_array_equal(marker, 1)


def test_writing_into_coefs_in_place_changes_predictions():
    reg = small(MLPRegressor).fit(X_REG, Y_REG)
    before = reg.predict(X_REG)
    reg.coefs_[-1][...] = 0.0
    reg.intercepts_[-1][...] = 2.5
    assert_allclose(reg.predict(X_REG), 2.5)
    assert not np.allclose(before, 2.5)
    assert np.all(reg._params[-1] == 2.5)


def test_writing_into_intercepts_in_place_changes_predict_proba():
    clf = small(MLPClassifier).fit(X_IRIS, Y_IRIS)
    clf.coefs_[-1][...] = 0.0
    clf.intercepts_[-1][...] = [0.0, 0.0, 50.0]
    assert_array_equal(clf.predict(X_IRIS), 2)


def _relu_forward(X, coefs, intercepts):
    a = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        a = a @ W + b
        if i < len(coefs) - 1:
            a = np.maximum(a, 0)
    return a


def test_assigning_new_arrays_to_coefs_and_intercepts_is_honoured_by_predict():
    reg = small(MLPRegressor, hidden_layer_sizes=(5, 4)).fit(X_REG, Y_REG)
    rng = np.random.RandomState(42)
    new_coefs = [rng.normal(size=c.shape) for c in reg.coefs_]
    new_intercepts = [rng.normal(size=b.shape) for b in reg.intercepts_]
    for i in range(len(new_coefs)):
        reg.coefs_[i] = new_coefs[i]
        reg.intercepts_[i] = new_intercepts[i]
    expected = _relu_forward(X_REG, new_coefs, new_intercepts).ravel()
    assert_allclose(reg.predict(X_REG), expected, rtol=1e-12)
    # after predict the (repacked) buffer and its views hold the new values
    for i in range(len(new_coefs)):
        assert np.shares_memory(reg.coefs_[i], reg._params)
        assert_array_equal(reg.coefs_[i], new_coefs[i])
        assert_array_equal(reg.intercepts_[i], new_intercepts[i])


def test_assigning_one_new_coef_array_keeps_the_other_layers():
    clf = small(MLPClassifier, hidden_layer_sizes=(5, 4)).fit(X_IRIS, Y_IRIS)
    coefs = [c.copy() for c in clf.coefs_]
    intercepts = [b.copy() for b in clf.intercepts_]
    coefs[1] = np.full_like(coefs[1], 0.3)
    clf.coefs_[1] = coefs[1].copy()
    logits = _relu_forward(X_IRIS, coefs, intercepts)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert_allclose(clf.predict_proba(X_IRIS), expected, rtol=1e-10)


def test_assigned_coefs_are_the_starting_point_of_partial_fit():
    reg = small(MLPRegressor, solver="sgd", learning_rate_init=1e-12).fit(X_REG, Y_REG)
    reg.coefs_[0] = np.zeros_like(reg.coefs_[0])
    reg.partial_fit(X_REG, Y_REG)
    assert_allclose(reg.coefs_[0], 0.0, atol=1e-9)


# --------------------------------------------------------------------------
# Input types


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sparse_format", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_input_gives_the_same_model_as_dense(estimator_class, solver, sparse_format):
    if estimator_class is MLPClassifier:
        X, y = X_DIGITS, Y_DIGITS
    else:
        X, y = X_DIGITS, Y_DIGITS / 10.0
    X_sparse = sparse_format(X)
    dense = small(estimator_class, solver=solver).fit(X, y)
    sparse = small(estimator_class, solver=solver).fit(X_sparse, y)
    assert_allclose(sparse._params, dense._params, rtol=1e-9, atol=1e-11)
    assert_allclose(
        _proba_or_predict(sparse, X_sparse), _proba_or_predict(dense, X), rtol=1e-9, atol=1e-11
    )
    # a sparse-fitted model predicts dense input and vice versa
    assert_allclose(sparse.predict(X), dense.predict(X), rtol=1e-9, atol=1e-11)
    assert_allclose(dense.predict(X_sparse), dense.predict(X), rtol=1e-12, atol=1e-13)


def test_sparse_input_with_early_stopping():
    X_sparse = sp.csr_matrix(X_DIGITS)
    dense = small(MLPClassifier, early_stopping=True).fit(X_DIGITS, Y_DIGITS)
    sparse = small(MLPClassifier, early_stopping=True).fit(X_sparse, Y_DIGITS)
    assert_allclose(sparse.validation_scores_, dense.validation_scores_)
    assert_allclose(sparse.predict_proba(X_sparse), dense.predict_proba(X_DIGITS), atol=1e-11)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_input_trains_and_predicts_in_float32(estimator_class, solver):
    # L-BFGS too evaluates float32 points, but ends on SciPy's float64
    # solution, which it keeps, as scikit-learn's: its model is float64.
    model_dtype = np.float64 if solver == "lbfgs" else np.float32
    X, y = data_for(estimator_class)
    X32 = X.astype(np.float32)
    est = small(estimator_class, solver=solver).fit(X32, y)
    assert est._params.dtype == model_dtype
    assert all(c.dtype == model_dtype for c in est.coefs_)
    assert all(b.dtype == model_dtype for b in est.intercepts_)
    assert _proba_or_predict(est, X32).dtype == model_dtype
    if solver in ("lbfgs", "sgd", "adam"):
        reference = getattr(sklearn.neural_network, estimator_class.__name__)
        ref = reference(hidden_layer_sizes=(6,), max_iter=10, random_state=0, solver=solver)
        assert ref.fit(X32, y).coefs_[0].dtype == model_dtype
    assert np.isfinite(_proba_or_predict(est, X32)).all()
    # and it is close to the float64 model
    est64 = small(estimator_class, solver=solver).fit(X, y)
    assert_allclose(_proba_or_predict(est, X32), _proba_or_predict(est64, X), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_sparse_input_trains_in_float32(solver):
    model_dtype = np.float64 if solver == "lbfgs" else np.float32  # as above
    X32 = sp.csr_matrix(X_DIGITS.astype(np.float32))
    clf = small(MLPClassifier, solver=solver).fit(X32, Y_DIGITS)
    assert clf._params.dtype == model_dtype
    assert clf.predict_proba(X32).dtype == model_dtype


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
def test_float64_input_trains_and_predicts_in_float64(estimator_class, solver):
    X, y = data_for(estimator_class)
    est = small(estimator_class, solver=solver).fit(X, y)
    assert est._params.dtype == np.float64
    assert all(c.dtype == np.float64 for c in est.coefs_ + est.intercepts_)
    assert _proba_or_predict(est, X).dtype == np.float64


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_integer_input_trains_in_float64(estimator_class):
    X, y = data_for(estimator_class)
    X_int = np.round(X * 10).astype(np.int64)
    est = small(estimator_class).fit(X_int, y)
    ref = small(estimator_class).fit(X_int.astype(np.float64), y)
    assert est._params.dtype == np.float64
    assert_array_equal(est._params, ref._params)
    assert_array_equal(est.predict(X_int), ref.predict(X_int.astype(np.float64)))


def test_list_input_is_accepted():
    clf = small(MLPClassifier).fit(X_IRIS.tolist(), Y_IRIS.tolist())
    ref = small(MLPClassifier).fit(X_IRIS, Y_IRIS)
    assert_array_equal(clf.predict(X_IRIS.tolist()), ref.predict(X_IRIS))


@pytest.mark.parametrize("solver", SOLVERS)
def test_string_labels_are_returned_by_predict(solver):
    names = np.array(["setosa", "versicolor", "virginica"])
    y = names[Y_IRIS]
    clf = small(MLPClassifier, solver=solver, max_iter=30).fit(X_IRIS, y)
    ref = small(MLPClassifier, solver=solver, max_iter=30).fit(X_IRIS, Y_IRIS)
    assert_array_equal(clf.classes_, names)
    assert_array_equal(clf.predict(X_IRIS), names[ref.predict(X_IRIS)])
    assert_array_equal(clf.predict_proba(X_IRIS), ref.predict_proba(X_IRIS))


def test_binary_string_labels():
    y = np.array(["no", "yes"])[Y_BIN]
    clf = small(MLPClassifier).fit(X_BIN, y)
    assert_array_equal(clf.classes_, ["no", "yes"])
    assert clf.n_outputs_ == 1
    assert set(clf.predict(X_BIN)) <= {"no", "yes"}


def test_classifier_partial_fit_with_string_classes():
    names = np.array(["a", "b", "c"])
    clf = small(MLPClassifier)
    clf.partial_fit(X_IRIS, names[Y_IRIS], classes=names)
    assert_array_equal(clf.classes_, names)
    assert set(clf.predict(X_IRIS)) <= set(names)


@pytest.mark.parametrize("solver", SOLVERS)
def test_multilabel_indicator_target(solver):
    clf = small(MLPClassifier, solver=solver).fit(X_ML, Y_ML)
    assert_array_equal(clf.classes_, np.arange(Y_ML.shape[1]))
    pred = clf.predict(X_ML)
    assert pred.shape == Y_ML.shape
    assert set(np.unique(pred)) <= {0, 1}
    proba = clf.predict_proba(X_ML)
    assert proba.shape == Y_ML.shape
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_array_equal(pred, (proba > 0.5).astype(int))


def test_multilabel_partial_fit():
    clf = small(MLPClassifier)
    clf.partial_fit(X_ML, Y_ML, classes=np.arange(4))
    clf.partial_fit(X_ML, Y_ML)
    assert clf.predict(X_ML).shape == Y_ML.shape


@pytest.mark.parametrize("solver", SOLVERS)
def test_multioutput_regression(solver):
    reg = small(MLPRegressor, solver=solver).fit(X_MULTI_REG, Y_MULTI_REG)
    assert reg.n_outputs_ == 3
    assert reg.predict(X_MULTI_REG).shape == (len(X_MULTI_REG), 3)
    assert reg.intercepts_[-1].shape == (3,)
    assert np.isfinite(reg.score(X_MULTI_REG, Y_MULTI_REG))


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_column_vector_y_warns_data_conversion_warning(estimator_class):
    X, y = data_for(estimator_class)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = small(estimator_class).fit(X, y.reshape(-1, 1))
    flat = small(estimator_class).fit(X, y)
    assert column.n_outputs_ == flat.n_outputs_
    assert_array_equal(column._params, flat._params)
    assert_array_equal(column.predict(X), flat.predict(X))
    assert column.predict(X).shape == y.shape


def test_nan_in_input_raises():
    X = X_IRIS.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        small(MLPClassifier).fit(X, Y_IRIS)


# --------------------------------------------------------------------------
# Poisson regression


@pytest.mark.parametrize("solver", SOLVERS)
def test_poisson_predictions_are_positive(solver):
    y = np.random.RandomState(0).poisson(np.exp(X_REG[:, 0] / 2))
    reg = small(MLPRegressor, loss="poisson", solver=solver, max_iter=30).fit(X_REG, y)
    pred = reg.predict(X_REG - 30.0)  # far from the data the log link still gives > 0
    assert (reg.predict(X_REG) > 0).all()
    assert (pred > 0).all()


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_poisson_negative_target_raises_value_error(method):
    y = np.abs(Y_REG)
    y[3] = -1.0
    with pytest.raises(ValueError, match="negative"):
        getattr(small(MLPRegressor, loss="poisson"), method)(X_REG, y)


def test_poisson_zero_targets_are_allowed():
    y = np.zeros_like(Y_REG)
    y[::2] = 2.0
    reg = small(MLPRegressor, loss="poisson").fit(X_REG, y)
    assert np.isfinite(reg.loss_)


# --------------------------------------------------------------------------
# Persistence


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
def test_pickle_round_trip_gives_identical_predictions(estimator_class, solver):
    X, y = data_for(estimator_class)
    est = small(estimator_class, solver=solver).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(restored.predict(X), est.predict(X))
    assert_array_equal(_proba_or_predict(restored, X), _proba_or_predict(est, X))
    assert restored.get_params() == est.get_params()


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_joblib_round_trip_gives_identical_predictions(estimator_class):
    X, y = data_for(estimator_class)
    est = small(estimator_class).fit(X, y)
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    restored = joblib.load(buffer)
    assert_array_equal(_proba_or_predict(restored, X), _proba_or_predict(est, X))


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_joblib_file_round_trip_with_memory_map(estimator_class, tmp_path):
    X, y = data_for(estimator_class)
    est = small(estimator_class).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    restored = joblib.load(path, mmap_mode="r")
    assert_array_equal(_proba_or_predict(restored, X), _proba_or_predict(est, X))


@pytest.mark.parametrize("loader", ["pickle", "joblib", "deepcopy"])
def test_unpickled_coefs_are_views_of_the_restored_buffer(loader):
    est = small(MLPClassifier, hidden_layer_sizes=(5, 4)).fit(X_IRIS, Y_IRIS)
    if loader == "pickle":
        restored = pickle.loads(pickle.dumps(est))
    elif loader == "deepcopy":
        restored = copy.deepcopy(est)
    else:
        buffer = io.BytesIO()
        joblib.dump(est, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    assert not np.shares_memory(restored._params, est._params)
    for array in restored.coefs_ + restored.intercepts_:
        assert np.shares_memory(array, restored._params)
    # writing through a restored view changes the restored model only
    restored.coefs_[-1][...] = 0.0
    restored.intercepts_[-1][...] = [0.0, 0.0, 50.0]
    assert_array_equal(restored.predict(X_IRIS), 2)
    assert not np.all(est.predict(X_IRIS) == 2)


def test_pickle_keeps_assigned_coef_arrays():
    reg = small(MLPRegressor).fit(X_REG, Y_REG)
    reg.coefs_[-1] = np.zeros_like(reg.coefs_[-1])
    reg.intercepts_[-1] = np.array([1.5])
    restored = pickle.loads(pickle.dumps(reg))
    assert_allclose(restored.predict(X_REG), 1.5)
    assert_allclose(reg.predict(X_REG), 1.5)


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_unpickled_model_continues_partial_fit_like_the_original(solver):
    reg = small(MLPRegressor, solver=solver).fit(X_REG, Y_REG)
    restored = pickle.loads(pickle.dumps(reg))
    reg.partial_fit(X_REG, Y_REG)
    restored.partial_fit(X_REG, Y_REG)
    assert_array_equal(restored._params, reg._params)


# --------------------------------------------------------------------------
# Meta-estimators and parameters


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_clone_get_params_set_params_round_trip(estimator_class):
    est = estimator_class(hidden_layer_sizes=(3, 2), alpha=0.5, solver="sgd", random_state=7)
    params = est.get_params()
    assert params["hidden_layer_sizes"] == (3, 2)
    assert params["alpha"] == 0.5
    cloned = clone(est)
    assert cloned is not est
    assert cloned.get_params() == params
    fresh = estimator_class()
    assert fresh.set_params(**params) is fresh
    assert fresh.get_params() == params


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_clone_of_fitted_estimator_is_unfitted(estimator_class):
    X, y = data_for(estimator_class)
    est = small(estimator_class).fit(X, y)
    cloned = clone(est)
    assert not hasattr(cloned, "coefs_")
    assert not hasattr(cloned, "_params")
    assert_array_equal(cloned.fit(X, y).predict(X), est.predict(X))


def test_set_params_changes_the_next_fit():
    clf = small(MLPClassifier).fit(X_IRIS, Y_IRIS)
    clf.set_params(hidden_layer_sizes=(3,))
    clf.fit(X_IRIS, Y_IRIS)
    assert clf.coefs_[0].shape == (4, 3)


def test_get_params_matches_sklearn_defaults():
    for ours, theirs in SKLEARN_ESTIMATORS.items():
        params = ours().get_params()
        for extra in EXTRA_PARAMS[ours] + NEWER_PARAMS[ours]:
            params.pop(extra)
        assert params == theirs().get_params()


@pytest.mark.parametrize(
    "estimator, X, y",
    [
        (MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0), X_CANCER, Y_CANCER),
        (
            MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0),
            X_DIAB,
            Y_DIAB,
        ),
    ],
    ids=["classifier", "regressor"],
)
def test_pipeline_with_standard_scaler(estimator, X, y):
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", estimator)]).fit(X, y)
    direct = clone(estimator).fit(StandardScaler().fit_transform(X), y)
    assert_allclose(pipe.predict(X), direct.predict(StandardScaler().fit(X).transform(X)))
    assert pipe.named_steps["mlp"].n_features_in_ == X.shape[1]
    assert pipe.score(X, y) > 0.5


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_grid_search_cv(estimator_class):
    X, y = data_for(estimator_class)
    search = GridSearchCV(
        small(estimator_class, solver="lbfgs", max_iter=20),
        {"alpha": [1e-4, 10.0], "hidden_layer_sizes": [(3,), (5,)]},
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["alpha"] in (1e-4, 10.0)
    best = search.best_estimator_
    assert best.alpha == search.best_params_["alpha"]
    assert best.coefs_[0].shape[1] == search.best_params_["hidden_layer_sizes"][0]
    assert search.predict(X).shape == y.shape


def test_set_callbacks_exists_exactly_when_scikit_learn_has_callbacks():
    # sklearn.callback is new in scikit-learn 1.9; older versions keep working.
    try:
        import sklearn.callback  # noqa: F401
    except ImportError:
        has_callbacks = False
    else:
        has_callbacks = True
    for estimator_class in (MLPClassifier, MLPRegressor):
        assert hasattr(estimator_class(), "set_callbacks") == has_callbacks
        X, y = data_for(estimator_class)
        est = small(estimator_class, max_iter=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        assert est.n_iter_ == 3
