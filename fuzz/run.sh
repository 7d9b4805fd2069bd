#!/usr/bin/env bash
# Runs one fuzz target for a while, one job, at the lowest priority, with the
# build flags used for the figures in docs/RELIABILITY.md (no sanitizer: the
# project is safe Rust; debug assertions and overflow checks on).
#   fuzz/run.sh TARGET [SECONDS]   (from the repository root; needs nightly
#   and `cargo install cargo-fuzz`)
set -euo pipefail
cd "$(dirname "$0")/.."
target="$1"
seconds="${2:-600}"
case "$target" in
    csv_reader | prep_pipeline) dict=fuzz/dicts/csv.dict max_len=4096 ;;
    model_file) dict=fuzz/dicts/json.dict max_len=16384 ;;
    *) dict=fuzz/dicts/json.dict max_len=8192 ;;
esac
mkdir -p "fuzz/corpus/$target"
exec nice -n 19 cargo +nightly fuzz run -s none -a --codegen-units 16 "$target" \
    "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -dict="$dict" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1
