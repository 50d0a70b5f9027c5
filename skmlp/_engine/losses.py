"""Loss functions: a name -> integer code table and one compiled kernel per loss.

``KERNELS[code]`` is compiled the first time a fit uses that loss; the loss's
code is a constant inside it, so no other loss is compiled in.

The classic losses are paired with their canonical output activation (squared
error with identity, Poisson deviance with exp, log loss with softmax or
logistic), so their gradient with respect to the output pre-activation is
``prediction - target``.  The robust regression losses (absolute error, Huber)
and the pinball loss of quantile regression use the identity output; their
gradient is the clipped (or, for the pinball loss, tilted) sign of the
residual.  Each loss
sums over outputs and averages over samples with the sample weights, except
the squared error, whose value is the mean over outputs (scikit-learn's
``loss_``) while its gradient is the one of the sum (scikit-learn's update):
for one output the two are the same.
"""

import numpy as np

from . import user as _user
from .jit import internal, kernel, like
from .plugs import LOSS, address, c_input, c_output, copy_back, loss_fn

SQUARED_ERROR = 0
POISSON = 1
LOG_LOSS = 2
BINARY_LOG_LOSS = 3
ABSOLUTE_ERROR = 4
HUBER = 5
QUANTILE = 6
QUANTILES = 7

LOSSES = {
    "squared_error": SQUARED_ERROR,
    "poisson": POISSON,
    "log_loss": LOG_LOSS,
    "binary_log_loss": BINARY_LOG_LOSS,
    "absolute_error": ABSOLUTE_ERROR,
    "huber": HUBER,
    "quantile": QUANTILE,
    "quantiles": QUANTILES,
}


def _kernel(CODE):
    """The loss kernel of loss ``CODE``: only that loss is compiled into it."""

    @internal
    def loss_and_delta(P, Y, sw, loss_params, D):
        """Weighted data loss ``sum_i sw_i * sum_j l(Y_ij, P_ij)`` and its gradient ``D``.

        The squared error's value is divided by the number of outputs (the mean
        over outputs, as scikit-learn reports it); its gradient ``D`` is not.

        ``D`` is the gradient with respect to the output pre-activation, times the
        sample weight.  ``param = loss_params[0]`` is the loss's own parameter:
        the probability clip of the log losses, the threshold of the Huber
        loss, the quantile ``q`` of the pinball loss ``q * (y - p)`` for ``y >=
        p`` and ``(1 - q) * (p - y)`` otherwise.  The result is not yet divided
        by the weight sum.  The absolute error and the pinball loss take the
        subgradient 0 where the residual is 0.
        """
        n, m = P.shape
        zero = like(P, 0.0)
        total = 0.0
        per_output = 1.0 / m
        param = loss_params[0]
        for i in range(n):
            w = sw[i]
            row = 0.0
            for j in range(m):
                p = P[i, j]
                y = Y[i, j]
                r = p - y
                if CODE == ABSOLUTE_ERROR:
                    row += abs(r)
                    D[i, j] = w if r > zero else (-w if r < zero else zero)
                elif CODE == QUANTILE:
                    q = like(P, param)
                    if r > zero:  # over-predicted: slope 1 - q
                        row += (1.0 - param) * r
                        D[i, j] = (like(P, 1.0) - q) * w
                    elif r < zero:  # under-predicted: slope -q
                        row -= param * r
                        D[i, j] = -q * w
                    else:
                        D[i, j] = zero
                elif CODE == HUBER:
                    delta = like(P, param)
                    if abs(r) <= delta:
                        row += 0.5 * r * r
                        D[i, j] = r * w
                    else:
                        row += delta * (abs(r) - 0.5 * delta)
                        D[i, j] = (delta if r > zero else -delta) * w
                else:
                    D[i, j] = r * w
                    if CODE == SQUARED_ERROR:
                        row += 0.5 * r * r
                    elif CODE == POISSON:
                        row += p - y
                        if y > 0:
                            row += y * (np.log(y) - np.log(p))
                    else:
                        # min(max(p, param), 1 - param), written as the selects
                        # Python's min and max are (those compile functions of their own).
                        q = param if param > p else p
                        q = 1.0 - param if 1.0 - param < q else q
                        if CODE == LOG_LOSS:
                            if y != 0:
                                row -= y * np.log(q)
                        else:
                            if y != 0:
                                row -= y * np.log(q)
                            if y != 1:
                                row -= (1.0 - y) * np.log(1.0 - q)
            if CODE == SQUARED_ERROR:
                row *= per_output
            total += w * row
        return total

    return loss_and_delta


