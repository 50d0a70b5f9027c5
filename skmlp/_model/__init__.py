"""The model's state: architecture, initial weights, and the flat buffer's layout.

- :mod:`~skmlp._model.architecture`: the hidden layers' widths and activations.
- :mod:`~skmlp._model.initializers`: the initial weight draws.
- :mod:`~skmlp._model.layout`: where each layer's weights, biases and
  batch-norm scales sit in the one flat parameter buffer, and their views.
"""
