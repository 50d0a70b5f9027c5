"""Activation functions: a name -> integer code table and compiled kernels.

Kernels switch on the integer code so one compiled function serves every
activation; adding an activation is one branch in each kernel and one entry
in the table.
"""

import numpy as np
from numba import njit

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


@njit(cache=True, inline="always")
def _logistic(z):
    # Two branches so that exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@njit(cache=True)
def bias_activate(code, Z, b):
    """In place ``Z = f(Z + b)`` for the activation ``code``; rows of Z are samples."""
    n, m = Z.shape
    if code == SOFTMAX:
        for i in range(n):
            zmax = -np.inf
            for j in range(m):
                Z[i, j] += b[j]
                if Z[i, j] > zmax:
                    zmax = Z[i, j]
            s = 0.0
            for j in range(m):
                Z[i, j] = np.exp(Z[i, j] - zmax)
                s += Z[i, j]
            for j in range(m):
                Z[i, j] /= s
        return
    for i in range(n):
        for j in range(m):
            z = Z[i, j] + b[j]
            if code == IDENTITY:
                Z[i, j] = z
            elif code == LOGISTIC:
                Z[i, j] = _logistic(z)
            elif code == TANH:
                Z[i, j] = np.tanh(z)
            elif code == RELU:
                Z[i, j] = z if z > 0 else 0.0
            elif code == EXP:
                Z[i, j] = np.exp(z)


@njit(cache=True)
def multiply_derivative(code, A, D):
    """In place ``D *= f'(z)``, with f'(z) written in terms of the output ``A = f(z)``."""
    n, m = A.shape
    if code == IDENTITY:
        return
    for i in range(n):
        for j in range(m):
            a = A[i, j]
            if code == LOGISTIC:
                D[i, j] *= a * (1.0 - a)
            elif code == TANH:
                D[i, j] *= 1.0 - a * a
            elif code == RELU:
                if a == 0:
                    D[i, j] = 0.0
