"""A validation set given to fit: ``fit(X, y, sample_weight, *, X_val, y_val, sample_weight_val)``.

The convention of ``HistGradientBoosting*`` (scikit-learn >= 1.7): with
``early_stopping=True`` the given set replaces the internal split, the
validation scores and losses are computed on it with its weights; without
early stopping it is an error. Bad validation input is refused as bad
training input is, and a refused fit leaves a fitted estimator unchanged.
"""

import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifier, MLPRegressor

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = StandardScaler().fit_transform(X_DIGITS)[:600]
Y_DIGITS = Y_DIGITS[:600]
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB = StandardScaler().fit_transform(X_DIAB)
Y_DIAB = (Y_DIAB - Y_DIAB.mean()) / Y_DIAB.std()

# Train on the first 400 rows, validate on the rest.
CLF_DATA = (X_DIGITS[:400], Y_DIGITS[:400], X_DIGITS[400:], Y_DIGITS[400:])
REG_DATA = (X_DIAB[:300], Y_DIAB[:300], X_DIAB[300:], Y_DIAB[300:])


def _estimator(estimator_class, **params):
    defaults = dict(hidden_layer_sizes=(16,), early_stopping=True, max_iter=30, random_state=0)
    return estimator_class(**dict(defaults, **params))


def _fit(est, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **params)


CASES = [(MLPClassifier, CLF_DATA), (MLPRegressor, REG_DATA)]
IDS = ["classifier", "regressor"]


