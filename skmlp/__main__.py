"""``python -m skmlp``: train on digits and compare with scikit-learn.

Fits ``skmlp.MLPClassifier`` and ``sklearn.neural_network.MLPClassifier`` with
the same parameters on the digits data set that ships with scikit-learn, and
prints test accuracy and fit time side by side.

``python -m skmlp --precompile`` instead compiles the kernels ahead of time
(for a Docker image or a cluster node) and says where they are cached.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.preprocessing import StandardScaler

from . import MLPClassifier, __version__, precompile
from ._engine import network as _engine


def _precompile():
    for step, seconds in precompile().items():
        print(f"{step:34s} {seconds:6.2f} s")
    # Numba picks the directory: next to the package, or the user's cache
    # directory when the package is read-only, or NUMBA_CACHE_DIR.
    where = getattr(getattr(_engine.run_epoch, "_cache", None), "_cache_path", None)
    print(f"Kernels compiled for float64 and float32, cached in {where}.")


def _timed_fit(estimator, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skmlp", description=__doc__)
    parser.add_argument("--solver", default="adam", choices=["adam", "sgd", "lbfgs"])
    parser.add_argument("--hidden", default="100", help="comma-separated layer sizes")
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=3, help="fits per library")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--precompile",
        action="store_true",
        help="only compile the kernels ahead of time (or load them from the cache)",
    )
    args = parser.parse_args(argv)
    if args.precompile:
        _precompile()
        return

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.random_state
    )
    scaler = StandardScaler().fit(X_train)
    X_train = scaler.transform(X_train).astype(args.dtype)
    X_test = scaler.transform(X_test).astype(args.dtype)
    params = dict(
        hidden_layer_sizes=tuple(int(h) for h in args.hidden.split(",") if h),
        solver=args.solver,
        max_iter=args.max_iter,
        random_state=args.random_state,
    )

    print(f"skmlp {__version__}: digits, {X_train.shape[0]} train / {X_test.shape[0]} test")
    print(f"MLPClassifier({', '.join(f'{k}={v!r}' for k, v in params.items())}), {args.dtype}")

    # The first skmlp fit compiles the kernels, or loads them from the on-disk
    # cache after the first run; report that once, apart from the fit time.
    warmup = _timed_fit(MLPClassifier(**dict(params, max_iter=1)), X_train[:50], y_train[:50])

    rows = []
    for name, cls in [("skmlp", MLPClassifier), ("scikit-learn", SklearnMLPClassifier)]:
        times = []
        for _ in range(args.repeats):
            estimator = cls(**params)
            times.append(_timed_fit(estimator, X_train, y_train))
        accuracy = estimator.score(X_test, y_test)
        rows.append((name, accuracy, float(np.median(times)), estimator.n_iter_))

    print(f"\n{'library':<14}{'test accuracy':>15}{'fit time (s)':>15}{'epochs':>8}")
    for name, accuracy, seconds, n_iter in rows:
        print(f"{name:<14}{accuracy:>15.4f}{seconds:>15.3f}{n_iter:>8d}")
    speedup = rows[1][2] / rows[0][2]
    print(f"\nskmlp fits {speedup:.1f}x faster (median of {args.repeats} fits each).")
    print(f"One-time kernel compile or cache load before the first fit: {warmup:.2f} s.")


if __name__ == "__main__":
    main()
