"""Side-by-side benchmarks: skmlp against scikit-learn (and PyTorch, onnxruntime when installed).

PyTorch joins W1 (training); onnxruntime joins W4 (inference latency) and runs
skmlp's own model exported with skmlp.onnx (``pip install -e ".[onnx]"``).

    python benchmarks/run.py                    # every workload, writes benchmarks/results.md
    python benchmarks/run.py --quick            # tiny sizes: checks that the suite runs
    python benchmarks/run.py --only W1,W4 --pairs 7
    python benchmarks/run.py --baseline /path/to/other/checkout   # skmlp against skmlp

How it measures, and why:

- Every measurement runs in a fresh process of its own, one library per
  process, and the libraries alternate A B A B for ``--pairs`` pairs. In one
  process the BLAS thread pools of the two libraries (SciPy's OpenBLAS, which
  skmlp's kernels call, and NumPy's, which scikit-learn uses) spin against
  each other and slow whichever runs second.
- Each process first frees one 32 MB array: glibc then raises its mmap
  threshold, as in any real session, instead of page-faulting every
  per-batch temporary (which makes scikit-learn look 1.7x slower).
- ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are removed from the
  processes' environment (``--keep-openblas-env`` keeps them): they force an
  older BLAS kernel. The kernel each library ran is reported.
- The table gives medians, the ratio of each pair (other / skmlp, higher is
  better for skmlp) as a median with its min-max, and for W1 the GEMM floor:
  the time of just the matrix products of one epoch, measured in the same
  process. The machine's speed drifts, so only ratios from one run mean
  anything.
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
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_OPENBLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _quiet():
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)


def _warm_allocator():
    """Free one 32 MB block: glibc raises its mmap threshold as in a real session."""
    block = np.ones(32 * 2**20 // 8)
    del block


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _estimators(lib):
    if lib in ("skmlp", "onnxruntime"):
        import skmlp

        return skmlp.MLPClassifier, skmlp.MLPRegressor
    import sklearn.neural_network as sk

    return sk.MLPClassifier, sk.MLPRegressor


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ---------------------------------------------------------------- workloads
# Each workload runs in a child process for one library and returns
# {metric: value}; lower values are better. ``reps`` is the number of timed
# repeats inside the child (the median is taken).

W1_UNITS = [784, 256, 128, 10]
W1_PARAMS = dict(
    hidden_layer_sizes=(256, 128),
    solver="adam",
    learning_rate_init=1e-3,
    batch_size=64,
    tol=0.0,
    n_iter_no_change=10**6,
    random_state=0,
)


def _w1_data(quick, dtype):
    n = 2000 if quick else 20000
    rng = np.random.RandomState(0)
    y = rng.randint(0, 10, n)
    return rng.rand(n, 784).astype(dtype), y


def gemm_floor(n, units, batch, dtype, reps):
    """Seconds of just the BLAS products of one epoch of batch ``batch``.

    Forward ``A @ W``, weight gradients ``A.T @ D`` and back-propagated
    deltas ``D @ W.T`` of every layer, for ``n / batch`` batches, through
    NumPy's ``dot`` into preallocated outputs.
    """
    rng = np.random.default_rng(0)
    pairs = list(zip(units[:-1], units[1:], strict=True))
    W = [rng.random((a, b)).astype(dtype) for a, b in pairs]
    A = [rng.random((batch, a)).astype(dtype) for a, _ in pairs]
    D = [rng.random((batch, b)).astype(dtype) for _, b in pairs]
    Z = [np.empty((batch, b), dtype) for _, b in pairs]
    G = [np.empty_like(w) for w in W]
    P = [np.empty((batch, a), dtype) for a, _ in pairs]
    n_batches = int(np.ceil(n / batch))

    def epoch():
        for _ in range(n_batches):
            for i in range(len(W)):
                np.dot(A[i], W[i], Z[i])
            for i in range(len(W) - 1, -1, -1):
                np.dot(A[i].T, D[i], G[i])
                if i > 0:
                    np.dot(D[i], W[i].T, P[i])

    epoch()
    return _median_time(epoch, reps)


def adam_step_time(n, units, batch, dtype, reps):
    """Seconds of just the Adam steps of one epoch: skmlp's compiled step over the flat buffer.

    The step every batch of W1 takes (``skmlp._engine.optimizers.optimizer_step``),
    timed alone on a buffer of W1's parameter count: it reads the
    parameters, the gradient and both moments and writes three of them, so
    it is a pass over memory that no matrix product includes.
    """
    from skmlp._engine.optimizers import ADAM, hyperparameters, optimizer_step
    from skmlp._model.layout import Layout

    layout = Layout.from_units(units)
    n_coefs, n_params = layout.n_coefs, layout.n_params
    rng = np.random.default_rng(0)
    params = (0.01 * rng.standard_normal(n_params)).astype(dtype)
    grads = rng.standard_normal(n_params).astype(dtype)
    state = np.zeros((2, n_params), dtype)
    hyper = hyperparameters(1e-3, 0.9, True, 0.9, 0.999, 1e-8)
    n_batches = int(np.ceil(n / batch))

    def epoch():
        t = 0
        for _ in range(n_batches):
            _, t = optimizer_step(ADAM, params, grads, state, t, hyper, n_coefs, 1e-4, batch)

    epoch()
    return _median_time(epoch, reps)


def w1(lib, quick, reps):
    """MNIST-shaped: seconds per epoch, 784-256-128-10 relu, adam, batch 64."""
    params = dict(W1_PARAMS, max_iter=1 if quick else 2)
    options = dict(params, dropout=0.2, batch_norm=True)
    out = {}
    for dtype in ("float32", "float64"):
        X, y = _w1_data(quick, dtype)
        if lib == "torch":
            if dtype == "float32":
                net = dict(hidden=W1_UNITS[1:-1], batch=W1_PARAMS["batch_size"])
                out["float32 s/epoch"] = _torch_epoch(X, y, reps, **net)
                out["float32 + dropout 0.2 + batch_norm, s/epoch"] = _torch_epoch(
                    X, y, reps, dropout=0.2, batch_norm=True, **net
                )
            continue
        out[f"{dtype} s/epoch"] = _epoch_time(_estimators(lib)[0], params, X, y, reps)
        if lib == "skmlp":
            floor = gemm_floor(X.shape[0], W1_UNITS, 64, dtype, reps)
            out[f"{dtype} GEMM floor s/epoch"] = floor
            step = adam_step_time(X.shape[0], W1_UNITS, 64, dtype, reps)
            out[f"{dtype} Adam steps alone s/epoch"] = step
        if lib == "skmlp" and dtype == "float32":
            t = _epoch_time(_estimators(lib)[0], options, X, y, reps)
            out["float32 + dropout 0.2 + batch_norm, s/epoch"] = t
    return out


def _epoch_time(Classifier, params, X, y, reps):
    """Seconds per epoch of ``Classifier(**params).fit(X, y)``, after a warm-up fit."""
    Classifier(**dict(params, max_iter=1)).fit(X[:256], y[:256])  # compile or load kernels
    return _median_time(lambda: Classifier(**params).fit(X, y), reps) / params["max_iter"]


def _torch_epoch(
    X,
    y,
    reps,
    *,
    hidden,
    batch,
    activation="relu",
    dropout=0.0,
    batch_norm=False,
    adamw=False,
    cosine=False,
):
    """Seconds per epoch of the same network as a plain PyTorch loop (2 threads, float32)."""
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    yt = torch.from_numpy(y.astype(np.int64))
    units = [X.shape[1], *hidden, 10]
    nonlinearity = {"relu": torch.nn.ReLU, "gelu": torch.nn.GELU}[activation]
    layers = []
    for i, (a, b) in enumerate(zip(units[:-1], units[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(units) - 2:
            if batch_norm:
                layers.append(torch.nn.BatchNorm1d(b))
            layers.append(nonlinearity())
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
    model = torch.nn.Sequential(*layers)
    Optimizer = torch.optim.AdamW if adamw else torch.optim.Adam
    opt = Optimizer(model.parameters(), lr=W1_PARAMS["learning_rate_init"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100) if cosine else None
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(Xt.shape[0])
        for start in range(0, Xt.shape[0], batch):
            idx = perm[start : start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        if schedule is not None:
            schedule.step()

    epoch()  # warm-up
    return _median_time(epoch, reps)


def w2(lib, quick, reps):
    """MLPClassifier() defaults on standardised digits: whole fit."""
    X, y = _digits()
    Classifier = _estimators(lib)[0]
    params = dict(random_state=0, max_iter=5 if quick else 200)
    Classifier(**dict(params, max_iter=1)).fit(X[:50], y[:50])
    est = Classifier(**params)
    t = _median_time(lambda: est.fit(X, y), reps)
    return {"digits default fit, s": t, "digits default, ms/epoch": 1e3 * t / est.n_iter_}


def w3(lib, quick, reps):
    """L-BFGS, max_iter=200, tol=0 on standardised digits, (100,)."""
    X, y = _digits()
    Classifier = _estimators(lib)[0]
    params = dict(solver="lbfgs", max_iter=5 if quick else 200, tol=0.0, random_state=0)
    Classifier(**dict(params, max_iter=1)).fit(X[:50], y[:50])
    est = Classifier(**params)
    t = _median_time(lambda: est.fit(X, y), reps)
    return {"digits lbfgs fit, s": t, "digits lbfgs, ms/iteration": 1e3 * t / est.n_iter_}


def _onnxruntime_predictor(est, X):
    """``predict`` of skmlp's fitted ``est`` exported to ONNX and run by onnxruntime."""
    import onnxruntime
    from skl2onnx import to_onnx

    import skmlp.onnx  # noqa: F401  (registers the converters)

    onx = to_onnx(est, X[:1], options={"zipmap": False})
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    name = session.get_inputs()[0].name
    return lambda rows: session.run(["label"], {name: rows})[0]


