"""Per-sample attributions of a network's output to its input features.

:func:`input_gradients` gives the gradient of one output (a class's
probability, or a regression target) with respect to each input feature, and
:func:`integrated_gradients` the integrated gradients of Sundararajan et al.
(2017): for a sample ``x`` and a baseline ``x'``, feature ``i`` receives
``(x_i - x'_i)`` times the average of that gradient along the straight path
from ``x'`` to ``x``, so that the attributions of a sample add up to
``f(x) - f(x')`` (completeness). Both run the compiled backward pass of the
network in blocks of rows (:mod:`skmlp._engine.attribution`).

Either function takes a fitted :class:`~skmlp.MLPClassifier` or
:class:`~skmlp.MLPRegressor`, or a :class:`~sklearn.pipeline.Pipeline` whose
last step is one and whose other steps scale each feature by a constant
(:class:`~sklearn.preprocessing.StandardScaler`,
:class:`~sklearn.preprocessing.MinMaxScaler`,
:class:`~sklearn.preprocessing.MaxAbsScaler`,
:class:`~sklearn.preprocessing.RobustScaler`): the attributions are then in
the units of the pipeline's input. Gradients are divided by each feature's
scale (the chain rule); integrated gradients are the same in either unit.
"""

import warnings

import numpy as np
from scipy.special import expit
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ._base import BaseMultilayerPerceptron
from ._engine.activations import LEAKY_SLOPE
from ._engine.batch_norm import EPSILON

__all__ = ["input_gradients", "integrated_gradients"]

#: Largest number of path points whose gradients are computed at once.
_MAX_POINTS = 65536
#: The hidden activations that are linear between kinks (their slope per unit).
_PIECEWISE_LINEAR = {"identity": (1.0, 1.0), "relu": (1.0, 0.0), "leaky_relu": (1.0, LEAKY_SLOPE)}
#: Most linear pieces followed along one path before giving up on exactness.
_MAX_PIECES = 100_000


def _scale_of(step, n_features):
    """``d step(x) / d x`` per feature of a fitted per-feature scaler, or None."""
    ones = np.ones(n_features)
    if isinstance(step, StandardScaler):
        return ones if step.scale_ is None else 1.0 / step.scale_
    if isinstance(step, MinMaxScaler):
        return np.asarray(step.scale_, dtype=np.float64)
    if isinstance(step, MaxAbsScaler):
        return 1.0 / step.scale_
    if isinstance(step, RobustScaler):
        return ones if step.scale_ is None else 1.0 / step.scale_
    return None


def _unwrap(estimator):
    """``(network, transforms, scale)``: the skmlp estimator, the steps before it,
    and the derivative of those steps per feature (1 without a pipeline)."""
    if isinstance(estimator, Pipeline):
        network = estimator.steps[-1][1]
        transforms = [step for _, step in estimator.steps[:-1] if step not in (None, "passthrough")]
    else:
        network, transforms = estimator, []
    if not isinstance(network, BaseMultilayerPerceptron):
        raise TypeError(
            "estimator must be a fitted skmlp MLPClassifier or MLPRegressor, or a Pipeline "
            "ending with one; got %s." % type(network).__name__
        )
    check_is_fitted(network)
    scale = np.ones(network.n_features_in_)
    for step in transforms:
        factor = _scale_of(step, scale.shape[0])
        if factor is None:
            raise ValueError(
                "The attributions go back through a Pipeline's scalers (StandardScaler, "
                "MinMaxScaler, MaxAbsScaler, RobustScaler) only; %s is not one. Pass the "
                "network itself and the transformed X instead (the attributions are then "
                "in the units of the transformed features)." % type(step).__name__
            )
        scale = scale * factor
    return network, transforms, scale


def _transform(transforms, X):
    for step in transforms:
        X = step.transform(X)
    return X


