"""
===================================================
Decision boundaries of growing networks on 2-D data
===================================================

A network with one hidden layer of ``n`` units draws its decision boundary with
``n`` bends (ReLU units are piecewise linear). This example fits
:class:`skmlp.MLPClassifier` with a growing hidden layer on two toy data sets
of scikit-learn -- two interleaving half moons and two concentric circles --
and draws the predicted probability over the plane.
"""

# %%
# Data and networks
# -----------------
# 300 noisy points per data set, two thirds for training. The networks are
# trained with L-BFGS, which converges quickly on so few samples, from the same
# ``random_state``.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifier

datasets = {
    "moons": make_moons(n_samples=300, noise=0.25, random_state=0),
    "circles": make_circles(n_samples=300, noise=0.1, factor=0.5, random_state=0),
}
hidden_sizes = [(1,), (2,), (4,), (32,)]

# %%
# Decision boundaries
# -------------------
# One row per data set, one column per hidden layer size. The background is the
# predicted probability of the second class; training points are circles, test
# points crosses. The number in the corner is the test accuracy.

fig, axes = plt.subplots(len(datasets), len(hidden_sizes), figsize=(12, 6))
scores = {}
for row, (data_name, (X, y)) in zip(axes, datasets.items()):
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=1 / 3, stratify=y, random_state=0
    )
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 150), np.linspace(lo[1], hi[1], 150))
    grid = np.c_[xx.ravel(), yy.ravel()]
    for ax, sizes in zip(row, hidden_sizes):
        clf = MLPClassifier(
            hidden_layer_sizes=sizes, solver="lbfgs", max_iter=500, alpha=1e-3, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        proba = clf.predict_proba(grid)[:, 1].reshape(xx.shape)
        ax.contourf(xx, yy, proba, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.8)
        ax.scatter(*X_train.T, c=y_train, cmap="RdBu", edgecolors="k", s=15)
        ax.scatter(*X_test.T, c=y_test, cmap="RdBu", marker="x", s=20)
        name = "%s_%d" % (data_name, sizes[0])
        scores[name] = (clf.score(X_train, y_train), clf.score(X_test, y_test))
        ax.text(hi[0] - 0.2, lo[1] + 0.2, "%.2f" % scores[name][1], ha="right", size=12)
        ax.set(xticks=(), yticks=(), title="%s, %d hidden units" % (data_name, sizes[0]))
fig.tight_layout()

# %%
# Training and test accuracy of every network:

print("%-12s %9s %9s" % ("network", "train_acc", "test_acc"))
for name, (train, test) in scores.items():
    print("%-12s %9.3f %9.3f" % (name, train, test))

# %%
# What the figure shows
# ---------------------
# One hidden unit draws a single straight boundary: a rough split of the moons
# (below 85% test accuracy), and of no use for the circles, which no straight
# line separates. Two units bend the boundary once, which is still not enough
# to enclose the inner circle: both small networks stay below 75% on the
# circles. With four units the boundary follows the moons and closes around the
# inner circle (at least 95% test accuracy on both). 32 units fit the training
# points at least as well, with a boundary that ``alpha`` keeps smooth, but do
# not do better on the test points than the four units that already got the
# shape right: their test accuracies are within a point or two of each other.

plt.show()
