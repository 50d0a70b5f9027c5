"""Compiling a configuration's kernels in parallel processes that share the disk cache.

A fit on an empty cache compiles a few skeletons and a dozen small kernels
(:mod:`skmlp._engine.plugs`). They do not depend on each other: a skeleton
calls the kernels through addresses it receives at run time, so it is
compiled from their signatures alone. Numba compiles in one thread per
process (a global lock), so the first fit used one core while the others
waited.

When a configuration's first table is made (:func:`skmlp._engine.network.table`)
and enough of its kernels are neither in memory nor in the disk cache (the
skeletons, or a dozen small kernels: :data:`MIN_WORK`), :func:`compile_jobs`
starts helper processes (at most :func:`helpers`: one per free core, up to
:data:`MAX_HELPERS`, and one per :data:`MIN_WORK` of work). Each imports the engine alone
(neither scikit-learn nor the estimators), and every process, this one
included, takes the next unclaimed kernel of the same list until none is
left: a kernel is claimed by creating its file in a directory of the call's
own (``O_EXCL``, which one process wins), so the work balances itself
whatever each kernel costs. The helpers' kernels reach this process through
the disk cache, as they would reach any later process.

Kernels that share one file of Numba's cache index (the same function
compiled for two dtypes, or a kernel factory's closures) are claimed
together: Numba rewrites that file whole when it adds an entry, so two
processes adding to it at once could lose one of them.

Nothing depends on the helpers: if one cannot start, fails or takes too
long, whatever it did not compile is compiled here as before (the table
compiles every kernel it does not find). ``SKMLP_COMPILE_HELPERS=0`` turns
them off; any other integer sets their number.
"""

import ast
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numba

#: The most helper processes one process starts.
MAX_HELPERS = 3
#: The least work worth a helper, in units of a small kernel's compilation
#: (about 0.25 s on a 2-core machine; :attr:`Job.weight`): a helper's start
#: (importing NumPy, Numba and the engine, and Numba's own first compilation)
#: costs about three of them.
MIN_WORK = 8
#: Seconds to wait for the helpers once this process has claimed its last
#: kernel (each kernel takes well under one); then they are stopped and this
#: process compiles what they left.
PATIENCE = 120.0

_lock = threading.Lock()
#: How many helper processes this process has started (for the tests).
started = [0]

# The helper's program: import the engine without the package's __init__
# (which imports scikit-learn), then take jobs. argv: the package directory,
# the claims directory, the configurations.
_BOOTSTRAP = (
    "import sys, types; package = types.ModuleType('skmlp'); package.__path__ = [sys.argv[1]]; "
    "sys.modules['skmlp'] = package; from skmlp._engine import parallel; parallel.main(sys.argv)"
)


class Job:
    """One kernel to compile for one signature.

    ``slot`` is the plug-table slot it is compiled for (see
    :func:`skmlp._engine.plugs.address`), or None for a kernel that Python
    calls with ``signature`` (a tuple of argument types).
    """

    def __init__(self, kernel, slot, dtype, signature, weight=1, affinity=None):
        self.kernel, self.slot, self.dtype, self.signature = kernel, slot, dtype, signature
        self.weight = weight  # its compile time, in units of a small kernel's
        # Jobs of one affinity are claimed together: kernels that call the same
        # functions, which a process compiles once for all its kernels.
        self.affinity = affinity

    @property
    def group(self):
        """What a process claims: the kernels sharing one file of Numba's cache index."""
        code = self.kernel.py_func.__code__
        return code.co_filename, code.co_firstlineno, self.kernel.py_func.__qualname__

    def compiled(self):
        """Whether the kernel is in memory or in the disk cache for this signature.

        Reads Numba's cache index (an internal format); True when it cannot,
        so that no helper is started on a guess.
        """
        try:
            sig = self.signature
            args = sig.args if hasattr(sig, "args") else tuple(sig)
            if args in self.kernel.overloads:
                return True
            cache = self.kernel._cache
            index = cache._cache_file._load_index()
            return cache._index_key(sig, self.kernel.targetctx.codegen()) in index
        except Exception:  # a Numba whose internals differ, or no disk cache
            return True

    def compile(self):
        """Compile it (or load it from the disk cache), in this process."""
        if self.slot is None:
            self.kernel.compile(self.signature)
        else:
            from .plugs import address

            address(self.kernel, self.slot, self.dtype)


