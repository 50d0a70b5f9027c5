"""Bad input: a clear error, and a fitted estimator left exactly as it was.

One table, ``CASES``: each case is a bad input given to one method (``fit``,
``partial_fit`` or ``predict``) of one estimator.  The test fits a small model,
takes a deep snapshot of its whole state (every attribute in ``vars(est)``),
makes the failing call, and checks that

- it raises the case's error, with a message naming the problem (the
  messages are scikit-learn's own validation messages where it has one);
- the snapshot is unchanged: a failing ``fit`` or ``partial_fit`` must not
  half-update the model (no new buffer, no reset random state, no changed
  classes, no extra entry in ``loss_curve_``);
- predictions are unchanged.

A second test makes all the failing calls on one model and then checks that
ordinary calls still work, with the same result as on a model that never saw
the bad input.
"""

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifier, MLPRegressor

# --------------------------------------------------------------------------
# Data and the models the bad input is given to.

_X_IRIS, _Y_IRIS = load_iris(return_X_y=True)
_X_DIABETES, _Y_DIABETES = load_diabetes(return_X_y=True)

DATA = {
    "clf": (StandardScaler().fit_transform(_X_IRIS), _Y_IRIS),
    "reg": (
        StandardScaler().fit_transform(_X_DIABETES),
        (_Y_DIABETES - _Y_DIABETES.mean()) / _Y_DIABETES.std(),
    ),
}
# What a failing fit gets: another valid data set (one feature fewer; for iris
# only classes 0 and 1), so that a fit which starts re-initialising the model
# (n_features_in_, classes_, ...) before it fails shows in the snapshot.
REFIT_DATA = {kind: (X[:100, :-1], y[:100]) for kind, (X, y) in DATA.items()}
ESTIMATORS = {"clf": MLPClassifier, "reg": MLPRegressor}
# A stochastic solver, so that partial_fit exists; a few epochs of a tiny net.
SETTINGS = dict(hidden_layer_sizes=(5,), solver="adam", max_iter=5, random_state=0)


def make_estimator(kind, fitted=True):
    est = ESTIMATORS[kind](**SETTINGS)
    if fitted:
        est.fit(*DATA[kind])
    return est


# --------------------------------------------------------------------------
# The table.


@dataclass(frozen=True)
class Case:
    """``getattr(estimator, method)(**make_args(X, y))`` raises ``error`` matching ``match``.

    ``make_args`` takes copies of the data (``REFIT_DATA`` for ``fit``, the
    training data ``DATA`` otherwise) and returns the keyword arguments of the
    call (``predict`` gets only ``X``).
    ``params`` are set (``set_params``) on the model before the snapshot.
    ``fitted=False``: the call is made on an unfitted model (the first call).
    """

    id: str
    estimator: str  # "clf" or "reg"
    method: str  # "fit", "partial_fit" or "predict"
    make_args: Callable
    error: type
    match: str
    params: dict = field(default_factory=dict)
    fitted: bool = True


def cases(name, estimators, methods, make_args, error, match, **options):
    """One Case per estimator and method, with id ``name[estimator.method]``."""
    return [
        Case(f"{name}[{est}.{method}]", est, method, make_args, error, match, **options)
        for est in estimators
        for method in methods
    ]


BOTH = ("clf", "reg")
CLF = ("clf",)
REG = ("reg",)
FIT = ("fit",)
PARTIAL_FIT = ("partial_fit",)
TRAIN = ("fit", "partial_fit")
ALL = ("fit", "partial_fit", "predict")


def put(a, value, at=(3, 1)):
    """A copy of ``a`` (its dtype widened to hold ``value``) with ``value`` at ``at``."""
    a = np.array(a, dtype=np.result_type(a, type(value)))
    a[at] = value
    return a


def args(X, y, **kwargs):
    return dict(X=X, y=y, **kwargs)


FEW = [0, 1, 2, 50, 51]  # 5 rows; of iris, two classes: [0, 0, 0, 1, 1]
TOO_FEW_FOR_VALIDATION = dict(early_stopping=True, validation_fraction=0.1)

