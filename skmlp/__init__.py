"""skmlp: fast, scikit-learn compatible multi-layer perceptrons."""

from ._classifier import MLPClassifier
from ._plotting import LossCurveDisplay
from ._precompile import precompile
from ._pruning import prune
from ._regressor import MLPRegressor
from ._tabular.recipe import TabularMLPClassifier, TabularMLPRegressor
from ._version import __version__

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
