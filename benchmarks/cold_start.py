"""The one-time compilation: how long the first fits take and what they compile.

    python benchmarks/cold_start.py                       # this checkout, once
    python benchmarks/cold_start.py --repeats 3 --baseline ../other-checkout
    python benchmarks/cold_start.py --json out.json

Every scenario runs in a fresh process with an empty Numba cache directory of
its own, so it measures what a new installation pays: the import, then the
first fit + predict of one configuration on digits (standardised), and for the
default configuration the first float32 one after it. With ``--baseline`` the
two checkouts run alternately (A B A B ...), each in its own processes, and the
medians, their ratio and the min-max are printed. Then a second process with
the cache the first one filled shows what later processes pay (``warm``).
Timings mean something only on an otherwise idle machine.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

#: name: (estimator, parameters, input): the configurations of the engine
#: issue's targets. "default" also times the first float32 fit after it.
SCENARIOS = {
    "default": ("MLPClassifier", {}, "dense"),
    "gelu+batch_norm+dropout+adamw+cosine": (
        "MLPClassifier",
        dict(
            activation="gelu",
            batch_norm=True,
            dropout=0.1,
            solver="adamw",
            learning_rate="cosine",
        ),
        "dense",
    ),
    "lbfgs": ("MLPClassifier", {"solver": "lbfgs"}, "dense"),
    "sparse CSR": ("MLPClassifier", {}, "csr"),
    "MLPRegressor(loss='huber')": ("MLPRegressor", {"loss": "huber"}, "dense"),
}

_CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
import scipy.sparse as sp
from numba.core.registry import CPUDispatcher
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
import skmlp
times = {"import": time.perf_counter() - t0}
warnings.simplefilter("ignore", ConvergenceWarning)
estimator, params, kind = json.loads(sys.argv[1])
X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
if estimator == "MLPRegressor":
    y = (y - y.mean()) / y.std()
steps = [("float64", X)]
if sys.argv[2] == "1":
    steps.append(("float32", X.astype(np.float32)))
for name, X_ in steps:
    if kind == "csr":
        X_ = sp.csr_matrix(X_)
    t = time.perf_counter()
    model = getattr(skmlp, estimator)(max_iter=2, random_state=0, **params)
    model.fit(X_, y).predict(X_)
    times[name] = time.perf_counter() - t
compiled = 0
for module_name, module in list(sys.modules.items()):
    if module_name.startswith("skmlp."):
        for obj in vars(module).values():
            if isinstance(obj, CPUDispatcher):
                compiled += len(obj.signatures)
times["kernels compiled or loaded (module-level)"] = compiled
print(json.dumps(times))
"""


def run_once(source, scenario, cache):
    """One fresh process of ``source`` (a checkout) with the Numba cache ``cache``."""
    estimator, params, kind = SCENARIOS[scenario]
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=os.path.abspath(source))
    with_float32 = "1" if scenario == "default" else "0"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps([estimator, params, kind]), with_float32],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),  # not a checkout, whose skmlp would come first
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(sources, scenarios, repeats):
    """``{source: {scenario: [cold run, ..., warm run]}}``, sources alternating."""
    results = {source: {name: [] for name in scenarios} for source in sources}
    for name in scenarios:
        for _ in range(repeats):
            for source in sources:
                with tempfile.TemporaryDirectory() as cache:
                    cold = run_once(source, name, cache)
                    warm = run_once(source, name, cache)
                results[source][name].append({"cold": cold, "warm": warm})
    return results


def summary(results, sources):
    lines = []
    for name in next(iter(results.values())):
        lines.append(f"{name}")
        for step in ("import", "float64", "float32"):
            row = []
            for source in sources:
                values = [r["cold"][step] for r in results[source][name] if step in r["cold"]]
                if not values:
                    break
                row.append((statistics.median(values), min(values), max(values)))
            if len(row) != len(sources):
                continue
            text = "  ".join(f"{m:6.2f} s ({lo:.2f}-{hi:.2f})" for m, lo, hi in row)
            ratio = f"   ratio {row[0][0] / row[1][0]:.2f}" if len(row) == 2 else ""
            lines.append(f"  cold {step:8s} {text}{ratio}")
        warm = [
            statistics.median(r["warm"]["import"] + r["warm"]["float64"] for r in results[s][name])
            for s in sources
        ]
        lines.append("  warm import + fit " + "  ".join(f"{w:6.2f} s" for w in warm))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="another checkout to compare with (run alternately)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sources = [here] + ([args.baseline] if args.baseline else [])
    scenarios = args.only.split(",") if args.only else list(SCENARIOS)
    results = measure(sources, scenarios, args.repeats)
    print("columns: " + "  |  ".join(sources))
    print(summary(results, sources))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
