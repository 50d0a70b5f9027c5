"""What the compiled kernels take: the input, the workspaces and the option packs.

The kernels of :mod:`skmlp._engine.network` take plain arrays. This module turns an
estimator's data and fitted state into them: :class:`EngineInput` (X as a
dense C array or CSR arrays), the pre-activation workspace, the batch
normalisation and dropout packs (``norm`` and ``drop``, see
:mod:`skmlp._engine.network`), and :class:`Batch`, which holds all of them for one
full batch (what L-BFGS and the gradient tests evaluate).
"""

import weakref

import numpy as np
import scipy.sparse as sp

from . import batch_norm as _batch_norm
from . import dropout as _dropout
from . import network as _engine
from .activations import needs_preactivation

# Placeholders for the representation a kernel call does not use; the
# kernels never write to them.
_NO_INDICES = np.empty(0, dtype=np.int64)
_NO_INDPTR = np.zeros(1, dtype=np.int64)
NO_DATA = {np.dtype(t): np.empty(0, dtype=t) for t in (np.float32, np.float64)}
# Dropout off (prediction, L-BFGS, rate 0): the pack of empty arrays.
_NO_KEYS = np.empty(0, np.uint64)
NO_DROPOUT = {
    dtype: (_NO_KEYS, np.empty(0), data, _NO_KEYS, np.zeros(2, np.uint64))
    for dtype, data in NO_DATA.items()
}


# Scratch arrays kept from one ``partial_fit`` call to the next of the same
# estimator (a stream calls it once per chunk), so that a call allocates (and
# page-faults) nothing when the shapes did not change. They live here, not on
# the estimator: they are never pickled, cloned, deep-copied or compared as
# fitted state, and go away with the estimator.
_KEPT = weakref.WeakKeyDictionary()


def kept(est, key, make):
    """``make()``, or what it returned for ``est`` on an earlier call with an equal ``key``.

    Only for arrays whose contents do not matter between calls (workspaces,
    checkpoint copies): the caller overwrites them before reading them.
    """
    try:
        held = _KEPT.get(est)
    except TypeError:  # a subclass that made its instances unhashable
        return make()
    if held is None or held[0] != key:
        held = (key, make())
        _KEPT[est] = held
    return held[1]


