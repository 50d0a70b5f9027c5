"""Write ``skmlp_<version>.pkl``: fitted models pickled by a skmlp release,
with the predictions they made then.

    python tests/data/make_release_pickles.py

Run it once per release (the file name carries the version) and keep the
files: ``tests/test_persistence.py`` checks that the skmlp under test loads
every one of them and predicts the same.  The pickles record the version that
wrote them (``_skmlp_version``).
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmlp


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    X_iris, y_iris = load_iris(return_X_y=True)
    X_diab, y_diab = load_diabetes(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    models = {
        "classifier_gelu_batch_norm": skmlp.MLPClassifier(
            hidden_layer_sizes=(16, 8),
            activation="gelu",
            batch_norm=True,
            dropout=0.1,
            max_iter=20,
            random_state=0,
        ).fit(X_iris, names[y_iris]),
        "classifier_float32_multilabel": skmlp.MLPClassifier(
            hidden_layer_sizes=(8,), activation="mish", max_iter=20, random_state=0
        ).fit(
            X_iris.astype(np.float32),
            np.column_stack([y_iris == 0, y_iris == 2, X_iris[:, 0] > 5.8]).astype(int),
        ),
        "pipeline_poisson": make_pipeline(
            StandardScaler(),
            skmlp.MLPRegressor(
                hidden_layer_sizes=(12,), loss="poisson", solver="lbfgs", max_iter=30,
                random_state=0,
            ),
        ).fit(X_diab, y_diab),
    }  # fmt: skip
    inputs = {
        "classifier_gelu_batch_norm": X_iris,
        "classifier_float32_multilabel": X_iris.astype(np.float32),
        "pipeline_poisson": X_diab,
    }
    expected = {}
    for name, model in models.items():
        method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
        expected[name] = (method, getattr(model, method)(inputs[name]), model.predict(inputs[name]))
    out = Path(__file__).with_name(f"skmlp_{skmlp.__version__}.pkl")
    content = {"models": models, "expected": expected, "version": skmlp.__version__}
    out.write_bytes(pickle.dumps(content))
    print("wrote", out)


if __name__ == "__main__":
    main()
