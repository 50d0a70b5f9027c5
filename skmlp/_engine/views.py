"""Views into the flat buffers, emitted where they are used.

The skeletons of :mod:`skmlp._engine.network` cut every weight matrix,
intercept vector and activation block out of a flat buffer. Written as
``buf[start:start + n * m].reshape((n, m))``, each such view was a compiled
kernel of its own (Numba's ``reshape`` carries a shape check whose error
message takes formatting code), linked into every skeleton and optimised
again in each. These intrinsics emit the view itself instead: a few
instructions that set the data pointer, shape and strides, sharing the
buffer's memory (and its reference count) as any NumPy view does. They
compile nothing of their own.

They do not check bounds: the callers (the skeletons) cut the buffers by the
layouts that sized them (:mod:`skmlp._engine.workspaces`,
:mod:`skmlp._model.layout`).

**One skeleton for both dtypes.** The skeletons never read or write an
element of a float array: they cut views and hand them to the plugged
kernels. So they take every array of the model's dtype (float32 or float64)
typed as an array of ``uint8``, and Numba compiles each skeleton once for
both dtypes. Python passes ``a.view(np.uint8)`` (bytes);
:func:`elements` turns such an array (or every one in a tuple) into what
this module calls an *opaque* array: still typed ``uint8``, but with the
shape, strides and item size of the float array it views. The views below
work on both kinds (they step by the item size the array holds), and a
plugged kernel receives an opaque array as the float array it is (the same
structure, the same bits: see :mod:`skmlp._engine.plugs`). A skeleton must
never index an opaque array itself, nor slice it with Numba's slicing:
:func:`row_range` does that.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array


def _advance(builder, data, nbytes):
    """The pointer ``nbytes`` bytes after ``data`` (of ``data``'s type)."""
    byte_ptr = builder.bitcast(data, ir.IntType(8).as_pointer())
    return builder.bitcast(builder.gep(byte_ptr, [nbytes], inbounds=True), data.type)


def _view(context, builder, sig, args, shape):
    """Emit the C-contiguous view of ``sig.return_type`` at element ``args[1]`` of ``args[0]``."""
    buf_type, rtype = sig.args[0], sig.return_type
    buf = make_array(buf_type)(context, builder, value=args[0])
    start = context.cast(builder, args[1], sig.args[1], types.intp)
    shape = [context.cast(builder, value, ty, types.intp) for value, ty in zip(shape, sig.args[2:])]
    strides = [buf.itemsize]
    for extent in reversed(shape[1:]):
        strides.insert(0, builder.mul(strides[0], extent))
    out = make_array(rtype)(context, builder)
    populate_array(
        out,
        data=_advance(builder, buf.data, builder.mul(start, buf.itemsize)),
        shape=shape,
        strides=strides,
        itemsize=buf.itemsize,
        meminfo=buf.meminfo,
        parent=buf.parent,
    )
    return impl_ret_borrowed(context, builder, rtype, out._getvalue())


def _is_buffer(buf):
    return isinstance(buf, types.Array) and buf.ndim == 1 and buf.layout == "C"


@intrinsic
def vector(typingctx, buf, start, n):
    """``buf[start:start + n]`` (``buf`` a C-contiguous vector)."""
    if not _is_buffer(buf) or not all(isinstance(t, types.Integer) for t in (start, n)):
        return None
    sig = types.Array(buf.dtype, 1, "C")(buf, start, n)
    return sig, lambda context, builder, sig, args: _view(context, builder, sig, args, args[2:])


@intrinsic
def matrix(typingctx, buf, start, n, m):
    """``buf[start:start + n * m].reshape((n, m))`` (``buf`` a C-contiguous vector)."""
    if not _is_buffer(buf) or not all(isinstance(t, types.Integer) for t in (start, n, m)):
        return None
    sig = types.Array(buf.dtype, 2, "C")(buf, start, n, m)
    return sig, lambda context, builder, sig, args: _view(context, builder, sig, args, args[2:])


@intrinsic
def flat(typingctx, a):
    """The C-contiguous 2-d array ``a`` as a vector (``a.reshape(-1)``, emitted in place)."""
    if not (isinstance(a, types.Array) and a.ndim == 2 and a.layout == "C"):
        return None
    rtype = types.Array(a.dtype, 1, "C")

    def codegen(context, builder, sig, args):
        arr = make_array(a)(context, builder, value=args[0])
        out = make_array(rtype)(context, builder)
        populate_array(
            out,
            data=arr.data,
            shape=[arr.nitems],
            strides=[arr.itemsize],
            itemsize=arr.itemsize,
            meminfo=arr.meminfo,
            parent=arr.parent,
        )
        return impl_ret_borrowed(context, builder, rtype, out._getvalue())

    return rtype(a), codegen


def _element(context, builder, array_type, array, index, index_type):
    """Emit ``array[index]`` (a non-negative index into a C-contiguous vector)."""
    array = make_array(array_type)(context, builder, value=array)
    index = context.cast(builder, index, index_type, types.intp)
    return builder.load(builder.gep(array.data, [index], inbounds=True))


def _is_index(offsets):
    return _is_buffer(offsets) and isinstance(offsets.dtype, types.Integer)


@intrinsic
def block(typingctx, ws, offsets, units, k, n):
    """Layer ``k``'s block of workspace ``ws``: ``n`` rows of ``units[k]``, at ``offsets[k]``."""
    if not (_is_buffer(ws) and _is_index(offsets) and _is_index(units)):
        return None
    sig = types.Array(ws.dtype, 2, "C")(ws, offsets, units, k, n)

    def codegen(context, builder, sig, args):
        ws_, offsets_, units_, k_, n_ = args
        start = _element(context, builder, sig.args[1], offsets_, k_, sig.args[3])
        width = _element(context, builder, sig.args[2], units_, k_, sig.args[3])
        inner = types.Array(ws.dtype, 2, "C")(sig.args[0], offsets.dtype, sig.args[4], units.dtype)
        return _view(context, builder, inner, (ws_, start, n_, width), (n_, width))

    return sig, codegen


def _layer(context, builder, sig, args, offsets):
    """Emit ``(start, units[i], units[i + 1])`` of layer ``args[2]``, its start in
    ``params`` read from member ``offsets`` of the layout pack ``args[1]``."""
    layout_type = sig.args[1]
    units_type = layout_type.types[0]
    i = context.cast(builder, args[2], sig.args[2], types.intp)
    i1 = builder.add(i, context.get_constant(types.intp, 1))
    units = builder.extract_value(args[1], 0)
    where = builder.extract_value(args[1], offsets)
    start = _element(context, builder, layout_type.types[offsets], where, i, types.intp)
    n = _element(context, builder, units_type, units, i, types.intp)
    m = _element(context, builder, units_type, units, i1, types.intp)
    return start, n, m


def _is_layout(layout):
    return isinstance(layout, types.BaseTuple) and all(map(_is_index, layout.types[:3]))


@intrinsic
def coef(typingctx, params, layout, i):
    """Layer ``i``'s weight matrix in ``params`` (``layout``: see :mod:`skmlp._engine.network`)."""
    if not (_is_buffer(params) and _is_layout(layout)):
        return None
    sig = types.Array(params.dtype, 2, "C")(params, layout, i)
    index = layout.types[0].dtype

    def codegen(context, builder, sig, args):
        start, n, m = _layer(context, builder, sig, args, 1)
        inner = sig.return_type(params, index, index, index)
        return _view(context, builder, inner, (args[0], start, n, m), (n, m))

    return sig, codegen


@intrinsic
def intercept(typingctx, params, layout, i):
    """The intercept vector of layer ``i`` in ``params`` (``layout`` as for :func:`coef`)."""
    if not (_is_buffer(params) and _is_layout(layout)):
        return None
    sig = types.Array(params.dtype, 1, "C")(params, layout, i)
    index = layout.types[0].dtype

    def codegen(context, builder, sig, args):
        start, _, m = _layer(context, builder, sig, args, 2)
        inner = sig.return_type(params, index, index)
        return _view(context, builder, inner, (args[0], start, m), (m,))

    return sig, codegen


def _is_opaque(ty):
    return isinstance(ty, types.Array) and ty.dtype == types.uint8 and ty.layout == "C"


def _elements(context, builder, ty, value, itemsize):
    """Emit the opaque array of the byte array ``value`` (see the module's docstring)."""
    arr = make_array(ty)(context, builder, value=value)
    shape = cgutils.unpack_tuple(builder, arr.shape, ty.ndim)
    strides = cgutils.unpack_tuple(builder, arr.strides, ty.ndim)
    shape[-1] = builder.sdiv(shape[-1], itemsize)
    strides[-1] = itemsize
    out = make_array(ty)(context, builder)
    populate_array(
        out,
        data=arr.data,
        shape=shape,
        strides=strides,
        itemsize=itemsize,
        meminfo=arr.meminfo,
        parent=arr.parent,
    )
    return out._getvalue()


def _opaque_members(context, builder, ty, value, itemsize):
    """Emit ``value`` with every byte array in it (at any depth of tuples) made opaque."""
    if _is_opaque(ty):
        return _elements(context, builder, ty, value, itemsize)
    if isinstance(ty, types.BaseTuple):
        members = cgutils.unpack_tuple(builder, value, len(ty))
        members = [
            _opaque_members(context, builder, t, v, itemsize) for t, v in zip(ty.types, members)
        ]
        return context.make_tuple(builder, ty, members)
    return value


@intrinsic
def elements(typingctx, x, itemsize):
    """The byte array ``x`` as an opaque array of ``itemsize``-byte elements.

    ``x`` is a ``uint8`` C array (a float array's ``.view(np.uint8)``) or a
    tuple, whose ``uint8`` arrays, in nested tuples too, are converted and
    its other members kept: a skeleton converts all its arguments in one call.
    """
    if not isinstance(itemsize, types.Integer):
        return None
    if not (_is_opaque(x) or isinstance(x, types.BaseTuple)):
        return None
    sig = x(x, itemsize)

    def codegen(context, builder, sig, args):
        size = context.cast(builder, args[1], sig.args[1], types.intp)
        value = _opaque_members(context, builder, x, args[0], size)
        return impl_ret_borrowed(context, builder, x, value)

    return sig, codegen


@intrinsic
def row_range(typingctx, a, start, n):
    """``a[start:start + n]`` along the first axis, for an opaque array as for any C array."""
    if not (isinstance(a, types.Array) and a.layout == "C"):
        return None
    if not (isinstance(start, types.Integer) and isinstance(n, types.Integer)):
        return None
    sig = a(a, start, n)

    def codegen(context, builder, sig, args):
        arr = make_array(a)(context, builder, value=args[0])
        start_ = context.cast(builder, args[1], sig.args[1], types.intp)
        n_ = context.cast(builder, args[2], sig.args[2], types.intp)
        shape = cgutils.unpack_tuple(builder, arr.shape, a.ndim)
        strides = cgutils.unpack_tuple(builder, arr.strides, a.ndim)
        out = make_array(a)(context, builder)
        populate_array(
            out,
            data=_advance(builder, arr.data, builder.mul(start_, strides[0])),
            shape=[n_, *shape[1:]],
            strides=strides,
            itemsize=arr.itemsize,
            meminfo=arr.meminfo,
            parent=arr.parent,
        )
        return impl_ret_borrowed(context, builder, a, out._getvalue())

    return sig, codegen
