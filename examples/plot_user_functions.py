"""
==========================================
Your own activation and your own loss
==========================================

skmlp accepts a hidden activation, and a regression loss, written by you as a
small Numba function: the activation takes ``z`` and returns ``(f(z), f'(z))``,
the loss takes ``(y_true, y_pred)`` and returns ``(loss, d loss / d y_pred)``.
They are compiled into the training loop on their first fit (and cached on
disk, like skmlp's own kernels), and each fit checks their derivative against a
finite difference of their value.

This example writes a swish with a slope parameter and an asymmetric loss
that penalises under-prediction three times as much as over-prediction, and
checks each against a computation by hand.
"""

# %%
# A parametrised swish
# --------------------
# ``swish_beta(z) = z * sigmoid(beta * z)``, with ``beta = 1.5``. The function
# is defined at module level (a fitted model refers to it by name, as pickle
# refers to functions) and decorated with ``numba.njit``.

import math
import warnings

import matplotlib.pyplot as plt
import numba
import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skmlp import MLPClassifier, MLPRegressor

# The fits are kept short for the gallery; they stop at max_iter.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

BETA = 1.5


@numba.njit
def swish_beta(z):
    s = 1.0 / (1.0 + math.exp(-BETA * z))
    return z * s, s + BETA * z * s * (1.0 - s)


X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0, stratify=y)
clf = MLPClassifier(activation=swish_beta, hidden_layer_sizes=(64,), max_iter=60, random_state=0)
clf.fit(X_train, y_train)
relu = MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=0).fit(X_train, y_train)

# The hidden layer, computed by hand from the fitted weights, is what the
# model's ``transform`` returns.
z = X_test @ clf.coefs_[0] + clf.intercepts_[0]
by_hand = z / (1.0 + np.exp(-BETA * z))
activation_error = np.max(np.abs(clf.transform(X_test) - by_hand))
print(f"swish_beta hidden layer vs by hand: max abs difference {activation_error:.1e}")
scores = clf.score(X_test, y_test), relu.score(X_test, y_test)
print(f"test accuracy: swish_beta {scores[0]:.3f}, relu {scores[1]:.3f}")

# %%
# An asymmetric loss
# ------------------
# Predicting too low costs three times as much as predicting too high: half
# the squared residual, weighted by 3 below the target. A model trained on it
# predicts above the conditional mean, by as much as the noise makes it pay.

UNDER = 3.0


@numba.njit
def asymmetric(y_true, y_pred):
    r = y_pred - y_true
    w = UNDER if r < 0.0 else 1.0
    return 0.5 * w * r * r, w * r


X, y = load_diabetes(return_X_y=True)
X = (X - X.mean(axis=0)) / X.std(axis=0)
y = (y - y.mean()) / y.std()
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
params = dict(hidden_layer_sizes=(16,), max_iter=300, learning_rate_init=0.003, random_state=0)
models = {
    "squared_error": MLPRegressor(**params).fit(X_train, y_train),
    "asymmetric": MLPRegressor(loss=asymmetric, **params).fit(X_train, y_train),
}


def asymmetric_by_hand(y_true, y_pred):
    r = y_pred - y_true
    return np.mean(0.5 * np.where(r < 0, UNDER, 1.0) * r * r)


print(f"{'loss':<14} {'under-predicted':>15} {'asymmetric cost':>15}")
under = {}
for name, model in models.items():
    prediction = model.predict(X_test)
    under[name] = np.mean(prediction < y_test)
    print(f"{name:<14} {under[name]:>15.3f} {asymmetric_by_hand(y_test, prediction):>15.4f}")

# The loss the model reports for its training set is the mean cost by hand
# (plus the L2 penalty, zero here), measured on the final weights.
refit = MLPRegressor(loss=asymmetric, alpha=0.0, solver="lbfgs", max_iter=200, random_state=0)
refit.fit(X_train, y_train)
loss_error = abs(refit.loss_ - asymmetric_by_hand(y_train, refit.predict(X_train)))
print(f"lbfgs loss_ vs by hand: abs difference {loss_error:.1e}")

# %%
# The activation, and where each model's test residuals fall
# ----------------------------------------------------------

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
grid = np.linspace(-4, 4, 401)
values = np.array([swish_beta(v) for v in grid])
left.plot(grid, values[:, 0], label="swish_beta(z)")
left.plot(grid, values[:, 1], label="its derivative")
left.plot(grid, np.gradient(values[:, 0], grid), "k:", label="finite difference")
left.axhline(0, color="grey", lw=0.5)
left.set_xlabel("z")
left.set_title("A user-defined activation")
left.legend()
bins = np.linspace(-3, 3, 31)
for name, model in models.items():
    right.hist(model.predict(X_test) - y_test, bins=bins, alpha=0.5, label=name)
right.axvline(0, color="k", lw=0.8)
right.set_xlabel("prediction - target (test, standardised)")
right.set_title("Under-prediction costs 3x: the residuals move up")
right.legend()
fig.tight_layout()
plt.show()
