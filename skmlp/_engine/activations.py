"""Activation functions: a name -> integer code table and compiled kernels.

Each activation has its own kernels (``KERNELS[code]``: written out in
``_OWN``, or built by ``_kernels``), compiled the first time a fit uses that
activation: a network
compiles the activations it uses and no other (see
:mod:`skmlp._engine.plugs`).

Two kinds of hidden activation:

- identity, logistic, tanh, relu and leaky_relu (codes below ``ELU``, with
  the output-only EXP and SOFTMAX): their derivative is a function of the
  output ``A = f(z)`` alone, so training with them stores only activations.
  Each has a kernel of its own for the value and one for the derivative from
  the output (``_OWN``).
- every activation from ``ELU`` on (``needs_preactivation``,
  ``PREACTIVATION_CODES``): the derivative is computed from the
  pre-activation ``z``, either because the output does not determine
  ``f'(z)`` (gelu, silu) or does only with a loss of precision
  (``exp(z) = A + 1`` for elu when ``z << 0``).  Each of these activations
  is one scalar kernel ``_name(z)`` returning ``(f(z), f'(z))``, both from
  the same exp or normal tail.  The forward pass of training stores the
  slopes ``f'(z)`` in the pre-activation workspace (the
  ``activate_slope`` kernel) and the backward pass multiplies the deltas by
  them, so each element's transcendental functions are
  evaluated once per step, not once forward and once backward.  Prediction
  takes ``f(z)`` alone (``activate``), and LLVM removes the unused
  slope.  The element loop is written once for all of them:
  ``_activate_loop`` (prediction) or ``_activate_slope_loop`` (training).

Adding a hidden activation (say ``name``) is a code, a table entry, a scalar
kernel and two dispatch lines, all in this module:

1. its code, ``NAME = <last code + 1>``, after the last code constant (new
   codes are appended: every code from ``ELU`` on is computed from the
   pre-activation, and ``needs_preactivation`` and ``PREACTIVATION_CODES``
   follow from the table);
2. its table entry, ``"name": NAME``, at the end of ``HIDDEN_ACTIVATIONS``
   (the estimators take their allowed values from it);
3. its kernel, ``_name(z)`` with ``@kernel(inline="always")``, after the
   others: ``(f(z), f'(z))``, both finite for every finite ``z`` and taking
   the limits at +-inf, its constants written ``like_scalar(z, c)`` so that
   float32 stays float32;
4. its dispatch lines, ``elif CODE == NAME or CODE == ANY and code == NAME:``
   followed by ``_activate_loop(_name, (Z, b))`` at the end of ``activate``
   in ``_kernels``, and by ``_activate_slope_loop(_name, (P, b, A))`` at the
   end of ``activate_slope``.

Nothing else in the package changes, and no other configuration compiles
anything more.  The tests take every activation from
the table, each with its NumPy/SciPy reference (value, derivative, limits) in
tests/reference_activations.py; the user documentation lists the names in the
``activation`` parameter of ``PARAMETERS`` (_docstrings.py) and in README.md.

Every kernel is finite for finite input whatever its size (no ``exp`` of a
large positive number) and takes the limit at +-inf where it exists.

The kernels call the elementary functions of :mod:`skmlp._engine.vecmath` (plain
arithmetic) rather than ``math``/``np`` ones (calls into the C library), and
select rather than branch, so that each element loop compiles to SIMD code.
"""

import numpy as np

from . import user as _user
from .jit import internal, kernel, like, like_scalar
from .plugs import (
    ACTIVATE,
    ACTIVATE_SLOPE,
    DERIVATIVE,
    activate_fn,
    activate_slope_fn,
    address,
    c_input,
    c_output,
    copy_back,
    derivative_fn,
)
from .vecmath import exp, expm1_neg, log1p_unit, normal_tail

IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
EXP = 4
SOFTMAX = 5
LEAKY_RELU = 6
ELU = 7
SELU = 8
GELU = 9
SILU = 10
SOFTPLUS = 11
MISH = 12