@internal
def _quantiles_loss_and_delta(P, Y, sw, taus, D):
    """The pinball losses of several quantiles of each target, which cannot cross.

    The ``QUANTILES`` kernel (``MLPRegressor(loss='quantile')`` given a list
    of quantiles). The network's outputs come in groups of ``k =
    len(taus)``, one group per target: output ``t * k + j`` is target
    ``t``'s quantile ``taus[j]`` (``taus`` increasing), and ``Y`` holds one
    column per target. A group's pre-activations ``z`` map to quantiles in
    increasing order, ``q_0 = z_0`` and ``q_j = q_(j-1) + softplus(z_j)``
    (:func:`monotone_quantiles` is the same map for predictions). The loss is
    the sum of the pinball losses of the ``q_j`` (see ``_kernel``), and ``D``
    its gradient with respect to ``z``: the sum of ``dL/dq_l`` over ``l >=
    j``, times ``softplus'(z_j) = sigmoid(z_j)`` for ``j >= 1``; times the
    sample weight.
    """
    n, m = P.shape
    k = taus.shape[0]
    total = 0.0
    for i in range(n):
        w = sw[i]
        row = 0.0
        for t in range(m // k):
            y = float(Y[i, t])
            start = t * k
            q = 0.0
            for j in range(k):
                z = float(P[i, start + j])
                q = z if j == 0 else q + _softplus(z)
                tau = taus[j]
                r = q - y
                if r > 0.0:  # over-predicted: slope 1 - tau
                    row += (1.0 - tau) * r
                    D[i, start + j] = like(D, 1.0 - tau)
                elif r < 0.0:  # under-predicted: slope -tau
                    row -= tau * r
                    D[i, start + j] = like(D, -tau)
                else:
                    D[i, start + j] = like(D, 0.0)
            # Back through the cumulative sums: suffix sums of dL/dq.
            after = 0.0
            for j in range(k - 1, -1, -1):
                after += float(D[i, start + j])
                slope = 1.0 if j == 0 else _sigmoid(float(P[i, start + j]))
                D[i, start + j] = like(D, after * slope * w)
        total += w * row
    return total


@internal
def _softplus(z):
    """``log(1 + exp(z))`` without overflow."""
    return z + np.log1p(np.exp(-z)) if z > 0.0 else np.log1p(np.exp(z))


@internal
def _sigmoid(z):
    """``1 / (1 + exp(-z))`` without overflow."""
    if z >= 0.0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


def monotone_quantiles(Z, n_quantiles):
    """The quantiles of the network's outputs ``Z`` under ``QUANTILES``' map, in NumPy.

    ``Z`` of shape ``(n, n_targets * n_quantiles)``; returns ``(n, n_targets,
    n_quantiles)`` of ``Z``'s dtype, increasing along the last axis.
    """
    Q = Z.reshape(Z.shape[0], -1, n_quantiles).copy()
    Q[..., 1:] = np.logaddexp(0.0, Q[..., 1:])
    return np.cumsum(Q, axis=-1, out=Q)


#: ``code -> loss kernel``, each compiled on first use.
KERNELS = {code: _kernel(code) for code in LOSSES.values() if code != QUANTILES}
KERNELS[QUANTILES] = _quantiles_loss_and_delta


def kernel_of(code):
    """The kernel of loss ``code``, user-defined too (:mod:`skmlp._engine.user`)."""
    found = KERNELS.get(code)
    return _user.loss_kernel(code) if found is None else found


@kernel
def _loss_caller(address, P, Y, sw, param, D):
    # Python calls the loss kernels through this (they have no Python wrapper).
    return loss_fn(address, P)(P, Y, sw, param, D)


def loss_and_delta(code, P, Y, sw, param, D):
    """Weighted data loss of loss ``code`` and its gradient ``D`` (see ``_kernel``).

    ``param`` is the loss's parameter, a float or an array of them.
    """
    dtype = P.dtype
    D_ = c_output(D)
    fn = address(kernel_of(int(code)), LOSS, dtype)
    params = np.ascontiguousarray(param, dtype=np.float64).reshape(-1)
    value = _loss_caller(fn, c_input(P, dtype), c_input(Y, dtype), c_input(sw, dtype), params, D_)
    copy_back((D,), (D_,))
    return value
