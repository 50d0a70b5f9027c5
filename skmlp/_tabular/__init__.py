"""The tabular recipe: preprocessing and a network for DataFrames.

The recipe lives in :mod:`skmlp._tabular.recipe`; the names are also here
because pickles written before the package existed name ``skmlp._tabular``.
"""

from .recipe import TabularMLPClassifier, TabularMLPRegressor, _as_category_strings

# _as_category_strings: a fitted recipe's FunctionTransformer holds it, so its
# pickles name it here too.
__all__ = ["TabularMLPClassifier", "TabularMLPRegressor", "_as_category_strings"]
