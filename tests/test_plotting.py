"""LossCurveDisplay draws the training history it is given, on the Agg backend."""

import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.preprocessing import StandardScaler

from skmlp import LossCurveDisplay, MLPClassifier, MLPRegressor

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _fit(X, y, **params):
    params = {"hidden_layer_sizes": (8,), "max_iter": 40, "random_state": 0, **params}
    return MLPClassifier(**params).fit(X, y)


def test_training_loss_only_without_early_stopping(iris):
    clf = _fit(*iris)
    display = LossCurveDisplay.from_estimator(clf)

    assert set(display.lines_) == {"loss"}
    line = display.lines_["loss"]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, clf.n_iter_ + 1))
    np.testing.assert_allclose(line.get_ydata(), clf.loss_curve_)
    assert line.get_label() == "training loss (MLPClassifier)"
    assert display.score_ax_ is None
    assert display.figure_.axes == [display.ax_]
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "loss"


def test_best_epoch_is_lowest_training_loss_without_early_stopping(iris):
    clf = _fit(*iris)
    display = LossCurveDisplay.from_estimator(clf)

    best = int(np.argmin(clf.loss_curve_)) + 1
    assert display.best_epoch == best
    np.testing.assert_array_equal(display.best_epoch_marker_.get_xdata(), [best, best])
    assert display.best_epoch_marker_.get_label() == "best epoch: %d (MLPClassifier)" % best
    assert min(clf.loss_curve_) == clf.best_loss_


def test_early_stopping_draws_validation_curves_on_a_twin_axis(iris):
    clf = _fit(*iris, early_stopping=True, max_iter=60)
    display = LossCurveDisplay.from_estimator(clf, name="adam")

    assert set(display.lines_) == {"loss", "validation_loss", "validation_score"}
    np.testing.assert_allclose(
        display.lines_["validation_loss"].get_ydata(), clf.validation_loss_curve_
    )
    score_line = display.lines_["validation_score"]
    np.testing.assert_allclose(score_line.get_ydata(), clf.validation_scores_)
    # Losses on the left axis, scores on a twin that shares the epochs axis.
    assert display.lines_["validation_loss"].axes is display.ax_
    assert score_line.axes is display.score_ax_
    assert display.score_ax_ is not display.ax_
    assert display.ax_.get_shared_x_axes().joined(display.ax_, display.score_ax_)
    assert display.score_ax_.get_ylabel() == "validation score"
    assert [line.get_label() for line in display.lines_.values()] == [
        "training loss (adam)",
        "validation loss (adam)",
        "validation score (adam)",
    ]


def test_best_epoch_with_early_stopping_is_the_restored_one(iris):
    clf = _fit(*iris, early_stopping=True, max_iter=60)
    display = LossCurveDisplay.from_estimator(clf)

    best = int(np.argmax(clf.validation_scores_)) + 1
    assert display.best_epoch == best
    assert clf.validation_scores_[best - 1] == clf.best_validation_score_
    np.testing.assert_array_equal(display.best_epoch_marker_.get_xdata(), [best, best])


def test_legend_lists_every_curve_and_the_marker(iris):
    clf = _fit(*iris, early_stopping=True, max_iter=60)
    display = LossCurveDisplay.from_estimator(clf, name="net")

    # One legend, on the twin axis (drawn on top), for the curves of both axes.
    assert display.ax_.get_legend() is None
    labels = [text.get_text() for text in display.score_ax_.get_legend().get_texts()]
    assert labels == [
        "training loss (net)",
        "validation loss (net)",
        "best epoch: %d (net)" % display.best_epoch,
        "validation score (net)",
    ]


def test_mark_best_false_draws_no_marker(iris):
    display = LossCurveDisplay.from_estimator(_fit(*iris), mark_best=False)
    assert display.best_epoch_marker_ is None
    assert all(line in display.lines_.values() for line in display.ax_.get_lines())


def test_given_axes_and_plot_kwargs_are_used(iris):
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(_fit(*iris), ax=ax, linewidth=3.5)
    assert display.ax_ is ax
    assert display.figure_ is fig
    assert display.lines_["loss"].get_linewidth() == 3.5