def w4(lib, quick, reps):
    """Inference latency: one row, and 10,000 rows.

    ``onnxruntime`` is skmlp's model exported with skmlp.onnx (same dtype,
    float64, the labels only) and run by an onnxruntime session.
    """
    X, y = _digits()
    est = _estimators(lib)[0](random_state=0, max_iter=20).fit(X, y)
    one = X[:1]
    calls = 200 if quick else 2000
    predict = est.predict if lib != "onnxruntime" else _onnxruntime_predictor(est, X)
    predict(one)  # the first call loads kernels and warms caches

    def loop():
        for _ in range(calls):
            predict(one)

    big = np.repeat(X, int(np.ceil(10000 / len(X))), axis=0)[:10000]
    return {
        "predict 1 row, us/call": 1e6 * _median_time(loop, reps) / calls,
        "predict 10,000 rows, ms": 1e3 * _median_time(lambda: predict(big), reps),
    }


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


def w5(lib, quick, reps):
    """Start-up: a fresh process imports and fits digits (kernels cached on disk)."""
    module = "skmlp" if lib == "skmlp" else "sklearn.neural_network"
    code = _STARTUP.format(module=module, max_iter=", max_iter=5" if quick else "")
    out = {}
    if lib == "skmlp":
        with tempfile.TemporaryDirectory() as cache:
            cold = _wall(code, dict(os.environ, NUMBA_CACHE_DIR=cache))  # compiles every kernel
        out["same with an empty kernel cache (one-time compile), s"] = cold
        _wall(code)  # make sure the default cache is warm
    out["fresh process: import + default fit on digits, s"] = _median_time(
        lambda: _wall(code), reps
    )
    return out


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


