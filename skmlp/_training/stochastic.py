"""The stochastic solvers' training loop: one compiled call per epoch.

:class:`StochasticTrainer` runs one call of ``fit`` or ``partial_fit``: it
starts (or continues) the optimizer, splits off the early-stopping
validation set, allocates the workspaces once, then runs the epochs. Between
two compiled epochs, in Python: the divergence test and rollback, the
fitted attributes' bookkeeping, early stopping, the learning-rate schedule,
the stopping rule and the progress output. The optimizer's state and
schedule live on the estimator, as plain arrays and builtins, so
``partial_fit`` continues them and a pickled model resumes exactly.
"""

import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring, log_loss, make_scorer
from sklearn.utils import check_array

from .._engine import network as _engine
from .._engine.losses import loss_and_delta
from .._engine.optimizers import LR, SOLVERS, STATE_ROWS, hyperparameters
from .._engine.workspaces import (
    NO_DROPOUT,
    EngineInput,
    drop_pack,
    kept,
    norm_pack,
    usable,
    workspaces,
)
from .progress import progress_bar
from .rollback import NothingTrained, Snapshot
from .validation_set import split_validation_set

#: What an epoch updates in place, besides the attributes it sets.
_EPOCH_ARRAYS = ("_params", "_optimizer_state", "_running")


def _start_optimizer(est, incremental):
    """Give ``est`` a fresh optimizer unless ``partial_fit`` continues one.

    Like scikit-learn's optimizer objects, the settings are fixed when the
    optimizer starts: ``set_params`` between ``partial_fit`` calls does not
    reach a running optimizer.
    """
    n_params = est._layout.n_params
    if (
        incremental
        and getattr(est, "_optimizer_solver", None) == est.solver
        and getattr(est, "_optimizer_state", np.empty(0)).shape[-1] == n_params
    ):
        return
    est._optimizer_solver = est.solver
    rows = STATE_ROWS[SOLVERS[est.solver]]
    est._optimizer_state = np.zeros((rows, n_params), est._params.dtype)
    est._optimizer_t = 0
    est._learning_rate = float(est.learning_rate_init)
    est._optimizer_hyper = hyperparameters(
        est.learning_rate_init,
        est.momentum,
        est.nesterovs_momentum,
        est.beta_1,
        est.beta_2,
        est.epsilon,
        est.l1_ratio,
        est.max_grad_norm,
    )
    est._optimizer_schedule = (
        _schedule(est),
        float(est.learning_rate_init),
        float(est.power_t),
        int(np.ceil(est.warmup_fraction * est.max_iter)),
        int(est.max_iter),
    )
    est._optimizer_epoch = 0


def _schedule(est):
    """The learning-rate schedule the optimizer follows.

    scikit-learn ignores 'invscaling' and 'adaptive' for solver='adam' (a
    constant rate, and 'adaptive' stops like 'constant'); ``schedule_adam=True``
    applies them, as to every other stochastic solver.
    """
    if (
        est.solver == "adam"
        and est.learning_rate in ("invscaling", "adaptive")
        and not est.schedule_adam
    ):
        return "constant"
    return est.learning_rate


