"""Write ``layout_v1.pkl``: fitted models pickled by skmlp 0.1.0 before the
package was split into modules (commit f31eee0, whose fitted state held a
``skmlp._layout.Layout`` object), with the predictions they made then.

    git worktree add /tmp/v1 f31eee0
    PYTHONPATH=/tmp/v1 python tests/data/make_layout_v1_pickles.py

``tests/test_persistence.py`` checks that today's skmlp loads them and
predicts the same.
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning

import skmlp


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    X_iris, y_iris = load_iris(return_X_y=True)
    X_diab, y_diab = load_diabetes(return_X_y=True)
    Y_diab = np.column_stack([y_diab, y_diab**0.5]) / 100

    models = {
        "classifier_batch_norm_dropout": skmlp.MLPClassifier(
            hidden_layer_sizes=(16, 8), batch_norm=True, dropout=0.1, max_iter=20, random_state=0
        ).fit(X_iris, np.array(["setosa", "versicolor", "virginica"])[y_iris]),
        "classifier_float32_sgd": skmlp.MLPClassifier(
            hidden_layer_sizes=(8,), solver="sgd", max_iter=20, random_state=0
        ).fit(X_iris.astype(np.float32), y_iris == 1),
        "regressor_lbfgs_two_outputs": skmlp.MLPRegressor(
            hidden_layer_sizes=(12,), activation="tanh", solver="lbfgs", max_iter=30, random_state=0
        ).fit(X_diab, Y_diab),
    }
    inputs = {
        "classifier_batch_norm_dropout": X_iris,
        "classifier_float32_sgd": X_iris.astype(np.float32),
        "regressor_lbfgs_two_outputs": X_diab,
    }
    expected = {}
    for name, model in models.items():
        method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
        expected[name] = (method, getattr(model, method)(inputs[name]), model.predict(inputs[name]))
    out = Path(__file__).with_name("layout_v1.pkl")
    content = {"models": models, "expected": expected, "version": skmlp.__version__}
    out.write_bytes(pickle.dumps(content))
    print("wrote", out)


if __name__ == "__main__":
    main()
