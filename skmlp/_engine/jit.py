"""How skmlp compiles its kernels.

``kernel`` is ``numba.njit`` with the project's settings:

- ``cache=True``: compiled code is stored on disk, so only the first process
  pays for compilation.
- ``error_model="numpy"``: float division follows IEEE rules (as NumPy does)
  instead of raising ZeroDivisionError; the Python model puts a check on every
  division, and that check stops loops from being vectorised.
- ``nogil=True``: kernels touch only their arguments, so they release the GIL;
  threads predicting with one model (or fitting several) run in parallel.
- ``no_cfunc_wrapper=True``: kernels are called from Python or from other
  kernels (directly, or through the plug table of :mod:`skmlp._engine.plugs`,
  which calls their compiled code itself), never through a C function
  pointer, so the C wrapper Numba would otherwise compile for each is left
  out. Kernels that only other kernels call (every plugged kernel) are
  ``internal``: no Python wrapper either.

``like(a, value)`` gives ``value`` in the dtype of array ``a``: Numba types a
float literal as float64 and ``float32 op float64`` as float64, so without it
every elementwise kernel would compute a float32 model in double precision.
``like_scalar(z, value)`` is the same for a scalar ``z``. Both are intrinsics
that emit the cast alone (no allocation, and nothing of their own to compile),
so kernels use them inside element loops too; they are callable from
compiled code only.
"""

from functools import partial

from numba import njit, types
from numba.extending import intrinsic

kernel = partial(njit, cache=True, error_model="numpy", nogil=True, no_cfunc_wrapper=True)

#: A kernel called only by other kernels: compiled without the wrapper that
#: converts Python objects to its arguments (for a kernel taking the packs of
#: :mod:`skmlp._engine.network`, that wrapper was a good part of its compile).
internal = partial(kernel, no_cpython_wrapper=True)

# LLVM leaves a function marked ``optnone`` as it was written (no inlining, no
# loop or vectoriser passes), which takes about a fifth off the first fit's
# compilation when the skeletons are so marked. Numba spells it
# ``_dbg_optnone``; where a release lacks the option the skeletons are
# optimised as every other kernel.
try:
    from numba.core.cpu import CPUTargetOptions

    _OPTNONE = {"_dbg_optnone": True} if hasattr(CPUTargetOptions, "_dbg_optnone") else {}
except ImportError:  # pragma: no cover - a Numba that moved its options
    _OPTNONE = {}

#: A skeleton (:mod:`skmlp._engine.network`): control flow only, run a few
#: times per batch, so it is not optimised. Its element loops are optimised
#: ``internal`` kernels of their own, which it calls through the plug table
#: (:mod:`skmlp._engine.plugs`), never by name: Numba loads the address of
#: every kernel a function names (a "dynamic global", which an optimised
#: function drops as unused but an unoptimised one keeps), and it refuses to
#: cache a function holding one (``tests/test_compile.py`` checks that every
#: skeleton is cached). ``skeleton`` is called from Python,
#: ``internal_skeleton`` only by other kernels.
#:
#: Skeletons are also compiled without Numba's reference counting
#: (``_nrt=False``): they allocate nothing and return no array, and every array
#: they see lives as long as the call (the caller's arguments and views into
#: them). With counting on, every pass of an array or of a pack of arrays
#: from one variable to another or into a call emitted an increment and a
#: decrement per array of the pack: half the skeletons' code (``forward``:
#: 4,772 LLVM instructions, 2,697 without). The kernels they call keep
#: counting their own allocations; ``tests/test_compile.py`` checks that a
#: fit and a prediction leave none behind.
skeleton = partial(kernel, _nrt=False, **_OPTNONE)
internal_skeleton = partial(internal, _nrt=False, **_OPTNONE)


@intrinsic
def like(typingctx, a, value):
    """``value`` cast to the dtype of array ``a``."""
    if not isinstance(a, types.Array) or not isinstance(value, types.Number):
        return None
    sig = a.dtype(a, value)

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[1], sig.args[1], sig.return_type)

    return sig, codegen


@intrinsic
def like_scalar(typingctx, z, value):
    """``value`` cast to the type of scalar ``z``."""
    if not isinstance(z, types.Float) or not isinstance(value, types.Number):
        return None
    sig = z(z, value)

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[1], sig.args[1], sig.return_type)

    return sig, codegen
