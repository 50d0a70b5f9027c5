"""Robustness of skmlp's estimators outside the happy path of one fit in one process.

- persistence: pickle / joblib files give bitwise-identical predictions when
  loaded in a fresh interpreter, and a model pickled mid-training resumes
  ``partial_fit`` exactly;
- determinism: a fixed ``random_state`` gives bitwise-identical parameters
  across fits and across processes;
- concurrency: prediction from many threads at once on one fitted estimator;
- multiprocessing: ``GridSearchCV(n_jobs=2)`` and BLAS thread limits in
  joblib's loky workers;
- a property test over shapes, dtypes, sparse formats, architectures, solvers
  and estimators: fit + predict give finite, well-shaped outputs or a
  ``ValueError``, never another exception;
- memory: repeated fits do not grow the resident set.

Fresh-process checks run this very file in a child interpreter (see
``_child_command``): the child loads the module by path and calls one of the
``_child_*`` functions below, so parent and child share the code that builds
data and models.
"""

import collections
import gc
import hashlib
import json
import os
import pickle
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, ParameterGrid
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

import skmlp

CHILD_TIMEOUT = 300  # seconds; generous, a child normally takes ~3 s


# ----------------------------------------------------------------------------
# Data (deterministic, shared by parent and child processes)


@lru_cache
def _digits():
    """Digits scaled to [0, 1]: about half the entries are 0, so CSR is meaningful."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@lru_cache
def _diabetes():
    """Standardised diabetes with small entries zeroed (sparse-ish), standardised target."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X[np.abs(X) < 0.5] = 0.0
    return X, (y - y.mean()) / y.std()


@lru_cache
def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _quiet_fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def _params_hash(est):
    params = est._params
    digest = hashlib.sha256()
    digest.update(("%s%s" % (params.dtype.str, params.shape)).encode())
    digest.update(params.tobytes())
    return digest.hexdigest()


# ----------------------------------------------------------------------------
# Child processes

_CHILD_MAIN = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('skmlp_robustness_child', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(module)\n"
    "getattr(module, sys.argv[2])(*sys.argv[3:])\n"
)


def _child_command(function, *args):
    """Command running ``function(*args)`` of this file in a fresh interpreter."""
    return [sys.executable, "-c", _CHILD_MAIN, os.path.abspath(__file__), function.__name__] + [
        str(a) for a in args
    ]


def _run_children(*commands):
    """Run the commands concurrently; return their stdout, failing on a non-zero exit."""
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for cmd in commands
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=CHILD_TIMEOUT)
            assert proc.returncode == 0, "child process failed (exit %s):\n%s" % (
                proc.returncode,
                err,
            )
            outputs.append(out)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return outputs


def _load_X(path, sparse):
    return sp.load_npz(path) if sparse else np.load(path)


def _child_predict(manifest_path):
    """Load each model of the manifest, predict, save every output to .npy."""
    with open(manifest_path) as f:
        manifest = json.load(f)
    for entry in manifest:
        if entry["serializer"] == "pickle":
            with open(entry["model"], "rb") as f:
                est = pickle.load(f)
        else:
            est = joblib.load(entry["model"])
        X = _load_X(entry["X"], entry["sparse"])
        for method in entry["methods"]:
            np.save(entry["out"] + method + ".npy", getattr(est, method)(X), allow_pickle=False)


def _child_resume(root):
    """Unpickle each model saved mid-training and finish its partial_fit schedule."""
    for case in RESUME_CASES:
        with open(os.path.join(root, case + ".pkl"), "rb") as f:
            est = pickle.load(f)
        _finish_partial_fits(est, case)
        np.savez(os.path.join(root, case + ".npz"), params=est._params, state=est._optimizer_state)


def _child_determinism_hashes():
    print(json.dumps({solver: _params_hash(_determinism_fit(solver)) for solver in SOLVERS}))


# ----------------------------------------------------------------------------
# 1. Persistence in a fresh process

PERSIST_CASES = [
    "%s-%s-%s" % (kind, fmt, dtype)
    for kind in ("classifier", "regressor")
    for fmt in ("dense", "csr")
    for dtype in ("float64", "float32")
]
SERIALIZERS = ("pickle", "joblib")


