"""Elementary functions written as plain arithmetic, so that element loops vectorise.

Numba compiles ``math.exp`` and friends to calls into the C library, one
element at a time: a loop calling them is not vectorised (the llvmlite wheels
come without Intel's SVML, which would supply vector versions).  The
functions here are the same mathematics written with additions,
multiplications, one division at most, selects and integer operations on the
bits of a float, which LLVM turns into SIMD instructions inside the element
loops of :mod:`skmlp._engine.activations`.

Each function has a float32 and a float64 variant, chosen at compile time
from the argument's type (an ``overload``, like ``like_scalar``): float32
uses lower-degree polynomials, which is where its speed comes from, and
float64 keeps within a few ulp of the correctly rounded result.

- ``exp(x)``: Cody-Waite range reduction ``x = n ln2 + r``, ``|r| <= ln2/2``,
  a polynomial for ``expm1(r)``, and ``2**n`` built from the bits of a float
  (``_pow2``).  Gradual underflow to the subnormals and overflow to inf as the
  C library's ``exp``; exactly 0 at -inf, inf at +inf, NaN for NaN.
- ``expm1_neg(x)`` for ``x <= 0`` (larger ``x`` are clamped to 0):
  ``2**n expm1(r) + (2**n - 1)``, no cancellation near 0.
- ``log1p_unit(x)`` for ``0 <= x <= 1``: ``log1p(f) = 2 atanh(f / (2 + f))``
  after taking out a factor 2 where ``1 + x > sqrt(2)``.
- ``normal_tail(u)`` for ``u >= 0``: ``Phi(-u) = g h**2`` with
  ``h = exp(-u**2 / 4)`` and ``g`` a polynomial in ``t = K / (K + u)``
  times ``t``; ``u**2`` is computed exactly as a sum of two floats, so the
  lower tail keeps its relative precision.

Coefficients: Taylor's for exp in float64 and for log1p; fitted at Chebyshev
nodes (least squares, NumPy) for exp in float32 and for the normal tail in
both precisions, the tail against erfc evaluated to 40 digits.  The tests of
tests/test_activations.py check every activation built on these against
SciPy, densely over the whole range of each dtype.

Element loops vectorise only if every function is inlined: the small ones
are inlined by LLVM; ``normal_tail`` is inlined by Numba (``inline="always"``),
which is why its clamp is ``min`` (a conditional expression in an inlined
overload trips Numba's IR checks).
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload


@intrinsic
def _pow2(typingctx, t):
    """``2**n`` from ``t = y + MAGIC``, whose low mantissa bits hold ``n + bias``.

    Shifting the bits of ``t`` left by the mantissa width leaves exactly the
    exponent field ``n + bias`` (the higher bits fall off): the float with
    those bits is ``2**n``.  Valid for ``n + bias`` in ``[1, 2 * bias]``.
    """
    if t == types.float64:
        width, shift = 64, 52
    elif t == types.float32:
        width, shift = 32, 23
    else:
        return None

    def codegen(context, builder, signature, args):
        itype = ir.IntType(width)
        bits = builder.bitcast(args[0], itype)
        return builder.bitcast(builder.shl(bits, ir.Constant(itype, shift)), args[0].type)

    return t(t), codegen


def _consts(dtype, **values):
    """The constants of one precision, as scalars of ``dtype`` (compile-time constants)."""
    return {name: dtype(v) for name, v in values.items()}


_LOG2E = 1.4426950408889634074
_LN2 = 0.69314718055994530942

# Cody-Waite splits of ln 2: the high part has enough trailing zero bits that
# n * hi is exact for every n the reduction meets.
_F64 = _consts(
    np.float64,
    # 1.5 * 2**52 + bias: adding it rounds y to an integer and stores n + bias
    # in the low bits of the mantissa.
    magic=1.5 * 2.0**52 + 1023.0,
    ln2_hi=6.93147180369123816490e-01,
    ln2_lo=1.90821492927058770002e-10,
    scale=2.0**64,  # 2**n is built as 2**(n -+ 64) * 2**(+-64): no overflow
    lo=-750.0,  # exp(-750) = 0 exactly
    hi=710.0,  # exp(710) = inf
    lo_m1=-45.0,  # expm1(x) = -1 in float64 below -38
)
_F32 = _consts(
    np.float32,
    magic=1.5 * 2.0**23 + 127.0,
    ln2_hi=0.693145751953125,
    ln2_lo=1.428606765330187e-06,
    scale=2.0**32,
    lo=-105.0,
    hi=89.0,
    lo_m1=-20.0,
)
_TAYLOR = [1.0 / np.prod(np.arange(1.0, k + 1)) for k in range(2, 14)]


def expm1_reduced(r):
    """``expm1(r)`` for ``|r| <= ln2 / 2`` (compiled: see the overload)."""
    return np.expm1(r)


@overload(expm1_reduced)
def _expm1_reduced(r):
    # r + r**2 P(r): float64 the Taylor series to r**13 (truncation < 0.1
    # ulp); float32 a degree-4 P fitted for relative error (< 0.25 ulp).
    if r == types.float64:
        c = [np.float64(v) for v in _TAYLOR]
        c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 = c

        def impl(r):
            p = c11
            p = p * r + c10
            p = p * r + c9
            p = p * r + c8
            p = p * r + c7
            p = p * r + c6
            p = p * r + c5
            p = p * r + c4
            p = p * r + c3
            p = p * r + c2
            p = p * r + c1
            p = p * r + c0
            return r + (r * r) * p

        return impl
    if r == types.float32:
        d0, d1, d2, d3, d4 = (
            np.float32(0.5),
            np.float32(0.1666657),
            np.float32(0.041666448),
            np.float32(0.008364388),
            np.float32(0.0013935461),
        )

        def impl(r):
            p = d4
            p = p * r + d3
            p = p * r + d2
            p = p * r + d1
            p = p * r + d0
            return r + (r * r) * p

        return impl
    return None


def exp(x):
    """``exp(x)`` (compiled: see the overload)."""
    return np.exp(x)


@overload(exp)
def _exp(x):
    if x == types.float64:
        k = _F64
        one, log2e = np.float64(1.0), np.float64(_LOG2E)
    elif x == types.float32:
        k = _F32
        one, log2e = np.float32(1.0), np.float32(_LOG2E)
    else:
        return None
    magic, ln2_hi, ln2_lo, lo, hi = k["magic"], k["ln2_hi"], k["ln2_lo"], k["lo"], k["hi"]
    up, down = k["scale"], one / k["scale"]
    shift = type(one)(np.log2(float(k["scale"])))

    def impl(x):
        # Clamp (NaN passes through: both tests are false for it).
        x = hi if x > hi else x
        x = lo if x < lo else x
        t = x * log2e + magic
        n = t - magic
        r = (x - n * ln2_hi) - n * ln2_lo
        q = expm1_reduced(r)
        # 2**n as 2**(n + s) * 2**-s with s = +-shift, both factors normal:
        # the second product rounds once into the subnormals (or to inf).
        neg = n < 0
        p2 = _pow2(t + (shift if neg else -shift))
        return ((one + q) * p2) * (down if neg else up)

    return impl


def expm1_neg(x):
    """``expm1(x)`` for ``x <= 0`` (compiled: see the overload)."""
    return np.expm1(np.minimum(x, 0))


@overload(expm1_neg)
def _expm1_neg(x):
    if x == types.float64:
        k, one, log2e = _F64, np.float64(1.0), np.float64(_LOG2E)
    elif x == types.float32:
        k, one, log2e = _F32, np.float32(1.0), np.float32(_LOG2E)
    else:
        return None
    magic, ln2_hi, ln2_lo, lo = k["magic"], k["ln2_hi"], k["ln2_lo"], k["lo_m1"]
    zero = one - one

    def impl(x):
        x = zero if x > zero else x
        x = lo if x < lo else x
        t = x * log2e + magic
        n = t - magic
        r = (x - n * ln2_hi) - n * ln2_lo
        s = _pow2(t)  # 2**n, normal: n >= lo / ln 2
        # For n = 0 (|x| <= ln2 / 2) this is expm1(r) itself, r = x exactly.
        return s * expm1_reduced(r) + (s - one)

    return impl


_SQRT2M1 = 0.41421356237309504880
# 2 atanh(s) = 2 (s + s**3/3 + s**5/5 + ...), |s| <= 3 - 2 sqrt(2) = 0.1716.
_ATANH = [2.0 / (2 * k + 1) for k in range(1, 11)]


def log1p_unit(x):
    """``log1p(x)`` for ``0 <= x <= 1`` (compiled: see the overload)."""
    return np.log1p(x)


@overload(log1p_unit)
def _log1p_unit(x):
    # 1 + x = 2**k (1 + f) with k = 0 or 1 and -0.29 < f <= 0.42 (for k = 1,
    # f = (x - 1) / 2 is exact for x in [0.5, 1] and within half an ulp
    # below); log1p(f) = 2 s + s * s2 * series(s2) with s = f / (2 + f): the
    # leading term apart so that the sum rounds once, relative to the result.
    if x == types.float64:
        a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 = [np.float64(v) for v in _ATANH]
        one, two, half = np.float64(1.0), np.float64(2.0), np.float64(0.5)
        ln2_hi, ln2_lo, split = _F64["ln2_hi"], _F64["ln2_lo"], np.float64(_SQRT2M1)
        zero = one - one

        def impl(x):
            big = x > split
            f = (x - one) * half if big else x
            s = f / (two + f)
            s2 = s * s
            p = a9
            p = p * s2 + a8
            p = p * s2 + a7
            p = p * s2 + a6
            p = p * s2 + a5
            p = p * s2 + a4
            p = p * s2 + a3
            p = p * s2 + a2
            p = p * s2 + a1
            p = p * s2 + a0
            y = two * s + s * (s2 * p)
            return (ln2_hi if big else zero) + (y + (ln2_lo if big else zero))

        return impl
    if x == types.float32:
        a0, a1, a2, a3, a4 = [np.float32(v) for v in _ATANH[:5]]
        one, two, half = np.float32(1.0), np.float32(2.0), np.float32(0.5)
        ln2_hi, ln2_lo, split = _F32["ln2_hi"], _F32["ln2_lo"], np.float32(_SQRT2M1)
        zero = one - one

        def impl(x):
            big = x > split
            f = (x - one) * half if big else x
            s = f / (two + f)
            s2 = s * s
            p = a4
            p = p * s2 + a3
            p = p * s2 + a2
            p = p * s2 + a1
            p = p * s2 + a0
            y = two * s + s * (s2 * p)
            return (ln2_hi if big else zero) + (y + (ln2_lo if big else zero))

        return impl
    return None


# Phi(-u) = exp(-u**2 / 2) * t * H(w), t = K / (K + u), w = alpha + beta t:
# H is fitted (Chebyshev nodes in w, exact values from erfc at 40 digits) over
# the u where Phi(-u) is a normal number, and evaluated by Horner in w.
_TAIL_K = 4.0
_TAIL_F32 = dict(
    # u in [0, 14]: w = (18 t - 11) / 7.
    alpha=-1.5714285714285712,
    beta=2.571428571428571,
    clamp=21.0,  # h = exp(-21**2 / 4) = 0 in float32 (H is extrapolated a little)
    split=2.0**12 + 1.0,  # Veltkamp split: u = hi + lo with 12-bit hi
    coefs=(
        0.22792223771665598,
        0.15756231023563802,
        0.08016393610725937,
        0.028588901804196133,
        0.0060015187635715965,
        9.133074568848913e-05,
        -0.0003089962819904336,
        -3.604078277947199e-05,
        1.4791912661912612e-05,
    ),
)
_TAIL_F64 = dict(
    # u in [0, 38.6].
    alpha=-1.2072538860103628,
    beta=2.2072538860103625,
    clamp=56.0,  # h = exp(-784) = 0
    split=2.0**27 + 1.0,
    coefs=(
        0.20398425485170385,
        0.15533662323347455,
        0.09091432504371824,
        0.03902086323689118,
        0.01068921994899294,
        0.000807196360096084,
        -0.0006229946122709255,
        -0.00018283365818982502,
        3.67095251611652e-05,
        2.1893972084062048e-05,
        -3.4003400164918663e-06,
        -2.58225898804937e-06,
        5.434843416565166e-07,
        2.98506910902847e-07,
        -1.0779021363808521e-07,
        -2.8403213751602336e-08,
        2.06277278726145e-08,
        1.0046288945344636e-09,
        -3.332116201138837e-09,
        2.7800274953447084e-10,
        3.864917183345875e-10,
        -4.290060823202368e-11,
        -2.2315820357492595e-11,
    ),
)


def normal_tail(u):
    """``(g, h)`` with ``Phi(-u) = g * h * h``, ``h = exp(-u**2 / 4)``, for ``u >= 0``.

    (Compiled: see the overload.)  ``g = t H(w)`` is of order ``1 / u``;
    returning ``h`` rather than ``h * h`` lets callers form products such as
    ``z Phi(-u)`` as ``((z g) h) h``, normal numbers wherever the result is,
    although ``h * h`` itself is subnormal there.
    """
    raise NotImplementedError


def tail_fit(w):
    """``H(w)`` of ``normal_tail`` (compiled only: see the overload)."""
    raise NotImplementedError


def _tail_impl(dtype, c):
    """``normal_tail`` for one precision."""
    alpha, beta, clamp, split = (dtype(c[k]) for k in ("alpha", "beta", "clamp", "split"))
    one, quarter, kk = dtype(1.0), dtype(0.25), dtype(_TAIL_K)

    def impl(u):
        u = min(u, clamp)  # (a select: a conditional expression stops Numba inlining)
        # u**2 = p + err exactly (Dekker's product): rounding u**2 would cost
        # up to u**2 / 2 ulp of exp(-u**2 / 2), 40 ulp at u = 9 in float32.
        p = u * u
        v = u * split
        hi = v - (v - u)
        lo = u - hi
        err = ((hi * hi - p) + (hi + hi) * lo) + lo * lo
        h = exp(-quarter * p) * (one - quarter * err)
        t = kk / (kk + u)
        return t * tail_fit(alpha + beta * t), h

    return impl


@overload(normal_tail, inline="always")
def _normal_tail(u):
    if u == types.float64:
        return _tail_impl(np.float64, _TAIL_F64)
    if u == types.float32:
        return _tail_impl(np.float32, _TAIL_F32)
    return None


@overload(tail_fit)
def _tail_fit(w):
    # Horner written out: a loop over a tuple of coefficients compiles to a
    # switch on the index, which does not vectorise.
    if w == types.float64:
        a = [np.float64(v) for v in _TAIL_F64["coefs"]]
        a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 = a[:12]
        a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22 = a[12:]

        def impl(w):
            h = a22
            h = h * w + a21
            h = h * w + a20
            h = h * w + a19
            h = h * w + a18
            h = h * w + a17
            h = h * w + a16
            h = h * w + a15
            h = h * w + a14
            h = h * w + a13
            h = h * w + a12
            h = h * w + a11
            h = h * w + a10
            h = h * w + a9
            h = h * w + a8
            h = h * w + a7
            h = h * w + a6
            h = h * w + a5
            h = h * w + a4
            h = h * w + a3
            h = h * w + a2
            h = h * w + a1
            return h * w + a0

        return impl
    if w == types.float32:
        b0, b1, b2, b3, b4, b5, b6, b7, b8 = [np.float32(v) for v in _TAIL_F32["coefs"]]

        def impl(w):
            h = b8
            h = h * w + b7
            h = h * w + b6
            h = h * w + b5
            h = h * w + b4
            h = h * w + b3
            h = h * w + b2
            h = h * w + b1
            return h * w + b0

        return impl
    return None