def w6(lib, quick, reps):
    """Peak memory of the W1 fit (float32, one epoch) in a fresh process.

    The fit's own peak is the high-water mark reached during ``fit`` above the
    resident size just before it (data and libraries already loaded); the
    process peak includes the libraries themselves.
    """
    module = "skmlp" if lib == "skmlp" else "sklearn.neural_network"
    code = _MEMORY.format(module=module, n=2000 if quick else 20000)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    fit_kb, total_kb = map(int, out.stdout.split()[-2:])
    return {
        "W1 fit: memory the fit itself adds at its peak, MB": fit_kb / 1024,
        "W1 fit: whole-process peak RSS incl. libraries, MB": total_kb / 1024,
    }


def w7(lib, quick, reps):
    """GridSearchCV(cv=3) over 8 candidates on digits."""
    from sklearn.model_selection import GridSearchCV

    X, y = _digits()
    Classifier = _estimators(lib)[0]
    grid = {
        "alpha": [1e-4, 1e-2],
        "hidden_layer_sizes": [(50,), (100,)],
        "learning_rate_init": [1e-3, 1e-2],
    }
    max_iter = 5 if quick else 200
    Classifier(max_iter=1).fit(X[:50], y[:50])
    search = GridSearchCV(Classifier(random_state=0, max_iter=max_iter), grid, cv=3)
    return {"GridSearchCV(cv=3), 8 candidates, s": _median_time(lambda: search.fit(X, y), reps)}