def _persist_model(case):
    kind, fmt, dtype = case.split("-")
    if kind == "classifier":
        X, y = _digits()
        X, y = X[:300], y[:300]
        est = skmlp.MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=30, random_state=0)
    else:
        X, y = _diabetes()
        est = skmlp.MLPRegressor(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    X = X.astype(dtype)
    if fmt == "csr":
        X = sp.csr_matrix(X)
    _quiet_fit(est, X, y)
    return est, X


@pytest.fixture(scope="module")
def persisted(tmp_path_factory):
    """Fit every case, save it with each serializer, predict in ONE fresh process.

    Returns ``{(case, serializer): (parent outputs, child outputs, model dtype)}``.
    """
    root = tmp_path_factory.mktemp("persist")
    manifest, expected = [], {}
    for case in PERSIST_CASES:
        est, X = _persist_model(case)
        sparse = sp.issparse(X)
        X_path = str(root / (case + (".npz" if sparse else ".npy")))
        if sparse:
            sp.save_npz(X_path, X)
        else:
            np.save(X_path, X)
        methods = ["predict", "predict_proba"] if hasattr(est, "predict_proba") else ["predict"]
        reference = {m: getattr(est, m)(X) for m in methods}
        for serializer in SERIALIZERS:
            model_path = str(root / ("%s.%s" % (case, serializer)))
            if serializer == "pickle":
                with open(model_path, "wb") as f:
                    pickle.dump(est, f)
            else:
                joblib.dump(est, model_path)
            out = str(root / ("%s-%s-" % (case, serializer)))
            manifest.append(
                dict(
                    model=model_path,
                    serializer=serializer,
                    X=X_path,
                    sparse=sparse,
                    methods=methods,
                    out=out,
                )
            )
            expected[case, serializer] = (reference, out, est._params.dtype)
    manifest_path = root / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    _run_children(_child_command(_child_predict, manifest_path))
    return {
        key: (reference, {m: np.load(out + m + ".npy") for m in reference}, dtype)
        for key, (reference, out, dtype) in expected.items()
    }


@pytest.mark.parametrize("case", PERSIST_CASES)
@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_round_trip_gives_bitwise_identical_predictions_in_fresh_process(
    persisted, serializer, case
):
    reference, loaded, dtype = persisted[case, serializer]
    assert dtype == np.dtype(case.rsplit("-", 1)[1])  # the case built the intended model
    assert set(loaded) == set(reference)
    for method, ref in reference.items():
        got = loaded[method]
        assert got.dtype == ref.dtype, method
        assert got.shape == ref.shape, method
        assert np.array_equal(got, ref), "%s differs after %s in a fresh process" % (
            method,
            serializer,
        )
    if "predict_proba" in reference:
        assert reference["predict_proba"].dtype == dtype


# ----------------------------------------------------------------------------
# 2. Pickled mid-training, resumed in a fresh process

RESUME_CASES = ["classifier-adam", "classifier-sgd", "regressor-adam", "regressor-sgd"]
N_CALLS_BEFORE_PICKLE = 3
N_BATCHES = 5


def _resume_data(case):
    if case.startswith("classifier"):
        X, y = _digits()
        X, y = X[:500], y[:500]
    else:
        X, y = _diabetes()
    return [(X[i::N_BATCHES], y[i::N_BATCHES]) for i in range(N_BATCHES)]


def _resume_model(case):
    kind, solver = case.split("-")
    common = dict(hidden_layer_sizes=(16,), solver=solver, random_state=0, batch_size=32)
    if kind == "classifier":
        return skmlp.MLPClassifier(learning_rate_init=0.01, **common)
    # invscaling makes SGD's learning rate part of the state to restore
    return skmlp.MLPRegressor(learning_rate="invscaling", learning_rate_init=0.01, **common)


def _partial_fit_schedule(case):
    """(X, y) of every partial_fit call: two passes over the batches."""
    batches = _resume_data(case)
    return batches + batches


def _start_partial_fits(est, case):
    classes = np.unique(_digits()[1]) if case.startswith("classifier") else None
    for i, (X, y) in enumerate(_partial_fit_schedule(case)[:N_CALLS_BEFORE_PICKLE]):
        if classes is not None and i == 0:
            est.partial_fit(X, y, classes=classes)
        else:
            est.partial_fit(X, y)


def _finish_partial_fits(est, case):
    for X, y in _partial_fit_schedule(case)[N_CALLS_BEFORE_PICKLE:]:
        est.partial_fit(X, y)


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """``{case: (params, state, child params, child state, params at pickling)}``.

    params/state: uninterrupted training; child: resumed from the pickle in a
    fresh process.
    """
    root = tmp_path_factory.mktemp("resume")
    uninterrupted = {}
    for case in RESUME_CASES:
        est = _resume_model(case)
        _start_partial_fits(est, case)
        with open(root / (case + ".pkl"), "wb") as f:
            pickle.dump(est, f)
        at_pickle = est._params.copy()
        _finish_partial_fits(est, case)
        uninterrupted[case] = (est._params.copy(), est._optimizer_state.copy(), at_pickle)
    _run_children(_child_command(_child_resume, root))
    out = {}
    for case, (params, state, at_pickle) in uninterrupted.items():
        with np.load(root / (case + ".npz")) as child:
            out[case] = (params, state, child["params"], child["state"], at_pickle)
    return out


@pytest.mark.parametrize("case", RESUME_CASES)
def test_model_pickled_mid_training_resumes_partial_fit_exactly_in_fresh_process(resumed, case):
    params, state, child_params, child_state, at_pickle = resumed[case]
    # the continuation did train: otherwise equality would prove nothing
    assert not np.array_equal(params, at_pickle)
    assert child_params.dtype == params.dtype
    assert np.array_equal(child_params, params), "resumed training diverged from uninterrupted"
    assert np.array_equal(child_state, state)


# ----------------------------------------------------------------------------
# 3. Determinism

SOLVERS = ("adam", "sgd", "lbfgs")


def _determinism_fit(solver, random_state=42, est=None):
    X, y = _digits()
    X, y = X[:300], y[:300]
    if est is None:
        est = skmlp.MLPClassifier(
            hidden_layer_sizes=(20, 10), solver=solver, max_iter=15, random_state=random_state
        )
    return _quiet_fit(est, X, y)


@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_gives_bitwise_identical_params_across_fits(solver):
    first = _determinism_fit(solver)
    reference = _params_hash(first)
    assert _params_hash(_determinism_fit(solver)) == reference
    # refitting the same estimator object starts afresh from the same seed
    assert _params_hash(_determinism_fit(solver, est=first)) == reference
    # the hash does see the training: another seed gives other parameters
    assert _params_hash(_determinism_fit(solver, random_state=7)) != reference


@pytest.fixture(scope="module")
def child_hashes():
    command = _child_command(_child_determinism_hashes)
    # the hashes are the last line of output (anything printed before is ignored)
    return [json.loads(out.splitlines()[-1]) for out in _run_children(command, command)]


@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_gives_bitwise_identical_params_across_processes(child_hashes, solver):
    reference = _params_hash(_determinism_fit(solver))
    assert [hashes[solver] for hashes in child_hashes] == [reference, reference]


# ----------------------------------------------------------------------------
# 4. Concurrent prediction

CONCURRENCY_CASES = [
    "classifier-dense-float64",
    "classifier-csr-float32",
    "regressor-dense-float64",
]
N_THREADS = 8
N_ROUNDS = 15


def _concurrency_model(case):
    kind, fmt, dtype = case.split("-")
    if kind == "classifier":
        X, y = _digits()
        est = skmlp.MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=5, random_state=0)
    else:
        X, y = _diabetes()
        y = np.column_stack([y, np.sin(y)])
        est = skmlp.MLPRegressor(hidden_layer_sizes=(32, 16), max_iter=5, random_state=0)
    X = X.astype(dtype)
    if fmt == "csr":
        X = sp.csr_matrix(X)
    return _quiet_fit(est, X, y), X


