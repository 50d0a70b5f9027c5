"""User-defined activations and regression losses: the user's Numba functions as kernels.

A hidden activation can be given as a scalar function compiled with
``numba.njit`` that returns ``(f(z), f'(z))``, and a regression loss as one
that takes ``(y_true, y_pred)`` (one element each) and returns ``(loss,
d loss / d y_pred)``. Each becomes kernels of the plug table's slots
(:mod:`skmlp._engine.plugs`): the activation those of ``ACTIVATE`` and
``ACTIVATE_SLOPE`` (like ``gelu``, its slope is kept from the forward pass),
the loss that of ``LOSS``. They are compiled the first time a process uses
the function and cached on disk like every kernel, so a later process loads
them.

In a process, each function gets an integer code of its own
(:data:`FIRST_ACTIVATION` and up, :data:`FIRST_LOSS` and up), which the
``spec`` pack carries as any built-in code; codes are never stored in a
fitted model (it keeps the function).

The kernels call a dispatcher of the package's own, compiled from the
user's Python function with the engine's options (``cache=True``,
``error_model="numpy"``), whose identity for Numba's cache is a hash of
the function's module, name and code: Numba keys the cache entry of a kernel
that holds a function on that identity, and a dispatcher's default one is
random in every process. A function whose code changes gets new kernels;
like any Numba function, one whose *globals* change does not (redefine it,
or clear the cache).
"""

import hashlib
import marshal
import math
import sys
import threading

from numba.core.registry import CPUDispatcher

from .jit import internal, kernel, like

#: The code of the first user-defined activation of a process; built-in
#: codes are below it, so the skeletons treat it as an activation computed
#: from the pre-activation (``code >= ELU``).
FIRST_ACTIVATION = 1000
#: The code of the first user-defined loss of a process.
FIRST_LOSS = 2000

_lock = threading.Lock()
_codes = {}  # (kind, identity) -> code
_kernels = {"activation": {}, "loss": {}}  # kind -> code -> kernels

#: The points where the derivative is compared with a finite difference.
CHECK_POINTS = (-2.7, -1.3, -0.45, 0.35, 1.15, 2.9)


def is_user_function(value):
    """Whether ``value`` is a function to pass on to :func:`check_function` (any callable)."""
    return callable(value) and not isinstance(value, type)


def function_name(fn):
    """``fn``'s ``module.qualname``, as error messages name it."""
    py_func = getattr(fn, "py_func", fn)
    module = getattr(py_func, "__module__", None) or "?"
    return f"{module}.{getattr(py_func, '__qualname__', repr(py_func))}"


def check_function(fn, parameter, signature):
    """ValueError unless ``fn`` is a module-level function compiled with ``numba.njit``.

    ``parameter`` names the estimator's parameter and ``signature`` what the
    function computes, for the message. Module level: the function is found
    again by its module and name, which is how pickle, ``clone`` and skops
    store it.
    """
    py_func = getattr(fn, "py_func", fn)
    name = getattr(py_func, "__name__", "")
    what = f"{parameter} must be a name, or a function compiled with numba.njit that {signature}"
    if name == "<lambda>":
        raise ValueError(
            f"{what}; got a lambda. Define it at module level with def and decorate it with "
            "@numba.njit: a lambda can be neither compiled ahead nor pickled."
        )
    if not isinstance(fn, CPUDispatcher):
        raise ValueError(
            f"{what}; got {function_name(fn)}, which is not compiled: decorate it with "
            "@numba.njit (the engine calls it from compiled code, once per element)."
        )
    # Module level: a name of the namespace the function was defined in
    # (its module's, or the one a script or notebook cell runs in).
    qualname = py_func.__qualname__
    if "." in qualname or getattr(py_func, "__globals__", {}).get(qualname) is not fn:
        raise ValueError(
            f"{what}; got {function_name(fn)}, which is not a module-level name of its "
            "module. Define it at module level (a model holding it is pickled with a "
            "reference to it, as functions are)."
        )


def _digest(fn):
    """A hash of ``fn``'s module, name and code (its bytecode and constants)."""
    code = fn.py_func.__code__
    try:
        compiled = marshal.dumps(code)
    except ValueError:  # pragma: no cover - a code object marshal cannot write
        compiled = code.co_code + repr(code.co_consts).encode()
    return hashlib.sha256(function_name(fn).encode() + b"\0" + compiled).hexdigest()


def _own_dispatcher(fn, digest):
    """A dispatcher of the engine's own for the user's function, with a stable identity."""
    try:
        own = kernel(fn.py_func)
    except RuntimeError:  # no file to cache it by (exec, a plain REPL): compiled per process
        own = kernel(fn.py_func, cache=False)
    own._set_uuid(f"skmlp-user-{digest}")
    return own


def _activation_kernels(f):
    """The ``ACTIVATE`` and ``ACTIVATE_SLOPE`` kernels of scalar activation ``f``."""

    @internal
    def activate(code, Z, b):
        n, m = Z.shape
        for i in range(n):
            for j in range(m):
                Z[i, j] = like(Z, f(Z[i, j] + b[j])[0])

    @internal
    def activate_slope(code, P, b, A):
        n, m = P.shape
        for i in range(n):
            for j in range(m):
                v, d = f(P[i, j] + b[j])
                A[i, j] = like(A, v)
                P[i, j] = like(P, d)

    return activate, activate_slope