def _stream_time(est, chunks, passes, **first):
    """Seconds of ``passes`` passes of partial_fit over ``chunks`` (after one warm call)."""
    X0, y0 = chunks[0]
    est.partial_fit(X0, y0, **first)
    start = time.perf_counter()
    for _ in range(passes):
        for X, y in chunks:
            est.partial_fit(X, y)
    return time.perf_counter() - start


def w9(lib, quick, reps):
    """partial_fit streaming chunks against fit epochs on the same data.

    Generated data (100 features, two classes), ``MLPClassifier((64,))``.
    Throughput is samples per second over passes of the chunks; fit's is
    over the same number of epochs on all rows at once. The overhead per
    call is a partial_fit call on a 1,000-row chunk minus one fit epoch on
    the same 1,000 rows (medians of many calls).
    """
    from sklearn.datasets import make_classification

    Classifier = _estimators(lib)[0]
    n, passes = (10_000, 1) if quick else (100_000, 2)
    X, y = make_classification(n, 100, n_informative=20, random_state=0)
    params = dict(hidden_layer_sizes=(64,), random_state=0)
    values = {}
    for size in (10_000, 1_000):
        chunks = [(X[i : i + size], y[i : i + size]) for i in range(0, n, size)]
        streamed = min(
            _stream_time(Classifier(**params), chunks, passes, classes=[0, 1])
            for _ in range(max(1, reps // 3))
        )
        fitted = Classifier(max_iter=passes, tol=0.0, n_iter_no_change=10**6, **params)
        fitted.fit(X[:size], y[:size])  # compiled and warm
        start = time.perf_counter()
        fitted.fit(X, y)
        fit_rate = passes * n / (time.perf_counter() - start)
        stream_rate = passes * n / streamed
        values[f"partial_fit, {size:,}-row chunks, samples/s / fit's (higher is better)"] = (
            stream_rate / fit_rate
        )
        if size == 10_000:
            values[f"fit, s per epoch of {n:,} rows"] = n / fit_rate
    # Per-call overhead on 1,000-row chunks: many calls, medians.
    calls = 30 if quick else 200
    X1, y1 = X[:1000], y[:1000]
    est = Classifier(**params).partial_fit(X1, y1, classes=[0, 1])
    call = _median_time(lambda: est.partial_fit(X1, y1), calls)
    epochs = Classifier(max_iter=calls, tol=0.0, n_iter_no_change=10**6, **params)
    epochs.fit(X1, y1)
    start = time.perf_counter()
    epochs.fit(X1, y1)
    epoch = (time.perf_counter() - start) / calls
    values["partial_fit overhead per call (1,000-row chunk minus a fit epoch), ms"] = max(
        (call - epoch) * 1e3, 0.0
    )
    return values


# The modern configuration of W8 and the shapes W8 and W10 time it at.
MODERN = dict(
    activation="gelu", batch_norm=True, dropout=0.2, solver="adamw", learning_rate="cosine"
)
#: The same configuration in PyTorch's terms.
TORCH_MODERN = dict(activation="gelu", batch_norm=True, dropout=0.2, adamw=True, cosine=True)
SHAPES = {
    # name: (rows, features, hidden_layer_sizes, batch_size)
    "MNIST-shaped": (20000, 784, (256, 128), 64),
    "4,000 x 40": (4000, 40, (512, 512), 200),
}


def _shape_data(shape, quick, dtype):
    n, d, hidden, batch = SHAPES[shape]
    n = min(n, 1000) if quick else n
    rng = np.random.RandomState(0)
    y = rng.randint(0, 10, n)
    return (
        rng.rand(n, d).astype(dtype),
        y,
        dict(W1_PARAMS, hidden_layer_sizes=hidden, batch_size=batch),
    )


def w8(lib, quick, reps):
    """The modern configuration (gelu, batch_norm, dropout 0.2, adamw, cosine) against plain relu.

    float32, adam for relu; ms per epoch at each of ``SHAPES``; PyTorch runs
    the modern configuration with the same layers.
    """
    out = {}
    for shape in SHAPES:
        X, y, params = _shape_data(shape, quick, np.float32)
        modern = f"{shape}: gelu + batch_norm + dropout 0.2 + adamw + cosine, ms/epoch"
        if lib == "torch":
            _, _, hidden, batch = SHAPES[shape]
            out[modern] = 1e3 * _torch_epoch(X, y, reps, hidden=hidden, batch=batch, **TORCH_MODERN)
            continue
        Classifier = _estimators(lib)[0]
        params = dict(params, max_iter=2)
        out[f"{shape}: relu, ms/epoch"] = 1e3 * _epoch_time(Classifier, params, X, y, reps)
        if lib != "sklearn":
            out[modern] = 1e3 * _epoch_time(Classifier, dict(params, **MODERN), X, y, reps)
    return out


def w10(lib, quick, reps):
    """Every hidden activation's epoch at each of ``SHAPES``, float32 and float64 (skmlp only).

    ms per epoch, adam; the table reports each one's ratio to relu's in the
    same process (target: within 1.3x).
    """
    from skmlp._engine.activations import HIDDEN_ACTIVATIONS

    if lib not in ("skmlp", "baseline"):
        return {}
    out = {}
    for shape in SHAPES:
        for dtype in ("float32", "float64"):
            X, y, params = _shape_data(shape, quick, dtype)
            params = dict(params, max_iter=1 if shape == "MNIST-shaped" else 2)
            for name in HIDDEN_ACTIVATIONS:
                t = _epoch_time(_estimators(lib)[0], dict(params, activation=name), X, y, reps)
                out[f"{shape} {dtype}: {name}, ms/epoch"] = 1e3 * t
    return out


WORKLOADS = {
    "W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6, "W7": w7, "W8": w8, "W9": w9,
    "W10": w10,
}  # fmt: skip
#: Targets: (workload, metric) -> (other, r): other / skmlp >= r; ("max", v): skmlp <= v;
#: ("min", v): skmlp >= v (W9's throughput fractions, where higher is better).
TARGETS = {
    ("W1", "float32 s/epoch"): [("sklearn", 3), ("torch", 2)],
    ("W1", "float64 s/epoch"): [("sklearn", 2.5)],
    ("W2", "digits default fit, s"): [("sklearn", 3)],
    ("W3", "digits lbfgs fit, s"): [("sklearn", 3)],
    ("W4", "predict 1 row, us/call"): [("max", 30)],
    ("W4", "predict 10,000 rows, ms"): [("sklearn", 1)],
    ("W5", "fresh process: import + default fit on digits, s"): [("max", 1.5)],
    ("W6", "W1 fit: memory the fit itself adds at its peak, MB"): [("sklearn", 1)],
    ("W7", "GridSearchCV(cv=3), 8 candidates, s"): [("sklearn", 3)],
    ("W9", "partial_fit, 10,000-row chunks, samples/s / fit's (higher is better)"): [("min", 0.9)],
    ("W9", "partial_fit overhead per call (1,000-row chunk minus a fit epoch), ms"): [("max", 0.2)],
    **{
        ("W8", f"{shape}: gelu + batch_norm + dropout 0.2 + adamw + cosine, ms/epoch"): [
            ("torch", 2)
        ]
        for shape in SHAPES
    },
}
#: Targets on an epoch relative to the plain relu epoch of the same run and process.
OVER_RELU = {"W8": 1.5, "W10": 1.3}


# ---------------------------------------------------------------- child process


def _blas_kernels():
    """The BLAS libraries loaded in this process, with the kernel each runs."""
    from threadpoolctl import threadpool_info

    names = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            lib = Path(info["filepath"]).name.split("-")[0].split(".")[0]
            names.append(f"{lib} {info.get('version')} {info.get('architecture')}")
    return sorted(set(names))


def child(workloads, lib, quick, reps):
    """Run workloads (comma-separated) for one library in this (fresh) process; print JSON.

    One workload gives ``{"values": ...}``; several (``--quick`` runs them
    in one process per library) ``{"values": {workload: ...}}``.
    """
    _warm_allocator()
    _quiet()
    names = workloads.split(",")
    values = {name: WORKLOADS[name](lib, quick, reps) for name in names}
    if len(names) == 1:
        values = values[names[0]]
    print(json.dumps({"values": values, "blas": _blas_kernels()}))


def _run_child(workload, lib, args):
    env = dict(os.environ)
    if not args.keep_openblas_env:
        for name in _OPENBLAS_ENV:
            env.pop(name, None)
    name = lib
    if lib == "baseline":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [args.baseline, env.get("PYTHONPATH")]))
        lib = "skmlp"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", workload, "--lib", lib]
    cmd += ["--reps", str(args.reps)] + (["--quick"] if args.quick else [])
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["lib"] = name
    return result


