"""Training loops and what runs between their compiled steps.

The trainers do not reach into the estimator: they take arrays,
hyper-parameters and a few callables, update the flat parameter buffer in
place and return the rest of what they produced, which the estimator assigns
to its fitted attributes.

- :mod:`~skmlp._training.stochastic`: the stochastic solvers' epochs.
- :mod:`~skmlp._training.state`: what a stochastic call continues and returns.
- :mod:`~skmlp._training.lbfgs`: SciPy's L-BFGS over the compiled loss.
- :mod:`~skmlp._training.validation_set`: the early-stopping validation set,
  split off the training data or given to ``fit``.
- :mod:`~skmlp._training.rollback`: undoing a failed fit or a diverged epoch.
- :mod:`~skmlp._training.callbacks`, :mod:`~skmlp._training.progress`:
  scikit-learn's callbacks and the progress output.
- :mod:`~skmlp._training.label_smoothing`: the soft targets.
"""