def _outputs(network, target, n_samples, X):
    """``[(output, sign, rows)]``: which output column each sample's attribution is of."""
    n_outputs = network.coefs_[-1].shape[1]
    if is_classifier(network):
        classes = network.classes_
        multilabel = network._label_binarizer.y_type_ == "multilabel-indicator"
        if target is None:
            if multilabel:
                raise ValueError(
                    "target is required for a multilabel classifier: the index of the label."
                )
            labels = network.predict(X)
        else:
            labels = np.broadcast_to(np.asarray(target, dtype=object), (n_samples,))
        result = {}
        for row, label in enumerate(labels):
            if multilabel:
                if not (isinstance(label, (int, np.integer)) and 0 <= label < n_outputs):
                    raise ValueError(
                        "target must be a label index in [0, %d), got %r." % (n_outputs, label)
                    )
                key = (int(label), 1.0)
            else:
                where = np.flatnonzero(classes == label)
                if where.size == 0:
                    raise ValueError(
                        "target %r is not one of the classes %s." % (label, list(classes))
                    )
                position = int(where[0])
                if n_outputs == 1:  # binary: one output, the second class's probability
                    key = (0, 1.0 if position == 1 else -1.0)
                else:
                    key = (position, 1.0)
            result.setdefault(key, []).append(row)
        return [(k, sign, np.asarray(rows)) for (k, sign), rows in result.items()]
    if target is None:
        if n_outputs > 1:
            raise ValueError(
                "target is required for a regressor with %d outputs: the index of the "
                "output to attribute (a column of predict(X).reshape(len(X), -1), a quantile "
                "of a model of several)." % n_outputs
            )
        target = 0
    target = np.broadcast_to(np.asarray(target), (n_samples,))
    result = {}
    for row, k in enumerate(target):
        if not (isinstance(k, (int, np.integer)) and 0 <= k < n_outputs):
            raise ValueError("target must be an output index in [0, %d), got %r." % (n_outputs, k))
        result.setdefault(int(k), []).append(row)
    return [(k, 1.0, np.asarray(rows)) for k, rows in result.items()]


def _quantiles(network):
    """The quantiles of a regressor that predicts several per target, else None."""
    return None if is_classifier(network) else network._fitted_quantiles()


def _values(network, X, outputs):
    """The attributed output of each row (``sign * outputs[:, k]``, as :func:`_outputs` chose).

    For a model of several quantiles, output ``k`` is column ``k`` of
    ``predict(X).reshape(len(X), -1)``.
    """
    if _quantiles(network) is not None:
        out = network._predict(X, check_input=False).reshape(X.shape[0], -1)
    else:
        out = network._forward_pass_fast(X, check_input=False)
    values = np.empty(X.shape[0], dtype=np.float64)
    for k, sign, rows in outputs:
        values[rows] = sign * out[rows, k] + (1.0 if sign < 0 else 0.0)
    return values


def _gradients(network, X, outputs):
    taus = _quantiles(network)
    G = np.empty(X.shape, dtype=np.float64)
    for k, sign, rows in outputs:
        if taus is None:
            G[rows] = network._input_gradients(X[rows], k, sign)
        else:
            G[rows] = _quantile_gradients(network, X[rows], k, len(taus))
    return G


def _quantile_gradients(network, X, k, n_quantiles):
    """The gradient of predicted quantile ``k`` (flat index: target, then quantile).

    The quantile ``j`` of a target is ``z_0 + softplus(z_1) + ... +
    softplus(z_j)`` of the target's network outputs ``z``
    (``skmlp._engine.losses.monotone_quantiles``): its gradient is the sum
    of theirs, ``z_l``'s weighted by ``sigmoid(z_l)`` for ``l >= 1``.
    """
    target, j = divmod(k, n_quantiles)
    first = target * n_quantiles
    Z = network._forward_pass_fast(X, check_input=False).astype(np.float64)
    G = network._input_gradients(X, first, 1.0).astype(np.float64)
    for column in range(first + 1, first + j + 1):
        slope = expit(Z[:, column])
        G += slope[:, None] * network._input_gradients(X, column, 1.0)
    return G


