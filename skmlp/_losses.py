"""Loss functions: a name -> integer code table and one compiled kernel.

Every loss is paired with its canonical output activation (squared error with
identity, Poisson deviance with exp, log loss with softmax or logistic), so the
gradient with respect to the output pre-activation is ``prediction - target``
for all of them.  Each loss sums over outputs and averages over samples with
the sample weights.
"""

import numpy as np

from ._jit import kernel

SQUARED_ERROR = 0
POISSON = 1
LOG_LOSS = 2
BINARY_LOG_LOSS = 3

LOSSES = {
    "squared_error": SQUARED_ERROR,
    "poisson": POISSON,
    "log_loss": LOG_LOSS,
    "binary_log_loss": BINARY_LOG_LOSS,
}


@kernel
def loss_and_delta(code, P, Y, sw, eps, D):
    """Weighted data loss ``sum_i sw_i * sum_j l(Y_ij, P_ij)`` and ``D = (P - Y) * sw``.

    ``eps`` clips probabilities away from 0 and 1 for the log losses.
    The result is not yet divided by the weight sum.
    """
    n, m = P.shape
    total = 0.0
    for i in range(n):
        w = sw[i]
        row = 0.0
        for j in range(m):
            p = P[i, j]
            y = Y[i, j]
            D[i, j] = (p - y) * w
            if code == SQUARED_ERROR:
                r = y - p
                row += 0.5 * r * r
            elif code == POISSON:
                row += p - y
                if y > 0:
                    row += y * (np.log(y) - np.log(p))
            else:
                q = min(max(p, eps), 1.0 - eps)
                if code == LOG_LOSS:
                    if y != 0:
                        row -= y * np.log(q)
                else:
                    if y != 0:
                        row -= y * np.log(q)
                    if y != 1:
                        row -= (1.0 - y) * np.log(1.0 - q)
        total += w * row
    return total
