"""ONNX subgraphs of skmlp's activations, for the converters of :mod:`skmlp.onnx`.

Every activation is one builder ``f(graph, x) -> name`` in a name table,
like the compiled kernels' table in :mod:`skmlp._engine.activations`.  The builders
use operators that ONNX Runtime's CPU provider implements in float32 *and*
float64 (``Exp``, ``Log``, ``Tanh``, ``Sigmoid``, ``Max``, ``Min``, ``Abs``,
``Where``, arithmetic): it has no float64 kernel for ``Erf``, ``Gelu``,
``Elu``, ``Selu``, ``Softplus`` or ``LeakyRelu``, and casting to float32
around them would lose the float64 precision.  The one exception is gelu in
float32, which is the ``Gelu`` operator (opset 20); in float64 it is built
from an erfc accurate to double precision (:func:`_upper_tail`).

Nothing here imports onnx or skl2onnx: the graph object handed to the
builders (``_Graph`` in :mod:`skmlp.onnx`) does.
"""

import numpy as np

from .._engine.activations import LEAKY_SLOPE, SELU_ALPHA, SELU_SCALE

_SQRT1_2 = 0.70710678118654752440084436210485  # 1 / sqrt(2)

#: Chebyshev coefficients of ``F(y) = (1 + 2 t) exp(t^2) erfc(t)`` in
#: ``y = (t - K) / (t + K)``, ``t >= 0`` (degree 24: one unit in the last
#: place of float64 on the whole half-line).  Written by
#: tests/data/make_erfc_chebyshev.py, which explains the derivation.
_ERFC_K = 3.75
_ERFC_CHEBYSHEV = (
    1.1775789345674017,
    -0.004590054580646478,
    -0.08424913336651792,
    0.05920993999819189,
    -0.026658668435305753,
    0.009074997670705265,
    -0.002413163540417608,
    0.0004907758365258086,
    -6.916973302501207e-05,
    4.13902798607301e-06,
    7.74038306619849e-07,
    -2.1886401049234397e-07,
    1.076499946567091e-08,
    4.521959811218287e-09,
    -7.754400208831352e-10,
    -6.318088340886467e-11,
    2.8687950109312828e-11,
    1.9455868542480252e-13,
    -9.654696750202875e-13,
    3.2525481894915335e-14,
    3.3478123773154764e-14,
    -1.8645662019034036e-15,
    -1.2508924186828822e-15,
    7.415558623884118e-17,
    5.286883199226413e-17,
)
# Beyond this t, exp(-t^2) is 0 in float64; the clamp keeps y finite at t = inf.
_ERFC_T_MAX = 30.0


def _positive_part(g, x):
    return g.op("Max", x, g.const(0.0))


def _negative_part(g, x):
    return g.op("Min", x, g.const(0.0))


def _expm1_of_negative_part(g, x):
    """``exp(min(x, 0)) - 1``: 0 for x >= 0, so it adds to ``max(x, 0)``."""
    return g.op("Sub", g.op("Exp", _negative_part(g, x)), g.const(1.0))


def _identity(g, x):
    return x


def _logistic(g, x):
    return g.op("Sigmoid", x)


def _tanh(g, x):
    return g.op("Tanh", x)


def _relu(g, x):
    return _positive_part(g, x)


def _leaky_relu(g, x):
    # max(x, slope x) is x for x > 0 and slope x otherwise (0 < slope < 1).
    return g.op("Max", x, g.op("Mul", x, g.const(LEAKY_SLOPE)))


def _elu(g, x):
    return g.op("Add", _positive_part(g, x), _expm1_of_negative_part(g, x))


def _selu(g, x):
    negative = g.op("Mul", _expm1_of_negative_part(g, x), g.const(SELU_SCALE * SELU_ALPHA))
    positive = g.op("Mul", _positive_part(g, x), g.const(SELU_SCALE))
    return g.op("Add", positive, negative)


