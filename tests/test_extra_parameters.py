"""skmlp's parameters beyond scikit-learn's MLP behave as scikit-learn parameters.

scikit-learn's estimator checks with them set; ``set_params`` and ``clone``
round trips that reach ``fit``; bad values refused at fit; a grid search over
them. What each parameter does is specified in the file named for it
(test_optimizers.py, test_schedules.py, test_robust_losses.py, ...).
"""

import warnings

import numpy as np
import pytest
from _data import breast_cancer, diabetes, iris
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp import MLPClassifier, MLPRegressor

# ----------------------------------------------------------------------------
# scikit-learn's estimator checks for the new options


@parametrize_with_checks(
    [
        MLPClassifier(class_weight="balanced"),
        MLPRegressor(loss="huber"),
        MLPRegressor(loss="absolute_error"),
        MLPClassifier(solver="rmsprop"),
        MLPClassifier(activation="gelu", solver="rmsprop"),
        MLPClassifier(solver="adamw", alpha=1e-2),
        MLPClassifier(l1_ratio=0.5),
        MLPClassifier(dropout=0.2, batch_norm=True),
        MLPRegressor(dropout=0.2, batch_norm=True),
        MLPClassifier(
            hidden_layer_sizes=(32, 16), dropout=[0.1, 0.3], batch_norm=True, solver="nadam"
        ),
        MLPRegressor(
            hidden_layer_sizes=(32, 16), dropout=[0.3, 0.1], batch_norm=True, activation="gelu"
        ),
    ]
)
def test_new_options_pass_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ----------------------------------------------------------------------------
# Model selection and parameter handling


def test_grid_search_over_solver_schedule_and_l1_ratio():
    X, y = iris()
    grid = {
        "solver": ["adamw", "rmsprop"],
        "learning_rate": ["constant", "cosine"],
        "l1_ratio": [0.0, 0.5],
    }
    search = GridSearchCV(
        MLPClassifier(
            hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=30, random_state=0
        ),
        grid,
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_ in search.cv_results_["params"]
    assert search.best_score_ == np.max(search.cv_results_["mean_test_score"])
    assert search.best_score_ > 0.8
    assert search.best_estimator_.get_params()["solver"] == search.best_params_["solver"]


NEW_PARAMETER_VALUES = [
    (MLPClassifier, "solver", "adamw"),
    (MLPClassifier, "solver", "rmsprop"),
    (MLPClassifier, "solver", "adagrad"),
    (MLPClassifier, "solver", "nadam"),
    (MLPClassifier, "learning_rate", "cosine"),
    (MLPClassifier, "l1_ratio", 0.5),
    (MLPClassifier, "weight_init", "glorot_normal"),
    (MLPClassifier, "weight_init", "he_uniform"),
    (MLPClassifier, "weight_init", "he_normal"),
    (MLPClassifier, "weight_init", "lecun_normal"),
    (MLPClassifier, "max_grad_norm", 0.05),
    (MLPClassifier, "warmup_fraction", 0.5),
    (MLPClassifier, "scoring", "neg_log_loss"),
    (MLPClassifier, "class_weight", "balanced"),
    (MLPClassifier, "class_weight", {0: 3.0, 1: 0.5}),
    (MLPClassifier, "dropout", 0.2),
    (MLPClassifier, "dropout", [0.5]),
    (MLPClassifier, "batch_norm", True),
    (MLPRegressor, "dropout", 0.3),
    (MLPRegressor, "batch_norm", True),
    (MLPRegressor, "solver", "nadam"),
    (MLPRegressor, "loss", "absolute_error"),
    (MLPRegressor, "loss", "huber"),
    (MLPRegressor, "huber_delta", 0.1),
    (MLPRegressor, "loss", "quantile"),
    (MLPRegressor, "quantile", 0.2),
    (MLPClassifier, "label_smoothing", 0.1),
    (MLPRegressor, "l1_ratio", 1.0),
    (MLPRegressor, "weight_init", "he_normal"),
    (MLPRegressor, "max_grad_norm", 0.05),
    (MLPRegressor, "warmup_fraction", 0.5),
    (MLPRegressor, "learning_rate", "cosine"),
    (MLPRegressor, "scoring", "neg_mean_absolute_error"),
]


def _fit_small(est):
    if isinstance(est, MLPClassifier):
        X, y = breast_cancer()
    else:
        X, y = diabetes()
    return est.fit(X[:120], y[:120])


@pytest.mark.parametrize("Estimator, name, value", NEW_PARAMETER_VALUES)
def test_new_parameter_set_params_and_clone_round_trip(Estimator, name, value):
    base = dict(hidden_layer_sizes=(6,), max_iter=4, learning_rate_init=0.01, random_state=0)
    if name == "scoring":
        base["early_stopping"] = True
    if name == "huber_delta":
        base["loss"] = "huber"
    if name == "quantile":
        base["loss"] = "quantile"
    est = Estimator(**base)
    assert est.get_params()[name] != value
    assert est.set_params(**{name: value}) is est
    assert est.get_params()[name] == value
    cloned = clone(est)
    assert cloned.get_params()[name] == value
    assert cloned.get_params() == est.get_params()
    # set_params reaches fit: the same model as passing the value to __init__
    direct = _fit_small(Estimator(**base, **{name: value}))
    via_set_params = _fit_small(cloned)
    assert_array_equal(via_set_params._params, direct._params)
    assert via_set_params.validation_scores_ == direct.validation_scores_
    # ... and it is not the default model
    default = _fit_small(Estimator(**base))
    if name == "scoring":
        assert via_set_params.validation_scores_ != default.validation_scores_
    else:
        assert not np.array_equal(via_set_params._params, default._params)


def test_new_parameter_values_are_validated():
    X, y = iris()
    bad = [
        dict(solver="adamax"),
        dict(learning_rate="linear"),
        dict(l1_ratio=1.5),
        dict(weight_init="orthogonal"),
        dict(max_grad_norm=0.0),
        dict(warmup_fraction=1.0),
        dict(scoring="not_a_scorer"),
        dict(class_weight="auto"),
    ]
    for params in bad:
        with pytest.raises(ValueError):
            MLPClassifier(max_iter=2, **params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for params in (dict(loss="pinball"), dict(loss="huber", huber_delta=0.0)):
            with pytest.raises(ValueError):
                MLPRegressor(max_iter=2, **params).fit(*diabetes())
