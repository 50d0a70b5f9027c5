"""TabularMLPClassifier and TabularMLPRegressor: mixed-type frames, column typing, conventions."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp import MLPClassifier, MLPRegressor, TabularMLPClassifier, TabularMLPRegressor

pd = pytest.importorskip("pandas")


@parametrize_with_checks(
    [
        TabularMLPClassifier(hidden_layer_sizes=(32, 32), max_iter=20),
        TabularMLPRegressor(hidden_layer_sizes=(32, 32), max_iter=20),
        TabularMLPClassifier(hidden_layer_sizes=(16,), numeric_encoding="scale"),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _frame(n=600, seed=0):
    """A mixed-type table whose label depends on a numeric, a string and a category column."""
    rng = np.random.RandomState(seed)
    income = rng.lognormal(10, 1, n)
    city = rng.choice(["Paris", "Oslo", "Rome"], n).astype(object)
    plan = pd.Categorical(rng.choice(["basic", "pro"], n))
    score = np.log(income) - 10 + (city == "Oslo") * 1.5 - (plan == "pro") * 1.0
    income[rng.rand(n) < 0.1] = np.nan
    city[rng.rand(n) < 0.1] = None
    X = pd.DataFrame(
        {
            "income": income,
            "city": city,
            "plan": plan,
            "member": rng.rand(n) < 0.5,
            "age": rng.randint(18, 80, n),
        }
    )
    return X, (score > 0.2).astype(int), score


def test_a_mixed_type_frame_with_missing_values_just_works():
    X, y, _ = _frame()
    clf = TabularMLPClassifier(random_state=0).fit(X[:500], y[:500])
    assert_array_equal(clf.is_categorical_, [False, True, True, True, False])
    assert clf.score(X[500:], y[500:]) > 0.85
    proba = clf.predict_proba(X[500:])
    assert proba.shape == (100, 2) and np.all(np.isfinite(proba))
    assert_allclose(np.exp(clf.predict_log_proba(X[500:])), proba, rtol=1e-6)
    # The network trained in float32 on the preprocessing's float32 output.
    assert clf.mlp_.coefs_[0].dtype == np.float32
    assert clf.preprocessor_.transform(X).dtype == np.float32
    assert clf.n_iter_ == clf.mlp_.n_iter_


def test_unseen_and_missing_categories_at_predict_time():
    X, y, _ = _frame()
    clf = TabularMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    new = X[:3].copy()
    new["city"] = ["Lima", None, np.nan]
    new["plan"] = pd.Categorical(["enterprise", "basic", None])
    new["income"] = [np.nan, 1e12, -5.0]
    assert np.all(np.isfinite(clf.predict_proba(new)))


def test_category_values_become_one_string_each_whatever_their_type():
    # Each distinct value is one category, named by str(value); 1, 1.0 and
    # True stay three; None, NaN and pd.NA are one missing category, in a
    # pandas categorical column as in an object column or array.
    values = [1, 1.0, True, "x", None, np.nan, pd.NA, 2.5, "x", 1]
    X = pd.DataFrame(
        {
            "mixed": pd.Series(values, dtype=object),
            "plan": pd.Categorical(["u", None, "v", "u", "v", None, "u", "u", "v", "u"]),
            "flag": pd.array([True, False, None, True, False, True, False, True, False, True]),
        }
    )
    y = np.arange(10) % 2
    expected = {
        "mixed": {"1", "1.0", "True", "x", "2.5", "<missing>"},
        "plan": {"u", "v", "<missing>"},
        "flag": {"True", "False", "<missing>"},
    }
    for data in (X, X.to_numpy()):
        clf = TabularMLPClassifier(categorical_features=[0, 1, 2], max_iter=2).fit(data, y)
        one_hot = clf.preprocessor_.named_transformers_["categorical"]["one_hot"]
        for categories, names in zip(one_hot.categories_, expected.values(), strict=True):
            assert set(categories) == names
        codes = clf.preprocessor_.transform(data)
        assert_array_equal(codes, clf.preprocessor_.transform(data.copy()))
        # Rows with the same value get the same one-hot columns, the others do not.
        assert not np.array_equal(codes[0], codes[1]) and np.array_equal(codes[0], codes[9])


def test_categorical_features_by_name_index_and_mask_agree():
    X, y, _ = _frame()
    X = X.drop(columns="plan")
    X["member"] = X["member"].astype(int)  # a number column to be declared categorical
    X["city"] = X["city"].fillna("unknown")
    fits = [
        TabularMLPClassifier(categorical_features=spec, max_iter=3, random_state=0).fit(X, y)
        for spec in (["city", "member"], [1, 2], [False, True, True, False])
    ]
    for clf in fits:
        assert_array_equal(clf.is_categorical_, [False, True, True, False])
        assert_allclose(clf.predict_proba(X), fits[0].predict_proba(X))
    none = TabularMLPClassifier(categorical_features=None, max_iter=3).fit(
        X.drop(columns="city"), y
    )
    assert not none.is_categorical_.any()


def test_arrays_are_numeric_unless_told_otherwise():
    X, y, _ = _frame()
    numbers = X[["income", "age"]].to_numpy()
    clf = TabularMLPClassifier(max_iter=3, random_state=0).fit(numbers, y)
    assert not clf.is_categorical_.any()
    with pytest.raises(ValueError, match="could not convert string to float"):
        TabularMLPClassifier(max_iter=3).fit(X.to_numpy(), y)
    mixed = X[["income", "city"]].to_numpy()
    clf = TabularMLPClassifier(categorical_features=[1], max_iter=3).fit(mixed, y)
    assert_array_equal(clf.is_categorical_, [False, True])


@pytest.mark.parametrize(
    "spec, message",
    [
        (["nope"], "unknown columns"),
        ([7], r"indices must be in \[-5, 4\]"),
        ([True, False], "boolean mask must have shape"),
        ([0.5], "column indices, column names or booleans"),
        ([[0, 1]], "1-dimensional"),
    ],
)
def test_invalid_categorical_features(spec, message):
    X, y, _ = _frame(n=50)
    with pytest.raises(ValueError, match=message):
        TabularMLPClassifier(categorical_features=spec, max_iter=1).fit(X, y)


def test_names_need_a_frame():
    X, y, _ = _frame(n=50)
    with pytest.raises(ValueError, match="X has no feature names"):
        TabularMLPClassifier(categorical_features=["city"], max_iter=1).fit(X.to_numpy(), y)


def test_the_regressor_learns_the_standardised_target_and_answers_in_its_units():
    X, _, score = _frame()
    reg = TabularMLPRegressor(random_state=0).fit(X[:500], 1e5 * score[:500] + 3e5)
    assert_allclose(reg.y_mean_, [np.mean(1e5 * score[:500] + 3e5)])
    assert reg.score(X[500:], 1e5 * score[500:] + 3e5) > 0.8
    small = TabularMLPRegressor(random_state=0).fit(X[:500], score[:500])
    # The same standardised problem: predictions scale with the target.
    assert_allclose(reg.predict(X[500:]), 1e5 * small.predict(X[500:]) + 3e5, rtol=1e-4)


def test_the_regressor_takes_several_outputs():
    X, _, score = _frame()
    Y = np.c_[score, -2 * score + 10]
    reg = TabularMLPRegressor(max_iter=20, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (len(X), 2)
    assert reg.score(X, Y) > 0.8


def test_the_network_gets_the_recipe_parameters():
    X, y, score = _frame(n=200)
    clf = TabularMLPClassifier(
        hidden_layer_sizes=(8, 4), activation="gelu", dropout=0.3, weight_decay=0.01,
        learning_rate_init=0.01, batch_size=32, max_iter=4, label_smoothing=0.2,
        early_stopping=True, validation_fraction=0.25, n_iter_no_change=2, random_state=3,
    ).fit(X, y)  # fmt: skip
    mlp = clf.mlp_
    assert isinstance(mlp, MLPClassifier)
    assert (mlp.hidden_layer_sizes, mlp.activation, mlp.dropout) == ((8, 4), "gelu", 0.3)
    assert (mlp.alpha, mlp.learning_rate_init, mlp.batch_size) == (0.01, 0.01, 32)
    assert (mlp.solver, mlp.learning_rate, mlp.beta_2, mlp.label_smoothing) == (
        "adamw",
        "cosine",
        0.95,
        0.2,
    )
    assert mlp.early_stopping and mlp.validation_fraction == 0.25
    assert isinstance(TabularMLPRegressor(max_iter=2).fit(X, score).mlp_, MLPRegressor)


def test_auto_early_stopping_and_batch_size_follow_the_training_set_size():
    X, y, _ = _frame(n=5000)
    small = TabularMLPClassifier(max_iter=1).fit(X[:999], y[:999]).mlp_
    assert not small.early_stopping and small.batch_size == 999 // 16
    large = TabularMLPClassifier(max_iter=1).fit(X, y).mlp_
    assert large.early_stopping and large.batch_size == 256
    assert large.validation_fraction == 0.2
    tiny = TabularMLPClassifier(max_iter=1).fit(X[:100], y[:100]).mlp_
    assert tiny.batch_size == 16
    with warnings.catch_warnings():
        # No "batch_size larger than sample size" warning.
        warnings.filterwarnings("error", message=".*batch_size.*", category=UserWarning)
        fewer = TabularMLPClassifier(max_iter=1).fit(X[:10], y[:10]).mlp_
    assert fewer.batch_size == 10


def test_early_stopping_scores_the_classifier_by_log_loss_and_the_regressor_by_r2():
    X, y, score = _frame(n=1500)
    clf = TabularMLPClassifier(max_iter=6, random_state=0).fit(X, y)
    mlp = clf.mlp_
    assert mlp.early_stopping and mlp.scoring == "neg_log_loss"
    assert len(mlp.validation_scores_) == mlp.n_iter_
    assert all(value < 0 for value in mlp.validation_scores_)  # minus a log-loss
    assert mlp.best_validation_score_ == max(mlp.validation_scores_)
    accuracy = TabularMLPClassifier(max_iter=6, scoring=None, random_state=0).fit(X, y).mlp_
    assert accuracy.scoring is None
    assert all(0 <= value <= 1 for value in accuracy.validation_scores_)
    reg = TabularMLPRegressor(max_iter=3, random_state=0).fit(X, score).mlp_
    assert reg.scoring is None
    chosen = TabularMLPRegressor(max_iter=3, scoring="neg_mean_absolute_error", random_state=0)
    assert chosen.fit(X, score).mlp_.scoring == "neg_mean_absolute_error"
    with pytest.raises(ValueError, match="scoring"):
        TabularMLPClassifier(scoring="no_such_scorer").fit(X, y)


def test_numeric_encoding_adds_the_bins():
    X, y, _ = _frame()
    scaled = TabularMLPClassifier(numeric_encoding="scale", max_iter=2).fit(X, y)
    binned = TabularMLPClassifier(n_bins=4, max_iter=2).fit(X, y)
    names = binned.preprocessor_.get_feature_names_out()
    assert any(name.endswith("income_bin3") for name in names)
    n_numeric = len(scaled.preprocessor_.get_feature_names_out()) - sum(
        name.startswith("categorical__") for name in names
    )
    assert len(names) > len(scaled.preprocessor_.get_feature_names_out()) >= n_numeric


def test_max_categories_pools_rare_categories():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"id": rng.randint(0, 200, 1000).astype(str), "x": rng.rand(1000)})
    y = rng.randint(0, 2, 1000)
    clf = TabularMLPClassifier(max_categories=10, max_iter=1).fit(X, y)
    names = clf.preprocessor_.get_feature_names_out()
    assert sum(name.startswith("categorical__id") for name in names) == 10


def test_search_pipeline_and_pickle():
    X, y, _ = _frame(n=300)
    search = GridSearchCV(
        TabularMLPClassifier(max_iter=3, random_state=0),
        {"hidden_layer_sizes": [(16,), (32, 16)], "numeric_encoding": ["scale"]},
        cv=2,
    ).fit(X, y)
    best = search.best_estimator_
    again = pickle.loads(pickle.dumps(best))
    assert_array_equal(again.predict_proba(X), best.predict_proba(X))


def test_feature_names_are_checked_at_predict_time():
    X, y, _ = _frame(n=100)
    clf = TabularMLPClassifier(max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X[["age", "income", "city", "plan", "member"]])


def _float64_forward(mlp, X):
    """The relu or silu network's output from its (float32) arrays, in float64 with NumPy/SciPy."""
    hidden = {"relu": lambda Z: np.maximum(Z, 0), "silu": lambda Z: Z * expit(Z)}[mlp.activation]
    A = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        Z = A @ W.astype(np.float64)
        last = i == len(mlp.coefs_) - 1
        if not last and getattr(mlp, "batch_norm_scales_", None) is not None:
            mean = mlp.batch_norm_means_[i].astype(np.float64)
            var = mlp.batch_norm_vars_[i].astype(np.float64)
            Z = (Z - mean) / np.sqrt(var + 1e-5) * mlp.batch_norm_scales_[i].astype(np.float64)
        Z += b.astype(np.float64)
        A = Z if last else hidden(Z)
    return A


