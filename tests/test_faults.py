"""Numerical faults and interruption: no warning floods, no NaN, nothing lost.

- Extreme inputs and learning rates raise no NumPy warnings; the activations
  and losses are computed stably (finite limits where they exist).
- When training diverges (the loss becomes non-finite), it stops at that epoch,
  the weights of the last finite epoch are restored and a ConvergenceWarning
  says so; predict never returns NaN from a model that fit returned.
- When nothing was trained (divergence in the first epoch or L-BFGS
  iteration), a fresh fit raises scikit-learn's non-finite weights ValueError
  and leaves the estimator as it was; a warm-started fit or partial_fit keeps
  the previous model, unchanged, with a warning.
- A KeyboardInterrupt during fit keeps the last completed epoch, with
  consistent fitted attributes.
"""

import _thread
import threading
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skmlp import MLPClassifier, MLPRegressor
from skmlp._engine.activations import LOGISTIC, SOFTMAX, bias_activate
from skmlp._engine.losses import BINARY_LOG_LOSS, LOG_LOSS, loss_and_delta

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = StandardScaler().fit_transform(X_DIGITS)
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB = StandardScaler().fit_transform(X_DIAB)
Y_DIAB = (Y_DIAB - Y_DIAB.mean()) / Y_DIAB.std()


