"""The L-BFGS solver: SciPy's L-BFGS-B on the flat parameter buffer.

SciPy minimises the full-batch loss of :class:`skmlp._engine.workspaces.Batch`
directly over the buffer (no packing). The trainer keeps the last accepted
finite iterate, so that divergence or Ctrl-C leaves the model of the last
completed iteration.

With callbacks (:mod:`skmlp._training.callbacks`), an iteration's subtask opens at
its first loss evaluation and closes at SciPy's callback, with the accepted
iterate as the model; a callback that asks to stop ends the minimisation
there (``StopIteration``), without a convergence warning.
"""

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from .._engine.workspaces import Batch, usable
from .callbacks import model_attributes
from .progress import progress_bar
from .rollback import NothingTrained


def _check_result(result, max_iter):
    """Warn like scikit-learn when L-BFGS stopped before converging; return n_iter."""
    if result.status != 0:
        message = result.message
        if isinstance(message, bytes):
            message = message.decode("latin1")
        warnings.warn(
            "lbfgs failed to converge after %d iteration(s) (status=%d):\n%s\n\n"
            "Increase the number of iterations to improve the convergence "
            "(max_iter=%d).\nYou might also want to scale the data."
            % (result.nit, result.status, message, max_iter),
            ConvergenceWarning,
            stacklevel=5,
        )
    return min(result.nit, max_iter)


class LbfgsTrainer:
    """One call of ``fit`` with ``solver='lbfgs'`` on the estimator ``est``.

    ``tasks`` are the call's callback tasks (:mod:`skmlp._training.callbacks`), or None.
    """

    def __init__(self, est, X, y, sample_weight, tasks=None):
        self.est = est
        self.tasks = tasks
        self.stopped = False  # by a callback
        self.params = est._params
        self.grads = np.zeros_like(self.params)
        # No dropout or batch norm here: both conflict with lbfgs.
        self.batch = Batch(est, X, est._training_targets(y), sample_weight)
        self.alpha = float(est.alpha)
        self.l1_ratio = float(est.l1_ratio)
        # The last accepted iterate: what the model keeps if the optimizer
        # ends on a non-finite point or is interrupted.
        self.x = self.params.astype(np.float64)
        self.fun = None
        self.nit = 0
        self.progress = None

    def _model(self):
        """The attributes of a fitted copy at the last accepted iterate (for callbacks)."""
        return model_attributes(self.est, self.x, n_iter_=self.nit, loss_=self.fun)

    def _loss_and_gradient(self, x):
        if self.tasks is not None and self.tasks.task is None:
            self.tasks.begin(self._model)  # the next iteration starts here
        self.params[:] = x
        value = self.batch.loss_grad(self.params, self.grads, self.alpha, self.l1_ratio)
        # A copy: the optimizer keeps the returned gradient between calls.
        return value, self.grads.astype(np.float64)

    def _callback(self, intermediate_result):
        fun = float(intermediate_result.fun)
        if not (np.isfinite(fun) and usable(intermediate_result.x)):
            return  # not an iterate the model can keep
        self.x, self.fun = intermediate_result.x.copy(), fun
        self.nit += 1
        if self.progress is not None:
            self.progress.update(self.nit, fun)
        elif self.est.verbose:
            print("Iteration %d, loss = %.8f" % (self.nit, fun))
        if self.tasks is not None and self.tasks.end(self._model):
            self.stopped = True
            if self.est.verbose:
                say = print if self.progress is None else self.progress.write
                say("A callback asked to stop after iteration %d. Stopping." % self.nit)
            raise StopIteration

    def _minimize(self):
        """SciPy's result, or None when interrupted after an iteration completed."""
        est = self.est
        self.progress = progress_bar(est.verbose, est.max_iter)
        try:
            # SciPy's line search meets non-finite losses when training
            # diverges; that is reported once, not as NumPy warnings.
            with np.errstate(invalid="ignore", over="ignore"):
                # From the weights in their own dtype, as scikit-learn's
                # packed weights: SciPy then rounds every point it evaluates
                # to that dtype.
                return scipy.optimize.minimize(
                    self._loss_and_gradient,
                    self.params.copy(),
                    method="L-BFGS-B",
                    jac=True,
                    options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
                    callback=self._callback,
                )
        except KeyboardInterrupt:
            if self.nit == 0:
                self.params[:] = self.x  # the buffer is the previous model's with warm_start
                raise NothingTrained(diverged=False) from None
            warnings.warn(
                "Training interrupted by user after %d iteration(s); the model keeps "
                "the weights of the last completed iteration." % self.nit,
                stacklevel=5,
            )
            return None
        finally:
            if self.progress is not None:
                self.progress.close()

    def _keep(self, x):
        """Make SciPy's float64 point ``x`` the model's weights.

        As scikit-learn does: the model of float32 input becomes float64.
        """
        if self.params.dtype == np.float64:
            self.params[:] = x
        else:
            self.est._set_float64_parameters(x)

    def fit(self):
        """Minimise; set ``n_iter_`` and ``loss_`` and leave the solution in the buffer."""
        est = self.est
        result = self._minimize()
        if self.stopped:  # by a callback, at the last accepted iterate
            result = None
        if result is not None and np.isfinite(result.fun) and usable(result.x):
            est.n_iter_ = _check_result(result, est.max_iter)
            est.loss_ = float(result.fun)
            self._keep(result.x)
            return
        self._keep(self.x)
        if result is not None:
            if self.nit == 0:
                raise NothingTrained(diverged=True)
            warnings.warn(
                "Training diverged: the loss became non-finite after %d iteration(s), "
                "so training stopped and the weights of the last finite iteration "
                "were restored. Scale the input (for example with StandardScaler)." % self.nit,
                ConvergenceWarning,
                stacklevel=4,
            )
        est.n_iter_ = self.nit
        est.loss_ = self.fun
