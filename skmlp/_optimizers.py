"""Stochastic optimizers as fused kernels over the flat parameter buffer.

The optimizer state is one plain array ``state`` of shape (k, n_params) plus an
integer step count, so it pickles, copies and restores like any fitted array.
"""

import numpy as np
from numba import njit

SGD = 0
ADAM = 1

SOLVERS = {"sgd": SGD, "adam": ADAM}

#: Rows of optimizer state each solver keeps: SGD the velocity, Adam both moments.
STATE_ROWS = {SGD: 1, ADAM: 2}

# Positions in the float64 hyper-parameter vector passed to the kernels.
LR, MOMENTUM, NESTEROV, BETA_1, BETA_2, EPSILON = range(6)


def hyperparameters(learning_rate, momentum, nesterov, beta_1, beta_2, epsilon):
    """Pack optimizer hyper-parameters into the vector the kernels read."""
    return np.array(
        [learning_rate, momentum, float(nesterov), beta_1, beta_2, epsilon],
        dtype=np.float64,
    )


@njit(cache=True)
def optimizer_step(code, params, grads, state, t, hyper):
    """Apply one update in place and return the new step count."""
    t += 1
    lr = hyper[LR]
    if code == SGD:
        mu = hyper[MOMENTUM]
        nesterov = hyper[NESTEROV] != 0.0
        vel = state[0]
        for k in range(params.shape[0]):
            g = grads[k]
            v = mu * vel[k] - lr * g
            vel[k] = v
            if nesterov:
                params[k] += mu * v - lr * g
            else:
                params[k] += v
    else:
        b1 = hyper[BETA_1]
        b2 = hyper[BETA_2]
        eps = hyper[EPSILON]
        lr_t = lr * np.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        m = state[0]
        v = state[1]
        for k in range(params.shape[0]):
            g = grads[k]
            mk = b1 * m[k] + (1.0 - b1) * g
            vk = b2 * v[k] + (1.0 - b2) * g * g
            m[k] = mk
            v[k] = vk
            params[k] -= lr_t * mk / (np.sqrt(vk) + eps)
    return t
