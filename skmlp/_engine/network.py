"""The skeletons: forward pass, backward pass, training epoch and prediction.

Each is compiled once and serves both dtypes (their arrays of the model's
dtype travel as bytes: :mod:`skmlp._engine.views`) and every configuration: what a
configuration chooses (activations, loss, solver, batch normalisation,
dropout, the CSR products) reaches them as a table of compiled kernels
(:mod:`skmlp._engine.plugs`; :func:`table` makes it), so a fit compiles the
kernels it uses and no other.

Activations and deltas of all layers live in two flat workspaces allocated once
per fit; each layer's block is a reshaped slice.  Dense inputs go through BLAS
(:mod:`skmlp._engine.blas`, in :func:`dot`); CSR inputs through the row kernels
below.  Sparse and dense share one signature: the unused representation is
passed empty.

Hidden activations whose derivative needs the pre-activation ``z``
(``needs_preactivation``: elu and every code after it, see
:mod:`skmlp._engine.activations`) use a third workspace ``pres`` with the layout of
``acts``: the forward pass writes the ``X @ W`` of each hidden layer with
such an activation there, then its activation ``f(z)`` into ``acts`` and the
slopes ``f'(z)`` over the ``X @ W`` (the ``activate_slope`` kernels), and the
backward pass multiplies the deltas by them; the blocks of the other layers
stay unused.
For the other activations, and for prediction, ``pres`` is passed empty and
never touched.

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
  activation and of the loss, and the loss's parameters (a float64 array:
  one value for most losses, the quantiles of ``QUANTILES``).
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

Every skeleton takes one more argument, ``table``: the plug table of the
call's configuration (:mod:`skmlp._engine.plugs`). The Python functions at
the end of this module (``run_epoch``, ``loss_grad``, ``backprop``,
``predict``) make it and call the skeletons; the rest of the package calls
them.
"""

import math

import numpy as np

from . import activations as _activations
from . import batch_norm as _batch_norm
from . import dropout as _dropout
from . import losses as _losses
from . import optimizers as _optimizers
from . import parallel as _parallel
from . import plugs as _plugs
from . import user as _user
from .activations import ANY, ELU
from .blas import dot
from .jit import internal, internal_skeleton, like, skeleton
from .optimizers import ADAMW, L1_RATIO, MAX_GRAD_NORM, finished_gradient, penalty_
from .plugs import (
    ACTIVATE,
    ACTIVATE_SLOPE,
    BACKPROP,
    COLUMN_SUMS,
    COPY_ROWS,
    DERIVATIVE,
    DOT,
    DROPOUT,
    FINISH,
    FORWARD,
    GATHER,
    ITEMSIZE,
    LOSS,
    MULTIPLY,
    NORM,
    NORM_BACKWARD,
    OUTPUT,
    PENALTY,
    SPARSE_DOT,
    SPARSE_TDOT,
    STEP,
    SUM,
    activate_fn,
    activate_slope_fn,
    backprop_fn,
    column_sums_fn,
    copy_rows_fn,
    derivative_fn,
    dot_fn,
    dropout_fn,
    finish_fn,
    forward_fn,
    gather_fn,
    loss_fn,
    multiply_fn,
    norm_backward_fn,
    norm_fn,
    output_fn,
    penalty_fn,
    sparse_dot_fn,
    sparse_tdot_fn,
    step_fn,
    sum_fn,
)
from .views import block, coef, elements, intercept, row_range, vector


@internal
def sparse_dot(data, indices, indptr, rows, W, out):
    """``out = X[rows] @ W`` for the CSR input ``(data, indices, indptr)``."""
    out[:] = 0.0
    m = W.shape[1]
    for r in range(rows.shape[0]):
        row = rows[r]
        for k in range(indptr[row], indptr[row + 1]):
            c = indices[k]
            v = data[k]
            for j in range(m):
                out[r, j] += v * W[c, j]


@internal
def sparse_tdot(data, indices, indptr, rows, D, out):
    """``out = X[rows].T @ D`` for the CSR input ``(data, indices, indptr)``."""
    out[:] = 0.0
    m = D.shape[1]
    for r in range(rows.shape[0]):
        row = rows[r]
        for k in range(indptr[row], indptr[row + 1]):
            c = indices[k]
            v = data[k]
            for j in range(m):
                out[c, j] += v * D[r, j]


