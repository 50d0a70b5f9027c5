"""Compiled forward pass, backward pass, training epoch and prediction.

Activations and deltas of all layers live in two flat workspaces allocated once
per fit; each layer's block is a reshaped slice.  Dense inputs go through BLAS
(``np.dot(a, b, out)``); CSR inputs through the row kernels below.  Sparse and
dense share one specialisation: the unused representation is passed empty.

Hidden activations whose derivative needs the pre-activation ``z``
(``needs_preactivation``: elu and every code after it, see
:mod:`skmlp._engine.activations`) use a third workspace ``pres`` with the layout of
``acts``: the forward pass writes the ``X @ W`` of each hidden layer with
such an activation there, then its activation ``f(z)`` into ``acts`` and the
slopes ``f'(z)`` over the ``X @ W`` (``bias_activate_slope``), and the
backward pass multiplies the deltas by them; the blocks of the other layers
stay unused.
For the other activations, and for prediction, ``pres`` is passed empty and
never touched, so they run exactly as before (one specialisation per dtype
serves both cases).

Kernels take their arguments in a few packs (tuples), so that each
signature says what it uses and every call site is short:

- ``layout = (units, coef_offsets, intercept_offsets, n_coefs)``: where each
  layer's weights and biases sit in ``params`` and ``grads``
  (``Layout.pack``).
- ``inp = (X, data, indices, indptr, sparse)``: the input, a dense C array or
  CSR arrays, the unused one empty (``EngineInput.pack``).
- ``batch = (rows, Y, sw)``: the rows of a batch (indices into a CSR input),
  their targets and sample weights; ``rows.shape[0]`` is the batch size.
- ``ws = (acts, pres, deltas, act_offsets)``: the activation, pre-activation
  (then slope) and delta workspaces and where each layer's block starts in
  them.
- ``spec = (hidden, out_act, loss, loss_param)``: the integer codes of the
  hidden activations (an int64 array, one code per hidden layer, so that one
  compiled specialisation serves every combination), of the output
  activation and of the loss, and the loss's parameter.
- ``opt = (solver, state, t, hyper, alpha)``: the optimizer's code, state,
  step count, hyper-parameter vector and penalty strength.

Batch normalisation and dropout travel as two more packs, so that every
kernel has one signature whether they are on or off (empty arrays mean off):

- ``norm = (scale_offsets, running, batch_stats, norms, momentum, eps)``:
  where each hidden layer's scale sits in ``params`` (``Layout.scale_offsets``),
  the running means then variances (``2 * n_normalized``), a workspace of the
  same size for the batch means and inverse standard deviations, the
  workspace (layout of ``acts``) holding the normalised values for the
  backward pass, and the two constants of :mod:`skmlp._engine.batch_norm`.
- ``drop = (thresholds, scales, masks, keys, rng)``: each hidden layer's
  uint64 keep threshold (see :mod:`skmlp._engine.dropout`) and float64 scale
  ``1 / (1 - rate)``, the mask workspace (layout of ``acts``), the uint64 key
  of every sample (indexed like ``rows``) and the generator ``[seed, epoch]``.
"""

import numpy as np

from .activations import (
    bias_activate,
    bias_activate_slope,
    multiply_derivative,
    needs_preactivation,
)
from .batch_norm import normalize_backward, normalize_infer, normalize_train
from .dropout import apply_dropout
from .jit import kernel, like
from .losses import loss_and_delta
from .optimizers import ADAMW, L1_RATIO, finished_gradient, optimizer_step, penalty


@kernel(inline="always")
def _block(ws, offsets, units, k, n):
    start = offsets[k]
    return ws[start : start + n * units[k]].reshape((n, units[k]))


@kernel(inline="always")
def _coef(params, layout, i):
    units, coef_offsets = layout[0], layout[1]
    start = coef_offsets[i]
    return params[start : start + units[i] * units[i + 1]].reshape((units[i], units[i + 1]))


@kernel(inline="always")
def _intercept(params, layout, i):
    units, intercept_offsets = layout[0], layout[2]
    start = intercept_offsets[i]
    return params[start : start + units[i + 1]]


@kernel
def _input_dot(inp, rows, W, out):
    """``out = X[rows] @ W`` for CSR input, ``out = X @ W`` for dense."""
    Xd, data, indices, indptr, sparse = inp
    if not sparse:
        np.dot(Xd, W, out)
        return
    out[:] = 0.0
    m = W.shape[1]
    for r in range(rows.shape[0]):
        row = rows[r]
        for k in range(indptr[row], indptr[row + 1]):
            c = indices[k]
            v = data[k]
            for j in range(m):
                out[r, j] += v * W[c, j]


