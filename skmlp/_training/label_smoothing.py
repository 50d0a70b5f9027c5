"""Label smoothing: the soft targets a classifier is trained on.

With smoothing ``eps``, the encoded targets ``Y`` (one-hot rows for softmax,
0/1 indicators for the logistic outputs) become

- softmax (multiclass): ``(1 - eps) * Y + eps / n_classes``, the true class
  gets ``1 - eps + eps / n_classes`` and every other ``eps / n_classes``
  (PyTorch's ``CrossEntropyLoss(label_smoothing=eps)``, Keras'
  ``CategoricalCrossentropy``);
- logistic (binary and multilabel): ``(1 - eps) * Y + eps / 2``, Keras'
  ``BinaryCrossentropy(label_smoothing=eps)``.

Both rows still sum to what the output activation produces (1 for softmax),
so the loss kernels' gradient ``prediction - target`` holds unchanged: the
targets are transformed once per fit and the compiled kernels do not change.
"""

import numpy as np


def smooth_targets(Y: np.ndarray, eps: float, softmax: bool) -> np.ndarray:
    """The smoothed copy of the encoded targets ``Y`` (its dtype kept)."""
    if eps == 0:
        return Y
    share = eps / Y.shape[1] if softmax else 0.5 * eps
    smoothed = Y * Y.dtype.type(1.0 - eps)
    smoothed += Y.dtype.type(share)
    return np.ascontiguousarray(smoothed)
