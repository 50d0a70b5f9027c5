"""SmoothClipScaler and PiecewiseLinearEncoder: the definitions, edge cases and conventions."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp.preprocessing import PiecewiseLinearEncoder, SmoothClipScaler


@parametrize_with_checks(
    [
        SmoothClipScaler(),
        SmoothClipScaler(clip=None, quantile_range=(10.0, 90.0)),
        PiecewiseLinearEncoder(),
        PiecewiseLinearEncoder(n_bins=3, strategy="uniform"),
    ]
)
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)


def _heavy_tailed(n=500, d=4, seed=0):
    rng = np.random.RandomState(seed)
    return rng.standard_cauchy((n, d)) * [1, 10, 0.1, 1000] + [0, 5, -3, 1e4]


# ---------------------------------------------------------------- SmoothClipScaler


def test_smooth_clip_is_robust_scaling_then_the_soft_clip():
    X = _heavy_tailed()
    z = RobustScaler().fit_transform(X)
    assert_allclose(SmoothClipScaler().fit_transform(X), z / np.sqrt(1 + (z / 3) ** 2))
    assert_allclose(SmoothClipScaler(clip=None).fit_transform(X), z)
    z = RobustScaler(quantile_range=(10, 90)).fit_transform(X)
    out = SmoothClipScaler(clip=2.0, quantile_range=(10.0, 90.0)).fit_transform(X)
    assert_allclose(out, z / np.sqrt(1 + (z / 2) ** 2))


def test_smooth_clip_bounds_outputs_and_keeps_their_order():
    X = _heavy_tailed()
    out = SmoothClipScaler(clip=3.0).fit_transform(X)
    assert np.abs(out).max() < 3.0
    for j in range(X.shape[1]):
        order = np.argsort(X[:, j], kind="stable")
        assert np.all(np.diff(out[order, j]) >= 0)


def test_smooth_clip_inverse_transform_round_trips():
    X = np.random.RandomState(3).normal(size=(200, 3)) * [1, 100, 0.01]
    scaler = SmoothClipScaler(clip=3.0).fit(X)
    assert_allclose(scaler.inverse_transform(scaler.transform(X)), X, rtol=1e-9, atol=1e-9)
    assert_array_equal(scaler.inverse_transform([[3.0, -3.5, np.nan]]), [[np.inf, -np.inf, np.nan]])


def test_smooth_clip_degenerate_features():
    # Mostly one value: the inter-quartile range is 0, half the full range scales.
    mostly_zero = np.r_[np.zeros(95), np.arange(1.0, 6.0)]
    constant = np.full(100, 7.0)
    X = np.c_[mostly_zero, constant]
    scaler = SmoothClipScaler(clip=None).fit(X)
    assert_allclose(scaler.scale_, [2.5, 1.0])
    out = scaler.transform(X)
    assert_allclose(out[:, 0], mostly_zero / 2.5)
    assert_array_equal(out[:, 1], 0.0)


def test_smooth_clip_ignores_and_keeps_nan():
    X = _heavy_tailed()
    X_nan = X.copy()
    X_nan[::7, 1] = np.nan
    scaler = SmoothClipScaler().fit(X_nan)
    # Column 1's statistics are those of its observed values alone.
    expected = SmoothClipScaler().fit(X[np.arange(len(X)) % 7 != 0, 1:2])
    assert_allclose(scaler.center_[1], expected.center_[0])
    assert_allclose(scaler.scale_[1], expected.scale_[0])
    out = scaler.transform(X_nan)
    assert_array_equal(np.isnan(out), np.isnan(X_nan))
    all_nan = np.c_[np.full(10, np.nan), np.arange(10.0)]
    assert np.isnan(SmoothClipScaler().fit_transform(all_nan)[:, 0]).all()


@pytest.mark.parametrize("Transformer", [SmoothClipScaler, PiecewiseLinearEncoder])
def test_dtype_float32_in_float32_out_and_on_request(Transformer):
    X = _heavy_tailed()
    assert Transformer().fit_transform(X.astype(np.float32)).dtype == np.float32
    assert Transformer().fit_transform(X).dtype == np.float64
    assert Transformer().fit_transform(X.astype(np.int64) % 50).dtype == np.float64
    assert Transformer(dtype=np.float32).fit_transform(X).dtype == np.float32
    assert Transformer(dtype=np.float64).fit_transform(X.astype(np.float32)).dtype == np.float64
    # Same values to float32 rounding (on unit-scale data: float32 loses more on
    # a narrow bin far from zero, as any float32 arithmetic would).
    X = np.random.RandomState(4).normal(size=(300, 3))
    close = Transformer(dtype=np.float32).fit(X)
    assert_allclose(close.transform(X), Transformer().fit(X).transform(X), rtol=1e-5, atol=1e-5)


def test_smooth_clip_rejects_an_invalid_quantile_range():
    for bad in [(75.0, 25.0), (0.0, 50.0), (25.0, 100.0)]:
        with pytest.raises(ValueError, match="quantile_range must satisfy"):
            SmoothClipScaler(quantile_range=bad).fit(_heavy_tailed())


def test_smooth_clip_copy_false_transforms_in_place():
    X = _heavy_tailed()
    scaler = SmoothClipScaler(copy=False).fit(X)
    out = scaler.transform(X)
    assert out is X or np.shares_memory(out, X)
    assert_allclose(out, SmoothClipScaler().fit(_heavy_tailed()).transform(_heavy_tailed()))


# ---------------------------------------------------------------- PiecewiseLinearEncoder


def _ple_reference(x, edges):
    """Gorishniy et al.'s definition, one value at a time."""
    T = len(edges) - 1
    out = []
    for t in range(1, T + 1):
        lo, hi = edges[t - 1], edges[t]
        if x < lo and t > 1:
            out.append(0.0)
        elif x >= hi and t < T:
            out.append(1.0)
        else:
            out.append((x - lo) / (hi - lo))
    return out


