"""``dropout`` and ``batch_norm``: kernels, gradients and estimator behaviour.

- Batch norm's kernels against NumPy formulas (weighted batch statistics,
  running statistics, inference), and the training loss of a network with
  batch norm and dropout against an independent NumPy forward pass.
- Analytic gradients against central finite differences (float64, relative
  error <= 1e-6) with batch norm, dropout and both, for smooth activations and
  non-uniform sample weights: the dropout masks are a function of (seed,
  epoch, sample, layer, unit), so the loss is a deterministic function of the
  parameters and can be differentiated numerically.
- Dropout's masks: their rate and scale, and that they depend on a sample's
  content, not on its position.
- Estimator behaviour: defaults unchanged, deterministic prediction, fitted
  attributes, conflicts with lbfgs, validation, persistence, early stopping,
  partial_fit, float32, sparse input, and a GridSearchCV over
  dropout x batch_norm x solver.
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from skmlp import MLPClassifier, MLPRegressor
from skmlp._engine.batch_norm import EPSILON, MOMENTUM, normalize_infer, normalize_train
from skmlp._engine.dropout import apply_dropout, bits, row_keys, thresholds
from skmlp._engine.workspaces import Batch, EngineInput

STEP = 1e-6
RTOL = 1e-6
FLOOR_FRACTION = 1e-2

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = StandardScaler().fit_transform(X_DIGITS)
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB = StandardScaler().fit_transform(X_DIAB)
Y_DIAB = (Y_DIAB - Y_DIAB.mean()) / Y_DIAB.std()


def quiet_fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


# ----------------------------------------------------------------------------
# Batch-norm kernels


def test_normalize_train_uses_weighted_batch_statistics():
    rng = np.random.default_rng(0)
    Z = rng.normal(2.0, 3.0, size=(40, 5))
    sw = rng.uniform(0.5, 2.0, size=40)
    sw[::4] = 0.0
    scale = rng.uniform(0.5, 1.5, size=5)
    running_mean, running_var = rng.normal(size=5), rng.uniform(1, 2, size=5)
    old_mean, old_var = running_mean.copy(), running_var.copy()
    mean, inv_std, out = np.empty(5), np.empty(5), np.empty_like(Z)
    Z_in = Z.copy()
    normalize_train(
        Z_in, sw, scale, mean, inv_std, running_mean, running_var, MOMENTUM, EPSILON, out
    )
    w = sw / sw.sum()
    expected_mean = w @ Z
    expected_var = w @ (Z - expected_mean) ** 2
    assert_allclose(mean, expected_mean, rtol=1e-12)
    assert_allclose(inv_std, 1 / np.sqrt(expected_var + EPSILON), rtol=1e-12)
    N = (Z - expected_mean) / np.sqrt(expected_var + EPSILON)
    assert_allclose(Z_in, N, rtol=1e-10, atol=1e-12)
    assert_allclose(out, scale * N, rtol=1e-10, atol=1e-12)
    assert_allclose(running_mean, (1 - MOMENTUM) * old_mean + MOMENTUM * expected_mean)
    assert_allclose(running_var, (1 - MOMENTUM) * old_var + MOMENTUM * expected_var)
    # Zero-weight rows do not move the statistics.
    Z_out = Z.copy()
    Z_out[::4] = 1e6
    normalize_train(Z_out, sw, scale, mean, inv_std, old_mean.copy(), old_var.copy(),
                    MOMENTUM, EPSILON, out)  # fmt: skip
    assert_allclose(mean, expected_mean, rtol=1e-12)


def test_normalize_infer_is_the_affine_map_of_the_running_statistics():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(7, 3))
    scale, mean, var = rng.uniform(0.5, 2, 3), rng.normal(size=3), rng.uniform(0.1, 3, 3)
    expected = scale * (Z - mean) / np.sqrt(var + EPSILON)
    normalize_infer(Z, scale, mean, var, EPSILON)
    assert_allclose(Z, expected, rtol=1e-12)


def test_normalizing_a_single_sample_batch_is_finite():
    Z = np.array([[3.0, -1.0]])
    out = np.empty_like(Z)
    mean, inv_std = np.empty(2), np.empty(2)
    normalize_train(Z, np.ones(1), np.ones(2), mean, inv_std, np.zeros(2), np.ones(2),
                    MOMENTUM, EPSILON, out)  # fmt: skip
    assert_array_equal(out, [[0.0, 0.0]])  # variance 0: every sample is the mean


# ----------------------------------------------------------------------------
# Dropout masks


def _keys(X, Y=None):
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.zeros((X.shape[0], 1)) if Y is None else np.ascontiguousarray(Y, dtype=np.float64)
    return row_keys(EngineInput(X, np.float64), Y)


def _reference_keys(X, Y):
    """The row keys, one Python integer operation at a time (the documented hash chain)."""
    mask = 2**64 - 1

    def mix(z):
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    keys = []
    for x, y in zip(X, Y):
        h = 0x243F6A8885A308D3
        values = [(j, v) for j, v in enumerate(x) if v != 0] + [
            (X.shape[1] + j, v) for j, v in enumerate(y)
        ]
        for position, value in values:
            h = mix(h ^ ((position * 0x9E3779B97F4A7C15 + int(bits(np.array([value]))[0])) & mask))
        keys.append(h)
    return np.array(keys, dtype=np.uint64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
def test_row_keys_follow_the_hash_chain_of_each_row(dtype, sparse, monkeypatch):
    import skmlp._engine.dropout as dropout_module

    monkeypatch.setattr(dropout_module, "_BLOCK", 7)  # several blocks, the last one short
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 6)).astype(dtype)
    X[rng.random(X.shape) < 0.4] = 0.0
    X[0] = 0.0  # a row with no stored feature
    Y = rng.normal(size=(30, 2)).astype(dtype)
    keys = row_keys(EngineInput(sp.csr_matrix(X) if sparse else X, dtype), Y)
    assert keys.dtype == np.uint64
    assert_array_equal(keys, _reference_keys(X, Y))


def _mask(keys, rate, n_units, seed=7, epoch=0, layer=0, rows=None):
    rows = np.arange(len(keys)) if rows is None else np.asarray(rows)
    A = np.ones((len(rows), n_units))
    M = np.empty_like(A)
    rng = np.array([seed, epoch], dtype=np.uint64)
    apply_dropout(A, M, thresholds([rate])[0], 1 / (1 - rate), rng, keys, rows, layer)
    assert_array_equal(A, M)  # A was ones
    return M


def test_dropout_drops_the_rate_and_scales_the_kept_units():
    X = np.random.default_rng(0).normal(size=(2000, 3))
    M = _mask(_keys(X), 0.3, 100)
    assert set(np.unique(M)) == {0.0, 1 / 0.7}
    # 200,000 Bernoulli(0.3) draws: the standard deviation of the fraction is 0.001.
    assert abs((M == 0).mean() - 0.3) < 0.005
    assert abs(M.mean() - 1.0) < 0.01  # inverted dropout keeps the expected value
    # No unit or sample is special: every column and row is dropped at the rate.
    assert np.all(np.abs((M == 0).mean(axis=0) - 0.3) < 0.07)


def test_dropout_masks_change_with_epoch_layer_and_seed():
    keys = _keys(np.random.default_rng(1).normal(size=(50, 4)))
    base = _mask(keys, 0.5, 40)
    assert_array_equal(base, _mask(keys, 0.5, 40))
    for other in (dict(epoch=1), dict(layer=1), dict(seed=8)):
        # Independent masks agree on about half of the entries.
        agreement = (base == _mask(keys, 0.5, 40, **other)).mean()
        assert 0.4 < agreement < 0.6, other


def test_dropout_mask_depends_on_the_sample_not_its_position():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 4))
    X[:, 1] = 0.0
    keys = _keys(X)
    assert len(set(keys.tolist())) == 6
    # Rows repeated and reordered get the masks of their originals.
    rows = [3, 0, 3, 5, 5, 5]
    assert_array_equal(_mask(keys, 0.5, 30, rows=rows), _mask(keys, 0.5, 30)[rows])
    # The key is the content: CSR (with an explicit zero), -0.0 and dense agree.
    X_csr = sp.csr_matrix(X)
    X_csr.data[0] = 0.0  # explicit zero, stored
    X_dense = X_csr.toarray()
    X_dense[X_dense == 0] = -0.0
    sparse_keys = row_keys(EngineInput(X_csr, np.float64), np.zeros((6, 1)))
    assert_array_equal(sparse_keys, _keys(X_dense))
    assert_array_equal(sparse_keys[1:], keys[1:])
    # Same features, other target: another key.
    assert not np.any(_keys(X, np.ones((6, 1))) == keys)


# ----------------------------------------------------------------------------
# Training loss and gradients through the compiled engine


def make_network(estimator_class, activation, dropout, batch_norm, hidden=(5, 4), seed=0):
    """A fitted estimator and the data whose training loss is differentiated."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(24, 3))
    sw = rng.uniform(0.2, 3.0, size=24)
    sw[::5] = 0.0  # zero weights drop out of the loss and the statistics
    if estimator_class is MLPClassifier:
        y = np.array(["a", "b", "c"])[rng.randint(0, 3, size=24)]
    else:
        y = X @ rng.normal(size=3) + 0.1 * rng.normal(size=24)
    est = estimator_class(
        hidden_layer_sizes=hidden, activation=activation, solver="sgd", max_iter=2,
        dropout=dropout, batch_norm=batch_norm, alpha=0.1, random_state=seed,
    )  # fmt: skip
    quiet_fit(est, X, y, sample_weight=sw)
    if estimator_class is MLPClassifier:
        Y = LabelBinarizer().fit(y).transform(y).astype(np.float64)
    else:
        Y = y.reshape(-1, 1)
    return est, X, np.ascontiguousarray(Y), sw