# ---------------------------------------------------------------- parent


def _libraries(args):
    if args.baseline:
        return ["skmlp", "baseline"]
    libs = ["skmlp", "sklearn"]
    try:
        import torch  # noqa: F401

        libs.append("torch")
    except ImportError:
        pass
    try:
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401

        libs.append("onnxruntime")
    except ImportError:
        pass
    return libs


#: Libraries measured in one workload only (the others run in every workload).
_ONLY_IN = {"torch": ("W1", "W8"), "onnxruntime": ("W4",)}


def _libraries_of(workload, args):
    libs = [lib for lib in _libraries(args) if workload in _ONLY_IN.get(lib, (workload,))]
    if workload == "W10":
        libs = [lib for lib in libs if lib in ("skmlp", "baseline")]
    return libs


def measure_quick(workloads, args):
    """``--quick``: every workload of a library in one process (the suite's smoke test).

    Its sizes are too small for timings to mean anything; one process per
    library saves a process start per workload. Returns ``{workload: (runs, blas)}``.
    """
    libs = {
        lib: [w for w in workloads if lib in _libraries_of(w, args)] for lib in _libraries(args)
    }
    results = {w: ({}, {}) for w in workloads}
    for lib, names in libs.items():
        if not names:
            continue
        result = _run_child(",".join(names), lib, args)
        values = result["values"] if len(names) > 1 else {names[0]: result["values"]}
        for name in names:
            runs, blas = results[name]
            runs[result["lib"]] = [values[name]]
            blas[result["lib"]] = result["blas"]
    # Each workload's runs in _libraries' order: skmlp's first.
    order = _libraries(args)
    return {
        w: ({lib: runs[lib] for lib in order if lib in runs}, blas)
        for w, (runs, blas) in results.items()
    }


