"""
==================================================
Class weights on an imbalanced classification task
==================================================

When one class is rare, a classifier that minimises the average log-loss can
do well by mostly predicting the common class. ``class_weight='balanced'``
weights every sample by the inverse frequency of its class, so that both
classes count equally in the loss. This example compares
:class:`skmlp.MLPClassifier` with and without it on a problem with 5% positive
samples, with confusion matrices and precision-recall curves.
"""

# %%
# An imbalanced problem
# ---------------------
# 3000 samples with 10 features, of which 4 are informative, and overlapping
# classes: 95% negative, 5% positive. Half of the samples are held out, in the
# same proportions.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    average_precision_score,
    balanced_accuracy_score,
    precision_score,
    recall_score,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifier

X, y = make_classification(
    n_samples=3000,
    n_features=10,
    n_informative=4,
    weights=[0.95],
    class_sep=0.8,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
print("positive fraction: train %.3f, test %.3f" % (y_train.mean(), y_test.mean()))
balanced_weights = len(y_train) / (2 * np.bincount(y_train))
print("balanced weights: negative %.2f, positive %.2f" % tuple(balanced_weights))

# %%
# Two classifiers
# ---------------
# The same network (one hidden layer of 32 units, Adam, 100 epochs) with
# ``class_weight=None`` and with ``class_weight='balanced'``. 'balanced' gives
# each sample the weight ``n_samples / (n_classes * n_samples_of_its_class)``:
# about 0.53 for a negative and 9 for a positive here.

models = {}
for name in ("none", "balanced"):
    clf = MLPClassifier(
        hidden_layer_sizes=(32,),
        max_iter=100,
        class_weight=None if name == "none" else "balanced",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models[name] = clf.fit(X_train, y_train)

# %%
# Confusion matrices and precision-recall curves
# ----------------------------------------------
# Left and middle: the test confusion matrices (rows are the true classes).
# Right: the precision-recall curves of the positive class, which do not depend
# on a threshold, with the operating point of each ``predict`` (threshold 0.5)
# as a dot.

fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
for ax, (name, clf) in zip(axes[:2], models.items()):
    ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, ax=ax, colorbar=False)
    ax.set_title("class_weight=%s" % ("None" if name == "none" else "'balanced'"))
for i, (name, clf) in enumerate(models.items()):
    curve = PrecisionRecallDisplay.from_estimator(
        clf, X_test, y_test, ax=axes[2], name="class_weight=%s" % name
    )
    curve.line_.set_color("C%d" % i)
    y_pred = clf.predict(X_test)
    axes[2].plot(
        recall_score(y_test, y_pred), precision_score(y_test, y_pred), "o", color="C%d" % i
    )
axes[2].set_title("positive class")
fig.tight_layout()

# %%
# The positive class's precision and recall at the 0.5 threshold, the balanced
# accuracy (the mean of the two classes' recalls) and the average precision
# (the area under the precision-recall curve):

print("%-9s %9s %7s %12s %10s" % ("weights", "precision", "recall", "balanced_acc", "avg_prec"))
for name, clf in models.items():
    y_pred = clf.predict(X_test)
    print(
        "%-9s %9.3f %7.3f %12.3f %10.3f"
        % (
            name,
            precision_score(y_test, y_pred),
            recall_score(y_test, y_pred),
            balanced_accuracy_score(y_test, y_pred),
            average_precision_score(y_test, clf.predict_proba(X_test)[:, 1]),
        )
    )

# %%
# What the figures show
# ---------------------
# Without class weights the network rarely predicts the rare class: it finds
# fewer than one positive in ten (recall below 0.1), and its balanced accuracy
# is barely above the 0.5 of a constant prediction. With
# ``class_weight='balanced'`` it finds about four positives in five (recall
# about 0.8) at the price of many false alarms: its precision drops from about
# 0.6 to below 0.3. The balanced accuracy rises by almost 0.3.
#
# The two precision-recall curves are close (their average precisions differ
# by less than 0.05): the networks rank the test samples about equally well,
# and the class weights mostly move where the 0.5 threshold of ``predict``
# falls on the curve. Weighting the classes is one way to choose that point;
# another is to keep the unweighted model and pick the threshold on the curve,
# for example with :class:`sklearn.model_selection.TunedThresholdClassifierCV`.

plt.show()
