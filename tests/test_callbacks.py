"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn >= 1.9).

- A fit is the root task, each epoch (L-BFGS: iteration) a subtask; every
  task that begins ends; the ``fitted_estimator`` of an epoch's end is the
  model of that epoch, built only when a hook asks for it.
- A callback that returns True at an epoch's end stops training there, as
  early stopping does: consistent attributes, no warning.
- Interruption, divergence rollback and ``partial_fit`` keep their guarantees
  with callbacks set, and the callbacks are torn down however the fit ends.
- ``ProgressBar`` and ``ScoringMonitor`` reach the estimator inside
  ``GridSearchCV`` over a ``Pipeline``.
"""

import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from test_faults import _DivergingEpochs

import skmlp._engine.network
import skmlp._training.callbacks
from skmlp import MLPClassifier, MLPRegressor

pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9 has no sklearn.callback")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB = StandardScaler().fit_transform(X_DIAB)
Y_DIAB = (Y_DIAB - Y_DIAB.mean()) / Y_DIAB.std()

SOLVERS = ["adam", "sgd", "lbfgs"]


def _subtask(solver):
    return "iteration" if solver == "lbfgs" else "epoch"


class Recorder:
    """A FitCallback that records every hook call; stops after subtask ``stop_after``.

    ``model`` is ``"ask"`` to take the ``fitted_estimator`` of every hook, or
    ``"never"`` to take nothing but the context. ``interrupt_at`` raises
    KeyboardInterrupt (as Ctrl-C would) when the subtask of that id begins.
    """

    def __init__(self, stop_after=None, interrupt_at=None):
        self.events = []
        self.models = {}
        self.stop_after = stop_after
        self.interrupt_at = interrupt_at

    def setup(self, estimator, context):
        self.events.append(("setup",))

    def teardown(self, estimator, context):
        self.events.append(("teardown",))

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("begin", context.task_name, context.task_id))
        if context.parent is not None and context.task_id == self.interrupt_at:
            raise KeyboardInterrupt

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, fitted_estimator=None):
        self.events.append(("end", context.task_name, context.task_id))
        if fitted_estimator is not None:
            self.models[(context.task_name, context.task_id)] = fitted_estimator
        is_subtask = context.parent is not None
        return is_subtask and self.stop_after is not None and context.task_id + 1 >= self.stop_after


class QuietRecorder(Recorder):
    """The same events, with hooks that never ask for a fitted estimator."""

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context):
        self.events.append(("end", context.task_name, context.task_id))


def _fit_quietly(est, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **params)


def _fit_warning_free(est, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    assert [str(w.message) for w in caught] == []
    return est


def _sequence(n, name):
    """The events of ``n`` completed subtasks inside a fit, from setup to teardown."""
    events = [("setup",), ("begin", "fit", 0)]
    for i in range(n):
        events += [("begin", name, i), ("end", name, i)]
    return events + [("end", "fit", 0), ("teardown",)]


@pytest.mark.parametrize("solver", SOLVERS)
def test_every_epoch_is_a_subtask_of_the_fit(solver):
    recorder = Recorder()
    est = MLPClassifier(solver=solver, max_iter=7, tol=0.0, n_iter_no_change=100, random_state=0)
    _fit_quietly(est.set_callbacks(recorder), X_IRIS, Y_IRIS)
    assert est.n_iter_ == 7
    assert recorder.events == _sequence(7, _subtask(solver))


@pytest.mark.parametrize("solver", SOLVERS)
def test_the_fitted_estimator_of_an_epochs_end_is_the_model_of_that_epoch(solver):
    recorder = Recorder()
    params = dict(solver=solver, hidden_layer_sizes=(8,), tol=0.0, n_iter_no_change=100)
    est = MLPClassifier(max_iter=6, random_state=0, **params).set_callbacks(recorder)
    _fit_quietly(est, X_IRIS, Y_IRIS)
    name = _subtask(solver)
    for k in (1, 3, 6):
        model = recorder.models[(name, k - 1)]
        reference = MLPClassifier(max_iter=k, random_state=0, **params)
        _fit_quietly(reference, X_IRIS, Y_IRIS)
        assert model.n_iter_ == k
        assert model.loss_ == reference.loss_
        assert_array_equal(model._params, reference._params)
        assert_array_equal(model.predict_proba(X_IRIS), reference.predict_proba(X_IRIS))
        # Its own buffer: later epochs did not change it.
        assert not np.shares_memory(model._params, est._params)
        assert all(not np.shares_memory(c, est._params) for c in model.coefs_)
        if solver != "lbfgs":
            assert not np.shares_memory(model._optimizer_state, est._optimizer_state)
            assert model.loss_curve_ == reference.loss_curve_
    # The fit's own end hands over the final model.
    assert_array_equal(recorder.models[("fit", 0)].predict(X_IRIS), est.predict(X_IRIS))


@pytest.mark.parametrize("solver", SOLVERS)
def test_no_fitted_estimator_is_built_unless_a_hook_asks_for_one(solver, monkeypatch):
    built = []
    model_attributes = skmlp._training.callbacks.model_attributes

    def counting(*args, **kwargs):
        built.append(None)
        return model_attributes(*args, **kwargs)

    monkeypatch.setattr(skmlp._training.callbacks, "model_attributes", counting)
    est = MLPClassifier(solver=solver, max_iter=5, random_state=0)
    recorder = QuietRecorder()
    _fit_quietly(est.set_callbacks(recorder), X_IRIS, Y_IRIS)
    assert recorder.events == _sequence(5, _subtask(solver))
    assert built == []
    _fit_quietly(est.set_callbacks(Recorder()), X_IRIS, Y_IRIS)
    assert len(built) == 5 + 5  # each epoch's begin and end


def test_a_fit_without_callbacks_opens_no_callback_context(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a callback context was opened")

    monkeypatch.setattr(MLPClassifier, "_init_callback_context", refuse)
    for solver in SOLVERS:
        _fit_quietly(MLPClassifier(solver=solver, max_iter=3), X_IRIS, Y_IRIS)
    # set_callbacks() with no callback removes them.
    est = MLPClassifier(max_iter=3).set_callbacks(Recorder()).set_callbacks()
    _fit_quietly(est, X_IRIS, Y_IRIS)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_callback_returning_true_stops_training_like_early_stopping(solver, early_stopping):
    params = dict(solver=solver, max_iter=50, tol=0.0, n_iter_no_change=100)
    params.update(random_state=0, early_stopping=early_stopping, hidden_layer_sizes=(8,))
    recorder = Recorder(stop_after=4)
    est = _fit_warning_free(MLPClassifier(**params).set_callbacks(recorder), X_IRIS, Y_IRIS)
    assert recorder.events == _sequence(4, "epoch")
    assert est.n_iter_ == 4
    assert len(est.loss_curve_) == 4
    reference = _fit_quietly(MLPClassifier(**dict(params, max_iter=4)), X_IRIS, Y_IRIS)
    assert est.loss_curve_ == reference.loss_curve_
    assert est.t_ == reference.t_
    assert_array_equal(est._params, reference._params)
    if early_stopping:
        # The best epoch's weights, as early stopping restores them.
        assert len(est.validation_scores_) == 4
        assert est.best_validation_score_ == max(est.validation_scores_)
        assert_array_equal(est._params, est._best_params)
    else:
        assert est.best_loss_ == min(est.loss_curve_)


def test_a_callback_returning_true_stops_lbfgs_at_that_iteration():
    params = dict(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0)
    recorder = Recorder(stop_after=5)
    est = _fit_warning_free(MLPRegressor(**params).set_callbacks(recorder), X_DIAB, Y_DIAB)
    assert recorder.events == _sequence(5, "iteration")
    assert est.n_iter_ == 5
    reference = _fit_quietly(MLPRegressor(**dict(params, max_iter=5)), X_DIAB, Y_DIAB)
    assert est.loss_ == reference.loss_
    assert_array_equal(est._params, reference._params)


def test_a_stop_request_is_printed_with_verbose(capsys):
    est = MLPClassifier(max_iter=20, verbose=True, random_state=0)
    _fit_warning_free(est.set_callbacks(Recorder(stop_after=2)), X_IRIS, Y_IRIS)
    out = capsys.readouterr().out
    assert out.count("Iteration") == 2
    assert "A callback asked to stop after epoch 2. Stopping." in out


def test_early_stopping_subtasks_see_the_training_rows_as_given():
    seen = []

    class Rows:
        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None):
            seen.append((context.task_name, X, y, metadata))

    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(X_IRIS, columns=["a", "b", "c", "d"])
    y = np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]
    weights = np.arange(1.0, 151.0)
    est = MLPClassifier(max_iter=2, early_stopping=True, random_state=0).set_callbacks(Rows())
    _fit_quietly(est, X, y, sample_weight=weights)
    (_, X0, y0, m0), (_, X1, _, _), (name, Xf, yf, mf) = seen
    assert name == "fit" and Xf is X and yf is y and mf["sample_weight"] is weights
    # 135 training rows of the 150, the same rows for X, y and the weights.
    assert isinstance(X0, pd.DataFrame) and X0.shape == (135, 4)
    rows = X0.index.to_numpy()
    assert_array_equal(X1.index.to_numpy(), rows)
    assert_array_equal(y0, y[rows])
    assert_array_equal(m0["sample_weight"], weights[rows])


# ---------------------------------------------------------------- guarantees


def test_partial_fit_with_callbacks_is_one_epoch_and_the_same_model():
    recorder = Recorder()
    with_callbacks = MLPClassifier(random_state=0).set_callbacks(recorder)
    without = MLPClassifier(random_state=0)
    classes = np.unique(Y_IRIS)
    for start in (0, 50, 100):
        rows = slice(start, start + 50)
        with_callbacks.partial_fit(X_IRIS[rows], Y_IRIS[rows], classes=classes)
        without.partial_fit(X_IRIS[rows], Y_IRIS[rows], classes=classes)
    assert recorder.events == _sequence(1, "epoch") * 3
    assert_array_equal(with_callbacks._params, without._params)
    assert_array_equal(with_callbacks._optimizer_state, without._optimizer_state)
    assert with_callbacks.loss_curve_ == without.loss_curve_


def test_a_failing_partial_fit_with_callbacks_leaves_the_model_and_tears_down():
    recorder = Recorder()
    est = MLPClassifier(random_state=0).set_callbacks(recorder)
    est.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    before = est._params.copy()
    with pytest.raises(ValueError, match="classes not in"):
        est.partial_fit(X_IRIS, Y_IRIS + 5)
    assert_array_equal(est._params, before)
    assert recorder.events[-1] == ("teardown",)
    assert not hasattr(est, "_callback_fit_ctx")


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_interrupt_in_a_later_epoch_keeps_the_completed_ones(solver):
    params = dict(solver=solver, hidden_layer_sizes=(8,), tol=0.0, n_iter_no_change=100)
    params.update(max_iter=20, random_state=0)
    recorder = Recorder(interrupt_at=3)
    est = MLPClassifier(**params).set_callbacks(recorder)
    try:
        with pytest.warns(UserWarning, match="interrupted by user after 3"):
            est.fit(X_IRIS, Y_IRIS)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped fit")
    name = _subtask(solver)
    # The interrupted subtask ends too, and the fit, then the teardown.
    assert recorder.events == _sequence(3, name)[:-2] + [
        ("begin", name, 3),
        ("end", name, 3),
        ("end", "fit", 0),
        ("teardown",),
    ]
    assert est.n_iter_ == 3
    reference = _fit_quietly(MLPClassifier(**dict(params, max_iter=3)), X_IRIS, Y_IRIS)
    assert_array_equal(est._params, reference._params)
    assert est.loss_ == reference.loss_


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_interrupt_before_the_first_epoch_leaves_the_estimator_unfitted(solver):
    recorder = Recorder(interrupt_at=0)
    est = MLPClassifier(solver=solver, max_iter=5).set_callbacks(recorder)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X_IRIS, Y_IRIS)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert recorder.events[-2:] == [("end", "fit", 0), ("teardown",)]
    assert set(vars(est)) == set(vars(MLPClassifier())) | {"_skl_callbacks"}


@pytest.mark.parametrize("early_stopping", [False, True])
def test_divergence_with_callbacks_keeps_the_model_of_the_finite_epochs(
    early_stopping, monkeypatch
):
    params = dict(max_iter=10, random_state=0, early_stopping=early_stopping)
    params.update(tol=0.0, n_iter_no_change=np.inf, hidden_layer_sizes=(8,))
    reference = _fit_quietly(MLPRegressor(**dict(params, max_iter=3)), X_DIAB, Y_DIAB)
    monkeypatch.setattr(
        skmlp._engine.network, "run_epoch", _DivergingEpochs(skmlp._engine.network.run_epoch, 4)
    )
    recorder = Recorder()
    est = MLPRegressor(**params).set_callbacks(recorder)
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 4"):
        est.fit(X_DIAB, Y_DIAB)
    assert est.n_iter_ == 3
    assert_array_equal(est._params, reference._params)
    assert est.loss_curve_ == reference.loss_curve_
    # The undone epoch ends without a model; the fit ends with the kept one.
    assert recorder.events == _sequence(3, "epoch")[:-2] + [
        ("begin", "epoch", 3),
        ("end", "epoch", 3),
        ("end", "fit", 0),
        ("teardown",),
    ]
    assert ("epoch", 3) not in recorder.models
    assert_array_equal(recorder.models[("fit", 0)]._params, reference._params)


@pytest.mark.parametrize("solver", SOLVERS)
def test_divergence_in_the_first_epoch_still_tears_the_callbacks_down(solver):
    recorder = Recorder()
    # Inputs near float64's largest value: every solver diverges at once.
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(60, 5))
    est = MLPRegressor(solver=solver, random_state=0).set_callbacks(recorder)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        est.fit(X, rng.standard_normal(60))
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert recorder.events[-2:] == [("end", "fit", 0), ("teardown",)]
    assert not hasattr(est, "_callback_fit_ctx")


# ---------------------------------------------------------------- sklearn's callbacks


def _grid_search_over_a_pipeline(estimator):
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", estimator)])
    return GridSearchCV(pipe, {"mlp__alpha": [1e-4, 1e-2]}, cv=2)


def test_scoring_monitor_logs_a_score_per_epoch_inside_grid_search_over_a_pipeline():
    from sklearn.callback import ScoringMonitor

    monitor = ScoringMonitor(scoring="accuracy")
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, tol=0.0, random_state=0)
    search = _grid_search_over_a_pipeline(mlp.set_callbacks(monitor))
    _fit_quietly(search, X_IRIS, Y_IRIS)
    log = monitor.get_logs().data
    epochs = [row for row in log if row["task_name"] == "epoch"]
    fits = [row for row in log if row["task_name"] == "fit"]
    # 2 candidates x 2 folds, then the refit: 5 fits of 5 epochs.
    assert len(fits) == 5 and len(epochs) == 25
    assert all(row["estimator_name"] == "MLPClassifier" for row in log)
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in log)
    # The refit's last epoch scores the refitted model on the whole data.
    refit = search.best_estimator_
    last = max(epochs, key=lambda row: row["task_id_path"])
    assert last["task_id"] == 4
    assert last["accuracy"] == refit.score(X_IRIS, Y_IRIS)


def test_progress_bar_shows_each_fit_inside_grid_search_over_a_pipeline(capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    search = _grid_search_over_a_pipeline(mlp)
    search.set_callbacks(ProgressBar(max_propagation_depth=None))
    _fit_quietly(search, X_IRIS, Y_IRIS)
    out = capsys.readouterr().out
    bars = [line for line in out.splitlines() if "MLPClassifier - fit" in line]
    assert len(bars) == 5
    assert all("100%" in line for line in bars)
    # The propagated callback is removed again after the search.
    assert not hasattr(search.best_estimator_[-1], "_skl_callbacks")


def test_progress_bar_and_verbose_2_bar_together(capsys, monkeypatch):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    est = MLPClassifier(max_iter=4, verbose=2, random_state=0)
    _fit_quietly(est.set_callbacks(ProgressBar()), X_IRIS, Y_IRIS)
    out, err = capsys.readouterr()
    assert "epoch 4/4" in err  # skmlp's own bar
    assert "MLPClassifier - fit" in out and "100%" in out


def test_real_ctrl_c_with_a_progress_bar_keeps_the_model_and_stops_the_bar():
    pytest.importorskip("rich")
    import _thread
    import threading

    from sklearn.callback import ProgressBar, _progressbar

    class CtrlCSoon(QuietRecorder):
        """Press Ctrl-C (from a timer) 0.2 s after the first epoch completed."""

        timer = None

        def on_fit_task_end(self, estimator, context):
            if context.parent is not None and self.timer is None:
                self.timer = threading.Timer(0.2, _thread.interrupt_main)
                self.timer.start()

    # Epochs of a few milliseconds (digits, 256 units), so that tens, not
    # thousands, of them end before the Ctrl-C: scikit-learn's bar updates
    # each task's progress from all its finished subtasks, which is quadratic
    # in their number.
    X, y = load_digits(return_X_y=True)
    # At most a few seconds of training, so that a Ctrl-C that never arrives fails
    # the test (no "interrupted" warning, n_iter_ == max_iter) instead of hanging it.
    params = dict(hidden_layer_sizes=(256,), max_iter=2000, tol=0.0, n_iter_no_change=np.inf)
    ctrl_c = CtrlCSoon()
    est = MLPClassifier(random_state=0, **params).set_callbacks(ProgressBar(), ctrl_c)
    try:
        with pytest.warns(UserWarning, match="interrupted by user"):
            est.fit(X / 16.0, y)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped fit")
    finally:
        if ctrl_c.timer is not None:
            ctrl_c.timer.cancel()
    assert est.n_iter_ >= 1 and len(est.loss_curve_) == est.n_iter_
    assert est.n_iter_ < 2000
    # Torn down: the bar's thread has ended.
    assert _progressbar._run_monitors == {}