@pytest.mark.parametrize("case", CONCURRENCY_CASES)
def test_concurrent_predictions_from_threads_equal_serial_results(case):
    est, X = _concurrency_model(case)
    n = X.shape[0]
    methods = ["predict", "predict_proba"] if hasattr(est, "predict_proba") else ["predict"]
    slices = [(0, n), (0, 1), (1, 2), (10, 250), (n // 4, n // 2), (n - 37, n), (3, n - 3)]
    tasks = [(m, a, b) for m in methods for a, b in slices]
    expected = {task: getattr(est, task[0])(X[task[1] : task[2]]) for task in tasks}
    barrier = threading.Barrier(N_THREADS)

    def work(thread_id):
        barrier.wait(timeout=60)  # start together
        mismatches, calls = [], 0
        for r in range(N_ROUNDS):
            # every thread walks the tasks in its own order
            for k in range(len(tasks)):
                task = tasks[(k * (thread_id + 1) + r) % len(tasks)]
                method, a, b = task
                got = getattr(est, method)(X[a:b])
                calls += 1
                ref = expected[task]
                if got.dtype != ref.dtype or not np.array_equal(got, ref):
                    mismatches.append(task)
        return mismatches, calls

    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        results = list(pool.map(work, range(N_THREADS)))
    assert sum(calls for _, calls in results) == N_THREADS * N_ROUNDS * len(tasks)
    mismatches = [task for found, _ in results for task in found]
    assert not mismatches, "%d concurrent results differ, e.g. %s" % (
        len(mismatches),
        mismatches[:5],
    )


# ----------------------------------------------------------------------------
# 5. Process parallelism with joblib


def test_grid_search_with_two_jobs_finds_best_params_with_finite_scores():
    X, y = _iris()
    grid = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (8,)]}
    search = GridSearchCV(
        skmlp.MLPClassifier(solver="lbfgs", max_iter=100, random_state=0),
        grid,
        cv=3,
        n_jobs=2,
    )
    _quiet_fit(search, X, y)
    assert search.best_params_ in list(ParameterGrid(grid))
    results = search.cv_results_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score", "split2_test_score"):
        assert len(results[key]) == 4
        assert np.isfinite(results[key]).all(), key
    assert search.best_score_ == np.max(results["mean_test_score"])
    assert search.best_score_ > 0.8  # the candidates did learn
    assert search.best_estimator_.predict(X).shape == y.shape