#: Activations allowed for hidden layers.
HIDDEN_ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "silu": SILU,
    "softplus": SOFTPLUS,
    "mish": MISH,
}

#: Output activations, chosen from the task and loss (``out_activation_``).
OUTPUT_ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "exp": EXP,
    "softmax": SOFTMAX,
}

#: Slope of leaky_relu for negative input.
LEAKY_SLOPE = 0.01
#: SELU's constants (Klambauer et al., 2017); elu uses alpha = 1.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT_2PI = 0.39894228040143267793994605993438  # 1 / sqrt(2 pi)

#: Hidden activations whose backward pass needs the pre-activation: every
#: code from ELU on (EXP and SOFTMAX, below it, are output-only codes; new
#: activations are appended after the last code).
PREACTIVATION_CODES = frozenset(code for code in HIDDEN_ACTIVATIONS.values() if code >= ELU)


def needs_preactivation(code):
    """Whether the backward pass of hidden activation ``code`` needs ``z``.

    Every code from ``ELU`` on: the built-in ones and the user-defined ones
    (:mod:`skmlp._engine.user`, codes from 1000).
    """
    return code >= ELU


def kernels_of(code):
    """``(activate, activate_slope, derivative)`` of activation ``code``, user-defined too."""
    found = KERNELS.get(code)
    if found is None:
        user = _user.activation_kernels(code)
        if user is None:  # a process that has not seen the function (a compile helper)
            return None
        found = (*user, _no_derivative)
    return found


@kernel(inline="always")
def _softmax_limit(z, zmax):
    """Softmax of a row whose largest logit is infinite: its limit, not NaN.

    All mass goes to the +inf entries; a row of -inf is uniform.
    """
    count = 0
    for j in range(z.shape[0]):
        if z[j] == zmax:
            count += 1
    for j in range(z.shape[0]):
        z[j] = 1.0 / count if z[j] == zmax else 0.0


@kernel(inline="always")
def _tanh(z):
    """tanh(z) = -m / (2 + m) with m = expm1(-2|z|), the sign of z: no cancellation near 0."""
    zero = like_scalar(z, 0.0)
    m = expm1_neg(like_scalar(z, -2.0) * abs(z))
    t = -m / (like_scalar(z, 2.0) + m)
    return t if z >= zero else -t


@kernel(inline="always")
def _logistic(z):
    """logistic(z) from e = exp(-|z|), which never overflows: 1 / (1 + e) or e / (1 + e)."""
    e = exp(-abs(z))
    r = like_scalar(z, 1.0) / (like_scalar(z, 1.0) + e)
    return r if z >= like_scalar(z, 0.0) else e * r


# ------------------------------------------------------------------------
# Activations computed from the pre-activation: one scalar kernel each,
# returning ``(f(z), f'(z))``.  Both come from the same exp (or normal tail):
# the forward pass of training stores f'(z) for the backward pass, which then
# only multiplies; prediction uses f(z) alone, and LLVM drops the rest.


@kernel(inline="always")
def _elu(z):
    """elu (alpha = 1): z for z > 0, exp(z) - 1 otherwise; f'(z) = 1 or exp(z)."""
    zero = like_scalar(z, 0.0)
    # Both sides are computed and one selected: no branch in the element loop.
    # expm1 for the value (no cancellation near 0), exp for the slope (no
    # loss of relative precision far below 0).
    m = expm1_neg(z)
    e = exp(min(z, zero))
    pos = z > zero
    return (z if pos else m), (like_scalar(z, 1.0) if pos else e)


@kernel(inline="always")
def _selu(z):
    """selu: scale * z for z > 0, scale * alpha * (exp(z) - 1) otherwise."""
    zero = like_scalar(z, 0.0)
    scale = like_scalar(z, SELU_SCALE)
    scale_alpha = like_scalar(z, SELU_SCALE * SELU_ALPHA)
    m = scale_alpha * expm1_neg(z)
    e = scale_alpha * exp(min(z, zero))
    pos = z > zero
    return (scale * z if pos else m), (scale if pos else e)


