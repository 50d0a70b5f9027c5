"""Drop-in parity: every configuration scikit-learn accepts follows its trajectory.

For every combination of scikit-learn's own parameter values (solver,
learning-rate schedule, momentum, early stopping, activation) and every kind
of target (binary, multiclass, multilabel, single- and multi-output
regression), in float64 and float32, with sample weights, warm starts and
``partial_fit``, skmlp at its defaults and scikit-learn fit the same data with
the same ``random_state`` and must agree: the same ``n_iter_``, the same
``loss_curve_``, validation scores and fitted weights, the same predictions, up
to floating-point rounding.

float64 is compared at ``rtol=1e-10``. With float32 input both libraries
train in float32 (L-BFGS evaluates float32 points and ends on SciPy's float64
solution, so its model is float64 in both), and sums taken in another order
differ in the last of float32's 24 bits, so those fits are compared at
``rtol=1e-4``, still far below any difference in the rules.
"""

import inspect
import itertools
from functools import cache

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neural_network as sknn
from sklearn.datasets import load_breast_cancer, load_iris, make_classification, make_regression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.fixes import parse_version

import skmlp

needs_sklearn_1_7 = pytest.mark.skipif(
    "sample_weight" not in inspect.signature(sknn.MLPClassifier.fit).parameters,
    reason="scikit-learn < 1.7's MLP has no sample_weight",
)

# The contract is scikit-learn 1.9's trajectory. Older releases differ where
# 1.9 has a result: 1.6's early stopping, for one, crashes on string labels.
pytestmark = pytest.mark.skipif(
    parse_version(sklearn.__version__) < parse_version("1.9"),
    reason="the parity contract is with scikit-learn 1.9",
)

TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=1e-5)}
#: L-BFGS builds its curvature pairs from differences of float32 gradients,
#: which amplifies their rounding: after a dozen iterations the weights of the
#: two libraries differ by up to about 1e-3 relative (a dozen stochastic
#: epochs stay within 1e-4).
LBFGS_FLOAT32 = dict(rtol=5e-3, atol=1e-4)

#: Short fits whose stopping rule acts: with tol=1e-3 and n_iter_no_change=2
#: most fits stop (or, with 'adaptive', divide the rate) before max_iter.
BASE = dict(
    hidden_layer_sizes=(7, 5),
    random_state=0,
    batch_size=32,
    max_iter=12,
    tol=1e-3,
    n_iter_no_change=2,
    learning_rate_init=0.02,
)


@cache
def data(task):
    """(X, y) of each task: small, standardised, float64."""
    if task == "binary":
        X, y = load_breast_cancer(return_X_y=True)
        X, y = X[::4], y[::4]
    elif task == "multiclass":
        X, y = load_iris(return_X_y=True)
        y = np.array(["setosa", "versicolor", "virginica"])[y]
    elif task == "multilabel":
        X, y = make_classification(n_samples=120, n_features=6, random_state=0)
        y = np.column_stack([y, X[:, 0] > 0, X[:, 1] + X[:, 2] > 0]).astype(int)
    elif task == "regression":
        X, y = make_regression(n_samples=120, n_features=6, noise=5.0, random_state=0)
        y = y / y.std()
    else:  # two-output regression
        X, y = make_regression(n_samples=120, n_features=6, n_targets=2, random_state=1)
        y = y / y.std(axis=0)
    return StandardScaler().fit_transform(X), y


TASKS = ["binary", "multiclass", "multilabel", "regression", "two_outputs"]
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
SCHEDULES = ["constant", "invscaling", "adaptive"]
MOMENTA = [
    dict(momentum=0.0),
    dict(momentum=0.9, nesterovs_momentum=True),
    dict(momentum=0.9, nesterovs_momentum=False),
]
SOLVER_SETTINGS = (
    [dict(solver="lbfgs")]
    + [dict(solver="sgd", learning_rate=s, **m) for s in SCHEDULES for m in MOMENTA]
    + [dict(solver="adam", learning_rate=s) for s in SCHEDULES]
)
EARLY_STOPPING = [
    dict(),
    dict(early_stopping=True),
    dict(early_stopping=True, validation_fraction=0.25),
]


def estimators(task, **params):
    """skmlp's and scikit-learn's estimator for ``task``, with the same parameters."""
    if task in ("regression", "two_outputs"):
        return skmlp.MLPRegressor(**params), sknn.MLPRegressor(**params)
    return skmlp.MLPClassifier(**params), sknn.MLPClassifier(**params)


def assert_same_model(ours, ref, X, dtype):
    """Same trajectory and fitted model, within the dtype's rounding."""
    tol = TOLERANCE[dtype]
    if dtype == np.float32 and ref.solver == "lbfgs":
        tol = LBFGS_FLOAT32
    assert ours.n_iter_ == ref.n_iter_
    assert ours.t_ == ref.t_
    assert_allclose(ours.loss_, ref.loss_, **tol)
    if hasattr(ref, "loss_curve_"):
        assert_allclose(ours.loss_curve_, ref.loss_curve_, **tol)
    for name in ("best_loss_", "best_validation_score_"):
        if getattr(ref, name, None) is not None:
            assert_allclose(getattr(ours, name), getattr(ref, name), **tol)
    if getattr(ref, "validation_scores_", None) is not None:
        assert_allclose(ours.validation_scores_, ref.validation_scores_, **tol)
    for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_, strict=True):
        assert a.dtype == b.dtype == (np.float64 if ref.solver == "lbfgs" else dtype)
        assert_allclose(a, b, **tol)
    if hasattr(ref, "predict_proba"):
        assert_allclose(ours.predict_proba(X), ref.predict_proba(X), **tol)
    else:
        assert_allclose(ours.predict(X), ref.predict(X), **tol)


