#!/usr/bin/env bash
# scripts/score_spark.py against `purchase-lab predict` on 100,000 generated
# customers (5% of cells missing): train, export to ONNX, score both ways,
# compare row by row (scripts/compare_scores.py, probabilities to 1e-5).
#
#   scripts/check_spark.sh BIN [ROWS]
#     needs: a Java runtime (Debian: default-jre-headless) and
#     pip install pyspark pandas pyarrow onnxruntime numpy
#
# The last step of .ci/run, which installs Java and pyspark in the
# background while cargo compiles (the install alone took 5 min 47 s here).
set -euo pipefail
bin="$(realpath "$1")"
rows="${2:-100000}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" generate --preset customers --rows "$rows" --seed 7 -o "$work/customers.csv"
"$bin" train --data "$work/customers.csv" --target purchased --positive yes \
    --epochs 5 --backend cpu --out "$work/m.plab" >/dev/null
"$bin" export --model "$work/m.plab" --format onnx -o "$work/m.onnx"
"$bin" predict --model "$work/m.plab" --data "$work/customers.csv" -o "$work/predict.csv" \
    --backend cpu 2>/dev/null
python3 "$here/score_spark.py" --model "$work/m.onnx" --input "$work/customers.csv" \
    --output "$work/spark" --single-file --master 'local[2]'
python3 "$here/compare_scores.py" "$work/predict.csv" "$work/spark"