class TrainingLoss:
    """The training-mode loss of ``est``'s network on fixed data, masks and weights."""

    def __init__(self, est, X, Y, sw, dropout_rates):
        self.batch = Batch(est, X, Y, sw, dropout_rates=dropout_rates)
        if any(dropout_rates):
            self.batch.drop[4][:] = 12345, 3  # any seed and epoch: fixed masks
        self.layout, self.n = est._layout, self.batch.n

    def __call__(self, params):
        grads = np.full(self.layout.n_params, np.nan)
        value = self.batch.loss_grad(np.array(params, dtype=np.float64), grads, 0.1, 0.0)
        return value, grads

    def masks(self):
        """The dropout mask of each hidden layer in the last evaluation."""
        offsets = self.layout.act_offsets(self.n)
        units = self.layout.units
        masks = self.batch.drop[2]
        return [
            masks[offsets[k] : offsets[k] + self.n * units[k]].reshape(self.n, units[k])
            if len(masks)
            else np.ones((self.n, units[k]))
            for k in range(1, len(units) - 1)
        ]


ACTIVATIONS = {
    "identity": lambda z: z,
    "tanh": np.tanh,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
    "softplus": lambda z: np.logaddexp(0, z),
    "mish": lambda z: z * np.tanh(np.logaddexp(0, z)),
}