def measure(workload, args):
    """``--pairs`` rounds of one fresh process per library, alternating."""
    libs = _libraries_of(workload, args)
    runs = {lib: [] for lib in libs}
    blas = {}
    for i in range(args.pairs):
        for lib in libs if i % 2 == 0 else libs[::-1]:
            result = _run_child(workload, lib, args)
            runs[lib].append(result["values"])
            blas[lib] = result["blas"]
    return runs, blas


def rows_of(workload, runs):
    """One row per metric: medians, and the per-pair ratios other / skmlp."""
    rows = []
    # Every metric once, skmlp's first (runs is ordered skmlp first).
    metrics = list(dict.fromkeys(m for values in runs.values() for v in values for m in v))
    for metric in metrics:
        row = {"workload": workload, "metric": metric, "values": {}, "ratios": {}}
        mine = [v.get(metric) for v in runs["skmlp"]]
        for lib, values in runs.items():
            series = [v.get(metric) for v in values]
            if all(s is not None for s in series):
                row["values"][lib] = float(np.median(series))
                if lib != "skmlp" and all(m is not None for m in mine):
                    pair = np.array(series) / np.array(mine)
                    row["ratios"][lib] = (
                        float(np.median(pair)),
                        float(pair.min()),
                        float(pair.max()),
                    )
        rows.append(row)
    return rows