def _fit_recording(est, X, y):
    """Fit with every warning recorded; NumPy's RuntimeWarnings are errors."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, y)
    return [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


def _diverged(messages):
    return any("diverged" in m for m in messages)


def _fit_or_refuse(est, X, y):
    """``_fit_recording``, or None when the fit diverged at once and was refused.

    A fresh fit that diverges before one epoch completes has no model to keep:
    it raises scikit-learn's non-finite weights error and stays unfitted.
    """
    try:
        return _fit_recording(est, X, y)
    except ValueError as error:
        assert "Solver produced non-finite parameter weights" in str(error)
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
        return None


# ---------------------------------------------------------------- kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_is_finite_and_saturates_for_extreme_inputs(dtype):
    info = np.finfo(dtype)
    Z = np.array([[-np.inf, -info.max, -1e4, 0.0, 1e4, info.max, np.inf]], dtype=dtype)
    bias_activate(LOGISTIC, Z, np.zeros(Z.shape[1], dtype=dtype))
    assert_array_equal(Z, np.array([[0, 0, 0, 0.5, 1, 1, 1]], dtype=dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_extreme_logits_is_their_limit(dtype):
    big = np.finfo(dtype).max
    Z = np.array(
        [
            [big, big, 0.0],  # huge but finite: the max is subtracted first
            [np.inf, 0.0, np.inf],  # infinite logits take all the mass
            [-np.inf, -np.inf, -np.inf],  # nothing to prefer: uniform
            [-big, 0.0, big],
        ],
        dtype=dtype,
    )
    bias_activate(SOFTMAX, Z, np.zeros(3, dtype=dtype))
    expected = np.array(
        [[0.5, 0.5, 0], [0.5, 0, 0.5], [1 / 3, 1 / 3, 1 / 3], [0, 0, 1]], dtype=dtype
    )
    np.testing.assert_allclose(Z, expected, rtol=1e-6)


@pytest.mark.parametrize("code", [LOG_LOSS, BINARY_LOG_LOSS])
def test_log_losses_are_finite_for_probabilities_of_exactly_0_and_1(code):
    P = np.array([[0.0, 1.0], [1.0, 0.0]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])  # the first sample is as wrong as can be
    D = np.empty_like(P)
    eps = np.finfo(np.float64).eps
    value = loss_and_delta(code, P, Y, np.ones(2), eps, D)
    assert np.isfinite(value) and value > 10
    assert np.isfinite(D).all()


# ---------------------------------------------------------------- divergence


def test_diverging_sgd_stops_at_that_epoch_with_the_last_finite_weights():
    # Diverges after some epochs (a fit diverging in its first one raises; see
    # the tests of "nothing trained" below).
    params = dict(solver="sgd", learning_rate_init=0.005, momentum=0.9, random_state=0)
    params.update(hidden_layer_sizes=(32,), max_iter=50, batch_size=32)
    est = MLPRegressor(**params)
    messages = _fit_recording(est, X_DIAB, Y_DIAB * 100)
    assert _diverged(messages), messages
    assert 1 <= est.n_iter_ < 50
    assert np.isfinite(est._params).all()
    assert len(est.loss_curve_) == est.n_iter_
    assert est.t_ == est.n_iter_ * X_DIAB.shape[0]
    # The restored weights are exactly those after the last finite epoch.
    reference = MLPRegressor(**dict(params, max_iter=est.n_iter_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X_DIAB, Y_DIAB * 100)
    assert_array_equal(est._params, reference._params)
    assert np.isfinite(est.predict(X_DIAB)).all()


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_learning_rate_of_10_raises_no_numpy_warnings_and_ends_finite(estimator_class, solver):
    y = Y_DIGITS if estimator_class is MLPClassifier else X_DIGITS[:, 10]
    est = estimator_class(solver=solver, learning_rate_init=10.0, max_iter=10, random_state=0)
    if _fit_or_refuse(est, X_DIGITS, y) is None:  # RuntimeWarnings are errors here
        return
    assert np.isfinite(est._params).all()
    method = est.predict_proba if estimator_class is MLPClassifier else est.predict
    assert np.isfinite(method(X_DIGITS)).all()


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_inputs_of_magnitude_1e300_raise_no_numpy_warnings_and_never_give_nan(
    estimator_class, solver
):
    X = X_DIGITS[:200] * 1e300
    y = Y_DIGITS[:200] if estimator_class is MLPClassifier else X_DIGITS[:200, 10]
    est = estimator_class(solver=solver, hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    if _fit_or_refuse(est, X, y) is None:  # RuntimeWarnings are errors here
        return
    # Whether training diverged (then stopped and rolled back) or not, the
    # model is finite.
    assert np.isfinite(est._params).all()
    # Predictions are finite, or refused with a clear message: never NaN.
    method = est.predict_proba if estimator_class is MLPClassifier else est.predict
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            out = method(X)
        except ValueError as error:
            assert "too large" in str(error)
        else:
            assert np.isfinite(out).all()
        # Ordinary inputs too: finite, or the same clear refusal.
        try:
            assert np.isfinite(method(X_DIGITS[:200])).all()
        except ValueError as error:
            assert "too large" in str(error)


def test_lbfgs_diverging_in_its_first_iteration_is_refused_without_numpy_warnings():
    # Huge inputs: the first line searches overflow. (Divergence after some
    # iterations keeps the last finite iterate: see the fault-injection test.)
    est = MLPRegressor(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    assert _fit_or_refuse(est, X_DIAB * 1e154, Y_DIAB) is None


# ---------------------------------------------------------------- interruption


def _interrupt_after(seconds):
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


@pytest.mark.parametrize(
    "options", [{}, {"dropout": 0.2, "batch_norm": True}], ids=["plain", "dropout_batch_norm"]
)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_from_a_timer_keeps_the_last_completed_epoch(early_stopping, options):
    params = dict(
        hidden_layer_sizes=(64,),
        max_iter=100_000,
        tol=0.0,
        n_iter_no_change=np.inf,
        early_stopping=early_stopping,
        random_state=0,
        **options,
    )
    est = MLPClassifier(**params)
    # Warm the kernels so that the interrupt lands in training, not compilation.
    MLPClassifier(**dict(params, max_iter=1)).fit(X_DIGITS, Y_DIGITS)
    timer = _interrupt_after(0.5)
    try:
        with pytest.warns(UserWarning, match="interrupted by user"):
            est.fit(X_DIGITS, Y_DIGITS)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped fit")
    finally:
        timer.cancel()
    n = est.n_iter_
    assert n >= 1
    assert len(est.loss_curve_) == n
    n_train = X_DIGITS.shape[0] - (int(np.ceil(0.1 * X_DIGITS.shape[0])) if early_stopping else 0)
    assert est.t_ == n * n_train
    if early_stopping:
        assert len(est.validation_scores_) == n
    # Exactly the model of a fit that ran those n epochs, no half-applied update.
    reference = MLPClassifier(**dict(params, max_iter=n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X_DIGITS, Y_DIGITS)
    assert_array_equal(est._params, reference._params)
    # Batch norm's running statistics too (empty without it).
    assert_array_equal(est._running, reference._running)
    assert est.loss_curve_ == reference.loss_curve_
    assert_array_equal(est.predict(X_DIGITS), reference.predict(X_DIGITS))


def test_keyboard_interrupt_during_lbfgs_keeps_the_last_completed_iteration():
    params = dict(solver="lbfgs", hidden_layer_sizes=(256,), max_iter=15000, tol=0.0)
    params.update(max_fun=10**6, random_state=0)
    est = MLPClassifier(**params)
    MLPClassifier(**dict(params, max_iter=1)).fit(X_DIGITS, Y_DIGITS)
    timer = _interrupt_after(0.5)
    try:
        with pytest.warns(UserWarning, match="interrupted by user"):
            est.fit(X_DIGITS, Y_DIGITS)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped fit")
    finally:
        timer.cancel()
    assert est.n_iter_ >= 1
    assert np.isfinite(est.loss_)
    reference = MLPClassifier(**dict(params, max_iter=est.n_iter_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X_DIGITS, Y_DIGITS)
    assert_array_equal(est._params, reference._params)
    assert est.loss_ == reference.loss_


def test_poisson_exp_output_overflow_after_some_epochs_is_handled_without_warnings_or_nan():
    X = X_DIAB * 10  # exp(output) overflows in epoch 9
    y = np.abs(Y_DIAB) * 10
    est = MLPRegressor(loss="poisson", learning_rate_init=0.1, max_iter=20, random_state=0)
    messages = _fit_recording(est, X, y)  # RuntimeWarnings are errors here
    assert _diverged(messages), messages
    _assert_trained(est)
    assert np.isfinite(est._params).all()
    try:
        assert np.isfinite(est.predict(X)).all()
    except ValueError as error:
        assert "too large" in str(error)
    assert (est.predict(X_DIAB) > 0).all()


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_exp_output_overflow_from_the_first_batch_is_refused_without_warnings(solver):
    X = X_DIAB * 1e3  # exp(output) overflows from the first batch on
    est = MLPRegressor(loss="poisson", solver=solver, max_iter=5, random_state=0)
    assert _fit_or_refuse(est, X, np.abs(Y_DIAB) * 10) is None


# ---------------------------------------------------------------- nothing trained

ALL_SOLVERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "lbfgs"]


def _huge(dtype, n=60):
    """Inputs near the dtype's largest value: every solver diverges at once."""
    rng = np.random.RandomState(0)
    X = (np.finfo(dtype).max * rng.uniform(size=(n, X_DIAB.shape[1]))).astype(dtype)
    return X, rng.standard_normal(n).astype(dtype)


