#!/usr/bin/env python3
"""Score a CSV of customers with a model exported by `purchase-lab export
--format onnx`, through onnxruntime, and print one line per customer:
`probability,label` (classification) or `value` (regression).

    python3 scripts/onnx_score.py model.onnx customers.csv > scores.csv

The CSV has a header; the model's input columns are read by name (others are
ignored). A number column's empty cell is NaN (missing), a category's is the
empty string (missing): the graph fills both as training did. Cells are
trimmed, as `purchase-lab predict` trims them. Used by tests/onnx_export.rs
to hold the ONNX graph to `predict`'s answers.
"""

import csv
import sys

import numpy as np
import onnxruntime as ort


def columns(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows


def feeds(session, rows):
    out = {}
    for spec in session.get_inputs():
        cells = [row[spec.name].strip() for row in rows]
        if spec.type == "tensor(string)":
            out[spec.name] = np.array(cells, dtype=object).reshape(-1, 1)
        else:
            values = [float(c) if c else float("nan") for c in cells]
            out[spec.name] = np.array(values, dtype=np.float32).reshape(-1, 1)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: onnx_score.py MODEL.onnx CUSTOMERS.csv")
    session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
    rows = columns(sys.argv[2])
    names = [o.name for o in session.get_outputs()]
    results = dict(zip(names, session.run(names, feeds(session, rows))))
    write = sys.stdout.write
    if "probability" in results:
        for p, label in zip(results["probability"][:, 0], results["label"][:, 0]):
            write(f"{float(p):.9f},{label}\n")
    else:
        for v in results["value"][:, 0]:
            write(f"{float(v):.9g}\n")


if __name__ == "__main__":
    main()
