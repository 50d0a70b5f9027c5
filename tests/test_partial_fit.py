"""partial_fit's fast path: plain chunks skip validate_data and reuse the call's arrays.

Streams call ``partial_fit`` once per chunk, so a plain float array with
integer labels (or float targets) is checked directly and the workspaces are
kept between calls. Nothing may differ from the full path: not the trained
weights, not the errors, not the fitted state.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, make_regression

from skmlp import MLPClassifier, MLPRegressor
from skmlp._base import _GENERATORS, _all_finite
from skmlp._engine.workspaces import _KEPT

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = X_DIGITS / 16.0


def _stream(est, X, y, chunk=100, labels_as_lists=False, **first):
    """``partial_fit`` over the chunks; lists of labels go through validate_data (the full path)."""
    for start in range(0, X.shape[0], chunk):
        y_chunk = y[start : start + chunk]
        est.partial_fit(
            X[start : start + chunk], y_chunk.tolist() if labels_as_lists else y_chunk, **first
        )
        first = {}
    return est


def _assert_same_weights(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(u, v)


@pytest.mark.parametrize("n_classes", [2, 10])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_plain_chunks_train_exactly_like_validated_ones(n_classes, dtype):
    mask = Y_DIGITS < n_classes
    X, y = X_DIGITS[mask][:600].astype(dtype), Y_DIGITS[mask][:600]
    classes = np.arange(n_classes)
    fast = _stream(MLPClassifier((16,), random_state=0), X, y, classes=classes)
    slow = _stream(
        MLPClassifier((16,), random_state=0), X, y, labels_as_lists=True, classes=classes
    )
    unsigned = _stream(MLPClassifier((16,), random_state=0), X, y.astype(np.uint8), classes=classes)
    assert fast.coefs_[0].dtype == slow.coefs_[0].dtype == unsigned.coefs_[0].dtype == dtype
    for other in (slow, unsigned):
        _assert_same_weights(fast, other)
        assert fast.loss_curve_ == other.loss_curve_


def test_plain_regression_chunks_train_exactly_like_validated_ones():
    X, y = make_regression(600, 10, random_state=0)
    y = y / y.std()
    fast = _stream(MLPRegressor(hidden_layer_sizes=(16,), random_state=0), X, y)
    slow = _stream(
        MLPRegressor(hidden_layer_sizes=(16,), random_state=0), X, y, labels_as_lists=True
    )
    _assert_same_weights(fast, slow)


@pytest.mark.parametrize("labels", ["shifted", "negative", "gapped"])
def test_plain_labels_other_than_0_to_k_train_exactly_like_validated_ones(labels):
    # Classes that are not 0..k-1 take the search for each label's code.
    X, y = X_DIGITS[:600], Y_DIGITS[:600] % 3
    y = {"shifted": y + 5, "negative": y - 1, "gapped": y * 4}[labels]
    classes = np.unique(y)
    fast = _stream(MLPClassifier((16,), random_state=0), X, y, classes=classes)
    slow = _stream(
        MLPClassifier((16,), random_state=0), X, y, labels_as_lists=True, classes=classes
    )
    _assert_same_weights(fast, slow)
    with pytest.raises(ValueError, match="classes not in `self.classes_`"):
        fast.partial_fit(X[:50], np.full(50, classes.max() + 1))


@pytest.mark.parametrize("label", [-1, 3])
def test_plain_labels_out_of_0_to_k_are_refused(label):
    clf = MLPClassifier((8,), random_state=0).partial_fit(
        X_DIGITS[:50], Y_DIGITS[:50] % 3, classes=[0, 1, 2]
    )
    y = Y_DIGITS[:50] % 3
    y[7] = label
    with pytest.raises(ValueError, match="classes not in `self.classes_`"):
        clf.partial_fit(X_DIGITS[:50], y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "big-endian"])
@pytest.mark.parametrize("value", [0.5, np.nan, np.inf, -np.inf, "max", "tiny"])
def test_all_finite_agrees_with_numpy(dtype, layout, value):
    a = np.random.RandomState(0).standard_normal((30, 7)).astype(dtype)
    info = np.finfo(dtype)
    a[29, 6] = {"max": info.max, "tiny": info.smallest_subnormal}.get(value, value)
    a = {
        "C": a,
        "F": np.asfortranarray(a),
        "strided": a[:, ::2],
        "big-endian": a.astype(a.dtype.newbyteorder(">")),
    }[layout]
    assert _all_finite(a) == bool(np.isfinite(a).all())
    assert _all_finite(a[:0]) is True


def test_plain_chunks_keep_validation_errors():
    clf = MLPClassifier((8,), random_state=0).partial_fit(
        X_DIGITS[:50], Y_DIGITS[:50] % 3, classes=[0, 1, 2]
    )
    with pytest.raises(ValueError, match="classes not in `self.classes_`"):
        clf.partial_fit(X_DIGITS[:50], Y_DIGITS[:50])
    bad = X_DIGITS[:50].copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.partial_fit(bad, Y_DIGITS[:50] % 3)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X_DIGITS[:50, :10], Y_DIGITS[:50] % 3)
    reg = MLPRegressor(hidden_layer_sizes=(8,), random_state=0).partial_fit(
        X_DIGITS[:50], Y_DIGITS[:50] * 1.0
    )
    with pytest.raises(ValueError, match="NaN|infinity"):
        reg.partial_fit(X_DIGITS[:50], np.full(50, np.inf))
    # Finite values whose sum overflows are still accepted.
    huge = np.full((50, X_DIGITS.shape[1]), np.finfo(np.float64).max / 10)
    assert reg._is_plain_input(huge)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_chunk_found_by_the_epoch_is_refused_and_undone(Estimator, where, value):
    # The fast path leaves the test of the values to the epoch's gathering
    # pass: the epoch is undone and scikit-learn's error raised, and the
    # stream continues exactly as if the bad chunk had never been passed.
    X, y = X_DIGITS[:300], Y_DIGITS[:300] % 3
    if Estimator is MLPRegressor:
        y = y.astype(np.float64)
    elif where == "y":
        pytest.skip("class labels are never non-finite floats on the fast path")
    first = {"classes": [0, 1, 2]} if Estimator is MLPClassifier else {}
    params = dict(hidden_layer_sizes=(16,), random_state=0, batch_size=50)
    bad_X, bad_y = X[100:200].copy(), y[100:200].copy()
    (bad_X if where == "X" else bad_y)[77 if where == "y" else (77, 5)] = value
    est = Estimator(**params).partial_fit(X[:100], y[:100], **first)
    before = pickle.dumps(est)
    message = "Input %s contains (NaN|infinity)" % where
    with pytest.raises(ValueError, match=message):
        est.partial_fit(bad_X, bad_y)
    assert pickle.dumps(est) == before
    est.partial_fit(X[200:], y[200:])
    clean = Estimator(**params).partial_fit(X[:100], y[:100], **first).partial_fit(X[200:], y[200:])
    _assert_same_weights(est, clean)
    assert est.loss_curve_ == clean.loss_curve_


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_float64_values_beyond_a_float32_model_are_refused():
    est = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    est.partial_fit(X_DIGITS[:50].astype(np.float32), Y_DIGITS[:50] * 1.0)
    X = X_DIGITS[:50].copy()
    X[3, 3] = 1e300  # finite in float64, infinite in the model's float32
    with pytest.raises(ValueError, match="infinity or a value too large for dtype\\('float32'\\)"):
        est.partial_fit(X, Y_DIGITS[:50] * 1.0)


def test_kept_workspaces_are_reused_and_not_part_of_the_model():
    est = MLPClassifier((16,), random_state=0).partial_fit(
        X_DIGITS[:200], Y_DIGITS[:200], classes=range(10)
    )
    keys = set(est.__getstate__())
    kept = _KEPT[est]
    est.partial_fit(X_DIGITS[200:400], Y_DIGITS[200:400])
    assert _KEPT[est] is kept  # the same arrays for the next chunk
    assert not any(value is kept[1] for value in vars(est).values())
    assert set(est.__getstate__()) == keys  # nothing extra pickled
    assert pickle.loads(pickle.dumps(est)) not in _KEPT
    # Another batch size needs other workspaces.
    est.set_params(batch_size=50).partial_fit(X_DIGITS[:200], Y_DIGITS[:200])
    assert _KEPT[est] is not kept
    # A plain fit keeps nothing beyond its call.
    fitted = MLPClassifier((16,), max_iter=2, random_state=0).fit(X_DIGITS, Y_DIGITS)
    assert fitted not in _KEPT


def _reference_stream(X, y, seed, chunk=100):
    """What a call that creates ``RandomState(seed)`` afresh every time would train."""
    est = MLPClassifier(hidden_layer_sizes=(16,), random_state=seed, max_iter=1)
    classes = np.unique(y)
    for start in range(0, X.shape[0], chunk):
        _GENERATORS.pop(est, None)  # no generator to reseed: a new RandomState(seed)
        est.partial_fit(X[start : start + chunk], y[start : start + chunk], classes=classes)
    return est


def test_an_int_seed_reseeds_the_estimators_own_generator_every_call():
    seeded = _stream(
        MLPClassifier(hidden_layer_sizes=(16,), random_state=3),
        X_DIGITS[:500], Y_DIGITS[:500], classes=np.unique(Y_DIGITS),
    )  # fmt: skip
    reference = _reference_stream(X_DIGITS[:500], Y_DIGITS[:500], 3)
    assert_array_equal(seeded._params, reference._params)
    # Two generators alternate; the one the model holds is not the one a call reseeds.
    pair = _GENERATORS[seeded]
    assert len(pair) == 2 and any(rng is seeded._random_state for rng in pair)


def test_a_generator_that_is_not_the_estimators_own_is_never_reseeded():
    user = np.random.RandomState(0)
    est = MLPClassifier(hidden_layer_sizes=(16,), random_state=user)
    est.partial_fit(X_DIGITS[:100], Y_DIGITS[:100], classes=np.unique(Y_DIGITS))
    key, position = user.get_state()[1].copy(), user.get_state()[2]
    est.partial_fit(X_DIGITS[100:200], Y_DIGITS[100:200])
    # The user's generator went on from where it was, and is not the estimator's own.
    after_key, after_position = user.get_state()[1], user.get_state()[2]
    assert after_position != position or not np.array_equal(after_key, key)
    assert est._random_state is user and est not in _GENERATORS
    # From None (the global generator) to an int between calls: the global one is untouched.
    est.set_params(random_state=None)
    est.partial_fit(X_DIGITS[:100], Y_DIGITS[:100])
    before = np.random.get_state()
    est.set_params(random_state=5)
    est.partial_fit(X_DIGITS[:100], Y_DIGITS[:100])
    after = np.random.get_state()
    assert_array_equal(after[1], before[1])
    assert after[2] == before[2]
    assert est._random_state is not np.random.mtrand._rand
    assert any(rng is est._random_state for rng in _GENERATORS[est])


def test_a_failing_call_with_an_int_seed_still_trains_the_same_afterwards():
    est = MLPClassifier(hidden_layer_sizes=(16,), random_state=1)
    est.partial_fit(X_DIGITS[:100], Y_DIGITS[:100], classes=np.unique(Y_DIGITS))
    twin = pickle.loads(pickle.dumps(est))
    with pytest.raises(ValueError):
        est.partial_fit(X_DIGITS[:100, :10], Y_DIGITS[:100])  # wrong number of features
    est.partial_fit(X_DIGITS[100:200], Y_DIGITS[100:200])
    twin.partial_fit(X_DIGITS[100:200], Y_DIGITS[100:200])
    assert_array_equal(est._params, twin._params)
