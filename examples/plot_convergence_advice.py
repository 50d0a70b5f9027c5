"""
========================================
Convergence warnings that say what to do
========================================

When a fit stops at ``max_iter`` before converging, skmlp issues
scikit-learn's :class:`~sklearn.exceptions.ConvergenceWarning`, with its text,
and appends advice when the fit shows one of the usual reasons: features far
from unit scale, a regression target far from unit scale, or a learning rate
so large that the training loss oscillates. This example triggers each of the
three, follows the advice, and compares.
"""

# %%
# Collecting the warnings
# -----------------------
# ``fit_and_advise`` fits an estimator and returns what its
# ``ConvergenceWarning`` appended to scikit-learn's first sentence (empty when
# there was no warning or no advice).

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifier, MLPRegressor

FIRST = "reached and the optimization hasn't converged yet."


def fit_and_advise(estimator, X, y):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    for w in record:
        if issubclass(w.category, ConvergenceWarning):
            return str(w.message).split(FIRST, 1)[-1].strip()
    return ""


results = []

# %%
# Features far from unit scale
# ----------------------------
# The breast cancer features range from hundredths (smoothness) to thousands
# (area). Trained on them as they are, the network stops at ``max_iter`` and
# the warning points at the features; in a pipeline after a ``StandardScaler``
# it trains to a higher test accuracy, and the warning (if any) has nothing to
# add about scale.

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
raw = MLPClassifier(max_iter=60, random_state=0)
advice = fit_and_advise(raw, X_train, y_train)
print("raw features:", advice)
scaled = make_pipeline(StandardScaler(), MLPClassifier(max_iter=60, random_state=0))
followed = fit_and_advise(scaled, X_train, y_train)
results.append(
    ("features", advice, followed, raw.score(X_test, y_test), scaled.score(X_test, y_test))
)
curves = {"raw features": raw.loss_curve_, "StandardScaler": scaled[-1].loss_curve_}

# %%
# A regression target far from unit scale
# ---------------------------------------
# The diabetes target is a disease progression score in the hundreds. The
# features are standardised, but the network must still reach outputs in the
# hundreds from its small initial weights; the warning suggests
# ``TransformedTargetRegressor``, which trains on the standardised target and
# maps predictions back.

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
raw = MLPRegressor(max_iter=100, random_state=0)
advice = fit_and_advise(raw, X_train, y_train)
print("raw target:", advice)
wrapped = TransformedTargetRegressor(
    regressor=MLPRegressor(max_iter=100, random_state=0), transformer=StandardScaler()
)
followed = fit_and_advise(wrapped, X_train, y_train)
results.append(
    ("target", advice, followed, raw.score(X_test, y_test), wrapped.score(X_test, y_test))
)

# %%
# A learning rate that makes the loss oscillate
# ---------------------------------------------
# Plain SGD with ``learning_rate_init=0.1`` on the standardised diabetes
# target: the training loss jumps up and down instead of settling, and the
# warning suggests a rate ten times smaller. (``n_iter_no_change`` is raised so
# that both fits run all their epochs.)

y_mean, y_std = y_train.mean(), y_train.std()
z_train, z_test = (y_train - y_mean) / y_std, (y_test - y_mean) / y_std
params = dict(solver="sgd", max_iter=60, n_iter_no_change=100, random_state=0)
large = MLPRegressor(learning_rate_init=0.1, **params)
advice = fit_and_advise(large, X_train, z_train)
print("learning rate 0.1:", advice)
smaller = MLPRegressor(learning_rate_init=0.01, **params)
followed = fit_and_advise(smaller, X_train, z_train)
results.append(
    ("learning_rate", advice, followed, large.score(X_test, z_test), smaller.score(X_test, z_test))
)

# %%
# The training losses
# -------------------
# Left, the breast cancer network on raw and standardised features; right,
# SGD on the diabetes target with the two learning rates.

fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for name, curve in curves.items():
    axes[0].plot(np.arange(1, len(curve) + 1), curve, label=name)
axes[0].set(xlabel="epoch", ylabel="training loss", yscale="log", title="breast cancer")
axes[0].legend()
for name, model in (("learning_rate_init=0.1", large), ("learning_rate_init=0.01", smaller)):
    axes[1].plot(np.arange(1, model.n_iter_ + 1), model.loss_curve_, label=name)
axes[1].set(xlabel="epoch", ylabel="training loss", title="diabetes, SGD")
axes[1].legend()
fig.tight_layout()

# %%
# Summary
# -------
# For each case: whether the first fit's warning gave advice, whether the fit
# that follows it still did, and the test score (accuracy or R^2) of both.

print()
print("case advised_first advised_after score_first score_after")
for case, first, after, score_first, score_after in results:
    print(f"{case} {bool(first)} {bool(after)} {score_first:.3f} {score_after:.3f}")
