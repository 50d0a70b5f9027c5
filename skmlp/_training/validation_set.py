"""The early-stopping validation set: split off the training data, or given to ``fit``.

With ``early_stopping=True`` a stochastic solver scores a validation set
after every epoch. By default it is :func:`split_validation_set`:
``validation_fraction`` of the training data, set aside as scikit-learn does
(stratified for binary targets, and for multiclass ones with
``stratify_multiclass=True``).

A set given to ``fit`` (``X_val``, ``y_val``, ``sample_weight_val``) replaces
the split, with ``HistGradientBoosting*``'s convention (scikit-learn >= 1.7):
the validation scores and losses are computed on it, with its weights.
Passing one without early stopping (or with ``solver='lbfgs'``, which does
not stop early) is an error, as it is for ``HistGradientBoosting*`` with
``early_stopping=False``. :func:`given_validation_set` checks it like the
training data, against what ``fit`` learned from it: the number of features
and their names, finite values, known classes, the number of outputs.
``class_weight`` is not applied to ``sample_weight_val`` (as in
``HistGradientBoostingClassifier``).

Either way the trainer receives a :class:`ValidationSet`.
"""

import contextlib

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import _check_sample_weight, validate_data


class ValidationSet:
    """The early-stopping validation set: ``X``, the targets ``y`` as given (for
    scorers), as encoded ``Y`` (2-D, for the loss), and ``sample_weight``."""

    __slots__ = ("X", "y", "Y", "sample_weight")

    def __init__(self, X, y, Y, sample_weight):
        self.X, self.y, self.Y, self.sample_weight = X, y, Y, sample_weight


def split_validation_set(
    X, y, sample_weight, *, fraction, random_state, binarizer=None, stratify_multiclass=False
):
    """Set ``fraction`` of the rows aside: ``(X, y, sample_weight, rows)`` to train on, and the set.

    ``y`` is the encoded targets, 2-D (the classifier's binarised labels);
    ``binarizer`` is the classifier's fitted ``LabelBinarizer`` (None for a
    regressor), which tells the target's type and recovers the labels as
    given. ``rows`` are the training rows' numbers in ``X``.
    """
    # scikit-learn stratifies binary targets only (its test n_outputs_ ==
    # 1 misses multiclass targets, one column per class, although both
    # projects document a stratified split); stratify_multiclass=True
    # stratifies those too. Never multilabel. On the user's labels, so
    # that the split's errors name them as given; classes_ is sorted, so
    # the split is the one of the codes.
    stratify = None
    y_type = None if binarizer is None else binarizer.y_type_
    if y_type == "binary":
        stratify = binarizer.classes_.take(y[:, 0].astype(np.intp))
    elif y_type == "multiclass" and stratify_multiclass:
        stratify = binarizer.classes_.take(y.argmax(axis=1))
    # The rows' numbers ride along (the split is the same): callbacks
    # see the training rows of the data as given.
    X_train, X_val, y_train, y_val, sw_train, sw_val, rows, _ = train_test_split(
        X,
        y,
        sample_weight,
        np.arange(X.shape[0]),
        random_state=random_state,
        test_size=fraction,
        stratify=stratify,
    )
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    if not np.any(sw_val > 0):
        # No score can be computed on it (scikit-learn's metrics raise, or
        # divide by zero before 1.7).
        raise ValueError(
            "The validation set split off for early stopping has only samples "
            "of zero weight. Increase 'validation_fraction', or pass X_val and "
            "y_val to fit."
        )
    Y_val = np.ascontiguousarray(y_val)
    single = y.shape[1] == 1
    if binarizer is not None:
        y_val = binarizer.inverse_transform(y_val.ravel() if single else y_val)
    elif single:
        y_val = y_val.ravel()
    return X_train, y_train, sw_train, rows, ValidationSet(X_val, y_val, Y_val, sw_val)


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
    # The errors of the targets' checks name y_val.
    if is_classifier(est):
        y_val, Y_val = _given_labels(y_val, est._label_binarizer)
    else:
        y_val, Y_val = _given_values(y_val, est.n_outputs_, est.loss == "poisson")
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
    return ValidationSet(X_val, y_val, Y_val, sample_weight_val)


def _given_labels(y_val, binarizer):
    """A classifier's ``y_val`` checked like y: as given (for scorers) and binarised (for the loss).

    ``binarizer`` is the ``LabelBinarizer`` fitted on y.
    """
    y_val = check_array(y_val, ensure_2d=False, dtype=None, input_name="y_val")
    if y_val.ndim == 2 and y_val.shape[1] == 1:
        y_val = column_or_1d(y_val, warn=True)
    classes = binarizer.classes_
    multilabel = binarizer.y_type_ == "multilabel-indicator"
    if multilabel and (y_val.ndim != 2 or y_val.shape[1] != len(classes)):
        raise ValueError(
            "y_val must be a multilabel indicator matrix with %d columns, as y "
            "was; got shape %s." % (len(classes), y_val.shape)
        )
    if not multilabel and y_val.ndim != 1:
        raise ValueError(
            "y_val must be one label per sample, as y was; got shape %s." % (y_val.shape,)
        )
    labels = unique_labels(y_val)
    unseen = labels[~np.isin(labels, classes)]
    if unseen.size:
        raise ValueError("y_val contains previously unseen labels: %s" % unseen.tolist())
    return y_val, binarizer.transform(y_val)


def _given_values(y_val, n_outputs, poisson):
    """A regressor's ``y_val`` checked like y: as given (for scorers) and 2-D (for the loss).

    ``n_outputs`` is the number of outputs of y; ``poisson`` refuses negative values.
    """
    y_val = check_array(y_val, ensure_2d=False, dtype="numeric", input_name="y_val")
    if y_val.ndim == 2 and y_val.shape[1] == 1:
        y_val = column_or_1d(y_val, warn=True)
    n_val_outputs = 1 if y_val.ndim == 1 else y_val.shape[1]
    if y_val.ndim > 2 or n_val_outputs != n_outputs:
        raise ValueError("y_val has %d output(s), but y has %d." % (n_val_outputs, n_outputs))
    if poisson and np.any(y_val < 0):
        raise ValueError(
            "Some value(s) of y_val are negative which is not allowed for loss='poisson'."
        )
    return y_val, y_val.reshape(y_val.shape[0], -1)