@kernel(inline="always")
def _gelu(z):
    """gelu: z * Phi(z); f'(z) = Phi(z) + z phi(z).

    From the lower tail (``normal_tail``): ``Phi(-|z|) = g h h`` with
    ``h = exp(-z**2 / 4)``, ``phi(z) = c h h`` (c = 1 / sqrt(2 pi)).  Below
    zero f and f' are ``(z g) h h`` and ``(g + z c) h h``, normal numbers
    wherever the result is (``h * h`` alone is subnormal first); above zero
    ``Phi(z) = 1 - g h h >= 1/2``.  Selects, no branch.
    """
    zero = like_scalar(z, 0.0)
    one = like_scalar(z, 1.0)
    g, h = normal_tail(abs(z))
    neg = z < zero
    cdf = (g * h) * h
    cdf = cdf if neg else one - cdf
    # h == 0: far from zero (also z = +-inf, where the products are NaN):
    # f = z or 0, f' = 1 or 0 to working precision.
    vanished = h == zero
    c = like_scalar(z, _INV_SQRT_2PI)
    low = ((g + z * c) * h) * h
    high = cdf + z * ((c * h) * h)
    d = low if neg else high
    d_limit = zero if neg else one
    v = ((z * g) * h) * h if neg else z * cdf
    limit = zero if neg else z
    return (limit if vanished else v), (d_limit if vanished else d)


@kernel(inline="always")
def _silu(z):
    """silu: z * s with s = logistic(z); f'(z) = s + z s (1 - s).

    From h = exp(-|z| / 2) (never overflows), e = h^2 = exp(-|z|) and
    r = 1 / (1 + e): for z >= 0, s = r and 1 - s = e r; for z < 0, s = e r
    and 1 - s = r, and f = ((z r) h) h, f' = ((1 + z r) r h) h keep their
    precision where e alone is subnormal.  Selects, no branch.
    """
    zero = like_scalar(z, 0.0)
    one = like_scalar(z, 1.0)
    h = exp(like_scalar(z, -0.5) * abs(z))
    e = h * h
    r = one / (one + e)
    pos = z >= zero
    # h == 0 only for |z| so large that f(z) is z or 0 and f'(z) is 1 or 0
    # to working precision, the limits at +-inf (where the products are NaN).
    vanished = h == zero
    d = r + r * (z * (e * r)) if pos else (((one + z * r) * r) * h) * h
    d_limit = one if pos else zero
    v = z * r if pos else ((z * r) * h) * h
    limit = z if pos else zero
    return (limit if vanished else v), (d_limit if vanished else d)


@kernel(inline="always")
def _softplus(z):
    """softplus: log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)); f'(z) = logistic(z)."""
    zero = like_scalar(z, 0.0)
    one = like_scalar(z, 1.0)
    e = exp(-abs(z))
    r = one / (one + e)
    return max(z, zero) + log1p_unit(e), (r if z >= zero else e * r)


@kernel(inline="always")
def _mish(z):
    """mish: z * t with t = tanh(softplus(z)); f'(z) = t + z (1 - t^2) logistic(z).

    exp(softplus(z)) = 1 + exp(z) makes t a rational function p / q of
    e = exp(-|z|) <= 1 (no overflow), and 1 - t^2 one without cancellation:

    - z >= 0: p = 1 + 2e, q = p + 2e^2, (1 - t^2) logistic(z) = 4 (1 + e) (e / q)^2;
    - z < 0: p = e + 2, q = e p + 2, t = e p / q and
      (1 - t^2) logistic(z) = 4 e (1 + e) / q^2: f and f' are e times a
      factor of order |z|.  With h = exp(z / 2) and e = h^2 they are computed
      as (factor * h) * h, normal wherever the result is (e itself is
      subnormal far below zero, where z e is not yet).

    One exp, and selects rather than a branch on the sign of z: with the
    signs of a layer's pre-activations mixed, a branch made the kernel about
    3x slower in float32.
    """
    zero = like_scalar(z, 0.0)
    one = like_scalar(z, 1.0)
    two = like_scalar(z, 2.0)
    pos = z >= zero
    x = exp(-z if pos else like_scalar(z, 0.5) * z)
    # x == 0: f(z) = z (1 for f') or 0 to working precision; also z = +-inf,
    # where the products below are inf * 0 = NaN: the limit is selected.
    underflow = x == zero
    e = x if pos else x * x
    k = one if pos else x
    p = one + two * e if pos else e + two
    q = p + two * e * e if pos else e * p + two
    r = p / q
    c = (e if pos else one) / q
    d = ((r + z * (like_scalar(z, 4.0) * (one + e) * c * c)) * k) * k
    d_limit = one if pos else zero
    v = ((z * r) * k) * k
    limit = z if pos else zero
    return (limit if underflow else v), (d_limit if underflow else d)


