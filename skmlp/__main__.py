"""``python -m skmlp``: train on digits and compare with scikit-learn.

Fits ``skmlp.MLPClassifier`` and ``sklearn.neural_network.MLPClassifier`` with
the same parameters on the digits data set that ships with scikit-learn, and
prints test accuracy and fit time side by side. The two libraries fit in
alternating pairs (at least ``--repeats`` pairs, more until ``--min-seconds`` of
fitting have passed), and the speed-up is the median of the pairs' ratios,
worded by its value: "faster" from 1.1x, "slower" from 1/1.1x, "about the
same" in between.

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
    where = getattr(getattr(_engine._run, "_cache", None), "_cache_path", None)
    print(
        "Kernels of the common configurations (see help(skmlp.precompile)) compiled "
        f"for float64 and float32, cached in {where}."
    )


def _timed_fit(estimator, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return time.perf_counter() - start


#: Speed ratios within this factor of 1 (either way) are "about the same":
#: the median of a few fits on a shared machine moves by several percent.
SAME_SPEED = 1.1


def describe_speed(ratio, same=SAME_SPEED):
    """Words for ``ratio`` = scikit-learn's fit time / skmlp's.

    "faster" from ``same`` up, "slower" from ``1 / same`` down (with the
    factor skmlp is slower by), and "about the same" in between.
    """
    if ratio >= same:
        return f"skmlp fits {ratio:.1f}x faster than scikit-learn"
    if ratio <= 1 / same:
        return f"skmlp fits {1 / ratio:.1f}x slower than scikit-learn"
    return f"skmlp and scikit-learn fit in about the same time ({ratio:.2f}x)"


def _paired_times(fit_a, fit_b, min_pairs, min_seconds, max_pairs=50):
    """Seconds of alternating calls of ``fit_a`` and ``fit_b``, as two arrays.

    Each returns the seconds it took. Pairs alternate which goes first, so
    that neither always runs on caches or a CPU clock the other warmed; at
    least ``min_pairs`` run, then more until the calls have taken
    ``min_seconds`` in all, at most ``max_pairs``.
    """
    times_a, times_b = [], []
    while len(times_a) < max_pairs and (
        len(times_a) < min_pairs or sum(times_a) + sum(times_b) < min_seconds
    ):
        if len(times_a) % 2 == 0:
            times_a.append(fit_a())
            times_b.append(fit_b())
        else:
            times_b.append(fit_b())
            times_a.append(fit_a())
    return np.array(times_a), np.array(times_b)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skmlp", description=__doc__)
    parser.add_argument("--solver", default="adam", choices=["adam", "sgd", "lbfgs"])
    parser.add_argument("--hidden", default="100", help="comma-separated layer sizes")
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument(
        "--repeats", type=int, default=7, help="at least this many alternating pairs of fits"
    )
    parser.add_argument(
        "--min-seconds",
        type=float,
        default=10.0,
        help="then more pairs (at most 50) until the fits have taken this long in all",
    )
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

    estimators = {}

    def fit(name, cls):
        estimators[name] = cls(**params)
        return _timed_fit(estimators[name], X_train, y_train)

    skmlp_times, sklearn_times = _paired_times(
        lambda: fit("skmlp", MLPClassifier),
        lambda: fit("scikit-learn", SklearnMLPClassifier),
        min_pairs=max(args.repeats, 1),
        min_seconds=args.min_seconds,
    )

    print(f"\n{'library':<14}{'test accuracy':>15}{'fit time (s)':>15}{'epochs':>8}")
    for name, times in [("skmlp", skmlp_times), ("scikit-learn", sklearn_times)]:
        estimator = estimators[name]
        accuracy = estimator.score(X_test, y_test)
        print(f"{name:<14}{accuracy:>15.4f}{np.median(times):>15.3f}{estimator.n_iter_:>8d}")
    ratios = sklearn_times / skmlp_times
    print(
        f"\n{describe_speed(float(np.median(ratios)))}: median of {len(ratios)} alternating "
        f"pairs of fits (pairs from {ratios.min():.2f}x to {ratios.max():.2f}x)."
    )
    print(f"One-time kernel compile or cache load before the first fit: {warmup:.2f} s.")


if __name__ == "__main__":
    main()
