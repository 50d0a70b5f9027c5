"""The stochastic solvers' training loop: one compiled call per epoch.

:class:`StochasticTrainer` runs one call of ``fit`` or ``partial_fit``. It
does not reach into the estimator: it takes the flat parameter buffer and batch
normalisation's running statistics (updated in place), the model's layout
and the kernels' ``spec`` pack, the :class:`~skmlp._training.state.TrainingState`
it continues, the hyper-parameters, and two callables for what only the
estimator knows (its validation score, and its outputs for the validation
loss); it returns the state, which the estimator assigns to its fitted
attributes.

It starts (or continues) the optimizer, allocates the workspaces once, then
runs the epochs. Between two compiled epochs, in Python: the divergence test
and rollback, the record of training, early stopping, the learning-rate
schedule, the stopping rule and the progress output. The optimizer's state
and schedule are plain arrays and builtins of the state, so ``partial_fit``
continues them and a pickled model resumes exactly.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
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


class StochasticTrainer:
    """One call of ``fit`` (``incremental=False``) or ``partial_fit``.

    The keyword arguments from ``solver`` on are the estimator's
    hyper-parameters of the same names.

    Parameters
    ----------
    params, running : ndarray
        The flat parameter buffer and batch norm's running statistics (one
        array, means then variances), updated in place: the trained model.
    layout : Layout
        Where each layer lives in ``params``.
    spec : tuple
        The kernels' ``spec`` pack (the estimator's ``_spec``).
    state : TrainingState
        The record of training and the optimizer this call continues; the
        call extends it (its lists and arrays in place) and returns it.
    incremental : bool
        ``partial_fit``: one epoch, continuing the optimizer.
    warm : bool
        ``fit`` continues from the weights of an earlier call
        (``warm_start=True``) instead of fresh ones.
    dropout_rates : list of float
        One dropout rate per hidden layer.
    random_state : RandomState
        The generator of the shuffling and of the dropout masks' seed.
    tasks : FitTasks or None
        The call's callback tasks (:mod:`skmlp._training.callbacks`).
    owner : object
        What the workspaces of ``partial_fit`` are kept for between calls
        (the estimator: a key of :func:`~skmlp._engine.workspaces.kept`, never read).
    name : str
        The estimator's name, in the error of non-finite input.
    score : callable or None
        ``score(X, y, sample_weight)``: the validation score (early stopping).
    predict : callable or None
        ``predict(X)``: the network's outputs, for the validation loss.
    advice : callable or None
        ``advice(loss_curve, learning_rate_init)``: what the estimator appends
        to the ``ConvergenceWarning`` at ``max_iter``
        (:mod:`skmlp._training.advice`), called only when it is issued.
    decay_on_plateau : bool
        Divide the learning rate by 5 at a plateau before stopping, for every
        solver, with ``learning_rate`` 'constant' or 'adaptive' (see
        ``_schedule``): the pinball loss's steps do not shrink near its
        optimum by themselves, so a constant rate leaves the quantiles noisy.
    """

    def __init__(
        self, params, running, layout, spec, state, *, incremental, warm, dropout_rates,
        random_state, tasks, owner, name, score, predict, advice=None, solver, alpha, batch_size,
        shuffle, max_iter, tol, n_iter_no_change, early_stopping, verbose, learning_rate,
        learning_rate_init, power_t, momentum, nesterovs_momentum, beta_1, beta_2, epsilon,
        l1_ratio, max_grad_norm, warmup_fraction, schedule_adam, decay_on_plateau=False,
    ):  # fmt: skip
        self.params, self.running, self.layout, self.spec = params, running, layout, spec
        self.state = state
        self.incremental, self.warm = incremental, warm
        self.dropout_rates = dropout_rates
        self.random_state = random_state
        self.tasks, self.owner, self.name = tasks, owner, name
        self.score, self.predict = score, predict
        self.advice = advice
        self.solver, self.alpha, self.batch_size = solver, alpha, batch_size
        self.shuffle, self.max_iter, self.tol = shuffle, max_iter, tol
        self.n_iter_no_change, self.early_stopping = n_iter_no_change, early_stopping
        self.verbose = verbose
        self.learning_rate, self.learning_rate_init = learning_rate, learning_rate_init
        self.power_t, self.momentum, self.nesterovs_momentum = power_t, momentum, nesterovs_momentum
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.l1_ratio, self.max_grad_norm = l1_ratio, max_grad_norm
        self.warmup_fraction, self.schedule_adam = warmup_fraction, schedule_adam
        self.decay_on_plateau = decay_on_plateau
        self.val = None
        self.progress = None

    def fit(self, X, Y, sample_weight, validation=None):
        """Train on ``X`` and the training targets ``Y``; return the state.

        The buffer holds the trained weights. ``validation`` is the
        early-stopping :class:`~skmlp._training.validation_set.ValidationSet`
        (split off or given to ``fit``).
        """
        state = self.state
        self._start_optimizer()
        self.val = validation
        if self.early_stopping and self.warm and not self.incremental:
            # As in scikit-learn: a warm-started fit restores the best weights
            # only if one of its own epochs beats best_validation_score_
            # (which carries over). Otherwise it ends on its last epoch's
            # weights, because scikit-learn's saved best weights are, after
            # the restore that ended the previous fit, the live ones.
            state.best_params = state.best_running = None
        self._allocate(X, Y, sample_weight)
        self._run()
        if self.early_stopping and state.best_params is not None:
            # restore best weights
            self.params[:] = state.best_params
            self.running[:] = state.best_running
        return state

    # ------------------------------------------------------------------
    # The optimizer

    def _start_optimizer(self):
        """Start a fresh optimizer unless ``partial_fit`` continues the state's one.

        Like scikit-learn's optimizer objects, the settings are fixed when the
        optimizer starts: ``set_params`` between ``partial_fit`` calls does not
        reach a running optimizer.
        """
        state = self.state
        n_params = self.layout.n_params
        if (
            self.incremental
            and state.optimizer_solver == self.solver
            and state.optimizer_state is not None
            and state.optimizer_state.shape[-1] == n_params
        ):
            return
        state.optimizer_solver = self.solver
        rows = STATE_ROWS[SOLVERS[self.solver]]
        state.optimizer_state = np.zeros((rows, n_params), self.params.dtype)
        state.optimizer_t = 0
        state.learning_rate = float(self.learning_rate_init)
        state.optimizer_hyper = hyperparameters(
            self.learning_rate_init,
            self.momentum,
            self.nesterovs_momentum,
            self.beta_1,
            self.beta_2,
            self.epsilon,
            self.l1_ratio,
            self.max_grad_norm,
        )
        state.optimizer_schedule = (
            self._schedule(),
            float(self.learning_rate_init),
            float(self.power_t),
            int(np.ceil(self.warmup_fraction * self.max_iter)),
            int(self.max_iter),
        )
        state.optimizer_epoch = 0

    def _schedule(self):
        """The learning-rate schedule the optimizer follows.

        scikit-learn ignores 'invscaling' and 'adaptive' for solver='adam' (a
        constant rate, and 'adaptive' stops like 'constant'); ``schedule_adam=True``
        applies them, as to every other stochastic solver. With
        ``decay_on_plateau`` (the pinball loss), 'constant' and 'adaptive'
        are 'adaptive' for every solver.
        """
        if self.decay_on_plateau and self.learning_rate in ("constant", "adaptive"):
            return "adaptive"
        if (
            self.solver == "adam"
            and self.learning_rate in ("invscaling", "adaptive")
            and not self.schedule_adam
        ):
            return "constant"
        return self.learning_rate

    def _next_learning_rate(self):
        """The learning rate of the next epoch: schedule, then linear warm-up.

        'constant', 'invscaling' and 'adaptive' keep their current rate in
        ``learning_rate``; 'cosine' anneals from ``learning_rate_init`` to 0
        over the epochs after the warm-up.
        """
        state = self.state
        schedule, lr_init, _, warmup, horizon = state.optimizer_schedule
        epoch = state.optimizer_epoch
        rate = state.learning_rate
        if schedule == "cosine":
            span = max(1, horizon - warmup)
            progress = min(max(epoch - warmup, 0), span) / span
            rate = lr_init * 0.5 * (1.0 + np.cos(np.pi * progress))
        if epoch < warmup:
            rate *= (epoch + 1) / warmup
        return rate

    # ------------------------------------------------------------------
    # The compiled epoch and its arrays

    def _allocate(self, X, Y, sample_weight):
        """The kernels' input, targets and workspaces: once per call, reused by every batch."""
        layout, dtype = self.layout, self.params.dtype
        self.inp = inp = EngineInput(X, dtype)
        # Writeable C arrays of the buffer's dtype, as the compiled epoch takes
        # them (a read-only memory map is copied).
        self.Y = np.require(Y, dtype, ["C", "W"])
        self.sw = np.require(sample_weight, dtype, ["C", "W"])
        n_samples = inp.n_samples
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        shapes = (batch_size, inp.sparse, self.spec[0])
        if self.incremental:
            # A stream of partial_fit calls: the same arrays for every chunk.
            state_shape = self.state.optimizer_state.shape
            shape = (tuple(layout.units.tolist()), layout.batch_norm, state_shape)
            # The hidden codes are an array: compared as a tuple.
            key = (*shape, dtype, batch_size, inp.sparse, tuple(self.spec[0].tolist()))
            scratch = kept(self.owner, key, lambda: self._scratch(*shapes))
        else:
            scratch = self._scratch(*shapes)
        self.grads, self.ws, self.buffers, self.backup = scratch
        self.order = np.arange(n_samples, dtype=np.int64)
        self.norm = norm_pack(layout, self.running, batch_size, training=True)
        self.drop = drop_pack(layout, dtype, batch_size, self.dropout_rates, inp, self.Y)
        self.dropout = self.drop is not NO_DROPOUT[dtype]
        if self.dropout:
            # One draw per call (only with dropout, so the draws without it
            # are sklearn's); the epochs' masks derive from it and the number
            # of the epoch in the model's life, not from the shuffling draws,
            # which depend on n_samples.  The epoch number changes the masks
            # from one partial_fit or warm-started fit to the next even when an
            # integer random_state gives each call the same draws.
            self.drop[4][0] = self.random_state.randint(np.iinfo(np.int64).max)

    def _scratch(self, batch_size, sparse, hidden):
        """The arrays a call overwrites before reading: gradient, workspaces, checkpoint."""
        layout, dtype = self.layout, self.params.dtype
        grads = np.empty_like(self.params)  # backprop writes every entry
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
        backup = tuple(np.empty_like(array) for array in self._epoch_arrays())
        return grads, ws, buffers, backup

    def _epoch_arrays(self):
        """What an epoch updates in place, besides the state's fields it sets."""
        return self.params, self.state.optimizer_state, self.running

    def _epoch(self):
        """Shuffle and run one compiled epoch; ``(loss sum, optimizer step count)``."""
        state = self.state
        if self.shuffle:
            # What sklearn.utils.shuffle does, without its validation
            # overhead: the same draw, so the same batches as sklearn.
            permutation = np.arange(self.order.shape[0])
            self.random_state.shuffle(permutation)
            self.order = self.order[permutation]
        if self.dropout:
            self.drop[4][1] = len(state.loss_curve)  # epochs trained before this one
        hyper = state.optimizer_hyper
        hyper[LR] = self._next_learning_rate()
        opt = (
            SOLVERS[self.solver],
            state.optimizer_state,
            state.optimizer_t,
            hyper,
            float(self.alpha),
        )
        train = (self.Y, self.sw, self.order)
        return _engine.run_epoch(
            self.params, self.grads, opt, self.layout.pack, self.inp.pack, train, self.buffers,
            self.ws, self.spec, self.norm, self.drop,
        )  # fmt: skip

    # ------------------------------------------------------------------
    # The epochs

    def _run(self):
        """The epochs: each undone if it diverges or is interrupted before it completes."""
        state, tasks = self.state, self.tasks
        checkpoint = None
        self.progress = None if self.incremental else progress_bar(self.verbose, self.max_iter)
        try:
            state.n_iter = 0
            for _ in range(self.max_iter):
                # What this epoch changes, to undo it if it diverges or is
                # interrupted before its bookkeeping is complete.
                checkpoint = Snapshot(state, self._epoch_arrays(), into=self.backup)
                if tasks is not None:
                    tasks.begin(**state.fitted_attributes())
                total, step = self._epoch()
                if self.buffers[4][0]:
                    # NaN or infinity in X or y, which partial_fit's fast path
                    # leaves to the epoch to find: undone, and refused.
                    checkpoint.restore(state)
                    checkpoint = None
                    self._refuse_nonfinite_input()
                # Diverged: a non-finite loss, or weights whose squared norm
                # (the L2 term) overflows, which no input can be used with.
                if not (np.isfinite(total) and usable(self.params)):
                    checkpoint.restore(state)
                    checkpoint = None
                    self._diverged()
                    break
                stop = self._complete_epoch(total, step)
                checkpoint = None  # the epoch is complete
                if tasks is not None and tasks.end(**state.fitted_attributes()):
                    stop = self._stopped_by_callback()
                if stop or self.incremental:
                    break
                if state.n_iter == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet."
                        % self.max_iter
                        + self._advice(),
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            if checkpoint is not None:
                checkpoint.restore(state)
            if state.n_iter == 0:
                raise NothingTrained(diverged=False) from None
            warnings.warn(
                "Training interrupted by user after %d epoch(s); the model keeps the "
                "weights of the last completed epoch%s."
                % (state.n_iter, " with the best validation score" if self.early_stopping else ""),
                stacklevel=6,
            )
        finally:
            if self.progress is not None:
                self.progress.close()

    def _refuse_nonfinite_input(self):
        """Raise scikit-learn's error for the NaN or infinity the epoch met in X or y."""
        check_array(self.inp.dense, input_name="X", estimator=self.name)
        check_array(self.Y, input_name="y", estimator=self.name)
        raise ValueError("Input contains NaN or infinity.")  # not reached

    def _advice(self):
        """What the estimator advises after a fit that did not converge (or ``""``)."""
        if self.advice is None:
            return ""
        return self.advice(self.state.loss_curve, self.learning_rate_init)

    def _say(self, message):
        """Print ``message``, above the progress bar when there is one."""
        (print if self.progress is None else self.progress.write)(message)

    def _stopped_by_callback(self):
        """A callback asked to stop after this epoch: stop as early stopping does."""
        if self.verbose:
            self._say("A callback asked to stop after epoch %d. Stopping." % self.state.n_iter)
        return True

    def _diverged(self):
        """After an epoch that diverged was undone: raise if it was the call's first."""
        n_iter = self.state.n_iter
        if n_iter == 0:
            raise NothingTrained(diverged=True)
        warnings.warn(
            "Training diverged in epoch %d: the training loss became "
            "non-finite, so training stopped and the weights after epoch "
            "%d were restored. Lower learning_rate_init, or scale the "
            "input (for example with StandardScaler)." % (n_iter + 1, n_iter),
            ConvergenceWarning,
            stacklevel=6,
        )

    def _complete_epoch(self, total, step):
        """The bookkeeping of a completed epoch; True when training should stop."""
        state = self.state
        n_samples = self.inp.n_samples
        state.optimizer_t = step
        state.n_iter += 1
        state.loss = total / n_samples
        state.t += n_samples
        state.loss_curve.append(state.loss)
        report = self.progress is None
        if self.verbose and report:
            print("Iteration %d, loss = %.8f" % (state.n_iter, state.loss))
        if self.early_stopping:
            state.validation_loss_curve.append(self._validation_loss())
        self._count_no_improvement(report)
        if self.progress is not None:
            score = state.validation_scores[-1] if self.early_stopping else None
            self.progress.update(state.n_iter, state.loss, score)
        state.optimizer_epoch += 1
        schedule, lr_init, power_t = state.optimizer_schedule[:3]
        if schedule == "invscaling":
            state.learning_rate = lr_init / (state.t + 1) ** power_t
        if state.no_improvement_count <= self.n_iter_no_change:
            return False
        # not better than last `n_iter_no_change` iterations by tol:
        # stop, or decrease the learning rate
        if self.early_stopping:
            msg = "Validation score did not improve more than tol=%f for %d consecutive epochs."
        else:
            msg = "Training loss did not improve more than tol=%f for %d consecutive epochs."
        stop = self._stop_or_decay(msg % (self.tol, self.n_iter_no_change), schedule)
        if not stop:
            state.no_improvement_count = 0
        return stop

    def _stop_or_decay(self, msg, schedule):
        """Stop, or with the 'adaptive' schedule divide the learning rate by 5."""
        state = self.state
        if schedule != "adaptive":
            if self.verbose:
                self._say(msg + " Stopping.")
            return True
        if state.learning_rate <= 1e-6:
            if self.verbose:
                self._say(msg + " Learning rate too small. Stopping.")
            return True
        state.learning_rate /= 5.0
        if self.verbose:
            self._say(msg + " Setting learning rate to %f" % state.learning_rate)
        return False

    # ------------------------------------------------------------------
    # Early stopping

    def _validation_loss(self):
        """Data loss (without penalty) of the validation set."""
        val = self.val
        P = self.predict(val.X)
        D = np.empty_like(P)
        _, _, loss, loss_param = self.spec
        value = loss_and_delta(loss, P, val.Y, val.sample_weight, loss_param, D)
        total_weight = float(val.sample_weight.sum())
        return float(value) / total_weight if total_weight > 0 else np.nan

    def _count_no_improvement(self, report):
        state = self.state
        if self.early_stopping:
            # compute validation score (can be NaN), use that for stopping
            val = self.val
            score = self.score(val.X, val.y, val.sample_weight)
            state.validation_scores.append(score)
            if self.verbose and report:
                print("Validation score: %f" % score)
            if score < (state.best_validation_score + self.tol):
                state.no_improvement_count += 1
            else:
                state.no_improvement_count = 0
            if score > state.best_validation_score:
                state.best_validation_score = score
                state.best_params = self.params.copy()
                state.best_running = self.running.copy()
        else:
            if state.loss_curve[-1] > state.best_loss - self.tol:
                state.no_improvement_count += 1
            else:
                state.no_improvement_count = 0
            if state.loss_curve[-1] < state.best_loss:
                state.best_loss = state.loss_curve[-1]
