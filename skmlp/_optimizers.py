"""Stochastic optimizers as fused kernels over the flat parameter buffer.

One pass over the buffer per minibatch does everything that touches every
parameter: it finishes the gradient (L2 term, division by the batch's weight
sum), applies the update, and sums the squared coefficients that the next
batch's L2 loss needs.  The optimizer state is one plain array ``state`` of
shape (k, n_params) plus an integer step count, so it pickles, copies and
restores like any fitted array.
"""

import numpy as np

from ._jit import kernel, like

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


@kernel(inline="always")
def _sgd_update(params, grads, vel, lo, hi, alpha, sw, lr, mu, nesterov):
    sq = like(params, 0.0)  # accumulate in the parameters' dtype, as NumPy's dot does
    for k in range(lo, hi):
        p = params[k]
        g = (grads[k] + alpha * p) / sw
        v = mu * vel[k] - lr * g
        vel[k] = v
        p += mu * v - lr * g if nesterov else v
        params[k] = p
        sq += p * p
    return sq


@kernel(inline="always")
def _adam_update(params, grads, m, v, lo, hi, alpha, sw, lr_t, b1, c1, b2, c2, eps):
    sq = like(params, 0.0)  # accumulate in the parameters' dtype, as NumPy's dot does
    for k in range(lo, hi):
        p = params[k]
        g = (grads[k] + alpha * p) / sw
        mk = b1 * m[k] + c1 * g
        vk = b2 * v[k] + c2 * (g * g)
        m[k] = mk
        v[k] = vk
        p -= lr_t * mk / (np.sqrt(vk) + eps)
        params[k] = p
        sq += p * p
    return sq


# Reassociation only (no contraction, no reciprocal): it lets the squared-norm
# reduction vectorise; every update is computed exactly as written.
@kernel(fastmath={"reassoc"})
def optimizer_step(code, params, grads, state, t, hyper, n_coefs, alpha, sw_sum):
    """Finish the raw gradient and update ``params`` in place.

    ``grads`` holds the unscaled batch gradient (``X.T @ delta`` and the column
    sums of delta); the gradient applied is ``(grads + alpha * coefs) / sw_sum``
    for coefficients and ``grads / sw_sum`` for intercepts, with
    scikit-learn's order of floating-point operations.
    Returns ``(sum of squared coefficients after the update, new step count)``.
    """
    t += 1
    n = params.shape[0]
    zero = like(params, 0.0)
    alpha_ = like(params, alpha)
    sw = like(params, sw_sum)
    if code == SGD:
        lr = like(params, hyper[LR])
        mu = like(params, hyper[MOMENTUM])
        nesterov = hyper[NESTEROV] != 0.0
        vel = state[0]
        sq = _sgd_update(params, grads, vel, 0, n_coefs, alpha_, sw, lr, mu, nesterov)
        _sgd_update(params, grads, vel, n_coefs, n, zero, sw, lr, mu, nesterov)
    else:
        b1, b2 = hyper[BETA_1], hyper[BETA_2]
        lr_t = like(params, hyper[LR] * np.sqrt(1.0 - b2**t) / (1.0 - b1**t))
        # (1 - beta) is formed in double precision, as scikit-learn does.
        c1, c2 = like(params, 1.0 - b1), like(params, 1.0 - b2)
        b1_, b2_ = like(params, b1), like(params, b2)
        eps = like(params, hyper[EPSILON])
        m, v = state[0], state[1]
        sq = _adam_update(params, grads, m, v, 0, n_coefs, alpha_, sw, lr_t, b1_, c1, b2_, c2, eps)
        _adam_update(params, grads, m, v, n_coefs, n, zero, sw, lr_t, b1_, c1, b2_, c2, eps)
    return float(sq), t
