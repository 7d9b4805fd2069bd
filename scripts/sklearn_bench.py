#!/usr/bin/env python3
"""Time scikit-learn's MLPClassifier on Purchase Lab's W1/W2 workloads.

It reads the prepared training matrices that `purchase-lab bench
--export-data DIR` writes (`w1_train.csv`, `w2_train.csv`: columns f1..fn, y),
so both sides train on exactly the same rows and encoding, with the same
architecture, batch size, epochs and Adam learning rate:

  W1: 2 -> 16 -> 16 -> 1 ReLU, Adam lr 0.01, batch 32, 50 epochs
  W2: 46 -> 64 -> 32 -> 1 ReLU, Adam lr 0.01, batch 32, 50 epochs

No early stopping, no L2 (alpha=0, as Purchase Lab's l2=0 in the benchmark),
and tol=0 with n_iter_no_change above max_iter so every epoch runs. The figure
is the median wall time of `fit` over several runs after one warm-up, the
same protocol as `purchase-lab bench`.

Usage: scripts/sklearn_bench.py DIR [--repeats N] [--json]
"""

import argparse
import json
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

WORKLOADS = {
    "w1": {"hidden": (16, 16), "batch": 32, "epochs": 50, "lr": 0.01},
    "w2": {"hidden": (64, 32), "batch": 32, "epochs": 50, "lr": 0.01},
}


def fit_once(x, y, spec, seed):
    model = MLPClassifier(
        hidden_layer_sizes=spec["hidden"],
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=spec["batch"],
        learning_rate_init=spec["lr"],
        max_iter=spec["epochs"],
        shuffle=True,
        random_state=seed,
        tol=0.0,
        early_stopping=False,
        n_iter_no_change=spec["epochs"] + 1,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        # max_iter reached is the point here, not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    seconds = time.perf_counter() - start
    return seconds, model.n_iter_, float(model.loss_)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="folder written by `purchase-lab bench --export-data`")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import sklearn

    results = {"sklearn": sklearn.__version__, "numpy": np.__version__}
    for name, spec in WORKLOADS.items():
        path = f"{args.dir}/{name}_train.csv"
        try:
            frame = pd.read_csv(path)
        except FileNotFoundError:
            sys.exit(f"{path} is missing; run `purchase-lab bench --export-data {args.dir}` first")
        x = frame.drop(columns="y").to_numpy(dtype=np.float32)
        y = frame["y"].to_numpy().astype(int)
        fit_once(x, y, spec, 0)  # warm-up
        runs = []
        for seed in range(args.repeats):
            seconds, epochs, loss = fit_once(x, y, spec, seed)
            if epochs != spec["epochs"]:
                sys.exit(f"{name}: ran {epochs} epochs, expected {spec['epochs']}")
            runs.append(seconds)
        steps = spec["epochs"] * -(-len(y) // spec["batch"])
        median = statistics.median(runs)
        results[name] = {
            "train_rows": len(y),
            "features": x.shape[1],
            "runs": runs,
            "median_seconds": median,
            "seconds_per_step": median / steps,
            "final_loss": loss,
        }
    if args.json:
        print(json.dumps(results))
    else:
        print(f"scikit-learn {results['sklearn']}, numpy {results['numpy']}")
        for name in WORKLOADS:
            r = results[name]
            print(
                f"{name}: {r['train_rows']} rows x {r['features']} features: "
                f"{r['median_seconds']:.3f} s ({r['seconds_per_step'] * 1e6:.1f} us/step)"
            )


if __name__ == "__main__":
    main()
