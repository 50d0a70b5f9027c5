"""Matrix products through BLAS, called directly from compiled code.

Numba's ``np.dot`` checks shapes and layouts and formats their error
messages, and compiles one implementation per combination of layouts (three
for the forward and backward passes): about half a second of a first fit's
compilation. The engine knows its shapes are right and all its matrices
C-contiguous, so it calls the BLAS routines that Numba's ``np.dot(a, b,
out)`` itself calls (Numba's ``numba_xxgemm``, ``numba_xxgemv`` and
``numba_xxdot`` helpers, which forward to SciPy's BLAS), chosen as ``np.dot``
chooses them (a matrix-vector product where the result has one row or one
column, a dot product where it has one element) and with the same
arguments: the results are the same to the bit.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .jit import internal

_char = ir.IntType(8)
_void_p = ir.IntType(8).as_pointer()


@intrinsic
def _xxgemm(typingctx, transpose_a, transpose_b, A, B, out):
    """``out = op(A) @ op(B)`` for C-contiguous 2-D arrays; returns BLAS's status.

    ``op`` transposes where ``transpose_a`` / ``transpose_b`` is true. In
    BLAS's column-major terms a C array is the transpose of what it holds,
    so this computes ``out.T = op(B).T @ op(A).T``.
    """
    if not all(isinstance(a, types.Array) and a.ndim == 2 and a.layout == "C" for a in (A, B, out)):
        return None
    if not (A.dtype == B.dtype == out.dtype and A.dtype in (types.float32, types.float64)):
        return None
    dtype = A.dtype
    kind = ord("s" if dtype == types.float32 else "d")
    sig = types.intc(types.boolean, types.boolean, A, B, out)

    def codegen(context, builder, sig, args):
        intp = context.get_value_type(types.intp)
        ta, tb = args[0], args[1]
        a, b, c = (
            context.make_array(ty)(context, builder, value)
            for ty, value in zip(sig.args[2:], args[2:])
        )
        a_rows, a_cols = cgutils.unpack_tuple(builder, a.shape, 2)
        b_cols = cgutils.unpack_tuple(builder, b.shape, 2)[1]
        c_rows, c_cols = cgutils.unpack_tuple(builder, c.shape, 2)
        inner = builder.select(ta, a_rows, a_cols)
        one = ir.Constant(intp, 1)

        def leading(cols):  # BLAS wants a leading dimension of at least 1
            return builder.select(builder.icmp_signed("<", cols, one), one, cols)

        def trans(flag):
            return builder.select(flag, ir.Constant(_char, ord("t")), ir.Constant(_char, ord("n")))

        llty = context.get_value_type(dtype)
        alpha = cgutils.alloca_once_value(builder, ir.Constant(llty, 1.0))
        beta = cgutils.alloca_once_value(builder, ir.Constant(llty, 0.0))
        fnty = ir.FunctionType(
            ir.IntType(32),
            [_char, _char, _char, intp, intp, intp]
            + [_void_p, _void_p, intp, _void_p, intp, _void_p, _void_p, intp],
        )
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
        return builder.call(
            fn,
            (
                ir.Constant(_char, kind),
                trans(tb),
                trans(ta),
                c_cols,
                c_rows,
                inner,
                builder.bitcast(alpha, _void_p),
                builder.bitcast(b.data, _void_p),
                leading(b_cols),
                builder.bitcast(a.data, _void_p),
                leading(a_cols),
                builder.bitcast(beta, _void_p),
                builder.bitcast(c.data, _void_p),
                leading(c_cols),
            ),
        )

    return sig, codegen


def _data(context, builder, ty, value):
    return builder.bitcast(context.make_array(ty)(context, builder, value).data, _void_p)


def _kind(dtype):
    return ir.Constant(_char, ord("s" if dtype == types.float32 else "d"))


def _floats(*arrays):
    return all(
        isinstance(a, types.Array) and a.dtype in (types.float32, types.float64) for a in arrays
    )


@intrinsic
def _xxgemv(typingctx, transpose, m, n, M, lda, x, out):
    """``out = op(M) @ x`` for the column-major ``m x n`` matrix at ``M``; BLAS's status."""
    if not (_floats(M, x, out) and M.dtype == x.dtype == out.dtype):
        return None
    sig = types.intc(types.boolean, types.intp, types.intp, M, types.intp, x, out)

    def codegen(context, builder, sig, args):
        intp = context.get_value_type(types.intp)
        llty = context.get_value_type(M.dtype)
        alpha = cgutils.alloca_once_value(builder, ir.Constant(llty, 1.0))
        beta = cgutils.alloca_once_value(builder, ir.Constant(llty, 0.0))
        trans = builder.select(args[0], ir.Constant(_char, ord("t")), ir.Constant(_char, ord("n")))
        fnty = ir.FunctionType(
            ir.IntType(32),
            [_char, _char, intp, intp, _void_p, _void_p, intp, _void_p, _void_p, _void_p],
        )
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemv")
        return builder.call(
            fn,
            (
                _kind(M.dtype),
                trans,
                args[1],
                args[2],
                builder.bitcast(alpha, _void_p),
                _data(context, builder, M, args[3]),
                args[4],
                _data(context, builder, x, args[5]),
                builder.bitcast(beta, _void_p),
                _data(context, builder, out, args[6]),
            ),
        )

    return sig, codegen


