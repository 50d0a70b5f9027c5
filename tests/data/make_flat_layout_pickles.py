"""Write ``flat_layout.pkl``: fitted models pickled while every module of
skmlp sat directly under ``skmlp/`` (before the subpackages), with the
predictions they made then.

    git worktree add /tmp/flat 53773b1
    PYTHONPATH=/tmp/flat python tests/data/make_flat_layout_pickles.py

A pickle names each class by the module that defined it; these name
``skmlp._tabular`` and ``skmlp.preprocessing``. ``tests/test_persistence.py``
checks that today's skmlp loads them and predicts the same.
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning

import skmlp


def frames():
    """A small mixed-type classification table and a numeric regression table."""
    X_iris, y_iris = load_iris(return_X_y=True, as_frame=True)
    X_iris["colour"] = pd.Categorical(np.array(["red", "green", "blue"])[np.arange(150) % 3])
    X_diab, y_diab = load_diabetes(return_X_y=True, as_frame=True)
    return (X_iris, y_iris.to_numpy()), (X_diab, y_diab.to_numpy())


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    (X_iris, y_iris), (X_diab, y_diab) = frames()
    models = {
        "tabular_classifier": skmlp.TabularMLPClassifier(
            hidden_layer_sizes=(8,), max_iter=5, random_state=0
        ).fit(X_iris, y_iris),
        "tabular_regressor": skmlp.TabularMLPRegressor(
            hidden_layer_sizes=(8,), max_iter=5, random_state=0
        ).fit(X_diab, y_diab),
        "classifier": skmlp.MLPClassifier((8,), max_iter=5, random_state=0).fit(
            X_iris.iloc[:, :4].to_numpy(), y_iris
        ),
    }
    inputs = {
        "tabular_classifier": X_iris,
        "tabular_regressor": X_diab,
        "classifier": X_iris.iloc[:, :4].to_numpy(),
    }
    expected = {}
    for name, model in models.items():
        method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
        expected[name] = (method, getattr(model, method)(inputs[name]), model.predict(inputs[name]))
    out = Path(__file__).with_name("flat_layout.pkl")
    content = {"models": models, "expected": expected, "version": skmlp.__version__}
    out.write_bytes(pickle.dumps(content))
    print("wrote", out)


if __name__ == "__main__":
    main()
