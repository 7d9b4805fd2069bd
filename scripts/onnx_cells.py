"""Cells of a customers file read for an ONNX graph exported by
`purchase-lab export --format onnx`, as `purchase-lab predict` reads them
as far as one cell at a time allows. Shared by scripts/onnx_score.py and
scripts/score_spark.py.

The graph's metadata (`purchase_lab.reading`, written by the export) names
each input's kind (number, date, category), each category's levels and the
missing-value markers `predict` knows (`NA`, `null`, `#N/A`, `-`, ...). So:

- A marker, compared lower case after trimming, is missing (NaN for a
  number or date, the empty string for a category).
- A number cell is a plain decimal number (`-12.5`, `3e4`); a date cell an
  ISO date (`2024-03-01`, read as days since 1970-01-01, as training did).
- A category cell is trimmed and, when it differs from a level only in
  case, spelled as that level (`dsl` -> `DSL`); other unseen values stay
  unseen (all-zero one-hot, as `predict` scores them).
- Anything else in a number or date column (`$29.85`, `1,029.85`, `15%`,
  `abc`) is scored as missing and REPORTED: `predict` decides a whole
  column's format (currency, digit grouping, decimal comma, percent,
  other date formats) from all its cells, which a cell-by-cell reader
  cannot; clean those cells, or score the file with `predict`.
- A file's header is matched to the model's columns exactly, else
  case-insensitively and trimmed (reported), as `predict` matches them.
"""

import json
import re

import numpy as np

READING_KEY = "purchase_lab.reading"

# A plain decimal number: what `float` reads, without `inf`, `nan`, `_`.
PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_PLAIN = re.compile(PLAIN_NUMBER)
_DATE = re.compile(ISO_DATE)


class Reading:
    """The graph's inputs and how to read their cells, from its metadata."""

    def __init__(self, session):
        meta = session.get_modelmeta().custom_metadata_map
        graph_inputs = [(i.name, i.type == "tensor(string)") for i in session.get_inputs()]
        raw = meta.get(READING_KEY)
        if raw is None:
            # A file exported before the metadata existed: kinds from the
            # graph's input types, no levels, the empty cell as missing.
            self.inputs = [
                {"name": n, "kind": "category" if s else "number", "levels": []}
                for n, s in graph_inputs
            ]
            self.markers = {""}
        else:
            spec = json.loads(raw)
            self.inputs = spec["inputs"]
            self.markers = {m.lower() for m in spec["missing_markers"]}
        self.level_by_lower = {
            i["name"]: {level.lower(): level for level in i.get("levels", [])}
            for i in self.inputs
        }

    def names(self):
        return [i["name"] for i in self.inputs]


def match_columns(header, names):
    """{model column: file column} and notes for case-insensitive matches;
    raises SystemExit naming the columns the file lacks."""
    found, notes, lacking = {}, [], []
    for name in names:
        if name in header:
            found[name] = name
            continue
        alike = [h for h in header if h.strip().lower() == name.lower()]
        if len(alike) == 1:
            found[name] = alike[0]
            notes.append(f"column `{alike[0]}` read as the model's `{name}`")
        else:
            lacking.append(name)
    if lacking:
        raise SystemExit(
            "the file lacks the model's column(s): "
            + ", ".join(lacking)
            + " (the file has: "
            + ", ".join(header)
            + ")"
        )
    return found, notes


def read_numbers(cells, markers, kind="number"):
    """float32 values of text `cells` (None is missing), and the indices of
    cells that are neither a marker nor readable (scored as missing)."""
    values = np.full(len(cells), np.nan, dtype=np.float32)
    unreadable = []
    for i, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if text.lower() in markers:
            continue
        if kind == "date":
            if _DATE.match(text):
                values[i] = np.datetime64(text, "D").astype(np.int64)
                continue
        elif _PLAIN.match(text):
            values[i] = float(text)
            continue
        unreadable.append(i)
    return values, unreadable


def read_categories(cells, markers, level_by_lower):
    """Text `cells` as the graph's category inputs (the empty string is
    missing), and the number of cells respelled as a level."""
    out = np.empty(len(cells), dtype=object)
    respelled = 0
    for i, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if text.lower() in markers:
            out[i] = ""
            continue
        level = level_by_lower.get(text.lower())
        if level is not None and level != text:
            respelled += 1
            text = level
        out[i] = text
    return out, respelled


def feeds(reading, column_cells):
    """The graph's feeds from {model column: list of cells}, and
    {model column: indices of unreadable cells}, {column: respelled count}."""
    out, unreadable, respelled = {}, {}, {}
    for spec in reading.inputs:
        name, cells = spec["name"], column_cells[spec["name"]]
        if spec["kind"] == "category":
            values, n = read_categories(cells, reading.markers, reading.level_by_lower[name])
            if n:
                respelled[name] = n
        else:
            values, bad = read_numbers(cells, reading.markers, spec["kind"])
            if bad:
                unreadable[name] = bad
        out[name] = values.reshape(-1, 1)
    return out, unreadable, respelled


def unreadable_warning(column, count, examples, where=""):
    """The warning for cells scored as missing because they could not be read."""
    kind = "plain numbers (or ISO dates)"
    shown = ", ".join(repr(e) for e in examples[:3])
    return (
        f"warning: column `{column}`: {count} cell(s) are not {kind} and were scored "
        f"as missing{where} (e.g. {shown}); `purchase-lab predict` reads currency signs, "
        "digit grouping, decimal commas and percent signs from the whole file: clean "
        "these cells or score the file with predict"
    )
