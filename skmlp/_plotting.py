"""``LossCurveDisplay``: the training history of a fitted network as a figure.

Follows scikit-learn's Display convention: a plain object holding the data to
draw, a ``from_estimator`` class method that reads it from a fitted estimator,
and ``plot`` that draws it and keeps the matplotlib artists as attributes
ending in ``_``. matplotlib is imported only when something is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

# The twin axis that holds validation scores is tagged, so that a second
# display drawn on the same axes reuses it instead of stacking another.
_SCORE_AXIS_GID = "skmlp-validation-score-axis"


def _check_matplotlib(caller: str) -> None:
    """Raise an ImportError naming the caller if matplotlib is not installed.

    What scikit-learn's displays do; its helper lives in a private module, so
    the three lines are repeated here rather than imported from there.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "%s requires matplotlib. You can install matplotlib with "
            "`pip install matplotlib`." % caller
        ) from exc


def _as_curve(values, name: str, n_epochs: int | None = None) -> np.ndarray | None:
    if values is None:
        return None
    curve = np.asarray(values, dtype=np.float64)
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(
            "%s must be a non-empty one-dimensional sequence of per-epoch values, got shape %s."
            % (name, curve.shape)
        )
    if n_epochs is not None and curve.size != n_epochs:
        raise ValueError(
            "%s has %d values but loss_curve has %d: there must be one value per epoch."
            % (name, curve.size, n_epochs)
        )
    return curve


def _best_epoch(loss_curve: np.ndarray, validation_scores: np.ndarray | None) -> int | None:
    """The 1-based epoch the estimator keeps as its best, or None if there is none.

    With validation scores (early stopping) it is the first epoch of the highest
    score, the epoch whose weights the estimator restores; otherwise the first
    epoch of the lowest training loss. Non-finite values never count as best.
    """
    if validation_scores is not None:
        values, pick = validation_scores, np.argmax
    else:
        values, pick = -loss_curve, np.argmax
    finite = np.isfinite(values)
    if not finite.any():
        return None
    return int(pick(np.where(finite, values, -np.inf))) + 1