def reference_loss(est, params, X, Y, sw, masks):
    """The training loss from NumPy: weighted batch statistics, the given masks."""
    layout = est._layout
    coefs, intercepts = layout.views(params)
    scales = layout.scale_views(params)
    f = ACTIVATIONS[est.activation]
    w = sw / sw.sum()
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = A @ W
        if i == len(coefs) - 1:
            Z = Z + b
            break
        if scales:
            mean = w @ Z
            var = w @ (Z - mean) ** 2
            Z = scales[i] * (Z - mean) / np.sqrt(var + EPSILON)
        A = f(Z + b) * masks[i]
    if isinstance(est, MLPClassifier):
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        data = -(sw * (Y * np.log(P)).sum(axis=1)).sum()
    else:
        data = 0.5 * (sw * ((Z - Y) ** 2).sum(axis=1)).sum()
    penalty = 0.5 * 0.1 * sum((W**2).sum() for W in coefs)
    return (data + penalty) / sw.sum()


CONFIGS = {
    "batch_norm": (0.0, True),
    "dropout": ((0.3, 0.5), False),
    "both": ((0.3, 0.5), True),
}


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_training_loss_equals_numpy_forward(estimator_class, activation, config):
    dropout, batch_norm = CONFIGS[config]
    est, X, Y, sw = make_network(estimator_class, activation, dropout, batch_norm)
    f = TrainingLoss(est, X, Y, sw, est._dropout_rates(2))
    value, _ = f(est._params)
    masks = f.masks()
    if dropout:
        assert all((M == 0).any() for M in masks)
    assert_allclose(value, reference_loss(est, est._params, X, Y, sw, masks), rtol=1e-10)


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("activation", [*ACTIVATIONS, "gelu", "silu"])
@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_gradient_matches_central_finite_differences(estimator_class, activation, config):
    dropout, batch_norm = CONFIGS[config]
    est, X, Y, sw = make_network(estimator_class, activation, dropout, batch_norm)
    f = TrainingLoss(est, X, Y, sw, est._dropout_rates(2))
    params = est._params.copy()
    _, grad = f(params)
    numeric = np.empty_like(params)
    for k in range(params.size):
        up, down = params.copy(), params.copy()
        up[k] += STEP
        down[k] -= STEP
        numeric[k] = (f(up)[0] - f(down)[0]) / (2 * STEP)
    floor = FLOOR_FRACTION * np.abs(numeric).max()
    assert np.linalg.norm(grad - numeric) <= RTOL * np.linalg.norm(numeric)
    assert_allclose(grad, numeric, rtol=RTOL, atol=RTOL * floor)
    if batch_norm:
        # The scales have a gradient of their own (not zero, not NaN).
        scales = grad[est._layout.n_params - est._layout.n_normalized :]
        assert np.all(np.isfinite(scales)) and np.any(scales != 0)