def _loss_kernel(f):
    """The ``LOSS`` kernel of the scalar loss ``f(y_true, y_pred) -> (loss, d loss / d y_pred)``."""

    @internal
    def loss_and_delta(P, Y, sw, param, D):
        n, m = P.shape
        total = 0.0
        for i in range(n):
            w = sw[i]
            row = 0.0
            for j in range(m):
                value, slope = f(Y[i, j], P[i, j])
                row += value
                D[i, j] = like(D, slope) * w
            total += w * row
        return total

    return loss_and_delta


def _code(kind, fn, first, build):
    digest = _digest(fn)
    key = (kind, digest)
    with _lock:
        code = _codes.get(key)
        if code is None:
            code = first + len(_kernels[kind])
            _kernels[kind][code] = build(_own_dispatcher(fn, digest))
            _codes[key] = code
    return code


def activation_code(fn):
    """The code of user activation ``fn`` in this process (its kernels made on first use)."""
    return _code("activation", fn, FIRST_ACTIVATION, _activation_kernels)


def loss_code(fn):
    """The code of user loss ``fn`` in this process (its kernel made on first use)."""
    return _code("loss", fn, FIRST_LOSS, _loss_kernel)


def is_kernel(kernel):
    """Whether ``kernel`` was made for a user-defined function."""
    return any(kernel in made for made in _kernels["activation"].values()) or any(
        kernel is made for made in _kernels["loss"].values()
    )


def activation_kernels(code):
    """``(activate, activate_slope)`` of a user activation's code, or None if unknown here."""
    return _kernels["activation"].get(code)


def loss_kernel(code):
    """The loss kernel of a user loss's code, or None if unknown here."""
    return _kernels["loss"].get(code)


def _evaluate(fn, args, parameter):
    """``fn(*args)`` from Python as two floats (ValueError naming ``fn`` if it cannot be)."""
    try:
        result = fn(*args)
    except Exception as error:  # a Numba typing error, or the function's own
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"{parameter}={function_name(fn)} failed on float64 input {args}: {first}"
        ) from error
    if not (
        isinstance(result, tuple)
        and len(result) == 2
        and all(isinstance(v, (int, float)) for v in result)
    ):
        raise ValueError(
            f"{parameter}={function_name(fn)} must return a tuple of two numbers, "
            f"got {result!r} for input {args}."
        )
    return float(result[0]), float(result[1])


def _check_slope(fn, parameter, at, value, slope, reference, what):
    tolerance = 1e-4 * max(1.0, abs(reference))
    if math.isfinite(reference) and math.isfinite(slope) and abs(slope - reference) > tolerance:
        raise ValueError(
            f"{parameter}={function_name(fn)} returns a derivative that disagrees with "
            f"the finite difference of its value at {at}: {slope!r} against {reference!r}. "
            f"It must return {what}."
        )


def _central_difference(g, x):
    h = 1e-5 * max(1.0, abs(x))
    return (g(x + h) - g(x - h)) / (2 * h)


def check_activation(fn, parameter="activation"):
    """ValueError if ``fn`` does not return ``(f(z), f'(z))`` at a few points.

    Compares its derivative with a central difference of its value at
    :data:`CHECK_POINTS` (points where either is not finite are skipped).
    Cheap: twelve scalar calls, the first of which compiles ``fn``'s
    Python wrapper.
    """
    for z in CHECK_POINTS:
        value, slope = _evaluate(fn, (z,), parameter)
        reference = _central_difference(lambda x: _evaluate(fn, (x,), parameter)[0], z)
        _check_slope(fn, parameter, f"z={z}", value, slope, reference, "(f(z), f'(z))")


def check_loss(fn, parameter="loss"):
    """ValueError if ``fn`` does not return ``(loss, d loss / d y_pred)`` at a few points."""
    for y in (-1.0, 0.5, 2.0):
        for r in CHECK_POINTS:
            p = y + r
            value, slope = _evaluate(fn, (y, p), parameter)
            reference = _central_difference(lambda x, y=y: _evaluate(fn, (y, x), parameter)[0], p)
            _check_slope(
                fn, parameter, f"y_true={y}, y_pred={p}", value, slope, reference,
                "(loss, d loss / d y_pred)",
            )  # fmt: skip


def reference(fn):
    """``"module:qualname"``: how a model's state names a user-defined function."""
    return f"{fn.py_func.__module__}:{fn.py_func.__qualname__}"


def resolve(ref, estimator, parameter):
    """The function :func:`reference` named, from its module, which must be imported.

    A model is loaded without importing anything it names (``skops.io``
    refuses what it has not been told to trust, and an import runs code), so
    the module that defines the function is imported by the caller first.
    """
    module_name, _, qualname = ref.partition(":")
    found = sys.modules.get(module_name)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, CPUDispatcher):
        raise ValueError(
            f"This {estimator} uses the user-defined {parameter} {module_name}.{qualname}: "
            f"import {module_name} (where it is defined with numba.njit) before loading it."
        )
    return found
