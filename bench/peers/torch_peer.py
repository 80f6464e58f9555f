#!/usr/bin/python3
"""Peer: the seed sweep in PyTorch, float32 tensors of N networks, on the CPU
(every core, torch's own thread pool) and on the GPU when one is present.
Prints `manynets bench --json`'s shape; see seed_sweep.py.

Variants: "manual" (default) writes the gradients by hand under no_grad with
in-place updates; "autograd" keeps W1 and W2 as (N, 2, 2) tensors, runs the
forward pass with batched matrix products and lets backward() find the
gradients, as a framework user would.
Usage: /usr/bin/python3 torch_peer.py [--networks 1e6] [--steps 200] [--repeats 3]
       [--variant V] [--devices cpu,cuda] [--threads T]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed_sweep as sw  # noqa: E402

try:
    import torch
except ImportError:
    sw.skip("torch", "torch not installed")

F32 = torch.float32


def rates(n, device):
    i = torch.arange(n, dtype=torch.float64, device=device)
    lr = 0.1 + 1.9 * i / (n - 1) if n > 1 else torch.full((n,), 0.5, dtype=torch.float64, device=device)
    return lr.to(F32)


@torch.no_grad()
def train_manual(n, steps, device):
    w1, w2, w3, w4, w5, w6, w7, w8 = (torch.full((n,), v, dtype=F32, device=device) for v in sw.W0)
    lr = rates(n, device)
    (x1, x2), (t1, t2) = sw.X, sw.T
    for _ in range(steps):
        h1 = torch.sigmoid(w1 * x1 + w2 * x2 + sw.B1)
        h2 = torch.sigmoid(w3 * x1 + w4 * x2 + sw.B1)
        o1 = torch.sigmoid(w5 * h1 + w6 * h2 + sw.B2)
        o2 = torch.sigmoid(w7 * h1 + w8 * h2 + sw.B2)
        g1 = lr * (o1 - t1) * o1 * (1 - o1)  # lr folded into the output deltas
        g2 = lr * (o2 - t2) * o2 * (1 - o2)
        k1 = (g1 * w5 + g2 * w7) * h1 * (1 - h1)
        k2 = (g1 * w6 + g2 * w8) * h2 * (1 - h2)
        w5.sub_(g1 * h1), w6.sub_(g1 * h2), w7.sub_(g2 * h1), w8.sub_(g2 * h2)
        w1.sub_(k1, alpha=x1), w2.sub_(k1, alpha=x2), w3.sub_(k2, alpha=x1), w4.sub_(k2, alpha=x2)
    return [w.cpu() for w in (w1, w2, w3, w4, w5, w6, w7, w8)]


def train_autograd(n, steps, device):
    # W1[i] is network i's input->hidden matrix (rows h1, h2), W2[i] hidden->output.
    W1 = torch.tensor(sw.W0[:4], dtype=F32, device=device).reshape(1, 2, 2).repeat(n, 1, 1).requires_grad_()
    W2 = torch.tensor(sw.W0[4:], dtype=F32, device=device).reshape(1, 2, 2).repeat(n, 1, 1).requires_grad_()
    x = torch.tensor(sw.X, dtype=F32, device=device).reshape(1, 2, 1).expand(n, 2, 1)
    t = torch.tensor(sw.T, dtype=F32, device=device).reshape(1, 2, 1)
    lr = rates(n, device).reshape(n, 1, 1)
    for _ in range(steps):
        h = torch.sigmoid(torch.bmm(W1, x) + sw.B1)
        o = torch.sigmoid(torch.bmm(W2, h) + sw.B2)
        # Summed over networks, each network's loss only reaches its own weights.
        loss = 0.5 * ((t - o) ** 2).sum()
        g1, g2 = torch.autograd.grad(loss, (W1, W2))
        with torch.no_grad():
            W1.sub_(lr * g1)
            W2.sub_(lr * g2)
    W1, W2 = W1.detach().reshape(n, 4).cpu(), W2.detach().reshape(n, 4).cpu()
    return [W1[:, k] for k in range(4)] + [W2[:, k] for k in range(4)]


VARIANTS = {"manual": train_manual, "autograd": train_autograd}


def main():
    def extra(ap):
        ap.add_argument("--variant", choices=sorted(VARIANTS), default="manual")
        ap.add_argument("--devices", default="cpu,cuda",
                        help="devices to run on, of cpu,cuda (cuda only when present; default both)")
        ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1),
                        help="CPU threads (default: $OMP_NUM_THREADS, else every core as manynets' cpu backend)")

    a = sw.parse_args("PyTorch peer: the seed sweep batched across networks", extra)
    train = VARIANTS[a.variant]
    torch.set_num_threads(max(1, a.threads))
    rows, checks = [], []
    for device in a.devices.split(","):
        if device == "cuda" and not torch.cuda.is_available():
            print("torch: no CUDA device, cuda row skipped", file=sys.stderr)
            continue
        if device not in ("cpu", "cuda"):
            print(f"torch: unknown device '{device}'; use cpu or cuda", file=sys.stderr)
            sys.exit(2)

        def run(steps, device=device):
            w = train(a.networks, steps, device)
            if device == "cuda":
                torch.cuda.synchronize()
            return w

        seconds, w = sw.time_runs(run, a.networks, a.steps, a.repeats)
        final = {i: [float(p[i]) for p in w] for i in sw.check_networks(a.networks)}
        where = f"{torch.get_num_threads()} CPU threads" if device == "cpu" else torch.cuda.get_device_name(0)
        rows.append(sw.result_row(f"torch-{device}", a.networks, a.steps, seconds,
                                  f"PyTorch {torch.__version__}, variant {a.variant}, {where}"))
        checks.append(sw.check(final, a.networks, a.steps))
    sw.print_report(rows, checks, a.repeats)


if __name__ == "__main__":
    main()