CASES = [
    # -- X: non-finite, empty, wrong type or shape
    *cases("nan-X", BOTH, ALL,
           lambda X, y: args(put(X, np.nan), y),
           ValueError, r"Input X contains NaN"),
    *cases("inf-X", BOTH, ALL,
           lambda X, y: args(put(X, np.inf), y),
           ValueError, r"Input X contains infinity"),
    *cases("sparse-csr-nan-X", BOTH, ALL,
           lambda X, y: args(sp.csr_matrix(put(X, np.nan)), y),
           ValueError, r"Input X contains NaN"),
    *cases("empty-X", BOTH, ALL,
           lambda X, y: args(X[:0], y[:0]),
           ValueError, r"Found array with 0 sample\(s\)"),
    *cases("str-X", BOTH, ALL,
           lambda X, y: args(np.full(X.shape, "abc"), y),
           ValueError, r"could not convert string to float"),
    *cases("object-X", BOTH, ALL,
           lambda X, y: args(put(X.astype(object), "a"), y),
           ValueError, r"could not convert string to float"),
    *cases("complex-X", BOTH, ALL,
           lambda X, y: args(X + 1j, y),
           ValueError, r"Complex data not supported"),
    *cases("3d-X", BOTH, ALL,
           lambda X, y: args(X[:, :, np.newaxis], y),
           ValueError, r"Found array with dim 3"),
    *cases("wrong-n-features", BOTH, ("partial_fit", "predict"),
           lambda X, y: args(X[:, :-1], y),
           ValueError, r"X has \d+ features, but \w+ is expecting \d+ features"),
    # -- y
    *cases("nan-y", BOTH, TRAIN,
           lambda X, y: args(X, put(y, np.nan, at=3)),
           ValueError, r"Input y contains NaN"),
    *cases("y-wrong-length", BOTH, TRAIN,
           lambda X, y: args(X, y[:-1]),
           ValueError, r"inconsistent numbers of samples"),
    *cases("negative-y-poisson", REG, TRAIN,
           lambda X, y: args(X, put(np.abs(y), -1.0, at=3)),
           ValueError, r"y are negative", params=dict(loss="poisson")),
    # -- classes
    *cases("single-class-in-classes", CLF, PARTIAL_FIT,
           lambda X, y: args(X, np.zeros_like(y), classes=[0]),
           ValueError, r"class"),
    *cases("label-not-in-classes", CLF, PARTIAL_FIT,
           lambda X, y: args(X, put(y, 3, at=3)),
           ValueError, r"classes not in `self\.classes_`"),
    # -- sample_weight
    *cases("all-zero-sample-weight", BOTH, TRAIN,
           lambda X, y: args(X, y, sample_weight=np.zeros(len(y))),
           ValueError, r"at least one non-zero"),
    *cases("nan-sample-weight", BOTH, TRAIN,
           lambda X, y: args(X, y, sample_weight=put(np.ones(len(y)), np.nan, at=3)),
           ValueError, r"Input sample_weight contains NaN"),
    # -- parameters that only fail with the data
    *cases("hidden-layer-size-0", BOTH, TRAIN,
           lambda X, y: args(X, y),
           ValueError, r"hidden_layer_sizes must be positive",
           params=dict(hidden_layer_sizes=(5, 0))),
    *cases("too-few-samples-for-validation", REG, FIT,
           lambda X, y: args(X[FEW], y[FEW]),
           ValueError, r"validation set is too small",
           params=TOO_FEW_FOR_VALIDATION),
    # (stratified: one validation sample cannot hold both classes)
    *cases("too-few-samples-for-validation", CLF, FIT,
           lambda X, y: args(X[FEW], y[FEW]),
           ValueError, r"test_size = 1 should be greater or equal to the number of classes",
           params=TOO_FEW_FOR_VALIDATION),
    *cases("early-stopping-in-partial-fit", BOTH, PARTIAL_FIT,
           lambda X, y: args(X[FEW], y[FEW]),
           ValueError, r"partial_fit does not support early_stopping",
           params=TOO_FEW_FOR_VALIDATION),
]  # fmt: skip


# --------------------------------------------------------------------------
# Snapshots of the whole estimator state.