@pytest.mark.parametrize("estimator_class, data", CASES, ids=IDS)
def test_the_given_set_replaces_the_split_and_all_of_X_is_trained_on(estimator_class, data):
    X, y, X_val, y_val = data
    w_val = np.linspace(0.5, 2.0, len(y_val))
    est = _fit(_estimator(estimator_class), X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    assert est.t_ == est.n_iter_ * X.shape[0]
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == est.n_iter_
    # The best epoch's weights are restored: its score is the model's on the given set.
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert_allclose(est.score(X_val, y_val, sample_weight=w_val), est.best_validation_score_)
    # validation_fraction is not used.
    other = _estimator(estimator_class, validation_fraction=0.5)
    _fit(other, X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    assert_array_equal(other._params, est._params)
    assert other.validation_scores_ == est.validation_scores_


def test_the_validation_losses_are_the_weighted_losses_on_the_given_set():
    X, y, X_val, y_val = CLF_DATA
    w_val = np.linspace(0.5, 2.0, len(y_val))
    est = _fit(_estimator(MLPClassifier), X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    best = int(np.argmax(est.validation_scores_))
    expected = log_loss(y_val, est.predict_proba(X_val), sample_weight=w_val)
    assert_allclose(est.validation_loss_curve_[best], expected, rtol=1e-10)

    X, y, X_val, y_val = REG_DATA
    w_val = np.linspace(0.5, 2.0, len(y_val))
    est = _fit(_estimator(MLPRegressor), X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    best = int(np.argmax(est.validation_scores_))
    half_squared_error = 0.5 * np.average((y_val - est.predict(X_val)) ** 2, weights=w_val)
    assert_allclose(est.validation_loss_curve_[best], half_squared_error, rtol=1e-10)


@pytest.mark.parametrize("estimator_class, data", CASES, ids=IDS)
def test_zero_validation_weights_equal_leaving_those_samples_out(estimator_class, data):
    X, y, X_val, y_val = data
    w_val = np.ones(len(y_val))
    w_val[::3] = 0.0
    kept = w_val > 0
    weighted = _fit(
        _estimator(estimator_class), X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val
    )
    subset = _fit(_estimator(estimator_class), X, y, X_val=X_val[kept], y_val=y_val[kept])
    assert_allclose(weighted.validation_scores_, subset.validation_scores_, rtol=1e-12)
    assert_allclose(weighted.validation_loss_curve_, subset.validation_loss_curve_, rtol=1e-12)
    # And the weights matter.
    unweighted = _fit(_estimator(estimator_class), X, y, X_val=X_val, y_val=y_val)
    assert unweighted.validation_loss_curve_ != weighted.validation_loss_curve_


def test_scoring_is_computed_on_the_given_set():
    X, y, X_val, y_val = CLF_DATA
    est = _estimator(MLPClassifier, scoring="neg_log_loss")
    _fit(est, X, y, X_val=X_val, y_val=y_val)
    assert_allclose(
        est.best_validation_score_, -log_loss(y_val, est.predict_proba(X_val)), rtol=1e-10
    )


def test_string_labels_and_sparse_and_float64_validation_input():
    X, y, X_val, y_val = CLF_DATA
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    dense = _fit(_estimator(MLPClassifier), X, names[y], X_val=X_val, y_val=names[y_val])
    sparse = _estimator(MLPClassifier)
    _fit(sparse, X, names[y], X_val=sp.csr_matrix(X_val), y_val=names[y_val])
    assert_allclose(sparse.validation_scores_, dense.validation_scores_)
    # float32 training with float64 validation input: validated in the training dtype.
    X32 = X.astype(np.float32)
    a = _fit(_estimator(MLPClassifier), X32, y, X_val=X_val, y_val=y_val)
    b = _fit(_estimator(MLPClassifier), X32, y, X_val=X_val.astype(np.float32), y_val=y_val)
    assert a._params.dtype == np.float32
    assert a.validation_loss_curve_ == b.validation_loss_curve_


def test_multioutput_and_multilabel_validation_targets():
    X, y, X_val, y_val = REG_DATA
    Y, Y_val = np.c_[y, -y], np.c_[y_val, -y_val]
    est = _fit(_estimator(MLPRegressor), X, Y, X_val=X_val, y_val=Y_val)
    assert_allclose(est.score(X_val, Y_val), est.best_validation_score_)
    X, y, X_val, y_val = CLF_DATA
    labels, labels_val = np.c_[y % 2, y > 4], np.c_[y_val % 2, y_val > 4]
    est = _fit(_estimator(MLPClassifier), X, labels, X_val=X_val, y_val=labels_val)
    assert_allclose(est.score(X_val, labels_val), est.best_validation_score_)


def test_partial_fit_takes_no_validation_set():
    for estimator_class in (MLPClassifier, MLPRegressor):
        assert "X_val" in inspect.signature(estimator_class.fit).parameters
        assert "X_val" not in inspect.signature(estimator_class.partial_fit).parameters


# ---------------------------------------------------------------- refused input


def _refused(est, X, y, match, **params):
    """The fit raises ValueError(match) and leaves the fitted ``est`` as it was."""
    before = est._params.copy()
    n_iter = est.n_iter_
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, **params)
    assert_array_equal(est._params, before)
    assert est.n_iter_ == n_iter


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X_val, y_val: {"X_val": X_val}, "X_val is provided, but y_val was not provided."),
        (lambda X_val, y_val: {"y_val": y_val}, "y_val is provided, but X_val was not provided."),
        (
            lambda X_val, y_val: {"X_val": X_val[:, :5], "y_val": y_val},
            "X_val: X has 5 features, but MLP(Classifier|Regressor) is expecting",
        ),
        (
            lambda X_val, y_val: {"X_val": np.where(X_val > 1, np.nan, X_val), "y_val": y_val},
            "X_val: Input X contains NaN",
        ),
        (
            lambda X_val, y_val: {"X_val": np.where(X_val > 1, np.inf, X_val), "y_val": y_val},
            "X_val: Input X contains infinity",
        ),
        (
            lambda X_val, y_val: {"X_val": X_val, "y_val": y_val[:-1]},
            re.escape("Found input variables with inconsistent numbers of samples"),
        ),
        (
            lambda X_val, y_val: {
                "X_val": X_val,
                "y_val": y_val,
                "sample_weight_val": -np.ones(len(y_val)),
            },
            "Negative values in data passed to `sample_weight_val`",
        ),
        (
            lambda X_val, y_val: {
                "X_val": X_val,
                "y_val": y_val,
                "sample_weight_val": np.zeros(len(y_val)),
            },
            "sample_weight_val: Sample weights must contain at least one non-zero number",
        ),
        (
            lambda X_val, y_val: {
                "X_val": X_val,
                "y_val": y_val,
                "sample_weight_val": np.ones(3),
            },
            "sample_weight_val: sample_weight.shape == \\(3,\\), expected",
        ),
    ],
    ids=[
        "no_y_val",
        "no_X_val",
        "features",
        "nan",
        "inf",
        "lengths",
        "negative_weights",
        "zero_weights",
        "weights_shape",
    ],
)
@pytest.mark.parametrize("estimator_class, data", CASES, ids=IDS)
def test_bad_validation_input_is_refused(estimator_class, data, change, match):
    X, y, X_val, y_val = data
    est = _fit(_estimator(estimator_class, max_iter=2), X, y)
    _refused(est, X, y, match, **change(X_val, y_val))


def test_unseen_validation_labels_are_refused():
    X, y, X_val, y_val = CLF_DATA
    est = _fit(_estimator(MLPClassifier, max_iter=2), X, y)
    _refused(est, X, y, re.escape("y_val contains previously unseen labels: [10, 11]"),
             X_val=X_val[:3], y_val=[3, 10, 11])  # fmt: skip
    names = np.array(list("abcdefghij"))
    est = _fit(_estimator(MLPClassifier, max_iter=2), X, names[y])
    _refused(est, X, names[y], re.escape("previously unseen labels: ['z']"),
             X_val=X_val[:2], y_val=["a", "z"])  # fmt: skip
    _refused(est, X, names[y], re.escape("previously unseen labels: [3, 4]"),
             X_val=X_val[:2], y_val=np.array([3, 4]))  # fmt: skip