def _fit_and_report_blas_threads(seed):
    X, y = _iris()
    _quiet_fit(skmlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=seed), X, y)
    threads = [
        info["num_threads"] for info in threadpool_info() if info["internal_api"] == "openblas"
    ]
    return os.getpid(), threads


def test_loky_workers_limit_blas_threads_to_their_share_of_cores():
    limit = max(1, (os.cpu_count() or 1) // 2)
    results = joblib.Parallel(n_jobs=2)(
        joblib.delayed(_fit_and_report_blas_threads)(seed) for seed in range(4)
    )
    assert len(results) == 4
    for pid, threads in results:
        assert pid != os.getpid()  # ran in a worker process, not in-process
        assert threads, "no OpenBLAS library loaded in the worker"
        assert all(1 <= t <= limit for t in threads), (threads, limit)


# ----------------------------------------------------------------------------
# 6. Property: finite outputs of the right shape and dtype, or ValueError


@st.composite
def fit_cases(draw):
    # Hypothesis draws the shapes, settings and a seed; the arrays come from a
    # NumPy generator with that seed.  (Drawn element by element, arrays
    # would mostly be a constant fill value and use up Hypothesis's
    # per-example budget, which skews every later draw to its simplest value.)
    n_samples = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 6))
    dtype = np.dtype(draw(st.sampled_from(["float32", "float64", "int64"])))
    fmt = draw(st.sampled_from(["dense", "csr", "csc"]))
    zero_fraction = draw(st.sampled_from([0.0, 0.5, 0.9]))
    kind = draw(st.sampled_from(["classifier", "regressor"]))
    n_classes = min(n_samples, draw(st.integers(1, 4)))
    string_labels = draw(st.booleans())
    n_outputs = draw(st.integers(1, 3))
    weighted = draw(st.booleans())
    params = dict(
        hidden_layer_sizes=tuple(draw(st.lists(st.integers(1, 8), max_size=2))),
        solver=draw(st.sampled_from(["adam", "sgd", "lbfgs"])),
        activation=draw(st.sampled_from(["identity", "logistic", "tanh", "relu"])),
        early_stopping=draw(st.booleans()),
        validation_fraction=draw(st.sampled_from([0.1, 0.3, 0.5])),
        max_iter=draw(st.integers(1, 5)),
        batch_size=draw(st.one_of(st.just("auto"), st.integers(1, n_samples))),
        random_state=draw(st.integers(0, 2**16)),
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    if dtype.kind == "i":
        X = rng.integers(-10, 11, size=(n_samples, n_features)).astype(dtype)
    else:
        X = rng.uniform(-10, 10, size=(n_samples, n_features)).astype(dtype)
    X[rng.random(X.shape) < zero_fraction] = 0
    if fmt != "dense":
        X = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    if kind == "classifier":
        y = rng.permutation(n_samples) % n_classes  # every class present
        if string_labels:
            y = np.array(["class_%d" % c for c in y])
    else:
        y = rng.uniform(-100, 100, size=(n_samples, n_outputs))
        if n_outputs == 1:
            y = y.ravel()
    sample_weight = None
    if weighted:
        sample_weight = rng.choice([0.0, 0.5, 1.0, 3.0], size=n_samples)
    return kind, X, y, sample_weight, params


def _check_fitted_outputs(est, kind, X, y, float_dtype):
    n = X.shape[0]
    if kind == "classifier":
        assert np.array_equal(est.classes_, np.unique(y))
        pred = est.predict(X)
        assert pred.shape == (n,)
        assert pred.dtype == est.classes_.dtype
        assert np.isin(pred, est.classes_).all()
        proba = est.predict_proba(X)
        assert proba.shape == (n, max(2, len(est.classes_)))
        assert proba.dtype == float_dtype
        assert np.isfinite(proba).all(), proba
        assert ((proba >= 0) & (proba <= 1)).all(), proba
        atol = 1e-5 if float_dtype == np.float32 else 1e-12
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=atol)
    else:
        pred = est.predict(X)
        assert pred.shape == y.shape
        assert pred.dtype == float_dtype
        assert np.isfinite(pred).all(), pred


