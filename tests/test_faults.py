"""Numerical faults and interruption: no warning floods, no NaN, nothing lost.

- Extreme inputs and learning rates raise no NumPy warnings; the activations
  and losses are computed stably (finite limits where they exist).
- When training diverges (the loss becomes non-finite), it stops at that epoch,
  the weights of the last finite epoch are restored and a ConvergenceWarning
  says so; predict never returns NaN from a model that fit returned.
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
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifier, MLPRegressor
from skmlp._activations import LOGISTIC, SOFTMAX, bias_activate
from skmlp._losses import BINARY_LOG_LOSS, LOG_LOSS, loss_and_delta

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
    params = dict(solver="sgd", learning_rate_init=10.0, momentum=0.9, random_state=0)
    params.update(hidden_layer_sizes=(32,), max_iter=50, batch_size=32)
    est = MLPRegressor(**params)
    messages = _fit_recording(est, X_DIAB, Y_DIAB * 1e3)
    assert _diverged(messages), messages
    assert est.n_iter_ < 50
    assert np.isfinite(est._params).all()
    assert len(est.loss_curve_) == est.n_iter_
    assert est.t_ == est.n_iter_ * X_DIAB.shape[0]
    # The restored weights are exactly those after the last finite epoch.
    if est.n_iter_:
        reference = MLPRegressor(**dict(params, max_iter=est.n_iter_))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference.fit(X_DIAB, Y_DIAB * 1e3)
        assert_array_equal(est._params, reference._params)
    assert np.isfinite(est.predict(X_DIAB)).all()


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_learning_rate_of_10_raises_no_numpy_warnings_and_ends_finite(estimator_class, solver):
    y = Y_DIGITS if estimator_class is MLPClassifier else X_DIGITS[:, 10]
    est = estimator_class(solver=solver, learning_rate_init=10.0, max_iter=10, random_state=0)
    _fit_recording(est, X_DIGITS, y)  # RuntimeWarnings are errors here
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
    _fit_recording(est, X, y)  # RuntimeWarnings are errors here
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


def test_lbfgs_divergence_keeps_the_last_finite_iterate():
    # A huge alpha with huge inputs: the first line searches overflow.
    est = MLPRegressor(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    messages = _fit_recording(est, X_DIAB * 1e154, Y_DIAB)
    assert _diverged(messages), messages
    assert np.isfinite(est._params).all()
    assert est.loss_ is None or np.isfinite(est.loss_)


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


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_exp_output_overflow_is_handled_without_warnings_or_nan(solver):
    X = X_DIAB * 1e3  # exp(output) overflows from the first batch on
    y = np.abs(Y_DIAB) * 10
    est = MLPRegressor(loss="poisson", solver=solver, max_iter=5, random_state=0)
    messages = _fit_recording(est, X, y)  # RuntimeWarnings are errors here
    assert _diverged(messages), messages
    assert np.isfinite(est._params).all()
    try:
        assert np.isfinite(est.predict(X)).all()
    except ValueError as error:
        assert "too large" in str(error)
    assert (est.predict(X_DIAB) > 0).all()