def _assert_trained(est):
    """What every model that fit returned has: a finite loss and completed epochs."""
    assert est.n_iter_ >= 1
    assert est.loss_ is not None and np.isfinite(est.loss_)
    if est.solver != "lbfgs":
        assert len(est.loss_curve_) >= 1


def _fitted_state(est):
    return {
        name: (value.copy() if isinstance(value, np.ndarray) else list(value))
        if isinstance(value, (np.ndarray, list))
        else value
        for name, value in vars(est).items()
        if name not in ("_random_state", "_label_binarizer", "_layout")
    }


def _assert_same_state(before, est):
    after = _fitted_state(est)
    assert after.keys() == before.keys()
    for name, value in before.items():
        if isinstance(value, np.ndarray):
            assert_array_equal(after[name], value, err_msg=name)
        elif name not in ("coefs_", "intercepts_", "_views"):
            assert after[name] == value or (value is None and after[name] is None), name


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_divergence_in_the_first_epoch_raises_and_leaves_the_estimator_as_it_was(
    solver, dtype, early_stopping
):
    X, y = _huge(dtype)
    est = MLPRegressor(solver=solver, early_stopping=early_stopping, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
            est.fit(X, y)
    assert vars(est) == vars(MLPRegressor(**est.get_params()))
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    # A fitted model survives a fresh fit that diverges at once, unchanged.
    est.set_params(max_iter=3).fit(X_DIAB[:60].astype(dtype), Y_DIAB[:60].astype(dtype))
    before = _fitted_state(est)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        est.fit(X, y)
    _assert_same_state(before, est)
    _assert_trained(est)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ALL_SOLVERS)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_divergence_in_the_first_epoch_of_a_continued_fit_keeps_the_previous_model(
    how, solver, dtype
):
    if how == "partial_fit" and solver == "lbfgs":
        pytest.skip("lbfgs has no partial_fit")
    est = MLPRegressor(solver=solver, max_iter=3, random_state=0, warm_start=how == "warm_start")
    est.fit(X_DIAB[:60].astype(dtype), Y_DIAB[:60].astype(dtype))
    # Data that overflows the model's dtype (L-BFGS's model is float64).
    X, y = _huge(est._params.dtype)
    before = _fitted_state(est)
    with pytest.warns(ConvergenceWarning, match="diverged.*left as it was before"):
        getattr(est, "fit" if how == "warm_start" else "partial_fit")(X, y)
    _assert_same_state(before, est)
    _assert_trained(est)