def test_piecewise_linear_matches_the_definition():
    rng = np.random.RandomState(0)
    X = np.c_[rng.lognormal(size=400), rng.uniform(-2, 2, 400)]
    enc = PiecewiseLinearEncoder(n_bins=5).fit(X)
    for j in range(2):
        assert_allclose(enc.bin_edges_[j], np.quantile(X[:, j], np.linspace(0, 1, 6)))
    X_new = np.r_[X[:50], [[-100.0, 100.0], [100.0, -100.0]]]  # beyond the training range
    expected = [
        _ple_reference(x0, enc.bin_edges_[0]) + _ple_reference(x1, enc.bin_edges_[1])
        for x0, x1 in X_new
    ]
    assert_allclose(enc.transform(X_new), expected, rtol=1e-12, atol=1e-12)


def test_piecewise_linear_is_a_thermometer_with_a_ramp():
    X = np.random.RandomState(1).normal(size=(300, 1))
    out = PiecewiseLinearEncoder(n_bins=6).fit_transform(X)
    # Inside the training range: every column in [0, 1], ones then one ramp then zeros.
    assert out.min() >= 0 and out.max() <= 1
    assert np.all(np.diff(out, axis=1) <= 0)
    assert np.all(((out > 0) & (out < 1)).sum(axis=1) <= 1)
    # The sum of the columns is monotone in x: the encoding keeps the order.
    order = np.argsort(X[:, 0])
    assert np.all(np.diff(out[order].sum(axis=1)) >= 0)


def test_piecewise_linear_uniform_edges_and_merged_repeats():
    X = np.c_[np.arange(11.0), np.r_[np.zeros(8), [1.0, 2.0, 3.0]], np.full(11, 4.0)]
    enc = PiecewiseLinearEncoder(n_bins=5, strategy="uniform").fit(X)
    assert_allclose(enc.bin_edges_[0], [0, 2, 4, 6, 8, 10])
    quantile = PiecewiseLinearEncoder(n_bins=5).fit(X)
    # Repeated quantiles of a feature with few values are merged into fewer bins.
    assert quantile.n_bins_[1] < 5
    assert np.all(np.diff(quantile.bin_edges_[1]) > 0)
    # A constant feature: one column of zeros.
    assert quantile.n_bins_[2] == 1
    out = quantile.transform(X)
    assert out.shape[1] == quantile.n_bins_.sum()
    assert_array_equal(out[:, -1], 0.0)


def test_piecewise_linear_subsample_draws_quantiles_from_a_sample():
    X = np.random.RandomState(2).exponential(size=(5000, 2))
    full = PiecewiseLinearEncoder(subsample=None).fit(X)
    sub = PiecewiseLinearEncoder(subsample=1000, random_state=0).fit(X)
    again = PiecewiseLinearEncoder(subsample=1000, random_state=0).fit(X)
    assert not np.allclose(full.bin_edges_[0], sub.bin_edges_[0])
    assert_allclose(sub.bin_edges_[0][1:-1], full.bin_edges_[0][1:-1], atol=0.15)
    assert_array_equal(sub.bin_edges_[1], again.bin_edges_[1])