def test_bad_validation_targets_are_refused():
    X, y, X_val, y_val = REG_DATA
    est = _fit(_estimator(MLPRegressor, max_iter=2), X, y)
    _refused(
        est, X, y, "Input y_val contains NaN", X_val=X_val, y_val=np.where(y_val > 1, np.nan, y_val)
    )
    _refused(
        est,
        X,
        y,
        re.escape("y_val has 2 output(s), but y has 1"),
        X_val=X_val,
        y_val=np.c_[y_val, y_val],
    )
    poisson = _fit(_estimator(MLPRegressor, loss="poisson", max_iter=2), X, np.abs(y))
    _refused(
        poisson, X, np.abs(y), "Some value\\(s\\) of y_val are negative", X_val=X_val, y_val=y_val
    )
    X, y, X_val, y_val = CLF_DATA
    labels = np.c_[y % 2, y > 4]
    multilabel = _fit(_estimator(MLPClassifier, max_iter=2), X, labels)
    _refused(
        multilabel,
        X,
        labels,
        "multilabel indicator matrix with 2 columns",
        X_val=X_val,
        y_val=y_val,
    )
    single = _fit(_estimator(MLPClassifier, max_iter=2), X, y)
    _refused(single, X, y, "one label per sample", X_val=X_val, y_val=np.c_[y_val, y_val])


def test_feature_names_of_the_validation_set_must_be_those_of_X():
    X, y, X_val, y_val = CLF_DATA
    columns = [f"pixel{i}" for i in range(X.shape[1])]
    frame, frame_val = pd.DataFrame(X, columns=columns), pd.DataFrame(X_val, columns=columns)
    est = _fit(_estimator(MLPClassifier), frame, y, X_val=frame_val, y_val=y_val)
    assert list(est.feature_names_in_) == columns
    renamed = frame_val.rename(columns={"pixel3": "other"})
    _refused(est, frame, y, "X_val: The feature names should match", X_val=renamed, y_val=y_val)
    reordered = frame_val[columns[::-1]]
    _refused(est, frame, y, "X_val: The feature names should match", X_val=reordered, y_val=y_val)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_validation_set_without_early_stopping_is_refused(solver):
    X, y, X_val, y_val = CLF_DATA
    est = _fit(_estimator(MLPClassifier, max_iter=2, solver=solver), X, y)
    match = "early_stopping is False" if solver == "adam" else "solver='lbfgs', which does not stop"
    est.set_params(early_stopping=solver == "lbfgs")
    _refused(est, X, y, match, X_val=X_val, y_val=y_val)


def test_error_messages_are_histgradientboostings():
    from sklearn.ensemble import HistGradientBoostingClassifier

    if "X_val" not in inspect.signature(HistGradientBoostingClassifier.fit).parameters:
        pytest.skip("HistGradientBoosting* take X_val from scikit-learn 1.7 on")
    X, y, X_val, y_val = CLF_DATA
    for params in ({"X_val": X_val}, {"y_val": y_val}, {"X_val": X_val, "y_val": y_val[:-1]}):
        messages = []
        for est in (HistGradientBoostingClassifier(early_stopping=True), _estimator(MLPClassifier)):
            with pytest.raises(ValueError) as error:
                est.fit(X, y, **params)
            messages.append(str(error.value))
        assert messages[0] == messages[1]
    # Without early stopping: the same sentence, save HistGradientBoosting's 'auto'.
    with pytest.raises(ValueError) as hgb:
        HistGradientBoostingClassifier(early_stopping=False).fit(X, y, X_val=X_val, y_val=y_val)
    with pytest.raises(ValueError) as mlp:
        _estimator(MLPClassifier, early_stopping=False).fit(X, y, X_val=X_val, y_val=y_val)
    prefix = "X_val and y_val are passed to fit while at the same time early_stopping is False."
    assert str(hgb.value).startswith(prefix) and str(mlp.value).startswith(prefix)


# ---------------------------------------------------------------- pipelines


@pytest.mark.parametrize("estimator_class, data", CASES, ids=IDS)
def test_pipeline_transforms_the_validation_set_with_metadata_routing(estimator_class, data):
    X, y, X_val, y_val = data
    X, X_val = X * 10 + 3, X_val * 10 + 3  # so that scaling matters
    w_val = np.linspace(0.5, 2.0, len(y_val))
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = _estimator(estimator_class).set_fit_request(
            X_val=True, y_val=True, sample_weight_val=True
        )
        pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)], transform_input=["X_val"])
        _fit(pipe, X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    scaler = StandardScaler().fit(X)
    direct = _estimator(estimator_class)
    _fit(
        direct,
        scaler.transform(X),
        y,
        X_val=scaler.transform(X_val),
        y_val=y_val,
        sample_weight_val=w_val,
    )
    assert_allclose(pipe[-1].validation_scores_, direct.validation_scores_, rtol=1e-12)
    assert_allclose(pipe[-1]._params, direct._params, rtol=1e-12)