def _softplus(g, x):
    # max(x, 0) + log(1 + exp(-|x|)): exp never overflows.
    tail = g.op("Log", g.op("Add", g.const(1.0), g.op("Exp", g.op("Neg", g.op("Abs", x)))))
    return g.op("Add", _positive_part(g, x), tail)


def _silu(g, x):
    # Swish would need opset 24.
    return g.op("Mul", x, g.op("Sigmoid", x))


def _mish(g, x):
    return g.op("Mul", x, g.op("Tanh", _softplus(g, x)))


def _upper_tail(g, a):
    """``Q(a) = erfc(a / sqrt(2)) / 2`` for ``a >= 0``, from arithmetic and Exp.

    ``erfc(t) = exp(-t^2) F(y) / (1 + 2 t)`` with F the Chebyshev series
    above, summed by Clenshaw's recurrence.  No cancellation: Q keeps its
    relative precision far into the tail, as the compiled gelu's ``erfc``.
    """
    t = g.op("Min", g.op("Mul", a, g.const(_SQRT1_2)), g.const(_ERFC_T_MAX))
    k = g.const(_ERFC_K)
    y = g.op("Div", g.op("Sub", t, k), g.op("Add", t, k))
    two_y = g.op("Add", y, y)
    c = _ERFC_CHEBYSHEV
    # b_j = c_j + 2 y b_{j+1} - b_{j+2}, from the top; F = c_0 + y b_1 - b_2.
    b1, b2 = g.const(c[-1]), None
    for cj in c[-2:0:-1]:
        b = g.op("Add", g.op("Mul", two_y, b1), g.const(cj))
        if b2 is not None:
            b = g.op("Sub", b, b2)
        b1, b2 = b, b1
    f = g.op("Sub", g.op("Add", g.op("Mul", y, b1), g.const(c[0])), b2)
    gauss = g.op("Exp", g.op("Neg", g.op("Mul", t, t)))
    denominator = g.op("Add", g.const(2.0), g.op("Mul", t, g.const(4.0)))  # 2 (1 + 2 t)
    return g.op("Div", g.op("Mul", gauss, f), denominator)


def normal_cdf(g, x):
    """``Phi(x)``: ``Q(|x|)`` below zero, ``1 - Q(|x|)`` above."""
    q = _upper_tail(g, g.op("Abs", x))
    return g.op("Where", g.op("Less", x, g.const(0.0)), q, g.op("Sub", g.const(1.0), q))


def _gelu(g, x):
    if g.dtype == np.float32:
        return g.op("Gelu", x, approximate="none")
    return g.op("Mul", x, normal_cdf(g, x))


#: ONNX subgraph builder of every hidden activation (the keys of
#: ``skmlp._engine.activations.HIDDEN_ACTIVATIONS``).
HIDDEN_BUILDERS = {
    "identity": _identity,
    "logistic": _logistic,
    "tanh": _tanh,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": _selu,
    "gelu": _gelu,
    "silu": _silu,
    "softplus": _softplus,
    "mish": _mish,
}


def minimum_opset(activation: str, dtype) -> int:
    """The lowest ONNX opset whose operators express ``activation`` in ``dtype``.

    Every activation but float32 gelu (the ``Gelu`` operator, opset 20) is
    made of operators that exist since opset 9 (``Where``).

    Parameters
    ----------
    activation : str
        A hidden activation name.
    dtype : dtype-like
        float32 or float64: the type the graph computes in.

    Returns
    -------
    opset : int
        The minimum ``target_opset``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.onnx._graph import minimum_opset
    >>> minimum_opset("gelu", np.float32), minimum_opset("gelu", np.float64)
    (20, 9)
    """
    if activation == "gelu" and np.dtype(dtype) == np.float32:
        return 20
    return 9


def output_activation(g, name, x):
    """The output layer's activation (``out_activation_``)."""
    if name == "identity":
        return x
    if name == "exp":
        return g.op("Exp", x)
    if name == "logistic":
        return g.op("Sigmoid", x)
    if name == "softmax":
        return g.op("Softmax", x, axis=1)
    raise ValueError("Unknown output activation %r." % (name,))
