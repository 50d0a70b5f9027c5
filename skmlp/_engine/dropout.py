"""Inverted dropout inside the compiled epoch, from counter-based hashes.

Every mask entry is a hash of (epoch seed, sample key, layer, unit), mixed by
SplitMix64's output function, so no generator state is carried from one entry
to the next: entries are computed independently, the same on every thread and
platform, and the generator's whole state is the array ``rng = [seed, epoch]``.
The estimator draws ``seed`` once per fit from its ``random_state`` (so a fixed
``random_state`` gives the same masks) and counts the epochs.

The sample key is a hash of the sample's content (its non-zero features and
its target), not of its position.  Two identical rows thus get the same mask
in an epoch, whichever batch, order or representation (dense or CSR) they come
in, which keeps scikit-learn's meaning of ``sample_weight``: an integer weight
is the same as repeating the row, with dropout too.

A unit is kept when its 64-bit hash is at least ``threshold = rate * 2**64``
(probability ``1 - rate``) and then scaled by ``1 / (1 - rate)``, so that the
expected activation is unchanged and prediction needs no rescaling.
"""

import numpy as np

from .jit import internal, kernel, like

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_START = np.uint64(0x243F6A8885A308D3)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)


def thresholds(rates):
    """The uint64 keep-thresholds of dropout ``rates`` (0 for a rate of 0)."""
    return np.array([min(int(r * 2.0**64), 2**64 - 1) for r in rates], dtype=np.uint64)


def bits(a):
    """The bit patterns of a float array, as unsigned integers of the same width."""
    return a.view(np.uint64 if a.dtype.itemsize == 8 else np.uint32)


@kernel(inline="always")
def _hash(x):
    """SplitMix64's output function: a bijective mix of all 64 bits."""
    z = x
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@kernel(inline="always")
def _absorb(h, position, value_bits):
    return _hash(h ^ (np.uint64(position) * _GOLDEN + np.uint64(value_bits)))


def _absorb_into(h, position, value_bits, where=True):
    """``h = _absorb(h, position, value_bits)`` on uint64 arrays, in place, where ``where``.

    NumPy's uint64 arithmetic wraps as the kernel's does. ``value_bits`` (a
    uint64 array the size of ``h``) is overwritten.
    """
    z = value_bits
    z += np.asarray(position, dtype=np.uint64) * _GOLDEN
    z ^= h
    z ^= z >> _S30
    z *= _MIX_1
    z ^= z >> _S27
    z *= _MIX_2
    z ^= z >> _S31
    np.copyto(h, z, where=where)


#: Rows per block of :func:`row_keys` on dense input: a block's columns stay in cache.
_BLOCK = 4096


def row_keys(inp, Y):
    """The key of every row of ``inp`` (an ``EngineInput``) with its target row in ``Y``.

    A hash of the row's non-zero features (position and bits) and of its
    target, absorbed in the order of the positions. Zeros (either sign) are
    skipped, so a dense row and its CSR form, with or without explicit
    zeros, get the same key. Computed once per fit with NumPy, every row at
    once (by blocks of rows for dense input): one step per column, or per
    stored entry of the longest CSR row, rather than a compiled kernel whose
    first compilation would cost more than all the fits of a session spend
    here.
    """
    n_features = inp.dense.shape[1]
    keys = np.full(inp.n_samples, _START, dtype=np.uint64)
    with np.errstate(over="ignore"):
        if inp.sparse:
            data_bits = bits(inp.data)
            lengths = np.diff(inp.indptr)
            for k in range(int(lengths.max(initial=0))):
                rows = np.flatnonzero(lengths > k)
                at = inp.indptr[rows] + k
                stored = inp.data[at] != 0
                rows, at = rows[stored], at[stored]
                h = keys[rows]
                _absorb_into(h, inp.indices[at], data_bits[at].astype(np.uint64))
                keys[rows] = h
        else:
            for start in range(0, inp.n_samples, _BLOCK):
                block = inp.dense[start : start + _BLOCK]
                # Columns contiguous: one row of this array per feature.
                columns = np.ascontiguousarray(bits(block).T, dtype=np.uint64)
                nonzero = np.ascontiguousarray(block.T != 0)
                h = keys[start : start + _BLOCK]
                for j in range(n_features):
                    _absorb_into(h, j, columns[j], nonzero[j])
        Y_bits = bits(np.ascontiguousarray(Y))
        for j in range(Y.shape[1]):
            _absorb_into(keys, n_features + j, Y_bits[:, j].astype(np.uint64))
    return keys


@internal
def apply_dropout_(A, M, threshold, scale, rng, keys, rows, layer):
    """Draw the mask ``M`` (0 or ``scale``) of hidden layer ``layer``; ``A *= M``.

    Row ``r`` of ``A`` is sample ``rows[r]``, whose mask is determined by its
    key, the layer and ``rng = [seed, epoch]``.
    """
    n, m = A.shape
    zero = like(A, 0.0)
    keep = like(A, scale)
    epoch_seed = _hash(rng[0] + rng[1] * _GOLDEN)
    salt = np.uint64(layer) << _S32
    for i in range(n):
        base = _hash(epoch_seed ^ keys[rows[i]]) + salt
        for j in range(m):
            draw = _hash(base + np.uint64(j) * _GOLDEN)
            mask = keep if draw >= threshold else zero
            M[i, j] = mask
            A[i, j] *= mask


@kernel
def apply_dropout(A, M, threshold, scale, rng, keys, rows, layer):
    """:func:`apply_dropout_` (the plugged kernel, which has no Python wrapper), from Python."""
    apply_dropout_(A, M, threshold, scale, rng, keys, rows, layer)
