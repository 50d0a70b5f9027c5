"""The multi-layer perceptron regressor."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import d2_pinball_score, r2_score
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _docstrings
from ._base import BaseMultilayerPerceptron
from ._engine.losses import monotone_quantiles
from ._engine.user import check_function, check_loss, is_user_function
from ._training.rollback import unchanged_on_failure
from ._transform import HiddenLayerTransformerMixin

#: What a user-defined loss returns, for the error messages.
_LOSS_RETURNS = "takes floats (y_true, y_pred) and returns the tuple (loss, d loss / d y_pred)"


def _d2_pinball(taus):
    """The mean D2 pinball score of predictions of the quantiles ``taus`` (last axis)."""

    def score(y, Q, sample_weight=None):
        y = np.asarray(y)
        return float(
            np.mean(
                [
                    d2_pinball_score(y, Q[..., j], alpha=tau, sample_weight=sample_weight)
                    for j, tau in enumerate(taus)
                ]
            )
        )

    return score


class MLPRegressor(RegressorMixin, HiddenLayerTransformerMixin, BaseMultilayerPerceptron):
    __doc__ = f"""Multi-layer Perceptron regressor.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    same parameters, attributes and training semantics, compiled training.
    It optimizes the squared error (or Poisson deviance) using L-BFGS or
    stochastic gradient descent.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson', 'absolute_error', 'huber', 'quantile'}} \
or callable, default='squared_error'
        The loss function to use when training the weights: half the squared
        error; half the Poisson deviance with a log link (exp output
        activation), which requires ``y >= 0``; the absolute error; the
        Huber loss (squared within ``huber_delta`` of the target, linear
        beyond); or the pinball loss of quantile regression, which makes
        each output predict the ``quantile`` of its conditional
        distribution. A callable is a user-defined loss: a module-level
        function compiled with ``numba.njit`` that takes floats ``(y_true,
        y_pred)`` and returns the tuple ``(loss, d loss / d y_pred)`` of one
        element; it is summed over outputs and averaged over samples with the
        sample weights, with the identity output activation, and its
        derivative is checked as a user-defined activation's is.
{_docstrings.PARAMETERS.format(stratified="", score_name="R2")}

    huber_delta : float, default=1.0
        Threshold of the Huber loss, in the units of ``y``. Only used when
        ``loss='huber'``.

    quantile : float or array-like of float, default=0.5
        The quantile ``q`` in (0, 1) predicted with ``loss='quantile'``, for
        every output: the pinball loss of a residual ``u = y - prediction`` is
        ``q * u`` for ``u >= 0`` and ``(q - 1) * u`` otherwise (0.5 gives half
        the absolute error, the median), as in scikit-learn's
        :class:`~sklearn.linear_model.QuantileRegressor`. :meth:`score` stays
        R2, as for scikit-learn's quantile estimators; use
        :func:`~sklearn.metrics.mean_pinball_loss` (or ``scoring`` with early
        stopping) to measure quantile predictions. With the stochastic
        solvers and ``learning_rate`` 'constant' (the default) or 'adaptive',
        a plateau of the training loss (or validation score) divides the
        learning rate by 5 before training stops, for adam too: the steps of
        the pinball loss do not shrink near its optimum by themselves, and at
        a constant rate the quantiles would stay noisy.

        A strictly increasing list of quantiles (for example ``[0.05, 0.5,
        0.95]``, a 90% prediction interval and the median) trains one network
        for all of them: :meth:`predict` returns them along a last axis, and
        they never cross, by construction (each is the one before plus a
        softplus, so the ordering holds for any input). The loss is the sum
        of their pinball losses, and :meth:`score` the mean of their
        :func:`~sklearn.metrics.d2_pinball_score`. Only used when
        ``loss='quantile'``.

    Attributes
    ----------{_docstrings.ATTRIBUTES.format(score="R2")}

    See Also
    --------
    MLPClassifier : Multi-layer Perceptron classifier.
    sklearn.neural_network.MLPRegressor : The reference implementation.

    Notes
    -----{_docstrings.NOTES}

    Examples
    --------
    >>> from skmlp import MLPRegressor
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = make_regression(n_samples=200, n_features=20, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y,
    ...                                                     random_state=1)
    >>> regr = MLPRegressor(random_state=1, max_iter=2000, tol=0.1)
    >>> regr.fit(X_train, y_train)
    MLPRegressor(max_iter=2000, random_state=1, tol=0.1)
    >>> regr.predict(X_test[:2]).shape
    (2,)
    >>> regr.score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [
            StrOptions({"squared_error", "poisson", "absolute_error", "huber", "quantile"}),
            callable,
        ],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither"), "array-like"],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="glorot_uniform",
        l1_ratio=0.0,
        max_grad_norm=None,
        warmup_fraction=0.0,
        scoring=None,
        dropout=0.0,
        batch_norm=False,
        schedule_adam=False,
        huber_delta=1.0,
        quantile=0.5,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            weight_init=weight_init,
            l1_ratio=l1_ratio,
            max_grad_norm=max_grad_norm,
            warmup_fraction=warmup_fraction,
            scoring=scoring,
            dropout=dropout,
            batch_norm=batch_norm,
            schedule_adam=schedule_adam,
        )
        self.huber_delta = huber_delta
        self.quantile = quantile

    def _check_user_functions(self):
        super()._check_user_functions()
        if is_user_function(self.loss):
            check_function(self.loss, "loss", _LOSS_RETURNS)
            check_loss(self.loss)

    def _quantiles(self):
        """The quantiles of a ``loss='quantile'`` fit given a list of them, else None.

        A float64 array, validated: one dimension, at least one value, each
        in (0, 1), strictly increasing (ValueError otherwise).
        """
        quantile = self.quantile
        if self.loss != "quantile" or isinstance(quantile, Real):
            return None
        try:
            taus = np.array(quantile, dtype=np.float64)
        except (TypeError, ValueError):
            taus = None
        if taus is None or taus.ndim != 1 or taus.size == 0:
            raise ValueError(
                "quantile must be a float in (0, 1) or a non-empty 1-D list of such floats; "
                f"got {quantile!r}."
            )
        if not (np.all(taus > 0) and np.all(taus < 1)):
            raise ValueError(
                f"Every quantile must be in the open interval (0, 1); got {quantile!r}."
            )
        if np.any(np.diff(taus) <= 0):
            raise ValueError(
                f"The quantiles must be strictly increasing; got {quantile!r}. Pass them "
                "sorted, without repeats: the outputs come in that order."
            )
        return taus

    def _loss_name(self):
        return "quantiles" if self._quantiles() is not None else self.loss

    def _decays_on_plateau(self):
        return self.loss == "quantile"

    def _n_network_outputs(self, n_outputs):
        taus = self._quantiles()
        return n_outputs if taus is None else n_outputs * len(taus)

    def _loss_param(self, dtype):
        if self.loss == "huber":
            return np.array([float(self.huber_delta)])
        if self.loss == "quantile":
            taus = self._quantiles()
            return np.array([float(self.quantile)]) if taus is None else taus
        return super()._loss_param(dtype)

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values. With ``loss='quantile'`` and a list of
            quantiles, the predicted quantiles, increasing along the last
            axis: of shape (n_samples, n_quantiles) for one target, else
            (n_samples, n_outputs, n_quantiles).
        """
        if not hasattr(self, "_params"):  # cheap test first: predict latency counts
            check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True, dtype=None):
        y_pred = self._forward_pass_fast(X, check_input=check_input, dtype=dtype)
        taus = self._fitted_quantiles()
        if taus is not None:
            Q = monotone_quantiles(y_pred, len(taus))
            return Q[:, 0, :] if Q.shape[1] == 1 else Q
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

    def _fitted_quantiles(self):
        """The quantiles of a fitted model that predicts several, else None.

        ValueError when ``quantile`` no longer has as many as the network
        has outputs per target (changed since ``fit``).
        """
        taus = self._quantiles()
        if taus is None:
            return None
        fitted = int(self._layout.units[-1]) // self.n_outputs_
        if fitted != len(taus):
            raise ValueError(
                f"This model was fitted for {fitted} quantile(s) per target, but quantile "
                f"now lists {len(taus)}: fit it again after changing quantile."
            )
        return taus

    def score(self, X, y, sample_weight=None):
        """Return the coefficient of determination of the prediction.

        As :meth:`sklearn.base.RegressorMixin.score`: R2. With
        ``loss='quantile'`` and a list of quantiles, the mean over the
        quantiles (and outputs) of :func:`~sklearn.metrics.d2_pinball_score`,
        the fraction of the pinball loss of each quantile that the model
        explains (R2's counterpart for quantiles: 1 is best, 0 is the
        constant quantile of ``y``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values for ``X``.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            R2 (or mean D2 pinball score) of ``self.predict(X)`` against ``y``.
        """
        if self._quantiles() is None:
            return super().score(X, y, sample_weight=sample_weight)
        return _d2_pinball(self._quantiles())(y, self.predict(X), sample_weight=sample_weight)

    def _score(self, X, y, sample_weight=None):
        taus = self._quantiles()
        score_function = r2_score if taus is None else _d2_pinball(taus)
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=score_function
        )

    def _validate_input(self, X, y, incremental, reset):
        plain = incremental and not reset and self._is_plain_input(X, finite=False)
        if not (plain and self._plain_targets(y, X.shape[0])):
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                y_numeric=True,
                dtype=(np.float64, np.float32),
                reset=reset,
            )
            if y.ndim == 2 and y.shape[1] == 1:
                y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for loss='poisson'."
            )
        return X, y

    @staticmethod
    def _plain_targets(y, n_samples):
        """True for targets ``validate_data`` would pass through unchanged (``partial_fit``).

        A 1-D float32/float64 ndarray, one value per sample: the fast path of
        ``partial_fit`` for plain chunks. Its values are tested by the epoch,
        which refuses NaN and infinity as ``validate_data`` would.
        """
        return (
            type(y) is np.ndarray
            and y.ndim == 1
            and y.shape[0] == n_samples
            and y.dtype.type in (np.float64, np.float32)
        )

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_failure
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights. As in scikit-learn, negative weights are accepted.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
