"""The L-BFGS solver: SciPy's L-BFGS-B on the flat parameter buffer.

SciPy minimises the full-batch loss of a :class:`skmlp._engine.workspaces.Batch`
directly over the buffer (no packing). :class:`LbfgsTrainer` does not reach
into the estimator: it takes the buffer, the batch the estimator built, the
hyper-parameters, and returns an :class:`LbfgsResult`, which the estimator
assigns to its fitted attributes. The trainer keeps the last accepted finite
iterate, so that divergence or Ctrl-C leaves the model of the last completed
iteration.

With callbacks (:mod:`skmlp._training.callbacks`), an iteration's subtask opens at
its first loss evaluation and closes at SciPy's callback, with the accepted
iterate as the model; a callback that asks to stop ends the minimisation
there (``StopIteration``), without a convergence warning.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from .._engine.workspaces import usable
from .progress import progress_bar
from .rollback import NothingTrained


def _check_result(result, max_iter, advice=None):
    """Warn like scikit-learn when L-BFGS stopped before converging; return n_iter.

    ``advice()``: what the estimator appends to the warning.
    """
    if result.status != 0:
        message = result.message
        if isinstance(message, bytes):
            message = message.decode("latin1")
        warnings.warn(
            "lbfgs failed to converge after %d iteration(s) (status=%d):\n%s\n\n"
            "Increase the number of iterations to improve the convergence "
            "(max_iter=%d).\nYou might also want to scale the data."
            % (result.nit, result.status, message, max_iter)
            + (advice() if advice is not None else ""),
            ConvergenceWarning,
            stacklevel=6,
        )
    return min(result.nit, max_iter)


@dataclass(eq=False)
class LbfgsResult:
    """What a call of :meth:`LbfgsTrainer.fit` produced, besides the buffer.

    ``n_iter`` and ``loss`` are the fitted ``n_iter_`` and ``loss_``.
    ``float64_params`` is the solution when the buffer is float32: SciPy
    works in float64, and as in scikit-learn the model of float32 input
    becomes float64 (the buffer then keeps its last evaluated point); None
    when the solution is in the buffer.
    """

    n_iter: int
    loss: float | None
    float64_params: np.ndarray | None


class LbfgsTrainer:
    """One call of ``fit`` with ``solver='lbfgs'``.

    Parameters
    ----------
    params : ndarray
        The flat parameter buffer, the starting point; it holds the solution
        after :meth:`fit` (unless :attr:`LbfgsResult.float64_params` does).
    batch : Batch
        The compiled full-batch loss (:class:`skmlp._engine.workspaces.Batch`)
        of the training data and targets.
    tasks : FitTasks or None
        The call's callback tasks (:mod:`skmlp._training.callbacks`).
    alpha, l1_ratio, max_iter, max_fun, tol, verbose
        The estimator's hyper-parameters of these names.
    advice : callable or None
        What the estimator appends to a ``ConvergenceWarning``
        (:mod:`skmlp._training.advice`), called only when one is issued.
    """

    def __init__(
        self, params, batch, *, tasks, alpha, l1_ratio, max_iter, max_fun, tol, verbose, advice=None
    ):
        self.tasks = tasks
        self.advice = advice
        self.stopped = False  # by a callback
        self.params = params
        self.grads = np.zeros_like(params)
        # No dropout or batch norm here: both conflict with lbfgs.
        self.batch = batch
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        self.max_iter, self.max_fun, self.tol, self.verbose = max_iter, max_fun, tol, verbose
        # The last accepted iterate: what the model keeps if the optimizer
        # ends on a non-finite point or is interrupted.
        self.x = params.astype(np.float64)
        self.fun = None
        self.nit = 0
        self.progress = None

    def _loss_and_gradient(self, x):
        if self.tasks is not None and self.tasks.task is None:
            # The next iteration starts here, from the last accepted iterate.
            self.tasks.begin(self.x, n_iter_=self.nit, loss_=self.fun)
        self.params[:] = x
        value = self._loss_grad()
        # A copy: the optimizer keeps the returned gradient between calls.
        return value, self.grads.astype(np.float64)

    def _loss_grad(self):
        """The compiled loss of the buffer's weights, its gradient into ``grads``."""
        return self.batch.loss_grad(self.params, self.grads, self.alpha, self.l1_ratio)

    def _callback(self, intermediate_result):
        fun = float(intermediate_result.fun)
        if not (np.isfinite(fun) and usable(intermediate_result.x)):
            return  # not an iterate the model can keep
        self.x, self.fun = intermediate_result.x.copy(), fun
        self.nit += 1
        if self.progress is not None:
            self.progress.update(self.nit, fun)
        elif self.verbose:
            print("Iteration %d, loss = %.8f" % (self.nit, fun))
        if self.tasks is not None and self.tasks.end(self.x, n_iter_=self.nit, loss_=self.fun):
            self.stopped = True
            if self.verbose:
                say = print if self.progress is None else self.progress.write
                say("A callback asked to stop after iteration %d. Stopping." % self.nit)
            raise StopIteration

    def _minimize(self):
        """SciPy's result, or None when interrupted after an iteration completed."""
        self.progress = progress_bar(self.verbose, self.max_iter)
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
                    options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
                    callback=self._callback,
                )
        except KeyboardInterrupt:
            if self.nit == 0:
                self.params[:] = self.x  # the buffer is the previous model's with warm_start
                raise NothingTrained(diverged=False) from None
            warnings.warn(
                "Training interrupted by user after %d iteration(s); the model keeps "
                "the weights of the last completed iteration." % self.nit,
                stacklevel=6,
            )
            return None
        finally:
            if self.progress is not None:
                self.progress.close()

    def _result(self, n_iter, loss, x):
        """Make SciPy's float64 point ``x`` the model's weights, with ``n_iter`` and ``loss``.

        In the buffer when it is float64; otherwise the result holds it.
        """
        if self.params.dtype == np.float64:
            self.params[:] = x
            return LbfgsResult(n_iter, loss, None)
        return LbfgsResult(n_iter, loss, x)

    def fit(self):
        """Minimise; the result, with the solution in the buffer or the result."""
        result = self._minimize()
        if self.stopped:  # by a callback, at the last accepted iterate
            result = None
        if result is not None and np.isfinite(result.fun) and usable(result.x):
            n_iter = _check_result(result, self.max_iter, self.advice)
            return self._result(n_iter, float(result.fun), result.x)
        if result is not None:
            if self.nit == 0:
                # Nothing trained: the starting point back in the buffer
                # (exact in either dtype: it came from the buffer).
                self.params[:] = self.x
                raise NothingTrained(diverged=True)
            warnings.warn(
                "Training diverged: the loss became non-finite after %d iteration(s), "
                "so training stopped and the weights of the last finite iteration "
                "were restored. Scale the input (for example with StandardScaler)." % self.nit,
                ConvergenceWarning,
                stacklevel=5,
            )
        return self._result(self.nit, self.fun, self.x)