@kernel(inline="always")
def _activate_loop(f, args):
    """``Z = f(Z + b)`` element by element, ``(Z, b) = args``: prediction."""
    Z, b = args
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] = f(Z[i, j] + b[j])[0]


@kernel(inline="always")
def _activate_slope_loop(f, args):
    """``A = f(P + b)`` and ``P = f'(P + b)`` element by element, ``(P, b, A) = args``."""
    P, b, A = args
    n, m = P.shape
    for i in range(n):
        for j in range(m):
            v, d = f(P[i, j] + b[j])
            A[i, j] = v
            P[i, j] = d


# ------------------------------------------------------------------------
# The kernels, compiled per activation.
#
# The activations computed from the output (codes below ``ELU``, with EXP and
# SOFTMAX) have a kernel of their own for the value and one for the
# derivative: each is compiled alone, with no branch of another activation
# (Numba reads every branch of a function before it removes those of other
# codes, which made a shared kernel about twice as slow to compile for relu).
# Every kernel takes the ``code`` argument of its slot's signature
# (:mod:`skmlp._engine.plugs`) and ignores it.


@internal
def _identity(code, Z, b):
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]


@internal
def _logistic_activate(code, Z, b):
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] = _logistic(Z[i, j] + b[j])


@internal
def _tanh_activate(code, Z, b):
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] = _tanh(Z[i, j] + b[j])


@internal
def _relu(code, Z, b):
    n, m = Z.shape
    zero = like(Z, 0.0)
    for i in range(n):
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z if z > zero else zero


@internal
def _exp(code, Z, b):
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] = np.exp(Z[i, j] + b[j])


@internal
def _softmax(code, Z, b):
    n, m = Z.shape
    zero = like(Z, 0.0)
    for i in range(n):
        zmax = Z[i, 0] + b[0]
        for j in range(m):
            Z[i, j] += b[j]
            zmax = Z[i, j] if Z[i, j] > zmax else zmax  # max(zmax, Z[i, j])
        if np.isinf(zmax):
            _softmax_limit(Z[i], zmax)
            continue
        s = zero
        for j in range(m):
            Z[i, j] = np.exp(Z[i, j] - zmax)
            s += Z[i, j]
        for j in range(m):
            Z[i, j] /= s


@internal
def _leaky_relu(code, Z, b):
    n, m = Z.shape
    zero = like(Z, 0.0)
    slope = like(Z, LEAKY_SLOPE)
    for i in range(n):
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z if z > zero else slope * z


# The derivatives, ``D *= f'(z)`` with f'(z) from the output ``f(z) = a_scale * A``.
# ``a_scale`` is 1 except after dropout, whose kept outputs are ``f(z) / (1 -
# rate)`` (the dropped ones have ``D == 0`` already). Only tanh and logistic
# need it: the zero and sign tests of relu and leaky_relu do not depend on a
# positive scale.


@internal
def _no_derivative(code, A, D, a_scale):
    """identity's (and the output-only codes'): ``D`` unchanged."""


@internal
def _logistic_derivative(code, A, D, a_scale):
    n, m = A.shape
    one = like(A, 1.0)
    s = like(A, a_scale)
    for i in range(n):
        for j in range(m):
            a = s * A[i, j]
            D[i, j] *= a * (one - a)