def freeze(value):
    """A deep, comparable copy of an attribute value."""
    if isinstance(value, np.random.RandomState):
        return ("RandomState", freeze(value.get_state(legacy=False)))
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: freeze(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(freeze(v) for v in value)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        # LabelBinarizer, Layout, ...: their attributes, recursively
        return (type(value), freeze(vars(value)))
    return copy.deepcopy(value)


def snapshot(est):
    state = freeze(vars(est))
    if "_params" in state:
        # coefs_ and intercepts_ are documented as views into one buffer
        state["<coefs_ and intercepts_ are views of _params>"] = all(
            np.shares_memory(a, est._params) for a in (*est.coefs_, *est.intercepts_)
        )
    return state


def differences(before, after, path="est"):
    """Where ``after`` differs from ``before``: a list of readable lines."""
    if type(before) is not type(after):
        return [f"{path}: type {type(before).__name__} -> {type(after).__name__}"]
    if isinstance(before, np.ndarray):
        equal_nan = before.dtype.kind in "fc"
        if before.dtype != after.dtype or before.shape != after.shape:
            return [f"{path}: {before.dtype}{before.shape} -> {after.dtype}{after.shape}"]
        if not np.array_equal(before, after, equal_nan=equal_nan):
            return [f"{path}: array values changed"]
        return []
    if isinstance(before, dict):
        diffs = [f"{path}: key {k!r} added" for k in after.keys() - before.keys()]
        diffs += [f"{path}: key {k!r} removed" for k in before.keys() - after.keys()]
        for k in before.keys() & after.keys():
            diffs += differences(before[k], after[k], f"{path}[{k!r}]")
        return diffs
    if isinstance(before, (list, tuple)):
        if len(before) != len(after):
            return [f"{path}: length {len(before)} -> {len(after)}"]
        pairs = enumerate(zip(before, after))
        return [d for i, (b, a) in pairs for d in differences(b, a, f"{path}[{i}]")]
    if isinstance(before, float) and np.isnan(before) and np.isnan(after):
        return []
    if before != after:
        return [f"{path}: {before!r} -> {after!r}"]
    return []


def assert_same_state(before, after):
    diffs = differences(before, after)
    assert not diffs, "the estimator changed:\n" + "\n".join(sorted(diffs))


def predictions(est, X):
    if isinstance(est, MLPClassifier):
        return est.predict(X), est.predict_proba(X)
    return (est.predict(X),)


def make_failing_call(est, case):
    X, y = (REFIT_DATA if case.method == "fit" else DATA)[case.estimator]
    kwargs = case.make_args(X.copy(), y.copy())
    if case.method == "predict":
        return est.predict(kwargs["X"])
    return getattr(est, case.method)(**kwargs)


# --------------------------------------------------------------------------
# Tests


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_and_leaves_estimator_unchanged(case):
    X, y = DATA[case.estimator]
    est = make_estimator(case.estimator, fitted=case.fitted).set_params(**case.params)
    before = snapshot(est)
    predicted = predictions(est, X) if case.fitted else None

    with pytest.raises(case.error, match=case.match):
        make_failing_call(est, case)

    assert_same_state(before, snapshot(est))
    if case.fitted:
        for old, new in zip(predicted, predictions(est, X)):
            assert old.dtype == new.dtype
            np.testing.assert_array_equal(new, old)
    else:
        with pytest.raises(NotFittedError):
            est.predict(X)


@pytest.mark.parametrize("kind", BOTH)
def test_estimator_is_usable_after_failed_calls(kind):
    """After every failing call, ordinary calls give what they give on an untouched model."""
    X, y = DATA[kind]
    est, twin = make_estimator(kind), make_estimator(kind)
    params = est.get_params()
    for case in CASES:
        if case.estimator != kind or not case.fitted:
            continue
        est.set_params(**case.params)
        with contextlib.suppress(ValueError, TypeError):
            make_failing_call(est, case)
        est.set_params(**params)
    assert_same_state(snapshot(twin), snapshot(est))

    # partial_fit continues the fitted optimizer; coefs_ follow the buffer
    coefs = [c.copy() for c in est.coefs_]
    est.partial_fit(X, y)
    twin.partial_fit(X, y)
    assert not np.array_equal(est.coefs_[0], coefs[0])
    assert_same_state(snapshot(twin), snapshot(est))
    for a, b in zip(predictions(est, X), predictions(twin, X)):
        np.testing.assert_array_equal(a, b)

    # a new fit, and prediction on valid input
    est.fit(X[:100], y[:100])
    twin.fit(X[:100], y[:100])
    assert_same_state(snapshot(twin), snapshot(est))
    for a, b in zip(predictions(est, X), predictions(twin, X)):
        np.testing.assert_array_equal(a, b)
    assert est.predict(X[:3]).shape == (3,)
