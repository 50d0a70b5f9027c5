"""ONNX export of skmlp's estimators through skl2onnx.

Importing this module registers a shape calculator and a converter for
:class:`~skmlp.MLPClassifier` and :class:`~skmlp.MLPRegressor` with skl2onnx
(and, for the classifier, skl2onnx's classifier parser with its options
``zipmap``, ``output_class_labels`` and ``nocl``), so that
``skl2onnx.to_onnx`` converts them, alone or inside a
:class:`~sklearn.pipeline.Pipeline`::

    import skmlp.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx

    onx = to_onnx(model, X[:1].astype(np.float32))

It needs the ``onnx`` extra (``pip install "skmlp[onnx]"``); ``import skmlp``
alone never imports skl2onnx.

What the graph computes, for every model skmlp can fit:

- each layer is ``MatMul`` and ``Add``; batch normalisation is folded into
  the weights and biases of its layer (``scale / sqrt(var + eps)`` multiplies
  the columns of W, and ``intercept - mean * scale / sqrt(var + eps)`` is the
  bias), exactly the formula of prediction; dropout does nothing at
  inference and is absent;
- the hidden activation of each layer comes from
  ``skmlp.onnx._graph.HIDDEN_BUILDERS``, built from operators that ONNX
  Runtime implements in float32 and float64 (gelu in float32 is the ``Gelu``
  operator, opset 20);
- the output activation is ``out_activation_``; a classifier's probabilities
  are clipped to ``[tiny, 1 - epsneg]`` like ``predict_proba``, a binary
  classifier outputs the two columns ``[1 - p, p]``, and the labels are
  ``classes_`` taken at the argmax (multiclass), at ``p > 0.5`` (binary), or
  the indicator ``p > 0.5`` (multilabel);
- the computation runs in the input's type: ``FloatTensorType`` gives a
  float32 graph, ``DoubleTensorType`` a float64 one.

Labels are int64 tensors for integer, boolean and (integer-valued) float classes,
string tensors for string classes.
"""

import numpy as np
from onnx import TensorProto
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils_classifier import get_label_classes

from .._classifier import MLPClassifier
from .._engine.batch_norm import EPSILON
from .._regressor import MLPRegressor
from ._graph import HIDDEN_BUILDERS, minimum_opset, output_activation

__all__ = [
    "CLASSIFIER_OPTIONS",
    "classifier_shapes",
    "convert_classifier",
    "convert_regressor",
    "hidden_activation",
    "minimum_opset",
    "register",
    "regressor_shapes",
]

_ONNX_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}
_TENSOR_TYPES = {FloatTensorType: np.float32, DoubleTensorType: np.float64}

#: The classifier's conversion options (skl2onnx's names and values).
CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [False, True],
}


class _Graph:
    """Adds nodes and constants of one dtype to skl2onnx's container."""

    def __init__(self, scope, container, dtype, prefix):
        self.scope = scope
        self.container = container
        self.dtype = np.dtype(dtype)
        self.prefix = prefix

    def _name(self, seed):
        return self.scope.get_unique_variable_name(self.prefix + seed)

    def const(self, value, dtype=None):
        """An initializer holding ``value`` in ``dtype`` (default: the graph's)."""
        value = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        name = self._name("c")
        if value.dtype.kind in "UO":
            onnx_type, content = TensorProto.STRING, [str(v).encode("utf-8") for v in value.ravel()]
        elif value.dtype == np.int64:
            onnx_type, content = TensorProto.INT64, value.ravel().tolist()
        else:
            onnx_type, content = _ONNX_TYPES[value.dtype], value.ravel().tolist()
        self.container.add_initializer(name, onnx_type, list(value.shape), content)
        return name

    def op(self, op_type, *inputs, output=None, **attrs):
        """Add one node; return the name of its (only) output."""
        output = output or self._name(op_type.lower())
        self.container.add_node(
            op_type,
            list(inputs),
            [output],
            name=self.scope.get_unique_operator_name(self.prefix + op_type),
            **attrs,
        )
        return output


def _input_dtype(operator):
    for tensor_type, dtype in _TENSOR_TYPES.items():
        if isinstance(operator.inputs[0].type, tensor_type):
            return dtype
    raise TypeError(
        "skmlp's ONNX converter takes a FloatTensorType or DoubleTensorType input, got %r; "
        "convert the input to float32 or float64 first." % (operator.inputs[0].type,)
    )