@internal
def normalize(params, norm, i, sw, Z, P, training):
    """Batch normalisation of hidden layer ``i``: ``Z`` (its ``X @ W``) into ``P``.

    Training normalises ``Z`` in place with the batch statistics (kept in
    ``norm``'s workspaces for the backward pass) and moves the running
    statistics; prediction normalises ``P`` (which is ``Z``) in place with
    the running statistics. See :mod:`skmlp._engine.batch_norm`.
    """
    scale_offsets, running, batch_stats, _, momentum, eps = norm
    u = Z.shape[1]
    n_norm = running.shape[0] // 2
    start = scale_offsets[i]
    scale = vector(params, start, u)
    s = start - scale_offsets[0]  # this layer's units in the statistics
    running_mean = vector(running, s, u)
    running_var = vector(running, n_norm + s, u)
    if training:
        mean = vector(batch_stats, s, u)
        inv_std = vector(batch_stats, n_norm + s, u)
        _batch_norm.normalize_train_(
            Z, sw, scale, mean, inv_std, running_mean, running_var, momentum, eps, P
        )
    else:
        _batch_norm.normalize_infer_(P, scale, running_mean, running_var, eps)


@internal
def normalize_backward(params, grads, norm, i, sw, D, N, shift_grad):
    """Back through hidden layer ``i``'s normalisation: ``D`` becomes the gradient of ``X @ W``.

    Writes the scale gradient into ``grads``; ``N`` holds the layer's
    normalised values, ``shift_grad`` its intercept gradient.
    """
    scale_offsets, running, batch_stats = norm[0], norm[1], norm[2]
    u = D.shape[1]
    n_norm = running.shape[0] // 2
    start = scale_offsets[i]
    s = start - scale_offsets[0]
    scale, inv_std = vector(params, start, u), vector(batch_stats, n_norm + s, u)
    scale_grad = vector(grads, start, u)
    _batch_norm.normalize_backward_(D, N, sw, scale, inv_std, shift_grad, scale_grad)


@internal_skeleton
def forward(params, layout, inp, batch, ws, spec, norm, drop, training, depth, table):
    """Fill the activation blocks of the batch's samples up to layer ``depth``.

    ``depth`` counts the weight layers applied: ``len(units) - 1`` gives the
    output block, one less the last hidden layer's (what ``transform``
    returns). With a non-empty ``pres`` and a hidden activation that needs
    it, the hidden layers' slopes ``f'(z)`` are left in ``pres`` (layout of
    ``acts``) for the backward pass. ``training`` selects batch statistics and dropout masks,
    otherwise running statistics and no dropout. ``Y`` of ``batch`` is not
    read. ``table`` holds the plugged kernels (:mod:`skmlp._engine.plugs`).
    """
    units = layout[0]
    rows, sw = batch[0], batch[2]
    acts, pres, act_offsets = ws[0], ws[1], ws[3]
    hidden, out_act = spec[0], spec[1]
    thresholds = drop[0]
    n = rows.shape[0]
    n_weights = units.shape[0] - 1
    have_pres = pres.shape[0] > 0
    batch_norm = norm[0].shape[0] > 0
    product = dot_fn(table[DOT], params)
    for i in range(depth):
        W = coef(params, layout, i)
        b = intercept(params, layout, i)
        A = block(acts, act_offsets, units, i + 1, n)
        hidden_layer = i < n_weights - 1
        code = hidden[i] if hidden_layer else out_act
        keep = have_pres and hidden_layer and code >= ELU
        normalized = hidden_layer and batch_norm
        # The input of the activation: the pre-activation block when it is kept.
        P = block(pres, act_offsets, units, i + 1, n) if keep else A
        # Where X @ W goes: the normalised-values block in batch-norm training.
        Z = block(norm[3], act_offsets, units, i + 1, n) if normalized and training else P
        if i > 0:
            product(block(acts, act_offsets, units, i, n), W, Z, 0)
        elif inp[4]:
            sparse_dot_fn(table[SPARSE_DOT], params)(inp[1], inp[2], inp[3], rows, W, Z)
        else:
            product(inp[0], W, Z, 0)
        if normalized:
            norm_fn(table[NORM], params)(params, norm, i, sw, Z, P, training)
        if keep:
            activate_slope_fn(table[ACTIVATE_SLOPE], params)(code, P, b, A)
        elif hidden_layer:
            activate_fn(table[ACTIVATE], params)(code, A, b)
        else:
            output_fn(table[OUTPUT], params)(code, A, b)
        if training and hidden_layer and thresholds.shape[0] > 0 and thresholds[i] > 0:
            M = block(drop[2], act_offsets, units, i + 1, n)
            dropout_fn(table[DROPOUT], params)(
                A, M, thresholds[i], drop[1][i], drop[4], drop[3], rows, i
            )