def cases():
    combos = itertools.product(TASKS, SOLVER_SETTINGS, EARLY_STOPPING, [np.float64, np.float32])
    for i, (task, solver, early, dtype) in enumerate(combos):
        if solver["solver"] == "lbfgs" and early.get("validation_fraction"):
            continue  # L-BFGS ignores early stopping (in both libraries)
        params = dict(BASE, activation=ACTIVATIONS[i % len(ACTIVATIONS)], **solver, **early)
        name = "-".join([task, *("%s=%s" % kv for kv in params.items() if kv not in BASE.items())])
        yield pytest.param(task, params, dtype, id="%s-%s" % (name, np.dtype(dtype).name))


@pytest.mark.parametrize("task, params, dtype", list(cases()))
def test_fit_follows_sklearns_trajectory(task, params, dtype):
    X, y = data(task)
    X = X.astype(dtype)
    if task in ("regression", "two_outputs"):
        y = y.astype(dtype)
    ours, ref = estimators(task, **params)
    ref.fit(X, y)
    ours.fit(X, y)
    assert_same_model(ours, ref, X, dtype)
    if task not in ("regression", "two_outputs"):
        assert_array_equal(ours.predict(X), ref.predict(X))


def weighted_cases():
    for task, solver, early in itertools.product(
        TASKS, ["lbfgs", "sgd", "adam"], [dict(), dict(early_stopping=True)]
    ):
        if solver == "lbfgs" and early:
            continue
        params = dict(BASE, solver=solver, **early)
        yield pytest.param(task, params, id="-".join([task, solver, *early]))


@needs_sklearn_1_7
@pytest.mark.parametrize("task, params", list(weighted_cases()))
def test_sample_weighted_fit_follows_sklearns_trajectory(task, params):
    X, y = data(task)
    # Zero and negative weights too: scikit-learn accepts them.
    weights = np.random.RandomState(0).uniform(-0.3, 3.0, X.shape[0])
    weights[::7] = 0.0
    ours, ref = estimators(task, **params)
    ref.fit(X, y, sample_weight=weights)
    ours.fit(X, y, sample_weight=weights)
    assert_same_model(ours, ref, X, np.float64)


WARM_STARTS = {
    "lbfgs": dict(solver="lbfgs"),
    "sgd": dict(solver="sgd"),
    "adam": dict(solver="adam"),
    "adam-early_stopping": dict(solver="adam", early_stopping=True),
    "sgd-adaptive-early_stopping": dict(
        solver="sgd", learning_rate="adaptive", early_stopping=True
    ),
}


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("params", list(WARM_STARTS.values()), ids=list(WARM_STARTS))
def test_warm_started_fits_follow_sklearns_trajectory(task, params):
    X, y = data(task)
    ours, ref = estimators(task, **dict(BASE, warm_start=True, **params))
    for max_iter in (4, 6, 3):
        for est in (ours, ref):
            est.set_params(max_iter=max_iter).fit(X, y)
        assert_same_model(ours, ref, X, np.float64)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize(
    "params",
    [dict(solver="sgd"), dict(solver="adam"), dict(solver="sgd", learning_rate="invscaling")],
    ids=["sgd", "adam", "sgd-invscaling"],
)
def test_partial_fit_follows_sklearns_trajectory(task, params):
    X, y = data(task)
    ours, ref = estimators(task, **dict(BASE, **params))
    extra = {}
    if task in ("binary", "multiclass"):
        extra = dict(classes=np.unique(y))
    elif task == "multilabel":
        extra = dict(classes=np.arange(y.shape[1]))
    for start in range(0, X.shape[0], 40):
        for est in (ours, ref):
            est.partial_fit(X[start : start + 40], y[start : start + 40], **extra)
        assert_same_model(ours, ref, X, np.float64)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_single_class_trains_as_in_sklearn(solver, early_stopping):
    X, _ = data("multiclass")
    y = np.full(X.shape[0], "only")
    ours, ref = estimators("multiclass", **dict(BASE, solver=solver, early_stopping=early_stopping))
    ref.fit(X, y)
    ours.fit(X, y)
    assert_same_model(ours, ref, X, np.float64)
    assert_array_equal(ours.predict(X), ref.predict(X))


# ----------------------------------------------------------------------------
# The opt-in improvements: off by default (above), each one parameter away.


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_adam_ignores_sgds_schedules_unless_schedule_adam(schedule):
    # (What schedule_adam=True does is specified in test_schedules.py.)
    X, y = data("multiclass")
    params = dict(BASE, solver="adam", tol=10.0, max_iter=8, learning_rate_init=0.05)
    constant = skmlp.MLPClassifier(**params).fit(X, y)
    ignored = skmlp.MLPClassifier(learning_rate=schedule, **params).fit(X, y)
    assert_array_equal(ignored._params, constant._params)
    assert ignored.n_iter_ == constant.n_iter_ == 4  # tol=10: stopped, not divided
    scheduled = skmlp.MLPClassifier(learning_rate=schedule, schedule_adam=True, **params).fit(X, y)
    assert not np.allclose(scheduled._params, constant._params)
