"""How often does a 2-2-1 network learn XOR, by learning rate and hidden activation?

Runs a sweep of 2 x 12 configurations x 200 seeds and draws the success rate
against the learning rate from the returned arrays (needs matplotlib).

    python python/examples/xor_success.py [xor_success.png]
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import manynets as mn

r = mn.sweep(preset="xor", shape="2-2-1", lr=mn.logspace(0.1, 8, 12), hidden_activation=["sigmoid", "tanh"],
             init="uniform:1", seeds=200, steps=5000, target_loss=0.01, progress=True)
print(r)
runs = r.runs
fig, ax = plt.subplots(figsize=(6, 4))
for activation in np.unique(runs["hidden_activation"]):
    mine = runs["hidden_activation"] == activation
    rates = np.unique(runs["learning_rate"][mine])
    success = [np.mean(runs["status"][mine & (runs["learning_rate"] == lr)] == "converged") for lr in rates]
    ax.semilogx(rates, 100 * np.array(success), marker="o", label=f"hidden {activation}")
ax.set_xlabel("learning rate")
ax.set_ylabel("% converged to loss 0.01 in 5000 steps")
ax.set_title(f"XOR, 2-2-1, {r.networks} networks ({r.backend})")
ax.legend()
fig.tight_layout()
out = sys.argv[1] if len(sys.argv) > 1 else "xor_success.png"
fig.savefig(out, dpi=120)
print("wrote", out)
