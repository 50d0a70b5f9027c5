"""The kernels' disk cache: whether a kernel is compiled, and telling the user.

The kernels are compiled by Numba the first time a process needs them for a
dtype (the skeletons once for both dtypes; each activation, loss, solver and option
when a fit first uses it: see :mod:`skmlp._engine.plugs`), then stored on
disk (``cache=True``), so later processes load them in
a fraction of a second. Where the package directory is not writable (a
read-only install, a system site-packages), Numba stores them in the user's
cache directory instead (``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba``), or
in ``NUMBA_CACHE_DIR`` when that is set.

:func:`announce` logs once per process, kernel and dtype that a compilation
is about to run, so a first fit that takes many seconds says why.
:func:`skmlp.precompile` compiles ahead of time (:mod:`skmlp._precompile`);
while it runs it holds :data:`quiet`, since it says what it does itself.
"""

import logging

import numba
import numpy as np

logger = logging.getLogger("skmlp")

_checked = set()  # (kernel, dtype) pairs already looked at
_announced = set()  # dtypes whose compilation was announced
quiet = []  # non-empty while precompile runs: it says what it does itself


def _is_compiled(dispatcher, dtype):
    """Whether ``dispatcher`` has code for ``dtype`` in memory or in its disk cache.

    The kernels' first argument is the parameter buffer, whose dtype selects
    the specialisation; a skeleton's, compiled once for both dtypes, takes
    it as bytes (``uint8``: see :mod:`skmlp._engine.views`). The disk check
    reads Numba's cache index (an internal format): if it cannot be read,
    the answer is True, so that nothing is announced rather than something
    false.
    """
    try:
        dtypes = (numba.from_dtype(dtype), numba.uint8)
        if any(sig[0].dtype in dtypes for sig in dispatcher.overloads):
            return True
        cache = dispatcher._cache
        index = cache._cache_file._load_index()
        codegen = dispatcher.targetctx.codegen()
        # An index key starts with the signature: the argument types, or a
        # whole Signature for a kernel compiled for one (the plugged kernels).
        return any(
            getattr(key[0], "args", key[0])[0].dtype in dtypes
            and key == cache._index_key(key[0], codegen)
            for key in index
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
    if quiet or dtype in _announced or all(_is_compiled(d, dtype) for d in pending):
        return
    _announced.add(dtype)
    logger.warning(
        "skmlp is compiling its kernels for %s input, once: about 3 s on a "
        "2-core machine, less for a second dtype (each further activation, "
        "loss or solver adds its own, "
        "on its first fit), then the compiled code is cached on disk and later "
        "processes load it. `python -m skmlp --precompile` compiles the common "
        "configurations ahead of time.",
        dtype.name,
    )
