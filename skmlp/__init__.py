"""skmlp: fast, scikit-learn compatible multi-layer perceptrons."""

from ._multilayer_perceptron import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
