"""Activation functions: a name -> integer code table and compiled kernels.

Kernels switch on the integer code so one compiled function serves every
activation; adding an activation is one branch in each kernel and one entry
in the table.

Backward pass.  The derivative of identity, logistic, tanh, relu and
leaky_relu is a function of the output ``A = f(z)`` alone
(``multiply_derivative``), so training with them stores only activations.
The derivatives of elu, selu, gelu, silu and softplus are computed from the
pre-activation ``z`` (``multiply_derivative_pre``): for some of them the
output does not determine ``f'(z)`` (gelu, silu), for the others it does only
with a loss of precision (``exp(z) = A + 1`` for elu when ``z << 0``).  For
those codes (``needs_preactivation``) the forward pass also keeps ``z``
(``bias_activate_keep``).

Every kernel is finite for finite input whatever its size (no ``exp`` of a
large positive number) and takes the limit at +-inf where it exists.
"""

import math

import numpy as np

from ._jit import kernel, like

IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
EXP = 4
SOFTMAX = 5
LEAKY_RELU = 6
ELU = 7
SELU = 8
GELU = 9
SILU = 10
SOFTPLUS = 11

#: Activations allowed for hidden layers.
HIDDEN_ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "silu": SILU,
    "softplus": SOFTPLUS,
}

#: Output activations, chosen from the task and loss (``out_activation_``).
OUTPUT_ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "exp": EXP,
    "softmax": SOFTMAX,
}

#: Slope of leaky_relu for negative input.
LEAKY_SLOPE = 0.01
#: SELU's constants (Klambauer et al., 2017); elu uses alpha = 1.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT1_2 = 0.70710678118654752440084436210485  # 1 / sqrt(2)
_INV_SQRT_2PI = 0.39894228040143267793994605993438  # 1 / sqrt(2 pi)

#: Hidden activations whose backward pass needs the pre-activation.
PREACTIVATION_CODES = frozenset({ELU, SELU, GELU, SILU, SOFTPLUS})


@kernel(inline="always")
def needs_preactivation(code):
    """Whether the backward pass of hidden activation ``code`` needs ``z``."""
    return code == ELU or code == SELU or code == GELU or code == SILU or code == SOFTPLUS


@kernel(inline="always")
def _softmax_limit(z, zmax):
    """Softmax of a row whose largest logit is infinite: its limit, not NaN.

    All mass goes to the +inf entries; a row of -inf is uniform.
    """
    count = 0
    for j in range(z.shape[0]):
        if z[j] == zmax:
            count += 1
    for j in range(z.shape[0]):
        z[j] = 1.0 / count if z[j] == zmax else 0.0


@kernel
def bias_activate(code, Z, b):
    """In place ``Z = f(Z + b)`` for the activation ``code``; rows of Z are samples."""
    n, m = Z.shape
    zero = like(Z, 0.0)
    one = like(Z, 1.0)
    if code == SOFTMAX:
        for i in range(n):
            zmax = Z[i, 0] + b[0]
            for j in range(m):
                Z[i, j] += b[j]
                zmax = max(zmax, Z[i, j])
            if np.isinf(zmax):
                _softmax_limit(Z[i], zmax)
                continue
            s = zero
            for j in range(m):
                Z[i, j] = np.exp(Z[i, j] - zmax)
                s += Z[i, j]
            for j in range(m):
                Z[i, j] /= s
    elif code == IDENTITY:
        for i in range(n):
            for j in range(m):
                Z[i, j] += b[j]
    elif code == RELU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = z if z > zero else zero
    elif code == TANH:
        for i in range(n):
            for j in range(m):
                Z[i, j] = np.tanh(Z[i, j] + b[j])
    elif code == LOGISTIC:
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                # Two branches so that exp never overflows.
                if z >= zero:
                    Z[i, j] = one / (one + np.exp(-z))
                else:
                    e = np.exp(z)
                    Z[i, j] = e / (one + e)
    elif code == EXP:
        for i in range(n):
            for j in range(m):
                Z[i, j] = np.exp(Z[i, j] + b[j])
    elif code == LEAKY_RELU:
        slope = like(Z, LEAKY_SLOPE)
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = z if z > zero else slope * z
    elif needs_preactivation(code):
        # The pre-activation is not kept: A is Z itself.
        bias_activate_keep(code, Z, b, Z)