@internal
def _copy_rows(A, out, start):
    """``out[start:start + len(A)] = A``, as loops (see :func:`_multiply`)."""
    for r in range(A.shape[0]):
        for j in range(A.shape[1]):
            out[start + r, j] = A[r, j]


@internal
def _multiply(D, M):
    """``D *= M`` element by element: the backward pass through a layer's
    dropout masks, and through the slopes ``f'(z)`` that the forward pass left
    in ``pres`` (the ``activate_slope`` kernels).

    Written as loops, as every array assignment in the skeletons: Numba's
    ``a[...] = b`` between arrays compiles a shape-mismatch message (string
    formatting), which took seconds of the first fit's compilation."""
    n, m = D.shape
    for i in range(n):
        for j in range(m):
            D[i, j] *= M[i, j]


@internal
def _column_sums(D, out):
    # Rows outer, columns inner: the inner loop vectorises, and the row order
    # of the additions is NumPy's for ``D.sum(axis=0)`` on a C array.
    for j in range(D.shape[1]):
        out[j] = D[0, j]
    for r in range(1, D.shape[0]):
        for j in range(D.shape[1]):
            out[j] += D[r, j]


@internal_skeleton
def backprop_(params, grads, layout, inp, batch, ws, spec, norm, drop, table):
    """Forward and backward pass over the batch, in training mode.

    Writes the raw gradient into ``grads``: ``A.T @ delta`` for each weight
    matrix, the column sums of delta for each bias, and the batch-norm scale
    gradients, without the L2 term and not yet divided by the weight sum.
    Returns the weighted data loss ``sum_i sw_i * loss_i``.  ``pres`` is the
    pre-activation workspace (the size of ``acts``) when a hidden layer's
    activation ``needs_preactivation``, else empty (the Python entry points
    check it: :func:`_check_workspace`).
    """
    units = layout[0]
    rows, Y, sw = batch
    acts, pres, deltas, act_offsets = ws
    hidden, loss_param = spec[0], spec[3]
    thresholds, masks = drop[0], drop[2]
    n = rows.shape[0]
    n_weights = units.shape[0] - 1
    product = dot_fn(table[DOT], params)
    column_sums = column_sums_fn(table[COLUMN_SUMS], params)
    multiply = multiply_fn(table[MULTIPLY], params)
    training = n >= 0  # True; a literal would make a signature of its own
    forward_fn(table[FORWARD], params)(
        params, layout, inp, batch, ws, spec, norm, drop, training, n_weights, table
    )
    P = block(acts, act_offsets, units, n_weights, n)
    D = block(deltas, act_offsets, units, n_weights, n)
    value = loss_fn(table[LOSS], params)(P, Y, sw, loss_param, D)
    for i in range(n_weights - 1, -1, -1):
        D = block(deltas, act_offsets, units, i + 1, n)
        g = intercept(grads, layout, i)
        column_sums(D, g)
        if i < n_weights - 1 and norm[0].shape[0] > 0:
            N = block(norm[3], act_offsets, units, i + 1, n)
            norm_backward_fn(table[NORM_BACKWARD], params)(params, grads, norm, i, sw, D, N, g)
        G = coef(grads, layout, i)
        if i > 0:
            product(block(acts, act_offsets, units, i, n), D, G, 1)
        elif inp[4]:
            sparse_tdot_fn(table[SPARSE_TDOT], params)(inp[1], inp[2], inp[3], rows, D, G)
        else:
            product(inp[0], D, G, 1)
        if i > 0:
            D_prev = block(deltas, act_offsets, units, i, n)
            product(D, coef(params, layout, i), D_prev, 2)
            # Layer i's output was dropped out: the gradient flows through the
            # kept units, scaled as they were, and f(z) is A / drop scale.
            a_scale = 1.0
            if thresholds.shape[0] > 0 and thresholds[i - 1] > 0:
                multiply(D_prev, block(masks, act_offsets, units, i, n))
                s = drop[1][i - 1]  # 1 / f(z)'s scale, in the model's precision
                a_scale = (
                    1.0 / s if table[ITEMSIZE] == 8 else float(np.float32(1.0) / np.float32(s))
                )
            code = hidden[i - 1]
            if code >= ELU:
                multiply(D_prev, block(pres, act_offsets, units, i, n))
            else:
                derivative_fn(table[DERIVATIVE], params)(
                    code, block(acts, act_offsets, units, i, n), D_prev, a_scale
                )
    return value


