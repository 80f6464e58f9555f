#!/usr/bin/python3
"""Peer: the seed sweep in JAX, written for one network, vmap-ped across the N
networks and stepped with lax.scan, the whole run compiled by jit; on JAX's
default device (the GPU when JAX has one). Compilation happens in the warm-up
run and is not timed. Prints `manynets bench --json`'s shape; see seed_sweep.py.
Usage: python3 jax_peer.py [--networks 1e6] [--steps 200] [--repeats 3]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed_sweep as sw  # noqa: E402

try:
    import jax
    import jax.numpy as jnp
except ImportError:
    sw.skip("jax", "jax not installed")


def step(w, lr):
    """One gradient-descent step of one network; w = (w1 ... w8)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    (x1, x2), (t1, t2) = sw.X, sw.T
    h1 = jax.nn.sigmoid(w1 * x1 + w2 * x2 + sw.B1)
    h2 = jax.nn.sigmoid(w3 * x1 + w4 * x2 + sw.B1)
    o1 = jax.nn.sigmoid(w5 * h1 + w6 * h2 + sw.B2)
    o2 = jax.nn.sigmoid(w7 * h1 + w8 * h2 + sw.B2)
    g1 = (o1 - t1) * o1 * (1 - o1)
    g2 = (o2 - t2) * o2 * (1 - o2)
    k1 = (g1 * w5 + g2 * w7) * h1 * (1 - h1)
    k2 = (g1 * w6 + g2 * w8) * h2 * (1 - h2)
    grad = jnp.stack([k1 * x1, k1 * x2, k2 * x1, k2 * x2, g1 * h1, g1 * h2, g2 * h1, g2 * h2])
    return w - lr * grad


def make_train(steps):
    all_networks = jax.vmap(step)  # w: (N, 8), lr: (N,)

    def train(w, lr):
        w, _ = jax.lax.scan(lambda w, _: (all_networks(w, lr), None), w, None, length=steps)
        return w

    return jax.jit(train)


def main():
    a = sw.parse_args("JAX peer: the seed sweep with vmap and lax.scan under jit")
    n = a.networks
    i = jnp.arange(n, dtype=jnp.float32)
    lr = 0.1 + 1.9 * i / (n - 1) if n > 1 else jnp.full((n,), 0.5, dtype=jnp.float32)
    w0 = jnp.tile(jnp.asarray(sw.W0, dtype=jnp.float32), (n, 1))
    compiled = {}

    def run(steps):
        if steps not in compiled:
            compiled[steps] = make_train(steps)
            compiled[steps](w0, lr).block_until_ready()  # compile outside the timing
        return compiled[steps](w0, lr).block_until_ready()

    run(a.steps)  # compiles the timed length (the warm-up below only compiles 1 step)
    seconds, w = sw.time_runs(run, n, a.steps, a.repeats)
    final = {k: [float(v) for v in w[k]] for k in sw.check_networks(n)}
    device = jax.devices()[0]
    row = sw.result_row(f"jax-{device.platform}", n, a.steps, seconds,
                        f"JAX {jax.__version__}, vmap + lax.scan under jit, {device.device_kind}")
    sw.print_report([row], [sw.check(final, n, a.steps)], a.repeats)


if __name__ == "__main__":
    main()
