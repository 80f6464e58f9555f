"""The seed sweep workload the peer programs share with `manynets bench`, a
double-precision scalar reference to check them with, and the JSON they print
(the shape of `manynets bench --json`). Only the standard library: every peer
imports this, whatever else it has.

The workload: N copies of the worked example's 2-2-2 sigmoid network (inputs
0.05, 0.10; targets 0.01, 0.99; weights 0.15 ... 0.55; biases 0.35 and 0.60,
not trained), network i at learning rate 0.1 + 1.9 i / (N - 1) (0.5 when
N = 1), S steps of plain gradient descent on the one sample, no early stop.
"""
import argparse
import json
import math
import statistics
import sys
import time

X = (0.05, 0.10)
T = (0.01, 0.99)
W0 = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)  # w1 ... w8, DESIGN.md's order
B1, B2 = 0.35, 0.60

# A float32 peer stays this close to the double reference over the step counts
# benchmarked (up to a few thousand): each step's rounding (~6e-8 relative) adds
# up over the steps, and the larger learning rates amplify it.
CHECK_TOLERANCE = 1e-3

SKIP_EXIT_STATUS = 77  # "this peer's library is not installed": compare.sh notes it and goes on


def learning_rate(i, n):
    return 0.1 + 1.9 * i / (n - 1) if n > 1 else 0.5


def reference_weights(lr, steps):
    """One network's w1 ... w8 after `steps` steps, in double precision."""
    w1, w2, w3, w4, w5, w6, w7, w8 = W0
    x1, x2 = X
    t1, t2 = T
    sig = lambda z: 1.0 / (1.0 + math.exp(-z))
    for _ in range(steps):
        h1 = sig(w1 * x1 + w2 * x2 + B1)
        h2 = sig(w3 * x1 + w4 * x2 + B1)
        o1 = sig(w5 * h1 + w6 * h2 + B2)
        o2 = sig(w7 * h1 + w8 * h2 + B2)
        # dE/dz of each output unit, then of each hidden unit through the old w5 ... w8.
        g1 = (o1 - t1) * o1 * (1 - o1)
        g2 = (o2 - t2) * o2 * (1 - o2)
        k1 = (g1 * w5 + g2 * w7) * h1 * (1 - h1)
        k2 = (g1 * w6 + g2 * w8) * h2 * (1 - h2)
        w1, w2, w3, w4 = w1 - lr * k1 * x1, w2 - lr * k1 * x2, w3 - lr * k2 * x1, w4 - lr * k2 * x2
        w5, w6, w7, w8 = w5 - lr * g1 * h1, w6 - lr * g1 * h2, w7 - lr * g2 * h1, w8 - lr * g2 * h2
    return [w1, w2, w3, w4, w5, w6, w7, w8]


def check_networks(n):
    """The networks a peer reports and checks: the first, the middle and the last."""
    return sorted({0, n // 2, n - 1})


def check(final_weights, n, steps):
    """final_weights: {network index: [w1 ... w8]} for check_networks(n)."""
    worst = 0.0
    for i, got in final_weights.items():
        want = reference_weights(learning_rate(i, n), steps)
        for g, r in zip(got, want):
            worst = max(worst, abs(g - r) / max(abs(r), 1e-3))
    ids = sorted(final_weights)
    return {
        "passed": worst <= CHECK_TOLERANCE,
        "max_rel_error": worst,
        "tolerance": CHECK_TOLERANCE,
        "against": "double-precision scalar reference (bench/peers/seed_sweep.py)",
        "networks": ids,
        "learning_rates": [learning_rate(i, n) for i in ids],
        "params": [[float(v) for v in final_weights[i]] for i in ids],
    }


def parse_args(description, extra=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--networks", type=float, default=1e6, help="N networks (default 1e6)")
    ap.add_argument("--steps", type=int, default=200, help="S steps per network (default 200)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs after one warm-up (default 3)")
    if extra:
        extra(ap)
    a = ap.parse_args()
    a.networks = int(a.networks)
    if a.networks < 1 or a.steps < 1 or a.repeats < 1:
        ap.error("--networks, --steps and --repeats must be at least 1")
    return a


def time_runs(run, n, steps, repeats):
    """Runs run(steps) once to warm up (one step), then `repeats` times timed;
    returns the seconds of each timed run and the last run's output."""
    run(1)
    seconds, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run(steps)
        seconds.append(time.perf_counter() - t0)
    return seconds, out


def result_row(backend, n, steps, seconds, note=""):
    """One row of `manynets bench --json`'s results list."""
    net_steps = float(n) * steps
    median = statistics.median(seconds)
    return {
        "backend": backend,
        "networks": n,
        "steps": steps,
        "seconds": median,
        "net_steps_per_second": net_steps / median,
        "fraction_of_ceiling": None,
        "min_net_steps_per_second": net_steps / max(seconds),
        "max_net_steps_per_second": net_steps / min(seconds),
        "all_seconds": seconds,
        "ceiling_net_steps_per_second": None,
        "ceiling_model": "n/a: peer program" + (", " + note if note else ""),
    }


def print_report(rows, checks, repeats):
    """Prints the JSON object on stdout; exits 1 when a check failed."""
    for row, c in zip(rows, checks):
        row["check"] = c
    report = {
        "workload": "seed sweep (peer programs), learning rates 0.1 ... 2.0",
        "math_mode": "float32",
        "repeats": repeats,
        "results": rows,
    }
    print(json.dumps(report))
    failed = [r["backend"] for r in rows if not r["check"]["passed"]]
    for name in failed:
        print(f"{name}: final weights differ from the double reference by more than "
              f"{CHECK_TOLERANCE:g} (relative); its rate does not count", file=sys.stderr)
    sys.exit(1 if failed else 0)


def skip(peer, why):
    print(f"{peer}: {why}, skipped", file=sys.stderr)
    sys.exit(SKIP_EXIT_STATUS)
