"""What a stochastic training call continues and hands back: :class:`TrainingState`.

A call of ``fit`` or ``partial_fit`` with a stochastic solver starts from
the estimator's fitted attributes (the record of the epochs trained so far,
and the optimizer that ``partial_fit`` continues) and ends with new ones.
The trainer (:mod:`skmlp._training.stochastic`) works on this structure,
never on the estimator, and returns it; the estimator then assigns it to its
own fitted attributes (:meth:`TrainingState.fitted_attributes`), whose names
and plain values (arrays and builtins) are those it always pickled.

The weights are not in it: they stay in the flat parameter buffer the
trainer was given, which it updates in place, as it does the optimizer's
state array and batch normalisation's running statistics. The lists (the
loss and score curves) are extended in place too, so that a stream of
``partial_fit`` calls does not copy them.
"""

from dataclasses import dataclass

import numpy as np

#: The fitted attribute that holds each field of the record of training.
RECORD = {
    "n_iter": "n_iter_",
    "t": "t_",
    "loss": "loss_",
    "loss_curve": "loss_curve_",
    "best_loss": "best_loss_",
    "validation_scores": "validation_scores_",
    "best_validation_score": "best_validation_score_",
    "validation_loss_curve": "validation_loss_curve_",
    "no_improvement_count": "_no_improvement_count",
    "best_params": "_best_params",
    "best_running": "_best_running",
}

#: The fitted attribute that holds each field of the optimizer (absent until
#: a stochastic solver first trained the model).
OPTIMIZER = {
    "optimizer_solver": "_optimizer_solver",
    "optimizer_state": "_optimizer_state",
    "optimizer_t": "_optimizer_t",
    "learning_rate": "_learning_rate",
    "optimizer_hyper": "_optimizer_hyper",
    "optimizer_schedule": "_optimizer_schedule",
    "optimizer_epoch": "_optimizer_epoch",
}


@dataclass(eq=False)
class TrainingState:
    """The record of training and the optimizer, as plain arrays and builtins.

    The record is scikit-learn's: ``n_iter`` (epochs of the last call), ``t``
    (samples seen), ``loss``, ``loss_curve``, ``best_loss``,
    ``validation_scores``, ``best_validation_score``,
    ``validation_loss_curve``, the epochs without improvement
    (``no_improvement_count``), and the weights and running statistics of the
    best validation score (``best_params``, ``best_running``, None when a
    warm-started fit has not beaten the earlier best).

    The optimizer is the solver it was started for (``optimizer_solver``), its
    state array ``(rows, n_params)`` and step count (``optimizer_t``), the
    current learning rate of the 'adaptive' and 'invscaling' schedules
    (``learning_rate``), the kernels' hyper-parameter vector
    (``optimizer_hyper``), the schedule ``(name, learning_rate_init, power_t,
    warm-up epochs, max_iter)`` and the epochs trained since it started
    (``optimizer_epoch``). They are None before a stochastic solver first ran.
    """

    n_iter: int
    t: int
    loss: float | None
    loss_curve: list | None
    best_loss: float | None
    validation_scores: list | None
    best_validation_score: float | None
    validation_loss_curve: list | None
    no_improvement_count: int
    best_params: np.ndarray | None
    best_running: np.ndarray | None
    optimizer_solver: str | None
    optimizer_state: np.ndarray | None
    optimizer_t: int | None
    learning_rate: float | None
    optimizer_hyper: np.ndarray | None
    optimizer_schedule: tuple | None
    optimizer_epoch: int | None

    def fitted_attributes(self):
        """The estimator's fitted attributes of this state: ``{attribute name: value}``."""
        fields = vars(self)
        attributes = {name: fields[field] for field, name in RECORD.items()}
        attributes.update((name, fields[field]) for field, name in OPTIMIZER.items())
        return attributes
