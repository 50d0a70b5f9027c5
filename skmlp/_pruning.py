"""Pruning: a fitted network without the hidden units that cannot matter.

A hidden unit can be removed without changing the network's function when
nothing it computes reaches the next layer (its outgoing weights are all
zero), or when it computes the same value ``c`` for every input (a relu unit
that never fires, a saturated unit, a unit with no incoming weights): its
contribution ``c * W[j, :]`` to the next layer's pre-activation is then a
constant, folded into the next layer's intercept (or, when that layer is
batch-normalised, subtracted from its running mean, since its intercept is
added after the normalisation). The pruned model is built by gathering the
kept entries of the flat parameter buffer, the running statistics and the
optimizer state with one index array each, so every per-parameter quantity
stays attached to its parameter.
"""

import copy
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from ._base import BaseMultilayerPerceptron
from ._engine.activations import bias_activate
from ._engine.batch_norm import EPSILON, normalize_infer
from ._model.layout import Layout

# Rows of X per block when measuring the hidden activations.
_BLOCK = 4096


@validate_params(
    {
        "estimator": [BaseMultilayerPerceptron],
        "X": ["array-like", "sparse matrix", None],
        "tol": [Interval(Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def prune(estimator, X=None, *, tol=0.0):
    """Return a copy of a fitted network without the hidden units that cannot matter.

    A hidden unit is removed when its outgoing weights are all within
    ``tol`` of zero, or, when ``X`` is given, when its activation varies by
    at most ``tol`` over the rows of ``X`` (for example a relu unit that
    never fires on ``X``). The constant activation ``c`` of such a unit is
    folded into the next layer: ``c`` times its outgoing weights is added to
    the next layer's intercept (subtracted from the next layer's running
    mean when it is batch-normalised). With ``tol=0`` the pruned network
    computes the same function on ``X`` (for units removed for their
    weights: everywhere), up to rounding.

    Every hidden layer keeps at least one unit (the one with the largest
    outgoing weights), so the network keeps its depth, and ``activation``
    and ``dropout`` lists keep fitting it.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        A fitted skmlp network. It is not modified.

    X : {array-like, sparse matrix} of shape (n_samples, n_features), default=None
        Data on which to look for hidden units of constant activation,
        typically the training data. None removes only the units whose
        outgoing weights are within ``tol`` of zero.

    tol : float, default=0.0
        How far from zero the outgoing weights, and how far apart the
        smallest and largest activation on ``X``, may be for a unit to be
        removed. 0 removes only units that cannot change any prediction on
        ``X``; a positive ``tol`` trades exactness for a smaller network (a
        unit removed for its weights drops a contribution of at most ``tol``
        times its activation per output; a near-constant unit is replaced by
        its mid-range value).

    Returns
    -------
    pruned : MLPClassifier or MLPRegressor
        A new fitted estimator of the same class and parameters, except
        ``hidden_layer_sizes``, which is the pruned widths (as are
        ``hidden_layer_sizes_`` and ``coefs_``' shapes). Its attribute
        ``pruned_units_`` (tuple of int, one per hidden layer) counts the
        units this call removed from each hidden layer. It predicts,
        pickles, and continues training with ``warm_start=True`` (a new
        optimizer, as every warm-started fit) or ``partial_fit`` (which
        continues the optimizer: its state, such as Adam's moments, is kept
        for every remaining parameter).

    See Also
    --------
    MLPClassifier : Multi-layer Perceptron classifier.
    MLPRegressor : Multi-layer Perceptron regressor.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from skmlp import MLPClassifier, prune
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(20,), max_iter=500,
    ...                     random_state=0).fit(X, y)
    >>> clf.coefs_[1][:5] = 0.0  # five units whose output goes nowhere
    >>> small = prune(clf, X)
    >>> small.hidden_layer_sizes[0] <= 15, small.pruned_units_[0] >= 5
    (True, True)
    >>> bool(np.allclose(small.predict_proba(X), clf.predict_proba(X)))
    True
    """
    check_is_fitted(estimator)
    params = estimator._sync_params()
    layout = estimator._layout
    units = [int(u) for u in layout.units]
    n_hidden = len(units) - 2
    coefs = estimator.coefs_
    ranges = _hidden_ranges(estimator, X) if X is not None else [None] * n_hidden

    keep, folds = [], []
    for k in range(n_hidden):
        outgoing = np.abs(coefs[k + 1])
        remove = np.all(outgoing <= tol, axis=1)
        constant = np.zeros(units[k + 1], dtype=bool)
        value = np.zeros(units[k + 1])
        if ranges[k] is not None:
            low, high = ranges[k]
            constant = high - low <= tol
            value = 0.5 * (low + high)
            remove |= constant
        if remove.all():  # a layer keeps one unit, the most connected one
            remove[np.argmax(outgoing.sum(axis=1))] = False
        keep.append(np.flatnonzero(~remove))
        folded = remove & constant
        # The constant part of the next layer's pre-activation, in float64.
        folds.append(value[folded] @ coefs[k + 1][folded].astype(np.float64))

    new_units = [units[0], *(len(kept) for kept in keep), units[-1]]
    new_layout = Layout.from_units(new_units, layout.batch_norm)
    index = _parameter_index(layout, new_layout, keep)
    new_params = params[index]
    running_index = _running_index(layout, new_layout, keep)
    new_running = estimator._running[running_index]
    new_coefs, new_intercepts = new_layout.views(new_params)
    new_means, _ = new_layout.statistic_views(new_running)
    for k, shift in enumerate(folds):
        if k + 1 < n_hidden:  # the next layer is hidden: only its kept units
            shift = shift[keep[k + 1]]
        if k + 1 < n_hidden and new_layout.batch_norm:
            new_means[k + 1] -= shift.astype(new_running.dtype)
        else:
            new_intercepts[k + 1] += shift.astype(new_params.dtype)

    pruned = copy.deepcopy(estimator)
    pruned.set_params(hidden_layer_sizes=tuple(new_units[1:-1]))
    pruned._set_parameters(new_params, new_layout)
    pruned._set_running(new_running)
    pruned._best_params = new_params.copy()
    pruned._best_running = new_running.copy()
    pruned.hidden_layer_sizes_ = tuple(new_units[1:-1])
    if getattr(pruned, "_optimizer_state", None) is not None:
        state = pruned._optimizer_state
        if state.shape[-1] == layout.n_params:
            pruned._optimizer_state = np.ascontiguousarray(state[:, index])
    pruned.pruned_units_ = tuple(units[k + 1] - new_units[k + 1] for k in range(n_hidden))
    return pruned


def _parameter_index(layout, new_layout, keep):
    """For each entry of the pruned buffer, its index in the original one."""
    old = np.arange(layout.n_params)
    old_coefs, old_intercepts = layout.views(old)
    index = np.empty(new_layout.n_params, dtype=np.intp)
    new_coefs, new_intercepts = new_layout.views(index)
    n_layers = len(old_coefs)
    for i in range(n_layers):
        rows = keep[i - 1] if i > 0 else slice(None)
        cols = keep[i] if i < n_layers - 1 else slice(None)
        new_coefs[i][...] = old_coefs[i][rows][:, cols]
        new_intercepts[i][...] = old_intercepts[i][cols]
    for new_scale, old_scale, kept in zip(
        new_layout.scale_views(index), layout.scale_views(old), keep
    ):
        new_scale[...] = old_scale[kept]
    return index


def _running_index(layout, new_layout, keep):
    """For each running statistic of the pruned network, its index in the original's."""
    old = np.arange(2 * layout.n_normalized)
    index = np.empty(2 * new_layout.n_normalized, dtype=np.intp)
    old_means, old_vars = layout.statistic_views(old)
    new_means, new_vars = new_layout.statistic_views(index)
    for k, kept in enumerate(keep if layout.batch_norm else []):
        new_means[k][...] = old_means[k][kept]
        new_vars[k][...] = old_vars[k][kept]
    return index


def _hidden_ranges(estimator, X):
    """The smallest and largest activation of every hidden unit over the rows of X.

    The prediction-time forward pass (running batch-norm statistics, no
    dropout), through the same compiled activation kernels, a block of rows
    at a time.
    """
    X = estimator._validate_predict_input(X)
    dtype = estimator._params.dtype
    X = sp.csr_matrix(X, dtype=dtype) if sp.issparse(X) else np.asarray(X, dtype=dtype)
    codes = estimator._codes()[0]
    n_hidden = len(codes)
    scales = getattr(estimator, "batch_norm_scales_", None)
    low = [np.full(w, np.inf) for w in estimator._layout.units[1:-1]]
    high = [np.full(w, -np.inf) for w in estimator._layout.units[1:-1]]
    for start in range(0, X.shape[0], _BLOCK):
        A = X[start : start + _BLOCK]
        for k in range(n_hidden):
            Z = np.ascontiguousarray(A @ estimator.coefs_[k], dtype=dtype)
            if scales is not None:
                mean, var = estimator.batch_norm_means_[k], estimator.batch_norm_vars_[k]
                normalize_infer(Z, scales[k], mean, var, EPSILON)
            bias_activate(codes[k], Z, estimator.intercepts_[k])
            np.minimum(low[k], Z.min(axis=0), out=low[k])
            np.maximum(high[k], Z.max(axis=0), out=high[k])
            A = Z
    return list(zip(low, high))