# ----------------------------------------------------------------------------
# Estimators


@pytest.mark.parametrize("dropout", [0.0, [0.0, 0.0]])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_inactive_options_are_bitwise_the_default_model(solver, dropout):
    params = dict(hidden_layer_sizes=(8, 6), solver=solver, max_iter=5, random_state=0)
    default = quiet_fit(MLPClassifier(**params), X_IRIS, Y_IRIS)
    est = quiet_fit(MLPClassifier(**params, dropout=dropout, batch_norm=False), X_IRIS, Y_IRIS)
    assert_array_equal(est._params, default._params)
    assert est.loss_curve_ == default.loss_curve_
    assert not hasattr(est, "batch_norm_scales_")
    assert not hasattr(est, "batch_norm_means_")


@pytest.mark.parametrize("option", [dict(dropout=0.3), dict(batch_norm=True)])
def test_each_option_changes_training(option):
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    default = quiet_fit(MLPClassifier(**params), X_IRIS, Y_IRIS)
    est = quiet_fit(MLPClassifier(**params, **option), X_IRIS, Y_IRIS)
    assert not np.allclose(est.coefs_[0], default.coefs_[0])


def test_fit_is_bitwise_reproducible_with_a_fixed_random_state():
    params = dict(hidden_layer_sizes=(16,), max_iter=3, dropout=0.4, batch_norm=True)
    a = quiet_fit(MLPClassifier(**params, random_state=0), X_IRIS, Y_IRIS)
    b = quiet_fit(MLPClassifier(**params, random_state=0), X_IRIS, Y_IRIS)
    assert_array_equal(a._params, b._params)
    assert_array_equal(a._running, b._running)
    assert a.loss_curve_ == b.loss_curve_


def test_prediction_is_deterministic_and_row_independent():
    est = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(128, 64), dropout=0.3, batch_norm=True,
                      max_iter=20, random_state=0),
        X_DIGITS, Y_DIGITS,
    )  # fmt: skip
    proba = est.predict_proba(X_DIGITS)
    assert_array_equal(proba, est.predict_proba(X_DIGITS))
    # Running statistics, not the batch's: rows predict the same alone or together.
    assert_allclose(est.predict_proba(X_DIGITS[:1]), proba[:1], rtol=1e-12)
    assert_allclose(est.predict_proba(X_DIGITS[7:20]), proba[7:20], rtol=1e-12)
    assert est.score(X_DIGITS, Y_DIGITS) > 0.9


