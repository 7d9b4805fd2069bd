#!/usr/bin/env bash
# Latency and throughput of `purchase-lab serve` beside the same kind of
# model served the usual Python way (scikit-learn behind Flask/gunicorn),
# in the same run, with wrk (Debian package `wrk`). docs/PERFORMANCE.md
# holds the figures.
#
#   scripts/bench_serve.sh BIN [SECONDS]
#     BIN: a purchase-lab binary (a release build for the figures)
#     needs: wrk, python3 with scikit-learn, pandas, flask, gunicorn
#
# Both servers get the same cores (2 workers / 2 threads). For each: one
# customer per request at 1, 8 and 64 connections (median and p99 latency,
# requests per second), then 1,000-customer requests at 8 connections
# (customers per second).
set -euo pipefail
bin="$(realpath "$1")"
seconds="${2:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

features=age,income,gender,region,visit_minutes,pages_visited,previous_purchases
"$bin" generate --preset customers --rows 5000 --seed 1 -o "$work/train.csv" 2>/dev/null
"$bin" train --data "$work/train.csv" --target purchased --positive yes --features "$features" \
    --hidden 64,32 --epochs 10 --backend cpu --out "$work/m.plab" >/dev/null 2>&1
python3 - "$work" "$features" <<'PY'
import csv, sys
work, features = sys.argv[1], sys.argv[2].split(",")
rows = list(csv.DictReader(open(f"{work}/train.csv")))
lines = [",".join(r[f] for f in features) for r in rows]
open(f"{work}/one.csv", "w").write(lines[0] + "\n")
open(f"{work}/batch.csv", "w").write("\n".join(lines[:1000]) + "\n")
PY

wait_up() {
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$1/ping" >/dev/null && return 0
        sleep 0.2
    done
    echo "server on port $1 did not come up" >&2
    exit 1
}

measure() { # name port
    for c in 1 8 64; do
        BODY_FILE="$work/one.csv" wrk -t"$((c < 2 ? 1 : 2))" -c"$c" -d"${seconds}s" --latency \
            -s "$here/bench_serve/post.lua" "http://127.0.0.1:$2" > "$work/wrk.txt"
        python3 "$here/bench_serve/wrk_row.py" "$1" "one customer, $c connections" "$work/wrk.txt" 1
    done
    BODY_FILE="$work/batch.csv" wrk -t2 -c8 -d"${seconds}s" --latency \
        -s "$here/bench_serve/post.lua" "http://127.0.0.1:$2" > "$work/wrk.txt"
    python3 "$here/bench_serve/wrk_row.py" "$1" "1,000 customers, 8 connections" "$work/wrk.txt" 1000
}

echo "| server | requests | median ms | p99 ms | throughput |"
echo "|---|---|---|---|---|"
"$bin" serve --model "$work/m.plab" --port 18080 --threads 2 2>/dev/null &
wait_up 18080
measure "purchase-lab serve" 18080
kill %1; wait %1 2>/dev/null || true

export BENCH_DATA="$work/train.csv" BENCH_FEATURES="$features" BENCH_TARGET=purchased \
    BENCH_POSITIVE=yes BENCH_HIDDEN=64,32
(cd "$here/bench_serve" && exec gunicorn -w 2 -b 127.0.0.1:18081 --log-level warning sklearn_server:app) &
wait_up 18081
measure "scikit-learn + Flask/gunicorn" 18081
