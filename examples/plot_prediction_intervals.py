"""
=====================================
Prediction intervals from one network
=====================================

``MLPRegressor(loss="quantile", quantile=[0.05, 0.5, 0.95])`` trains one
network whose outputs are the 5% quantile, the median and the 95% quantile of
the target given the input: a 90% prediction interval around a median. The
quantiles cannot cross, for any input: the network predicts the lowest one,
then positive steps (a softplus) up to each next. This example fits such a
model at its default settings on data whose noise grows along ``x``, draws
the band, and measures on held-out data how often the targets fall below
each predicted quantile.
"""

# %%
# Noise that grows along x
# ------------------------
# ``y = 2 sin(x / 2) + x / 2`` plus Gaussian noise whose standard deviation
# grows from 0.2 at ``x = 0`` to 1.7 at ``x = 10``: a constant-width interval
# would be too wide on the left and too narrow on the right. 8,000 training
# samples, 20,000 held-out ones. The true quantiles are known: the curve plus the noise's
# standard deviation times the standard normal quantile.

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPRegressor

QUANTILES = [0.05, 0.5, 0.95]


def curve(x):
    return 2 * np.sin(x / 2) + x / 2


def noise_scale(x):
    return 0.2 + 0.15 * x


def sample(n, rng):
    x = rng.uniform(0, 10, size=n)
    return x.reshape(-1, 1), curve(x) + noise_scale(x) * rng.normal(size=n)


rng = np.random.RandomState(0)
X_train, y_train = sample(8000, rng)
X_test, y_test = sample(20000, rng)

# %%
# One model, three quantiles
# --------------------------
# Default settings but the loss and its quantiles. With the pinball loss, a
# plateau of the training loss divides the learning rate by 5 before training
# stops (the loss's steps do not shrink near its optimum by themselves), so
# the quantiles settle without tuning ``tol`` or ``n_iter_no_change``.

model = make_pipeline(
    StandardScaler(), MLPRegressor(loss="quantile", quantile=QUANTILES, random_state=0)
)
model.fit(X_train, y_train)
network = model[-1]
print("epochs %d" % network.n_iter_)

# %%
# The band
# --------
# ``predict`` returns the three quantiles of each sample along its last axis.
# The shaded band is the predicted 90% interval, the dashed lines the true 5%
# and 95% quantiles.

grid = np.linspace(0, 10, 400).reshape(-1, 1)
band = model.predict(grid)
fig, ax = plt.subplots(figsize=(8, 5))
ax.scatter(X_train[:, 0], y_train, s=4, color="0.6", alpha=0.5, label="training samples")
ax.fill_between(grid[:, 0], band[:, 0], band[:, 2], color="C0", alpha=0.3, label="90% interval")
ax.plot(grid, band[:, 1], color="C0", linewidth=2, label="predicted median")
for q in (0.05, 0.95):
    true = curve(grid[:, 0]) + noise_scale(grid[:, 0]) * norm.ppf(q)
    ax.plot(grid, true, "k--", linewidth=1, label="true 5% and 95%" if q == 0.05 else None)
ax.set(xlabel="x", ylabel="y", title="MLPRegressor(loss='quantile', quantile=[0.05, 0.5, 0.95])")
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# Coverage on held-out data
# -------------------------
# The fraction of held-out targets at or below each predicted quantile, over
# all samples and in the quiet (``x < 5``) and noisy (``x >= 5``) halves, next
# to the quantile itself; then the interval's mean width in each half against
# the true one, and the number of held-out samples whose predicted quantiles
# are out of order.

predicted = model.predict(X_test)
below = y_test[:, None] <= predicted
quiet = X_test[:, 0] < 5
print()
print("%-8s %8s %14s %14s" % ("quantile", "coverage", "coverage_quiet", "coverage_noisy"))
for j, q in enumerate(QUANTILES):
    print(
        "%-8.2f %8.3f %14.3f %14.3f"
        % (q, below[:, j].mean(), below[quiet, j].mean(), below[~quiet, j].mean())
    )
width = predicted[:, 2] - predicted[:, 0]
true_width = noise_scale(X_test[:, 0]) * (norm.ppf(0.95) - norm.ppf(0.05))
print()
print("%-6s %10s %10s" % ("half", "width", "true_width"))
for name, rows in (("quiet", quiet), ("noisy", ~quiet)):
    print("%-6s %10.3f %10.3f" % (name, width[rows].mean(), true_width[rows].mean()))
print()
print("crossings %d" % np.sum(np.diff(predicted, axis=1) < 0))
print("mean_d2_pinball %.3f" % model.score(X_test, y_test))

# %%
# What the results show
# ---------------------
# Each quantile's held-out coverage is within 0.02 of the quantile over all
# samples, and within 0.025 in each half: the interval is calibrated where the
# noise is small and where it is large, not only on average. Its width follows the
# noise, within 5% of the true width in each half. No sample's quantiles
# cross (none can). ``score`` is the mean over the quantiles of
# :func:`~sklearn.metrics.d2_pinball_score`, the quantile counterpart of R2.
# Training ended on its own, before ``max_iter``: on this curve the default
# network needs about 150 epochs, of which the last ones run at the reduced
# learning rates.

plt.show()
