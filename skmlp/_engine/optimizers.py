"""Stochastic optimizers as fused kernels over the flat parameter buffer.

Each solver has its own kernel (``KERNELS[code]``), compiled the first time a
fit uses that solver.

One pass over the buffer per minibatch does everything that touches every
parameter: it finishes the gradient (L2 term, division by the batch's weight
sum), applies the update, and sums the squared coefficients that the next
batch's L2 loss needs.  The optimizer state is one plain array ``state`` of
shape (k, n_params) plus an integer step count, so it pickles, copies and
restores like any fitted array.
"""

import math

import numpy as np

from .jit import internal, kernel, like
from .plugs import STEP, address, c_input, c_output, copy_back, step_fn
from .views import flat as state_buffer
from .views import vector

SGD = 0
ADAM = 1
ADAMW = 2
RMSPROP = 3
ADAGRAD = 4
NADAM = 5

SOLVERS = {
    "sgd": SGD,
    "adam": ADAM,
    "adamw": ADAMW,
    "rmsprop": RMSPROP,
    "adagrad": ADAGRAD,
    "nadam": NADAM,
}

#: Rows of optimizer state each solver keeps (velocity, or first and second moments).
STATE_ROWS = {SGD: 1, ADAM: 2, ADAMW: 2, RMSPROP: 1, ADAGRAD: 1, NADAM: 2}

# Positions in the float64 hyper-parameter vector passed to the kernels.
LR, MOMENTUM, NESTEROV, BETA_1, BETA_2, EPSILON, L1_RATIO, MAX_GRAD_NORM = range(8)


def hyperparameters(
    learning_rate, momentum, nesterov, beta_1, beta_2, epsilon, l1_ratio=0.0, max_grad_norm=None
):
    """Pack optimizer hyper-parameters into the vector the kernels read."""
    return np.array(
        [
            learning_rate,
            momentum,
            float(nesterov),
            beta_1,
            beta_2,
            epsilon,
            l1_ratio,
            np.inf if max_grad_norm is None else max_grad_norm,
        ],
        dtype=np.float64,
    )


@kernel(inline="always")
def finished_gradient(grads, params, k, a2, a1, sw):
    """Finished gradient of parameter k: raw batch gradient plus elastic-net term.

    With ``a1 == 0`` this is scikit-learn's ``(grad + alpha * coef) / sw_sum``
    to the bit.
    """
    p = params[k]
    # copysign(a1, p) is a1 * sign(p) as one bit operation (it vectorises
    # cheaply); at p == 0 it picks +a1, a valid subgradient.
    return (grads[k] + a2 * p + math.copysign(a1, p)) / sw


@kernel(fastmath={"reassoc"})
def _grad_norm(params, grads, n_coefs, a2, a1, sw):
    zero = like(params, 0.0)
    total = zero
    for k in range(n_coefs):
        g = finished_gradient(grads, params, k, a2, a1, sw)
        total += g * g
    for k in range(n_coefs, params.shape[0]):
        g = finished_gradient(grads, params, k, zero, zero, sw)
        total += g * g
    return np.sqrt(float(total))


# One loop per solver family, the solver chosen outside the loop, so each
# loop vectorises; each is compiled once (by the first solver of its family
# a process uses) and called for the coefficients, then the intercepts.
# Each updates the parameters it is given (a slice of the buffer, with the
# same slices of the gradient and the state) and returns the sum of squares of
# the updated parameters. The loops run from 0 over slices rather than over
# ``range(lo, hi)``: Numba checks every index that could be negative (to
# wrap it around), and that check alone stopped the loops from vectorising
# (8x slower).  ``fin = (a2, a1, d2, d1, sw, scale)`` says how the raw
# gradient is finished (the coupled elastic-net terms a2, a1; the weight sum;
# the clipping scale) and the decoupled decay d2, d1 (AdamW only); every term
# but sw and scale is zero for the intercepts.  ``c`` holds the solver's own
# constants.


@internal(fastmath={"reassoc"})
def _sgd(params, grads, vel, fin, c):
    a2, a1, _, _, sw, scale = fin
    mu, lr, nesterov = c
    sq = like(params, 0.0)
    for k in range(params.shape[0]):
        g = finished_gradient(grads, params, k, a2, a1, sw) * scale
        v = mu * vel[k] - lr * g
        vel[k] = v
        p = params[k] + (mu * v - lr * g if nesterov else v)
        params[k] = p
        sq += p * p
    return sq


