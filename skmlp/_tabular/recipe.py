"""The tabular recipe: one estimator for mixed-type tables, preprocessing and network included.

:class:`TabularMLPClassifier` and :class:`TabularMLPRegressor` take a
DataFrame as :class:`~sklearn.ensemble.HistGradientBoostingClassifier` does
(numeric, categorical and string columns, missing values) and assemble,
at fit time, two fitted parts that stay inspectable:

- ``preprocessor_``: a :class:`~sklearn.compose.ColumnTransformer`. Numeric
  columns are imputed with their median (with missing-value indicators),
  robustly scaled and smoothly clipped (:class:`~skmlp.preprocessing.SmoothClipScaler`)
  and, by default, also encoded piecewise-linearly on quantile bins
  (:class:`~skmlp.preprocessing.PiecewiseLinearEncoder`). Categorical columns
  are one-hot encoded, missing values as a category of their own and rare
  categories pooled. The output is float32, so the network trains in float32.
  Prediction evaluates that float32 network in float64: each row then gets
  the same result wherever it sits in the input (float32 matrix products
  may round a row differently by its position in the block). The network's
  part takes 3 to 4 times as long in float64, and a whole prediction,
  preprocessing included, about a quarter longer (20,000 rows of a
  five-column table: 0.12 s instead of 0.095 s).
- ``mlp_``: an :class:`~skmlp.MLPClassifier` or :class:`~skmlp.MLPRegressor`
  with defaults drawn from the tabular deep-learning literature (RealMLP,
  Holzmüller et al., 2024; Gorishniy et al., 2021 and 2022): two hidden
  layers, AdamW with ``beta_2=0.95``, a cosine schedule with warm-up,
  dropout, label smoothing for classification, a standardised target for
  regression, and the best epoch on a held-out split restored at the end.
"""

import contextlib
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import get_scorer_names
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    validate_data,
)

from .._classifier import MLPClassifier
from .._regressor import MLPRegressor
from ..preprocessing import PiecewiseLinearEncoder, SmoothClipScaler

_MISSING = "<missing>"
#: The precision the fitted float32 network is evaluated in (see the module docstring).
_PREDICTION_DTYPE = np.float64
#: early_stopping='auto' holds out a validation split from this many rows on.
_EARLY_STOPPING_ROWS = 1000


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


@contextlib.contextmanager
def _all_nan_columns_dropped():
    """Silence the imputer's warning for columns that are all NaN: it drops them, as it should."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping features without any observed")
        yield


def _require_y(estimator, y):
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )


def _is_missing(value):
    if value is None:
        return True
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _as_category_strings(X):
    """Categorical columns as strings, missing values (None, NaN, pd.NA) as one category.

    One-hot encoding needs each column to be all strings or all numbers; a
    column of strings with NaN, or of mixed types, becomes strings here.
    Each distinct value is converted once per column: a pandas categorical
    column through its categories and codes, any other column through a
    table keyed by the value and its type (so that ``1``, ``1.0`` and
    ``True`` stay three categories).
    """
    if _is_dataframe(X):
        columns = [X.iloc[:, j] for j in range(X.shape[1])]
    else:
        X = np.asarray(X, dtype=object)
        columns = list(X.T)
    out = np.empty(X.shape, dtype=object)
    for j, column in enumerate(columns):
        out[:, j] = _column_strings(column)
    return out


def _column_strings(column):
    """One column's values as strings, missing values as ``_MISSING`` (object array)."""
    if str(getattr(column, "dtype", "")) == "category":
        names = [str(category) for category in column.cat.categories]
        names = np.array([*names, _MISSING], dtype=object)
        return names[np.asarray(column.cat.codes)]  # code -1 (missing): the last name
    values = np.asarray(column, dtype=object).tolist()
    out = np.empty(len(values), dtype=object)
    names = {}
    for i, value in enumerate(values):
        try:
            key = (type(value), value)
            name = names.get(key)
        except TypeError:  # an unhashable value
            key = name = None
        if name is None:
            name = _MISSING if _is_missing(value) else str(value)
            if key is not None:
                names[key] = name
        out[i] = name
    return out


