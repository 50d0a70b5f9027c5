"""skmlp: fast, scikit-learn compatible multi-layer perceptrons."""

from ._classifier import MLPClassifier
from ._compile import precompile
from ._plotting import LossCurveDisplay
from ._pruning import prune
from ._regressor import MLPRegressor

__version__ = "0.1.0"

__all__ = [
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "precompile",
    "prune",
    "__version__",
]
