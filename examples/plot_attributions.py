"""
==============================================================
Per-sample attributions: integrated gradients and permutations
==============================================================

:func:`~sklearn.inspection.permutation_importance` says how much a model relies
on each feature overall, by refitting nothing and scoring the model on a
shuffled column, many times. :func:`skmlp.inspection.integrated_gradients`
says, for each sample, how much each feature moved this sample's prediction
away from a baseline: its attributions add up to the difference of the two
predictions. Both are computed here for a network on scikit-learn's diabetes
data, in a pipeline with a :class:`~sklearn.preprocessing.StandardScaler`, so
the attributions are in the units of the original features.
"""

# %%
# The model
# ---------
# A tanh network (a smooth one: its integrated gradients are exact to the
# quadrature's precision), in a pipeline with its scaler.

import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import spearmanr
from sklearn.datasets import load_diabetes
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPRegressor
from skmlp.inspection import input_gradients, integrated_gradients

data = load_diabetes()
names = np.array(data.feature_names)
X_train, X_test, y_train, y_test = train_test_split(data.data, data.target / 100.0, random_state=0)
model = make_pipeline(
    StandardScaler(),
    MLPRegressor(
        hidden_layer_sizes=(32,), activation="tanh", alpha=1.0, max_iter=2000,
        early_stopping=True, random_state=0,
    ),
)  # fmt: skip
model.fit(X_train, y_train)
print(f"test R2: {model.score(X_test, y_test):.3f}")

# %%
# Integrated gradients against the average patient
# ------------------------------------------------
# The baseline is the training mean (the scaler's ``mean_``): each test
# patient's attributions split the difference between the prediction for
# that patient and the prediction for the average one.

start = time.perf_counter()
result = integrated_gradients(model, X_test, baseline=model[0].mean_)
ig_seconds = time.perf_counter() - start
print(f"integrated gradients of {len(X_test)} samples: {ig_seconds:.2f} s")
print(f"completeness: largest relative error {result.error.max():.1e}")
importance_ig = np.abs(result.attributions).mean(axis=0)

start = time.perf_counter()
permutation = permutation_importance(model, X_test, y_test, n_repeats=30, random_state=0)
perm_seconds = time.perf_counter() - start
print(f"permutation importance, 30 repeats: {perm_seconds:.2f} s")
importance_perm = permutation.importances_mean

rho = spearmanr(importance_ig, importance_perm).statistic
print(f"rank correlation of the two importances: {rho:.2f}")
order = np.argsort(importance_ig)[::-1]
print(f"{'feature':<8} {'mean |IG|':>10} {'permutation':>12}")
for i in order:
    print(f"{names[i]:<8} {importance_ig[i]:>10.4f} {importance_perm[i]:>12.4f}")

# %%
# Gradients in the original units
# -------------------------------
# :func:`~skmlp.inspection.input_gradients` gives ``d prediction / d feature``
# in the original units of each feature: the scaler's part of the chain rule
# is applied. A central difference on the pipeline agrees.

x = X_test[:1]
gradient = input_gradients(model, x)[0]
h = 1e-6
steps = np.eye(x.shape[1]) * h
difference = (model.predict(x + steps) - model.predict(x - steps)) / (2 * h)
gap = np.abs(gradient - difference).max()
print(f"gradient vs central difference: max abs difference {gap:.1e}")

# %%
# The figure
# ----------
# Left: the two global importances, which rank the features alike. Right:
# one patient's attributions, which add up to that patient's prediction minus
# the average patient's.

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
positions = np.arange(len(names))
left.barh(positions + 0.2, importance_ig[order] / importance_ig.max(), 0.4, label="mean |IG|")
left.barh(positions - 0.2, importance_perm[order] / importance_perm.max(), 0.4, label="permutation")
left.set_yticks(positions, names[order])
left.invert_yaxis()
left.set_xlabel("importance (relative to the largest)")
left.set_title("Global importance")
left.legend()
patient = 0
share = result.attributions[patient]
right.barh(positions, share[order], color=np.where(share[order] > 0, "tab:red", "tab:blue"))
right.set_yticks(positions, names[order])
right.invert_yaxis()
right.axvline(0, color="k", lw=0.8)
right.set_xlabel("attribution (target units / 100)")
right.set_title(
    f"Patient {patient}: attributions sum to {share.sum():+.3f}\n"
    f"(prediction minus the average patient's: {result.difference[patient]:+.3f})"
)
fig.tight_layout()
plt.show()
