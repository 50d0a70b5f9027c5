"""How the skeletons call the parts a configuration chose: a table of compiled functions.

The skeletons of :mod:`skmlp._engine.network` (the epoch, the full-batch loss
and gradient, prediction) are compiled once, for both dtypes. Everything a
configuration chooses (the hidden and output activations, the loss, the
solver's update, batch normalisation, dropout, the sparse input products) is a
small kernel of its own, compiled the first time a fit uses it and cached on
disk like any kernel. A skeleton receives the chosen kernels as an int64
array, the *plug table*: one slot per role (the constants below), each holding
the address of the kernel's compiled code, or 0 where the configuration does
not use that role (the skeleton then never calls it).

Inside a skeleton, ``plug(table[SLOT], like)`` turns an address back into a
Numba first-class function of the slot's signature (for the dtype of array
``like``), which is then called like any function. This is an indirect call
that LLVM does not inline, so every plugged kernel works on whole blocks
(a layer's activations, the parameter buffer): one call per layer and batch.

Why a table of addresses rather than the kernels themselves as arguments:
a dispatcher passed as an argument would specialise the skeleton per kernel
and per process (its type holds the function object's address, so the disk
cache would never serve a second process), and Numba's own conversion of
first-class functions at the call costs about 5 us per function and call,
which a ``partial_fit`` on a small chunk would feel. An int64 array costs
nothing to pass and keeps one skeleton for every configuration.

The skeletons call each other through the table too (``FORWARD``,
``BACKPROP``), and their element loops (``GATHER`` to ``FINISH``): a compiled
callee is otherwise linked into its caller's code and optimised and
translated to machine code again there, once per caller.

Adding a role is a slot constant, its signature in :func:`signature`, and the
skeleton's call guarded by the same condition under which :func:`table` (in
:mod:`skmlp._engine.network`) fills the slot.
"""

import threading

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# The slots of the plug table.
ACTIVATE = 0  # hidden layers: Z = f(Z + b)
ACTIVATE_SLOPE = 1  # hidden layers in training: A = f(P + b), P = f'(P + b)
DERIVATIVE = 2  # hidden layers' backward pass: D *= f'(z) from the output
OUTPUT = 3  # the output layer: Z = f(Z + b)
LOSS = 4  # the data loss and its gradient
STEP = 5  # the solver's update of the parameter buffer
NORM = 6  # batch normalisation of a hidden layer
NORM_BACKWARD = 7  # batch normalisation, backward pass
DROPOUT = 8  # dropout masks
SPARSE_DOT = 9  # X[rows] @ W for CSR input
SPARSE_TDOT = 10  # X[rows].T @ D for CSR input
FORWARD = 11  # the forward pass (network.forward)
BACKPROP = 12  # the forward and backward pass of a batch (network.backprop_)
DOT = 13  # the dense products (network.dot)
# The skeletons' element loops (network.py), optimised kernels of their own.
GATHER = 14  # copy a minibatch into the batch buffers
COPY_ROWS = 15  # copy a block of predictions out
MULTIPLY = 16  # D *= M, element by element
COLUMN_SUMS = 17  # an intercept's gradient
PENALTY = 18  # the regularisation term
SUM = 19  # the sample weights' sum
FINISH = 20  # finish L-BFGS's raw gradient
ITEMSIZE = 21  # not an address: the bytes per element of the model's dtype
# The gradient of an output with respect to the input (attribution.py).
SEED = 22  # the output's gradient with respect to the output pre-activation
NORM_INFER_BACKWARD = 23  # back through a hidden layer's normalisation at prediction
N_SLOTS = 24

#: The slots holding skeletons: compiled once for both dtypes, with the
#: model's arrays opaque (:mod:`skmlp._engine.views`).
SKELETONS = (FORWARD, BACKPROP)
#: The dtype that stands for "either float dtype, opaque" in :func:`signature`.
OPAQUE = np.dtype(np.uint8)