def _check_input(operator):
    if len(operator.inputs) != 1:
        raise RuntimeError(
            "skmlp's estimators take one input tensor, got %d." % len(operator.inputs)
        )
    _input_dtype(operator)
    model = operator.raw_operator
    activation = model.activation
    if callable(activation) and not isinstance(activation, str):
        name = getattr(getattr(activation, "py_func", activation), "__qualname__", activation)
        raise ValueError(
            "%s uses the user-defined activation %s, compiled Numba code that an ONNX "
            "graph cannot express; only the built-in activations are exported (a "
            "user-defined loss is: it does not take part in prediction)."
            % (type(model).__name__, name)
        )
    width = operator.inputs[0].type.shape[1] if len(operator.inputs[0].type.shape) == 2 else None
    if isinstance(width, int) and width != model.n_features_in_:
        raise ValueError(
            "The input has %d features but %s was fitted with %d."
            % (width, type(model).__name__, model.n_features_in_)
        )


def hidden_activation(model, layer: int) -> str:
    """The activation name of hidden layer ``layer`` of a fitted model (0 is the first).

    The one place the converter reads the hidden activation from.

    Parameters
    ----------
    model : MLPClassifier or MLPRegressor
        A fitted model.
    layer : int
        Index of the hidden layer.

    Returns
    -------
    name : str
        A key of ``skmlp._engine.activations.HIDDEN_ACTIVATIONS``: ``activation``
        itself, or its entry ``layer`` when it is a list of one name per
        hidden layer.
    """
    return model._hidden_activations(len(model.coefs_) - 1)[layer]


def _layers(model):
    """``(W, b)`` of every layer in float64, batch normalisation folded in.

    Prediction computes ``(A @ W - mean) * factor + b`` with ``factor = scale /
    sqrt(var + eps)``, which is ``A @ (W * factor) + (b - mean * factor)``.
    """
    coefs = [np.asarray(c, dtype=np.float64) for c in model.coefs_]
    intercepts = [np.asarray(b, dtype=np.float64) for b in model.intercepts_]
    if getattr(model, "_batch_normalized", False):
        for i, (scale, mean, var) in enumerate(
            zip(model.batch_norm_scales_, model.batch_norm_means_, model.batch_norm_vars_)
        ):
            factor = np.asarray(scale, np.float64) / np.sqrt(np.asarray(var, np.float64) + EPSILON)
            coefs[i] = coefs[i] * factor
            intercepts[i] = intercepts[i] - np.asarray(mean, np.float64) * factor
    return list(zip(coefs, intercepts))


def _check_opset(model, dtype, target_opset):
    for layer in range(len(model.coefs_) - 1):
        name = hidden_activation(model, layer)
        needed = minimum_opset(name, dtype)
        if target_opset is not None and target_opset < needed:
            raise ValueError(
                "activation=%r needs ONNX opset %d or later for a %s model, but the target "
                "opset is %d; pass target_opset=%d (or later) to skl2onnx.to_onnx."
                % (name, needed, np.dtype(dtype).name, target_opset, needed)
            )


def _network_output(scope, operator, container):
    """The graph of the network up to its output activation; returns the graph and the output."""
    model = operator.raw_operator
    dtype = _input_dtype(operator)
    _check_opset(model, dtype, container.target_opset)
    g = _Graph(scope, container, dtype, prefix="skmlp_")
    h = operator.inputs[0].full_name
    layers = _layers(model)
    for i, (coef, intercept) in enumerate(layers):
        h = g.op("Add", g.op("MatMul", h, g.const(coef)), g.const(intercept))
        if i < len(layers) - 1:
            h = HIDDEN_BUILDERS[hidden_activation(model, i)](g, h)
    return g, output_activation(g, model.out_activation_, h)


def _label_values(scope, model):
    """``classes_`` as an int64 or a string array (what the label tensor holds)."""
    classes = np.asarray(get_label_classes(scope, model))
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        # scikit-learn accepts float class labels only when they are integers.
        return classes.astype(np.int64)
    return classes.astype(str)


def _multilabel(model):
    return model._label_binarizer.y_type_ == "multilabel-indicator"


def _check_classifier_options(scope, model, dtype):
    """Refuse, with the way out, the option combinations ONNX or skl2onnx cannot express."""
    options = scope.get_options(model, dict(zipmap=True, output_class_labels=False))
    if options["zipmap"] is True and np.dtype(dtype) == np.float64:
        raise ValueError(
            "ONNX's ZipMap operator takes float32 probabilities only; convert a float64 "
            "model (DoubleTensorType input) with options={'zipmap': False} or "
            "{'zipmap': 'columns'}."
        )
    if options["output_class_labels"] and np.asarray(model.classes_).dtype == np.bool_:
        raise ValueError(
            "skl2onnx cannot write boolean class labels (option output_class_labels); "
            "convert without it: the label output holds the classes as int64 0 and 1."
        )