class StochasticTrainer:
    """One call of ``fit`` (``incremental=False``) or ``partial_fit`` on ``est``.

    ``tasks`` are the call's callback tasks (:mod:`skmlp._training.callbacks`), or None.
    ``warm`` says that ``fit`` continues from the weights of an earlier call
    (``warm_start=True``) instead of fresh ones.
    """

    def __init__(self, est, incremental, dropout_rates, tasks=None, *, warm=False):
        self.est = est
        self.warm = warm
        self.incremental = incremental
        self.dropout_rates = dropout_rates
        self.tasks = tasks
        self.val = None
        self.progress = None

    def fit(self, X, y, sample_weight, validation=None):
        """Train; the fitted attributes and the buffer hold the result.

        ``validation`` is the user's validation set (a
        :class:`~skmlp._training.validation_set.ValidationSet`), which replaces
        the split of ``validation_fraction``.
        """
        est = self.est
        _start_optimizer(est, self.incremental)
        # early_stopping in partial_fit doesn't make sense
        if est.early_stopping and self.incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if est.early_stopping and validation is not None:
            self.val = validation
        elif est.early_stopping:
            X, y, sample_weight = self._split(X, y, sample_weight)
        if est.early_stopping and self.warm and not self.incremental:
            # As in scikit-learn: a warm-started fit restores the best weights
            # only if one of its own epochs beats best_validation_score_
            # (which carries over). Otherwise it ends on its last epoch's
            # weights, because scikit-learn's saved best weights are, after
            # the restore that ended the previous fit, the live ones.
            est._best_params = est._best_running = None
        self._allocate(X, y, sample_weight)
        self._run()
        if est.early_stopping and est._best_params is not None:
            # restore best weights
            est._params[:] = est._best_params
            est._running[:] = est._best_running

    def _split(self, X, y, sample_weight):
        """Set the validation set aside (``self.val``); return the training part."""
        est = self.est
        classifier = is_classifier(est)
        X, y, sample_weight, rows, self.val = split_validation_set(
            X,
            y,
            sample_weight,
            fraction=est.validation_fraction,
            random_state=est._random_state,
            binarizer=est._label_binarizer if classifier else None,
            stratify_multiclass=classifier and est.stratify_multiclass,
        )
        if self.tasks is not None:
            self.tasks.train_on(rows)
        return X, y, sample_weight

    def _allocate(self, X, y, sample_weight):
        """The kernels' input, targets and workspaces: once per call, reused by every batch."""
        est = self.est
        layout = est._layout
        dtype = est._params.dtype
        self.inp = inp = EngineInput(X, dtype)
        self.Y = np.ascontiguousarray(est._training_targets(y))
        self.sw = np.ascontiguousarray(sample_weight)
        n_samples = inp.n_samples
        if est.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if est.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(est.batch_size, 1, n_samples))
        self.spec = est._spec(dtype)
        shapes = (batch_size, inp.sparse, self.spec[0])
        if self.incremental:
            # A stream of partial_fit calls: the same arrays for every chunk.
            shape = (tuple(layout.units.tolist()), layout.batch_norm, est._optimizer_state.shape)
            # The hidden codes are an array: compared as a tuple.
            key = (*shape, dtype, batch_size, inp.sparse, tuple(self.spec[0].tolist()))
            scratch = kept(est, key, lambda: self._scratch(*shapes))
        else:
            scratch = self._scratch(*shapes)
        self.grads, self.ws, self.buffers, self.backup = scratch
        self.order = np.arange(n_samples, dtype=np.int64)
        self.norm = norm_pack(layout, est._running, batch_size, training=True)
        self.drop = drop_pack(layout, dtype, batch_size, self.dropout_rates, inp, self.Y)
        self.dropout = self.drop is not NO_DROPOUT[dtype]
        if self.dropout:
            # One draw per call (only with dropout, so the draws without it
            # are sklearn's); the epochs' masks derive from it and the number
            # of the epoch in the model's life, not from the shuffling draws,
            # which depend on n_samples.  The epoch number changes the masks
            # from one partial_fit or warm-started fit to the next even when an
            # integer random_state gives each call the same draws.
            self.drop[4][0] = est._random_state.randint(np.iinfo(np.int64).max)

    def _scratch(self, batch_size, sparse, hidden):
        """The arrays a call overwrites before reading: gradient, workspaces, checkpoint."""
        est = self.est
        layout, dtype = est._layout, est._params.dtype
        grads = np.empty_like(est._params)  # backprop writes every entry
        ws = workspaces(layout, batch_size, hidden, dtype)
        # Where each batch is gathered (X only when dense: CSR rows are read in place).
        buffers = (
            np.empty((0 if sparse else batch_size, layout.units[0]), dtype=dtype),
            np.empty((batch_size, layout.units[-1]), dtype=dtype),
            np.empty(batch_size, dtype=dtype),
            np.empty(batch_size, dtype=np.int64),
            np.zeros(1, dtype=np.int64),  # the epoch's count of non-finite input values
        )
        # The epoch checkpoint's copies of what an epoch updates in place.
        backup = {name: np.empty_like(getattr(est, name)) for name in _EPOCH_ARRAYS}
        return grads, ws, buffers, backup

    def _run(self):
        """The epochs: each undone if it diverges or is interrupted before it completes."""
        est, tasks = self.est, self.tasks
        checkpoint = None
        self.progress = None if self.incremental else progress_bar(est.verbose, est.max_iter)
        try:
            est.n_iter_ = 0
            for _ in range(est.max_iter):
                # What this epoch changes, to undo it if it diverges or is
                # interrupted before its bookkeeping is complete.
                checkpoint = Snapshot(est, _EPOCH_ARRAYS, into=self.backup)
                if tasks is not None:
                    tasks.begin()
                total, step = self._epoch()
                if self.buffers[4][0]:
                    # NaN or infinity in X or y, which partial_fit's fast path
                    # leaves to the epoch to find: undone, and refused.
                    checkpoint.restore(est)
                    checkpoint = None
                    self._refuse_nonfinite_input()
                # Diverged: a non-finite loss, or weights whose squared norm
                # (the L2 term) overflows, which no input can be used with.
                if not (np.isfinite(total) and usable(est._params)):
                    checkpoint.restore(est)
                    checkpoint = None
                    self._diverged()
                    break
                stop = self._complete_epoch(total, step)
                checkpoint = None  # the epoch is complete
                if tasks is not None and tasks.end():
                    stop = self._stopped_by_callback()
                if stop or self.incremental:
                    break
                if est.n_iter_ == est.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet." % est.max_iter,
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            if checkpoint is not None:
                checkpoint.restore(est)
            if est.n_iter_ == 0:
                raise NothingTrained(diverged=False) from None
            warnings.warn(
                "Training interrupted by user after %d epoch(s); the model keeps the "
                "weights of the last completed epoch%s."
                % (est.n_iter_, " with the best validation score" if est.early_stopping else ""),
                stacklevel=5,
            )
        finally:
            if self.progress is not None:
                self.progress.close()

    def _refuse_nonfinite_input(self):
        """Raise scikit-learn's error for the NaN or infinity the epoch met in X or y."""
        est = self.est
        check_array(self.inp.dense, input_name="X", estimator=est)
        check_array(self.Y, input_name="y", estimator=est)
        raise ValueError("Input contains NaN or infinity.")  # not reached

    def _stopped_by_callback(self):
        """A callback asked to stop after this epoch: stop as early stopping does."""
        if self.est.verbose:
            say = print if self.progress is None else self.progress.write
            say("A callback asked to stop after epoch %d. Stopping." % self.est.n_iter_)
        return True

    def _diverged(self):
        """After an epoch that diverged was undone: raise if it was the call's first."""
        est = self.est
        if est.n_iter_ == 0:
            raise NothingTrained(diverged=True)
        warnings.warn(
            "Training diverged in epoch %d: the training loss became "
            "non-finite, so training stopped and the weights after epoch "
            "%d were restored. Lower learning_rate_init, or scale the "
            "input (for example with StandardScaler)." % (est.n_iter_ + 1, est.n_iter_),
            ConvergenceWarning,
            stacklevel=5,
        )

    def _epoch(self):
        """Shuffle and run one compiled epoch; ``(loss sum, optimizer step count)``."""
        est = self.est
        if est.shuffle:
            # What sklearn.utils.shuffle does, without its validation
            # overhead: the same draw, so the same batches as sklearn.
            permutation = np.arange(self.order.shape[0])
            est._random_state.shuffle(permutation)
            self.order = self.order[permutation]
        if self.dropout:
            self.drop[4][1] = len(est.loss_curve_)  # epochs trained before this one
        hyper = est._optimizer_hyper
        hyper[LR] = self._learning_rate()
        opt = (SOLVERS[est.solver], est._optimizer_state, est._optimizer_t, hyper, float(est.alpha))
        train = (self.Y, self.sw, self.order)
        return _engine.run_epoch(
            est._params, self.grads, opt, est._layout.pack, self.inp.pack, train, self.buffers,
            self.ws, self.spec, self.norm, self.drop,
        )  # fmt: skip

    def _complete_epoch(self, total, step):
        """The bookkeeping of a completed epoch; True when training should stop."""
        est = self.est
        est._optimizer_t = step
        est.n_iter_ += 1
        est.loss_ = total / self.inp.n_samples
        est.t_ += self.inp.n_samples
        est.loss_curve_.append(est.loss_)
        report = self.progress is None
        if est.verbose and report:
            print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))
        if est.early_stopping:
            est.validation_loss_curve_.append(self._validation_loss())
        self._count_no_improvement(report)
        if self.progress is not None:
            score = est.validation_scores_[-1] if est.early_stopping else None
            self.progress.update(est.n_iter_, est.loss_, score)
        est._optimizer_epoch += 1
        schedule, lr_init, power_t = est._optimizer_schedule[:3]
        if schedule == "invscaling":
            est._learning_rate = lr_init / (est.t_ + 1) ** power_t
        if est._no_improvement_count <= est.n_iter_no_change:
            return False
        # not better than last `n_iter_no_change` iterations by tol:
        # stop, or decrease the learning rate
        if est.early_stopping:
            msg = "Validation score did not improve more than tol=%f for %d consecutive epochs."
        else:
            msg = "Training loss did not improve more than tol=%f for %d consecutive epochs."
        stop = self._stop_or_decay(msg % (est.tol, est.n_iter_no_change), schedule)
        if not stop:
            est._no_improvement_count = 0
        return stop

    def _learning_rate(self):
        """The learning rate of the next epoch: schedule, then linear warm-up.

        'constant', 'invscaling' and 'adaptive' keep their current rate in
        ``_learning_rate``; 'cosine' anneals from ``learning_rate_init`` to 0
        over the epochs after the warm-up.
        """
        est = self.est
        schedule, lr_init, _, warmup, horizon = est._optimizer_schedule
        epoch = est._optimizer_epoch
        rate = est._learning_rate
        if schedule == "cosine":
            span = max(1, horizon - warmup)
            progress = min(max(epoch - warmup, 0), span) / span
            rate = lr_init * 0.5 * (1.0 + np.cos(np.pi * progress))
        if epoch < warmup:
            rate *= (epoch + 1) / warmup
        return rate

    def _stop_or_decay(self, msg, schedule):
        """Stop, or with the 'adaptive' schedule divide the learning rate by 5."""
        est = self.est
        say = print if self.progress is None else self.progress.write
        if schedule != "adaptive":
            if est.verbose:
                say(msg + " Stopping.")
            return True
        if est._learning_rate <= 1e-6:
            if est.verbose:
                say(msg + " Learning rate too small. Stopping.")
            return True
        est._learning_rate /= 5.0
        if est.verbose:
            say(msg + " Setting learning rate to %f" % est._learning_rate)
        return False

    def _validation_score(self):
        """Score on the validation set: accuracy / R2, or ``scoring``."""
        est, val = self.est, self.val
        if est.scoring is None:
            return est._score(val.X, val.y, sample_weight=val.sample_weight)
        if est.scoring == "neg_log_loss" and is_classifier(est):
            # Every class the network knows, not only those in the split: a
            # rare class may be missing from it.
            scorer = make_scorer(
                log_loss,
                greater_is_better=False,
                response_method="predict_proba",
                labels=est.classes_,
            )
        else:
            scorer = check_scoring(est, scoring=est.scoring)
        with warnings.catch_warnings():
            # X_val is an array; the names were checked when fit validated X.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            try:
                return float(scorer(est, val.X, val.y, sample_weight=val.sample_weight))
            except ValueError as error:
                if np.isfinite(est._forward_pass_fast(val.X, check_input=False)).all():
                    raise ValueError(
                        f"The early-stopping validation score (scoring={est.scoring!r}) "
                        f"failed on the validation split of {len(val.y)} samples: {error}"
                    ) from error
                return np.nan  # the outputs overflowed: no score this epoch

    def _validation_loss(self):
        """Data loss (without penalty) of the validation set."""
        est, val = self.est, self.val
        P = est._forward_pass_fast(val.X, check_input=False)
        D = np.empty_like(P)
        _, _, loss, loss_param = self.spec
        value = loss_and_delta(loss, P, val.Y, val.sample_weight, loss_param, D)
        total_weight = float(val.sample_weight.sum())
        return float(value) / total_weight if total_weight > 0 else np.nan

    def _count_no_improvement(self, report):
        est = self.est
        if est.early_stopping:
            # compute validation score (can be NaN), use that for stopping
            score = self._validation_score()
            est.validation_scores_.append(score)
            if est.verbose and report:
                print("Validation score: %f" % score)
            if score < (est.best_validation_score_ + est.tol):
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_params = est._params.copy()
                est._best_running = est._running.copy()
        else:
            if est.loss_curve_[-1] > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if est.loss_curve_[-1] < est.best_loss_:
                est.best_loss_ = est.loss_curve_[-1]
