"""``MLPClassifier(class_weight=...)``: a dict of per-class weights or 'balanced'.

Class weights multiply the sample weights, as scikit-learn's classifiers do;
'balanced' counts the classes with their sample weights.
"""

import inspect
from functools import lru_cache

import numpy as np
import pytest
from _data import iris
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight

from skmlp import MLPClassifier


@lru_cache
def imbalanced():
    """Binary with a 7% minority class, split in half (stratified)."""
    X, y = make_classification(
        n_samples=1000,
        n_features=10,
        n_informative=4,
        weights=[0.93],
        flip_y=0.02,
        class_sep=0.6,
        random_state=0,
    )
    return train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_class_weight_dict_equals_multiplying_sample_weight(solver):
    X, y = iris()
    class_weight = {0: 1.0, 1: 2.5, 2: 0.5}
    rng = np.random.RandomState(0)
    sample_weight = rng.uniform(0.5, 2.0, size=len(y))
    params = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=10, random_state=0)
    weighted = MLPClassifier(class_weight=class_weight, **params).fit(
        X, y, sample_weight=sample_weight
    )
    per_sample = np.array([class_weight[c] for c in y])
    manual = MLPClassifier(**params).fit(X, y, sample_weight=sample_weight * per_sample)
    assert_array_equal(weighted._params, manual._params)
    plain = MLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
    assert np.any(plain._params != weighted._params)


def test_class_weight_dict_missing_labels_weigh_one():
    X, y = iris()
    params = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    partial = MLPClassifier(class_weight={1: 3.0}, **params).fit(X, y)
    full = MLPClassifier(class_weight={0: 1.0, 1: 3.0, 2: 1.0}, **params).fit(X, y)
    assert_array_equal(partial._params, full._params)


def test_balanced_class_weight_equals_dict_of_balanced_weights():
    X_train, _, y_train, _ = imbalanced()
    weights = compute_class_weight("balanced", classes=np.array([0, 1]), y=y_train)
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X_train, y_train)
    as_dict = MLPClassifier(class_weight=dict(enumerate(weights)), **params).fit(X_train, y_train)
    assert_array_equal(balanced._params, as_dict._params)


def test_balanced_class_weight_counts_classes_with_their_sample_weights():
    # scikit-learn's convention (compute_class_weight(..., sample_weight=)):
    # a sample of weight 2 counts like two copies of it, so that fitting with
    # sample_weight equals fitting on repeated samples.
    if "sample_weight" not in inspect.signature(compute_class_weight).parameters:
        pytest.skip("the reference, compute_class_weight(sample_weight=), needs scikit-learn 1.7")
    X_train, _, y_train, _ = imbalanced()
    sample_weight = np.random.RandomState(0).randint(0, 4, size=len(y_train)).astype(float)
    weights = compute_class_weight(
        "balanced", classes=np.array([0, 1]), y=y_train, sample_weight=sample_weight
    )
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    balanced = MLPClassifier(class_weight="balanced", **params)
    balanced.fit(X_train, y_train, sample_weight=sample_weight)
    as_dict = MLPClassifier(class_weight=dict(enumerate(weights)), **params)
    as_dict.fit(X_train, y_train, sample_weight=sample_weight)
    assert_allclose(balanced._params, as_dict._params, rtol=1e-9, atol=1e-12)


def test_balanced_class_weight_improves_minority_recall():
    X_train, X_test, y_train, y_test = imbalanced()
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=1e-2, max_iter=50, random_state=0)
    plain = MLPClassifier(**params).fit(X_train, y_train)
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X_train, y_train)
    recall_plain = recall_score(y_test, plain.predict(X_test))
    recall_balanced = recall_score(y_test, balanced.predict(X_test))
    assert recall_balanced > recall_plain + 0.3
    assert recall_balanced > 0.5


def test_partial_fit_is_unavailable_with_balanced_class_weight():
    # Not a ValueError at call time: partial_fit is absent (hasattr is False), so
    # tools that probe for it, scikit-learn's checks among them, skip it.
    X, y = iris()
    est = MLPClassifier(class_weight="balanced")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError) as excinfo:
        est.partial_fit(X, y, classes=np.unique(y))
    assert "balanced" in str(excinfo.value.__cause__)
    assert hasattr(MLPClassifier(class_weight={0: 2.0}), "partial_fit")


def test_partial_fit_with_dict_class_weight_equals_weighted_partial_fit():
    X, y = iris()
    class_weight = {0: 1.0, 1: 2.5, 2: 0.5}
    params = dict(hidden_layer_sizes=(8,), random_state=0)
    weighted = MLPClassifier(class_weight=class_weight, **params)
    manual = MLPClassifier(**params)
    per_sample = np.array([class_weight[c] for c in y])
    for _ in range(2):
        weighted.partial_fit(X, y, classes=[0, 1, 2])
        manual.partial_fit(X, y, sample_weight=per_sample, classes=[0, 1, 2])
    assert_array_equal(weighted._params, manual._params)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 2.0}])
def test_class_weight_with_multilabel_target_raises(class_weight):
    X, _ = make_classification(n_samples=60, n_features=6, random_state=0)
    rng = np.random.RandomState(0)
    Y = (rng.uniform(size=(60, 3)) < 0.5).astype(int)
    with pytest.raises(ValueError, match="multilabel"):
        MLPClassifier(class_weight=class_weight, max_iter=2).fit(X, Y)


def test_class_weight_with_unknown_label_raises():
    X, y = iris()
    with pytest.raises(ValueError, match="not in classes_"):
        MLPClassifier(class_weight={0: 1.0, 7: 2.0}, max_iter=2).fit(X, y)