@kernel
def bias_activate_keep(code, Z, b, A):
    """``Z += b`` and ``A = f(Z)``: keeps the pre-activation ``Z`` for the backward pass.

    For the codes of ``needs_preactivation``.  ``A`` may be ``Z`` (then the
    pre-activation is overwritten, as in ``bias_activate``).
    """
    n, m = Z.shape
    zero = like(Z, 0.0)
    half = like(Z, 0.5)
    one = like(Z, 1.0)
    if code == ELU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = z
                A[i, j] = z if z > zero else math.expm1(z)
    elif code == SELU:
        scale = like(Z, SELU_SCALE)
        scale_alpha = like(Z, SELU_SCALE * SELU_ALPHA)
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = z
                A[i, j] = scale * z if z > zero else scale_alpha * math.expm1(z)
    elif code == GELU:
        # z * Phi(z) with Phi(z) = erfc(-z / sqrt(2)) / 2, which unlike
        # (1 + erf(z / sqrt(2))) / 2 keeps full relative precision for z << 0.
        sqrt1_2 = like(Z, _SQRT1_2)
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = z
                cdf = half * math.erfc(-z * sqrt1_2)
                # cdf == 0 only far below zero, where the limit is 0 (z = -inf).
                A[i, j] = z * cdf if cdf > zero else zero
    elif code == SILU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = z
                # One exp of -|z| (never overflows) and no branch around it.
                e = np.exp(-abs(z))
                r = one / (one + e)
                s = r if z >= zero else e * r  # logistic(z)
                # s == 0 only far below zero, where the limit is 0 (z = -inf).
                A[i, j] = z * s if s > zero else zero
    elif code == SOFTPLUS:
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = z
                # log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)).
                A[i, j] = max(z, zero) + math.log1p(np.exp(-abs(z)))


@kernel
def multiply_derivative(code, A, D, a_scale):
    """In place ``D *= f'(z)``, with f'(z) written in terms of the output ``f(z) = a_scale * A``.

    For the codes not in ``needs_preactivation``.  ``a_scale`` is 1 except
    after dropout, whose kept outputs are ``f(z) / (1 - rate)`` (the dropped
    ones have ``D == 0`` already).  Only tanh and logistic need it: the zero
    and sign tests of relu and leaky_relu do not depend on a positive scale.
    """
    n, m = A.shape
    zero = like(A, 0.0)
    one = like(A, 1.0)
    s = like(A, a_scale)
    if code == RELU:
        for i in range(n):
            for j in range(m):
                if A[i, j] == zero:
                    D[i, j] = zero
    elif code == TANH:
        for i in range(n):
            for j in range(m):
                a = s * A[i, j]
                D[i, j] *= one - a * a
    elif code == LOGISTIC:
        for i in range(n):
            for j in range(m):
                a = s * A[i, j]
                D[i, j] *= a * (one - a)
    elif code == LEAKY_RELU:
        # f(z) has the sign of z (0 for z = 0, whose slope is taken as LEAKY_SLOPE).
        slope = like(A, LEAKY_SLOPE)
        for i in range(n):
            for j in range(m):
                if not A[i, j] > zero:
                    D[i, j] *= slope


@kernel
def multiply_derivative_pre(code, Z, D):
    """In place ``D *= f'(z)`` from the pre-activation ``Z``, for ``needs_preactivation`` codes."""
    n, m = Z.shape
    zero = like(Z, 0.0)
    half = like(Z, 0.5)
    one = like(Z, 1.0)
    if code == ELU:
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                if not z > zero:
                    D[i, j] *= np.exp(z)
    elif code == SELU:
        scale = like(Z, SELU_SCALE)
        scale_alpha = like(Z, SELU_SCALE * SELU_ALPHA)
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                D[i, j] *= scale if z > zero else scale_alpha * np.exp(z)
    elif code == GELU:
        # Phi(z) + z phi(z); z phi(z) -> 0 at +-inf.
        sqrt1_2 = like(Z, _SQRT1_2)
        inv_sqrt_2pi = like(Z, _INV_SQRT_2PI)
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                cdf = half * math.erfc(-z * sqrt1_2)
                pdf = inv_sqrt_2pi * np.exp(-half * z * z)
                D[i, j] *= cdf + z * pdf if pdf > zero else cdf
    elif code == SILU:
        # s + z s (1 - s) with s = logistic(z); with e = exp(-|z|) and
        # r = 1 / (1 + e): s = r and 1 - s = e r for z >= 0, s = e r and
        # 1 - s = r for z < 0.  e == 0 only for |z| so large that f'(z) is
        # 1 (z > 0) or 0 (z < 0) to working precision, its limits at +-inf.
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                e = np.exp(-abs(z))
                r = one / (one + e)
                er = e * r
                pos = z >= zero
                s = r if pos else er
                c = er if pos else r
                if e > zero:
                    D[i, j] *= s + s * (z * c)
                else:
                    D[i, j] *= one if pos else zero
    elif code == SOFTPLUS:
        # The logistic function, from one exp of -|z|.
        for i in range(n):
            for j in range(m):
                z = Z[i, j]
                e = np.exp(-abs(z))
                r = one / (one + e)
                D[i, j] *= r if z >= zero else e * r