def _validated(network, transforms, X):
    X = np.asarray(_transform(transforms, X)) if transforms else X
    X = network._validate_predict_input(X)
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.ascontiguousarray(X)


def input_gradients(estimator, X, *, target=None):
    """Gradient of one output with respect to each input feature, per sample.

    Computed by the network's compiled backward pass, in prediction mode
    (batch normalisation with its running statistics, no dropout).

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or Pipeline
        A fitted skmlp estimator, or a pipeline of per-feature scalers ending
        with one (see the module's description).
    X : array-like of shape (n_samples, n_features)
        The samples, in the units of ``estimator``'s input.
    target : label, int or array-like of shape (n_samples,), default=None
        What is differentiated. For a classifier, the probability of this
        class (a label of ``classes_``; for each sample its own with an
        array; ``None``: each sample's predicted class), or for a multilabel
        classifier of this label index. For a regressor, this output's index
        (``None``: the only output); for a model of several quantiles
        (``loss='quantile'`` with a list), the index of a column of
        ``predict(X).reshape(len(X), -1)``: of the quantile, with one target.

    Returns
    -------
    gradients : ndarray of shape (n_samples, n_features)
        ``d f(x) / d x_i`` for each sample, in the units of the output per
        unit of each input feature, float64.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp import MLPRegressor
    >>> from skmlp.inspection import input_gradients
    >>> X = np.random.RandomState(0).normal(size=(100, 3))
    >>> model = MLPRegressor(activation="tanh", max_iter=50, random_state=0)
    >>> model = model.fit(X, X[:, 0])
    >>> input_gradients(model, X[:2]).shape
    (2, 3)
    """
    network, transforms, scale = _unwrap(estimator)
    Z = _validated(network, transforms, X)
    outputs = _outputs(network, target, Z.shape[0], Z)
    return _gradients(network, Z, outputs) * scale