class LossCurveDisplay:
    """Training loss, validation loss and validation score per epoch.

    The training loss and the validation loss share the left y axis; the
    validation score (accuracy or R², on another scale) is drawn on a twin
    y axis on the right. A vertical line marks the best epoch.

    Create it with :meth:`from_estimator`, which reads the curves of a fitted
    estimator, or from the curves themselves; :meth:`plot` draws it. All
    parameters are stored as attributes of the same name.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The mean training loss of each epoch (the estimator's ``loss_curve_``).

    validation_loss_curve : array-like of shape (n_epochs,), default=None
        The loss on the validation set after each epoch (the estimator's
        ``validation_loss_curve_``). Not drawn if None.

    validation_scores : array-like of shape (n_epochs,), default=None
        The score on the validation set after each epoch (the estimator's
        ``validation_scores_``). Not drawn if None.

    best_epoch : int, default=None
        The epoch to mark, counted from 1 as on the x axis. If None, :meth:`plot`
        marks the epoch with the highest validation score when
        ``validation_scores`` is given (the epoch whose weights early stopping
        restores), otherwise the epoch with the lowest training loss.

    estimator_name : str, default=None
        Name of the estimator, shown in the legend labels. Not shown if None.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes of the losses.

    score_ax_ : matplotlib Axes or None
        The twin axes of the validation scores, sharing the x axis with
        ``ax_``. None if there are no validation scores.

    figure_ : matplotlib Figure
        The figure holding the axes.

    lines_ : dict of str to matplotlib Line2D
        The curves drawn, under the keys ``'loss'``, ``'validation_loss'``
        and ``'validation_score'``; a curve that is not drawn has no key.

    best_epoch_marker_ : matplotlib Line2D or None
        The vertical line at the best epoch. None if ``mark_best=False`` or
        if no epoch has a finite value.

    See Also
    --------
    MLPClassifier : Multi-layer perceptron classifier.
    MLPRegressor : Multi-layer perceptron regressor.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from skmlp import LossCurveDisplay, MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(max_iter=30, early_stopping=True, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> sorted(display.lines_)
    ['loss', 'validation_loss', 'validation_score']
    >>> display.best_epoch == int(np.argmax(clf.validation_scores_)) + 1
    True
    """

    def __init__(
        self,
        *,
        loss_curve: Sequence[float],
        validation_loss_curve: Sequence[float] | None = None,
        validation_scores: Sequence[float] | None = None,
        best_epoch: int | None = None,
        estimator_name: str | None = None,
    ) -> None:
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        ax: Any = None,
        name: str | None = None,
        mark_best: bool = True,
        **kwargs: Any,
    ) -> LossCurveDisplay:
        """Draw the curves of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`MLPClassifier` or :class:`MLPRegressor` (or any
            fitted estimator with a ``loss_curve_``, such as scikit-learn's
            multi-layer perceptrons) trained by a stochastic solver. L-BFGS
            records no per-epoch curve.

        ax : matplotlib Axes, default=None
            Axes to draw on. If None, a new figure and axes are created.

        name : str, default=None
            Name shown in the legend labels. If None, the estimator's class
            name.

        mark_best : bool, default=True
            Whether to draw a vertical line at the best epoch: the epoch of
            the best validation score with ``early_stopping=True`` (whose
            weights the estimator keeps), otherwise the epoch of the lowest
            training loss.

        **kwargs : dict
            Keyword arguments passed to every :meth:`matplotlib.axes.Axes.plot`
            call that draws a curve (for example ``linewidth``).

        Returns
        -------
        display : LossCurveDisplay
            The display, with the artists it drew.

        Raises
        ------
        ValueError
            If the estimator has no training-loss curve (it was fitted with
            ``solver='lbfgs'``, or has no ``loss_curve_`` at all).
        """
        _check_matplotlib("LossCurveDisplay.from_estimator")
        check_is_fitted(estimator)
        loss_curve = getattr(estimator, "loss_curve_", None)
        solver = getattr(estimator, "solver", None)
        if solver == "lbfgs" or loss_curve is None or len(loss_curve) == 0:
            raise ValueError(
                "%s has no loss curve to plot: only the stochastic solvers (such as "
                "'adam' or 'sgd') record loss_curve_ epoch by epoch%s."
                % (
                    type(estimator).__name__,
                    "; it was fitted with solver='lbfgs'" if solver == "lbfgs" else "",
                )
            )
        validation_scores = getattr(estimator, "validation_scores_", None)
        best_epoch = _best_epoch(
            _as_curve(loss_curve, "loss_curve_"),
            _as_curve(validation_scores, "validation_scores_", len(loss_curve)),
        )
        display = cls(
            loss_curve=loss_curve,
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=validation_scores,
            best_epoch=best_epoch,
            estimator_name=type(estimator).__name__,
        )
        return display.plot(ax=ax, name=name, mark_best=mark_best, **kwargs)

    def plot(
        self,
        *,
        ax: Any = None,
        name: str | None = None,
        mark_best: bool = True,
        **kwargs: Any,
    ) -> LossCurveDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. If None, a new figure and axes are created. The
            validation scores go on a twin y axis of ``ax``, created once and
            reused when several displays are drawn on the same axes.

        name : str, default=None
            Name shown in the legend labels. If None, ``estimator_name``.

        mark_best : bool, default=True
            Whether to draw a vertical line at ``best_epoch`` (or at the best
            epoch found from the curves if ``best_epoch`` is None).

        **kwargs : dict
            Keyword arguments passed to every :meth:`matplotlib.axes.Axes.plot`
            call that draws a curve (for example ``linewidth``).

        Returns
        -------
        display : LossCurveDisplay
            The display itself, with ``ax_``, ``score_ax_``, ``figure_``,
            ``lines_`` and ``best_epoch_marker_`` set.
        """
        _check_matplotlib("LossCurveDisplay.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        loss = _as_curve(self.loss_curve, "loss_curve")
        val_loss = _as_curve(self.validation_loss_curve, "validation_loss_curve", loss.size)
        val_score = _as_curve(self.validation_scores, "validation_scores", loss.size)
        best = self.best_epoch
        if best is None:
            best = _best_epoch(loss, val_score)
        elif not 1 <= best <= loss.size:
            raise ValueError(
                "best_epoch must be between 1 and the number of epochs (%d), got %r."
                % (loss.size, best)
            )

        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        suffix = "" if name is None else " (%s)" % name
        epochs = np.arange(1, loss.size + 1)

        lines = {}
        style = {"color": "C0", **kwargs}
        (lines["loss"],) = ax.plot(epochs, loss, label="training loss" + suffix, **style)
        if val_loss is not None:
            style = {"color": "C1", **kwargs}
            (lines["validation_loss"],) = ax.plot(
                epochs, val_loss, label="validation loss" + suffix, **style
            )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole
        ax.set_ylabel("loss")

        score_ax = None
        if val_score is not None:
            score_ax = self._score_axes(ax)
            style = {"color": "C2", "linestyle": "--", **kwargs}
            (lines["validation_score"],) = score_ax.plot(
                epochs, val_score, label="validation score" + suffix, **style
            )
            score_ax.set_ylabel("validation score")

        marker = None
        if mark_best and best is not None:
            marker = ax.axvline(
                best, color="0.4", linestyle=":", label="best epoch: %d%s" % (best, suffix)
            )

        # One legend for both y axes, on the axes drawn last (the twin, if any)
        # so that the curves do not hide it. The twin's "best" placement would
        # ignore the losses; losses fall and scores rise, so the middle of the
        # right-hand side is usually free.
        handles = list(ax.get_legend_handles_labels()[0])
        if score_ax is None:
            ax.legend(handles=handles)
        else:
            handles += score_ax.get_legend_handles_labels()[0]
            score_ax.legend(handles=handles, loc="center right")
            if ax.get_legend() is not None:
                ax.get_legend().remove()

        self.ax_ = ax
        self.score_ax_ = score_ax
        self.figure_ = ax.figure
        self.lines_ = lines
        self.best_epoch_marker_ = marker
        return self

    @staticmethod
    def _score_axes(ax):
        """The twin y axis of ``ax`` for validation scores, created on first use."""
        for other in ax.figure.axes:
            if other is not ax and other.get_gid() == _SCORE_AXIS_GID:
                if ax.get_shared_x_axes().joined(ax, other):
                    return other
        twin = ax.twinx()
        twin.set_gid(_SCORE_AXIS_GID)
        return twin