@internal
def _tanh_derivative(code, A, D, a_scale):
    n, m = A.shape
    one = like(A, 1.0)
    s = like(A, a_scale)
    for i in range(n):
        for j in range(m):
            a = s * A[i, j]
            D[i, j] *= one - a * a


@internal
def _relu_derivative(code, A, D, a_scale):
    n, m = A.shape
    zero = like(A, 0.0)
    for i in range(n):
        for j in range(m):
            if A[i, j] == zero:
                D[i, j] = zero


@internal
def _leaky_relu_derivative(code, A, D, a_scale):
    # f(z) has the sign of z (0 for z = 0, whose slope is taken as LEAKY_SLOPE).
    n, m = A.shape
    zero = like(A, 0.0)
    slope = like(A, LEAKY_SLOPE)
    for i in range(n):
        for j in range(m):
            if not A[i, j] > zero:
                D[i, j] *= slope


@internal
def _no_slope(code, P, b, A):
    """The training forward pass of the codes computed from the output: nothing."""


#: The output-based codes' ``(activate, activate_slope, derivative)``.
_OWN = {
    IDENTITY: (_identity, _no_slope, _no_derivative),
    LOGISTIC: (_logistic_activate, _no_slope, _logistic_derivative),
    TANH: (_tanh_activate, _no_slope, _tanh_derivative),
    RELU: (_relu, _no_slope, _relu_derivative),
    EXP: (_exp, _no_slope, _no_derivative),
    SOFTMAX: (_softmax, _no_slope, _no_derivative),
    LEAKY_RELU: (_leaky_relu, _no_slope, _leaky_relu_derivative),
}

# ``_kernels(CODE)`` builds the kernels of an activation computed from the
# pre-activation: ``CODE`` is a constant inside them, and Numba removes every
# branch of another code before compiling. ``CODE = ANY`` builds them
# switching on their ``code`` argument at run time (every activation compiled
# in, the output-based ones by calling their own kernels): what a network
# whose hidden layers have different activations plugs in.

#: The ``CODE`` of the kernels that switch on their ``code`` argument.
ANY = -1


def _kernels(CODE):
    """The activate, activate-with-slope and derivative kernels of activation ``CODE``."""

    @internal
    def activate(code, Z, b):
        """In place ``Z = f(Z + b)``; rows of Z are samples."""
        if CODE == ANY and code == SOFTMAX:
            _softmax(code, Z, b)
        elif CODE == ANY and code == IDENTITY:
            _identity(code, Z, b)
        elif CODE == ANY and code == RELU:
            _relu(code, Z, b)
        elif CODE == ANY and code == TANH:
            _tanh_activate(code, Z, b)
        elif CODE == ANY and code == LOGISTIC:
            _logistic_activate(code, Z, b)
        elif CODE == ANY and code == EXP:
            _exp(code, Z, b)
        elif CODE == ANY and code == LEAKY_RELU:
            _leaky_relu(code, Z, b)
        elif CODE == ELU or CODE == ANY and code == ELU:
            _activate_loop(_elu, (Z, b))
        elif CODE == SELU or CODE == ANY and code == SELU:
            _activate_loop(_selu, (Z, b))
        elif CODE == GELU or CODE == ANY and code == GELU:
            _activate_loop(_gelu, (Z, b))
        elif CODE == SILU or CODE == ANY and code == SILU:
            _activate_loop(_silu, (Z, b))
        elif CODE == SOFTPLUS or CODE == ANY and code == SOFTPLUS:
            _activate_loop(_softplus, (Z, b))
        elif CODE == MISH or CODE == ANY and code == MISH:
            _activate_loop(_mish, (Z, b))

    @internal
    def activate_slope(code, P, b, A):
        """``A = f(P + b)``, and ``P`` replaced by the slopes ``f'(P + b)``.

        The training forward pass of the codes of ``needs_preactivation``
        (others: nothing is done): ``P`` comes in holding the layer's ``X @ W``
        and leaves holding what the backward pass multiplies the deltas by.
        """
        if CODE == ELU or CODE == ANY and code == ELU:
            _activate_slope_loop(_elu, (P, b, A))
        elif CODE == SELU or CODE == ANY and code == SELU:
            _activate_slope_loop(_selu, (P, b, A))
        elif CODE == GELU or CODE == ANY and code == GELU:
            _activate_slope_loop(_gelu, (P, b, A))
        elif CODE == SILU or CODE == ANY and code == SILU:
            _activate_slope_loop(_silu, (P, b, A))
        elif CODE == SOFTPLUS or CODE == ANY and code == SOFTPLUS:
            _activate_slope_loop(_softplus, (P, b, A))
        elif CODE == MISH or CODE == ANY and code == MISH:
            _activate_slope_loop(_mish, (P, b, A))

    @internal
    def derivative(code, A, D, a_scale):
        """In place ``D *= f'(z)``, with f'(z) from the output ``f(z) = a_scale * A``.

        For the codes not in ``needs_preactivation`` (the others: nothing is
        done), which ``ANY`` passes to their own derivative kernels.
        """
        if CODE == ANY and code == RELU:
            _relu_derivative(code, A, D, a_scale)
        elif CODE == ANY and code == TANH:
            _tanh_derivative(code, A, D, a_scale)
        elif CODE == ANY and code == LOGISTIC:
            _logistic_derivative(code, A, D, a_scale)
        elif CODE == ANY and code == LEAKY_RELU:
            _leaky_relu_derivative(code, A, D, a_scale)

    return activate, activate_slope, derivative


