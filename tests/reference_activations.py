"""NumPy/SciPy reference implementations of the hidden activations (float64).

Written from the textbook definitions, independently of the kernels in
``skmlp._engine.activations``; used by test_activations.py (values and derivatives)
and test_gradients.py (an independent forward pass).  Meant for finite input:
the limits at +-inf are checked separately.
"""

import numpy as np
from scipy.special import expit, ndtr

LEAKY_SLOPE = 0.01
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _gelu_derivative(z):
    # Phi(z) + z phi(z); z**2 overflows to inf (and exp to 0) for huge |z|.
    with np.errstate(over="ignore"):
        return ndtr(z) + z * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def _silu_derivative(z):
    s = expit(z)
    return s + z * s * (1 - s)


def _mish_derivative(z):
    # tanh(sp) + z sech(sp)**2 logistic(z) with sp = softplus(z) and
    # sech**2 = 1 - tanh**2 (cosh(sp) itself overflows for large z).
    t = np.tanh(np.logaddexp(0, z))
    return t + z * (1 - t * t) * expit(z)


VALUES = {
    "identity": lambda z: z,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0))),
    # Phi(z) = ndtr(z) = (1 + erf(z / sqrt(2))) / 2, accurate in both tails.
    "gelu": lambda z: z * ndtr(z),
    "silu": lambda z: z * expit(z),
    "softplus": lambda z: np.logaddexp(0, z),
    "mish": lambda z: z * np.tanh(np.logaddexp(0, z)),
}

DERIVATIVES = {
    "identity": np.ones_like,
    "logistic": lambda z: expit(z) * expit(-z),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(np.float64),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0))),
    "gelu": _gelu_derivative,
    "silu": _silu_derivative,
    "softplus": expit,
    "mish": _mish_derivative,
}

#: f(-inf) and f(+inf) where the limit exists (None: not tested).
LIMITS = {
    "identity": (-np.inf, np.inf),
    "logistic": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, np.inf),
    "leaky_relu": (-np.inf, np.inf),
    "elu": (-1.0, np.inf),
    "selu": (-SELU_SCALE * SELU_ALPHA, np.inf),
    "gelu": (0.0, np.inf),
    "silu": (0.0, np.inf),
    "softplus": (0.0, np.inf),
    "mish": (0.0, np.inf),
}

#: f'(-inf) and f'(+inf).
DERIVATIVE_LIMITS = {
    "identity": (1.0, 1.0),
    "logistic": (0.0, 0.0),
    "tanh": (0.0, 0.0),
    "relu": (0.0, 1.0),
    "leaky_relu": (LEAKY_SLOPE, 1.0),
    "elu": (0.0, 1.0),
    "selu": (0.0, SELU_SCALE),
    "gelu": (0.0, 1.0),
    "silu": (0.0, 1.0),
    "softplus": (0.0, 1.0),
    "mish": (0.0, 1.0),
}


def value(name, z):
    return VALUES[name](np.asarray(z, dtype=np.float64))


def derivative(name, z):
    return DERIVATIVES[name](np.asarray(z, dtype=np.float64))
