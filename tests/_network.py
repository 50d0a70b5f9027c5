"""A fitted estimator's network on fixed data, and finite-difference gradient checks.

``Network`` calls the compiled engine in float64: the raw gradient
(``backprop``), the regularised loss and its gradient (``loss_grad``), the
elastic-net objective, and the gradient an optimizer step applies.
"""

import numpy as np

from skmlp._engine.optimizers import SOLVERS, hyperparameters, optimizer_step, penalty
from skmlp._engine.workspaces import Batch

# Finite differences: central, step 1e-6, in float64.  As in
# tests/test_gradients.py, an exact gradient agrees to ~1e-8; 1e-6 is required
# globally and per entry (entries below a floor of 1% of the largest one are
# held to 1e-6 of the floor).
STEP = 1e-6
RTOL = 1e-6
FLOOR_FRACTION = 1e-2


class Network:
    """Loss and gradients of a fitted estimator's network on fixed data (float64)."""

    def __init__(self, est, X, Y, sample_weight):
        assert est._params.dtype == np.float64
        self.batch = Batch(est, X, Y, sample_weight)
        self.loss_param = self.batch.spec[3]
        self.sw_sum = float(self.batch.sw.sum())
        self.n_coefs = est._layout.n_coefs

    def raw(self, params):
        """``backprop``: weighted data loss and the raw gradient."""
        params = np.array(params, dtype=np.float64)
        grads = np.full_like(params, np.nan)
        return self.batch.backprop(params, grads), grads

    def loss_grad(self, params, alpha):
        """``loss_grad``: (data loss + L2) / sw_sum and its gradient."""
        params = np.array(params, dtype=np.float64)
        grads = np.full_like(params, np.nan)
        return self.batch.loss_grad(params, grads, alpha, 0.0), grads

    def objective(self, params, alpha, l1_ratio):
        """(data loss + elastic-net penalty) / sw_sum."""
        params = np.array(params, dtype=np.float64)
        value, _ = self.raw(params)
        return (value + penalty(params, self.n_coefs, alpha, l1_ratio)) / self.sw_sum

    def finished_gradient(self, params, alpha, l1_ratio):
        """The gradient an optimizer step applies: one SGD step, lr 1, no momentum."""
        params = np.array(params, dtype=np.float64)
        _, raw = self.raw(params)
        new = params.copy()
        hyper = hyperparameters(1.0, 0.0, False, 0.9, 0.999, 1e-8, l1_ratio)
        state = np.zeros((1, params.size))
        optimizer_step(SOLVERS["sgd"], new, raw, state, 0, hyper, self.n_coefs, alpha, self.sw_sum)
        return params - new


def finite_difference_gradient(fun, params, step=STEP):
    fd = np.empty_like(params)
    for k in range(params.size):
        up = params.copy()
        up[k] += step
        down = params.copy()
        down[k] -= step
        fd[k] = (fun(up) - fun(down)) / (up[k] - down[k])
    return fd


def gradient_errors(grad, fd, value):
    """(global relative error, worst per-entry error relative to its scale)."""
    global_error = np.linalg.norm(grad - fd) / np.linalg.norm(fd)
    floor = FLOOR_FRACTION * max(np.max(np.abs(fd)), abs(value))
    entry_error = np.max(np.abs(grad - fd) / np.maximum(np.abs(fd), floor))
    return global_error, entry_error


def passes_gradient_check(grad, fd, value):
    return np.all(np.isfinite(grad)) and max(gradient_errors(grad, fd, value)) <= RTOL