def integrated_gradients(estimator, X, *, target=None, baseline=None, n_steps=64, rtol=1e-6):
    """Integrated gradients (Sundararajan et al., 2017) of one output, per sample.

    For a sample ``x``, a baseline ``x'`` and the attributed output ``f``,
    feature ``i`` receives ``(x_i - x'_i)`` times the mean of ``d f / d x_i``
    along the straight path from ``x'`` to ``x``, computed with Gauss-Legendre
    quadrature. The attributions of a sample add up to ``f(x) - f(x')``
    (completeness) up to the quadrature's error, which is measured for every
    sample. When every hidden activation is linear between kinks (relu,
    leaky_relu, identity), the path is cut where a hidden unit crosses its
    kink and each linear piece is integrated on its own: the error is that of
    the smooth output activation's quadrature, about ``1e-9`` or less. A
    smooth network (tanh, gelu, silu, ...) reaches ``rtol`` with the default
    steps too. Mixing the two kinds, the error falls only as one over the
    steps; a warning gives the error reached whenever it exceeds ``rtol``.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or Pipeline
        A fitted skmlp estimator, or a pipeline of per-feature scalers ending
        with one (see the module's description).
    X : array-like of shape (n_samples, n_features)
        The samples, in the units of ``estimator``'s input.
    target : label, int or array-like of shape (n_samples,), default=None
        What is attributed, as in :func:`input_gradients`.
    baseline : array-like of shape (n_features,) or (n_samples, n_features), \
default=None
        The reference input(s), in the units of ``X``; ``None``: all zeros
        (after a :class:`~sklearn.preprocessing.StandardScaler`, pass its
        ``mean_`` for the average sample).
    n_steps : int, default=64
        Number of points of the quadrature along each path; with relu-like
        activations, each linear piece of the path gets at least 4 and about
        ``n_steps`` times its length.
    rtol : float, default=1e-6
        The completeness error, relative to ``|f(x) - f(x')|`` (or absolute
        below 1), above which a ``UserWarning`` says what was reached.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        - ``attributions``, ndarray of shape (n_samples, n_features): each
          feature's share of ``f(x) - f(x')``;
        - ``difference``, ndarray of shape (n_samples,): ``f(x) - f(x')``;
        - ``error``, ndarray of shape (n_samples,): ``|sum of the attributions
          - difference|`` divided by ``max(1, |difference|)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp import MLPRegressor
    >>> from skmlp.inspection import integrated_gradients
    >>> X = np.random.RandomState(0).normal(size=(100, 3))
    >>> model = MLPRegressor(activation="tanh", max_iter=50, random_state=0)
    >>> result = integrated_gradients(model.fit(X, X[:, 0]), X[:5])
    >>> bool(np.all(result.error < 1e-6))
    True
    """
    if not (isinstance(n_steps, (int, np.integer)) and n_steps >= 1):
        raise ValueError("n_steps must be a positive integer, got %r." % (n_steps,))
    network, transforms, _ = _unwrap(estimator)
    Z = _validated(network, transforms, X)
    n, d = Z.shape
    if baseline is None:
        B = _validated(network, transforms, np.zeros((1, d)))
    else:
        B = np.atleast_2d(np.asarray(baseline, dtype=np.float64))
        if B.shape[1] != d or B.shape[0] not in (1, n):
            raise ValueError(
                "baseline must have shape (%d,) or (%d, %d), got %s." % (d, n, d, B.shape)
            )
        B = _validated(network, transforms, B)
    B = np.broadcast_to(B, (n, d)).astype(np.float64)
    outputs = _outputs(network, target, n, Z)
    slopes = _hidden_slopes(network)
    if slopes is None:  # smooth: the same nodes on every path
        nodes = [_legendre(int(n_steps))] * n
    else:  # linear between kinks: each linear piece integrated on its own
        kinks = _kinks(_affine_layers(network), slopes, Z.astype(np.float64), B)
        nodes = [_piecewise_nodes(k, int(n_steps)) for k in kinks]
    attributions = np.empty((n, d))
    start = 0
    while start < n:
        stop, count = start, 0
        while stop < n and (stop == start or count + len(nodes[stop][0]) <= _MAX_POINTS):
            count += len(nodes[stop][0])
            stop += 1
        rows = np.arange(start, stop)
        owner = np.concatenate([np.full(len(nodes[r][0]), r - start) for r in rows])
        alphas = np.concatenate([nodes[r][0] for r in rows])
        weights = np.concatenate([nodes[r][1] for r in rows])
        x, b = Z[start:stop], B[start:stop]
        points = b[owner] + alphas[:, None] * (x - b)[owner]
        point_outputs = [
            (k, sign, np.flatnonzero(np.isin(owner, local)))
            for k, sign, local in _local(outputs, start, stop - start)
        ]
        G = _gradients(network, points.astype(Z.dtype), point_outputs)
        summed = np.zeros((stop - start, d))
        np.add.at(summed, owner, weights[:, None] * G)
        attributions[start:stop] = (x - b) * summed
        start = stop
    difference = _values(network, Z, outputs) - _values(network, B, outputs)
    error = np.abs(attributions.sum(axis=1) - difference) / np.maximum(1.0, np.abs(difference))
    if error.size and error.max() > rtol:
        warnings.warn(
            "The integrated gradients add up to f(x) - f(baseline) within a relative "
            "error of %.2g (largest over the samples), above rtol=%g: raise n_steps "
            "(now %d; with relu-like and smooth activations mixed, the error falls as "
            "1 / n_steps)." % (error.max(), rtol, n_steps),
            UserWarning,
            stacklevel=2,
        )
    return Bunch(attributions=attributions, difference=difference, error=error)


def _hidden_slopes(network):
    """``[(slope above 0, slope below 0)]`` per hidden layer when every hidden
    activation is linear between kinks (relu, leaky_relu, identity), else None."""
    n_hidden = len(network.coefs_) - 1
    names = network._hidden_activations(n_hidden)
    if not all(isinstance(name, str) and name in _PIECEWISE_LINEAR for name in names):
        return None
    return [_PIECEWISE_LINEAR[name] for name in names]


