"""Preprocessing for tabular networks: smooth-clipped robust scaling, piecewise-linear encoding.

Two transformers that the tabular deep-learning literature found cheap and
effective in front of a multi-layer perceptron, with scikit-learn's
conventions (``get_feature_names_out``, ``set_output``, a ``Pipeline`` step):

- :class:`SmoothClipScaler` centres each feature on its median, divides by
  its inter-quartile range and then squashes outliers smoothly into
  ``(-clip, clip)``, as in RealMLP (Holzmüller et al., 2024, "Better by
  Default: Strong Pre-Tuned MLPs and Boosted Trees on Tabular Data").
- :class:`PiecewiseLinearEncoder` encodes each numeric feature on its quantile
  bins as a thermometer with a linear ramp inside the bin the value falls in
  (Gorishniy et al., 2022, "On Embeddings for Numerical Features in Tabular
  Deep Learning").

Both keep float32 input in float32 (what skmlp then trains in) and take
``dtype`` to choose the output's dtype.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

__all__ = ["PiecewiseLinearEncoder", "SmoothClipScaler"]

_DTYPES = [None, Options(type, {np.float32, np.float64})]


def _weighted_percentiles(X, percentiles, sample_weight):
    """``np.nanpercentile(X, percentiles, axis=0)`` with each row counted ``sample_weight`` times.

    NumPy's default (linear) method on the data whose row ``i`` is repeated
    ``sample_weight[i]`` times, extended to real weights: the order
    statistics of the repeated column are its sorted values, each covering
    as many positions as its weight, and the percentile interpolates
    linearly between the two positions around ``(W - 1) * p / 100`` (``W``
    the weight sum). Integer weights give exactly the repeated data's
    percentiles, zero weights the percentiles without those rows. NaN values
    are left out; a column with no weighted value gives NaN.
    """
    p = np.asarray(percentiles, dtype=np.float64) / 100
    out = np.full((p.size, X.shape[1]), np.nan)
    for j in range(X.shape[1]):
        x = X[:, j]
        keep = ~np.isnan(x) & (sample_weight > 0)
        if not np.any(keep):
            continue
        order = np.argsort(x[keep], kind="stable")
        values, weights = x[keep][order], sample_weight[keep][order]
        ends = np.cumsum(weights)  # value i covers positions [ends[i-1], ends[i])
        position = np.maximum(ends[-1] - 1, 0) * p
        low = np.floor(position)
        below = _order_statistic(values, ends, low)
        out[:, j] = below + (position - low) * (_order_statistic(values, ends, low + 1) - below)
    return out


def _check_weights(sample_weight, X):
    """Validated non-negative sample weights, at least one positive (ValueError otherwise)."""
    sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
    if not np.any(sample_weight > 0):  # (older scikit-learn lets all-zero weights through)
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


def _order_statistic(values, ends, k):
    """Position ``k`` (0-based) of the sorted ``values`` repeated as far as ``ends``."""
    return values[np.minimum(np.searchsorted(ends, k, side="right"), values.size - 1)]


def _output_dtype(requested, X):
    """``requested`` if given, else X's own floating dtype (float64 for anything else)."""
    if requested is not None:
        return np.dtype(requested)
    return X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)


class SmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale features robustly, then clip outliers smoothly into ``(-clip, clip)``.

    Each feature ``x`` becomes ``z / sqrt(1 + (z / clip)**2)`` with
    ``z = (x - median) / scale``, where ``scale`` is the inter-quantile range
    of ``quantile_range`` (the inter-quartile range by default). The map is
    close to the identity for ``|z|`` well below ``clip`` and bounded by
    ``clip``, so a heavy-tailed feature keeps its order without letting a few
    extreme values dominate a network's first layer. This is RealMLP's
    preprocessing of numeric features (Holzmüller et al., 2024).

    A feature whose inter-quantile range is zero (a feature with mostly one
    value) is scaled by half its full range instead, and a constant feature
    becomes 0. Missing values (NaN) are ignored in :meth:`fit` and kept in
    :meth:`transform`, as in :class:`~sklearn.preprocessing.RobustScaler`.

    Parameters
    ----------
    quantile_range : tuple (q_min, q_max), 0.0 < q_min < q_max < 100.0, \
