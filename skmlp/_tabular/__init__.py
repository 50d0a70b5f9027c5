"""The tabular recipe: preprocessing and a network for DataFrames.

The recipe lives in :mod:`skmlp._tabular.recipe`; the names are also here
because pickles written before the package existed name ``skmlp._tabular``.
"""

from .recipe import TabularMLPClassifier, TabularMLPRegressor

__all__ = ["TabularMLPClassifier", "TabularMLPRegressor"]