def test_prediction_is_the_numpy_inference_formula_on_the_fitted_attributes():
    est = quiet_fit(
        MLPRegressor(hidden_layer_sizes=(12, 7), activation="tanh", batch_norm=True,
                     dropout=0.2, max_iter=30, random_state=0),
        X_DIAB, Y_DIAB,
    )  # fmt: skip
    A = X_DIAB
    for i in range(2):
        Z = A @ est.coefs_[i]
        Z = (Z - est.batch_norm_means_[i]) / np.sqrt(est.batch_norm_vars_[i] + EPSILON)
        A = np.tanh(est.batch_norm_scales_[i] * Z + est.intercepts_[i])
    expected = (A @ est.coefs_[2] + est.intercepts_[2]).ravel()
    assert_allclose(est.predict(X_DIAB), expected, rtol=1e-10, atol=1e-12)


def test_batch_norm_attributes_are_views_of_the_fitted_state():
    est = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(6, 5), batch_norm=True, max_iter=5, random_state=0),
        X_IRIS, Y_IRIS,
    )  # fmt: skip
    assert [s.shape for s in est.batch_norm_scales_] == [(6,), (5,)]
    assert [m.shape for m in est.batch_norm_means_] == [(6,), (5,)]
    assert [v.shape for v in est.batch_norm_vars_] == [(6,), (5,)]
    assert all(np.shares_memory(s, est._params) for s in est.batch_norm_scales_)
    assert all(np.shares_memory(m, est._running) for m in est.batch_norm_means_)
    assert all(np.all(v > 0) for v in est.batch_norm_vars_)
    # The scales are trained (they start at 1); editing a view edits the model.
    assert not np.allclose(est.batch_norm_scales_[0], 1.0)
    before = est.predict_proba(X_IRIS)
    est.batch_norm_scales_[0][:] = 0.0
    assert not np.allclose(est.predict_proba(X_IRIS), before)
    # Refitting without batch norm removes them.
    quiet_fit(est.set_params(batch_norm=False), X_IRIS, Y_IRIS)
    assert not hasattr(est, "batch_norm_scales_")
    assert not hasattr(est, "batch_norm_vars_")


def test_replacing_coefs_keeps_the_batch_norm_scales():
    est = quiet_fit(
        MLPRegressor(hidden_layer_sizes=(6,), batch_norm=True, max_iter=5, random_state=0),
        X_DIAB, Y_DIAB,
    )  # fmt: skip
    scales = est.batch_norm_scales_[0].copy()
    before = est.predict(X_DIAB)
    est.coefs_[1] = est.coefs_[1] * 2.0  # a new array: the buffer is rebuilt
    est.intercepts_[1] = est.intercepts_[1] * 2.0
    assert_allclose(est.predict(X_DIAB), 2.0 * before, rtol=1e-10)
    assert_array_equal(est.batch_norm_scales_[0], scales)


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize(
    "option, value", [("dropout", 0.2), ("dropout", [0.0, 0.1]), ("batch_norm", True)]
)
def test_lbfgs_with_dropout_or_batch_norm_raises_naming_both(estimator_class, option, value):
    est = estimator_class(solver="lbfgs", hidden_layer_sizes=(4, 3), **{option: value})
    y = Y_IRIS if estimator_class is MLPClassifier else X_IRIS[:, 0]
    with pytest.raises(ValueError, match=rf"{option}=.*solver='lbfgs'"):
        est.fit(X_IRIS, y)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize(
    "dropout, message",
    [
        ([0.1], "one rate per hidden layer"),
        ([0.1, 0.2, 0.3], "one rate per hidden layer"),
        ([[0.1, 0.2]], "one rate per hidden layer"),
        (["a", "b"], "one rate per hidden layer"),
        ([0.1, 1.0], r"in \[0, 1\)"),
        ([-0.1, 0.2], r"in \[0, 1\)"),
        ([0.1, np.nan], r"in \[0, 1\)"),
        (1.0, "dropout"),
        (-0.5, "dropout"),
    ],
)
def test_invalid_dropout_raises_a_value_error(dropout, message):
    est = MLPClassifier(hidden_layer_sizes=(4, 3), dropout=dropout, max_iter=2)
    with pytest.raises(ValueError, match=message):
        est.fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