class _BaseTabularMLP(BaseEstimator):
    """Column typing, the preprocessing and the network's parameters of the recipe."""

    _parameter_constraints: dict = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "numeric_encoding": [StrOptions({"scale", "scale+piecewise_linear"})],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "max_categories": [Interval(Integral, 2, None, closed="left"), None],
        "hidden_layer_sizes": ["array-like"],
        "activation": [str, "array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "scoring": [None, StrOptions(set(get_scorer_names())), callable],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------
    # Input

    def _validate_X(self, X, reset):
        """A DataFrame stays one (its dtypes type the columns); anything else becomes an array."""
        if _is_dataframe(X):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 "
                    "is required."
                )
            return X
        explicit = self.categorical_features not in (None, "from_dtype")
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=None if explicit else "numeric",
            ensure_all_finite="allow-nan",
        )

    def _categorical_mask(self, X):
        """Boolean mask of the categorical columns (ValueError for an invalid specification)."""
        n_features = X.shape[1]
        spec = self.categorical_features
        if spec is None:
            return np.zeros(n_features, dtype=bool)
        if isinstance(spec, str):  # "from_dtype"
            if not _is_dataframe(X):
                return np.zeros(n_features, dtype=bool)
            return np.array(
                [
                    dtype.kind in "OSUb" or str(dtype) in ("category", "string", "boolean")
                    for dtype in X.dtypes
                ],
                dtype=bool,
            )
        spec = np.asarray(spec)
        if spec.ndim != 1:
            raise ValueError("categorical_features must be 1-dimensional.")
        if spec.dtype.kind == "b":
            if spec.size != n_features:
                raise ValueError(
                    f"categorical_features as a boolean mask must have shape ({n_features},), "
                    f"got {spec.shape}."
                )
            return spec.copy()
        mask = np.zeros(n_features, dtype=bool)
        if spec.dtype.kind in "OSU":
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError(
                    "categorical_features names columns, but X has no feature names; "
                    "pass a DataFrame or give column indices."
                )
            unknown = sorted(set(spec.tolist()) - set(names.tolist()))
            if unknown:
                raise ValueError(f"categorical_features names unknown columns: {unknown}.")
            mask[np.isin(names, spec)] = True
            return mask
        if spec.dtype.kind not in "iu":
            raise ValueError(
                "categorical_features must be 'from_dtype', None, or an array of column "
                f"indices, column names or booleans; got dtype {spec.dtype}."
            )
        if spec.size and (spec.min() < -n_features or spec.max() >= n_features):
            raise ValueError(
                f"categorical_features indices must be in [{-n_features}, {n_features - 1}], "
                f"got {spec.tolist()}."
            )
        mask[spec] = True
        return mask

    # ------------------------------------------------------------------
    # The parts

    def _make_preprocessor(self, categorical):
        numeric_steps = [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", SmoothClipScaler(dtype=np.float32)),
        ]
        if self.numeric_encoding == "scale+piecewise_linear":
            encoder = PiecewiseLinearEncoder(n_bins=self.n_bins, dtype=np.float32, random_state=0)
            numeric_steps.append(
                ("encode", FeatureUnion([("scaled", "passthrough"), ("bins", encoder)]))
            )
        one_hot = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=self.max_categories,
            sparse_output=False,
            dtype=np.float32,
        )
        as_strings = FunctionTransformer(
            _as_category_strings, feature_names_out="one-to-one", validate=False
        )
        columns = np.arange(categorical.size)
        return ColumnTransformer(
            [
                ("numeric", Pipeline(numeric_steps), columns[~categorical]),
                ("categorical", Pipeline([("strings", as_strings), ("one_hot", one_hot)]),
                 columns[categorical]),
            ],
            sparse_threshold=0,
            verbose_feature_names_out=True,
        )  # fmt: skip

    def _batch_size(self, n_samples):
        """'auto': 256, but small enough for 16 steps per epoch (at least 16, at most n)."""
        if self.batch_size != "auto":
            return self.batch_size
        return int(min(256, max(16, n_samples // 16), n_samples))

    def _network_params(self, n_samples):
        early_stopping = self.early_stopping
        if early_stopping == "auto":
            early_stopping = n_samples >= _EARLY_STOPPING_ROWS
        return dict(
            hidden_layer_sizes=self.hidden_layer_sizes,
            activation=self.activation,
            solver="adamw",
            alpha=self.weight_decay,
            batch_size=self._batch_size(n_samples),
            learning_rate="cosine",
            learning_rate_init=self.learning_rate_init,
            warmup_fraction=0.05,
            max_iter=self.max_iter,
            beta_2=0.95,
            dropout=self.dropout,
            early_stopping=early_stopping,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            scoring=self.scoring,
            tol=0.0,
            random_state=self.random_state,
            verbose=self.verbose,
        )

    def _fit_parts(self, X, y, Network, **network_params):
        """Fit ``preprocessor_`` and a ``Network`` (``mlp_``) on X, y."""
        X = self._validate_X(X, reset=True)
        network = Network(**self._network_params(X.shape[0]), **network_params)
        self.is_categorical_ = self._categorical_mask(X)
        self.preprocessor_ = self._make_preprocessor(self.is_categorical_)
        with _all_nan_columns_dropped():
            Xt = self.preprocessor_.fit_transform(X)
        self.mlp_ = network.fit(Xt, y)
        self.n_iter_ = self.mlp_.n_iter_
        return self

    def _transform(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        with _all_nan_columns_dropped():
            return self.preprocessor_.transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


_PARAMETERS = """
    categorical_features : 'from_dtype', array-like of int, str or bool, or None, \
default='from_dtype'
        Which columns are categorical. 'from_dtype': the columns of a
        DataFrame whose dtype is ``category``, ``object``, ``string`` or
        ``bool`` (an array's columns are all numeric); otherwise column
        indices, column names (DataFrame input) or a boolean mask; None:
        none. Categorical columns are one-hot encoded as strings (so mixed
        types are fine), missing values as a category of their own, and
        categories unseen in fit encode as all zeros.

    numeric_encoding : {{'scale+piecewise_linear', 'scale'}}, \
default='scale+piecewise_linear'
        How numeric columns reach the network, after median imputation with
        missing-value indicators: robustly scaled and smoothly clipped
        (:class:`~skmlp.preprocessing.SmoothClipScaler`), plus, with
        'scale+piecewise_linear', their piecewise-linear encoding on
        ``n_bins`` quantile bins (:class:`~skmlp.preprocessing.PiecewiseLinearEncoder`).

    n_bins : int, default=16
        Largest number of quantile bins per numeric column of the
        piecewise-linear encoding.

    max_categories : int or None, default=32
        Largest number of one-hot columns per categorical column; rarer
        categories share one "infrequent" column. None keeps every category.

    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(128, 128)
        Widths of the hidden layers.

    activation : str or list of str, default='{activation}'
        Hidden activation(s), as in :class:`~skmlp.MLPClassifier`.

    dropout : float, default=0.15
        Dropout rate of the hidden layers.

    weight_decay : float, default={weight_decay}
        Decoupled weight decay of AdamW (the network's ``alpha``).

    learning_rate_init : float, default={learning_rate_init}
        Peak learning rate, reached after a warm-up of 5% of the epochs and
        annealed to 0 by a cosine schedule over ``max_iter`` epochs.

    batch_size : int or 'auto', default='auto'
        Size of the minibatches. 'auto': 256 from 4,096 training samples on,
        and ``n_samples // 16`` below (at least 16, and at most
        ``n_samples``), so that a small data set still gets about 16 steps per
        epoch.

    max_iter : int, default={max_iter}
        Number of epochs of the schedule.

    early_stopping : 'auto' or bool, default='auto'
        Hold out ``validation_fraction`` of the training data (stratified for
        a classifier) to score each epoch with ``scoring``, stop when the
        score has not improved for ``n_iter_no_change`` epochs and restore
        the best epoch's weights. 'auto' does so from 1,000 training samples
        on; below, every epoch of the schedule runs on all the data.

    validation_fraction : float, default=0.2
        Fraction of the training data held out for early stopping.

    n_iter_no_change : int, default={n_iter_no_change}
        Epochs without improvement of the validation score before stopping.

    scoring : str, callable or None, default={scoring}
        The validation score of early stopping, a scorer name or callable as
        in :func:`~sklearn.metrics.check_scoring` (greater is better).
        {scoring_doc}

    random_state : int, RandomState instance or None, default=None
        Seeds the network's initialisation, the validation split, the
        shuffling and dropout.

    verbose : bool, default=False
        Print the network's progress.
"""

_CLASSIFIER_SCORING = """The default, the log-loss, moves with every predicted probability, and
        so tells epochs apart more finely than the accuracy of a validation
        split of a few hundred rows, which moves in steps of one row. None:
        the accuracy (``mlp_.score``)."""

_REGRESSOR_SCORING = """None: the coefficient of determination R² (``mlp_.score``). The
        network is scored on the standardised target."""

_ATTRIBUTES = """
    preprocessor_ : ~sklearn.compose.ColumnTransformer
        The fitted preprocessing; ``preprocessor_.get_feature_names_out()``
        names the network's inputs.

    mlp_ : {network}
        The fitted network.

    is_categorical_ : ndarray of shape (n_features,), dtype=bool
        Which columns were treated as categorical.

    n_iter_ : int
        Number of epochs the network ran.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.
"""


class TabularMLPClassifier(ClassifierMixin, _BaseTabularMLP):
    __doc__ = f"""A multi-layer perceptron for tables, preprocessing and good defaults included.

    Takes a DataFrame with numeric, categorical and string columns and
    missing values, as :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
    does, and fits a preprocessing (``preprocessor_``) and an
    :class:`~skmlp.MLPClassifier` (``mlp_``) whose defaults come from the
    tabular deep-learning literature: AdamW with ``beta_2=0.95``, a cosine
    schedule with warm-up, dropout, label smoothing, the best epoch on a
    held-out split restored. See :ref:`tabular` for what each part does and
    how it compares with gradient boosting.

    Parameters
    ----------{
        _PARAMETERS.format(
            activation="relu",
            weight_decay="0.0",
            learning_rate_init="0.005",
            max_iter="30",
            n_iter_no_change="10",
            scoring="'neg_log_loss'",
            scoring_doc=_CLASSIFIER_SCORING,
        )
    }
    label_smoothing : float, default=0.1
        Label smoothing of the training targets (see :class:`~skmlp.MLPClassifier`).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
{_ATTRIBUTES.format(network="~skmlp.MLPClassifier")}
    See Also
    --------
    TabularMLPRegressor : The same recipe for regression.
    MLPClassifier : The network alone.
    sklearn.ensemble.HistGradientBoostingClassifier : What this recipe is measured against.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmlp import TabularMLPClassifier
    >>> X = pd.DataFrame({{
    ...     "age": [25, 32, None, 51, 46, 38] * 20,
    ...     "city": ["Paris", "Oslo", "Oslo", None, "Rome", "Paris"] * 20,
    ... }})
    >>> y = [0, 1, 1, 0, 1, 0] * 20
    >>> clf = TabularMLPClassifier(random_state=0).fit(X, y)
    >>> clf.is_categorical_
    array([False,  True])
    >>> clf.score(X, y)
    1.0
    """

    _parameter_constraints: dict = {
        **_BaseTabularMLP._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        numeric_encoding="scale+piecewise_linear",
        n_bins=16,
        max_categories=32,
        hidden_layer_sizes=(128, 128),
        activation="relu",
        dropout=0.15,
        weight_decay=0.0,
        learning_rate_init=0.005,
        batch_size="auto",
        max_iter=30,
        early_stopping="auto",
        validation_fraction=0.2,
        n_iter_no_change=10,
        scoring="neg_log_loss",
        label_smoothing=0.1,
        random_state=None,
        verbose=False,
    ):
        self.categorical_features = categorical_features
        self.numeric_encoding = numeric_encoding
        self.n_bins = n_bins
        self.max_categories = max_categories
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.scoring = scoring
        self.label_smoothing = label_smoothing
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the preprocessing and the network.

        Parameters
        ----------
        X : {{array-like, DataFrame}} of shape (n_samples, n_features)
            The input; a DataFrame may hold categorical and string columns.
            Missing values (NaN, None) are allowed.

        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        _require_y(self, y)
        check_classification_targets(y)
        self._fit_parts(
            X, y, MLPClassifier, label_smoothing=self.label_smoothing, stratify_multiclass=True
        )
        self.classes_ = self.mlp_.classes_
        return self

    def predict(self, X):
        """Predict class labels for X.

        Parameters
        ----------
        X : {{array-like, DataFrame}} of shape (n_samples, n_features)
            The input.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted classes.
        """
        Xt = self._transform(X)
        return self.mlp_._predict(Xt, dtype=_PREDICTION_DTYPE)

    def predict_proba(self, X):
        """Predict class probabilities for X.

        Parameters
        ----------
        X : {{array-like, DataFrame}} of shape (n_samples, n_features)
            The input.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        Xt = self._transform(X)
        return self.mlp_._predict_proba(Xt, dtype=_PREDICTION_DTYPE)

    def predict_log_proba(self, X):
        """Predict the logarithm of class probabilities for X.

        Parameters
        ----------
        X : {{array-like, DataFrame}} of shape (n_samples, n_features)
            The input.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``.
        """
        return np.log(self.predict_proba(X))


class TabularMLPRegressor(RegressorMixin, _BaseTabularMLP):
    __doc__ = f"""A multi-layer perceptron for tables, preprocessing and good defaults included.

    Takes a DataFrame with numeric, categorical and string columns and
    missing values, as :class:`~sklearn.ensemble.HistGradientBoostingRegressor`
    does, and fits a preprocessing (``preprocessor_``) and an
    :class:`~skmlp.MLPRegressor` (``mlp_``) on the standardised target, with
    defaults from the tabular deep-learning literature: AdamW with
    ``beta_2=0.95``, a cosine schedule with warm-up, dropout, the best epoch on
    a held-out split restored. See :ref:`tabular` for what each part does and
    how it compares with gradient boosting.

    Parameters
    ----------{
        _PARAMETERS.format(
            activation="silu",
            weight_decay="0.0",
            learning_rate_init="0.005",
            max_iter="30",
            n_iter_no_change="10",
            scoring="None",
            scoring_doc=_REGRESSOR_SCORING,
        )
    }
    Attributes
    ----------
    y_mean_ : ndarray of shape (n_outputs,)
        Mean of each target in fit; the network learns ``(y - y_mean_) / y_scale_``.

    y_scale_ : ndarray of shape (n_outputs,)
        Standard deviation of each target in fit (1 for a constant target).
{_ATTRIBUTES.format(network="~skmlp.MLPRegressor")}
    See Also
    --------
    TabularMLPClassifier : The same recipe for classification.
    MLPRegressor : The network alone.
    sklearn.ensemble.HistGradientBoostingRegressor : What this recipe is measured against.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skmlp import TabularMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({{"size": rng.uniform(20, 200, 300),
    ...                    "district": rng.choice(["north", "south"], 300)}})
    >>> y = 1000 * X["size"] + 50000 * (X["district"] == "south")
    >>> reg = TabularMLPRegressor(random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
    """

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        numeric_encoding="scale+piecewise_linear",
        n_bins=16,
        max_categories=32,
        hidden_layer_sizes=(128, 128),
        activation="silu",
        dropout=0.15,
        weight_decay=0.0,
        learning_rate_init=0.005,
        batch_size="auto",
        max_iter=30,
        early_stopping="auto",
        validation_fraction=0.2,
        n_iter_no_change=10,
        scoring=None,
        random_state=None,
        verbose=False,
    ):
        self.categorical_features = categorical_features
        self.numeric_encoding = numeric_encoding
        self.n_bins = n_bins
        self.max_categories = max_categories
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.scoring = scoring
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the preprocessing and the network.

        Parameters
        ----------
        X : {{array-like, DataFrame}} of shape (n_samples, n_features)
            The input; a DataFrame may hold categorical and string columns.
            Missing values (NaN, None) are allowed.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        _require_y(self, y)
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        Y = y.reshape(len(y), -1)
        self.y_mean_ = Y.mean(axis=0)
        scale = Y.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        target = ((Y - self.y_mean_) / self.y_scale_).reshape(y.shape)
        return self._fit_parts(X, target, MLPRegressor)

    def predict(self, X):
        """Predict targets for X.

        Parameters
        ----------
        X : {{array-like, DataFrame}} of shape (n_samples, n_features)
            The input.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions, in the units of the target.
        """
        Xt = self._transform(X)
        standardised = self.mlp_._predict(Xt, dtype=_PREDICTION_DTYPE)
        return standardised * self.y_scale_ + self.y_mean_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
