"""What early stopping records on its validation split: ``scoring`` and ``validation_loss_curve_``.

``validation_scores_`` are the values of the given scorer (a name or a
callable), and ``validation_loss_curve_`` the unpenalised validation loss of
each epoch. The validation split is rebuilt here as scikit-learn draws it.
"""

import numpy as np
import pytest
from _data import diabetes, small_digits
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import get_scorer, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer

from skmlp import MLPClassifier, MLPRegressor

# ----------------------------------------------------------------------------
# The validation split, drawn as scikit-learn draws it


def glorot_uniform_draws(rng, layer_units, activation):
    """Advance ``rng`` past scikit-learn's initial weight draws."""
    factor = 2.0 if activation == "logistic" else 6.0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        rng.uniform(-bound, bound, (fan_in, fan_out))
        rng.uniform(-bound, bound, fan_out)
    return rng


def validation_split(X, y, random_state, layer_units, fraction, stratify=None, activation="relu"):
    """(X_val, y_val) of early stopping: drawn right after the initial weights."""
    rng = glorot_uniform_draws(np.random.RandomState(random_state), layer_units, activation)
    _, X_val, _, y_val = train_test_split(
        X, y, random_state=rng, test_size=fraction, stratify=stratify
    )
    return X_val, y_val


# ----------------------------------------------------------------------------
# scoring and validation_loss_curve_ with early stopping


def early_stopping_classifier(max_iter, scoring=None, **params):
    return MLPClassifier(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        validation_fraction=0.3,
        n_iter_no_change=100,
        max_iter=max_iter,
        scoring=scoring,
        learning_rate_init=0.01,
        random_state=0,
        **params,
    )


def digits_validation_split():
    X, y = small_digits()
    return validation_split(X, y, 0, [64, 8, 10], 0.3)  # not stratified, as scikit-learn


@pytest.mark.parametrize("scoring", ["neg_log_loss", "balanced_accuracy"])
def test_validation_scores_are_the_given_scorers_values(scoring):
    X, y = small_digits()
    X_val, y_val = digits_validation_split()
    scorer = get_scorer(scoring)
    # One epoch: the kept model is that epoch's model.
    one = early_stopping_classifier(1, scoring).fit(X, y)
    assert_allclose(one.validation_scores_, [scorer(one, X_val, y_val)], rtol=1e-12)
    # Several epochs: the restored model is the best epoch's, and the curve
    # starts like the one-epoch fit's.
    est = early_stopping_classifier(6, scoring).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_ == 6
    assert est.validation_scores_[0] == one.validation_scores_[0]
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert_allclose(scorer(est, X_val, y_val), est.best_validation_score_, rtol=1e-12)
    # ... which is not the default accuracy
    accuracy = early_stopping_classifier(6).fit(X, y)
    assert est.validation_scores_ != accuracy.validation_scores_


def test_callable_scoring_is_used_for_validation_scores():
    X, y = small_digits()
    X_val, y_val = digits_validation_split()
    returned = []

    def scorer(estimator, X, y, sample_weight=None):
        assert X.shape == X_val.shape
        assert_array_equal(y, y_val)
        # minus the number of errors, minus a distinct offset per call
        value = -float(np.sum(estimator.predict(X) != y)) - 1e-3 * len(returned)
        returned.append(value)
        return value

    est = early_stopping_classifier(4, scorer).fit(X, y)
    assert est.n_iter_ == 4
    assert est.validation_scores_ == returned
    assert est.best_validation_score_ == max(returned)
    # The restored model is the best epoch's.
    best = int(np.argmax(returned))
    assert -float(np.sum(est.predict(X_val) != y_val)) - 1e-3 * best == returned[best]


def test_log_loss_scoring_counts_a_class_missing_from_the_validation_split():
    X, y = small_digits()
    y = y.copy()
    y[:2] = 10  # an eleventh class with two members: the stratified split keeps one
    X_val, y_val = validation_split(X, y, 0, [64, 8, 11], 0.3, stratify=y)
    assert 10 not in y_val and np.count_nonzero(y == 10) == 2
    est = early_stopping_classifier(4, "neg_log_loss", stratify_multiclass=True).fit(X, y)
    # Before, log_loss failed on 11 columns of probabilities for 10 classes
    # and every epoch scored NaN.
    assert np.isfinite(est.validation_scores_).all()
    expected = -log_loss(y_val, est.predict_proba(X_val), labels=est.classes_)
    assert_allclose(est.best_validation_score_, expected, rtol=1e-12)


def test_a_scorer_that_fails_on_finite_outputs_raises():
    X, y = small_digits()
    # roc_auc needs a multi_class strategy for ten classes: a user's error to
    # report, not an epoch without a score.
    with pytest.raises(ValueError, match="early-stopping validation score .*'roc_auc'"):
        early_stopping_classifier(2, "roc_auc").fit(X, y)


def test_validation_loss_curve_is_none_without_early_stopping():
    X, y = small_digits()
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)
    assert est.validation_loss_curve_ is None


def test_validation_loss_curve_is_the_validation_log_loss():
    X, y = small_digits()
    X_val, y_val = digits_validation_split()
    Y_val = LabelBinarizer().fit(y).transform(y_val)
    est = early_stopping_classifier(6).fit(X, y)
    assert len(est.validation_loss_curve_) == est.n_iter_ == 6
    # The restored model is the best-scoring epoch's: its validation loss is
    # that epoch's entry of the curve.
    best = int(np.argmax(est.validation_scores_))
    P = est.predict_proba(X_val)
    loss = -np.mean(np.sum(Y_val * np.log(P), axis=1))
    assert_allclose(est.validation_loss_curve_[best], loss, rtol=1e-10)
    assert np.all(np.diff(est.validation_loss_curve_[:3]) < 0)  # training helps


def test_validation_loss_curve_of_a_regressor_is_half_the_mse_without_penalty():
    X, y = diabetes()
    est = MLPRegressor(
        hidden_layer_sizes=(8,),
        alpha=1.0,  # a large penalty, which the validation loss leaves out
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=100,
        max_iter=6,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    X_val, y_val = validation_split(X, y, 0, [10, 8, 1], 0.2)
    assert len(est.validation_loss_curve_) == est.n_iter_
    best = int(np.argmax(est.validation_scores_))
    half_mse = 0.5 * np.mean((est.predict(X_val) - y_val) ** 2)
    assert_allclose(est.validation_loss_curve_[best], half_mse, rtol=1e-10)
