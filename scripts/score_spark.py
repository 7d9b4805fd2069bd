#!/usr/bin/env python3
"""Score customers with a model exported by `purchase-lab export --format
onnx`, on Apache Spark: the same graph onnxruntime runs, applied with
mapInPandas to each partition, so it scales from local mode to a cluster.

    python3 scripts/score_spark.py --model model.onnx --input customers.csv \
        --output scored/ [--format csv|parquet] [--master local[*]]
    spark-submit scripts/score_spark.py ...   (on a cluster: onnxruntime,
        numpy and pandas installed on the executors)

Input: CSV with a header, or Parquet (by the file ending, or --input-format).
Output: a folder (Spark's usual part files) with every input column as read
plus `probability` and `label` (classification) or `value` (regression).
The model's input columns are found by name (exactly, else
case-insensitively, with a note). Cells are read as scripts/onnx_cells.py
describes (shipped to the executors with addPyFile): trimmed, `predict`'s
missing-value markers as missing, category spellings matched to the
model's levels. Cells of a number column that are not plain numbers
(`$29.85`, `1,029.85`, `15%`) are scored as missing, and one pass over the
input before scoring counts them per column and prints a warning with
examples (`--strict` stops instead): `predict` reads such formats from the
whole file, a cell-by-cell reader cannot.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_cells import match_columns  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="model.onnx from purchase-lab export")
    p.add_argument("--input", required=True, help="customers: CSV with a header, or Parquet")
    p.add_argument("--input-format", choices=["csv", "parquet"], help="default: by file ending")
    p.add_argument("--output", required=True, help="output folder (replaced)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--master", default=None, help="Spark master (default: local[*] unless spark-submit set one)")
    p.add_argument("--single-file", action="store_true", help="write one part file (coalesce(1))")
    p.add_argument("--sep", default=",", help="CSV delimiter (default ,)")
    p.add_argument("--strict", action="store_true",
                   help="stop when a number column holds cells that are not plain numbers")
    return p.parse_args()


def model_reading(model_bytes):
    """The graph's Reading (inputs, levels, markers) and output names."""
    import onnxruntime as ort

    from onnx_cells import Reading

    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return Reading(session), [o.name for o in session.get_outputs()]


def make_scorer(model_bytes, found, outputs):
    """The mapInPandas function: one onnxruntime session per task; `found`
    maps the model's columns to the frame's."""

    def score(batches):
        import onnxruntime as ort

        from onnx_cells import Reading, feeds

        session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        reading = Reading(session)
        for frame in batches:
            cells = {
                name: frame[column].astype(object).where(frame[column].notna(), None).tolist()
                for name, column in found.items()
            }
            inputs, _, _ = feeds(reading, cells)
            results = dict(zip(outputs, session.run(outputs, inputs)))
            frame = frame.copy()
            if "probability" in results:
                frame["probability"] = results["probability"][:, 0].astype("float64")
                frame["label"] = results["label"][:, 0].astype(str)
            else:
                frame["value"] = results["value"][:, 0].astype("float64")
            yield frame

    return score


def report_unreadable(frame, reading, found, strict):
    """Counts, in one pass, the cells of number and date columns that are
    neither missing markers nor readable; prints a warning per column (or
    stops with --strict)."""
    from pyspark.sql import functions as F

    from onnx_cells import ISO_DATE, PLAIN_NUMBER, unreadable_warning

    checks = []
    for spec in reading.inputs:
        if spec["kind"] == "category":
            continue
        column = F.col(f"`{found[spec['name']]}`").cast("string")
        text = F.trim(column)
        pattern = ISO_DATE if spec["kind"] == "date" else PLAIN_NUMBER
        bad = (
            column.isNotNull()
            & ~F.lower(text).isin(list(reading.markers))
            & ~text.rlike(pattern)
        )
        checks.append((spec["name"], bad))
    if not checks:
        return
    row = frame.agg(
        *[F.sum(F.when(bad, 1).otherwise(0)).alias(f"n{i}") for i, (_, bad) in enumerate(checks)],
        *[F.min(F.when(bad, F.col(f"`{found[name]}`"))).alias(f"e{i}")
          for i, (name, bad) in enumerate(checks)],
    ).collect()[0]
    problems = []
    for i, (name, _) in enumerate(checks):
        count = row[f"n{i}"] or 0
        if count:
            problems.append(unreadable_warning(name, count, [row[f"e{i}"]]))
    for message in problems:
        print(message, file=sys.stderr)
    if problems and strict:
        raise SystemExit("stopped (--strict): cells that are not plain numbers, see above")


def main():
    args = parse_args()
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    builder = SparkSession.builder.appName("purchase-lab-score")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    with open(args.model, "rb") as f:
        model_bytes = f.read()
    # The executors import the cell reader too (a cluster has no scripts/).
    spark.sparkContext.addPyFile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_cells.py"))
    reading, outputs = model_reading(model_bytes)

    kind = args.input_format or ("parquet" if args.input.endswith(".parquet") else "csv")
    if kind == "parquet":
        frame = spark.read.parquet(args.input)
    else:
        # Every column as text, so nothing is re-typed on the way: a
        # category `007` stays `007`, numbers are read by the scorer.
        frame = (
            spark.read.option("header", True)
            .option("inferSchema", False)
            .option("sep", args.sep)
            .csv(args.input)
        )
    found, notes = match_columns(frame.columns, reading.names())
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    report_unreadable(frame, reading, found, args.strict)

    extra = (
        [T.StructField("probability", T.DoubleType()), T.StructField("label", T.StringType())]
        if "probability" in outputs
        else [T.StructField("value", T.DoubleType())]
    )
    schema = T.StructType(frame.schema.fields + extra)
    scored = frame.mapInPandas(make_scorer(model_bytes, found, outputs), schema)
    if args.single_file:
        scored = scored.coalesce(1)
    writer = scored.write.mode("overwrite")
    if args.format == "parquet":
        writer.parquet(args.output)
    else:
        writer.option("header", True).csv(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
