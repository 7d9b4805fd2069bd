#!/usr/bin/env python3
"""Same-folds comparison of Purchase Lab with scikit-learn and XGBoost.

Runs `purchase-lab train --cv K --json --export-split` on a CSV file, then
trains scikit-learn's MLP (64, 32), a logistic regression (ridge regression
for a numeric target) and XGBoost on exactly the same folds, with the same
recipe (the imputation and scaling the split file names, one-hot encoded
categories, all fitted on each fold's training rows), and prints every
model's metric per fold with its mean and standard deviation.

The values the peers see are the ones Purchase Lab's loader read (numbers
parsed with the file's own format, categories as text), taken from the
split file, so both sides start from identical cells. The test rows of
Purchase Lab's split stay out of every fold.

Usage:
  scripts/compare_peers.py --data FILE.csv --target COL --positive LABEL \
      [--folds 5] [--binary target/debug/purchase-lab] [--markdown] [-- extra train flags]
  scripts/compare_peers.py --data FILE.csv --target spend --regression

Needs: numpy, scikit-learn, xgboost (pip install numpy scikit-learn xgboost).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler


def run_ours(args, split_path):
    cmd = [
        args.binary, "train", "--data", args.data, "--target", args.target,
        "--cv", str(args.folds), "--json", "--export-split", split_path,
        "--backend", "cpu",
    ]
    cmd += ["--regression"] if args.regression else ["--positive", args.positive]
    cmd += args.extra
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return json.loads(out.stdout), seconds


def recipe_transformer(split):
    """The recipe as a scikit-learn ColumnTransformer (fitted per fold)."""
    recipe = split["recipe"]
    impute = {"median": "median", "mean": "mean", "most_frequent": "most_frequent",
              "drop_rows": "median"}[recipe["impute"]]
    scaler = {"min_max": MinMaxScaler(), "minmax": MinMaxScaler(),
              "standardize": StandardScaler(), "none": "passthrough"}[recipe["scale"]]
    kinds = [f["kind"] for f in split["features"]]
    numeric = [i for i, k in enumerate(kinds) if k == "numeric"]
    categorical = [i for i, k in enumerate(kinds) if k == "categorical"]
    parts = []
    if numeric:
        parts.append(("num", Pipeline([("impute", SimpleImputer(strategy=impute)),
                                       ("scale", scaler)]), numeric))
    if categorical:
        parts.append(("cat", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]), categorical))
    return ColumnTransformer(parts)


def matrix(split, rows):
    kinds = [f["kind"] for f in split["features"]]
    x = np.empty((len(rows), len(kinds)), dtype=object)
    for r, row in enumerate(rows):
        for c, v in enumerate(row["x"]):
            if v is None:
                x[r, c] = np.nan
            elif kinds[c] == "numeric":
                x[r, c] = float(v)
            else:
                x[r, c] = str(v)
    # Numeric columns as floats so the imputer computes medians.
    for c, k in enumerate(kinds):
        if k == "numeric":
            x[:, c] = x[:, c].astype(float)
    y = np.array([row["y"] for row in rows], dtype=float)
    return x, y


def peers(regression, seed):
    import xgboost
    if regression:
        return {
            "scikit-learn MLP (64, 32)": lambda: MLPRegressor(hidden_layer_sizes=(64, 32), random_state=seed, max_iter=500),
            "ridge regression": lambda: Ridge(),
            "XGBoost (defaults)": lambda: xgboost.XGBRegressor(n_jobs=2, random_state=seed),
        }
    return {
        "scikit-learn MLP (64, 32)": lambda: MLPClassifier(hidden_layer_sizes=(64, 32), random_state=seed, max_iter=500),
        "logistic regression": lambda: LogisticRegression(max_iter=2000),
        "XGBoost (defaults)": lambda: xgboost.XGBClassifier(n_jobs=2, random_state=seed),
    }


def score(model, x, y, regression):
    if regression:
        return math.sqrt(mean_squared_error(y, model.predict(x)))
    return roc_auc_score(y, model.predict_proba(x)[:, 1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--positive")
    parser.add_argument("--regression", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--binary", default=os.environ.get(
        "PURCHASE_LAB_BIN",
        os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "purchase-lab")))
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table row per model")
    parser.add_argument("extra", nargs="*", help="more `train` flags, after --")
    args = parser.parse_args()
    if not args.regression and not args.positive:
        parser.error("--positive is required for classification")

    with tempfile.TemporaryDirectory() as tmp:
        split_path = os.path.join(tmp, "split.json")
        ours, our_seconds = run_ours(args, split_path)
        with open(split_path) as f:
            split = json.load(f)

    metric = "rmse" if args.regression else "roc_auc"
    results = {"Purchase Lab (defaults)": (ours["cross_validation"]["metrics"][metric]["per_fold"], our_seconds)}
    rows = split["rows"]
    for name, make in peers(args.regression, args.seed).items():
        values = []
        start = time.perf_counter()
        for k in range(args.folds):
            train = [r for r in rows if r["fold"] is not None and r["fold"] != k]
            held = [r for r in rows if r["fold"] == k]
            xt, yt = matrix(split, train)
            xh, yh = matrix(split, held)
            model = Pipeline([("recipe", recipe_transformer(split)), ("model", make())])
            model.fit(xt, yt)
            values.append(score(model, xh, yh, args.regression))
        results[name] = (values, time.perf_counter() - start)

    label = "RMSE" if args.regression else "ROC AUC"
    print(f"{os.path.basename(args.data)}: {args.folds}-fold cross-validated {label}, same folds for every model")
    for name, (values, seconds) in results.items():
        known = [v for v in values if v is not None]
        mean = float(np.mean(known))
        std = float(np.std(known, ddof=1)) if len(known) > 1 else 0.0
        folds = ", ".join(f"{v:.4f}" for v in known)
        if args.markdown:
            print(f"| {os.path.basename(args.data)} | {name} | {mean:.4f} ± {std:.4f} | {seconds:.1f} s |")
        else:
            print(f"  {name:<28} {mean:.4f} ± {std:.4f}   folds: {folds}   ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
