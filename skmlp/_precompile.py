"""``skmlp.precompile``: compile the kernels ahead of time.

Run ``python -m skmlp --precompile`` (or call :func:`precompile`) when building
a Docker image or preparing a cluster node, so that the first fit there does
not compile.
"""

import time
import warnings

import numpy as np

from ._classifier import MLPClassifier
from ._engine.cache import quiet


def precompile(dtypes=("float64", "float32"), *, lbfgs=True):
    """Compile (or load from the disk cache) every kernel a fit and a prediction use.

    Fits and predicts with tiny networks, so that the first real fit in this
    process, and in every later process that shares the kernel cache, starts
    at once. One specialisation per dtype serves every configuration
    (activations, solvers, losses, batch norm, dropout, dense and sparse
    input), so this covers them all.

    Parameters
    ----------
    dtypes : tuple of {"float64", "float32"}, default=("float64", "float32")
        The input dtypes to compile for (float32 input trains in float32).

    lbfgs : bool, default=True
        Also compile the full-batch evaluation of ``solver='lbfgs'``.

    Returns
    -------
    seconds : dict
        The time each step took, keyed by a description such as
        ``"float64 stochastic fit + predict"``.

    Examples
    --------
    >>> import skmlp
    >>> seconds = skmlp.precompile(dtypes=("float64",), lbfgs=False)
    >>> sorted(seconds)
    ['float64 stochastic fit + predict']
    """
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 3))
    y = np.arange(20) % 2
    # Early stopping and dropout reach the kernels that such fits call from
    # Python (the validation loss, the dropout keys).
    configs = {"stochastic": dict(early_stopping=True, dropout=0.1)}
    if lbfgs:
        configs["lbfgs"] = dict(solver="lbfgs")
    seconds = {}
    quiet.append(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for dtype in map(np.dtype, dtypes):
                for kind, options in configs.items():
                    start = time.perf_counter()
                    model = MLPClassifier((2,), max_iter=1, random_state=0, **options)
                    model.fit(X.astype(dtype), y).predict(X.astype(dtype))
                    seconds[f"{dtype.name} {kind} fit + predict"] = time.perf_counter() - start
    finally:
        quiet.pop()
    return seconds