def _fit_and_check(case):
    """Fit and predict one generated case; return the ValueError raised, as text, or None.

    A ValueError from fit or predict is an accepted outcome; any other
    exception propagates, and so does a failed check of the outputs.
    """
    kind, X, y, sample_weight, params = case
    note(
        "%s X=%s %s %s\ny=%r\nsample_weight=%r\nparams=%s"
        % (kind, type(X).__name__, X.dtype, X.shape, y, sample_weight, params)
    )
    Estimator = skmlp.MLPClassifier if kind == "classifier" else skmlp.MLPRegressor
    est = Estimator(**params)
    step = "fit"
    with warnings.catch_warnings():
        # batch_size above the (post-split) training size is clipped, with a warning
        warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)
        try:
            _quiet_fit(est, X, y, sample_weight=sample_weight)
            step = "predict"
            float_dtype = np.float32 if X.dtype == np.float32 else np.float64
            if params["solver"] == "lbfgs":
                float_dtype = np.float64  # L-BFGS keeps SciPy's float64 solution
            assert est._params.dtype == float_dtype
            _check_fitted_outputs(est, kind, X, y, float_dtype)
        except ValueError as exc:
            message = "%s raised ValueError: %s" % (step, str(exc).split(".")[0][:70])
            event(message)
            return message
    event("fitted %s" % kind)
    return None


def test_fit_predict_gives_finite_well_formed_outputs_or_value_error():
    outcomes = collections.Counter()

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(fit_cases())
    def check(case):
        error = _fit_and_check(case)
        outcomes["fitted" if error is None else error] += 1

    check()
    total = sum(outcomes.values())
    fitted = outcomes["fitted"]
    assert total >= 300, outcomes
    # not vacuous: most generated cases fit, and the ValueError branch is reached
    assert fitted >= 0.6 * total, outcomes
    assert fitted < total, outcomes


# ----------------------------------------------------------------------------
# 7. Memory


def _rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("VmRSS not found in /proc/self/status")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_hundred_consecutive_fits_do_not_grow_rss():
    X, y = _iris()

    def fit(i):
        solver = SOLVERS[i % len(SOLVERS)]
        est = skmlp.MLPClassifier(
            hidden_layer_sizes=(20,), solver=solver, max_iter=20, random_state=i
        )
        _quiet_fit(est, X, y).predict_proba(X)

    for i in range(len(SOLVERS)):  # warm-up: every solver's code paths loaded
        fit(i)
    gc.collect()
    before = _rss_mb()
    for i in range(100):
        fit(i)
    gc.collect()
    growth = _rss_mb() - before
    assert growth < 50, "RSS grew by %.1f MB over 100 fits" % growth
