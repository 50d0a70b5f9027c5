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


@kernel
def row_keys(X, X_bits, data, data_bits, indices, indptr, sparse, Y, Y_bits, keys):
    """``keys[r]``: a hash of row r's non-zero features (position and bits) and target.

    Zeros (either sign) are skipped, so a dense row and its CSR form, with or
    without explicit zeros, get the same key.
    """
    n_features = X.shape[1]
    for r in range(keys.shape[0]):
        h = _START
        if sparse:
            for k in range(indptr[r], indptr[r + 1]):
                if data[k] != 0:
                    h = _absorb(h, indices[k], data_bits[k])
        else:
            for j in range(n_features):
                if X[r, j] != 0:
                    h = _absorb(h, j, X_bits[r, j])
        for j in range(Y.shape[1]):
            h = _absorb(h, n_features + j, Y_bits[r, j])
        keys[r] = h


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
