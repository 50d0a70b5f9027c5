"""The gradient of one network output with respect to the input, for attributions.

:func:`gradients` runs the forward pass of a block of rows in prediction mode
(running statistics of batch normalisation, no dropout), keeping what the
backward pass needs (the activations, and the slopes of the activations
computed from the pre-activation), then goes back through the layers from
the chosen output to the input: the same plugged kernels as training (the
products, the activations' derivatives), plus two of its own, the output's
seed and the way back through a normalisation with the running statistics.

It is a skeleton of its own (:func:`gradients_`), called from Python, so a
fit never compiles it: the first attribution in a process compiles it once for
both dtypes (:mod:`skmlp._engine.views`), with the kernels its configuration
adds.
"""

import numpy as np

from . import network as _network
from . import plugs as _plugs
from .activations import ELU, EXP, LOGISTIC, SOFTMAX, needs_preactivation
from .jit import internal, like, skeleton
from .plugs import (
    DERIVATIVE,
    DOT,
    FORWARD,
    ITEMSIZE,
    MULTIPLY,
    NORM_INFER_BACKWARD,
    SEED,
    derivative_fn,
    dot_fn,
    forward_fn,
    multiply_fn,
    norm_infer_backward_fn,
    seed_fn,
)
from .views import block, coef, elements, row_range, vector


@internal
def _seed(code, P, k, sign, D):
    """``D = sign * d P[:, k] / d z``: the gradient of output ``k`` with respect to
    the output pre-activations ``z``, from the outputs ``P`` of activation ``code``."""
    n, m = P.shape
    zero = like(P, 0.0)
    one = like(P, 1.0)
    s = like(P, sign)
    for i in range(n):
        for j in range(m):
            D[i, j] = zero
        p = P[i, k]
        if code == SOFTMAX:  # d p_k / d z_j = p_k (delta_kj - p_j)
            for j in range(m):
                D[i, j] = -s * p * P[i, j]
            D[i, k] += s * p
        elif code == LOGISTIC:
            D[i, k] = s * p * (one - p)
        elif code == EXP:
            D[i, k] = s * p
        else:  # identity
            D[i, k] = s


@internal
def _norm_infer_backward(params, norm, i, D):
    """``D *= scale / sqrt(running_var + eps)``: back through hidden layer ``i``'s
    batch normalisation as prediction applies it (an affine map per unit)."""
    scale_offsets, running, eps = norm[0], norm[1], norm[5]
    n, u = D.shape
    n_norm = running.shape[0] // 2
    start = scale_offsets[i]
    scale = vector(params, start, u)
    var = vector(running, n_norm + start - scale_offsets[0], u)
    eps_ = like(D, eps)
    for r in range(n):
        for j in range(u):
            D[r, j] *= scale[j] / np.sqrt(var[j] + eps_)


@skeleton
def gradients_(params, layout, inp, rows, ws, spec, norm, drop, table, k, sign, out):
    """``out = sign * d outputs[:, k] / d X`` for the rows ``rows`` of ``inp``.

    ``out`` has one row per entry of ``rows`` and one column per feature;
    dense input is the block itself (``rows`` is then ``0 .. n - 1``), CSR
    input is read through ``rows``. ``ws = (acts, pres, deltas,
    act_offsets)``, ``pres`` the size of ``acts`` when a hidden activation
    is computed from the pre-activation, else empty.
    """
    isz = table[ITEMSIZE]
    params, inp, ws, norm, drop, out = elements((params, inp, ws, norm, drop, out), isz)
    units = layout[0]
    acts, pres, deltas, act_offsets = ws
    hidden, out_act = spec[0], spec[1]
    n = rows.shape[0]
    n_weights = units.shape[0] - 1
    none = row_range(acts, 0, 0)
    batch = (rows, row_range(out, 0, 0), none)
    training = n < 0  # False; a literal would make a signature of its own
    forward_fn(table[FORWARD], params)(
        params, layout, inp, batch, ws, spec, norm, drop, training, n_weights, table
    )
    P = block(acts, act_offsets, units, n_weights, n)
    seed_fn(table[SEED], params)(
        out_act, P, k, sign, block(deltas, act_offsets, units, n_weights, n)
    )
    product = dot_fn(table[DOT], params)
    for i in range(n_weights - 1, -1, -1):
        D = block(deltas, act_offsets, units, i + 1, n)
        if i < n_weights - 1 and norm[0].shape[0] > 0:
            norm_infer_backward_fn(table[NORM_INFER_BACKWARD], params)(params, norm, i, D)
        W = coef(params, layout, i)
        if i == 0:
            product(D, W, out, 2)
        else:
            D_prev = block(deltas, act_offsets, units, i, n)
            product(D, W, D_prev, 2)
            code = hidden[i - 1]
            if code >= ELU:
                multiply_fn(table[MULTIPLY], params)(D_prev, block(pres, act_offsets, units, i, n))
            else:
                derivative_fn(table[DERIVATIVE], params)(
                    code, block(acts, act_offsets, units, i, n), D_prev, 1.0
                )


_tables = {}


def _table(dtype, spec, sparse, norm):
    """The plug table of the gradients of a configuration, made once per process."""
    codes = tuple(int(c) for c in spec[0])
    batch_norm = norm[0].shape[0] > 0
    key = (np.dtype(dtype).name, codes, int(spec[1]), int(spec[2]), bool(sparse), batch_norm)
    found = _tables.get(key)
    if found is None:
        kernels = _network._kernels((*key, False, None, False))
        kernels.update(_network.hidden_kernels(codes, backward=True))
        kernels[SEED] = _seed
        if batch_norm:
            kernels[NORM_INFER_BACKWARD] = _norm_infer_backward
        found = _plugs.make_table(dtype, kernels)
        _tables[key] = found
    return found


def gradients(params, layout, inp, spec, norm, drop, k, sign, max_workspace):
    """``sign * d outputs[:, k] / d X`` for every row of ``inp`` (an ``EngineInput`` pack).

    Rows go through in blocks whose workspaces fit in ``max_workspace``
    elements; returns an ``(n_samples, n_features)`` array of the model's dtype.
    """
    params, n, size, act_offsets, total = _network.blocks(params, layout, inp, max_workspace)
    dtype = params.dtype
    X, sparse = inp[0], inp[4]
    out = np.empty((n, int(layout[0][0])), dtype=dtype)
    if n == 0:
        return out
    acts, deltas = np.empty(total, dtype), np.empty(total, dtype)
    keep = any(needs_preactivation(int(code)) for code in spec[0])
    pres = np.empty(total if keep else 0, dtype)
    ws = _network._opaque((acts, pres, deltas, act_offsets), _network._WS)
    plugged = _table(dtype, spec, sparse, norm)
    raw = _network._bytes(params)
    norm_, drop = _network._opaque(norm, _network._NORM), _network._opaque(drop, _network._DROP)
    for start in range(0, n, size):
        m = min(size, n - start)
        rows = np.arange(start, start + m, dtype=np.int64) if sparse else np.arange(m)
        block_inp = inp if sparse else (X[start : start + m], *inp[1:])
        gradients_(
            raw, layout, _network._opaque(block_inp, _network._INP), rows, ws, spec, norm_,
            drop, plugged, int(k), float(sign), _network._bytes(out[start : start + m]),
        )  # fmt: skip
    return out
