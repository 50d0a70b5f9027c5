"""Run the gallery examples and check the claims their text makes."""

import functools
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))
#: Optional packages an example imports (its extra); without them it is skipped.
REQUIRES = {"plot_onnx_export.py": ("skl2onnx", "onnxruntime")}


def _skip_without_requirements(path):
    for module in REQUIRES.get(path.name, ()):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{path.name} needs {module} (the onnx extra)")


@functools.cache
def _run(path):
    """Run one example in a fresh interpreter, once per session, with a headless backend."""
    env = dict(os.environ, MPLBACKEND="Agg")
    with tempfile.TemporaryDirectory() as cwd:
        return subprocess.run(
            [sys.executable, str(path)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )


def _summary(stdout):
    """The example's final table: ``{config: {column: value}}``."""
    lines = [line.split() for line in stdout.strip().splitlines()]
    header = lines.index(["config", "train", "loss", "test", "loss", "best", "test", "accuracy"])
    columns = ["train_loss", "test_loss", "best_test_loss", "accuracy"]
    return {row[0]: dict(zip(columns, map(float, row[1:]))) for row in lines[header + 1 :]}


def test_examples_exist():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(path):
    _skip_without_requirements(path)
    result = _run(path)
    assert result.returncode == 0, result.stderr


def test_dropout_batch_norm_example_claims():
    result = _run(EXAMPLES_DIR / "plot_dropout_batch_norm.py")
    assert result.returncode == 0, result.stderr
    table = _summary(result.stdout)
    assert set(table) == {"plain", "dropout=0.5", "batch_norm", "both"}
    plain, dropout = table["plain"], table["dropout=0.5"]
    batch_norm, both = table["batch_norm"], table["both"]

    # The plain network memorises the noisy training set and gets worse on the
    # held-out set than it was at its best epoch.
    assert plain["train_loss"] < 0.01
    assert plain["test_loss"] > plain["best_test_loss"] + 0.05
    # Dropout slows the memorisation and ends (and peaks) with a lower held-out
    # loss and a higher held-out accuracy.
    assert dropout["train_loss"] > 10 * plain["train_loss"]
    assert dropout["test_loss"] < plain["test_loss"] - 0.05
    assert dropout["best_test_loss"] < plain["best_test_loss"]
    assert dropout["accuracy"] > plain["accuracy"] + 0.02
    # Batch norm alone fits the training set fastest, but does not generalise
    # clearly better than the plain network.
    assert batch_norm["train_loss"] == min(row["train_loss"] for row in table.values())
    assert abs(batch_norm["accuracy"] - plain["accuracy"]) < 0.02
    # Both together end best of all.
    assert both["test_loss"] == min(row["test_loss"] for row in table.values())
    assert both["accuracy"] == max(row["accuracy"] for row in table.values())


def test_onnx_export_example_claims():
    path = EXAMPLES_DIR / "plot_onnx_export.py"
    _skip_without_requirements(path)
    result = _run(path)
    assert result.returncode == 0, result.stderr
    found = re.findall(
        r"(float32|float64): labels equal on (\d+) of (\d+) rows, "
        r"largest probability difference (\S+)",
        result.stdout,
    )
    runs = {dtype: (int(same), int(n), float(diff)) for dtype, same, n, diff in found}
    assert set(runs) == {"float32", "float64"}
    # ONNX Runtime predicts every label skmlp predicts, and the probabilities
    # agree to the rounding of each type.
    for dtype, tolerance in (("float32", 1e-5), ("float64", 1e-10)):
        same, n, diff = runs[dtype]
        assert same == n == 569
        assert diff < tolerance