default=(25.0, 75.0)
        Quantile range, in percent, whose width is the scale.

    clip : float or None, default=3.0
        Bound of the smooth clipping: outputs lie in ``(-clip, clip)``.
        ``None`` scales without clipping (a robust scaler).

    dtype : {np.float32, np.float64} or None, default=None
        The output's dtype. ``None`` keeps float32 input in float32 and gives
        float64 otherwise.

    copy : bool, default=True
        If False, float input of the output's dtype is transformed in place
        where possible.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        The median of each feature.

    scale_ : ndarray of shape (n_features,)
        The divisor of each centred feature: its inter-quantile range, half
        its full range where that range is zero, 1 for a constant feature.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : The same centring and scaling, without clipping.
    PiecewiseLinearEncoder : Encode numeric features on quantile bins.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.preprocessing import SmoothClipScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [20.0]])
    >>> SmoothClipScaler().fit_transform(X).round(3).ravel()
    array([-0.949, -0.493,  0.   ,  0.493,  2.829])
    """

    _parameter_constraints: dict = {
        "quantile_range": [tuple],
        "clip": [None, Interval(Real, 0, None, closed="neither")],
        "dtype": _DTYPES,
        "copy": ["boolean"],
    }

    def __init__(self, *, quantile_range=(25.0, 75.0), clip=3.0, dtype=None, copy=True):
        self.quantile_range = quantile_range
        self.clip = clip
        self.dtype = dtype
        self.copy = copy

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute the median and scale of each feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data; NaN values are ignored.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the median and the quantiles: integer
            weights give the statistics of the rows repeated that many times,
            and rows of weight 0 are left out (the range too).

        Returns
        -------
        self : object
            Fitted scaler.
        """
        q_min, q_max = self.quantile_range
        if not 0 < q_min < q_max < 100:
            raise ValueError(
                f"quantile_range must satisfy 0 < q_min < q_max < 100; got {self.quantile_range}."
            )
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")
        Xd = X.astype(np.float64, copy=False)
        percentiles = [q_min, 50.0, q_max]
        if sample_weight is not None:
            sample_weight = _check_weights(sample_weight, X)
            low, center, high = _weighted_percentiles(Xd, percentiles, sample_weight)
            Xd = Xd[sample_weight > 0]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            # An all-NaN feature is handled below.
            warnings.filterwarnings("ignore", message="All-NaN slice", category=RuntimeWarning)
            if sample_weight is None:
                low, center, high = np.nanpercentile(Xd, percentiles, axis=0)
            half_range = (np.nanmax(Xd, axis=0) - np.nanmin(Xd, axis=0)) / 2
        scale = high - low
        scale = np.where(scale > 0, scale, half_range)
        # A constant (or all-NaN) feature: any positive scale maps it to 0 (or NaN).
        scale = np.where(scale > 0, scale, 1.0)
        self.center_ = np.where(np.isnan(center), 0.0, center)
        self.scale_ = scale
        return self

    def transform(self, X):
        """Centre, scale and smoothly clip X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to transform.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features)
            The transformed data, in ``(-clip, clip)`` (NaN stays NaN).
        """
        X, dtype = self._fitted_input(X)
        Z = X.astype(dtype, copy=self.copy or X.dtype != dtype)
        Z -= self.center_.astype(dtype)
        Z /= self.scale_.astype(dtype)
        if self.clip is not None:
            c = dtype.type(self.clip)
            Z /= np.sqrt(1 + (Z / c) ** 2)
        return Z

    def _fitted_input(self, X):
        """X checked against the fit (NaN allowed), and the output's dtype."""
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
            copy=False,
        )
        return X, _output_dtype(self.dtype, X)

    def inverse_transform(self, X):
        """Undo the transform: values at or beyond ``±clip`` map to ``±inf``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Transformed data.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The data in the original units.
        """
        X, dtype = self._fitted_input(X)
        Z = X.astype(dtype, copy=True)
        if self.clip is not None:
            c = dtype.type(self.clip)
            with np.errstate(divide="ignore", invalid="ignore"):
                inside = np.abs(Z) < c
                Z = np.where(
                    inside, Z / np.sqrt(np.maximum(1 - (Z / c) ** 2, 0)), np.sign(Z) * np.inf
                )
                Z = np.where(np.isnan(X), np.nan, Z).astype(dtype, copy=False)
        Z *= self.scale_.astype(dtype)
        Z += self.center_.astype(dtype)
        return Z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class PiecewiseLinearEncoder(TransformerMixin, BaseEstimator):
    """Encode each numeric feature piecewise-linearly on its quantile bins.

    A feature with bin edges ``b_0 < b_1 < ... < b_T`` becomes ``T`` columns.
    Column ``t`` is 0 below bin ``t``, 1 above it and rises linearly inside
    it: ``(x - b_{t-1}) / (b_t - b_{t-1})`` clipped to ``[0, 1]``, except that
    the first column is not clipped below and the last not above, so values
    outside the training range extrapolate linearly. The encoding is a
    thermometer code with a ramp; a network's first layer then sees a
    piecewise-linear function of each feature, which "On Embeddings for
    Numerical Features in Tabular Deep Learning" (Gorishniy et al., 2022)
    found to help multi-layer perceptrons on tabular data.

    Edges are the feature's quantiles (``strategy='quantile'``) or evenly
    spaced between its minimum and maximum (``strategy='uniform'``);
    repeated edges are merged, so a feature with few distinct values gets
    fewer bins, and a constant feature gets one column of zeros.

    Parameters
    ----------
    n_bins : int, default=8
        The largest number of bins (columns) per feature. Must be at least 1;
        ``n_bins=1`` gives a min-max scaling of the feature.

    strategy : {'quantile', 'uniform'}, default='quantile'
        How the bin edges are placed.

    subsample : int or None, default=200_000
        Largest number of rows, drawn at random, used to compute quantiles.
        ``None`` uses all rows.

    dtype : {np.float32, np.float64} or None, default=None
        The output's dtype. ``None`` keeps float32 input in float32 and gives
        float64 otherwise.

    random_state : int, RandomState instance or None, default=None
        Draws the subsample; pass an int for reproducible edges when
        ``subsample`` is smaller than the number of rows.

    Attributes
    ----------
    bin_edges_ : ndarray of ndarray of shape (n_features,)
        The edges of each feature's bins, ``n_bins_[j] + 1`` increasing values
        (two equal values for a constant feature).

    n_bins_ : ndarray of shape (n_features,), dtype=np.int64
        Number of bins, and output columns, of each feature.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.KBinsDiscretizer : One-hot or ordinal bins, no ramp.
    sklearn.preprocessing.SplineTransformer : Smooth piecewise polynomials.
    SmoothClipScaler : Robust scaling with smooth clipping.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.preprocessing import PiecewiseLinearEncoder
    >>> X = np.arange(10.0).reshape(-1, 1)
    >>> enc = PiecewiseLinearEncoder(n_bins=3).fit(X)
    >>> enc.bin_edges_[0]
    array([0., 3., 6., 9.])
    >>> enc.transform([[1.5], [4.5], [12.0]])
    array([[0.5, 0. , 0. ],
           [1. , 0.5, 0. ],
           [1. , 1. , 2. ]])
    """

    _parameter_constraints: dict = {
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"quantile", "uniform"})],
        "subsample": [None, Interval(Integral, 1, None, closed="left")],
        "dtype": _DTYPES,
        "random_state": ["random_state"],
    }

    def __init__(
        self, n_bins=8, *, strategy="quantile", subsample=200_000, dtype=None, random_state=None
    ):
        self.n_bins = n_bins
        self.strategy = strategy
        self.subsample = subsample
        self.dtype = dtype
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute the bin edges of each feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the quantiles: integer weights give the
            edges of the rows repeated that many times, and rows of weight 0
            are left out (of the minimum and maximum too). With a subsample,
            the rows are drawn as without weights and keep theirs.

        Returns
        -------
        self : object
            Fitted encoder.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        if sample_weight is not None:
            sample_weight = _check_weights(sample_weight, X)
        if self.subsample is not None and X.shape[0] > self.subsample:
            rows = check_random_state(self.random_state).choice(
                X.shape[0], self.subsample, replace=False
            )
            X = X[rows]
            sample_weight = None if sample_weight is None else sample_weight[rows]
        Xd = X.astype(np.float64, copy=False)
        if self.strategy == "quantile":
            if sample_weight is None:
                edges = np.quantile(Xd, np.linspace(0, 1, self.n_bins + 1), axis=0).T
            else:
                percentiles = np.linspace(0, 100, self.n_bins + 1)
                edges = _weighted_percentiles(Xd, percentiles, sample_weight).T
        else:
            if sample_weight is not None:
                Xd = Xd[sample_weight > 0]
            low, high = Xd.min(axis=0), Xd.max(axis=0)
            edges = np.linspace(low, high, self.n_bins + 1).T
        bin_edges = np.empty(X.shape[1], dtype=object)
        for j, e in enumerate(edges):
            e = np.unique(e)
            bin_edges[j] = e if e.size > 1 else np.array([e[0], e[0]])
        self.bin_edges_ = bin_edges
        self.n_bins_ = np.array([e.size - 1 for e in bin_edges], dtype=np.int64)
        return self

    def transform(self, X):
        """Encode X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        X_enc : ndarray of shape (n_samples, n_features_out)
            The encoding, the columns of each feature in turn
            (``n_features_out`` is the sum of ``n_bins_``).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32], copy=False)
        dtype = _output_dtype(self.dtype, X)
        out = np.empty((X.shape[0], int(self.n_bins_.sum())), dtype=dtype)
        start = 0
        for j, edges in enumerate(self.bin_edges_):
            stop = start + edges.size - 1
            left = edges[:-1].astype(dtype)
            width = np.diff(edges).astype(dtype)
            width[width == 0] = 1  # a constant feature: one column, 0 at its value
            block = out[:, start:stop]
            np.subtract(X[:, j : j + 1].astype(dtype, copy=False), left, out=block)
            block /= width
            if block.shape[1] > 1:
                np.maximum(block[:, 1:], 0, out=block[:, 1:])
                np.minimum(block[:, :-1], 1, out=block[:, :-1])
            start = stop
        return out

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``feature_names_in_`` (or ``x0``, ``x1``,
            ...) when None.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``<feature>_bin<t>`` for each feature and each of its bins.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.asarray(
            [f"{name}_bin{t}" for name, n in zip(names, self.n_bins_) for t in range(n)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