def _add_derived(rows):
    """Ratios that compare two metrics of skmlp's own runs."""
    by_metric = {(r["workload"], r["metric"]): r for r in rows}
    for dtype in ("float32", "float64"):
        epoch = by_metric.get(("W1", f"{dtype} s/epoch"))
        floor = by_metric.get(("W1", f"{dtype} GEMM floor s/epoch"))
        if epoch and floor and "skmlp" in floor["values"]:
            epoch["floor"] = epoch["values"]["skmlp"] / floor["values"]["skmlp"]
            step = by_metric.get(("W1", f"{dtype} Adam steps alone s/epoch"))
            if step and "skmlp" in step["values"]:
                both = floor["values"]["skmlp"] + step["values"]["skmlp"]
                epoch["floor_and_step"] = epoch["values"]["skmlp"] / both
    for row in rows:
        if row["workload"] not in OVER_RELU or row["metric"].split(": ")[-1].startswith("relu,"):
            continue
        shape = row["metric"].split(":")[0]
        if row["workload"] == "W8":
            relu = by_metric.get(("W8", f"{shape}: relu, ms/epoch"))
        else:
            relu = by_metric.get(("W10", f"{shape}: relu, ms/epoch"))
        if relu:
            row["over_relu"] = {
                lib: row["values"][lib] / relu["values"][lib]
                for lib in row["values"]
                if lib in relu["values"]
            }
    plain = by_metric.get(("W1", "float32 s/epoch"))
    options = by_metric.get(("W1", "float32 + dropout 0.2 + batch_norm, s/epoch"))
    if plain and options and "skmlp" in options["values"]:
        options["options_over_plain"] = options["values"]["skmlp"] / plain["values"]["skmlp"]


def _met(row):
    if "baseline" in row["values"]:
        return None  # the targets compare skmlp with other libraries
    checks = []
    for kind, bound in TARGETS.get((row["workload"], row["metric"]), []):
        if kind == "max":
            checks.append(row["values"]["skmlp"] <= bound)
        elif kind == "min":
            checks.append(row["values"]["skmlp"] >= bound)
        elif kind in row["ratios"]:
            checks.append(row["ratios"][kind][0] >= bound)
    return None if not checks else all(checks)


def _target(row):
    if "baseline" in row["values"]:
        return ""
    parts = []
    for kind, bound in TARGETS.get((row["workload"], row["metric"]), []):
        if kind in ("max", "min"):
            parts.append(f"{'<=' if kind == 'max' else '>='} {bound:g}")
        else:
            parts.append(f"{kind} ratio >= {bound:g}")
    return ", ".join(parts)


def _fmt(value, metric=""):
    if value is None:
        return ""
    if any(unit in metric for unit in ("us/", "ms", "MB")):
        return f"{value:.3f}" if value < 1 else f"{value:.1f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _ratio(r):
    return "" if r is None else f"{r[0]:.2f} ({r[1]:.2f}-{r[2]:.2f})"


