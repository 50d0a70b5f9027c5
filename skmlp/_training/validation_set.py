"""The validation set a user gives ``fit`` (``X_val``, ``y_val``, ``sample_weight_val``).

The convention is ``HistGradientBoosting*``'s (scikit-learn >= 1.7): with
``early_stopping=True`` the given set replaces the split of
``validation_fraction``; the validation scores and losses are computed on it,
with its weights. Passing one without early stopping (or with
``solver='lbfgs'``, which does not stop early) is an error, as it is for
``HistGradientBoosting*`` with ``early_stopping=False``. The set is checked
like the training data, against what ``fit`` learned from it: the number of
features and their names, finite values, known classes, the number of outputs.
``class_weight`` is not applied to ``sample_weight_val`` (as in
``HistGradientBoostingClassifier``).
"""

import contextlib

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_consistent_length
from sklearn.utils.validation import _check_sample_weight, validate_data

from .stochastic import _Validation


@contextlib.contextmanager
def _naming(name):
    """Say which argument a scikit-learn error (which says "X" or "y") is about."""
    try:
        yield
    except ValueError as error:
        raise ValueError("%s: %s" % (name, error)) from error


def given_validation_set(est, X_val, y_val, sample_weight_val, dtype):
    """The validated set as the trainer takes it, or None when none was given.

    Called by ``fit`` after it validated the training data (``est`` knows the
    features, classes and outputs); ``dtype`` is the training dtype.
    """
    if X_val is None and y_val is None:
        return None
    if y_val is None:
        raise ValueError("X_val is provided, but y_val was not provided.")
    if X_val is None:
        raise ValueError("y_val is provided, but X_val was not provided.")
    with _naming("X_val"):
        X_val = validate_data(
            est, X_val, reset=False, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32)
        )
    X_val = X_val.astype(dtype) if sp.issparse(X_val) else np.asarray(X_val, dtype=dtype)
    y_val, Y_val = est._encode_y_val(y_val)  # its errors name y_val
    check_consistent_length(X_val, y_val)
    if sample_weight_val is None:
        sample_weight_val = np.ones(X_val.shape[0], dtype=dtype)
    else:
        with _naming("sample_weight_val"):
            sample_weight_val = _check_sample_weight(sample_weight_val, X_val, dtype=dtype)
            if not np.any(sample_weight_val != 0):  # as scikit-learn >= 1.7 says it
                raise ValueError("Sample weights must contain at least one non-zero number.")
        if np.any(sample_weight_val < 0):
            raise ValueError("Negative values in data passed to `sample_weight_val`.")
    if not est.early_stopping:
        raise ValueError(
            "X_val and y_val are passed to fit while at the same time early_stopping "
            "is False. When passing X_val and y_val to fit, early_stopping should be "
            "set to True."
        )
    if est.solver == "lbfgs":
        raise ValueError(
            "X_val and y_val are passed to fit while at the same time solver='lbfgs', "
            "which does not stop early. When passing X_val and y_val to fit, use a "
            "stochastic solver (such as 'adam') with early_stopping=True."
        )
    Y_val = np.ascontiguousarray(Y_val, dtype=dtype).reshape(X_val.shape[0], -1)
    return _Validation(X_val, y_val, Y_val, sample_weight_val)