@internal
def _sum(v):
    total = 0.0
    for i in range(v.shape[0]):
        total += v[i]
    return total


@internal
def _finish_gradient(params, grads, n_coefs, alpha, l1_ratio, sw_sum):
    """Finish the raw gradient in ``grads`` as the optimizer step does (elastic net, weights)."""
    a2 = like(params, alpha * (1.0 - l1_ratio))
    a1 = like(params, alpha * l1_ratio)
    sw_ = like(params, sw_sum)
    for k in range(n_coefs):
        grads[k] = finished_gradient(grads, params, k, a2, a1, sw_)
    for k in range(n_coefs, params.shape[0]):
        grads[k] /= sw_


#: What a call of :func:`_run` does (its ``mode``).
EPOCH, PREDICT, LOSS_GRAD, BACKPROP_ONLY = range(4)


@skeleton
def _run(mode, depth, params, grads, opt, layout, inp, train, buffers, ws, spec, norm, drop, table):
    """The one skeleton Python calls: a training epoch, a prediction, or L-BFGS's loss and gradient.

    One entry rather than one per task: Numba compiles a wrapper that
    converts Python's arguments for each function Python calls, and for
    these packs of arrays that wrapper cost about as much as a task's body.
    Every call passes every pack (those a task does not use are empty
    arrays: :func:`_unused`); returns ``(value, count)``.

    - ``EPOCH``: one pass over the samples in ``order``: forward, backward
      and update per batch. ``train = (Y, sw, order)`` are the targets and
      weights of every sample and the order of this epoch; ``buffers = (Xb,
      Yb, swb, rows, nonfinite)``: the first four receive each batch (``Xb``
      is empty for CSR input, which is read through ``rows``), and
      ``nonfinite[0]`` is set to the number of NaN or infinite values of
      dense X and of Y met while gathering the batches (``partial_fit``'s
      fast path leaves that test to this pass over the data, which reads
      every value anyway). Returns ``(sum of batch loss * batch length, new
      optimizer step count)``.
    - ``PREDICT``: the activations of layer ``depth`` (``len(units) - 1``
      gives the outputs, one less the last hidden layer's activations: see
      :func:`forward`) for every row of ``inp`` into ``buffers``' ``Yb``,
      with the running statistics and no dropout. Rows go through in blocks
      of ``rows.shape[0]`` (``buffers``' ``rows``), whose activations fill
      ``ws``' ``acts`` (each layer's block at ``act_offsets``), so memory
      stays bounded for any number of rows (:func:`predict` sizes them).
    - ``LOSS_GRAD``: the loss of the batch ``(order, Y, sw)`` of ``train``
      at ``params`` and its gradient, written into ``grads``. The loss is the
      weighted mean data loss plus the penalty (``alpha / 2 * ||W||^2`` with
      ``l1_ratio=0``, as in scikit-learn; elastic net otherwise; ``alpha`` and
      ``l1_ratio`` from ``opt``), both divided by the weight sum. The gradient
      is finished and the penalty computed exactly as the optimizer step does.
      Used by L-BFGS, which evaluates the whole training set at once.
    - ``BACKPROP_ONLY``: :func:`backprop_` on that batch (the raw gradient,
      for the tests).
    """
    isz = table[ITEMSIZE]
    params, grads, opt, inp, train, buffers, ws, norm, drop = elements(
        (params, grads, opt, inp, train, buffers, ws, norm, drop), isz
    )
    solver, state, t, hyper, alpha = opt
    X, data, indices, indptr, sparse = inp
    Y, sw, order = train
    Xb, Yb, swb, rows, nonfinite = buffers
    if mode == PREDICT:
        acts, act_offsets = ws[0], ws[3]
        n = Yb.shape[0]
        size = rows.shape[0]
        none = row_range(acts, 0, 0)  # no backward pass: z is not kept
        pws = (acts, none, none, act_offsets)  # prediction's workspaces
        no_targets = row_range(Yb, 0, 0)
        training = n < 0  # False; a literal would make a signature of its own
        run_forward = forward_fn(table[FORWARD], params)
        copy_rows = copy_rows_fn(table[COPY_ROWS], params)
        for start in range(0, n, size):
            m = size if n - start > size else n - start
            for r in range(m):
                rows[r] = start + r
            Xd = X if sparse else row_range(X, start, m)
            block_inp = (Xd, data, indices, indptr, sparse)
            batch = (row_range(rows, 0, m), no_targets, none)
            run_forward(
                params, layout, block_inp, batch, pws, spec, norm, drop, training, depth, table
            )
            copy_rows(block(acts, act_offsets, layout[0], depth, m), Yb, start)
        return 0.0, t
    run = backprop_fn(table[BACKPROP], params)
    if mode != EPOCH:
        value = run(params, grads, layout, inp, (order, Y, sw), ws, spec, norm, drop, table)
        if mode == BACKPROP_ONLY:
            return value, t
        l1_ratio = hyper[L1_RATIO]
        sw_sum = sum_fn(table[SUM], params)(sw)
        finish_fn(table[FINISH], params)(params, grads, layout[3], alpha, l1_ratio, sw_sum)
        pen = penalty_fn(table[PENALTY], params)(params, layout[3], alpha, l1_ratio)
        return (value + pen) / sw_sum, t
    n_coefs = layout[3]
    step = step_fn(table[STEP], params)
    bad = 0
    batch_size = rows.shape[0]
    n_samples = order.shape[0]
    total = 0.0
    # The optimizer step returns the penalty at the updated coefficients, so
    # the regularisation part of each batch loss costs no extra pass.
    gather = gather_fn(table[GATHER], params)
    pen = 0.0
    if solver != ADAMW:
        pen = penalty_fn(table[PENALTY], params)(params, n_coefs, alpha, hyper[L1_RATIO])
    for start in range(0, n_samples, batch_size):
        n = batch_size if n_samples - start > batch_size else n_samples - start
        weight, bad_values = gather(X, Y, sw, order, start, n, sparse, Xb, Yb, swb, rows)
        bad += bad_values
        if weight == 0.0:
            continue  # a batch of zero-weight samples carries no gradient
        batch_inp = (row_range(Xb, 0, n), data, indices, indptr, sparse)
        batch = (row_range(rows, 0, n), row_range(Yb, 0, n), row_range(swb, 0, n))
        value = run(params, grads, layout, batch_inp, batch, ws, spec, norm, drop, table)
        total += (value + pen) / weight * n
        t += 1
        pen = step(params, grads, state, t, hyper, n_coefs, alpha, weight)
    nonfinite[0] = bad
    return total, t


