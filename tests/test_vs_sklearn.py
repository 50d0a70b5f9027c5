"""skmlp generalises at least as well as scikit-learn with identical settings.

Each solver is trained by both libraries with the same hyper-parameters and
``random_state`` (so the same initial weights and batches) on a standardised
real dataset, and skmlp's held-out score may be at most 0.01 below
scikit-learn's.
"""

from functools import cache

import numpy as np
import pytest
from sklearn import neural_network as sk
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import skmlp

SPLIT_RANDOM_STATE = 0
MODEL_RANDOM_STATE = 0
SCORE_MARGIN = 0.01

# name: (loader, task, extra hyper-parameters, score a sound model reaches)
DATASETS = {
    "digits": (load_digits, "classification", {}, 0.9),
    "breast_cancer": (load_breast_cancer, "classification", {}, 0.9),
    # 331 training samples for 64 hidden units: with the default alpha=1e-4
    # L-BFGS overfits to a negative test R^2 in both libraries, which would
    # make the comparison meaningless; alpha=10 gives R^2 ~ 0.35-0.4.
    "diabetes": (load_diabetes, "regression", {"alpha": 10.0}, 0.2),
}
SOLVERS = ["lbfgs", "sgd", "adam"]


@cache
def load_split(name):
    """Standardised train/test split (scalers fitted on the training part)."""
    loader, task, _, _ = DATASETS[name]
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        random_state=SPLIT_RANDOM_STATE,
        stratify=y if task == "classification" else None,
    )
    x_scaler = StandardScaler().fit(X_train)
    X_train, X_test = x_scaler.transform(X_train), x_scaler.transform(X_test)
    if task == "regression":
        y_scaler = StandardScaler().fit(y_train.reshape(-1, 1))
        y_train = y_scaler.transform(y_train.reshape(-1, 1)).ravel()
        y_test = y_scaler.transform(y_test.reshape(-1, 1)).ravel()
    return X_train, X_test, y_train, y_test


def held_out_score(library, name, solver):
    _, task, extra, _ = DATASETS[name]
    X_train, X_test, y_train, y_test = load_split(name)
    Estimator = library.MLPClassifier if task == "classification" else library.MLPRegressor
    est = Estimator(
        hidden_layer_sizes=(64,),
        solver=solver,
        max_iter=200,
        random_state=MODEL_RANDOM_STATE,
        **extra,
    )
    est.fit(X_train, y_train)
    return est.score(X_test, y_test)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", list(DATASETS))
def test_skmlp_test_score_is_at_least_sklearn_test_score(name, solver):
    reference = held_out_score(sk, name, solver)
    # Guard: the comparison is between models that actually learned something.
    assert reference >= DATASETS[name][3], reference
    score = held_out_score(skmlp, name, solver)
    assert np.isfinite(score)
    assert score >= reference - SCORE_MARGIN, (score, reference)