def test_switching_batch_norm_on_a_fitted_model_raises_and_keeps_it(method):
    est = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(5,), batch_norm=True, max_iter=3, random_state=0),
        X_IRIS, Y_IRIS,
    )  # fmt: skip
    params, proba = est._params.copy(), est.predict_proba(X_IRIS)
    est.set_params(batch_norm=False, warm_start=method == "warm_start")
    with pytest.raises(ValueError, match="batch_norm"):
        if method == "warm_start":
            est.fit(X_IRIS, Y_IRIS)
        else:
            est.partial_fit(X_IRIS, Y_IRIS)
    assert_array_equal(est._params, params)
    assert_array_equal(est.predict_proba(X_IRIS), proba)


def test_partial_fit_with_dropout_and_batch_norm_learns():
    est = MLPClassifier(hidden_layer_sizes=(32,), dropout=0.2, batch_norm=True, random_state=0)
    classes = np.unique(Y_DIGITS)
    est.partial_fit(X_DIGITS, Y_DIGITS, classes=classes)
    first = est.score(X_DIGITS, Y_DIGITS)
    for _ in range(10):
        est.partial_fit(X_DIGITS, Y_DIGITS)
    assert first < 0.5 < 0.8 < est.score(X_DIGITS, Y_DIGITS)
    assert len(est.loss_curve_) == 11 and est.loss_curve_[-1] < est.loss_curve_[0] / 2


@pytest.mark.parametrize("method", ["partial_fit", "warm_start"])
def test_every_epoch_draws_new_masks_with_an_integer_random_state(method):
    # Each call re-creates the generator from the integer (as scikit-learn
    # does), so its draws repeat; the masks must not.  With a learning rate of
    # 1e-12 the weights stay put and an epoch's loss depends on its masks only.
    est = MLPClassifier(hidden_layer_sizes=(32,), dropout=0.5, learning_rate_init=1e-12,
                        shuffle=False, max_iter=1, warm_start=True, random_state=0)  # fmt: skip
    for _ in range(3):
        if method == "partial_fit":
            est.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
        else:
            quiet_fit(est, X_IRIS, Y_IRIS)
    losses = est.loss_curve_
    assert len(losses) == 3
    assert abs(losses[1] - losses[0]) > 1e-3 * losses[0]
    assert abs(losses[2] - losses[1]) > 1e-3 * losses[1]
    # Without dropout the same three epochs give the same loss.
    plain = MLPClassifier(**dict(est.get_params(), dropout=0.0))
    for _ in range(3):
        plain.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    assert_allclose(plain.loss_curve_, plain.loss_curve_[0], rtol=1e-9)


def test_pickle_round_trip_keeps_predictions_and_views():
    est = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(8, 8), dropout=0.2, batch_norm=True,
                      max_iter=5, random_state=0),
        X_IRIS, Y_IRIS,
    )  # fmt: skip
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.predict_proba(X_IRIS), est.predict_proba(X_IRIS))
    assert all(np.shares_memory(m, loaded._running) for m in loaded.batch_norm_means_)
    assert all(np.shares_memory(s, loaded._params) for s in loaded.batch_norm_scales_)
    # A warm-started fit continues from the loaded statistics.
    quiet_fit(loaded.set_params(warm_start=True, max_iter=2), X_IRIS, Y_IRIS)
    assert loaded.n_iter_ == 2


def test_early_stopping_restores_the_running_statistics_of_the_best_epoch():
    seen = []

    def record(estimator, X, y, sample_weight=None):
        seen.append((X, estimator.predict_proba(X)))
        # A score that peaks early: the best epoch is not the last one.
        return -abs(len(seen) - 3)

    est = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(16,), dropout=0.2, batch_norm=True, max_iter=12,
                      early_stopping=True, n_iter_no_change=5, scoring=record, random_state=0),
        X_DIGITS, Y_DIGITS,
    )  # fmt: skip
    assert est.n_iter_ > 3
    X_val, best_proba = seen[2]
    assert not np.array_equal(seen[-1][1], best_proba)
    assert_array_equal(est.predict_proba(X_val), best_proba)


