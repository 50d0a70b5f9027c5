"""The one-time compilation of the kernels: telling the user, and doing it ahead.

The kernels are compiled by Numba the first time a process needs them for a
dtype, then stored on disk (``cache=True``), so later processes load them in
a fraction of a second. Where the package directory is not writable (a
read-only install, a system site-packages), Numba stores them in the user's
cache directory instead (``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba``), or
in ``NUMBA_CACHE_DIR`` when that is set.

:func:`announce` logs once per process, kernel and dtype that a compilation
is about to run, so a first fit that takes many seconds says why.
:func:`precompile` compiles (or loads) everything a fit and a prediction use,
ahead of time: run ``python -m skmlp --precompile`` when building a Docker
image or preparing a cluster node.
"""

import logging
import time
import warnings

import numba
import numpy as np

logger = logging.getLogger("skmlp")

_checked = set()  # (kernel, dtype) pairs already looked at
_announced = set()  # dtypes whose compilation was announced
_quiet = []  # non-empty while precompile runs: it says what it does itself


def _is_compiled(dispatcher, dtype):
    """Whether ``dispatcher`` has code for ``dtype`` in memory or in its disk cache.

    The kernels' first argument is the parameter buffer, whose dtype selects
    the specialisation. The disk check reads Numba's cache index (an internal
    format): if it cannot be read, the answer is True, so that nothing is
    announced rather than something false.
    """
    try:
        dtype = numba.from_dtype(dtype)
        if any(sig[0].dtype == dtype for sig in dispatcher.overloads):
            return True
        cache = dispatcher._cache
        index = cache._cache_file._load_index()
        codegen = dispatcher.targetctx.codegen()
        return any(
            key[0][0].dtype == dtype and key == cache._index_key(key[0], codegen) for key in index
        )
    except Exception:  # a Numba version whose internals differ, or not a dispatcher
        return True


def announce(dtype, *dispatchers):
    """Log one notice if any of ``dispatchers`` is about to be compiled for ``dtype``.

    Each kernel and dtype is checked once per process; after that this costs
    a set look-up per kernel.
    """
    dtype = np.dtype(dtype)
    pending = [d for d in dispatchers if (d, dtype) not in _checked]
    if not pending:
        return
    _checked.update((d, dtype) for d in pending)
    if _quiet or dtype in _announced or all(_is_compiled(d, dtype) for d in pending):
        return
    _announced.add(dtype)
    logger.warning(
        "skmlp is compiling its kernels for %s input, once: this takes a few "
        "seconds to half a minute, then the compiled code is cached on disk "
        "and later processes load it. `python -m skmlp --precompile` compiles "
        "ahead of time.",
        dtype.name,
    )


def precompile(dtypes=("float64", "float32"), *, lbfgs=True):
    """Compile (or load from the disk cache) every kernel a fit and a prediction use.

    Fits and predicts with tiny networks, so that the first real fit in this
    process, and in every later process that shares the kernel cache, starts
    at once. One specialisation per dtype serves every configuration
    (activations, solvers, losses, batch norm, dropout, dense and sparse
    input), so this covers them all.

    Parameters
    ----------
    dtypes : tuple of {"float64", "float32"}, default=("float64", "float32")
        The input dtypes to compile for (float32 input trains in float32).

    lbfgs : bool, default=True
        Also compile the full-batch evaluation of ``solver='lbfgs'``.

    Returns
    -------
    seconds : dict
        The time each step took, keyed by a description such as
        ``"float64 stochastic fit + predict"``.

    Examples
    --------
    >>> import skmlp
    >>> seconds = skmlp.precompile(dtypes=("float64",), lbfgs=False)
    >>> sorted(seconds)
    ['float64 stochastic fit + predict']
    """
    from ._classifier import MLPClassifier

    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 3))
    y = np.arange(20) % 2
    # Early stopping and dropout reach the kernels that such fits call from
    # Python (the validation loss, the dropout keys).
    configs = {"stochastic": dict(early_stopping=True, dropout=0.1)}
    if lbfgs:
        configs["lbfgs"] = dict(solver="lbfgs")
    seconds = {}
    _quiet.append(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for dtype in map(np.dtype, dtypes):
                for kind, options in configs.items():
                    start = time.perf_counter()
                    model = MLPClassifier((2,), max_iter=1, random_state=0, **options)
                    model.fit(X.astype(dtype), y).predict(X.astype(dtype))
                    seconds[f"{dtype.name} {kind} fit + predict"] = time.perf_counter() - start
    finally:
        _quiet.pop()
    return seconds
