#!/usr/bin/python3
"""Peer: the seed sweep in NumPy, one float32 array of N per weight, every
operation across all networks at once (one thread, as NumPy's element-wise
operations run). Prints `manynets bench --json`'s shape; see seed_sweep.py.

Variants: "buffers" (default) preallocates every temporary and writes with
out=, the way one tunes NumPy code; "expressions" writes the formulas plainly
and lets NumPy allocate a temporary per operation.
Usage: /usr/bin/python3 numpy_peer.py [--networks 1e6] [--steps 200] [--repeats 3] [--variant V]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed_sweep as sw  # noqa: E402

try:
    import numpy as np
except ImportError:
    sw.skip("numpy", "numpy not installed")

f32 = np.float32
x1, x2 = f32(sw.X[0]), f32(sw.X[1])
t1, t2 = f32(sw.T[0]), f32(sw.T[1])
b1, b2 = f32(sw.B1), f32(sw.B2)
one = f32(1)


def start(n):
    weights = [np.full(n, v, dtype=f32) for v in sw.W0]
    i = np.arange(n, dtype=np.float64)
    rates = (0.1 + 1.9 * i / (n - 1) if n > 1 else np.full(n, 0.5)).astype(f32)
    return weights, rates


def train_expressions(n, steps):
    (w1, w2, w3, w4, w5, w6, w7, w8), lr = start(n)

    def sigmoid(z):
        return one / (one + np.exp(-z))

    for _ in range(steps):
        h1 = sigmoid(w1 * x1 + w2 * x2 + b1)
        h2 = sigmoid(w3 * x1 + w4 * x2 + b1)
        o1 = sigmoid(w5 * h1 + w6 * h2 + b2)
        o2 = sigmoid(w7 * h1 + w8 * h2 + b2)
        g1 = (o1 - t1) * o1 * (one - o1)
        g2 = (o2 - t2) * o2 * (one - o2)
        k1 = (g1 * w5 + g2 * w7) * h1 * (one - h1)
        k2 = (g1 * w6 + g2 * w8) * h2 * (one - h2)
        w5, w6, w7, w8 = w5 - lr * g1 * h1, w6 - lr * g1 * h2, w7 - lr * g2 * h1, w8 - lr * g2 * h2
        w1, w2, w3, w4 = w1 - lr * k1 * x1, w2 - lr * k1 * x2, w3 - lr * k2 * x1, w4 - lr * k2 * x2
    return [w1, w2, w3, w4, w5, w6, w7, w8]


def train_buffers(n, steps):
    w, lr = start(n)
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    h1, h2, o1, o2, g1, g2, k1, k2, tmp = (np.empty(n, f32) for _ in range(9))
    mul, add, sub = np.multiply, np.add, np.subtract

    def sigmoid_in_place(a):
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += one
        np.reciprocal(a, out=a)

    def unit(out, wa, a, wb, b, bias):  # out = sigmoid(wa * a + wb * b + bias)
        mul(wa, a, out=out)
        mul(wb, b, out=tmp)
        out += tmp
        out += bias
        sigmoid_in_place(out)

    def output_delta(out, o, t):  # out = lr * (o - t) * o * (1 - o); lr folded in here
        sub(one, o, out=tmp)
        mul(tmp, o, out=tmp)
        sub(o, t, out=out)
        out *= tmp
        out *= lr

    def hidden_delta(out, wa, wb, h):  # out = (g1 * wa + g2 * wb) * h * (1 - h)
        mul(g1, wa, out=out)
        mul(g2, wb, out=tmp)
        out += tmp
        sub(one, h, out=tmp)
        mul(tmp, h, out=tmp)
        out *= tmp

    def descend(wt, g, a):  # wt -= g * a
        mul(g, a, out=tmp)
        wt -= tmp

    for _ in range(steps):
        unit(h1, w1, x1, w2, x2, b1)
        unit(h2, w3, x1, w4, x2, b1)
        unit(o1, w5, h1, w6, h2, b2)
        unit(o2, w7, h1, w8, h2, b2)
        output_delta(g1, o1, t1)
        output_delta(g2, o2, t2)
        hidden_delta(k1, w5, w7, h1)  # before w5 ... w8 change
        hidden_delta(k2, w6, w8, h2)
        descend(w5, g1, h1), descend(w6, g1, h2), descend(w7, g2, h1), descend(w8, g2, h2)
        descend(w1, k1, x1), descend(w2, k1, x2), descend(w3, k2, x1), descend(w4, k2, x2)
    return w


VARIANTS = {"buffers": train_buffers, "expressions": train_expressions}


def main():
    a = sw.parse_args(
        "NumPy peer: the seed sweep vectorised across networks",
        lambda ap: ap.add_argument("--variant", choices=sorted(VARIANTS), default="buffers"))
    train = VARIANTS[a.variant]
    seconds, w = sw.time_runs(lambda s: train(a.networks, s), a.networks, a.steps, a.repeats)
    final = {i: [float(p[i]) for p in w] for i in sw.check_networks(a.networks)}
    row = sw.result_row("numpy", a.networks, a.steps, seconds,
                        f"NumPy {np.__version__}, variant {a.variant}, one thread")
    sw.print_report([row], [sw.check(final, a.networks, a.steps)], a.repeats)


if __name__ == "__main__":
    main()