@intrinsic
def _xxdot(typingctx, n, x, y, out):
    """``out[0] = x . y`` over the first ``n`` elements; BLAS's status."""
    if not (_floats(x, y, out) and x.dtype == y.dtype == out.dtype):
        return None
    sig = types.intc(types.intp, x, y, out)

    def codegen(context, builder, sig, args):
        intp = context.get_value_type(types.intp)
        fnty = ir.FunctionType(ir.IntType(32), [_char, _char, intp, _void_p, _void_p, _void_p])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxdot")
        return builder.call(
            fn,
            (
                _kind(x.dtype),
                ir.Constant(_char, 0),  # no conjugate
                args[0],
                _data(context, builder, x, args[1]),
                _data(context, builder, y, args[2]),
                _data(context, builder, out, args[3]),
            ),
        )

    return sig, codegen


@internal
def dot(A, B, out, variant):
    """``out = A @ B`` (``variant`` 0), ``A.T @ B`` (1) or ``A @ B.T`` (2), as Numba's ``np.dot``
    computes it.

    One kernel for the three products of the forward and backward passes,
    compiled once per dtype and called through the plug table (``DOT``, see
    :mod:`skmlp._engine.plugs`). The shapes must agree (the engine's callers
    make them so). An empty product (no inner dimension) gives zeros, as in
    NumPy.
    """
    transpose_a, transpose_b = variant == 1, variant == 2
    if out.shape[0] == 0 or out.shape[1] == 0:
        return
    inner = A.shape[0] if transpose_a else A.shape[1]
    if inner == 0:
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = 0.0
        return
    m, n = out.shape
    # np.dot's choice of routine, and its arguments (numba.np.linalg.dot_3_mm):
    # a vector operand goes to gemv (or dot), with the matrix described in
    # column-major terms (a C array is the transpose of what it holds).
    if m == 1 and n == 1:
        status = _xxdot(inner, A, B, out)
    elif n == 1:  # op(A) @ vector
        if transpose_a:  # A.T is A's memory read column-major: (m x k), ld m
            status = _xxgemv(False, m, inner, A, m, B, out)
        else:
            status = _xxgemv(True, inner, m, A, inner, B, out)
    elif m == 1:  # vector @ op(B)
        if transpose_b:
            status = _xxgemv(True, inner, n, B, inner, A, out)
        else:
            status = _xxgemv(False, n, inner, B, n, A, out)
    else:
        status = _xxgemm(transpose_a, transpose_b, A, B, out)
    if status != 0:
        raise RuntimeError("BLAS could not be called (is SciPy installed?)")
