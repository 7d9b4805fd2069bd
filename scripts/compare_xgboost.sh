#!/usr/bin/env bash
# Purchase Lab's boosted trees and Python's xgboost (hist, 2 threads) side by
# side on the shared customer files: the same prepared rows, split and
# settings, in one run on this machine (docs/PERFORMANCE.md).
# Needs: pip install xgboost scikit-learn pandas. Builds the example once.
#
# Usage: scripts/compare_xgboost.sh [DATASETS_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${1:-$here/../../shared/datasets}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build --release --example compare_trees
bin=${CARGO_TARGET_DIR:-$here/../target}/release/examples/compare_trees
# Ours (200 rounds, depth 4, rate 0.1), XGBoost's defaults (100, 6, 0.3).
for settings in "200 4 0.1" "100 6 0.3"; do
    for set in "telco_churn churn Yes" "oj_purchase Purchase CH"; do
        read -r name target positive <<<"$set"
        # shellcheck disable=SC2086
        "$bin" "$data/$name.csv" "$target" "$positive" "$dir/$name" $settings
        # shellcheck disable=SC2086
        python3 "$here/xgboost_compare.py" "$dir/$name" $settings
    done
done