class _DivergingEpochs:
    """``run_epoch`` whose call ``k`` (counting from 1) returns a non-finite loss."""

    def __init__(self, run_epoch, k):
        self.run_epoch, self.k, self.calls = run_epoch, k, 0

    def __call__(self, *args):
        self.calls += 1
        total, step = self.run_epoch(*args)
        return (np.nan if self.calls == self.k else total), step


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", [s for s in ALL_SOLVERS if s != "lbfgs"])
def test_divergence_after_k_epochs_keeps_the_model_of_those_epochs(
    solver, dtype, early_stopping, monkeypatch
):
    import skmlp._engine.network

    params = dict(solver=solver, max_iter=10, random_state=0, early_stopping=early_stopping)
    params.update(tol=0.0, n_iter_no_change=np.inf, hidden_layer_sizes=(8,))
    X, y = X_DIAB.astype(dtype), Y_DIAB.astype(dtype)
    k = 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = MLPRegressor(**dict(params, max_iter=k - 1)).fit(X, y)
    monkeypatch.setattr(
        skmlp._engine.network, "run_epoch", _DivergingEpochs(skmlp._engine.network.run_epoch, k)
    )
    est = MLPRegressor(**params)
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 4"):
        est.fit(X, y)
    assert est.n_iter_ == k - 1
    _assert_trained(est)
    assert est.loss_curve_ == reference.loss_curve_
    assert_array_equal(est._params, reference._params)


def test_lbfgs_divergence_after_some_iterations_keeps_the_last_iterate(monkeypatch):
    from skmlp._engine import workspaces as _workspaces

    calls = []
    loss_grad = _workspaces.Batch.loss_grad

    def diverging(self, params, grads, alpha, l1_ratio):
        calls.append(None)
        value = loss_grad(self, params, grads, alpha, l1_ratio)
        return np.inf if len(calls) > 6 else value

    monkeypatch.setattr(_workspaces.Batch, "loss_grad", diverging)
    est = MLPRegressor(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        est.fit(X_DIAB, Y_DIAB)
    _assert_trained(est)
    assert np.isfinite(est.predict(X_DIAB)).all()


@pytest.mark.parametrize(
    "labels", [[False, True], ["no", "yes"], [3, 7], ["a", "b", "c"], [1, 2, 5]], ids=str
)
def test_early_stopping_split_errors_name_the_users_labels(labels):
    # The last label has a single member, too few for a stratified split.
    *common, rare = labels
    y = np.array([label for label in common for _ in range(15)] + [rare])
    X = np.random.RandomState(0).standard_normal((len(y), 3))
    with pytest.raises(ValueError, match="too few") as error:
        MLPClassifier(early_stopping=True, stratify_multiclass=True, max_iter=2).fit(X, y)
    if "members are" not in str(error.value):
        pytest.skip("this scikit-learn's split error does not list the classes")
    assert str(error.value).endswith("members are: %r" % ([rare],))


def test_lbfgs_diverging_at_once_on_a_float32_model_keeps_the_previous_model():
    # A float32 model (from a stochastic solver) continued by L-BFGS: its
    # first iteration diverges, and the buffer is the previous model's again.
    est = MLPRegressor(solver="adam", max_iter=3, random_state=0, warm_start=True)
    est.fit(X_DIAB[:60].astype(np.float32), Y_DIAB[:60].astype(np.float32))
    est.set_params(solver="lbfgs")
    before = _fitted_state(est)
    X, y = _huge(np.float32)
    with pytest.warns(ConvergenceWarning, match="diverged.*left as it was before"):
        est.fit(X, y)
    _assert_same_state(before, est)
