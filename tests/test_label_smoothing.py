"""``MLPClassifier(label_smoothing=eps)``: training on soft targets.

The gradient of the smoothed loss is checked against finite differences in
tests/test_gradients.py (``test_label_smoothing_gradient_matches_finite_differences``).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.preprocessing import StandardScaler

import skmlp._training.stochastic
from skmlp import MLPClassifier
from skmlp._engine.workspaces import Batch

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
X_CANCER, Y_CANCER = load_breast_cancer(return_X_y=True)
X_CANCER = StandardScaler().fit_transform(X_CANCER)
Y_MULTILABEL = np.column_stack([Y_IRIS == 0, Y_IRIS == 1, X_IRIS[:, 0] > 0]).astype(int)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def fitted(y, eps, X=X_IRIS, **params):
    params = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0, **params}
    return MLPClassifier(label_smoothing=eps, **params).fit(X, y)


def smoothed_reference(est, y, eps):
    """The soft targets, written from the definitions (not from skmlp's code)."""
    if est.out_activation_ == "softmax":
        n_classes = len(est.classes_)
        onehot = (np.asarray(y)[:, None] == est.classes_[None, :]).astype(float)
        return onehot * (1 - eps) + eps / n_classes
    indicator = np.asarray(y, dtype=float).reshape(len(y), -1)
    return indicator * (1 - eps) + 0.5 * eps


@pytest.mark.parametrize(
    "y, softmax", [(Y_IRIS, True), (Y_IRIS == 2, False), (Y_MULTILABEL, False)]
)
def test_targets_are_smoothed_as_pytorch_and_keras_do(y, softmax):
    eps = 0.2
    est = fitted(y, eps)
    assert (est.out_activation_ == "softmax") == softmax
    encoded = est._label_binarizer.transform(y).astype(float)
    Y = est._training_targets(encoded)
    assert_allclose(Y, smoothed_reference(est, y, eps), rtol=1e-15)
    if softmax:  # true class 1 - eps + eps / 3, the others eps / 3, rows sum to 1
        assert_allclose(np.sort(Y[0]), [eps / 3, eps / 3, 1 - eps + eps / 3])
        assert_allclose(Y.sum(axis=1), 1.0)
    else:  # 0 -> eps / 2, 1 -> 1 - eps / 2
        assert set(np.unique(Y).tolist()) == {eps / 2, 1 - eps / 2}


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("y", [Y_IRIS, Y_IRIS == 2, Y_MULTILABEL])
def test_zero_label_smoothing_is_bitwise_the_default_training(solver, y):
    default = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0, solver=solver)
    smooth0 = clone(default).set_params(label_smoothing=0.0)
    default.fit(X_IRIS, y)
    smooth0.fit(X_IRIS, y)
    assert_array_equal(default._params, smooth0._params)
    assert default.loss_ == smooth0.loss_


@pytest.mark.parametrize("y", [Y_IRIS, Y_IRIS == 2, Y_MULTILABEL])
def test_reported_loss_is_the_smoothed_loss(y):
    eps = 0.3
    est = fitted(y, eps, solver="lbfgs", max_iter=30, alpha=0.0)
    # The cross-entropy of the soft targets at the fitted parameters, from
    # the predicted probabilities.
    P = est.predict_proba(X_IRIS)
    if est.out_activation_ == "softmax":
        Q = P
    elif P.shape[1] == 2 and np.ndim(y) == 1:
        Q = P[:, 1:]
    else:
        Q = P
    T = smoothed_reference(est, y, eps)
    if est.out_activation_ == "softmax":
        expected = -np.sum(T * np.log(Q)) / len(T)
    else:
        expected = -np.sum(T * np.log(Q) + (1 - T) * np.log1p(-Q)) / len(T)
    assert_allclose(est.loss_, expected, rtol=1e-9)
    # ...which is not the loss of the true labels.
    Y = est._label_binarizer.transform(y).astype(float)
    batch = Batch(est, X_IRIS, Y, np.ones(len(Y)))
    true_loss = batch.loss_grad(est._params.copy(), np.empty_like(est._params), 0.0, 0.0)
    assert abs(true_loss - est.loss_) > 1e-3