@internal
def _gather(X, Y, sw, order, start, n, sparse, Xb, Yb, swb, rows):
    """Copy the batch ``order[start:start + n]`` into the batch buffers.

    Returns its weight sum and the number of NaN or infinite values met in
    dense X and in Y.
    """
    zero = like(Yb, 0.0)
    bad = 0  # v - v is 0 for a finite v, NaN for NaN and +-inf
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
    return weight, bad


# ------------------------------------------------------------------------
# The entry points: the plug table of a call's configuration, then the skeleton.

_tables = {}


def table(dtype, spec, sparse=False, norm=None, drop=None, solver=None, training=True):
    """The plug table of a configuration (:mod:`skmlp._engine.plugs`), made once per process.

    Fills the slots the skeletons call for this configuration, and only
    those: ``spec``'s activations and loss, the update of ``solver = (code,
    clip)`` (None: no update), batch normalisation when ``norm`` has scales, dropout when
    ``drop`` has rates, the sparse products for CSR input.

    The first table of a configuration in a process first compiles what the
    configuration's fits and predictions use and the disk cache lacks, in
    parallel processes when there is enough of it (:mod:`skmlp._engine.parallel`).
    """
    batch_norm = norm is not None and norm[0].shape[0] > 0
    dropout = drop is not None and drop[0].shape[0] > 0
    codes = tuple(int(c) for c in spec[0])
    solver = None if solver is None else (int(solver[0]), bool(solver[1]))
    key = (np.dtype(dtype).name, codes, int(spec[1]), int(spec[2]), bool(sparse))
    key += (batch_norm, dropout, solver, bool(training))
    found = _tables.get(key)
    if found is None:
        configurations = [key] if not training else [key, _prediction(key)]
        _parallel.compile_jobs(jobs(configurations), configurations)
        found = _plugs.make_table(dtype, _kernels(key))
        _tables[key] = found
    return found


