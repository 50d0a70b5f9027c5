"""The network's shape: ``hidden_layer_sizes='auto'`` and per-layer activations."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_diabetes, load_digits, load_iris

from skmlp import MLPClassifier, MLPRegressor
from skmlp._architecture import auto_width

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_REG, Y_REG = load_diabetes(return_X_y=True)
X_REG = (X_REG - X_REG.mean(axis=0)) / X_REG.std(axis=0)
Y_REG = (Y_REG - Y_REG.mean()) / Y_REG.std()

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def small(estimator_class, **params):
    return estimator_class(**{"max_iter": 5, "random_state": 0, **params})


# ----------------------------------------------------------------------
# hidden_layer_sizes='auto'


@pytest.mark.parametrize(
    "n_features, n_outputs, width",
    [(4, 3, 4), (4, 1, 2), (6, 1, 4), (1, 1, 1), (64, 10, 37), (0, 1, 1), (10, 1, 6)],
)
def test_auto_width_is_the_rounded_mean_of_input_and_output_widths(n_features, n_outputs, width):
    assert auto_width(n_features, n_outputs) == width


@pytest.mark.parametrize(
    "estimator_class, X, y, n_outputs",
    [
        (MLPClassifier, X_IRIS, Y_IRIS, 3),  # multiclass: one output per class
        (MLPClassifier, X_IRIS, Y_IRIS == 1, 1),  # binary: one output
        (MLPRegressor, X_REG, Y_REG, 1),
        (MLPRegressor, X_REG, np.column_stack([Y_REG, -Y_REG, Y_REG]), 3),
    ],
)
def test_auto_hidden_layer_sizes_is_one_layer_decided_at_fit(estimator_class, X, y, n_outputs):
    est = small(estimator_class, hidden_layer_sizes="auto").fit(X, y)
    width = max(1, round((X.shape[1] + n_outputs) / 2))
    assert est.n_outputs_ == n_outputs
    assert est.hidden_layer_sizes_ == (width,)
    assert [c.shape for c in est.coefs_] == [(X.shape[1], width), (width, n_outputs)]
    assert est.hidden_layer_sizes == "auto"  # the parameter is not changed
    # The same network as asking for that width explicitly.
    explicit = small(estimator_class, hidden_layer_sizes=(width,)).fit(X, y)
    assert_array_equal(est._params, explicit._params)


def test_default_hidden_layer_sizes_stays_100():
    assert MLPClassifier().hidden_layer_sizes == (100,)
    assert MLPRegressor().hidden_layer_sizes == (100,)


@pytest.mark.parametrize("sizes, fitted", [((7, 3), (7, 3)), (5, (5,)), ([4], (4,)), ((), ())])
def test_hidden_layer_sizes_attribute_is_the_fitted_widths_as_a_tuple(sizes, fitted):
    est = small(MLPClassifier, hidden_layer_sizes=sizes).fit(X_IRIS, Y_IRIS)
    assert est.hidden_layer_sizes_ == fitted
    assert type(est.hidden_layer_sizes_) is tuple
    assert all(type(w) is int for w in est.hidden_layer_sizes_)


def test_auto_width_follows_the_data_of_each_fresh_fit():
    est = small(MLPClassifier, hidden_layer_sizes="auto")
    assert est.fit(X_IRIS, Y_IRIS).hidden_layer_sizes_ == (4,)  # (4 + 3) / 2 = 3.5
    X, y = load_digits(return_X_y=True)
    assert est.fit(X / 16, y).hidden_layer_sizes_ == (37,)  # (64 + 10) / 2


def test_auto_continues_with_warm_start_and_partial_fit():
    est = small(MLPClassifier, hidden_layer_sizes="auto", warm_start=True).fit(X_IRIS, Y_IRIS)
    before = est._params.copy()
    est.fit(X_IRIS, Y_IRIS)
    assert est.hidden_layer_sizes_ == (4,)
    assert not np.array_equal(est._params, before)  # continued, not restarted
    reg = small(MLPRegressor, hidden_layer_sizes="auto")
    for _ in range(3):
        reg.partial_fit(X_REG, Y_REG)
    assert reg.hidden_layer_sizes_ == (6,) and len(reg.loss_curve_) == 3
    # A fixed width of the same size continues the auto network, another refuses.
    est.set_params(hidden_layer_sizes=(4,)).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="does not match the fitted one"):
        est.set_params(hidden_layer_sizes=(5,)).fit(X_IRIS, Y_IRIS)


def test_auto_with_per_layer_dropout_and_batch_norm():
    est = small(MLPClassifier, hidden_layer_sizes="auto", dropout=[0.2], batch_norm=True)
    est.fit(X_IRIS, Y_IRIS)
    assert est.hidden_layer_sizes_ == (4,) and len(est.batch_norm_scales_) == 1


@pytest.mark.parametrize("sizes", ["big", "AUTO", ("auto",)])
def test_other_strings_for_hidden_layer_sizes_raise(sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        small(MLPClassifier, hidden_layer_sizes=sizes).fit(X_IRIS, Y_IRIS)


def test_hidden_layer_sizes_attribute_survives_pickling():
    est = small(MLPRegressor, hidden_layer_sizes="auto").fit(X_REG, Y_REG)
    assert pickle.loads(pickle.dumps(est)).hidden_layer_sizes_ == (6,)
