"""Leaving the estimator as it was: snapshots of its state and the fit guard.

Two places undo work. :func:`unchanged_on_failure` wraps ``fit`` and
``partial_fit``, so that a call that raises (bad input, an interrupt before
anything was trained) leaves the estimator exactly as before the call.  The
stochastic trainer takes a :class:`Snapshot` of its training state and of the
arrays it updates in place before each epoch, so that an epoch that diverges
or is interrupted is undone rather than half-kept.
"""

import functools
import warnings
from numbers import Integral

import numpy as np
from sklearn.exceptions import ConvergenceWarning

NON_FINITE_WEIGHTS = (
    "Solver produced non-finite parameter weights. The input data may"
    " contain large values and need to be preprocessed."
)


#: The running call's callback machinery (scikit-learn >= 1.9), which tears the
#: callbacks down after the call: undoing the call's work must not remove it.
_CALL_MACHINERY = (
    "_callback_fit_ctx",
    "_skl_callbacks_to_teardown",
    "_skl_callbacks",
    "_parent_callback_ctx",
)


class Snapshot:
    """An object's attributes, the lengths of its lists and chosen arrays' contents.

    Attributes are kept by reference (what a fit replaces is put back), list
    attributes are cut back to their length (what an epoch appends is
    removed), and the contents of ``arrays``, which training updates in
    place, are copied (into the arrays of ``into`` when given, one of the same
    shape and dtype per array, to allocate nothing).  ``random_state`` also
    keeps the state of the generator ``_random_state``.

    The object is an estimator (:func:`unchanged_on_failure`) or the
    stochastic trainer's :class:`~skmlp._training.state.TrainingState` (an
    epoch's checkpoint).
    """

    __slots__ = ("attributes", "lengths", "contents", "rng", "rng_state")

    def __init__(self, obj, arrays=(), random_state=False, into=None):
        self.attributes = dict(vars(obj))
        self.lengths = {
            name: len(value) for name, value in self.attributes.items() if isinstance(value, list)
        }
        if into is None:
            into = [array.copy() for array in arrays]
        else:  # preallocated copies
            for array, copy in zip(arrays, into):
                np.copyto(copy, array)
        self.contents = tuple(zip(arrays, into))
        rng = self.attributes.get("_random_state") if random_state else None
        self.rng = rng if isinstance(rng, np.random.RandomState) else None
        self.rng_state = None if self.rng is None else self.rng.get_state()

    def restore(self, obj):
        machinery = {name: vars(obj)[name] for name in _CALL_MACHINERY if name in vars(obj)}
        obj.__dict__.clear()
        obj.__dict__.update(self.attributes)
        obj.__dict__.update(machinery)
        for name, length in self.lengths.items():
            del self.attributes[name][length:]
        for array, content in self.contents:
            array[...] = content
        if self.rng is not None:
            self.rng.set_state(self.rng_state)


class NothingTrained(Exception):
    """Training stopped before one epoch (L-BFGS: iteration) of the call completed.

    Raised by the training loops, after they have undone the epoch, and
    handled by :func:`unchanged_on_failure`.  ``diverged`` tells divergence
    from interruption; ``keep_previous`` is True when the call continued an
    earlier model (warm start, ``partial_fit``), which is then kept.
    """

    def __init__(self, diverged, keep_previous=False):
        super().__init__()
        self.diverged = diverged
        self.keep_previous = keep_previous


def _nothing_trained(self, stopped):
    """What a call that trained nothing returns (``self``) or raises."""
    if stopped.keep_previous:
        if stopped.diverged:
            message = (
                "Training diverged in the first epoch of this call: the training "
                "loss became non-finite, so the model was left as it was before "
                "the call. Lower learning_rate_init, or scale the input (for "
                "example with StandardScaler)."
            )
            warnings.warn(message, ConvergenceWarning, stacklevel=4)
        else:
            message = (
                "Training interrupted by user before the first epoch of this call "
                "completed; the model was left as it was before the call."
            )
            warnings.warn(message, stacklevel=4)
        return self
    if stopped.diverged:
        raise ValueError(
            NON_FINITE_WEIGHTS + " Training diverged before its first epoch "
            "completed (the loss became non-finite); scale the input (for example "
            "with StandardScaler) or lower learning_rate_init."
        ) from None
    raise KeyboardInterrupt from None


def unchanged_on_failure(method):
    """Make a fitting method leave the estimator as it was when it raises.

    Bad input is detected before training starts, but a fit may already have
    replaced attributes (classes, a new buffer) by then; they are put back, so a
    fitted model survives a failing fit or partial_fit intact.

    A call that trained nothing (:class:`NothingTrained`) is undone too. When
    it continued an earlier model, that model is kept with a warning; a fresh
    fit that diverged raises scikit-learn's non-finite weights ``ValueError``
    and an interrupted one lets the ``KeyboardInterrupt`` through: there is no
    model to return.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        # With an int seed a call reseeds a spare generator and never touches
        # the one the model holds (``_seeded_generator``): that one's state
        # need not be saved (get_state costs about 60 us per call).
        seeded = isinstance(getattr(self, "random_state", None), Integral)
        before = Snapshot(self, random_state=not seeded)
        try:
            return method(self, *args, **kwargs)
        except NothingTrained as stopped:
            before.restore(self)
            return _nothing_trained(self, stopped)
        except BaseException:
            before.restore(self)
            raise

    return wrapper
