"""
==========================================
Early stopping and the restored best epoch
==========================================

With ``early_stopping=True`` the estimator sets ``validation_fraction`` of the
training data aside, scores it after every epoch, stops when the score has not
improved by ``tol`` for ``n_iter_no_change`` epochs and ends on the weights of
the epoch with the best validation score. This example follows the training
loss, the validation loss (``validation_loss_curve_``) and the validation score
(``validation_scores_``) with :class:`skmlp.LossCurveDisplay`, checks which
weights the estimator keeps, and compares with training for a fixed number of
epochs.
"""

# %%
# A problem that overfits
# -----------------------
# The digits data set with one training label in five replaced by a wrong
# digit, as in the dropout example: a wide network memorises the wrong labels
# if trained for long, and gets worse on clean data as it does. The test labels
# are clean.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import LossCurveDisplay, MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=800, stratify=y, random_state=0
)
rng = np.random.RandomState(0)
noisy = rng.choice(len(y_train), size=len(y_train) // 5, replace=False)
y_train = y_train.copy()
y_train[noisy] = (y_train[noisy] + rng.randint(1, 10, size=len(noisy))) % 10
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Early stopping
# --------------
# One hidden layer of 256 units, a tiny L2 penalty, minibatches of 32, at most
# 100 epochs; a fifth of the training set is held out for validation (the split
# depends on ``random_state``; ``stratify_multiclass=True`` keeps each digit's
# share in it, where scikit-learn's split of a multiclass target is not
# stratified), and training stops after 10 epochs without improvement.

params = {
    "hidden_layer_sizes": (256,),
    "alpha": 1e-5,
    "batch_size": 32,
    "max_iter": 100,
    "random_state": 0,
    "stratify_multiclass": True,
}
early = MLPClassifier(
    early_stopping=True, validation_fraction=0.2, n_iter_no_change=10, **params
).fit(X_train, y_train)
best_epoch = int(np.argmax(early.validation_scores_)) + 1

display = LossCurveDisplay.from_estimator(early, name="early stopping")
display.ax_.set_title("Training stopped after %d epochs" % early.n_iter_)
display.figure_.set_size_inches(8, 4.5)
display.figure_.tight_layout()

# %%
# The training loss keeps falling as the network learns the noisy training
# labels; the validation loss reaches its minimum early and then rises, and the
# validation accuracy (dashed, right axis) stops improving. The dotted line
# marks the epoch with the highest validation accuracy. The validation labels
# are as noisy as the training labels, so the validation accuracy stays well
# below the accuracy on the clean test set.
#
# Which weights are kept?
# -----------------------
# The estimator ends on the weights of that best epoch, not of the last one.
# To check it, the same network is trained again with the same
# ``random_state`` (hence the same initial weights, split and minibatches) for
# exactly ``best_epoch`` epochs, without stopping early
# (``n_iter_no_change=np.inf``). Its last epoch is the best epoch of the first
# run, and its weights must be the ones the first run restored.

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    stopped_at_best = MLPClassifier(
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=np.inf,
        **{**params, "max_iter": best_epoch},
    ).fit(X_train, y_train)
same_weights = all(
    np.array_equal(a, b)
    for a, b in zip(
        early.coefs_ + early.intercepts_, stopped_at_best.coefs_ + stopped_at_best.intercepts_
    )
)

# %%
# Without early stopping
# ----------------------
# For comparison, the same network trained on the whole training set (no
# validation split) for the full 100 epochs, and for as many epochs as the
# early-stopped run trained before its best epoch.

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    full = MLPClassifier(n_iter_no_change=np.inf, **params).fit(X_train, y_train)
    short = MLPClassifier(n_iter_no_change=np.inf, **{**params, "max_iter": best_epoch}).fit(
        X_train, y_train
    )

fig, ax = plt.subplots(figsize=(8, 4.5))
LossCurveDisplay.from_estimator(full, ax=ax, name="100 epochs", mark_best=False)
ax.plot(np.arange(1, early.n_iter_ + 1), early.loss_curve_, color="C3", label="early stopping")
ax.axvline(best_epoch, color="0.4", linestyle=":", label="best epoch")
ax.set(yscale="log", title="Training loss")
ax.legend()
fig.tight_layout()

# %%
# The summary: for the early-stopped run, the number of epochs trained, the best
# epoch, the best validation score, the validation score at the last epoch of
# the rerun that stopped at the best epoch and whether both runs ended on the
# same weights, then where the validation loss was lowest and the training
# loss at the start and the end; last, the clean test accuracy of each model.

print("epochs_trained %d" % early.n_iter_)
print("best_epoch %d" % best_epoch)
print("best_validation_score %.6f" % early.best_validation_score_)
print("rerun_last_validation_score %.6f" % stopped_at_best.validation_scores_[-1])
print("rerun_same_weights %d" % same_weights)
print("min_validation_loss_epoch %d" % (np.argmin(early.validation_loss_curve_) + 1))
print("min_validation_loss %.4f" % np.min(early.validation_loss_curve_))
print("last_validation_loss %.4f" % early.validation_loss_curve_[-1])
print("first_training_loss %.4f" % early.loss_curve_[0])
print("last_training_loss %.4f" % early.loss_curve_[-1])
print()
print("%-16s %6s %8s" % ("model", "epochs", "test_acc"))
for name, model in (
    ("early_stopping", early),
    ("stopped_at_best", stopped_at_best),
    ("full_100", full),
    ("fixed_best", short),
):
    print("%-16s %6d %8.4f" % (name, model.n_iter_, model.score(X_test, y_test)))

# %%
# What the numbers show
# ---------------------
# The validation accuracy was highest at epoch 8 and did not improve for the
# next 11 epochs, so training stopped after 19 of the 100 allowed epochs. The
# validation loss was lowest one epoch before the best accuracy and had risen
# by about 8% when training stopped, while the training loss kept falling.
#
# ``best_validation_score_`` is the validation accuracy of epoch 8, and the
# estimator ended on the weights of that epoch: the rerun stopped there has
# exactly the same weights, the same last validation score and the same test
# accuracy.
#
# The network trained for the full 100 epochs without early stopping learns the
# wrong labels and ends more than seven points lower on the clean test set.
# Early stopping trains on only four fifths of the training set; once it has
# found the number of epochs, training on the whole set for that many epochs
# ("fixed_best") gives about the same test accuracy (within a point).

plt.show()
