"""skmlp: fast, scikit-learn compatible multi-layer perceptrons."""

from ._classifier import MLPClassifier
from ._compile import precompile
from ._plotting import LossCurveDisplay
from ._pruning import prune
from ._regressor import MLPRegressor
from ._tabular import TabularMLPClassifier, TabularMLPRegressor

__version__ = "0.1.0"

__all__ = [
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "precompile",
    "prune",
    "__version__",
]
