"""The one-time compilation: the notice, compiling ahead, and a read-only install.

Each scenario runs in fresh processes on a copy of the package that cannot be
written to (as a system-wide or container install), so Numba must keep the
compiled kernels in the user's cache directory, here an empty one of the
test's own.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import skmlp

NOTICE = "skmlp is compiling its kernels"

# The engine's compiled kernels: every dispatcher of its modules and tables.
KERNELS = """
from numba.core.registry import CPUDispatcher
from skmlp._engine import activations, batch_norm, blas, dropout, losses, network, optimizers

def engine_kernels():
    kernels = set()
    for module in (activations, batch_norm, blas, dropout, losses, network, optimizers):
        for value in vars(module).values():
            for obj in value.values() if isinstance(value, dict) else [value]:
                for kernel in obj if isinstance(obj, tuple) else [obj]:
                    if isinstance(kernel, CPUDispatcher):
                        kernels.add(kernel)
    return kernels

def cache_counts():
    kernels = engine_kernels()
    hits = sum(sum(k.stats.cache_hits.values()) for k in kernels)
    misses = sum(sum(k.stats.cache_misses.values()) for k in kernels)
    return hits, misses
"""

FIT = (
    KERNELS
    + """
import sys, warnings
import numpy as np
import skmlp
from skmlp._engine import network as _engine, parallel
warnings.simplefilter("ignore")
assert skmlp.__file__.startswith(sys.argv[1]), skmlp.__file__
X = np.random.RandomState(0).standard_normal((40, 5)).astype(sys.argv[2])
y = np.arange(40) % 3
skmlp.MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y).predict(X)
for kernel in (_engine._run, _engine.dot):
    stats = kernel.stats
    print(kernel.py_func.__name__, sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
print("all", *cache_counts())
print("helpers", parallel.started[0], 0)
"""
)

PRECOMPILE = """
import sys
import skmlp
assert skmlp.__file__.startswith(sys.argv[1]), skmlp.__file__
print(sorted(skmlp.precompile(dtypes=("float64",), lbfgs=False)))
"""


def _read_only_runner(site):
    """A command prefix under which ``site`` cannot be written, or None."""
    if os.geteuid() != 0:
        for path in [site, *site.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        return []
    # root writes through file modes: mount the copy read-only in a mount
    # namespace of the child's own.
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run(
        [unshare, "-rm", "sh", "-c", f"mount --bind -o ro {site} {site} && ! touch {site}/probe"],
        capture_output=True,
    )
    if probe.returncode != 0:
        return None
    return [unshare, "-rm", "sh", "-c", f'mount --bind -o ro {site} {site} && exec "$@"', "sh"]


@pytest.fixture(scope="module")
def read_only_install(tmp_path_factory):
    root = tmp_path_factory.mktemp("read_only_install")
    site = root / "site"
    shutil.copytree(
        Path(skmlp.__file__).parent, site / "skmlp", ignore=shutil.ignore_patterns("__pycache__")
    )
    runner = _read_only_runner(site)
    if runner is None:
        pytest.skip("no way to make a directory read-only for a root process here")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE_DIR")}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(root / "cache"), HOME=str(root))
    env["SKMLP_COMPILE_HELPERS"] = "1"  # what a 2-core machine does

    def run(script, *args):
        return subprocess.run(
            [*runner, sys.executable, "-c", script, str(site), *args],
            env=env,
            cwd=root,  # not the source tree, whose skmlp would come first on sys.path
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )

    yield site, root / "cache", run


def _kernel_stats(stdout):
    """``{kernel: (cache hits, cache misses)}`` printed by FIT."""
    rows = [line.split() for line in stdout.strip().splitlines()]
    return {name: (int(hits), int(misses)) for name, hits, misses in rows}


def test_precompile_fills_the_user_cache_of_a_read_only_install(read_only_install):
    site, cache, run = read_only_install
    result = run(PRECOMPILE)
    assert result.stdout.strip() == "['float64 stochastic fit + predict']"
    assert NOTICE not in result.stderr  # precompile says what it does itself
    # Every skeleton among them: Numba silently declines to cache a function
    # it deems uncachable (a warning, and every later process compiles it).
    for name in ("_run", "forward", "backprop_"):
        assert list(cache.rglob(f"network.{name}-*.nbi")), f"{name} was not cached"
    assert not list(site.rglob("*.nb[ic]")), "a kernel was cached inside the read-only package"


def test_a_fit_after_precompile_compiles_nothing_and_says_nothing(read_only_install):
    _, _, run = read_only_install
    run(PRECOMPILE)  # a no-op when the previous test ran
    result = run(FIT, "float64")
    assert NOTICE not in result.stderr
    stats = _kernel_stats(result.stdout)
    assert stats.pop("helpers") == (0, 0)  # nothing to compile: no helper process
    assert stats.pop("all")[1] == 0
    for name, (hits, misses) in stats.items():
        assert (hits, misses) == (1, 0), name


def test_a_cold_fit_says_once_that_it_compiles_then_the_next_process_loads(read_only_install):
    _, _, run = read_only_install
    first = run(FIT, "float32")  # precompile above covered float64 only
    assert first.stderr.count(NOTICE) == 1
    assert "float32" in first.stderr
    stats = _kernel_stats(first.stdout)
    # The skeletons serve both dtypes: loaded; the float32 kernels are
    # compiled, shared with a helper process (skmlp/_engine/parallel.py): what
    # it compiled, this process loaded from the user's cache.
    assert stats["_run"] == (1, 0)
    assert sum(stats["dot"]) == 1
    assert stats["helpers"] == (1, 0)
    hits, misses = stats["all"]
    assert misses > 0 and hits > 1  # more than _run was loaded: the helper's share
    second = run(FIT, "float32")
    stats = _kernel_stats(second.stdout)
    assert NOTICE not in second.stderr
    assert stats.pop("helpers") == (0, 0)
    assert stats.pop("all")[1] == 0
    assert all(counts == (1, 0) for counts in stats.values())


CONFIGURATION = (
    KERNELS
    + """
import hashlib, sys, warnings
import numpy as np
import skmlp
warnings.simplefilter("ignore")
X = np.random.RandomState(0).standard_normal((60, 5))
y = np.arange(60) % 3
model = skmlp.MLPClassifier((8,), activation="tanh", solver="sgd", max_iter=5, random_state=0)
proba = model.fit(X, y).predict_proba(X)
print(hashlib.sha256(proba.tobytes()).hexdigest(), *cache_counts())
"""
)


def test_two_processes_compiling_at_once_agree_and_a_third_compiles_nothing(tmp_path):
    # A GridSearchCV(n_jobs=2) or two Dask workers on a fresh install: both
    # compile the same configuration into one empty cache at the same time.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-c", CONFIGURATION]
    pipe = subprocess.PIPE
    both = [
        subprocess.Popen(command, env=env, stdout=pipe, stderr=pipe, text=True) for _ in range(2)
    ]
    results = [process.communicate(timeout=900) for process in both]
    assert [process.returncode for process in both] == [0, 0], [err for _, err in results]
    digests = [out.split()[0] for out, _ in results]
    assert digests[0] == digests[1]
    assert all(int(out.split()[2]) > 0 for out, _ in results)  # both compiled
    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    digest, hits, misses = third.stdout.split()
    assert digest == digests[0]
    assert int(misses) == 0 and int(hits) > 0


SHARED = (
    KERNELS
    + """
import hashlib, sys, warnings
import numpy as np
import skmlp
from skmlp._engine import parallel
warnings.simplefilter("ignore")
if sys.argv[1] == "crash":
    # Helpers that claim the first kernels after the skeleton, then die
    # without compiling them: this process must compile them itself.
    def start(n, directory, configurations):
        for number in (1, 2, 3):
            parallel._claim(directory, number)
        return []
    parallel._start = start
X = np.random.RandomState(0).standard_normal((60, 5)).astype(np.float32)
y = np.arange(60) % 3
model = skmlp.MLPClassifier((8, 4), activation="gelu", batch_norm=True, max_iter=5, random_state=0)
proba = model.fit(X, y).predict_proba(X)
print(hashlib.sha256(proba.tobytes()).hexdigest(), parallel.started[0], *cache_counts())
"""
)


def test_helper_processes_share_a_cold_compilation_and_change_nothing(tmp_path):
    # skmlp/_engine/parallel.py: with a helper, this process loads from the
    # disk cache what the helper compiled; results are those of a process
    # that compiled everything itself, and a later process compiles nothing.
    def run(mode, cache, helpers):
        env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / cache)}
        env["SKMLP_COMPILE_HELPERS"] = helpers
        result = subprocess.run(
            [sys.executable, "-c", SHARED, mode], env=env, capture_output=True, text=True,
            timeout=900, check=True,
        )  # fmt: skip
        digest, started, hits, misses = result.stdout.split()
        return digest, int(started), int(hits), int(misses)

    digest, started, hits, misses = run("fit", "shared", "1")
    assert started == 1 and hits > 0 and misses > 0
    # The helpers claim kernels and compile none: this process compiles
    # everything itself, loads nothing, and gets the same bits.
    crashed = run("crash", "crashed", "1")
    assert crashed[:3] == (digest, 0, 0)
    again = run("fit", "shared", "1")
    assert again[:2] == (digest, 0) and again[2] > 0 and again[3] == 0


def test_the_number_of_helpers_follows_the_environment(monkeypatch):
    from skmlp._engine import parallel

    for setting, expected in (("0", 0), ("2", 2), ("-1", 0), ("many", 0)):
        monkeypatch.setenv("SKMLP_COMPILE_HELPERS", setting)
        assert parallel.helpers() == expected
    monkeypatch.delenv("SKMLP_COMPILE_HELPERS")
    assert 0 <= parallel.helpers() <= parallel.MAX_HELPERS


def test_the_skeletons_are_compiled_once_for_both_dtypes():
    # They take the model's arrays as bytes (skmlp/_engine/views.py): a
    # float32 fit after a float64 one compiles float32 kernels, not skeletons.
    # And every call of _run has the argument types it is compiled for ahead
    # of its first call (skmlp/_engine/parallel.py), whatever the configuration.
    import numpy as np
    import scipy.sparse as sp

    from skmlp._engine import network, plugs

    X = np.random.RandomState(0).standard_normal((30, 4))
    y = np.arange(30) % 2
    for dtype in (np.float64, np.float32):
        skmlp.MLPClassifier((5,), max_iter=2, random_state=0).fit(X.astype(dtype), y).predict(X)
    configs = [
        (skmlp.MLPClassifier, sp.csr_matrix(X), dict(solver="lbfgs")),
        (skmlp.MLPRegressor, X.astype(np.float32), dict(loss="huber", early_stopping=True)),
        (skmlp.MLPRegressor, X, dict(activation="gelu", batch_norm=True, dropout=0.2)),
    ]
    for estimator, data, params in configs:
        model = estimator(hidden_layer_sizes=(5, 3), max_iter=2, random_state=0, **params)
        model.fit(data, y)
        model.predict(data)
        if "lbfgs" not in params.values() and "early_stopping" not in params:
            model.partial_fit(data, y)
    for skeleton in (network._run,):
        assert skeleton.signatures == [plugs.run_arguments()]
        assert str(skeleton.signatures[0][2]) == "array(uint8, 1d, C)"
    dots = {str(sig[0].dtype) for sig in network.dot.signatures}
    assert {"float32", "float64"} <= dots


def test_fits_and_predictions_free_every_compiled_allocation():
    # The skeletons are compiled without reference counting (skmlp/_engine/jit.py):
    # they allocate nothing, and the kernels they call must balance their own
    # allocations. Numba's runtime counts them: a fit and a prediction of
    # every kind of layer leave as many allocations as they found.
    import gc

    import numpy as np
    import scipy.sparse as sp
    from numba.core.runtime import _nrt_python, rtsys

    rng = np.random.RandomState(0)
    X = rng.standard_normal((60, 5))
    y = np.arange(60) % 3
    configs = [
        (X, dict()),
        (X.astype(np.float32), dict(activation="gelu", batch_norm=True, dropout=0.2)),
        (sp.csr_matrix(X), dict(solver="lbfgs")),
    ]

    def run():
        for data, params in configs:
            model = skmlp.MLPClassifier((6, 4), max_iter=3, random_state=0, **params)
            model.fit(data, y).predict_proba(data)
            if params.get("solver") != "lbfgs":
                model.partial_fit(data, y)
        gc.collect()

    run()  # compile (or load) everything first
    _nrt_python.memsys_enable_stats()
    try:
        before = rtsys.get_allocation_stats()
        run()
        after = rtsys.get_allocation_stats()
    finally:
        _nrt_python.memsys_disable_stats()
    assert after.alloc - before.alloc == after.free - before.free
    assert after.mi_alloc - before.mi_alloc == after.mi_free - before.mi_free
