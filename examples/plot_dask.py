"""
=============================================
Scaling out with Dask: searches and big data
=============================================

skmlp estimators work where scikit-learn's do on a Dask cluster:

* a hyper-parameter search runs its fits on the cluster's workers under
  ``joblib.parallel_backend("dask")``, with the same result as on one machine;
* ``dask_ml.wrappers.Incremental`` trains on a Dask array one block at a
  time through ``partial_fit``, so the data never has to fit in memory;
* ``dask_ml.wrappers.ParallelPostFit`` predicts block by block.

This example starts a ``distributed.LocalCluster`` of its own (workers
are threads of this process here, to start fast; see the user guide for worker
processes) and closes it at the end. On a real multi-machine cluster only the
``Client`` changes: ``Client("tcp://scheduler-address:8786")`` instead of
``Client(cluster)``; the rest of the code stays as it is.
"""

# %%
# Start a cluster
# ---------------
import time
import warnings

import dask.array as da
import joblib
import matplotlib.pyplot as plt
import numpy as np
from dask_ml.wrappers import Incremental, ParallelPostFit
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skmlp import MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
client = Client(cluster)  # on a real cluster: Client("tcp://scheduler-address:8786")

# %%
# A grid search on the cluster
# ----------------------------
# The same search runs once on this machine and once on the cluster. Each fit
# has its own ``random_state``, so both give the same scores and the same best
# parameters.
X, y = load_digits(return_X_y=True)
X = X / 16.0
grid = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(32,), (64,)]}
search = GridSearchCV(MLPClassifier(max_iter=40, random_state=0), grid, cv=3)

local = search.fit(X, y)
local_params, local_scores = local.best_params_, local.cv_results_["mean_test_score"]
with joblib.parallel_backend("dask"):
    on_dask = GridSearchCV(MLPClassifier(max_iter=40, random_state=0), grid, cv=3).fit(X, y)
print("best parameters:", on_dask.best_params_)
print("search: same best parameters as the local run:", on_dask.best_params_ == local_params)
print(
    "search: largest score difference from the local run: %g"
    % np.abs(on_dask.cv_results_["mean_test_score"] - local_scores).max()
)

# %%
# Training out of core
# --------------------
# 100,000 generated rows of 50 features in 20 blocks of 5,000: a Dask array,
# computed block by block. Each ``Incremental.partial_fit`` call is one pass
# over the blocks (one ``partial_fit`` of the model per block, in a random
# block order); the rows are reshuffled across blocks between passes, as
# dask-ml advises, so that every pass sees differently mixed blocks.
n_samples, n_features, n_blocks, passes = 100_000, 50, 20, 4
rng = da.random.RandomState(0)
X_big = rng.standard_normal((n_samples, n_features), chunks=(n_samples // n_blocks, -1))
weights = np.random.RandomState(1).standard_normal(n_features) * (np.arange(n_features) < 10)
score = (
    X_big @ weights
    + np.sin(3 * X_big[:, 0])
    + rng.standard_normal(n_samples, chunks=X_big.chunks[0])
)
y_big = (score > 0).astype(np.int64)
X_big, y_big = X_big.persist(), y_big.persist()  # generated once, kept on the workers
X_test = np.random.RandomState(2).standard_normal((20_000, n_features))
y_test = (X_test @ weights + np.sin(3 * X_test[:, 0]) > 0).astype(np.int64)

model = MLPClassifier(hidden_layer_sizes=(64,), random_state=0)
order_rng = np.random.RandomState(0)
streamed = Incremental(model, shuffle_blocks=True, random_state=order_rng)
curve = []
start = time.perf_counter()
for epoch in range(passes):
    if epoch == 0:
        X_pass, y_pass = X_big, y_big
    else:
        order = order_rng.permutation(n_samples)
        X_pass = X_big[order].rechunk(X_big.chunks)
        y_pass = y_big[order].rechunk(y_big.chunks)
    streamed.partial_fit(X_pass, y_pass, classes=[0, 1])
    curve.append(streamed.score(X_test, y_test))
streamed_seconds = time.perf_counter() - start

# The same model and number of epochs, in memory, for comparison.
in_memory = MLPClassifier(hidden_layer_sizes=(64,), random_state=0, max_iter=passes)
in_memory.fit(X_big.compute(), y_big.compute())
print("out-of-core: %d passes over %d blocks in %.1f s" % (passes, n_blocks, streamed_seconds))
print("out-of-core test accuracy: %.4f" % curve[-1])
print("in-memory test accuracy: %.4f" % in_memory.score(X_test, y_test))

# %%
# Predicting block by block
# -------------------------
# ``ParallelPostFit`` maps ``predict`` over the blocks of a Dask array; the
# labels equal those of an in-memory ``predict``.
predictor = ParallelPostFit(streamed.estimator_)
labels = predictor.predict(X_big).compute()
print(
    "parallel predict equals in-memory predict:",
    bool(np.array_equal(labels, streamed.estimator_.predict(X_big.compute()))),
)

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(range(1, passes + 1), curve, "o-", label="Incremental (out of core)")
ax.axhline(in_memory.score(X_test, y_test), color="k", ls="--", label="fit in memory")
ax.set_xlabel("pass over the blocks (epoch)")
ax.set_ylabel("test accuracy")
ax.legend()
fig.tight_layout()

client.close()
cluster.close()
