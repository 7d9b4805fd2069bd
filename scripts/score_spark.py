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
The model's input columns are found by name; a number cell that is empty
or not a number is missing (NaN), as `purchase-lab predict` reads a cell it
cannot read as missing; a category cell is trimmed, empty is missing.
"""

import argparse

import numpy as np


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="model.onnx from purchase-lab export")
    p.add_argument("--input", required=True, help="customers: CSV with a header, or Parquet")
    p.add_argument("--input-format", choices=["csv", "parquet"], help="default: by file ending")
    p.add_argument("--output", required=True, help="output folder (replaced)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--master", default=None, help="Spark master (default: local[*] unless spark-submit set one)")
    p.add_argument("--single-file", action="store_true", help="write one part file (coalesce(1))")
    return p.parse_args()


def model_signature(model_bytes):
    """[(name, is_string)] of the graph's inputs, and its output names."""
    import onnxruntime as ort

    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    inputs = [(i.name, i.type == "tensor(string)") for i in session.get_inputs()]
    outputs = [o.name for o in session.get_outputs()]
    return inputs, outputs


def make_scorer(model_bytes, inputs, outputs):
    """The mapInPandas function: one onnxruntime session per task."""

    def score(batches):
        import onnxruntime as ort
        import pandas as pd

        session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        for frame in batches:
            feeds = {}
            for name, is_string in inputs:
                column = frame[name]
                if is_string:
                    cells = column.astype("string").fillna("").str.strip()
                    feeds[name] = np.asarray(cells.to_numpy(dtype=object), dtype=object).reshape(-1, 1)
                else:
                    if column.dtype == object or pd.api.types.is_string_dtype(column):
                        column = column.astype("string").str.strip()
                    values = pd.to_numeric(column, errors="coerce").astype("float32")
                    feeds[name] = values.to_numpy().reshape(-1, 1)
            results = dict(zip(outputs, session.run(outputs, feeds)))
            frame = frame.copy()
            if "probability" in results:
                frame["probability"] = results["probability"][:, 0].astype("float64")
                frame["label"] = results["label"][:, 0].astype(str)
            else:
                frame["value"] = results["value"][:, 0].astype("float64")
            yield frame

    return score


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
    inputs, outputs = model_signature(model_bytes)

    kind = args.input_format or ("parquet" if args.input.endswith(".parquet") else "csv")
    if kind == "parquet":
        frame = spark.read.parquet(args.input)
    else:
        # Every column as text, so nothing is re-typed on the way: a
        # category `007` stays `007`, numbers are read by the scorer.
        frame = spark.read.option("header", True).option("inferSchema", False).csv(args.input)
    missing = [name for name, _ in inputs if name not in frame.columns]
    if missing:
        raise SystemExit(f"{args.input} lacks the model's column(s): {', '.join(missing)}")

    extra = (
        [T.StructField("probability", T.DoubleType()), T.StructField("label", T.StringType())]
        if "probability" in outputs
        else [T.StructField("value", T.DoubleType())]
    )
    schema = T.StructType(frame.schema.fields + extra)
    scored = frame.mapInPandas(make_scorer(model_bytes, inputs, outputs), schema)
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
