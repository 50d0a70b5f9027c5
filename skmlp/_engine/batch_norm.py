"""Batch normalisation of hidden pre-activations: compiled forward and backward.

In training, each hidden layer's ``Z = A_prev @ W`` is normalised per unit
with the statistics of the minibatch, ``N = (Z - mean) / sqrt(var + eps)``,
and the layer's input to its activation is ``scale * N + intercept``: the
layer's intercept is the learned shift (a bias before the normalisation would
cancel out).  The batch statistics are weighted by the sample weights, so a
zero-weight sample does not move them and an integer weight counts like a
repeated row.  Running means and (biased) variances, updated with
``momentum``, replace the batch statistics at prediction time, which makes
prediction deterministic and independent of how rows are grouped.
"""

import numpy as np

from .jit import internal, kernel, like

#: Momentum of the running statistics: ``running = (1 - m) * running + m * batch``.
MOMENTUM = 0.1
#: Added to the variance before the square root.
EPSILON = 1e-5


@kernel(inline="always")
def _weight_sum(sw, zero):
    total = zero
    for r in range(sw.shape[0]):
        total += sw[r]
    return total


@internal
def normalize_train_(Z, sw, scale, mean, inv_std, running_mean, running_var, momentum, eps, out):
    """Normalise ``Z`` in place with its weighted batch statistics; ``out = scale * N``.

    ``mean`` and ``inv_std`` receive the batch mean and ``1 / sqrt(var +
    eps)`` (the backward pass needs them); the running statistics move toward
    the batch ones.
    """
    n, m = Z.shape
    zero = like(Z, 0.0)
    one = like(Z, 1.0)
    total = _weight_sum(sw, zero)
    mean[:] = zero
    for r in range(n):
        w = sw[r]
        for j in range(m):
            mean[j] += w * Z[r, j]
    for j in range(m):
        mean[j] /= total
    var = inv_std  # accumulate the variance in place
    var[:] = zero
    for r in range(n):
        w = sw[r]
        for j in range(m):
            d = Z[r, j] - mean[j]
            var[j] += w * (d * d)
    mom = like(Z, momentum)
    keep = one - mom
    eps_ = like(Z, eps)
    for j in range(m):
        v = var[j] / total
        running_mean[j] = keep * running_mean[j] + mom * mean[j]
        running_var[j] = keep * running_var[j] + mom * v
        inv_std[j] = one / np.sqrt(v + eps_)
    for r in range(n):
        for j in range(m):
            N = (Z[r, j] - mean[j]) * inv_std[j]
            Z[r, j] = N
            out[r, j] = scale[j] * N


@internal
def normalize_infer_(Z, scale, running_mean, running_var, eps):
    """In place ``Z = scale * (Z - running_mean) / sqrt(running_var + eps)``."""
    n, m = Z.shape
    factor = np.empty(m, dtype=Z.dtype)
    eps_ = like(Z, eps)
    for j in range(m):
        factor[j] = scale[j] / np.sqrt(running_var[j] + eps_)
    for r in range(n):
        for j in range(m):
            Z[r, j] = (Z[r, j] - running_mean[j]) * factor[j]


@internal
def normalize_backward_(D, N, sw, scale, inv_std, shift_grad, scale_grad):
    """Back through the normalisation, in place: ``D`` from d/d(input of f) to d/dZ.

    ``D`` holds the gradient with respect to ``scale * N + intercept``;
    ``shift_grad`` is its column sums (the intercept gradient, already
    computed).  Writes the scale gradient ``sum_r D * N`` into ``scale_grad``.
    With weights ``w_r`` summing to ``T`` and ``g = scale * D``::

        dL/dZ_r = inv_std * (g_r - w_r / T * (sum(g) + N_r * sum(g * N)))
    """
    n, m = D.shape
    zero = like(D, 0.0)
    total = _weight_sum(sw, zero)
    scale_grad[:] = zero
    for r in range(n):
        for j in range(m):
            scale_grad[j] += D[r, j] * N[r, j]
    for r in range(n):
        share = sw[r] / total
        for j in range(m):
            g = scale[j] * D[r, j]
            D[r, j] = inv_std[j] * (
                g - share * (scale[j] * shift_grad[j] + N[r, j] * (scale[j] * scale_grad[j]))
            )


# The same kernels called from Python (the tests, pruning). A fit calls the
# ones above from the plugged kernels of :mod:`skmlp._engine.network`, with no
# Python wrapper compiled for them.


@kernel
def normalize_train(Z, sw, scale, mean, inv_std, running_mean, running_var, momentum, eps, out):
    """:func:`normalize_train_`, callable from Python."""
    normalize_train_(Z, sw, scale, mean, inv_std, running_mean, running_var, momentum, eps, out)


@kernel
def normalize_infer(Z, scale, running_mean, running_var, eps):
    """:func:`normalize_infer_`, callable from Python."""
    normalize_infer_(Z, scale, running_mean, running_var, eps)


@kernel
def normalize_backward(D, N, sw, scale, inv_std, shift_grad, scale_grad):
    """:func:`normalize_backward_`, callable from Python."""
    normalize_backward_(D, N, sw, scale, inv_std, shift_grad, scale_grad)
