#!/usr/bin/env bash
# W1/W2 side by side: Purchase Lab's bench and scikit-learn's MLPClassifier,
# on the same exported training matrices, in one run on this machine.
# Builds nothing: pass the binary (e.g. target/release/purchase-lab).
#
# Usage: scripts/compare_sklearn.sh PATH/TO/purchase-lab [BACKEND] [REPEATS]
set -euo pipefail

bin=${1:?usage: $0 PATH/TO/purchase-lab [auto|gpu|cpu] [repeats]}
backend=${2:-cpu}
repeats=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$bin" bench --json --backend "$backend" --only w1,w2 --repeats "$repeats" \
    --export-data "$dir" >"$dir/lab.json"
python3 "$here/sklearn_bench.py" "$dir" --repeats "$repeats" --json >"$dir/sklearn.json"

python3 - "$dir/lab.json" "$dir/sklearn.json" <<'EOF'
import json, sys
lab = json.load(open(sys.argv[1]))
sk = json.load(open(sys.argv[2]))
targets = {"w1": 0.15, "w2": 0.2}
print(f"Purchase Lab: {lab['device']} ({'release' if lab['release_build'] else 'debug'} build)")
print(f"scikit-learn {sk['sklearn']}, numpy {sk['numpy']}, {lab['cpus']} CPUs")
print(f"{'':4} {'Purchase Lab':>14} {'scikit-learn':>14} {'ratio':>7} {'target':>7}")
for name in ("w1", "w2"):
    ours, theirs = lab[name]["median_seconds"], sk[name]["median_seconds"]
    ratio = ours / theirs
    print(f"{name:4} {ours:>12.3f} s {theirs:>12.3f} s {ratio:>6.3f}x {targets[name]:>6.2f}x")
EOF