def to_markdown(rows, meta):
    others = [lib for lib in meta["libraries"] if lib != "skmlp"]
    names = {
        "sklearn": "scikit-learn",
        "torch": "PyTorch",
        "onnxruntime": "ONNX Runtime",
        "baseline": "baseline",
    }
    head = ["workload", "metric", "skmlp"]
    for lib in others:
        head += [names[lib], "ratio (min-max)"]
    head += ["target", "met"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/run.py` on {meta['date']}: {meta['machine']}.",
        f"{meta['versions']}.",
        f"BLAS kernels: {meta['blas']}.",
        f"Each library in its own fresh process (allocator warmed by freeing 32 MB), "
        f"alternating, {meta['pairs']} pairs; medians. Ratios are other / skmlp per pair "
        "(median, min-max): higher is better for skmlp."
        + (" OPENBLAS_CORETYPE as set." if meta["keep_openblas_env"] else ""),
        "",
        "| " + " | ".join(head) + " |",
        "| "
        + " | ".join(["---", "---"] + ["---:"] * (1 + 2 * len(others)) + ["---", "---"])
        + " |",
    ]
    for row in rows:
        cells = [row["workload"], row["metric"], _fmt(row["values"].get("skmlp"), row["metric"])]
        for lib in others:
            cells += [_fmt(row["values"].get(lib), row["metric"]), _ratio(row["ratios"].get(lib))]
        met = "" if meta["quick"] else {None: "", True: "yes", False: "**no**"}[_met(row)]
        cells += [_target(row), met]
        lines.append("| " + " | ".join(cells) + " |")
    derived = []
    for row in rows:
        if "floor" in row:
            derived.append(f"- {row['metric']}: skmlp / GEMM floor of the same shapes = "
                           f"{row['floor']:.2f} (target <= 1.3)")  # fmt: skip
        if "floor_and_step" in row:
            derived.append(f"- {row['metric']}: skmlp / (GEMM floor + Adam steps alone) = "
                           f"{row['floor_and_step']:.2f}")  # fmt: skip
        if row.get("over_relu"):
            ratios = ", ".join(f"{lib} {r:.2f}" for lib, r in row["over_relu"].items())
            limit = OVER_RELU[row["workload"]]
            derived.append(f"- {row['workload']} {row['metric']} / relu epoch: {ratios} "
                           f"(target <= {limit})")  # fmt: skip
        if "options_over_plain" in row:
            derived.append(f"- dropout + batch_norm epoch / plain epoch = "
                           f"{row['options_over_plain']:.2f} (target <= 1.5)")  # fmt: skip
    if derived:
        lines += [""] + derived
    if meta["quick"]:
        lines += ["", "Quick run (tiny sizes): the numbers only show that the suite runs."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to test the suite")
    parser.add_argument("--pairs", type=int, default=5, help="alternating process pairs")
    parser.add_argument("--reps", type=int, default=3, help="timed repeats inside a process")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="e.g. W1,W4")
    parser.add_argument("--out", default=str(HERE / "results.md"))
    parser.add_argument("--baseline", help="another skmlp checkout to compare against")
    parser.add_argument("--keep-openblas-env", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--lib", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.lib, args.quick, args.reps)

    import sklearn

    import skmlp

    libraries = _libraries(args)
    rows, blas = [], {}
    names = [name.strip() for name in args.only.split(",")]
    quick = measure_quick(names, args) if args.quick else {}
    for name in names:
        start = time.perf_counter()
        runs, kernels = quick[name] if args.quick else measure(name, args)
        blas.update(kernels)
        new = rows_of(name, runs)
        rows += new
        for row in new:
            ratios = "  ".join(f"{lib} {_ratio(r)}" for lib, r in row["ratios"].items())
            print(f"{row['workload']} {row['metric']}: skmlp {_fmt(row['values'].get('skmlp'))}"
                  f"  {ratios}", flush=True)  # fmt: skip
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    _add_derived(rows)
    torch_version = ""
    if "torch" in libraries:
        import torch

        torch_version = f", PyTorch {torch.__version__}"
    if "onnxruntime" in libraries:
        import onnxruntime
        import skl2onnx

        torch_version += f", onnxruntime {onnxruntime.__version__}, skl2onnx {skl2onnx.__version__}"
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "versions": f"skmlp {skmlp.__version__}, scikit-learn {sklearn.__version__}, "
        f"NumPy {np.__version__}{torch_version}"
        + (f"; baseline: skmlp at {args.baseline}" if args.baseline else ""),
        "pairs": args.pairs,
        "blas": "; ".join(f"{lib}: {', '.join(k)}" for lib, k in blas.items()),
        "quick": args.quick,
        "libraries": libraries,
        "keep_openblas_env": args.keep_openblas_env,
    }
    Path(args.out).write_text(to_markdown(rows, meta))
    for row in rows:
        row["met"] = _met(row)
    Path(args.out).with_suffix(".json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=1)
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
