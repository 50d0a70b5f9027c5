"""
===========================================
Robust regression: Huber and absolute error
===========================================

The squared error lets a few grossly wrong targets pull the fit towards them:
a residual ten times larger weighs a hundred times more. ``MLPRegressor``'s
``loss='absolute_error'`` (the median's loss, linear in the residual) and
``loss='huber'`` (squared within ``huber_delta`` of the target, linear beyond)
bound the pull of any one sample. This example fits a noisy curve whose training
targets contain outliers with each of the three losses and scores the fits on
clean test data.
"""

# %%
# A curve with outliers
# ---------------------
# ``y = 2 sin(x) + x / 2`` plus Gaussian noise (standard deviation 0.3), for
# ``x`` uniform in [-3, 3]. In the 600 training samples, 15% of the targets
# are replaced by values 4 to 12 above the curve, like sensor glitches that
# always read high. The 400 test samples are clean.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error

from skmlp import MLPRegressor

rng = np.random.RandomState(0)


def curve(x):
    return 2 * np.sin(x) + x / 2


X_train = rng.uniform(-3, 3, size=(600, 1))
y_train = curve(X_train[:, 0]) + rng.normal(scale=0.3, size=600)
outliers = rng.rand(600) < 0.15
y_train[outliers] += rng.uniform(4, 12, size=outliers.sum())
X_test = rng.uniform(-3, 3, size=(400, 1))
y_test = curve(X_test[:, 0]) + rng.normal(scale=0.3, size=400)

# %%
# Three losses
# ------------
# The same network (two hidden layers of 32 units, Adam with a learning rate of
# 0.01, 100 epochs) with each loss. ``huber_delta=1`` makes residuals larger
# than 1, about three noise standard deviations, count linearly.

losses = {
    "squared_error": {"loss": "squared_error"},
    "absolute_error": {"loss": "absolute_error"},
    "huber": {"loss": "huber", "huber_delta": 1.0},
}
models = {}
for name, options in losses.items():
    reg = MLPRegressor(
        hidden_layer_sizes=(32, 32),
        learning_rate_init=0.01,
        max_iter=100,
        random_state=0,
        **options,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models[name] = reg.fit(X_train, y_train)

# %%
# The fits
# --------
# The training points (outliers in grey), the true curve (dashed) and the
# three fitted curves.

grid = np.linspace(-3, 3, 300).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(8, 5))
ax.scatter(X_train[~outliers], y_train[~outliers], s=6, color="C0", alpha=0.4, label="training")
ax.scatter(X_train[outliers], y_train[outliers], s=6, color="0.6", label="outliers")
ax.plot(grid, curve(grid[:, 0]), "k--", label="true curve")
for i, (name, reg) in enumerate(models.items()):
    ax.plot(grid, reg.predict(grid), color="C%d" % (i + 1), linewidth=2, label=name)
ax.set(xlabel="x", ylabel="y", title="15% of the training targets are outliers")
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# The mean absolute error on the clean test set, and the mean of the test
# residuals ``prediction - target`` (the bias the outliers cause). The last row
# is the true curve itself: its error is the noise of the test targets, the
# best any model can do.

print("%-15s %8s %9s" % ("loss", "test_mae", "test_bias"))
for name, reg in models.items():
    prediction = reg.predict(X_test)
    print(
        "%-15s %8.3f %9.3f"
        % (name, mean_absolute_error(y_test, prediction), np.mean(prediction - y_test))
    )
truth = curve(X_test[:, 0])
print(
    "%-15s %8.3f %9.3f"
    % ("true_curve", mean_absolute_error(y_test, truth), np.mean(truth - y_test))
)

# %%
# What the fits show
# ------------------
# The squared error fits the conditional mean of the training targets, and the
# outliers raise that mean by 15% of their average offset of 8, about 1.2: its
# curve runs on average about 1.1 above the truth, and its test MAE
# is more than four times the others'. The absolute error fits the conditional
# median, which the outliers barely move: its test MAE is within 0.05 of the
# true curve's and its bias is below 0.1. The Huber loss is nearly as robust:
# its test MAE is under 0.3, about a quarter of the squared error's. A little
# of the outliers' pull remains, since every sample contributes with
# a gradient up to ``huber_delta``, and its bias is a little larger than the
# absolute error's, still below 0.25. For residuals within ``huber_delta`` it
# is the squared error, which makes it the usual compromise when most of the
# noise is small and only some targets are far off.

plt.show()
