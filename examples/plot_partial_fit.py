"""
=======================================
Learning from a stream with partial_fit
=======================================

When the data do not fit in memory, or arrive over time, ``partial_fit``
trains on one chunk at a time: each call runs one epoch over the chunk it is
given and continues the optimizer where the previous call left it. This example
streams a classification data set in chunks, scales each chunk with a
:class:`~sklearn.preprocessing.StandardScaler` that is itself updated with
``partial_fit``, and follows the training loss and the held-out accuracy chunk
by chunk.
"""

# %%
# A stream of chunks
# ------------------
# 12,000 samples of a three-class problem with 20 features; the first 2,000
# are held out, the other 10,000 arrive as 40 chunks of 250. In a real stream
# the chunks would be read from files or a queue; here ``chunks`` slices an
# array.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skmlp import LossCurveDisplay, MLPClassifier

X, y = make_classification(
    n_samples=12_000,
    n_features=20,
    n_informative=10,
    n_classes=3,
    n_clusters_per_class=2,
    random_state=0,
)
X_test, y_test = X[:2000], y[:2000]
X_stream, y_stream = X[2000:], y[2000:]
chunk_size = 250
classes = np.unique(y)


def chunks():
    for start in range(0, len(X_stream), chunk_size):
        yield X_stream[start : start + chunk_size], y_stream[start : start + chunk_size]


# %%
# Training chunk by chunk
# -----------------------
# The first call to ``partial_fit`` must name every class, since the first
# chunk may not hold them all. The estimator gets a ``RandomState`` instance
# rather than an integer: with an integer, every ``partial_fit`` call would
# re-seed (as in scikit-learn) and shuffle every chunk the same way. After each
# chunk, the model is scored on the held-out set.
#
# If the stream can be replayed (the chunks are files on disk, say), more
# passes over it help, as more epochs do for ``fit``: the stream is read five
# times. The scaler's statistics are only updated during the first pass.

n_passes = 5
scaler = StandardScaler()
clf = MLPClassifier(hidden_layer_sizes=(64,), batch_size=50, random_state=np.random.RandomState(0))
accuracy = []
for n_pass in range(n_passes):
    for X_chunk, y_chunk in chunks():
        if n_pass == 0:
            scaler.partial_fit(X_chunk)
        clf.partial_fit(scaler.transform(X_chunk), y_chunk, classes=classes)
        accuracy.append(clf.score(scaler.transform(X_test), y_test))
accuracy = np.array(accuracy)
n_chunks = len(accuracy) // n_passes

# %%
# For comparison, the same network fitted in memory on the whole 10,000
# samples at once, for one epoch (the same number of gradient steps as one
# pass over the stream), for five epochs (as many as the five passes) and for
# 20 epochs.

X_all = StandardScaler().fit(X_stream)
in_memory = {}
for n_epochs in (1, 5, 20):
    full = MLPClassifier(hidden_layer_sizes=(64,), batch_size=50, max_iter=n_epochs, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full.fit(X_all.transform(X_stream), y_stream)
    in_memory[n_epochs] = full.score(X_all.transform(X_test), y_test)

# %%
# The learning curve
# ------------------
# Left: ``loss_curve_`` has one entry per ``partial_fit`` call, the mean
# training loss over that chunk, drawn by :class:`skmlp.LossCurveDisplay` (its
# "epochs" are chunks here). Right: the held-out accuracy after each chunk, with the
# in-memory fits as horizontal lines; the dotted vertical lines separate the
# passes.

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.2))
LossCurveDisplay.from_estimator(clf, ax=ax_loss, name="stream", mark_best=False)
ax_loss.set_xlabel("chunk")
samples_seen = chunk_size * np.arange(1, len(accuracy) + 1)
ax_acc.plot(samples_seen, accuracy, marker=".", label="partial_fit, chunk by chunk")
for i, n_epochs in enumerate(in_memory):
    ax_acc.axhline(
        in_memory[n_epochs],
        color="C%d" % (i + 1),
        linestyle="--",
        label="fit, %d epoch%s" % (n_epochs, "s" * (n_epochs > 1)),
    )
for n_pass in range(1, n_passes):
    ax_acc.axvline(n_pass * len(X_stream), color="0.6", linestyle=":")
ax_acc.set(xlabel="training samples seen", ylabel="held-out accuracy")
ax_acc.legend(loc="lower right")
fig.tight_layout()

print("%-14s %8s" % ("model", "accuracy"))
for n in (1, 4, 10, 20, 40):
    print("%-14s %8.4f" % ("chunks_%d" % n, accuracy[n - 1]))
for n_pass in range(2, n_passes + 1):
    print("%-14s %8.4f" % ("passes_%d" % n_pass, accuracy[n_pass * n_chunks - 1]))
for n_epochs, score in in_memory.items():
    print("%-14s %8.4f" % ("fit_%d_epochs" % n_epochs, score))
print("%-14s %8d" % ("loss_entries", len(clf.loss_curve_)))
print("%-14s %8.4f" % ("first_loss", clf.loss_curve_[0]))
print("%-14s %8.4f" % ("last_loss", clf.loss_curve_[-1]))

# %%
# What the curves show
# --------------------
# The first chunk leaves the model barely above chance (below 0.4 accuracy for
# three classes); every chunk then adds a little, and one pass over the stream
# reaches about 0.8, as much as one epoch of ``fit`` over the same samples in
# memory (within 0.02): the chunks are minibatches of one long epoch.
# Each further pass improves the model, more slowly, and after five passes it
# is within 0.02 of five epochs of ``fit``. The in-memory network trained for
# 20 epochs is better still: the stream has not been read often enough for
# this network to converge. ``loss_curve_`` has one entry per ``partial_fit``
# call (200), and the training loss per chunk ends at less than a third of its
# first value.

plt.show()
