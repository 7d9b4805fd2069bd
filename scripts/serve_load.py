#!/usr/bin/env python3
"""Load test of `purchase-lab serve`: many one-customer requests in
parallel over keep-alive connections, a share of them malformed. Every good
request must be answered 200 with the expected probability (to 2e-6: a
one-row product may round the sixth decimal differently from predict's batch),
every bad one with a 4xx, and the server must still answer /ping at the end.

    python3 scripts/serve_load.py --port 8080 --lines body.csv \
        --expected probabilities.txt [--requests 100000] [--bad-share 0.01] \
        [--connections 8]

body.csv: one customer per line (no header, the model's columns in order);
probabilities.txt: predict's probability for each line. Exits 1 on the
first wrong answer. Used for the load figure in docs/PERFORMANCE.md.
"""

import argparse
import http.client
import sys
import threading
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--lines", required=True)
    p.add_argument("--expected", required=True)
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--bad-share", type=float, default=0.01)
    p.add_argument("--connections", type=int, default=8)
    a = p.parse_args()
    lines = open(a.lines).read().splitlines()
    expected = [float(v) for v in open(a.expected).read().split()]
    every = max(1, round(1 / a.bad_share)) if a.bad_share > 0 else None
    counts = {"good": 0, "bad": 0}
    failures = []
    lock = threading.Lock()

    def worker(start):
        conn = http.client.HTTPConnection(a.host, a.port, timeout=30)
        good = bad = 0
        for i in range(start, a.requests, a.connections):
            k = i % len(lines)
            malformed = every is not None and i % every == 0
            line = lines[k]
            if malformed:
                line = "not-a-number," + line.split(",", 1)[1]
            conn.request("POST", "/invocations", line.encode(), {"Content-Type": "text/csv"})
            r = conn.getresponse()
            body = r.read().decode()
            if malformed:
                ok = 400 <= r.status < 500
                bad += 1
            else:
                ok = r.status == 200 and abs(float(body) - expected[k]) <= 2e-6
                good += 1
            if not ok:
                with lock:
                    failures.append(f"request {i} (line {k + 1}): {r.status} {body.strip()!r}")
                return
        with lock:
            counts["good"] += good
            counts["bad"] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(s,), name=f"load-{s}") for s in range(a.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    conn = http.client.HTTPConnection(a.host, a.port, timeout=10)
    conn.request("GET", "/ping")
    up = conn.getresponse().status == 200
    if failures or not up:
        sys.exit("\n".join(failures[:5]) + ("" if up else "\nthe server no longer answers /ping"))
    total = counts["good"] + counts["bad"]
    print(
        f"{total} requests in {seconds:.1f} s ({total / seconds:,.0f}/s, {a.connections} connections): "
        f"{counts['good']} good answered correctly, {counts['bad']} malformed answered 4xx, /ping 200"
    )


if __name__ == "__main__":
    main()
