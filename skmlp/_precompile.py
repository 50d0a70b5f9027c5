"""``skmlp.precompile``: compile the kernels of common configurations ahead of time.

Run ``python -m skmlp --precompile`` (or call :func:`precompile`) when building
a Docker image or preparing a cluster node, so that the first fits there do
not compile.
"""

import time
import warnings

import numpy as np

from ._classifier import MLPClassifier
from ._engine.cache import quiet
from ._regressor import MLPRegressor

#: The configurations :func:`precompile` compiles, as estimator parameters,
#: for each of three tasks (binary and multiclass classification, regression).
#: Each fits a tiny network, so every kernel of the configuration is compiled
#: (or loaded from the disk cache).
STOCHASTIC = (
    {},  # the defaults: relu, adam
    {"solver": "sgd"},
    {"activation": "tanh"},
    {"activation": "logistic"},
    {"early_stopping": True},
)
LBFGS = ({"solver": "lbfgs"}, {"solver": "lbfgs", "activation": "tanh"})


def _tasks(dtype):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 3)).astype(dtype)
    return (
        (MLPClassifier, X, np.arange(20) % 2),
        (MLPClassifier, X, np.arange(20) % 3),
        (MLPRegressor, X, rng.standard_normal(20)),
    )


def precompile(dtypes=("float64", "float32"), *, lbfgs=True):
    """Compile (or load from the disk cache) the kernels of the common configurations.

    The engine compiles what a fit uses, the first time a process on the
    machine uses it (the skeleton of the training loop once for both dtypes, and
    each activation, loss and solver on first use), and caches it on disk.
    This fits and predicts with tiny networks in the configurations below,
    so that the first real fits in this process, and in every later process
    that shares the kernel cache, start at once:

    - the defaults of :class:`MLPClassifier` (binary and multiclass) and of
      :class:`MLPRegressor`;
    - each of them with ``solver='sgd'``, with ``activation='tanh'``, with
      ``activation='logistic'`` and with ``early_stopping=True``;
    - with ``lbfgs=True``, each of them with ``solver='lbfgs'`` (relu, and
      tanh).

    Any other configuration (another activation, loss or solver, batch
    normalisation, dropout, sparse input) compiles its own parts on its
    first fit, in a second or two.

    Parameters
    ----------
    dtypes : tuple of {"float64", "float32"}, default=("float64", "float32")
        The input dtypes to compile for (float32 input trains in float32).

    lbfgs : bool, default=True
        Also compile the configurations with ``solver='lbfgs'``.

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
    configs = {"stochastic": STOCHASTIC}
    if lbfgs:
        configs["lbfgs"] = LBFGS
    seconds = {}
    quiet.append(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for dtype in map(np.dtype, dtypes):
                for kind, options in configs.items():
                    start = time.perf_counter()
                    for estimator, X, y in _tasks(dtype):
                        for params in options:
                            model = estimator(
                                hidden_layer_sizes=(2,), max_iter=1, random_state=0, **params
                            )
                            model.fit(X, y).predict(X)
                    seconds[f"{dtype.name} {kind} fit + predict"] = time.perf_counter() - start
    finally:
        quiet.pop()
    return seconds
