"""Where skmlp 0.1.0 defined ``Layout``: kept so that its pickles still load.

Models pickled by skmlp 0.1.0 hold a ``skmlp._layout.Layout`` object; the
class now lives in :mod:`skmlp._model.layout`.
"""

from ._model.layout import Layout

__all__ = ["Layout"]