@kernel(inline="always")
def _moments(m, v, k, g, b1, c1, b2, c2):
    """Adam's moment updates of parameter k: ``m = b1 m + c1 g``, ``v = b2 v + c2 g^2``."""
    mk = b1 * m[k] + c1 * g
    vk = b2 * v[k] + c2 * (g * g)
    m[k] = mk
    v[k] = vk
    return mk, vk


@internal(fastmath={"reassoc"})
def _adam(params, grads, m, v, fin, c):
    a2, a1, d2, d1, sw, scale = fin
    b1, c1, b2, c2, lr_t, eps = c
    sq = like(params, 0.0)
    for k in range(params.shape[0]):
        g = finished_gradient(grads, params, k, a2, a1, sw) * scale
        mk, vk = _moments(m, v, k, g, b1, c1, b2, c2)
        p = params[k]
        p -= d2 * p + math.copysign(d1, p)
        p -= lr_t * mk / (np.sqrt(vk) + eps)
        params[k] = p
        sq += p * p
    return sq


@internal(fastmath={"reassoc"})
def _nadam(params, grads, m, v, fin, c):
    a2, a1, _, _, sw, scale = fin
    b1, c1, b2, c2, lr, eps, cm, cg, cv = c
    sq = like(params, 0.0)
    for k in range(params.shape[0]):
        g = finished_gradient(grads, params, k, a2, a1, sw) * scale
        mk, vk = _moments(m, v, k, g, b1, c1, b2, c2)
        p = params[k] - lr * (cm * mk + cg * g) / (np.sqrt(vk * cv) + eps)
        params[k] = p
        sq += p * p
    return sq


@internal(fastmath={"reassoc"})
def _rms(params, grads, v, fin, c):
    # RMSprop: v = rho v + (1 - rho) g^2; AdaGrad is rho = c = 1.
    a2, a1, _, _, sw, scale = fin
    rho, c_, lr, eps = c
    sq = like(params, 0.0)
    for k in range(params.shape[0]):
        g = finished_gradient(grads, params, k, a2, a1, sw) * scale
        vk = rho * v[k] + c_ * (g * g)
        v[k] = vk
        p = params[k] - lr * g / (np.sqrt(vk) + eps)
        params[k] = p
        sq += p * p
    return sq


