"""scikit-learn's estimator checks, with no expected failures declared."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp import MLPClassifier, MLPRegressor

ESTIMATORS = [
    MLPClassifier(),
    MLPRegressor(),
    MLPClassifier(solver="lbfgs"),
    MLPRegressor(solver="lbfgs"),
    MLPClassifier(solver="sgd"),
    MLPRegressor(solver="sgd"),
    MLPClassifier(hidden_layer_sizes="auto", solver="lbfgs"),
    MLPRegressor(hidden_layer_sizes="auto", solver="lbfgs"),
    MLPClassifier(label_smoothing=0.1),
    MLPRegressor(loss="quantile", quantile=0.3),
    MLPClassifier(hidden_layer_sizes=(10, 5), activation=["tanh", "gelu"]),
    MLPRegressor(hidden_layer_sizes=(10, 5), activation=("relu", "elu"), solver="lbfgs"),
    MLPClassifier(
        hidden_layer_sizes=(10, 5), activation=["mish", "relu"], batch_norm=True, dropout=0.1
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
