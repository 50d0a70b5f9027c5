"""
============================================
A drop-in replacement for scikit-learn's MLP
============================================

:class:`skmlp.MLPClassifier` takes the same parameters as
:class:`sklearn.neural_network.MLPClassifier` and, with the same
``random_state``, follows the same training trajectory up to floating-point
rounding: changing the import changes the fit time, not the model. This example
fits both on the digits data set with the three solvers scikit-learn offers,
compares the final training loss and the test accuracy, and plots the fit
times.
"""

# %%
# The data
# --------
# The 8x8 digits, standardised, three quarters for training.

import warnings
from time import perf_counter

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# The same estimator twice
# ------------------------
# One hidden layer of 64 units, a fixed ``random_state``, and few iterations
# so that the example runs quickly (both estimators then warn that they have not
# converged; the warning is silenced here). Each fit is timed twice and the
# faster time is kept.
#
# The first fit of a skmlp model in a new process loads its compiled kernels
# from the on-disk cache (or, the very first time after installation, compiles
# what this configuration uses, a few seconds on a 2-core machine). That one-time
# cost is paid here by a small warm-up fit, before the timing starts, and is not
# in the figure.

params = {"hidden_layer_sizes": (64,), "random_state": 0}
solvers = {
    "sgd": {"solver": "sgd", "learning_rate_init": 0.01, "max_iter": 20},
    "adam": {"solver": "adam", "max_iter": 20},
    "lbfgs": {"solver": "lbfgs", "max_iter": 40},
}

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for solver in ("sgd", "lbfgs"):
        MLPClassifier(solver=solver, max_iter=2).fit(X_train[:50], y_train[:50])


def timed_fit(estimator, repeats=2):
    """Fit ``estimator`` ``repeats`` times; return it and the fastest time."""
    times = []
    for _ in range(repeats):
        start = perf_counter()
        estimator.fit(X_train, y_train)
        times.append(perf_counter() - start)
    return estimator, min(times)


results = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, options in solvers.items():
        theirs, their_time = timed_fit(SklearnMLPClassifier(**params, **options))
        ours, our_time = timed_fit(MLPClassifier(**params, **options))
        results[name] = {
            "sklearn_loss": theirs.loss_,
            "skmlp_loss": ours.loss_,
            "sklearn_acc": theirs.score(X_test, y_test),
            "skmlp_acc": ours.score(X_test, y_test),
            "sklearn_s": their_time,
            "skmlp_s": our_time,
            "same_pred": np.mean(theirs.predict(X_test) == ours.predict(X_test)),
        }

# %%
# Fit times
# ---------
# The bars are the wall-clock time of one ``fit`` on the machine that built
# this page. They depend on the machine (its CPU, its BLAS library, how many
# cores it has and what else runs on it) and on the data shape: take them as an
# illustration of the order of magnitude, and time your own workload. skmlp
# runs each epoch as one compiled call, where scikit-learn loops over the
# minibatches in Python; ``benchmarks/`` in the repository measures the
# difference properly.

fig, ax = plt.subplots(figsize=(6, 3.5))
x = np.arange(len(results))
ax.bar(x - 0.2, [r["sklearn_s"] for r in results.values()], 0.4, label="scikit-learn")
ax.bar(x + 0.2, [r["skmlp_s"] for r in results.values()], 0.4, label="skmlp")
ax.set_xticks(x, list(results))
ax.set(xlabel="solver", ylabel="fit time (s)", title="One fit on digits (machine-dependent)")
ax.legend()
fig.tight_layout()

# %%
# Same models
# -----------
# The final training loss of both estimators agrees to many digits, the test
# accuracy is the same and so is every prediction (``same_pred`` is the fraction
# of test digits that both predict alike).

print(
    "%-7s %14s %14s %11s %11s %9s %9s %9s"
    % (
        "solver",
        "sklearn_loss",
        "skmlp_loss",
        "sklearn_acc",
        "skmlp_acc",
        "same_pred",
        "sklearn_s",
        "skmlp_s",
    )
)
for name, r in results.items():
    print(
        "%-7s %14.10f %14.10f %11.4f %11.4f %9.4f %9.3f %9.3f"
        % (
            name,
            r["sklearn_loss"],
            r["skmlp_loss"],
            r["sklearn_acc"],
            r["skmlp_acc"],
            r["same_pred"],
            r["sklearn_s"],
            r["skmlp_s"],
        )
    )

plt.show()
