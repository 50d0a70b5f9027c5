"""Small scikit-learn datasets, standardised, that several test modules train on."""

from functools import lru_cache

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.preprocessing import StandardScaler


def _standardize(X):
    return StandardScaler().fit_transform(X)


@lru_cache
def small_digits():
    """Multiclass (10 classes), 300 x 64, standardised."""
    X, y = load_digits(return_X_y=True)
    return _standardize(X[:300]), y[:300]


@lru_cache
def iris():
    """Multiclass (3 classes), 150 x 4, standardised."""
    X, y = load_iris(return_X_y=True)
    return _standardize(X), y


@lru_cache
def breast_cancer():
    """Binary, 569 x 30, standardised."""
    X, y = load_breast_cancer(return_X_y=True)
    return _standardize(X), y


@lru_cache
def diabetes():
    """Regression, 442 x 10, standardised features and target."""
    X, y = load_diabetes(return_X_y=True)
    return _standardize(X), (y - y.mean()) / y.std()