def usable(params):
    """False for weights that are non-finite or whose squared norm overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(params @ params))


def preactivation_workspace(layout, rows, hidden, dtype):
    """The pre-activation workspace of ``rows`` samples (layout of the activations).

    ``hidden`` is the hidden layers' activation code, or an array of one code
    per hidden layer. Only networks with a hidden layer whose activation's
    derivative needs the pre-activation (``PREACTIVATION_CODES``) use it: the
    training forward pass computes ``z`` there and leaves the slopes
    ``f'(z)`` for the backward pass. For the others it is empty.
    """
    needed = any(needs_preactivation(int(code)) for code in np.atleast_1d(hidden))
    used = needed and len(layout.units) > 2
    return np.empty(layout.workspace_size(rows) if used else 0, dtype=dtype)


def workspaces(layout, rows, hidden, dtype, pres=None):
    """The ``ws`` pack for batches of ``rows`` samples: ``(acts, pres, deltas, act_offsets)``.

    ``pres`` replaces the pre-activation workspace (tests of its handling).
    """
    acts = np.empty(layout.workspace_size(rows), dtype=dtype)
    if pres is None:
        pres = preactivation_workspace(layout, rows, hidden, dtype)
    return acts, pres, np.empty_like(acts), layout.act_offsets(rows)


class EngineInput:
    """X in the form the kernels take: dense C array or CSR arrays, the other empty."""

    __slots__ = ("dense", "data", "indices", "indptr", "sparse", "n_samples")

    def __init__(self, X, dtype):
        dtype = np.dtype(dtype)
        self.sparse = sp.issparse(X)
        self.n_samples = X.shape[0]
        if self.sparse:
            X = sp.csr_matrix(X, dtype=dtype)
            self.dense = np.empty((0, X.shape[1]), dtype=dtype)
            self.data = np.ascontiguousarray(X.data, dtype=dtype)
            self.indices = np.ascontiguousarray(X.indices, dtype=np.int64)
            self.indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
        else:
            # Kernels read X only, but a writeable C array keeps a single
            # compiled specialisation (read-only arrays are a distinct type).
            if not (X.dtype == dtype and X.flags.c_contiguous and X.flags.writeable):
                X = np.require(X, dtype=dtype, requirements=["C", "W"])
            self.dense = X
            self.data = NO_DATA[dtype]
            self.indices = _NO_INDICES
            self.indptr = _NO_INDPTR

    @property
    def pack(self):
        """The ``inp`` pack of the kernels: ``(X, data, indices, indptr, sparse)``."""
        return self.dense, self.data, self.indices, self.indptr, self.sparse


def norm_pack(layout, running, rows, training):
    """The ``norm`` tuple of the kernels (see :mod:`skmlp._engine.network`).

    Training packs workspaces for ``rows`` samples; prediction needs only
    the scales' offsets and the running statistics ``running``.
    """
    dtype = running.dtype
    if training and layout.batch_norm:
        stats = np.empty(2 * layout.n_normalized, dtype)
        norms = np.empty(layout.workspace_size(rows), dtype)
    else:  # never touched
        stats = norms = NO_DATA[dtype]
    if not running.flags.writeable:
        # Loaded read-only (a memory map): prediction does not write it, but
        # the kernel's type must allow the training branch to.
        running = running.copy()
    return (
        layout.scale_offsets,
        running,
        stats,
        norms,
        _batch_norm.MOMENTUM,
        _batch_norm.EPSILON,
    )


def drop_pack(layout, dtype, rows, rates, inp, Y):
    """The ``drop`` tuple of the kernels: ``rows`` samples per batch of ``inp``, ``Y``."""
    dtype = np.dtype(dtype)
    if len(layout.units) < 3 or not any(rates):
        return NO_DROPOUT[dtype]
    keys = _dropout.row_keys(inp, Y)
    return (
        _dropout.thresholds(rates),
        np.array([1.0 / (1.0 - r) for r in rates]),
        np.empty(layout.workspace_size(rows), dtype),
        keys,
        np.zeros(2, np.uint64),
    )


class Batch:
    """All rows of ``X`` as one batch, with its workspaces, for the training kernels.

    :meth:`loss_grad` is what L-BFGS minimises; :meth:`backprop` is the raw
    data-loss gradient.  Both run in training mode (batch statistics, and the
    dropout masks of ``dropout_rates`` under the generator ``drop[4]``).
    ``pres`` replaces the pre-activation workspace (tests of its handling).
    """

    def __init__(self, est, X, Y, sample_weight, *, dropout_rates=(), pres=None):
        layout = est._layout
        dtype = est._params.dtype
        self.layout = layout
        self.inp = EngineInput(X, dtype)
        self.n = n = self.inp.n_samples
        # Writeable copies of read-only input (a memory map): the kernels
        # are compiled for writeable arrays only.
        self.Y = np.require(np.reshape(Y, (n, -1)), dtype, ["C", "W"])
        self.sw = np.require(sample_weight, dtype, ["C", "W"])
        self.spec = est._spec(dtype)
        self.ws = workspaces(layout, n, self.spec[0], dtype, pres)
        self.batch = (np.arange(n, dtype=np.int64), self.Y, self.sw)
        self.norm = norm_pack(layout, est._running, n, training=True)
        self.drop = drop_pack(layout, dtype, n, dropout_rates, self.inp, self.Y)

    def _packs(self):
        return self.layout.pack, self.inp.pack, self.batch, self.ws, self.spec, self.norm, self.drop

    def loss_grad(self, params, grads, alpha, l1_ratio):
        """(Data loss + penalty) / weight sum; its finished gradient into ``grads``."""
        return _engine.loss_grad(params, grads, *self._packs(), alpha, l1_ratio)

    def backprop(self, params, grads):
        """Weighted data loss; the raw gradient (no penalty, not divided) into ``grads``."""
        return _engine.backprop(params, grads, *self._packs())