def test_two_displays_share_one_score_axis(iris):
    fig, ax = plt.subplots()
    first = LossCurveDisplay.from_estimator(_fit(*iris, early_stopping=True), ax=ax, name="first")
    second = LossCurveDisplay.from_estimator(
        _fit(*iris, early_stopping=True, random_state=1), ax=ax, name="second"
    )
    assert second.score_ax_ is first.score_ax_
    assert len(fig.axes) == 2
    labels = [text.get_text() for text in second.score_ax_.get_legend().get_texts()]
    assert "training loss (first)" in labels and "validation score (second)" in labels


def test_regressor_curves(iris):
    X, y = load_diabetes(return_X_y=True)
    reg = MLPRegressor(
        hidden_layer_sizes=(8,), max_iter=30, early_stopping=True, random_state=0
    ).fit(StandardScaler().fit_transform(X), y / y.std())
    display = LossCurveDisplay.from_estimator(reg)
    np.testing.assert_allclose(
        display.lines_["validation_score"].get_ydata(), reg.validation_scores_
    )
    assert display.lines_["loss"].get_label() == "training loss (MLPRegressor)"


def test_scikit_learn_estimator_without_validation_loss(iris):
    clf = SklearnMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=30, early_stopping=True, random_state=0
    ).fit(*iris)
    display = LossCurveDisplay.from_estimator(clf)
    assert set(display.lines_) == {"loss", "validation_score"}
    assert display.best_epoch == int(np.argmax(clf.validation_scores_)) + 1


def test_plot_from_curves_finds_the_best_epoch():
    display = LossCurveDisplay(
        loss_curve=[3.0, 2.0, 1.5, 1.4],
        validation_loss_curve=[3.1, 2.5, 2.6, 2.9],
        validation_scores=[0.5, 0.8, 0.7, 0.8],
    ).plot()
    # The first epoch of the highest score, as early stopping keeps it.
    np.testing.assert_array_equal(display.best_epoch_marker_.get_xdata(), [2, 2])
    assert display.best_epoch is None  # the parameter is left as given
    assert display.lines_["loss"].get_label() == "training loss"

    display = LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5, 1.4], best_epoch=3).plot()
    np.testing.assert_array_equal(display.best_epoch_marker_.get_xdata(), [3, 3])


def test_non_finite_values_are_never_the_best_epoch():
    display = LossCurveDisplay(loss_curve=[2.0, 1.0, np.nan]).plot()
    np.testing.assert_array_equal(display.best_epoch_marker_.get_xdata(), [2, 2])
    display = LossCurveDisplay(loss_curve=[np.nan, np.inf]).plot()
    assert display.best_epoch_marker_ is None


def test_lbfgs_has_no_curve_to_plot(iris):
    clf = _fit(*iris, solver="lbfgs", max_iter=20)
    with pytest.raises(ValueError, match="no loss curve.*solver='lbfgs'"):
        LossCurveDisplay.from_estimator(clf)


def test_lbfgs_refit_does_not_plot_a_stale_curve(iris):
    clf = _fit(*iris, max_iter=5)
    clf.set_params(solver="lbfgs").fit(*iris)
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        LossCurveDisplay.from_estimator(clf)


def test_unfitted_estimator_raises():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPClassifier())


@pytest.mark.parametrize(
    "params, match",
    [
        ({"loss_curve": []}, "loss_curve must be a non-empty"),
        ({"loss_curve": [[1.0, 2.0]]}, "loss_curve must be a non-empty one-dimensional"),
        (
            {"loss_curve": [1.0, 2.0], "validation_scores": [0.5]},
            "validation_scores has 1 values but loss_curve has 2",
        ),
        (
            {"loss_curve": [1.0, 2.0], "validation_loss_curve": [1.0, 2.0, 3.0]},
            "validation_loss_curve has 3 values",
        ),
        ({"loss_curve": [1.0, 2.0], "best_epoch": 0}, "best_epoch must be between 1 and"),
        ({"loss_curve": [1.0, 2.0], "best_epoch": 3}, "best_epoch must be between 1 and"),
    ],
)
def test_bad_curves_raise(params, match):
    with pytest.raises(ValueError, match=match):
        LossCurveDisplay(**params).plot()


def test_missing_matplotlib_raises_import_error(iris, monkeypatch):
    clf = _fit(*iris)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="LossCurveDisplay.from_estimator requires matplotlib"):
        LossCurveDisplay.from_estimator(clf)


def test_epoch_ticks_are_whole_numbers(iris):
    display = LossCurveDisplay.from_estimator(_fit(*iris, max_iter=5))
    ticks = display.ax_.get_xticks()
    np.testing.assert_array_equal(ticks, np.round(ticks))