def convert_classifier(scope, operator, container):
    """skl2onnx converter of :class:`~skmlp.MLPClassifier`: outputs label and probabilities."""
    model = operator.raw_operator
    _check_classifier_options(scope, model, _input_dtype(operator))
    g, p = _network_output(scope, operator, container)
    label_out, proba_out = (v.full_name for v in operator.outputs[:2])
    info = np.finfo(g.dtype)
    p = g.op("Max", g.op("Min", p, g.const(1 - info.epsneg)), g.const(info.tiny))
    if _multilabel(model):
        g.op("Identity", p, output=proba_out)
        positive = g.op("Greater", p, g.const(0.5))
        g.op("Cast", positive, output=label_out, to=TensorProto.INT64)
        return
    if model.out_activation_ == "softmax":
        g.op("Identity", p, output=proba_out)
        index = g.op("ArgMax", p, axis=1, keepdims=0)
    else:  # binary: one logistic output
        g.op("Concat", g.op("Sub", g.const(1.0), p), p, output=proba_out, axis=1)
        positive = g.op("Reshape", g.op("Greater", p, g.const(0.5)), g.const([-1], np.int64))
        index = g.op("Cast", positive, to=TensorProto.INT64)
    labels = _label_values(scope, model)
    g.op("Gather", g.const(labels, labels.dtype), index, output=label_out, axis=0)


def convert_regressor(scope, operator, container):
    """skl2onnx converter of :class:`~skmlp.MLPRegressor`: one ``(N, n_outputs_)`` tensor.

    A model of several quantiles (``quantile`` a list) outputs them as
    ``predict`` does, ``(N, n_quantiles)`` or ``(N, n_outputs_,
    n_quantiles)``: the network's outputs, regrouped per target, through
    the map that keeps them increasing (the first, then cumulative sums of
    the softplus of the others; ``skmlp._engine.losses.monotone_quantiles``).
    """
    g, out = _network_output(scope, operator, container)
    model = operator.raw_operator
    taus = model._fitted_quantiles()
    if taus is not None:
        k, n_targets = len(taus), model.n_outputs_
        z = g.op("Reshape", out, g.const([-1, n_targets, k], np.int64))
        first = g.op("Slice", z, *(g.const([v], np.int64) for v in (0, 1, 2)))
        rest = g.op("Slice", z, *(g.const([v], np.int64) for v in (1, k, 2)))
        steps = g.op("Concat", first, HIDDEN_BUILDERS["softplus"](g, rest), axis=2)
        out = g.op("CumSum", steps, g.const(2, np.int64))
        if n_targets == 1:
            out = g.op("Reshape", out, g.const([-1, k], np.int64))
    g.op("Identity", out, output=operator.outputs[0].full_name)


def _first_dimension(operator):
    return operator.inputs[0].get_first_dimension()


def classifier_shapes(operator):
    """Shape calculator: label ``(N,)`` (multilabel ``(N, C)``), probabilities ``(N, C)``."""
    _check_input(operator)
    model = operator.raw_operator
    n = _first_dimension(operator)
    labels = _label_values(operator.scope_inst, model)
    n_classes = len(labels)
    if _multilabel(model):
        operator.outputs[0].type = Int64TensorType([n, n_classes])
    elif labels.dtype.kind == "U":
        operator.outputs[0].type = StringTensorType([n])
    else:
        operator.outputs[0].type = Int64TensorType([n])
    operator.outputs[1].type = operator.inputs[0].type.__class__([n, n_classes])


def regressor_shapes(operator):
    """Shape calculator: one tensor of the input's type, of ``predict``'s shape."""
    _check_input(operator)
    n = _first_dimension(operator)
    model = operator.raw_operator
    taus = model._fitted_quantiles()
    if taus is None:
        shape = [n, model.n_outputs_]
    elif model.n_outputs_ == 1:
        shape = [n, len(taus)]
    else:
        shape = [n, model.n_outputs_, len(taus)]
    operator.outputs[0].type = operator.inputs[0].type.__class__(shape)


def register() -> None:
    """Register the converters with skl2onnx (done on import; calling again is harmless).

    Registers, for :class:`~skmlp.MLPClassifier` (alias
    ``"SkmlpMLPClassifier"``, options ``CLASSIFIER_OPTIONS`` and with them
    skl2onnx's classifier parser) and :class:`~skmlp.MLPRegressor` (alias
    ``"SkmlpMLPRegressor"``), a shape calculator and a converter.

    See Also
    --------
    skl2onnx.update_registered_converter : The registration used.

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_iris
    >>> import skmlp.onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> model = skmlp.MLPClassifier(max_iter=300, random_state=0).fit(X, y)
    >>> onx = to_onnx(model, X[:1].astype(np.float32), options={"zipmap": False})
    >>> [output.name for output in onx.graph.output]
    ['label', 'probabilities']
    """
    update_registered_converter(
        MLPClassifier,
        "SkmlpMLPClassifier",
        classifier_shapes,
        convert_classifier,
        options=CLASSIFIER_OPTIONS,
    )
    update_registered_converter(
        MLPRegressor, "SkmlpMLPRegressor", regressor_shapes, convert_regressor
    )


register()
