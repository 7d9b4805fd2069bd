#!/usr/bin/env bash
# W1/W2 side by side: Purchase Lab's bench and scikit-learn's MLPClassifier,
# on the same exported training matrices, in one run on this machine.
# Builds nothing: pass the binary (e.g. target/release/purchase-lab).
#
# Usage: scripts/compare_sklearn.sh PATH/TO/purchase-lab [BACKEND] [REPEATS] [ENGINES]
#
# ENGINES (space- or comma-separated: auto, burn) defaults to "auto burn" on
# the cpu backend, so one run shows the host kernel and Burn's autodiff (the
# before/after of docs/PERFORMANCE.md), and to "auto" otherwise.
set -euo pipefail

bin=${1:?usage: $0 PATH/TO/purchase-lab [auto|gpu|cpu] [repeats] [engines]}
backend=${2:-cpu}
repeats=${3:-5}
if [ "$backend" = cpu ]; then default_engines="auto burn"; else default_engines="auto"; fi
engines=${4:-$default_engines}
engines=${engines//,/ }
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

reports=()
for engine in $engines; do
    "$bin" bench --json --backend "$backend" --engine "$engine" --only w1,w2 \
        --repeats "$repeats" --export-data "$dir" >"$dir/lab-$engine.json"
    reports+=("$dir/lab-$engine.json")
done
python3 "$here/sklearn_bench.py" "$dir" --repeats "$repeats" --json >"$dir/sklearn.json"

python3 - "$dir/sklearn.json" "${reports[@]}" <<'PY'
import json, sys
sk = json.load(open(sys.argv[1]))
labs = [json.load(open(path)) for path in sys.argv[2:]]
targets = {"w1": 0.15, "w2": 0.2}
first = labs[0]
print(f"Purchase Lab: {first['device']} ({'release' if first['release_build'] else 'debug'} build)")
print(f"scikit-learn {sk['sklearn']}, numpy {sk['numpy']}, {first['cpus']} CPUs")
print(f"{'':4} {'engine':<14} {'Purchase Lab':>14} {'per step':>10} {'scikit-learn':>14} {'ratio':>7} {'target':>7}")
for name in ("w1", "w2"):
    theirs = sk[name]["median_seconds"]
    for lab in labs:
        figure = lab[name]
        ours = figure["median_seconds"]
        ratio = ours / theirs
        print(f"{name:4} {figure['engine']:<14} {ours:>12.3f} s {figure['seconds_per_step'] * 1e6:>7.1f} µs"
              f" {theirs:>12.3f} s {ratio:>6.3f}x {targets[name]:>6.2f}x")
PY
