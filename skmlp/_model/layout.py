"""The flat parameter buffer: where each layer's weights and biases live.

All coefficient matrices come first (so the L2 penalty is one loop over a
prefix of the buffer), then all intercept vectors, then (with batch
normalisation) the scale vector of every hidden layer; the scales and the
intercepts, which act as the normalised layers' shifts, are not penalised.
``coefs_``, ``intercepts_`` and ``batch_norm_scales_`` are reshaped views into
the buffer, so the optimizers and L-BFGS work on the buffer itself and never
pack or unpack.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    """Offsets of every layer inside the flat buffers.

    ``units[k]`` is the width of layer ``k`` (0 = input, ``n_layers - 1`` =
    output).  Weight matrix ``i`` connects layer ``i`` to ``i + 1`` and starts at
    ``coef_offsets[i]``; its bias starts at ``intercept_offsets[i]``.
    ``act_offsets[k]`` is where layer ``k``'s activations start in a workspace
    that holds ``rows`` samples per layer.  With batch normalisation,
    ``scale_offsets[i]`` is where the scale of hidden layer ``i + 1`` starts
    (one per hidden layer); without, ``scale_offsets`` is empty.
    """

    units: np.ndarray
    coef_offsets: np.ndarray
    intercept_offsets: np.ndarray
    n_params: int
    n_coefs: int
    scale_offsets: np.ndarray

    @classmethod
    def from_units(cls, layer_units, batch_norm=False):
        units = np.array(layer_units, dtype=np.int64)  # writeable: kernels take no read-only array
        fan = units[:-1] * units[1:]
        coef_offsets = np.concatenate([[0], np.cumsum(fan)[:-1]]).astype(np.int64)
        n_coefs = int(fan.sum())
        intercept_offsets = (n_coefs + np.concatenate([[0], np.cumsum(units[1:])[:-1]])).astype(
            np.int64
        )
        n_params = n_coefs + int(units[1:].sum())
        hidden = units[1:-1] if batch_norm else units[:0]
        scale_offsets = (n_params + np.concatenate([[0], np.cumsum(hidden)[:-1]])).astype(np.int64)
        scale_offsets = scale_offsets[: len(hidden)]
        n_params += int(hidden.sum())
        return cls(units, coef_offsets, intercept_offsets, n_params, n_coefs, scale_offsets)

    @property
    def pack(self):
        """The kernels' ``layout`` pack: ``(units, coef_offsets, intercept_offsets, n_coefs)``."""
        return self.units, self.coef_offsets, self.intercept_offsets, self.n_coefs

    @property
    def batch_norm(self):
        """Whether the hidden layers are batch-normalised (and have scales)."""
        return len(self.scale_offsets) > 0

    @property
    def n_normalized(self):
        """Number of batch-normalised units (all hidden units, or 0)."""
        return int(self.units[1:-1].sum()) if self.batch_norm else 0

    def act_offsets(self, rows):
        """Start of each layer's block in a workspace of ``rows`` samples."""
        sizes = rows * self.units
        sizes[0] = 0  # the input layer is never stored in the workspace
        return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    def workspace_size(self, rows):
        return int(rows * self.units[1:].sum())

    def views(self, flat):
        """Return ``(coefs, intercepts)``: lists of views into ``flat``."""
        coefs, intercepts = [], []
        for i in range(len(self.units) - 1):
            fan_in, fan_out = int(self.units[i]), int(self.units[i + 1])
            start = int(self.coef_offsets[i])
            coefs.append(flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out))
            start = int(self.intercept_offsets[i])
            intercepts.append(flat[start : start + fan_out])
        return coefs, intercepts

    def scale_views(self, flat):
        """The batch-normalisation scale of each hidden layer: views into ``flat``."""
        return [
            flat[start : start + int(self.units[i + 1])]
            for i, start in enumerate(self.scale_offsets.tolist())
        ]

    def statistic_views(self, running):
        """Running means and variances of each hidden layer: views into ``running``.

        ``running`` holds all means, then all variances (``2 * n_normalized``).
        """
        means, variances = [], []
        start = 0
        for width in self.units[1:-1].tolist() if self.batch_norm else []:
            means.append(running[start : start + width])
            variances.append(running[self.n_normalized + start : self.n_normalized + start + width])
            start += width
        return means, variances
