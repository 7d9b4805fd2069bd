#!/usr/bin/env python3
"""Score a CSV of customers with a model exported by `purchase-lab export
--format onnx`, through onnxruntime, and print one line per customer:
`probability,label` (classification), each class's probability then
the label (multi-class), or `value` (regression).

    python3 scripts/onnx_score.py model.onnx customers.csv > scores.csv

The CSV has a header (delimiter `,`, `;`, tab or `|`, found from the first
line); the model's input columns are found by name (others are ignored).
Cells are read as scripts/onnx_cells.py describes: trimmed, `predict`'s
missing-value markers as missing, category spellings matched to the
model's levels; cells of a number column that are not plain numbers are
scored as missing and reported on stderr with their lines. Used by
tests/onnx_export.rs to hold the ONNX graph to `predict`'s answers.
"""

import csv
import os
import sys

import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_cells import Reading, feeds, match_columns, unreadable_warning  # noqa: E402


def read_file(path):
    """(header, rows) of a CSV file, its delimiter found from the first line."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        first = f.readline()
        f.seek(0)
        try:
            dialect = csv.Sniffer().sniff(first, delimiters=",;\t|")
            delimiter = dialect.delimiter
        except csv.Error:
            delimiter = ","
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, [])
        rows = [row for row in reader if row]
    return header, rows


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: onnx_score.py MODEL.onnx CUSTOMERS.csv")
    session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
    reading = Reading(session)
    header, rows = read_file(sys.argv[2])
    found, notes = match_columns(header, reading.names())
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    at = {name: header.index(column) for name, column in found.items()}
    cells = {
        name: [row[i] if i < len(row) else None for row in rows] for name, i in at.items()
    }
    inputs, unreadable, respelled = feeds(reading, cells)
    for name, n in respelled.items():
        print(f"note: column `{name}`: {n} cell(s) matched to a level spelled differently",
              file=sys.stderr)
    for name, bad in unreadable.items():
        # File lines: the header is line 1 (rows with embedded line ends
        # shift this, as they would in an editor's count of records).
        lines = ", ".join(str(i + 2) for i in bad[:5])
        examples = [cells[name][i] for i in bad]
        print(unreadable_warning(name, len(bad), examples, f" (lines {lines})"), file=sys.stderr)
    names = [o.name for o in session.get_outputs()]
    results = dict(zip(names, session.run(names, inputs)))
    write = sys.stdout.write
    if "probabilities" in results:
        # A multi-class model: every class's probability, then the label.
        for row, label in zip(results["probabilities"], results["label"][:, 0]):
            write(",".join(f"{float(p):.9f}" for p in row) + f",{label}\n")
    elif "probability" in results:
        for p, label in zip(results["probability"][:, 0], results["label"][:, 0]):
            write(f"{float(p):.9f},{label}\n")
    else:
        for v in results["value"][:, 0]:
            write(f"{float(v):.9g}\n")


if __name__ == "__main__":
    main()