def _prediction(key):
    """The configuration that predicts with the model a configuration ``key`` trains."""
    return (*key[:5], key[5], False, None, False)


def hidden_kernels(codes, backward):
    """``{slot: kernel}`` of the hidden activations ``codes``, for a forward pass
    and, with ``backward``, for a backward pass after it.

    The slopes of the activations computed from the pre-activation are kept
    by the forward pass (``ACTIVATE_SLOPE``) and multiplied in
    (``MULTIPLY``); the others' derivatives come from their output
    (``DERIVATIVE``). A user-defined activation unknown to this process (a
    compile helper) leaves its slots out.
    """
    kernels = {}
    mixed = len(set(codes)) > 1
    found = _activations.kernels_of(ANY if mixed else codes[0]) if codes else None
    if found is not None:
        activate, activate_slope, derivative = found
        kernels[ACTIVATE] = activate
        if backward:
            if mixed or codes[0] >= ELU:
                kernels[ACTIVATE_SLOPE] = activate_slope
            if mixed or codes[0] < ELU:
                kernels[DERIVATIVE] = derivative
    if backward and any(code >= ELU for code in codes):
        kernels[MULTIPLY] = _multiply
    return kernels


def _kernels(key):
    """``{slot: kernel}``: what the table of configuration ``key`` holds (see :func:`table`)."""
    _, codes, out_act, loss, sparse, batch_norm, dropout, solver, training = key
    kernels = {OUTPUT: _activations.KERNELS[out_act][0], FORWARD: forward, DOT: dot}
    kernels.update(hidden_kernels(codes, backward=training))
    if training:
        kernels[BACKPROP] = backprop_
        loss_kernel = _losses.kernel_of(loss)
        if loss_kernel is not None:
            kernels[LOSS] = loss_kernel
        kernels[COLUMN_SUMS] = _column_sums
        kernels[PENALTY] = penalty_
        if dropout:
            kernels[MULTIPLY] = _multiply
        if solver is None:  # the full-batch loss of L-BFGS (and backprop)
            kernels[SUM] = _sum
            kernels[FINISH] = _finish_gradient
    else:
        kernels[COPY_ROWS] = _copy_rows
    if solver is not None:
        kernels[STEP] = _optimizers.KERNELS[solver]
        kernels[GATHER] = _gather
    if batch_norm:
        kernels[NORM] = normalize
        if training:
            kernels[NORM_BACKWARD] = normalize_backward
    if dropout and training:
        kernels[DROPOUT] = _dropout.apply_dropout_
    if sparse:
        kernels[SPARSE_DOT] = sparse_dot
        if training:
            kernels[SPARSE_TDOT] = sparse_tdot
    return kernels


