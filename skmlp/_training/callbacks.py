"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn >= 1.9) in the training loops.

A call of ``fit`` or ``partial_fit`` is the root task of the callback task
tree, and each epoch (stochastic solvers) or iteration (L-BFGS) one of its
subtasks, so that :class:`sklearn.callback.ProgressBar` shows a fit's epochs
(also inside ``Pipeline`` and ``GridSearchCV``, which merge the fit's tree into
theirs) and :class:`sklearn.callback.ScoringMonitor` scores each epoch's model.
A callback whose ``on_fit_task_end`` returns True at the end of an epoch stops
training there, as early stopping would.

The ``fitted_estimator`` a hook may ask for is a copy of the model with its own
parameter buffer, built only when a hook's signature names it; and when the
estimator has no callback, :func:`fit_tasks` gives None and the loops call
nothing, so fits without callbacks pay nothing.

With a scikit-learn that has no ``sklearn.callback``, ``CallbackSupportMixin``
is an empty class: the estimators have no ``set_callbacks`` and report no task.
"""

import contextlib
import copy

import numpy as np
from sklearn.utils import _safe_indexing

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """No callbacks: this scikit-learn has no ``sklearn.callback``."""


#: Whether the installed scikit-learn has callbacks.
CALLBACKS_AVAILABLE = hasattr(CallbackSupportMixin, "set_callbacks")


def model_attributes(est, params=None, **attributes):
    """The attributes of a fitted copy of ``est``, with arrays of its own.

    ``params`` replaces the parameter buffer (L-BFGS's accepted iterate, which
    the buffer does not hold between line-search evaluations); ``attributes``
    are set on the copy: what the running call has trained so far
    (``n_iter_``, ``loss_``, the stochastic trainer's whole state), which the
    estimator assigns to itself only when the call ends.  Training goes on in
    place after the hook returns, so the copy shares no array or list with
    ``est`` or with ``attributes`` (the optimizer's state included: the copy
    can go on with ``partial_fit``).
    """
    model = copy.copy(est)  # its views are rebuilt over est's buffer: replaced below
    flat = est._params if params is None else params
    model._set_parameters(np.array(flat, dtype=est._params.dtype), est._layout)
    model._set_running(est._running.copy())
    vars(model).update(attributes)
    shared = vars(est)
    for name, value in vars(model).items():
        if isinstance(value, (np.ndarray, list)) and (
            value is shared.get(name) or name in attributes
        ):
            setattr(model, name, value.copy())
    return vars(model)


class FitTasks:
    """The root task of one call and its subtasks, one open at a time.

    ``X``, ``y`` and ``sample_weight`` are the data as the call was given them
    (so that a ``ScoringMonitor`` scores the fitted copies on the user's own
    objects, feature names included); :meth:`train_on` narrows the subtasks'
    data to the rows the epochs train on when a validation set is split off.
    """

    def __init__(self, est, task_name, max_subtasks, X, y, sample_weight):
        self.est = est
        self.task_name = task_name
        self.max_subtasks = max_subtasks
        self.n_subtasks = 0
        self.task = None  # the open subtask
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.given = {"X": X, "y": y, "metadata": metadata}
        self.data = self.given
        self.root = est._init_callback_context(max_subtasks=max_subtasks)
        self.root.call_on_fit_task_begin(estimator=est, **self.given)

    def train_on(self, rows):
        """The subtasks see only the given data's ``rows``, indexed when a hook asks for them."""
        X, y, metadata = self.given["X"], self.given["y"], self.given["metadata"]
        self.data = {
            "X": lambda: _safe_indexing(X, rows),
            "y": lambda: _safe_indexing(y, rows),
            "metadata": None
            if metadata is None
            else lambda: {key: _safe_indexing(value, rows) for key, value in metadata.items()},
        }

    def begin(self, params=None, **attributes):
        """Open the next subtask.

        Its ``fitted_estimator``, built only if a hook asks for it, is the
        estimator with ``params`` and ``attributes`` (see :func:`model_attributes`).
        """
        if self.n_subtasks >= self.max_subtasks:
            return
        self.n_subtasks += 1
        self.task = self.root.subcontext(task_name=self.task_name)
        self.task.call_on_fit_task_begin(
            estimator=self.est,
            **self.data,
            reconstruction_attributes=self._model(params, attributes),
        )

    def end(self, params=None, **attributes):
        """Close the open subtask after it completed; True when a callback asks to stop.

        ``params`` and ``attributes`` make the subtask's model, as for :meth:`begin`.
        """
        task, self.task = self.task, None
        if task is None:
            return False
        return task.call_on_fit_task_end(
            estimator=self.est,
            **self.data,
            reconstruction_attributes=self._model(params, attributes),
        )

    def _model(self, params, attributes):
        """The ``reconstruction_attributes`` hooks evaluate on demand (while the hook runs)."""
        return lambda: model_attributes(self.est, params, **attributes)

    def abandon(self):
        """Close the open subtask, undone (diverged or interrupted): nothing to hand over."""
        task, self.task = self.task, None
        if task is not None:
            task.call_on_fit_task_end(estimator=self.est)

    def close(self, completed):
        """Close the root task: with the fitted model when the call completed."""
        self.abandon()
        if completed:
            self.root.call_on_fit_task_end(
                estimator=self.est, **self.given, reconstruction_attributes={}
            )
        else:
            self.root.call_on_fit_task_end(estimator=self.est)


@contextlib.contextmanager
def fit_tasks(est, incremental, X, y, sample_weight):
    """The callback tasks of one ``fit`` or ``partial_fit`` call, or None without callbacks.

    ``fit`` has up to ``max_iter`` subtasks, ``partial_fit`` one (its epoch).
    The root task is closed however the call ends; scikit-learn tears the
    callbacks down after the call (in ``_fit_context``).
    """
    if not (CALLBACKS_AVAILABLE and getattr(est, "_skl_callbacks", None)):
        yield None
        return
    name = "iteration" if est.solver == "lbfgs" else "epoch"
    tasks = FitTasks(est, name, 1 if incremental else int(est.max_iter), X, y, sample_weight)
    try:
        yield tasks
    except BaseException:
        tasks.close(completed=False)
        raise
    tasks.close(completed=True)