def _types(dtype):
    """The Numba types of the arrays and packs the kernels take, for ``dtype``."""
    F = {np.float32: types.float32, np.float64: types.float64, OPAQUE.type: types.uint8}[
        np.dtype(dtype).type
    ]
    f64, i64, u64 = types.float64, types.int64, types.uint64
    M = types.Array(F, 2, "C")
    V = types.Array(F, 1, "C")
    Ix = types.Array(i64, 1, "C")
    U = types.Array(u64, 1, "C")
    H = types.Array(f64, 1, "C")
    B = types.boolean
    # The packs of network.py (see its docstring).
    packs = {
        "layout": types.Tuple((Ix, Ix, Ix, i64)),
        "inp": types.Tuple((M, V, Ix, Ix, B)),
        "batch": types.Tuple((Ix, M, V)),
        "ws": types.Tuple((V, V, V, Ix)),
        "spec": types.Tuple((Ix, i64, i64, H)),
        "norm": types.Tuple((Ix, V, V, V, f64, f64)),
        "drop": types.Tuple((U, H, V, U, U)),
        "opt": types.Tuple((i64, M, i64, H, f64)),
        "train": types.Tuple((M, V, Ix)),
        "buffers": types.Tuple((M, M, V, Ix, Ix)),
    }
    return F, M, V, Ix, U, H, B, packs


def run_arguments():
    """The argument types of ``network._run`` as Python calls it: one specialisation.

    Numba types a Python call from its arguments (every array of the model's
    dtype passed as bytes, C-contiguous and writeable; Python ints, floats and
    bools as int64, float64 and boolean). Compiling ``_run`` for these ahead of
    its first call (:mod:`skmlp._engine.parallel`) makes the same entry in
    the disk cache as that call would; ``tests/test_compile.py`` checks that
    calls find no other.
    """
    _, _, V, Ix, _, _, _, packs = _types(OPAQUE)
    i64 = types.int64
    names = ("opt", "layout", "inp", "train", "buffers", "ws", "spec", "norm", "drop")
    return (i64, i64, V, V, *(packs[name] for name in names), Ix)


def signature(slot, dtype):
    """The Numba signature of the kernels that fill ``slot`` for ``dtype``.

    With ``dtype`` :data:`OPAQUE`, the signature in which a skeleton sees them:
    the model's arrays typed ``uint8`` (opaque arrays). A kernel compiled
    for float32 or float64 is called through it: the two signatures differ
    only in the type of each array's data pointer, which is the same
    machine word.
    """
    _, M, V, Ix, U, H, B, packs = _types(dtype)
    f64, i64, u64 = types.float64, types.int64, types.uint64
    layout, inp, batch, ws = packs["layout"], packs["inp"], packs["batch"], packs["ws"]
    spec, norm, drop = packs["spec"], packs["norm"], packs["drop"]
    return {
        ACTIVATE: types.void(i64, M, V),
        ACTIVATE_SLOPE: types.void(i64, M, V, M),
        DERIVATIVE: types.void(i64, M, M, f64),
        OUTPUT: types.void(i64, M, V),
        LOSS: f64(M, M, V, H, M),
        STEP: f64(V, V, M, i64, H, i64, f64, f64),
        NORM: types.void(V, norm, i64, V, M, M, B),
        NORM_BACKWARD: types.void(V, V, norm, i64, V, M, M, V),
        DROPOUT: types.void(M, M, u64, f64, U, U, Ix, i64),
        SPARSE_DOT: types.void(V, Ix, Ix, Ix, M, M),
        SPARSE_TDOT: types.void(V, Ix, Ix, Ix, M, M),
        FORWARD: types.void(V, layout, inp, batch, ws, spec, norm, drop, B, i64, Ix),
        BACKPROP: f64(V, V, layout, inp, batch, ws, spec, norm, drop, Ix),
        DOT: types.void(M, M, M, i64),
        GATHER: types.Tuple((f64, i64))(M, M, V, Ix, i64, i64, B, M, M, V, Ix),
        COPY_ROWS: types.void(M, M, i64),
        MULTIPLY: types.void(M, M),
        COLUMN_SUMS: types.void(M, V),
        PENALTY: f64(V, i64, f64, f64),
        SUM: f64(V),
        FINISH: types.void(V, V, i64, f64, f64, f64),
        SEED: types.void(i64, M, i64, f64, M),
        NORM_INFER_BACKWARD: types.void(V, norm, i64, M),
    }[slot]