# The order in which processes take the kernels of a configuration
# (:mod:`skmlp._engine.parallel`): the longest compilations first, so that
# the last one to start is a short one.
_FIRST = (BACKPROP, FORWARD, STEP, ACTIVATE_SLOPE, NORM, NORM_BACKWARD, LOSS, DERIVATIVE)
#: The slots of the hidden activations' kernels (claimed together: :func:`jobs`).
_HIDDEN_SLOTS = (ACTIVATE, ACTIVATE_SLOPE, DERIVATIVE)


def jobs(configurations):
    """Every compilation the tables of ``configurations`` need (keys of :func:`table`).

    The skeleton Python calls (:func:`_run`, for its one signature) first,
    then each plugged kernel once, the longest first, and the kernels of
    user-defined functions (:mod:`skmlp._engine.user`) last. The helpers of
    :mod:`skmlp._engine.parallel` rebuild the list; they do not know the
    user's functions and leave those out, so the lists agree on every job
    before them (the process that knows them compiles them).
    """
    found = [_parallel.Job(_run, None, None, _plugs.run_arguments(), weight=4)]
    users = []  # the kernels of user-defined functions: last (helpers do not know them)
    seen = set()
    for key in configurations:
        dtype = np.dtype(key[0])
        kernels = _kernels(key)
        order = sorted(kernels, key=lambda s: _FIRST.index(s) if s in _FIRST else len(_FIRST))
        for slot in order:
            kernel = kernels[slot]
            kernel_dtype = _plugs.OPAQUE if slot in _plugs.SKELETONS else dtype
            if (kernel, slot, kernel_dtype) not in seen:
                seen.add((kernel, slot, kernel_dtype))
                signature = _plugs.signature(slot, kernel_dtype)
                weight = 2 if slot in _plugs.SKELETONS else 1
                # A hidden activation's kernels (prediction's and training's)
                # call the same element functions: one process compiles them.
                user = _user.is_kernel(kernel)
                hidden = slot in _HIDDEN_SLOTS and not user
                affinity = ("hidden", key[0], key[1]) if hidden else None
                job = _parallel.Job(kernel, slot, kernel_dtype, signature, weight, affinity)
                (users if user else found).append(job)
    return found + users


def _bytes(a):
    """``a`` (an array of the model's dtype) as the skeletons take it: its bytes."""
    return a.view(np.uint8)


def _opaque(pack, positions):
    """``pack`` with its members at ``positions`` (arrays of the model's dtype) as bytes.

    The skeletons take every array of the model's dtype as bytes and compile
    once for both dtypes (:mod:`skmlp._engine.views`); the positions are
    those of the packs described at the top of this module (``drop``'s
    scales and ``opt``'s hyper-parameters are float64 in either dtype).
    """
    return tuple(_bytes(v) if k in positions else v for k, v in enumerate(pack))


_INP, _WS, _NORM, _DROP = (0, 1), (0, 1, 2), (1, 2, 3), (2,)


def _check_workspace(spec, ws):
    """ValueError if a hidden activation needs the pre-activation workspace and ``ws`` has none."""
    acts, pres = ws[0], ws[1]
    if pres.shape[0] < acts.shape[0]:
        for code in spec[0]:
            if code >= ELU:
                raise ValueError("this hidden activation needs a pre-activation workspace")


_UNUSED = {}


def _unused(dtype):
    """Empty packs for what a call of :func:`_run` does not use, as it takes them.

    ``(grads, opt, train, buffers)``, the model's arrays already bytes; made
    once per dtype.
    """
    found = _UNUSED.get(dtype)
    if found is None:
        matrix, vector = _bytes(np.empty((0, 0), dtype)), _bytes(np.empty(0, dtype))
        ints = np.empty(0, dtype=np.int64)
        opt = (0, matrix, 0, np.zeros(MAX_GRAD_NORM + 1), 0.0)
        found = (vector, opt, (matrix, vector, ints), (matrix, matrix, vector, ints, ints))
        _UNUSED[dtype] = found
    return found