def _kernel(CODE, CLIP):
    """The update kernel of solver ``CODE``: only that solver is compiled into it.

    ``CLIP``: whether the gradient is clipped to ``max_grad_norm`` (its
    norm is computed only then).
    """

    # Reassociation only (no contraction, no reciprocal): it lets the norm
    # reductions vectorise; every update is computed exactly as written.
    @internal(fastmath={"reassoc"})
    def step(params, grads, state, t, hyper, n_coefs, alpha, sw_sum):
        """Finish the raw batch gradient and update ``params`` in place (step ``t``, from 1).

        ``grads`` holds the unscaled batch gradient (``X.T @ delta`` and the
        column sums of delta).  The gradient applied to a coefficient ``w`` is
        ``(grad + alpha * ((1 - l1_ratio) * w + l1_ratio * sign(w))) / sw_sum``
        (intercepts: ``grad / sw_sum``), in scikit-learn's order of operations,
        and it is rescaled to ``max_grad_norm`` when its global norm exceeds it.
        AdamW instead decays the weights directly by ``lr * alpha * (...)``.
        Returns the regularisation term of the loss at the updated weights,
        not yet divided by a weight sum.
        """
        zero = like(params, 0.0)
        r = hyper[L1_RATIO]
        lr = hyper[LR]
        decoupled = CODE == ADAMW
        a2 = zero if decoupled else like(params, alpha * (1.0 - r))
        a1 = zero if decoupled else like(params, alpha * r)
        d2 = like(params, lr * alpha * (1.0 - r)) if decoupled else zero
        d1 = like(params, lr * alpha * r) if decoupled else zero
        sw = like(params, sw_sum)
        scale = like(params, 1.0)
        if CLIP and np.isfinite(hyper[MAX_GRAD_NORM]):
            norm = _grad_norm(params, grads, n_coefs, a2, a1, sw)
            if norm > hyper[MAX_GRAD_NORM]:
                scale = like(params, hyper[MAX_GRAD_NORM] / (norm + 1e-6))
        coefs = (a2, a1, d2, d1, sw, scale)
        intercepts = (zero, zero, zero, zero, sw, scale)
        b1, b2 = hyper[BETA_1], hyper[BETA_2]
        lr_ = like(params, lr)
        eps = like(params, hyper[EPSILON])
        # (1 - beta) is formed in double precision, as scikit-learn does.
        b1_, c1, b2_, c2 = (
            like(params, b1),
            like(params, 1.0 - b1),
            like(params, b2),
            like(params, 1.0 - b2),
        )
        # The coefficients, then the intercepts, of the buffer and the first
        # and last rows of the state (views emitted in place: no slicing code).
        n = params.shape[0]
        n_i = n - n_coefs
        last = (state.shape[0] - 1) * n
        pc, gc = vector(params, 0, n_coefs), vector(grads, 0, n_coefs)
        pi, gi = vector(params, n_coefs, n_i), vector(grads, n_coefs, n_i)
        flat = state_buffer(state)
        s0c, s0i = vector(flat, 0, n_coefs), vector(flat, n_coefs, n_i)
        s1c, s1i = vector(flat, last, n_coefs), vector(flat, last + n_coefs, n_i)
        # Powers with a float exponent, as Python computes scikit-learn's
        # ``beta_2**t`` (one libm ``pow``): an integer exponent would compile
        # Numba's repeated squaring for it, a function of its own.
        tf = float(t)
        if CODE == SGD:
            c = (like(params, hyper[MOMENTUM]), lr_, hyper[NESTEROV] != 0.0)
            sq = _sgd(pc, gc, s0c, coefs, c)
            _sgd(pi, gi, s0i, intercepts, c)
        elif CODE == ADAM or CODE == ADAMW:
            lr_t = like(params, lr * np.sqrt(1.0 - b2**tf) / (1.0 - b1**tf))
            c = (b1_, c1, b2_, c2, lr_t, eps)
            sq = _adam(pc, gc, s0c, s1c, coefs, c)
            _adam(pi, gi, s0i, s1i, intercepts, c)
        elif CODE == NADAM:
            cm = like(params, b1 / (1.0 - b1 ** (tf + 1.0)))
            cg = like(params, (1.0 - b1) / (1.0 - b1**tf))
            cv = like(params, 1.0 / (1.0 - b2**tf))
            c = (b1_, c1, b2_, c2, lr_, eps, cm, cg, cv)
            sq = _nadam(pc, gc, s0c, s1c, coefs, c)
            _nadam(pi, gi, s0i, s1i, intercepts, c)
        else:
            one = like(params, 1.0)
            rho, c_ = (b2_, c2) if CODE == RMSPROP else (one, one)
            c = (rho, c_, lr_, eps)
            sq = _rms(pc, gc, s0c, coefs, c)
            _rms(pi, gi, s0i, intercepts, c)
        if decoupled:
            return 0.0
        ab = 0.0
        if r != 0.0:  # the L1 norm costs a pass of its own, only when it is used
            for k in range(n_coefs):
                ab += abs(params[k])
        return 0.5 * alpha * (1.0 - r) * float(sq) + alpha * r * ab

    return step


#: ``(code, clip) -> update kernel``, each compiled on first use.
KERNELS = {(code, clip): _kernel(code, clip) for code in SOLVERS.values() for clip in (False, True)}


def update_kernel(code, hyper):
    """The update kernel of solver ``code`` with the hyper-parameters ``hyper``."""
    return KERNELS[int(code), math.isfinite(hyper[MAX_GRAD_NORM])]


def optimizer_step(code, params, grads, state, t, hyper, n_coefs, alpha, sw_sum):
    """One update of solver ``code`` at step ``t + 1`` (see ``_kernel``).

    Returns ``(penalty, new step count)``: the regularisation term of the
    loss at the updated weights, not yet divided by a weight sum.
    """
    t += 1
    dtype = params.dtype
    params_, grads_, state_ = c_output(params), c_output(grads), c_output(state)
    fn = address(update_kernel(code, hyper), STEP, dtype)
    hyper = c_input(hyper, np.float64)
    pen = _step_caller(fn, params_, grads_, state_, t, hyper, n_coefs, float(alpha), float(sw_sum))
    copy_back((params, grads, state), (params_, grads_, state_))
    return pen, t


@kernel
def _step_caller(address, params, grads, state, t, hyper, n_coefs, alpha, sw_sum):
    # Python calls the update kernels through this (they have no Python wrapper).
    return step_fn(address, params)(params, grads, state, t, hyper, n_coefs, alpha, sw_sum)


@kernel
def penalty(params, n_coefs, alpha, l1_ratio):
    """The regularisation term (see :func:`penalty_`), called from Python."""
    return penalty_(params, n_coefs, alpha, l1_ratio)


@internal
def penalty_(params, n_coefs, alpha, l1_ratio):
    """The regularisation term ``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * |W|_1)``."""
    sq = 0.0
    ab = 0.0
    for k in range(n_coefs):
        sq += params[k] * params[k]
        ab += abs(params[k])
    return 0.5 * alpha * (1.0 - l1_ratio) * sq + alpha * l1_ratio * ab
