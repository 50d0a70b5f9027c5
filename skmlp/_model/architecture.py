"""The network's shape from the parameters: hidden layer widths and activations.

``hidden_layer_sizes`` is a sequence of widths, one int, or ``'auto'`` (one
hidden layer whose width is decided at fit from the data's shape);
``activation`` is one name for every hidden layer or one name per hidden
layer. This module turns both into what the estimators and kernels use: a
list of widths, and the integer code of every hidden layer's activation (the
``hidden`` array of the kernels' ``spec`` pack).
"""

from numbers import Integral

import numpy as np

from .._engine.activations import HIDDEN_ACTIVATIONS
from .._engine.user import activation_code, check_function

#: What a user-defined activation returns, for the error messages.
_RETURNS = "takes a float z and returns the tuple (f(z), f'(z))"


def auto_width(n_features: int, n_outputs: int) -> int:
    """The width of ``hidden_layer_sizes='auto'``: the mean of input and output widths.

    ``max(1, round((n_features + n_outputs) / 2))``, with Python's ``round``
    (a half goes to the even neighbour).
    """
    return max(1, round((n_features + n_outputs) / 2))


def validated_sizes(sizes):
    """``hidden_layer_sizes`` as a list of positive ints, or None for ``'auto'``."""
    if isinstance(sizes, str):
        if sizes == "auto":
            return None
        raise ValueError("hidden_layer_sizes must be 'auto' or positive integers, got %r." % sizes)
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    for size in sizes:
        if (
            isinstance(size, (bool, np.bool_))
            or not isinstance(size, (Integral, np.integer))
            or size <= 0
        ):
            raise ValueError("hidden_layer_sizes must be positive integers, got %s." % (sizes,))
    return [int(s) for s in sizes]


def n_hidden_layers(sizes) -> int:
    """Number of hidden layers ``hidden_layer_sizes`` asks for (1 for ``'auto'``)."""
    validated = validated_sizes(sizes)
    return 1 if validated is None else len(validated)


def resolved_sizes(sizes, n_features, n_outputs):
    """The hidden layers' widths for data of ``n_features`` inputs and ``n_outputs`` outputs."""
    validated = validated_sizes(sizes)
    if validated is None:
        return [auto_width(n_features, n_outputs)]
    return validated


def hidden_activations(activation, n_hidden, sizes=None):
    """``activation`` as one name per hidden layer (ValueError if it is not valid).

    A string names the activation of every hidden layer; a list or tuple (or
    1-D array) of strings names each hidden layer's in order and must have
    ``n_hidden`` entries. ``sizes`` (``hidden_layer_sizes``) is named in the
    error message of a wrong length.
    """
    if callable(activation) and not isinstance(activation, (str, type)):
        check_function(activation, "activation", _RETURNS)
        return [activation] * n_hidden
    if isinstance(activation, str):
        if activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                "activation must be one of %s, got %r." % (sorted(HIDDEN_ACTIVATIONS), activation)
            )
        return [activation] * n_hidden
    names = list(np.asarray(activation, dtype=object).ravel()) if _is_sequence(activation) else None
    if names is None or np.ndim(np.asarray(activation, dtype=object)) != 1:
        raise ValueError(
            "activation must be a name or a list or tuple of names, one per hidden "
            "layer, got %r." % (activation,)
        )
    if any(callable(name) and not isinstance(name, str) for name in names):
        raise ValueError(
            "activation: a user-defined activation is given alone, for every hidden "
            "layer, not in a list; got %r." % (activation,)
        )
    unknown = [name for name in names if not (isinstance(name, str) and name in HIDDEN_ACTIVATIONS)]
    if unknown:
        raise ValueError(
            "activation has unknown names %s; each must be one of %s."
            % (unknown, sorted(HIDDEN_ACTIVATIONS))
        )
    if len(names) != n_hidden:
        raise ValueError(
            "activation has %d names but hidden_layer_sizes=%r has %d hidden "
            "layers: give one activation per hidden layer, or one name for all "
            "of them." % (len(names), sizes, n_hidden)
        )
    return [str(name) for name in names]


def _is_sequence(value):
    return isinstance(value, (list, tuple, np.ndarray))


def activation_codes(names):
    """The kernels' ``hidden`` array: the int64 code of each hidden layer's activation.

    A user-defined activation (a function) gets its code in this process
    (:func:`skmlp._engine.user.activation_code`).
    """
    return np.array(
        [HIDDEN_ACTIVATIONS[n] if isinstance(n, str) else activation_code(n) for n in names],
        dtype=np.int64,
    )


def init_activations(activation, names):
    """The activation that sets the initialisation gain of each weight matrix.

    A weight matrix takes the activation of the hidden layer it feeds; the
    output layer's takes the last hidden layer's. A single name is used for
    every matrix, which is scikit-learn's rule (its 'logistic' gain applies to
    the output layer's weights too).
    """
    if not isinstance(activation, str) and callable(activation):
        return [None] * (len(names) + 1)  # a user-defined activation: the default gain
    if isinstance(activation, str) or not names:
        name = activation if isinstance(activation, str) else None
        return [name] * (len(names) + 1)
    return [*names, names[-1]]
