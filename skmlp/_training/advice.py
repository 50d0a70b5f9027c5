"""Advice appended to a ``ConvergenceWarning``: what to change, when the fit shows it.

The two most common reasons an MLP does not converge are inputs far from unit
scale and a learning rate too large for the problem. When a fit ends with a
``ConvergenceWarning`` (scikit-learn's class and first sentence, unchanged),
:func:`advice` looks at what the fit saw and appends a sentence for each
condition that holds, and nothing otherwise:

- a feature far from unit scale: the root mean square of some column of ``X``
  is above :data:`FAR` (pixel intensities, prices, years): standardise the
  features;
- a regression target far from unit scale: the root mean square of some
  target column is above :data:`FAR` or, for a target that is not constant,
  below ``1 / FAR``: standardise the target;
- a loss that oscillates: over the last :data:`WINDOW` epochs, the training
  loss rose by more than :data:`RISE` (relative) in at least
  :data:`MIN_RISES` of them, and its rises add up to at least
  :data:`GIVE_BACK` of its falls (it gives back what it gains, rather than
  converging with some noise): lower ``learning_rate_init``.

Nothing is measured unless a warning is about to be issued, so a fit that
converges pays nothing; the measures are one pass over ``X`` and ``y``.
"""

import numpy as np
import scipy.sparse as sp

#: A root mean square beyond this (or, for a regression target, below its
#: inverse) is "far from unit scale".
FAR = 10.0
#: The last epochs the oscillation test looks at.
WINDOW = 10
#: A rise of the training loss by more than this fraction counts.
RISE = 0.01
#: Rises among the last ``WINDOW`` epochs that make the loss "oscillating".
MIN_RISES = 3
#: ... when the rises also add up to this fraction of the falls.
GIVE_BACK = 0.5


def column_rms(X):
    """The root mean square of each column of ``X`` (dense or sparse), in float64."""
    n = X.shape[0]
    if n == 0:
        return np.zeros(X.shape[1])
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        sums = np.bincount(
            X.indices, weights=np.square(X.data, dtype=np.float64), minlength=X.shape[1]
        )
    else:
        X = np.asarray(X)
        X = X.reshape(n, -1)
        sums = np.einsum("ij,ij->j", X, X, dtype=np.float64)
    return np.sqrt(sums / n)


def feature_advice(X):
    """The advice on features far from unit scale, or ``""``."""
    rms = column_rms(X)
    if rms.size == 0 or not rms.max() > FAR:
        return ""
    worst = int(np.argmax(rms))
    far = int(np.count_nonzero(rms > FAR))
    return (
        "%d of the %d features are far from unit scale (root mean square up to %.3g, "
        "feature %d), which slows training down or stops it: standardise them, for "
        "example with make_pipeline(StandardScaler(), estimator)."
        % (far, rms.size, rms[worst], worst)
    )


def target_advice(y):
    """The advice on a regression target far from unit scale, or ``""``."""
    y = np.asarray(y, dtype=np.float64)
    y = y.reshape(y.shape[0], -1)
    rms = column_rms(y)
    if rms.size == 0:
        return ""
    varying = np.ptp(y, axis=0) > 0 if y.shape[0] else np.zeros(rms.size, dtype=bool)
    large = rms > FAR
    small = varying & (rms < 1.0 / FAR)
    if not (large.any() or small.any()):
        return ""
    worst = float(rms[large].max()) if large.any() else float(rms[small].min())
    return (
        "The target is far from unit scale (root mean square %.3g), which the "
        "network's weights must reach from their small initial values: standardise "
        "it, for example with TransformedTargetRegressor(regressor=estimator, "
        "transformer=StandardScaler())." % worst
    )


def oscillation(loss_curve):
    """``(rises, oscillating)`` over the last ``WINDOW`` epochs of ``loss_curve``.

    ``rises``: the epochs that raised the training loss by more than ``RISE``;
    ``oscillating``: at least ``MIN_RISES`` of them, and all the rises adding
    up to at least ``GIVE_BACK`` of all the falls.
    """
    losses = np.asarray(loss_curve[-(WINDOW + 1) :], dtype=np.float64)
    if losses.size < 2:
        return 0, False
    before, change = losses[:-1], np.diff(losses)
    count = int(np.count_nonzero(change > RISE * np.abs(before)))
    up, down = change[change > 0].sum(), -change[change < 0].sum()
    return count, bool(count >= MIN_RISES and up >= GIVE_BACK * down)


def learning_rate_advice(loss_curve, learning_rate_init):
    """The advice on an oscillating training loss, or ``""``."""
    count, oscillating = oscillation(loss_curve)
    if not oscillating:
        return ""
    window = min(WINDOW, len(loss_curve) - 1)
    return (
        "The training loss oscillated (it rose in %d of the last %d epochs): "
        "learning_rate_init=%g is probably too large; try %g."
        % (count, window, learning_rate_init, learning_rate_init / 10)
    )


def advice(X, y=None, loss_curve=None, learning_rate_init=None):
    """The advice that applies to a fit that did not converge: ``""`` or a leading space
    and one sentence per condition that holds.

    ``y``: the target of a regressor (None for a classifier, whose target has
    no scale); ``loss_curve`` and ``learning_rate_init``: those of a
    stochastic solver (None for L-BFGS).
    """
    parts = [feature_advice(X)]
    if y is not None:
        parts.append(target_advice(y))
    if loss_curve is not None and learning_rate_init is not None:
        parts.append(learning_rate_advice(loss_curve, learning_rate_init))
    text = " ".join(part for part in parts if part)
    return " " + text if text else ""
