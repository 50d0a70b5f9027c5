"""Where skmlp 0.1.0 defined the estimators: kept so that its pickles still load.

A pickle names the class by module; models pickled before the estimators
moved to :mod:`skmlp._classifier` and :mod:`skmlp._regressor` name this one.
"""

from ._base import BaseMultilayerPerceptron
from ._classifier import MLPClassifier
from ._regressor import MLPRegressor

__all__ = ["BaseMultilayerPerceptron", "MLPClassifier", "MLPRegressor"]
