"""Activation functions: a name -> integer code table and compiled kernels.

Kernels switch on the integer code so one compiled function serves every
activation; adding an activation is one branch in each kernel and one entry
in the table.
"""

import numpy as np

from ._jit import kernel, like

IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
EXP = 4
SOFTMAX = 5

#: Activations allowed for hidden layers.
HIDDEN_ACTIVATIONS = {"identity": IDENTITY, "logistic": LOGISTIC, "tanh": TANH, "relu": RELU}

#: Output activations, chosen from the task and loss (``out_activation_``).
OUTPUT_ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "exp": EXP,
    "softmax": SOFTMAX,
}


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


@kernel
def multiply_derivative(code, A, D):
    """In place ``D *= f'(z)``, with f'(z) written in terms of the output ``A = f(z)``."""
    n, m = A.shape
    zero = like(A, 0.0)
    one = like(A, 1.0)
    if code == RELU:
        for i in range(n):
            for j in range(m):
                if A[i, j] == zero:
                    D[i, j] = zero
    elif code == TANH:
        for i in range(n):
            for j in range(m):
                D[i, j] *= one - A[i, j] * A[i, j]
    elif code == LOGISTIC:
        for i in range(n):
            for j in range(m):
                D[i, j] *= A[i, j] * (one - A[i, j])