def _entropy(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(p * np.log(p))


def test_smoothed_loss_stays_above_the_entropy_of_the_soft_targets():
    # Separable data: without smoothing the loss goes towards 0; with it, the
    # cross-entropy cannot go below the entropy of the soft target rows.
    eps = 0.2
    params = dict(hidden_layer_sizes=(32,), max_iter=300, alpha=0.0, learning_rate_init=0.01)
    sharp = fitted(Y_IRIS, 0.0, **params)
    smooth = fitted(Y_IRIS, eps, **params)
    floor = _entropy([1 - eps + eps / 3, eps / 3, eps / 3])
    assert sharp.loss_ < 0.5 * floor
    assert smooth.loss_ >= floor
    assert smooth.loss_ < floor + 0.1  # and it is still well fitted
    # The probabilities are no longer pushed to 0 and 1: the optimum of the
    # smoothed loss predicts the soft target, and a typical sample's
    # confidence is close to it.
    sharp_confidence = np.median(sharp.predict_proba(X_IRIS).max(axis=1))
    smooth_confidence = np.median(smooth.predict_proba(X_IRIS).max(axis=1))
    assert sharp_confidence > 0.97
    assert abs(smooth_confidence - (1 - eps + eps / 3)) < 0.03
    assert smooth.score(X_IRIS, Y_IRIS) > 0.95


def test_binary_smoothing_bounds_the_probabilities():
    eps = 0.2
    est = fitted(Y_CANCER, eps, X=X_CANCER, solver="lbfgs", max_iter=200, alpha=0.0)
    sharp = fitted(Y_CANCER, 0.0, X=X_CANCER, solver="lbfgs", max_iter=200, alpha=0.0)
    # The smoothed loss is minimised at eps / 2 and 1 - eps / 2.
    confidence = np.median(est.predict_proba(X_CANCER).max(axis=1))
    assert abs(confidence - (1 - eps / 2)) < 0.02
    assert np.median(sharp.predict_proba(X_CANCER).max(axis=1)) > 0.999
    assert est.score(X_CANCER, Y_CANCER) > 0.95


def test_early_stopping_validates_on_the_true_labels(monkeypatch):
    seen = {"train": [], "validation": []}
    allocate = skmlp._training.stochastic.StochasticTrainer._allocate
    loss_and_delta = skmlp._training.stochastic.loss_and_delta

    def spy_allocate(trainer, *args):
        allocate(trainer, *args)
        seen["train"].append(trainer.Y.copy())  # the targets every epoch trains on

    def spy_loss(code, P, Y, *rest):
        seen["validation"].append(Y.copy())
        return loss_and_delta(code, P, Y, *rest)

    monkeypatch.setattr(skmlp._training.stochastic.StochasticTrainer, "_allocate", spy_allocate)
    monkeypatch.setattr(skmlp._training.stochastic, "loss_and_delta", spy_loss)
    eps = 0.1
    est = fitted(Y_IRIS, eps, early_stopping=True, validation_fraction=0.2, max_iter=3)
    assert len(seen["train"]) == 1 and len(seen["validation"]) == est.n_iter_ > 0
    assert_allclose(np.unique(seen["train"][0]), [eps / 3, 1 - eps + eps / 3])
    assert_array_equal(np.unique(seen["validation"][0]), [0.0, 1.0])
    # The scores are accuracies of the true labels: multiples of 1 / 30.
    assert_allclose(np.array(est.validation_scores_) * 30 % 1, 0.0, atol=1e-9)


def test_label_smoothing_continues_with_partial_fit_and_class_weight():
    est = MLPClassifier(hidden_layer_sizes=(8,), label_smoothing=0.1, class_weight={0: 2.0})
    for _ in range(3):
        est.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    assert len(est.loss_curve_) == 3 and np.isfinite(est.loss_)


@pytest.mark.parametrize("eps", [1.0, -0.1, 1.5, "0.1"])
def test_label_smoothing_outside_0_1_raises(eps):
    with pytest.raises(ValueError, match="label_smoothing"):
        fitted(Y_IRIS, eps)
