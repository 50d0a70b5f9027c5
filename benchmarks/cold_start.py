"""The one-time compilation: how long the first fits take and what they compile.

    python benchmarks/cold_start.py            # an empty kernel cache of its own
    python benchmarks/cold_start.py --json out.json

Runs, in a fresh process with an empty Numba cache directory, the first
``MLPClassifier().fit`` + ``predict`` on digits in float64, then in float32,
then an L-BFGS fit, and prints the time of each and the number of compiled
specialisations of every kernel. Compare two versions by running it for each
in its own process, alternately.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
from numba.core.registry import CPUDispatcher
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
import skmlp
warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
times = {"import": time.perf_counter() - t0}
for name, X_, params in [
    ("float64 fit + predict", X, {}),
    ("float32 fit + predict", X.astype(np.float32), {}),
    ("float64 lbfgs fit + predict", X, {"solver": "lbfgs"}),
]:
    t = time.perf_counter()
    skmlp.MLPClassifier(max_iter=2, random_state=0, **params).fit(X_, y).predict(X_)
    times[name] = time.perf_counter() - t
kernels = {}
for module_name, module in list(sys.modules.items()):
    if module_name.startswith("skmlp."):
        for attr, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.signatures:
                where = obj.py_func.__module__.split(".", 1)[1] + "." + obj.py_func.__name__
                kernels[where] = len(obj.signatures)
print(json.dumps({"times": times, "kernels": kernels}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True
        ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    for name, seconds in result["times"].items():
        print(f"{name:32s} {seconds:7.2f} s")
    print(f"{'specialisations':32s} {sum(result['kernels'].values()):7d}")
    for name, count in sorted(result["kernels"].items()):
        print(f"  {name:40s} {count}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
