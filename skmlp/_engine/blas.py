"""Matrix products through BLAS ``gemm``, called directly from compiled code.

Numba's ``np.dot`` checks shapes and layouts and formats their error
messages, and compiles one implementation per combination of layouts (three
for the forward and backward passes): about half a second of a first fit's
compilation. The engine knows its shapes are right and all its matrices
C-contiguous, so it calls the ``gemm`` that Numba's ``np.dot`` itself calls
(Numba's ``numba_xxgemm`` helper, which forwards to SciPy's BLAS) with the
same arguments ``np.dot`` would pass: the results are the same to the bit.
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


@internal
def gemm(A, B, out, transpose_a, transpose_b):
    """``out = op(A) @ op(B)`` (``op`` transposes where asked), as ``np.dot`` computes it.

    The shapes must agree (the engine's callers make them so). An empty
    product (no inner dimension) gives zeros, as in NumPy.
    """
    if out.shape[0] == 0 or out.shape[1] == 0:
        return
    inner = A.shape[0] if transpose_a else A.shape[1]
    if inner == 0:
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = 0.0
        return
    if _xxgemm(transpose_a, transpose_b, A, B, out) != 0:
        raise RuntimeError("BLAS gemm could not be called (is SciPy installed?)")
