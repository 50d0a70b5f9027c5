"""
=====================================
Exporting a pipeline to ONNX
=====================================

A fitted model often has to run where Python and scikit-learn do not: in a
C++ or Java service, in a browser, on a phone. ONNX is the common file format
for that, and ONNX Runtime a fast engine that runs it. Importing
:mod:`skmlp.onnx` teaches skl2onnx to convert skmlp's estimators, so a whole
:class:`~sklearn.pipeline.Pipeline` (here a scaler and a classifier) becomes one
ONNX graph. This example exports one, runs it with ONNX Runtime and checks
that it predicts what skmlp predicts: the same labels, and probabilities that
agree to float32 rounding (float64 rounding for a float64 export).

It needs the ``onnx`` extra: ``pip install "skmlp[onnx]"``.
"""

# %%
# A pipeline to deploy
# --------------------
# The breast-cancer data set, scaled, and a network with two hidden layers of
# gelu units and batch normalisation. float32 is the usual type for
# deployment: the model is trained in float32 as well.

import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmlp.onnx  # noqa: F401  (registers skmlp's converters with skl2onnx)
from skmlp import MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)  # 30 epochs are enough here
X, y = load_breast_cancer(return_X_y=True)
X32 = X.astype(np.float32)
names = np.array(["malignant", "benign"])[y]


def make_model():
    classifier = MLPClassifier(
        hidden_layer_sizes=(32, 16),
        activation="gelu",
        batch_norm=True,
        max_iter=30,
        random_state=0,
    )
    return make_pipeline(StandardScaler(), classifier)


model = make_model().fit(X32, names)

# %%
# Conversion
# ----------
# ``to_onnx`` takes the fitted pipeline and an example input, whose type fixes
# the graph's: float32 here. ``zipmap=False`` returns the probabilities as one
# matrix instead of one dictionary per row. gelu is ONNX's ``Gelu`` operator,
# which needs opset 20 or later. The bytes written here are what a service
# loads.

options = {MLPClassifier: {"zipmap": False}}
onx = to_onnx(model, X32[:1], target_opset=21, options=options)
data = onx.SerializeToString()
print(f"ONNX graph: {len(onx.graph.node)} nodes, {len(data) / 1024:.0f} kB")


# %%
# Running it with ONNX Runtime
# ----------------------------
# A session loads the graph; its outputs are the labels and the
# probabilities, in the order of ``classes_``.


def run(data, X):
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


labels, proba = run(data, X32)
expected = model.predict_proba(X32)
same = int((labels == model.predict(X32)).sum())
diff32 = np.abs(proba - expected).max()
print(
    f"float32: labels equal on {same} of {len(X)} rows, largest probability difference {diff32:.2e}"
)

# %%
# float64
# -------
# A model trained on float64 data exports to a float64 graph when the example
# input is float64. ONNX Runtime has no float64 kernel for ``Gelu``, so the
# converter builds gelu from operators it does have, with an erfc accurate to
# double precision: the probabilities then agree to float64 rounding.

model64 = make_model().fit(X, names)
labels64, proba64 = run(to_onnx(model64, X[:1], options=options).SerializeToString(), X)
same64 = int((labels64 == model64.predict(X)).sum())
diff64 = np.abs(proba64 - model64.predict_proba(X)).max()
print(
    f"float64: labels equal on {same64} of {len(X)} rows, "
    f"largest probability difference {diff64:.2e}"
)

# %%
# The two side by side
# --------------------
# Left: ONNX Runtime's probability of "benign" against skmlp's, every sample
# on the diagonal. Right: how far apart they are, sample by sample, on a log
# scale; the dashed lines are the machine epsilons of the two types.

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
left.scatter(expected[:, 1], proba[:, 1], s=10, alpha=0.6)
left.plot([0, 1], [0, 1], color="grey", lw=0.8)
left.set(xlabel="skmlp predict_proba", ylabel="ONNX Runtime", title="P(benign), float32")
tiny = 1e-18  # equal values drawn at the bottom of the log scale
right.semilogy(np.abs(proba - expected)[:, 1] + tiny, ".", ms=4, label="float32")
right.semilogy(np.abs(proba64 - model64.predict_proba(X))[:, 1] + tiny, ".", ms=4, label="float64")
for eps in (np.finfo(np.float32).eps, np.finfo(np.float64).eps):
    right.axhline(eps, color="grey", ls="--", lw=0.8)
right.set(xlabel="sample", ylabel="|ONNX Runtime - skmlp|", title="Differences")
right.legend()
fig.tight_layout()
plt.show()