@kernel
def _input_tdot(inp, rows, D, out):
    """``out = X[rows].T @ D`` for CSR input, ``out = X.T @ D`` for dense."""
    Xd, data, indices, indptr, sparse = inp
    if not sparse:
        np.dot(Xd.T, D, out)
        return
    out[:] = 0.0
    m = D.shape[1]
    for r in range(rows.shape[0]):
        row = rows[r]
        for k in range(indptr[row], indptr[row + 1]):
            c = indices[k]
            v = data[k]
            for j in range(m):
                out[c, j] += v * D[r, j]


# forward and backprop are inlined into their callers (run_epoch, predict,
# loss_grad) instead of being compiled as functions of their own: Numba would
# otherwise optimise and emit their machine code once for themselves and again
# inside every caller that links them, which made the first fit's compilation
# about 10-15% longer.
@kernel(inline="always")
def forward(params, layout, inp, batch, ws, spec, norm, drop, training, depth):
    """Fill the activation blocks of the batch's samples up to layer ``depth``; return it.

    ``depth`` counts the weight layers applied: ``len(units) - 1`` gives the
    output block, one less the last hidden layer's (what ``transform``
    returns). With a non-empty ``pres`` and a hidden activation that needs
    it, the hidden layers' slopes ``f'(z)`` are left in ``pres`` (layout of
    ``acts``) for the backward pass. ``training`` selects batch statistics and dropout masks,
    otherwise running statistics and no dropout. ``Y`` of ``batch`` is not
    read.
    """
    units = layout[0]
    rows, _, sw = batch
    acts, pres, _, act_offsets = ws
    hidden, out_act = spec[0], spec[1]
    scale_offsets, running, batch_stats, norms, momentum, bn_eps = norm
    thresholds, drop_scales, masks, keys, rng = drop
    n = rows.shape[0]
    n_weights = units.shape[0] - 1
    have_pres = pres.shape[0] > 0
    n_norm = running.shape[0] // 2
    A = _block(acts, act_offsets, units, 1, n)
    for i in range(depth):
        W = _coef(params, layout, i)
        b = _intercept(params, layout, i)
        A = _block(acts, act_offsets, units, i + 1, n)
        hidden_layer = i < n_weights - 1
        code = hidden[i] if hidden_layer else out_act
        keep = have_pres and hidden_layer and needs_preactivation(code)
        normalized = hidden_layer and scale_offsets.shape[0] > 0
        # The input of the activation: the pre-activation block when it is kept.
        P = _block(pres, act_offsets, units, i + 1, n) if keep else A
        # Where X @ W goes: the normalised-values block in batch-norm training.
        Z = _block(norms, act_offsets, units, i + 1, n) if normalized and training else P
        if i == 0:
            _input_dot(inp, rows, W, Z)
        else:
            np.dot(_block(acts, act_offsets, units, i, n), W, Z)
        if normalized:
            u = units[i + 1]
            start = scale_offsets[i]
            scale = params[start : start + u]
            s = start - scale_offsets[0]  # this layer's units in the statistics
            running_mean = running[s : s + u]
            running_var = running[n_norm + s : n_norm + s + u]
            if training:
                mean = batch_stats[s : s + u]
                inv_std = batch_stats[n_norm + s : n_norm + s + u]
                normalize_train(
                    Z, sw, scale, mean, inv_std, running_mean, running_var, momentum, bn_eps, P
                )
            else:
                normalize_infer(P, scale, running_mean, running_var, bn_eps)
        if keep:
            bias_activate_slope(code, P, b, A)
        else:
            bias_activate(code, A, b)
        if training and hidden_layer and thresholds.shape[0] > 0 and thresholds[i] > 0:
            M = _block(masks, act_offsets, units, i + 1, n)
            apply_dropout(A, M, thresholds[i], drop_scales[i], rng, keys, rows, i)
    return A