def test_feature_names_and_set_output():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"income": np.arange(20.0), "age": np.r_[np.zeros(10), np.ones(10)]})
    enc = PiecewiseLinearEncoder(n_bins=3).fit(X)
    names = enc.get_feature_names_out()
    assert names.tolist() == ["income_bin0", "income_bin1", "income_bin2", "age_bin0"]
    assert PiecewiseLinearEncoder(n_bins=2).fit(X.values).get_feature_names_out()[0] == "x0_bin0"
    frame = enc.set_output(transform="pandas").transform(X)
    assert list(frame.columns) == names.tolist()
    scaled = SmoothClipScaler().set_output(transform="pandas").fit_transform(X)
    assert list(scaled.columns) == ["income", "age"]
    pipe = make_pipeline(SmoothClipScaler(), PiecewiseLinearEncoder(n_bins=3)).fit(X)
    assert pipe.get_feature_names_out().tolist() == names.tolist()


def test_piecewise_linear_rejects_nan_with_a_clear_error():
    X = np.c_[np.arange(10.0)]
    X[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        PiecewiseLinearEncoder().fit(X)


# ----------------------------------------------------------------------
# Sample weights: integer weights are repeated rows, zero weights no rows


def _weighted_data(seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((80, 3)) * [1.0, 5.0, 0.1] + [0.0, 2.0, -1.0]
    weights = rng.randint(0, 4, size=80).astype(float)
    return X, weights


def test_weighted_percentiles_are_those_of_repeated_rows():
    from skmlp.preprocessing import _weighted_percentiles

    X, weights = _weighted_data()
    X[[3, 7], 1] = np.nan
    repeated = np.repeat(X, weights.astype(int), axis=0)
    percentiles = [0, 5, 25, 50, 62.5, 75, 95, 100]
    expected = np.nanpercentile(repeated, percentiles, axis=0)
    assert_allclose(_weighted_percentiles(X, percentiles, weights), expected, rtol=1e-14)
    # Real weights interpolate between the integer cases.
    halves = _weighted_percentiles(X, [50], weights + 0.5)
    assert np.all(np.isfinite(halves))
    # A column whose weighted values are all NaN gives NaN.
    X[:, 2] = np.where(weights > 0, np.nan, 1.0)
    assert np.isnan(_weighted_percentiles(X, [50], weights)[0, 2])


def test_smooth_clip_sample_weight_is_repetition():
    X, weights = _weighted_data(1)
    weighted = SmoothClipScaler().fit(X, sample_weight=weights)
    repeated = SmoothClipScaler().fit(np.repeat(X, weights.astype(int), axis=0))
    assert_allclose(weighted.center_, repeated.center_, rtol=1e-14)
    assert_allclose(weighted.scale_, repeated.scale_, rtol=1e-14)
    unweighted = SmoothClipScaler().fit(X)
    assert not np.allclose(weighted.center_, unweighted.center_)
    # Unit weights are no weights.
    ones = SmoothClipScaler().fit(X, sample_weight=np.ones(len(X)))
    assert_allclose(ones.center_, unweighted.center_, rtol=1e-14)
    assert_allclose(ones.scale_, unweighted.scale_, rtol=1e-14)


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
def test_piecewise_linear_sample_weight_is_repetition(strategy):
    X, weights = _weighted_data(2)
    encoder = PiecewiseLinearEncoder(n_bins=6, strategy=strategy)
    weighted = clone(encoder).fit(X, sample_weight=weights)
    repeated = clone(encoder).fit(np.repeat(X, weights.astype(int), axis=0))
    for a, b in zip(weighted.bin_edges_, repeated.bin_edges_):
        assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    unweighted = clone(encoder).fit(X)
    assert any(
        a.shape != b.shape or not np.allclose(a, b)
        for a, b in zip(weighted.bin_edges_, unweighted.bin_edges_)
    )


def test_sample_weight_errors():
    X, _ = _weighted_data()
    for transformer in (PiecewiseLinearEncoder(), SmoothClipScaler()):
        with pytest.raises(ValueError, match="non-zero"):
            transformer.fit(X, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="(?i)negative"):
        SmoothClipScaler().fit(X, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError):
        SmoothClipScaler().fit(X, sample_weight=np.ones(3))