def helpers():
    """How many helper processes a compilation may start: ``SKMLP_COMPILE_HELPERS``,
    or one per core available to this process beyond the first, at most
    :data:`MAX_HELPERS`."""
    setting = os.environ.get("SKMLP_COMPILE_HELPERS", "").strip()
    if setting:
        try:
            return max(0, int(setting))
        except ValueError:
            return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return min(MAX_HELPERS, cores - 1)


def _claim(directory, number):
    """Whether this process is the first to claim group ``number``."""
    try:
        os.close(os.open(os.path.join(directory, str(number)), os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False


def _groups(jobs):
    """``jobs`` in groups that one process claims, in the order of their first job.

    Jobs of one :attr:`Job.group` (a file of Numba's cache index) or of one
    :attr:`Job.affinity` are in the same group.
    """
    parent = list(range(len(jobs)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = {}
    for i, job in enumerate(jobs):
        keys = [("file", job.group)]
        if job.affinity is not None:
            keys.append(("affinity", job.affinity))
        for key in keys:
            j = first.setdefault(key, i)
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups = {}
    for i, job in enumerate(jobs):
        groups.setdefault(root(i), []).append(job)
    return [groups[number] for number in sorted(groups)]


def _work(directory, groups):
    """Compile every group of ``groups`` that this process claims first."""
    for number, group in enumerate(groups):
        if _claim(directory, number):
            for job in group:
                job.compile()


def compile_jobs(jobs, configurations):
    """Compile the ``jobs`` not yet compiled, with helper processes when there are several.

    ``configurations`` is what the helpers rebuild the same list from:
    a list of literals (:func:`skmlp._engine.network.jobs` reads them).
    Returns the number of helpers started.
    """
    if numba.config.DISABLE_JIT:
        return 0
    with _lock:
        groups = _groups(jobs)
        missing = [number for number, group in enumerate(groups) if not group[0].compiled()]
        work = sum(job.weight for number in missing for job in groups[number])
        n_helpers = min(helpers(), len(missing) - 1, work // MIN_WORK)
        if n_helpers <= 0:
            return 0
        directory = tempfile.mkdtemp(prefix="skmlp-compile-")
        processes = []
        try:
            for number in range(len(groups)):
                if number not in missing:
                    _claim(directory, number)  # nothing to do there
            processes = _start(n_helpers, directory, configurations)
            started[0] += len(processes)
            _work(directory, groups)
            _wait(processes)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            shutil.rmtree(directory, ignore_errors=True)
        return len(processes)


def _start(n, directory, configurations):
    """Start ``n`` helpers on ``directory``; as many as could be started."""
    env = dict(os.environ)
    if numba.config.CACHE_DIR:  # set in this process, perhaps not in its environment
        env["NUMBA_CACHE_DIR"] = numba.config.CACHE_DIR
    # The helpers compute nothing: no BLAS threads for them.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["SKMLP_COMPILE_HELPERS"] = "0"
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    command = [sys.executable, "-c", _BOOTSTRAP, package, directory, repr(configurations)]
    processes = []
    for _ in range(n):
        try:
            processes.append(
                subprocess.Popen(
                    command,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        except OSError:  # no interpreter to start (an embedded or frozen Python)
            break
    return processes


def _wait(processes):
    """Wait for the helpers, at most :data:`PATIENCE` seconds in all."""
    end = time.monotonic() + PATIENCE
    for process in processes:
        try:
            process.wait(timeout=max(0.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass


def main(argv):
    """A helper process: ``argv = [program, package, directory, configurations]``."""
    from . import network

    directory, configurations = argv[2], ast.literal_eval(argv[3])
    _work(directory, _groups(network.jobs(configurations)))