def _affine_layers(network):
    """``(W, b)`` of each hidden layer in float64, batch normalisation (prediction) folded in."""
    layers = []
    for i in range(len(network.coefs_) - 1):
        W = np.asarray(network.coefs_[i], dtype=np.float64)
        b = np.asarray(network.intercepts_[i], dtype=np.float64)
        if getattr(network, "_batch_normalized", False):
            factor = np.asarray(network.batch_norm_scales_[i], dtype=np.float64) / np.sqrt(
                np.asarray(network.batch_norm_vars_[i], dtype=np.float64) + EPSILON
            )
            b = b - np.asarray(network.batch_norm_means_[i], dtype=np.float64) * factor
            W = W * factor
        layers.append((W, b))
    return layers


def _kinks(layers, slopes, x, b):
    """The points ``alpha`` in (0, 1) where the path ``b + alpha (x - b)`` crosses a
    kink of a hidden unit, for each row: a list of sorted arrays.

    Between two kinks every hidden unit is affine in ``alpha``; from a point,
    one forward pass of the point and of the path's direction gives each
    unit's value and rate, hence where the first of them changes sign.
    """
    n = x.shape[0]
    direction = x - b
    alpha = np.zeros(n)
    found = [[] for _ in range(n)]
    active = np.arange(n)
    for _ in range(_MAX_PIECES):
        if active.size == 0:
            return found
        a = alpha[active]
        A = b[active] + a[:, None] * direction[active]
        V = direction[active]
        step = np.full(active.size, np.inf)
        for (W, c), (up, down) in zip(layers, slopes):
            Z = A @ W + c
            dZ = V @ W
            if up != down:
                # The next sign change of each unit, if it is ahead on the path.
                with np.errstate(divide="ignore", invalid="ignore"):
                    t = np.where(Z * dZ < 0, -Z / dZ, np.inf)
                step = np.minimum(step, t.min(axis=1, initial=np.inf))
                # The pattern just ahead of the point: a unit at 0 takes the
                # side its rate moves it to.
                positive = (Z > 0) | ((Z == 0) & (dZ > 0))
                s = np.where(positive, up, down)
            else:
                s = up
            A, V = s * Z, s * dZ
        nxt = a + step
        for row, value in zip(active, nxt):
            if value < 1.0:
                found[row].append(value)
        alpha[active] = np.where(nxt < 1.0, nxt * (1 + 1e-12) + 1e-15, 1.0)
        active = active[alpha[active] < 1.0]
    raise RuntimeError("more than %d linear pieces along a path" % _MAX_PIECES)


def _piecewise_nodes(kinks, n_steps):
    """Gauss-Legendre nodes and weights on [0, 1] for one path: each linear piece
    gets at least 4 points, and about ``n_steps`` times its length."""
    edges = np.concatenate([[0.0], np.asarray(kinks, dtype=np.float64), [1.0]])
    alphas, weights = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi <= lo:
            continue
        count = max(4, int(np.ceil(n_steps * (hi - lo))))
        nodes, w = _legendre(count)
        alphas.append(lo + (hi - lo) * nodes)
        weights.append((hi - lo) * w)
    return np.concatenate(alphas), np.concatenate(weights)


_LEGENDRE = {}


def _legendre(count):
    """Gauss-Legendre nodes and weights on [0, 1]."""
    found = _LEGENDRE.get(count)
    if found is None:
        nodes, weights = np.polynomial.legendre.leggauss(count)
        found = _LEGENDRE[count] = ((nodes + 1.0) / 2.0, weights / 2.0)
    return found


def _local(outputs, start, m):
    """``outputs`` restricted to rows ``start .. start + m - 1``, renumbered from 0."""
    for k, sign, rows in outputs:
        local = rows[(rows >= start) & (rows < start + m)] - start
        if local.size:
            yield k, sign, local
