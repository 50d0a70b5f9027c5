"""How skmlp compiles its kernels.

``kernel`` is ``numba.njit`` with the project's settings:

- ``cache=True``: compiled code is stored on disk, so only the first process
  pays for compilation.
- ``error_model="numpy"``: float division follows IEEE rules (as NumPy does)
  instead of raising ZeroDivisionError; the Python model puts a check on every
  division, and that check stops loops from being vectorised.
- ``nogil=True``: kernels touch only their arguments, so they release the GIL;
  threads predicting with one model (or fitting several) run in parallel.

``like(a, value)`` gives ``value`` in the dtype of array ``a``: Numba types a
float literal as float64 and ``float32 op float64`` as float64, so without it
every elementwise kernel would compute a float32 model in double precision.
``like_scalar(z, value)`` is the same for a scalar ``z``; it compiles to a
constant (no allocation), so scalar kernels called inside element loops use
it for their constants.
"""

from functools import partial

import numpy as np
from numba import njit, types
from numba.extending import overload

kernel = partial(njit, cache=True, error_model="numpy", nogil=True)


@kernel(inline="always")
def like(a, value):
    """``value`` cast to the dtype of array ``a``."""
    box = np.empty(1, a.dtype)
    box[0] = value
    return box[0]


def like_scalar(z, value):
    """``value`` cast to the type of scalar ``z`` (compiled: see the overload below)."""
    return type(z)(value)


@overload(like_scalar, inline="always")
def _like_scalar(z, value):
    if isinstance(z, types.Float):
        cast = z  # a Numba number type converts when called

        def impl(z, value):
            return cast(value)

        return impl
    return None