def blocks(params, layout, inp, max_workspace):
    """What the passes over every row of ``inp`` in blocks share.

    Returns ``(params, n, size, act_offsets, total)``: ``params`` writeable
    (a read-only copy, from a memory map, is copied: prediction does not
    write it, but the plugged kernels are compiled for writeable arrays
    only), the number of rows, the rows per block whose activations fit in
    ``max_workspace`` elements, where each layer's block starts in a
    workspace, and that workspace's size.
    """
    if not params.flags.writeable:
        params = params.copy()
    units = layout[0]
    X, _, _, indptr, sparse = inp
    n = indptr.shape[0] - 1 if sparse else X.shape[0]
    size = max(1, min(n, max_workspace // int(units[1:].sum())))
    act_offsets = np.zeros(units.shape[0], dtype=np.int64)
    act_offsets[2:] = np.cumsum(size * units[1:-1])
    return params, n, size, act_offsets, int(act_offsets[-1] + size * units[-1])


def predict(params, layout, inp, max_workspace, spec, norm, drop, depth):
    """Activations of layer ``depth`` for every row of ``inp`` (see :func:`_run`'s ``PREDICT``).

    Rows go through in blocks whose activations fit in ``max_workspace``
    elements.
    """
    params, n, block, act_offsets, total = blocks(params, layout, inp, max_workspace)
    acts = _bytes(np.empty(total, dtype=params.dtype))
    rows = np.empty(block, dtype=np.int64)
    out = np.empty((n, layout[0][depth]), dtype=params.dtype)
    plugged = table(params.dtype, spec, inp[4], norm, None, None, training=False)
    grads, opt, train, unused = _unused(params.dtype)
    buffers = (unused[0], _bytes(out), unused[2], rows, unused[4])
    _run(
        PREDICT, depth, _bytes(params), grads, opt, layout, _opaque(inp, _INP), train, buffers,
        (acts, acts, acts, act_offsets), spec, _opaque(norm, _NORM), _opaque(drop, _DROP), plugged,
    )  # fmt: skip
    return out


def _full_batch(mode, params, grads, layout, inp, batch, ws, spec, norm, drop, alpha, l1_ratio):
    """:func:`_run` on one batch (``LOSS_GRAD`` or ``BACKPROP_ONLY``)."""
    _check_workspace(spec, ws)
    plugged = table(params.dtype, spec, inp[4], norm, drop)
    _, opt, _, buffers = _unused(params.dtype)
    hyper = np.zeros(MAX_GRAD_NORM + 1)
    hyper[L1_RATIO] = l1_ratio
    rows, Y, sw = batch
    value, _ = _run(
        mode, 0, _bytes(params), _bytes(grads), (0, opt[1], 0, hyper, float(alpha)), layout,
        _opaque(inp, _INP), (_bytes(Y), _bytes(sw), rows), buffers, _opaque(ws, _WS), spec,
        _opaque(norm, _NORM), _opaque(drop, _DROP), plugged,
    )  # fmt: skip
    return value


def backprop(params, grads, layout, inp, batch, ws, spec, norm, drop):
    """Weighted data loss of the batch; its raw gradient into ``grads`` (see :func:`backprop_`)."""
    return _full_batch(BACKPROP_ONLY, params, grads, layout, inp, batch, ws, spec, norm, drop, 0, 0)


def loss_grad(params, grads, layout, inp, batch, ws, spec, norm, drop, alpha, l1_ratio):
    """Regularised mean loss of the batch; its gradient into ``grads`` (see :func:`_run`)."""
    return _full_batch(
        LOSS_GRAD, params, grads, layout, inp, batch, ws, spec, norm, drop, alpha, l1_ratio
    )


def run_epoch(params, grads, opt, layout, inp, train, buffers, ws, spec, norm, drop):
    """One training epoch over ``order`` (see :func:`_run`'s ``EPOCH``)."""
    _check_workspace(spec, ws)
    solver = (int(opt[0]), math.isfinite(opt[3][MAX_GRAD_NORM]))
    plugged = table(params.dtype, spec, inp[4], norm, drop, solver)
    return _run(
        EPOCH, 0, _bytes(params), _bytes(grads), _opaque(opt, (1,)), layout, _opaque(inp, _INP),
        _opaque(train, (0, 1)), _opaque(buffers, (0, 1, 2)), _opaque(ws, _WS), spec,
        _opaque(norm, _NORM), _opaque(drop, _DROP), plugged,
    )  # fmt: skip
