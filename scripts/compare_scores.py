#!/usr/bin/env python3
"""Check that two scorings of the same customers agree, row by row: a CSV
written by `purchase-lab predict` and the CSV part files Spark wrote
(scripts/score_spark.py --single-file), or any CSV with the same columns.

    python3 scripts/compare_scores.py predict.csv spark_out/ [--tolerance 1e-5]

Compares `probability` (to the tolerance) and the label (`prediction` in
predict's file, `label` in Spark's) where the probability is not within the
tolerance of 0.5; for regression `prediction` against `value`, relative to
the value. Exits 1 naming the first row that differs.
"""

import argparse
import csv
import glob
import os
import sys


def rows(path):
    files = sorted(glob.glob(os.path.join(path, "part-*.csv"))) if os.path.isdir(path) else [path]
    for name in files:
        with open(name, newline="", encoding="utf-8") as f:
            yield from csv.DictReader(f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("predict")
    p.add_argument("other")
    p.add_argument("--tolerance", type=float, default=1e-5)
    a = p.parse_args()
    left, right = list(rows(a.predict)), list(rows(a.other))
    if len(left) != len(right):
        sys.exit(f"{len(left)} rows from predict, {len(right)} from {a.other}")
    for i, (x, y) in enumerate(zip(left, right), start=1):
        if "probability" in x:
            p1, p2 = float(x["probability"]), float(y["probability"])
            if abs(p1 - p2) > a.tolerance:
                sys.exit(f"row {i}: probability {p1} (predict) vs {p2}")
            if abs(p1 - 0.5) > a.tolerance and x["prediction"] != y["label"]:
                sys.exit(f"row {i}: label {x['prediction']} (predict) vs {y['label']}")
        else:
            v1, v2 = float(x["prediction"]), float(y["value"])
            if abs(v1 - v2) > a.tolerance * max(1.0, abs(v1)):
                sys.exit(f"row {i}: value {v1} (predict) vs {v2}")
    print(f"{len(left)} rows agree (tolerance {a.tolerance})")


if __name__ == "__main__":
    main()