def test_the_float32_network_is_evaluated_in_float64():
    # float32 matrix products may round a row differently by its position in
    # the block (OpenBLAS's Haswell kernel does), beyond scikit-learn's
    # sample-order tolerance; evaluated in float64, the rounding is 1e-16.
    X, y, score = _frame()
    clf = TabularMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    reg = TabularMLPRegressor(max_iter=5, random_state=0).fit(X, score)
    assert clf.mlp_.coefs_[0].dtype == reg.mlp_.coefs_[0].dtype == np.float32
    Xt = clf.preprocessor_.transform(X)
    positive = 1 / (1 + np.exp(-_float64_forward(clf.mlp_, Xt).ravel()))  # logistic output
    assert_allclose(clf.predict_proba(X), np.c_[1 - positive, positive], rtol=1e-12)
    expected = _float64_forward(reg.mlp_, reg.preprocessor_.transform(X)).ravel()
    assert_allclose(reg.predict(X), expected * reg.y_scale_ + reg.y_mean_, rtol=1e-12)
    order = np.random.RandomState(0).permutation(len(X))
    assert_allclose(clf.predict_proba(X.iloc[order]), clf.predict_proba(X)[order], rtol=1e-12)


def test_a_float32_network_evaluated_in_float64_keeps_its_batch_norm():
    X, y, _ = _frame()
    Xt = TabularMLPClassifier().fit(X[:50], y[:50]).preprocessor_.transform(X)
    mlp = MLPRegressor(hidden_layer_sizes=(8, 8), batch_norm=True, max_iter=5, random_state=0)
    mlp.fit(Xt, y.astype(float))
    assert mlp.coefs_[0].dtype == np.float32
    expected = _float64_forward(mlp, Xt).ravel()
    assert_allclose(mlp._predict(Xt, dtype=np.float64), expected, rtol=1e-12)
    assert mlp.predict(Xt).dtype == np.float32  # the public path keeps the model's precision


def test_an_ensemble_of_seeds_through_scikit_learns_voting_estimators():
    # The user guide's ensemble: recipes with different seeds, averaged.
    from sklearn.ensemble import VotingClassifier, VotingRegressor

    X, y, score = _frame()
    members = [(f"seed{s}", TabularMLPClassifier(max_iter=3, random_state=s)) for s in (0, 1)]
    vote = VotingClassifier(members, voting="soft").fit(X, y)
    fitted = [TabularMLPClassifier(max_iter=3, random_state=s).fit(X, y) for s in (0, 1)]
    mean = np.mean([m.predict_proba(X) for m in fitted], axis=0)
    assert_allclose(vote.predict_proba(X), mean, rtol=1e-12)
    regressors = [(f"seed{s}", TabularMLPRegressor(max_iter=3, random_state=s)) for s in (0, 1)]
    vote = VotingRegressor(regressors).fit(X, score)
    fitted = [TabularMLPRegressor(max_iter=3, random_state=s).fit(X, score) for s in (0, 1)]
    assert_allclose(vote.predict(X), np.mean([m.predict(X) for m in fitted], axis=0), rtol=1e-12)
