"""Side-by-side benchmarks: skmlp against scikit-learn (and PyTorch when installed).

    python benchmarks/run.py            # every workload, writes benchmarks/results.md
    python benchmarks/run.py --quick    # tiny sizes: checks that the suite runs
    python benchmarks/run.py --only W1,W4 --repeats 5

Both libraries run in the same process, interleaved A/B, and each number is
the median of the repeats; the ratio is scikit-learn time / skmlp time from the
same run, which is what to compare across machines (absolute times are noisy).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Row:
    """One measured line; ratios are computed so that higher is better for skmlp."""

    workload: str
    metric: str
    skmlp: float
    sklearn: float | None
    unit: str
    target_ratio: float | None = None  # scikit-learn / skmlp must reach this
    target_max: float | None = None  # skmlp's value must not exceed this (row's unit)
    torch: float | None = None
    target_torch_ratio: float | None = None  # PyTorch / skmlp must reach this
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self):
        return None if self.sklearn is None else self.sklearn / self.skmlp

    @property
    def torch_ratio(self):
        return None if self.torch is None else self.torch / self.skmlp

    @property
    def target(self):
        parts = []
        if self.target_ratio is not None:
            parts.append(f"ratio >= {self.target_ratio:g}")
        if self.target_max is not None:
            parts.append(f"<= {self.target_max:g} {self.unit}")
        if self.target_torch_ratio is not None:
            parts.append(f"PyTorch ratio >= {self.target_torch_ratio:g}")
        return ", ".join(parts)

    @property
    def met(self):
        checks = []
        if self.target_ratio is not None:
            checks.append(self.ratio is not None and self.ratio >= self.target_ratio)
        if self.target_max is not None:
            checks.append(self.skmlp <= self.target_max)
        if self.target_torch_ratio is not None and self.torch is not None:
            checks.append(self.torch_ratio >= self.target_torch_ratio)
        return None if not checks else all(checks)


def _quiet():
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _interleaved(fns, repeats):
    """Time several callables A/B/A/B...; return the median of each."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return [float(np.median(t)) for t in times]


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def gemm_gflops(dtype, n=1024, repeats=5):
    """The machine's dense matrix-multiply rate, the ceiling for W1."""
    rng = np.random.default_rng(0)
    a = rng.random((n, n)).astype(dtype)
    b = rng.random((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    np.dot(a, b, out)
    seconds = _median_time(lambda: np.dot(a, b, out), repeats)
    return 2 * n**3 / seconds / 1e9


def mlp_flops_per_epoch(n_samples, units):
    """Multiply-adds of forward, weight gradients and back-propagated deltas."""
    pairs = list(zip(units[:-1], units[1:], strict=True))
    forward = sum(a * b for a, b in pairs)
    backward = forward + sum(a * b for a, b in pairs[1:])
    return 2 * n_samples * (forward + backward)


# ---------------------------------------------------------------- workloads


def w1(args):
    """MNIST-shaped: seconds per epoch, 784-256-128-10 relu, adam, batch 64."""
    import sklearn.neural_network as sk

    import skmlp

    n = 2000 if args.quick else 20000
    epochs = 1 if args.quick else 2
    rng = np.random.RandomState(0)
    y = rng.randint(0, 10, n)
    params = dict(
        hidden_layer_sizes=(256, 128),
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=64,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    units = [784, 256, 128, 10]
    rows = []
    for dtype in ("float32", "float64"):
        X = rng.rand(n, 784).astype(dtype)
        skmlp.MLPClassifier(**dict(params, max_iter=1)).fit(X[:256], y[:256])  # compile
        t_skmlp, t_sklearn = _interleaved(
            [
                lambda X=X: skmlp.MLPClassifier(**params).fit(X, y),
                lambda X=X: sk.MLPClassifier(**params).fit(X, y),
            ],
            args.repeats,
        )
        t_skmlp, t_sklearn = t_skmlp / epochs, t_sklearn / epochs
        flops = mlp_flops_per_epoch(n, units)
        peak = gemm_gflops(dtype)
        achieved = flops / t_skmlp / 1e9
        torch_time = _torch_epoch(X, y, params, args) if dtype == "float32" else None
        rows.append(
            Row(
                "W1",
                f"{dtype} s/epoch ({achieved:.1f} of {peak:.1f} GEMM GFLOP/s)",
                t_skmlp,
                t_sklearn,
                "s",
                target_ratio=3 if dtype == "float32" else 2.5,
                torch=torch_time,
                target_torch_ratio=2 if dtype == "float32" else None,
            )
        )
    rows += _w1_dropout_batch_norm(args, params, n, epochs, rng, y)
    return rows


def _w1_dropout_batch_norm(args, params, n, epochs, rng, y):
    """What dropout and batch norm cost: the same W1 epoch with and without them."""
    import skmlp

    X = rng.rand(n, 784).astype("float32")
    options = dict(dropout=0.2, batch_norm=True)
    skmlp.MLPClassifier(**dict(params, max_iter=1, **options)).fit(X[:256], y[:256])  # compile
    t_plain, t_options = _interleaved(
        [
            lambda: skmlp.MLPClassifier(**params).fit(X, y),
            lambda: skmlp.MLPClassifier(**params, **options).fit(X, y),
        ],
        args.repeats,
    )
    t_plain, t_options = t_plain / epochs, t_options / epochs
    torch_time = _torch_epoch(X, y, params, args, **options)
    return [
        Row("W1", "float32 + dropout 0.2 + batch_norm, s/epoch", t_options, None, "s",
            torch=torch_time),
        Row("W1", "dropout + batch_norm epoch / plain epoch (same run)", t_options / t_plain,
            None, "x", target_max=1.5),
    ]  # fmt: skip


def _torch_epoch(X, y, params, args, dropout=0.0, batch_norm=False):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    torch.manual_seed(0)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    yt = torch.from_numpy(y.astype(np.int64))
    sizes = [X.shape[1], *params["hidden_layer_sizes"], 10]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            if batch_norm:
                layers.append(torch.nn.BatchNorm1d(b))
            layers.append(torch.nn.ReLU())
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=params["learning_rate_init"])
    loss_fn = torch.nn.CrossEntropyLoss()
    bs = params["batch_size"]

    def epoch():
        perm = torch.randperm(Xt.shape[0])
        for start in range(0, Xt.shape[0], bs):
            idx = perm[start : start + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()

    epoch()  # warm-up
    return _median_time(epoch, args.repeats)


def w2(args):
    """MLPClassifier() defaults on standardised digits: whole fit."""
    import sklearn.neural_network as sk

    import skmlp

    X, y = _digits()
    params = dict(random_state=0, max_iter=5 if args.quick else 200)
    skmlp.MLPClassifier(**dict(params, max_iter=1)).fit(X[:50], y[:50])
    a = skmlp.MLPClassifier(**params)
    b = sk.MLPClassifier(**params)
    t_a, t_b = _interleaved([lambda: a.fit(X, y), lambda: b.fit(X, y)], args.repeats)
    return [
        Row("W2", f"digits default fit, s ({a.n_iter_} epochs)", t_a, t_b, "s", target_ratio=3),
        Row("W2", "digits default, ms/epoch", 1e3 * t_a / a.n_iter_, 1e3 * t_b / b.n_iter_, "ms"),
    ]


def w3(args):
    """L-BFGS, max_iter=200, tol=0 on standardised digits, (100,)."""
    import sklearn.neural_network as sk

    import skmlp

    X, y = _digits()
    params = dict(solver="lbfgs", max_iter=5 if args.quick else 200, tol=0.0, random_state=0)
    skmlp.MLPClassifier(**dict(params, max_iter=1)).fit(X[:50], y[:50])
    a = skmlp.MLPClassifier(**params)
    b = sk.MLPClassifier(**params)
    t_a, t_b = _interleaved([lambda: a.fit(X, y), lambda: b.fit(X, y)], args.repeats)
    return [
        Row("W3", f"digits lbfgs fit, s ({a.n_iter_} iterations)", t_a, t_b, "s", target_ratio=3),
        Row("W3", "digits lbfgs, ms/iteration", 1e3 * t_a / a.n_iter_, 1e3 * t_b / b.n_iter_, "ms"),
    ]


def w4(args):
    """Inference latency: one row, and 10,000 rows."""
    import sklearn.neural_network as sk

    import skmlp

    X, y = _digits()
    a = skmlp.MLPClassifier(random_state=0, max_iter=20).fit(X, y)
    b = sk.MLPClassifier(random_state=0, max_iter=20).fit(X, y)
    one = X[:1]
    calls = 200 if args.quick else 2000

    def loop(est):
        def run():
            for _ in range(calls):
                est.predict(one)

        return run

    a.predict(one), b.predict(one)  # first calls load kernels and warm caches
    t_a, t_b = _interleaved([loop(a), loop(b)], args.repeats)
    big = np.repeat(X, int(np.ceil(10000 / len(X))), axis=0)[:10000]
    u_a, u_b = _interleaved([lambda: a.predict(big), lambda: b.predict(big)], args.repeats)
    return [
        Row(
            "W4",
            "predict 1 row, us/call",
            1e6 * t_a / calls,
            1e6 * t_b / calls,
            "us",
            target_max=30,
        ),
        Row("W4", "predict 10,000 rows, ms", 1e3 * u_a, 1e3 * u_b, "ms", target_ratio=1),
    ]


_STARTUP = """
import time, warnings
t0 = time.perf_counter()
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
from {module} import MLPClassifier
X, y = load_digits(return_X_y=True)
MLPClassifier(random_state=0{max_iter}).fit(X / 16.0, y)
"""


def _wall(code, env=None):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def w5(args):
    """Start-up: a fresh process imports and fits digits (kernels cached on disk)."""
    # The default fit (200 epochs at most); a few epochs with --quick.
    max_iter = ", max_iter=5" if args.quick else ""
    skmlp_code = _STARTUP.format(module="skmlp", max_iter=max_iter)
    sklearn_code = _STARTUP.format(module="sklearn.neural_network", max_iter=max_iter)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = _wall(skmlp_code, env)  # empty cache: compiles every kernel
    _wall(skmlp_code)  # make sure the default cache is warm
    t_a, t_b = _interleaved([lambda: _wall(skmlp_code), lambda: _wall(sklearn_code)], args.repeats)
    return [
        Row("W5", "fresh process: import + default fit on digits, s", t_a, t_b, "s",
            target_max=1.5),
        Row("W5", "same with an empty kernel cache (one-time compile), s", cold, None, "s"),
    ]  # fmt: skip


_MEMORY = """
import warnings, numpy as np
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
from {module} import MLPClassifier

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))

rng = np.random.default_rng(0)
X = rng.random(({n}, 784), dtype=np.float32); y = rng.integers(0, 10, {n})
params = dict(hidden_layer_sizes=(256, 128), batch_size=64, max_iter=1, random_state=0)
MLPClassifier(**params).fit(X[:256], y[:256])  # load or compile kernels first
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS
before = status("VmRSS:")
MLPClassifier(**params).fit(X, y)
print(status("VmHWM:") - before, status("VmHWM:"))
"""


def w6(args):
    """Peak memory of the W1 fit (float32, one epoch) in fresh processes.

    The fit's own peak is the high-water mark reached during ``fit`` above the
    resident size just before it (data and libraries already loaded); the
    process peak includes the libraries themselves.
    """
    n = 2000 if args.quick else 20000

    def peaks(module):
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY.format(module=module, n=n)],
            check=True,
            capture_output=True,
            text=True,
        )
        fit_kb, total_kb = map(int, out.stdout.split()[-2:])
        return fit_kb / 1024, total_kb / 1024

    repeats = max(1, args.repeats // 2)
    a = np.median([peaks("skmlp") for _ in range(repeats)], axis=0)
    b = np.median([peaks("sklearn.neural_network") for _ in range(repeats)], axis=0)
    return [
        Row("W6", "W1 fit: memory the fit itself adds at its peak, MB", a[0], b[0], "MB",
            target_ratio=1),
        Row("W6", "W1 fit: whole-process peak RSS incl. libraries, MB", a[1], b[1], "MB"),
    ]  # fmt: skip


def w7(args):
    """GridSearchCV(cv=3) over 8 candidates on digits."""
    import sklearn.neural_network as sk
    from sklearn.model_selection import GridSearchCV

    import skmlp

    X, y = _digits()
    grid = {
        "alpha": [1e-4, 1e-2],
        "hidden_layer_sizes": [(50,), (100,)],
        "learning_rate_init": [1e-3, 1e-2],
    }
    max_iter = 5 if args.quick else 200

    def search(cls):
        return lambda: GridSearchCV(cls(random_state=0, max_iter=max_iter), grid, cv=3).fit(X, y)

    t_a, t_b = _interleaved([search(skmlp.MLPClassifier), search(sk.MLPClassifier)], args.repeats)
    return [Row("W7", "GridSearchCV(cv=3), 8 candidates, s", t_a, t_b, "s", target_ratio=3)]


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6, "W7": w7}


def _fmt(value, unit):
    if value is None:
        return ""
    if unit in ("us", "ms", "MB"):
        return f"{value:.1f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def to_markdown(rows, meta):
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/run.py` on {meta['date']}: {meta['machine']}.",
        f"{meta['versions']}. {meta['blas']}.",
        f"Median of {meta['repeats']} interleaved repeats. Ratios are scikit-learn / skmlp"
        " (and PyTorch / skmlp) from the same run: higher is better for skmlp.",
        "",
        "| workload | metric | skmlp | scikit-learn | ratio | PyTorch | ratio | target | met |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
        torch_ratio = "" if row.torch_ratio is None else f"{row.torch_ratio:.2f}"
        met = "" if meta["quick"] else {None: "", True: "yes", False: "**no**"}[row.met]
        lines.append(
            f"| {row.workload} | {row.metric} | {_fmt(row.skmlp, row.unit)} | "
            f"{_fmt(row.sklearn, row.unit)} | {ratio} | {_fmt(row.torch, row.unit)} | "
            f"{torch_ratio} | {row.target} | {met} |"
        )
    if meta["quick"]:
        lines += ["", "Quick run (tiny sizes): the numbers only show that the suite runs."]
    if not meta["torch"]:
        lines += ["", "PyTorch is not installed: the PyTorch comparison of W1 was skipped."]
    return "\n".join(lines) + "\n"


def _blas_info():
    from threadpoolctl import threadpool_info

    libs = {(i["internal_api"], i.get("version"), i["num_threads"]) for i in threadpool_info()}
    return "BLAS: " + ", ".join(f"{api} {ver} ({n} threads)" for api, ver, n in sorted(libs))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to test the suite")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default=",".join(WORKLOADS), help="e.g. W1,W4")
    parser.add_argument("--out", default=str(HERE / "results.md"))
    args = parser.parse_args(argv)
    _quiet()

    import sklearn

    import skmlp

    try:
        import torch

        torch_version = f", PyTorch {torch.__version__}"
    except ImportError:
        torch_version = ""
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "versions": f"skmlp {skmlp.__version__}, scikit-learn {sklearn.__version__}, "
        f"NumPy {np.__version__}{torch_version}",
        "repeats": args.repeats,
        "blas": _blas_info(),
        "quick": args.quick,
        "torch": bool(torch_version),
    }
    rows = []
    for name in args.only.split(","):
        start = time.perf_counter()
        new = WORKLOADS[name.strip()](args)
        rows += new
        for row in new:
            ratio = "" if row.ratio is None else f"  ratio {row.ratio:.2f}"
            if row.torch is not None:
                ratio += f"  PyTorch {_fmt(row.torch, row.unit)} ratio {row.torch_ratio:.2f}"
            print(f"{row.workload} {row.metric}: skmlp {_fmt(row.skmlp, row.unit)} "
                  f"sklearn {_fmt(row.sklearn, row.unit)}{ratio}", flush=True)  # fmt: skip
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    Path(args.out).write_text(to_markdown(rows, meta))
    Path(args.out).with_suffix(".json").write_text(
        json.dumps(
            [dict(r.__dict__, ratio=r.ratio, torch_ratio=r.torch_ratio, met=r.met) for r in rows],
            indent=1,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