def test_float32_training_stays_float32_and_learns_like_float64():
    params = dict(hidden_layer_sizes=(32,), dropout=0.2, batch_norm=True, max_iter=10,
                  random_state=0)  # fmt: skip
    X = X_DIGITS.astype(np.float32)
    est = quiet_fit(MLPClassifier(**params), X, Y_DIGITS)
    assert est._params.dtype == np.float32
    assert est._running.dtype == np.float32
    assert est.batch_norm_scales_[0].dtype == np.float32
    assert est.predict_proba(X).dtype == np.float32
    est64 = quiet_fit(MLPClassifier(**params), X_DIGITS, Y_DIGITS)
    assert abs(est.score(X, Y_DIGITS) - est64.score(X_DIGITS, Y_DIGITS)) < 0.02


def test_sparse_input_trains_the_dense_model():
    X = X_DIGITS.copy()
    X[np.abs(X) < 0.5] = 0.0
    params = dict(hidden_layer_sizes=(16,), dropout=0.3, batch_norm=True, max_iter=3,
                  random_state=0)  # fmt: skip
    dense = quiet_fit(MLPClassifier(**params), X, Y_DIGITS)
    sparse = quiet_fit(MLPClassifier(**params), sp.csr_matrix(X), Y_DIGITS)
    # The same masks (keyed by content) and statistics; only rounding differs.
    assert_allclose(sparse._params, dense._params, rtol=1e-6, atol=1e-9)
    assert_allclose(sparse._running, dense._running, rtol=1e-6, atol=1e-9)


@pytest.mark.filterwarnings("ignore:Got `batch_size`")  # one batch of all rows, clipped
def test_weights_equal_repeated_rows_with_dropout_and_batch_norm_in_one_batch():
    rng = np.random.RandomState(0)
    X, y = X_IRIS[::3], Y_IRIS[::3]
    sw = rng.randint(0, 4, size=len(y))
    params = dict(hidden_layer_sizes=(8,), dropout=0.3, batch_norm=True, batch_size=500,
                  max_iter=5, shuffle=False, random_state=0)  # fmt: skip
    weighted = quiet_fit(MLPClassifier(**params), X, y, sample_weight=sw)
    repeated = quiet_fit(MLPClassifier(**params), X.repeat(sw, axis=0), y.repeat(sw))
    assert_allclose(weighted._params, repeated._params, rtol=1e-9, atol=1e-12)
    assert_allclose(weighted._running, repeated._running, rtol=1e-9, atol=1e-12)


def test_grid_search_over_dropout_batch_norm_and_solver():
    grid = [
        {
            "solver": ["adam", "sgd", "rmsprop"],
            "dropout": [0.0, 0.2, [0.1, 0.3]],
            "batch_norm": [False, True],
        },
        {"solver": ["lbfgs"], "dropout": [0.0], "batch_norm": [False]},
    ]
    search = GridSearchCV(
        MLPClassifier(hidden_layer_sizes=(16, 8), learning_rate_init=0.01, max_iter=40,
                      random_state=0),
        grid,
        cv=2,
        error_score="raise",
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_IRIS, Y_IRIS)
    params = search.cv_results_["params"]
    assert len(params) == 3 * 3 * 2 + 1
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert search.best_score_ == scores.max() > 0.8
    best = search.best_estimator_
    assert best.get_params()["batch_norm"] == search.best_params_["batch_norm"]
    assert hasattr(best, "batch_norm_scales_") == (
        search.best_params_["batch_norm"] and best.solver != "lbfgs"
    )
    # Batch norm and dropout candidates are different models, not ignored options.
    by_config = {
        (p["solver"], str(p["dropout"]), p["batch_norm"]): s for p, s in zip(params, scores)
    }
    assert len(set(np.round(list(by_config.values()), 12))) > 3
