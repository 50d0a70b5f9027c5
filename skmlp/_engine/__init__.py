"""The compiled kernels: Numba functions over plain arrays, and nothing else.

Nothing here imports scikit-learn or knows an estimator: the kernels take
arrays and packs of arrays (see :mod:`skmlp._engine.network`) and return
arrays and numbers. One module per concern:

- :mod:`~skmlp._engine.jit`: how every kernel is compiled (``kernel``).
- :mod:`~skmlp._engine.vecmath`: exp, expm1, log1p and the normal tail as
  arithmetic that vectorises.
- :mod:`~skmlp._engine.activations`, :mod:`~skmlp._engine.losses`,
  :mod:`~skmlp._engine.optimizers`, :mod:`~skmlp._engine.batch_norm`,
  :mod:`~skmlp._engine.dropout`: the per-element parts, each a name -> code
  table and the kernels that switch on the code.
- :mod:`~skmlp._engine.network`: the skeletons (the forward pass, the
  backward pass, the training epoch and prediction over the flat parameter
  buffer) and the plug table of a configuration.
- :mod:`~skmlp._engine.plugs`: how the skeletons call the kernels a
  configuration chose (a table of compiled functions' addresses).
- :mod:`~skmlp._engine.views`: the views the skeletons cut from the flat
  buffers, and the opaque arrays that let one skeleton serve both dtypes.
- :mod:`~skmlp._engine.blas`: the matrix products, straight to BLAS.
- :mod:`~skmlp._engine.workspaces`: the arrays and packs those kernels take.
- :mod:`~skmlp._engine.cache`: whether a kernel is compiled, and the notice of
  the one-time compilation.
"""
