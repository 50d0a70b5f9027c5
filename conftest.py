"""pytest configuration at the root: what ``--doctest-modules`` collects."""

import importlib.util

# skmlp.onnx imports skl2onnx, an optional dependency (the ``onnx`` extra);
# without it the module is not collected (tests/test_onnx.py skips itself).
collect_ignore = [] if importlib.util.find_spec("skl2onnx") else ["skmlp/onnx.py"]