#: ``code -> (activate, activate_slope, derivative)``: every activation's
#: kernels, and ``ANY``'s, which switch on the code at run time.
KERNELS = {
    code: _OWN[code] if code in _OWN else _kernels(code)
    for code in (ANY, *HIDDEN_ACTIVATIONS.values(), EXP, SOFTMAX)
}


# Python calls the kernels through these (the kernels themselves have no
# Python wrapper, which a fit would otherwise compile for nothing).


@kernel
def _activate_caller(address, code, Z, b):
    activate_fn(address, Z)(code, Z, b)


@kernel
def _activate_slope_caller(address, code, P, b, A):
    activate_slope_fn(address, P)(code, P, b, A)


@kernel
def _derivative_caller(address, code, A, D, a_scale):
    derivative_fn(address, A)(code, A, D, a_scale)


def bias_activate(code, Z, b):
    """In place ``Z = f(Z + b)`` for the activation ``code``; rows of Z are samples."""
    code = int(code)
    Z_ = c_output(Z)
    fn = address(kernels_of(code)[0], ACTIVATE, Z.dtype)
    _activate_caller(fn, code, Z_, c_input(b, Z.dtype))
    copy_back((Z,), (Z_,))


def bias_activate_slope(code, P, b, A):
    """``A = f(P + b)``, and ``P`` replaced by the slopes ``f'(P + b)`` for the backward pass.

    The training forward pass of the codes of ``needs_preactivation`` (others:
    nothing is done): ``P`` comes in holding the layer's ``X @ W`` and leaves
    holding what the backward pass multiplies the deltas by.
    """
    code = int(code)
    P_, A_ = c_output(P), c_output(A)
    fn = address(kernels_of(code)[1], ACTIVATE_SLOPE, P.dtype)
    _activate_slope_caller(fn, code, P_, c_input(b, P.dtype), A_)
    copy_back((P, A), (P_, A_))


def multiply_derivative(code, A, D, a_scale):
    """In place ``D *= f'(z)``, with f'(z) written in terms of the output ``f(z) = a_scale * A``.

    For the codes not in ``needs_preactivation``; see the kernels of ``_kernels``.
    """
    code = int(code)
    D_ = c_output(D)
    fn = address(kernels_of(code)[2], DERIVATIVE, D.dtype)
    _derivative_caller(fn, code, c_input(A, D.dtype), D_, float(a_scale))
    copy_back((D,), (D_,))
