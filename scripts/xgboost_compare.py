#!/usr/bin/env python3
"""Fits Python's xgboost (hist, 2 threads) on a prepared train.csv / test.csv
pair written by the `compare_trees` example and prints the test ROC
AUC and the best fit time of REPEATS, for docs/PERFORMANCE.md's comparison
with Purchase Lab's trees on exactly the same rows and encoding.

Usage: xgboost_compare.py DIR TREES DEPTH LEARNING_RATE [REPEATS]"""
import sys
import time

import pandas as pd
import xgboost
from sklearn.metrics import roc_auc_score


def main() -> None:
    folder, trees, depth, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    train = pd.read_csv(f"{folder}/train.csv")
    test = pd.read_csv(f"{folder}/test.csv")
    x, y = train.drop(columns="y"), train["y"]
    tx, ty = test.drop(columns="y"), test["y"]
    best, auc = float("inf"), 0.0
    for _ in range(repeats):
        model = xgboost.XGBClassifier(
            n_estimators=trees, max_depth=depth, learning_rate=rate, min_child_weight=1.0,
            subsample=1.0, reg_lambda=1.0, tree_method="hist", max_bin=256, n_jobs=2)
        start = time.perf_counter()
        model.fit(x, y)
        best = min(best, time.perf_counter() - start)
        auc = roc_auc_score(ty, model.predict_proba(tx)[:, 1])
    print(f"xgboost {xgboost.__version__} {folder} trees={trees} depth={depth} lr={rate}: auc {auc:.4f} fit {best:.3f}s")


if __name__ == "__main__":
    main()