@kernel
def predict(params, layout, inp, max_workspace, spec, norm, drop, depth):
    """Activations of layer ``depth`` for every row of ``inp`` (running statistics, no dropout).

    ``depth = len(units) - 1`` gives the outputs, one less the last hidden
    layer's activations (see :func:`forward`). Rows go through in blocks
    whose activations fit in ``max_workspace`` elements, so memory stays
    bounded for any number of rows.
    """
    units = layout[0]
    X, data, indices, indptr, sparse = inp
    n = indptr.shape[0] - 1 if sparse else X.shape[0]
    out = np.empty((n, units[depth]), dtype=params.dtype)
    block = max(1, max_workspace // units[1:].sum())
    rows_ws = min(n, block)
    act_offsets = np.zeros(units.shape[0], dtype=np.int64)
    for k in range(1, units.shape[0] - 1):
        act_offsets[k + 1] = act_offsets[k] + rows_ws * units[k]
    acts = np.empty(act_offsets[-1] + rows_ws * units[-1], dtype=params.dtype)
    rows = np.empty(rows_ws, dtype=np.int64)
    none = np.empty(0, dtype=params.dtype)  # no backward pass: z is not kept
    ws = (acts, none, none, act_offsets)
    no_targets = np.empty((0, 0), dtype=params.dtype)
    for start in range(0, n, block):
        stop = min(n, start + block)
        m = stop - start
        for r in range(m):
            rows[r] = start + r
        Xd = X if sparse else X[start:stop]
        block_inp = (Xd, data, indices, indptr, sparse)
        batch = (rows[:m], no_targets, none)
        A = forward(params, layout, block_inp, batch, ws, spec, norm, drop, False, depth)
        _copy_rows(A, out, start)
    return out


@kernel
def _copy_rows(A, out, start):
    """``out[start : start + len(A)] = A``, written as a loop: Numba's slice
    assignment from an array compiles a shape-mismatch message (string
    formatting), which took seconds of the first fit's compilation."""
    for r in range(A.shape[0]):
        for j in range(A.shape[1]):
            out[start + r, j] = A[r, j]


@kernel
def _multiply(D, M):
    """``D *= M`` element by element: the backward pass through a layer's
    dropout masks, and through the slopes ``f'(z)`` that the forward pass left
    in ``pres`` (``bias_activate_slope``)."""
    n, m = D.shape
    for i in range(n):
        for j in range(m):
            D[i, j] *= M[i, j]


@kernel
def _column_sums(D, out):
    # Rows outer, columns inner: the inner loop vectorises, and the row order
    # of the additions is NumPy's for ``D.sum(axis=0)`` on a C array.
    for j in range(D.shape[1]):  # not out[:] = D[0]: see _copy_rows
        out[j] = D[0, j]
    for r in range(1, D.shape[0]):
        for j in range(D.shape[1]):
            out[j] += D[r, j]


@kernel(inline="always")
def backprop(params, grads, layout, inp, batch, ws, spec, norm, drop):
    """Forward and backward pass over the batch, in training mode.

    Writes the raw gradient into ``grads``: ``A.T @ delta`` for each weight
    matrix, the column sums of delta for each bias, and the batch-norm scale
    gradients, without the L2 term and not yet divided by the weight sum.
    Returns the weighted data loss ``sum_i sw_i * loss_i``.  ``pres`` is the
    pre-activation workspace (the size of ``acts``) when a hidden layer's
    activation ``needs_preactivation``, else empty.
    """
    units = layout[0]
    rows, Y, sw = batch
    acts, pres, deltas, act_offsets = ws
    hidden, _, loss, loss_param = spec
    scale_offsets, running, batch_stats, norms, momentum, bn_eps = norm
    thresholds, drop_scales, masks, keys, rng = drop
    n = rows.shape[0]
    n_weights = units.shape[0] - 1
    for k in range(hidden.shape[0]):
        if needs_preactivation(hidden[k]) and pres.shape[0] < acts.shape[0]:
            raise ValueError("this hidden activation needs a pre-activation workspace")
    n_norm = running.shape[0] // 2
    P = forward(params, layout, inp, batch, ws, spec, norm, drop, True, n_weights)
    D = _block(deltas, act_offsets, units, n_weights, n)
    value = loss_and_delta(loss, P, Y, sw, loss_param, D)
    one = like(params, 1.0)
    for i in range(n_weights - 1, -1, -1):
        D = _block(deltas, act_offsets, units, i + 1, n)
        g = _intercept(grads, layout, i)
        _column_sums(D, g)
        if i < n_weights - 1 and scale_offsets.shape[0] > 0:
            # Through the normalisation: D becomes the gradient of X @ W.
            u = units[i + 1]
            start = scale_offsets[i]
            s = start - scale_offsets[0]
            N = _block(norms, act_offsets, units, i + 1, n)
            scale, inv_std = params[start : start + u], batch_stats[n_norm + s : n_norm + s + u]
            normalize_backward(D, N, sw, scale, inv_std, g, grads[start : start + u])
        G = _coef(grads, layout, i)
        if i == 0:
            _input_tdot(inp, rows, D, G)
        else:
            np.dot(_block(acts, act_offsets, units, i, n).T, D, G)
        if i > 0:
            D_prev = _block(deltas, act_offsets, units, i, n)
            np.dot(D, _coef(params, layout, i).T, D_prev)
            # Layer i's output was dropped out: the gradient flows through the
            # kept units, scaled as they were, and f(z) is A / drop scale.
            a_scale = one
            if thresholds.shape[0] > 0 and thresholds[i - 1] > 0:
                _multiply(D_prev, _block(masks, act_offsets, units, i, n))
                a_scale = one / like(params, drop_scales[i - 1])
            code = hidden[i - 1]
            if needs_preactivation(code):
                _multiply(D_prev, _block(pres, act_offsets, units, i, n))
            else:
                multiply_derivative(code, _block(acts, act_offsets, units, i, n), D_prev, a_scale)
    return value


@kernel
def loss_grad(params, grads, layout, inp, batch, ws, spec, norm, drop, alpha, l1_ratio):
    """Loss of the batch at ``params`` and its gradient, written into ``grads``.

    The loss is the weighted mean data loss plus the penalty (``alpha / 2 *
    ||W||^2`` with ``l1_ratio=0``, as in scikit-learn; elastic net otherwise),
    both divided by the weight sum.  The gradient is finished and the penalty
    computed exactly as the optimizer step does.  Used by L-BFGS, which
    evaluates the whole training set at once.
    """
    n_coefs = layout[3]
    sw = batch[2]
    sw_sum = 0.0
    for i in range(sw.shape[0]):
        sw_sum += sw[i]
    value = backprop(params, grads, layout, inp, batch, ws, spec, norm, drop)
    a2 = like(params, alpha * (1.0 - l1_ratio))
    a1 = like(params, alpha * l1_ratio)
    sw_ = like(params, sw_sum)
    for k in range(n_coefs):
        grads[k] = finished_gradient(grads, params, k, a2, a1, sw_)
    for k in range(n_coefs, params.shape[0]):
        grads[k] /= sw_
    return (value + penalty(params, n_coefs, alpha, l1_ratio)) / sw_sum


@kernel
def run_epoch(params, grads, opt, layout, inp, train, buffers, ws, spec, norm, drop):
    """One pass over the samples in ``order``: forward, backward and update per batch.

    ``train = (Y, sw, order)`` are the targets and weights of every sample and
    the order of this epoch; ``buffers = (Xb, Yb, swb, rows, nonfinite)``:
    the first four receive each batch (``Xb`` is empty for CSR input, which
    is read through ``rows``), and ``nonfinite[0]`` is set to the number of
    NaN or infinite values of dense X and of Y met while gathering the
    batches (``partial_fit``'s fast path leaves that test to this pass over
    the data, which reads every value anyway).
    Returns ``(sum of batch loss * batch length, new optimizer step count)``.
    """
    solver, state, t, hyper, alpha = opt
    n_coefs = layout[3]
    X, data, indices, indptr, sparse = inp
    Y, sw, order = train
    Xb, Yb, swb, rows, nonfinite = buffers
    zero = like(params, 0.0)
    bad = 0  # v - v is 0 for a finite v, NaN for NaN and +-inf
    batch_size = rows.shape[0]
    n_samples = order.shape[0]
    total = 0.0
    # The optimizer step returns the penalty at the updated coefficients, so
    # the regularisation part of each batch loss costs no extra pass.
    pen = 0.0 if solver == ADAMW else penalty(params, n_coefs, alpha, hyper[L1_RATIO])
    for start in range(0, n_samples, batch_size):
        n = min(batch_size, n_samples - start)
        weight = 0.0
        for r in range(n):
            s = order[start + r]
            rows[r] = s
            if not sparse:
                for j in range(X.shape[1]):
                    v = X[s, j]
                    Xb[r, j] = v
                    bad += (v - v) != zero
            for j in range(Y.shape[1]):
                v = Y[s, j]
                Yb[r, j] = v
                bad += (v - v) != zero
            swb[r] = sw[s]
            weight += sw[s]
        if weight == 0.0:
            continue  # a batch of zero-weight samples carries no gradient
        batch_inp = (Xb[:n], data, indices, indptr, sparse)
        batch = (rows[:n], Yb[:n], swb[:n])
        value = backprop(params, grads, layout, batch_inp, batch, ws, spec, norm, drop)
        total += (value + pen) / weight * n
        pen, t = optimizer_step(solver, params, grads, state, t, hyper, n_coefs, alpha, weight)
    nonfinite[0] = bad
    return total, t