def _plug_intrinsic(slot):
    @intrinsic
    def plug(typingctx, address, like):
        """The kernel at ``address`` as a first-class function of ``slot``'s signature."""
        fty = types.FunctionType(signature(slot, np.dtype(str(like.dtype))))

        def codegen(context, builder, sig, args):
            fn = cgutils.create_struct_proxy(fty)(context, builder)
            null = cgutils.get_null_value(cgutils.voidptr_t)
            # jit_addr: called with Numba's own calling convention (the
            # kernel's compiled function itself, no C wrapper around it).
            fn.jit_addr = builder.inttoptr(args[0], cgutils.voidptr_t)
            fn.c_addr = null
            fn.py_addr = null
            return fn._getvalue()

        return fty(address, like), codegen

    return plug


activate_fn = _plug_intrinsic(ACTIVATE)
activate_slope_fn = _plug_intrinsic(ACTIVATE_SLOPE)
derivative_fn = _plug_intrinsic(DERIVATIVE)
output_fn = _plug_intrinsic(OUTPUT)
loss_fn = _plug_intrinsic(LOSS)
step_fn = _plug_intrinsic(STEP)
norm_fn = _plug_intrinsic(NORM)
norm_backward_fn = _plug_intrinsic(NORM_BACKWARD)
dropout_fn = _plug_intrinsic(DROPOUT)
sparse_dot_fn = _plug_intrinsic(SPARSE_DOT)
sparse_tdot_fn = _plug_intrinsic(SPARSE_TDOT)
forward_fn = _plug_intrinsic(FORWARD)
backprop_fn = _plug_intrinsic(BACKPROP)
dot_fn = _plug_intrinsic(DOT)
gather_fn = _plug_intrinsic(GATHER)
copy_rows_fn = _plug_intrinsic(COPY_ROWS)
multiply_fn = _plug_intrinsic(MULTIPLY)
column_sums_fn = _plug_intrinsic(COLUMN_SUMS)
penalty_fn = _plug_intrinsic(PENALTY)
sum_fn = _plug_intrinsic(SUM)
finish_fn = _plug_intrinsic(FINISH)
seed_fn = _plug_intrinsic(SEED)
norm_infer_backward_fn = _plug_intrinsic(NORM_INFER_BACKWARD)

_addresses = {}
_lock = threading.Lock()


def address(kernel, slot, dtype):
    """The address of ``kernel`` compiled for ``slot``'s signature in ``dtype``.

    Compiles it on first use in the process (or loads it from the disk cache);
    later calls cost a dictionary look-up.
    """
    key = (kernel, slot, np.dtype(dtype))
    found = _addresses.get(key)
    if found is None:
        with _lock:
            found = _addresses.get(key)
            if found is None:
                sig = signature(slot, dtype)
                kernel.compile(sig)
                compiled = kernel.overloads[sig.args]
                found = compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
                _addresses[key] = found
    return found


def c_input(a, dtype):
    """``a`` as a C-contiguous array of ``dtype`` (itself when it is one): a
    kernel's input when Python calls a plugged kernel (see :func:`c_output`)."""
    return np.ascontiguousarray(a, dtype=dtype)


def c_output(a):
    """``a``, or a C-contiguous copy to compute into and copy back.

    Plugged kernels are compiled for the C-contiguous arrays of their slot's
    signature only; the Python functions that call them (the ``*_caller``
    kernels of their modules) pass other arrays through these two helpers.
    """
    return a if a.flags.c_contiguous and a.flags.writeable else np.array(a, order="C")


def copy_back(outputs, computed):
    """Copy each copy :func:`c_output` made (in ``computed``) into its original in ``outputs``."""
    for a, a_ in zip(outputs, computed):
        if a_ is not a:
            a[...] = a_


def make_table(dtype, kernels):
    """The plug table: ``kernels`` maps slots to kernels; the other slots hold 0.

    The skeletons' slots (:data:`SKELETONS`) get their opaque compilation,
    the others that of ``dtype``; ``ITEMSIZE`` holds ``dtype``'s item size.
    """
    table = np.zeros(N_SLOTS, dtype=np.int64)
    for slot, kernel in kernels.items():
        table[slot] = address(kernel, slot, OPAQUE if slot in SKELETONS else dtype)
    table[ITEMSIZE] = np.dtype(dtype).itemsize
    return table
