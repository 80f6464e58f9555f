#!/usr/bin/python3
# Draws the PNG plots of a manynets sweep directory from its runs.csv,
# summary.json and curves.csv: loss curves, success rate against each swept
# hyperparameter, and a heatmap of success rate when two or more are swept.
# With --curve CSV PNG TITLE it draws one network's curve (`manynets train --plot`).
# Run with Debian's /usr/bin/python3 (python3-matplotlib). Prints "wrote FILE"
# per plot; exits 3 when matplotlib is missing, so the caller can say so.
import csv
import json
import math
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import colors
except ImportError as e:
    print(f"matplotlib is not available: {e}; install python3-matplotlib", file=sys.stderr)
    sys.exit(3)

STATUS_COLOURS = {"converged": "tab:green", "max_steps": "tab:orange", "diverged": "tab:red"}


def save(fig, directory, name):
    """Writes the figure to a temporary name and renames it once complete."""
    path = os.path.join(directory, name)
    tmp = os.path.join(directory, f".{name}.tmp-{os.getpid()}")
    try:
        fig.savefig(tmp, format="png", dpi=100)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"wrote {path}")


def read_runs(directory, wanted_columns):
    """Selected columns of runs.csv as lists, read in one pass."""
    with open(os.path.join(directory, "runs.csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        index = [header.index(c) for c in wanted_columns]
        columns = [[] for _ in wanted_columns]
        for row in reader:
            for k, i in enumerate(index):
                columns[k].append(row[i])
    return dict(zip(wanted_columns, columns))


def is_log_spaced(numbers):
    numbers = sorted(n for n in numbers if n is not None)
    if len(numbers) < 3 or numbers[0] <= 0:
        return False
    return numbers[-1] / numbers[0] >= 20


def row_label(row):
    if row["number"] is None:
        return row["value"]
    return f"{row['number']:.4g}" if not row["value"].startswith("[") else row["value"]


def plot_loss_curves(directory, summary, runs):
    curves = {}
    with open(os.path.join(directory, "curves.csv"), newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for network_id, step, loss, _ in reader:
            steps, losses = curves.setdefault(int(network_id), ([], []))
            value = float(loss)
            if math.isfinite(value) and value > 0:
                steps.append(int(step))
                losses.append(value)
    if not curves:
        return
    swept = summary.get("swept", [])
    numeric = [t["hyperparameter"] for t in summary.get("tables", []) if t["numeric"]]
    colour_by = numeric[0] if numeric else None
    ids = {str(i): k for k, i in enumerate(runs["id"])}
    fig, ax = plt.subplots(figsize=(8, 5))
    if colour_by:
        values = [float(runs[colour_by][ids[str(i)]]) for i in curves]
        positive = all(v > 0 for v in values)
        norm = (colors.LogNorm if positive and is_log_spaced(values) else colors.Normalize)(
            vmin=min(values), vmax=max(values) if max(values) > min(values) else min(values) + 1)
        cmap = plt.get_cmap("viridis")
        for (network_id, (steps, losses)), v in zip(curves.items(), values):
            status = runs["status"][ids[str(network_id)]]
            ax.plot(steps, losses, color=cmap(norm(v)), linewidth=1, alpha=0.8)
            if status == "diverged" and steps:
                ax.plot(steps[-1], losses[-1], "x", color="tab:red")
        bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax)
        bar.set_label(colour_by)
    else:
        for network_id, (steps, losses) in curves.items():
            status = runs["status"][ids[str(network_id)]]
            ax.plot(steps, losses, color=STATUS_COLOURS.get(status, "grey"), linewidth=1, alpha=0.8, label=status)
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys())
    targets = {runs["target_loss"][ids[str(i)]] for i in curves}
    if len(targets) == 1:
        target = float(next(iter(targets)))
        if target > 0:
            ax.axhline(target, color="black", linestyle="--", linewidth=0.8, label="target loss")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    what = f", coloured by {colour_by}" if colour_by else ""
    ax.set_title(f"{summary.get('workload', '')}: loss of {len(curves)} sample networks{what}")
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    save(fig, directory, "loss_curves.png")


def plot_success(directory, summary, table):
    name = table["hyperparameter"]
    rows = table["rows"]
    fig, ax = plt.subplots(figsize=(8, 5))
    success = [100 * r["success_rate"] for r in rows]
    diverged = [100 * r["diverged"] / r["networks"] if r["networks"] else 0 for r in rows]
    if table["numeric"]:
        x = [r["number"] for r in rows]
        ax.plot(x, success, "o-", color="tab:green", label="converged")
        ax.plot(x, diverged, "s--", color="tab:red", label="diverged")
        if is_log_spaced(x):
            ax.set_xscale("log")
    else:
        labels = [row_label(r) for r in rows]
        positions = range(len(rows))
        ax.bar([p - 0.2 for p in positions], success, width=0.4, color="tab:green", label="converged")
        ax.bar([p + 0.2 for p in positions], diverged, width=0.4, color="tab:red", label="diverged")
        ax.set_xticks(list(positions))
        ax.set_xticklabels(labels)
    ax.set_ylim(-2, 102)
    ax.set_xlabel(name)
    ax.set_ylabel("% of networks")
    ax.set_title(f"{summary.get('workload', '')}: success rate against {name}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save(fig, directory, f"success_{name}.png")


def bin_of(table):
    """A function from a runs.csv text value to the table's row index."""
    rows = table["rows"]
    if table["binned"]:
        edges = [float(r["value"][1:-1].split(",")[0]) for r in rows]

        def index(text):
            v = float(text)
            k = 0
            while k + 1 < len(edges) and v >= edges[k + 1]:
                k += 1
            return k

        return index
    if table["numeric"]:
        lookup = {r["number"]: k for k, r in enumerate(rows)}
        return lambda text: lookup.get(float(text))
    lookup = {r["value"]: k for k, r in enumerate(rows)}
    return lambda text: lookup.get(text)


def plot_heatmap(directory, summary, runs, x_table, y_table):
    x_name, y_name = x_table["hyperparameter"], y_table["hyperparameter"]
    nx, ny = len(x_table["rows"]), len(y_table["rows"])
    x_of, y_of = bin_of(x_table), bin_of(y_table)
    total = [[0] * nx for _ in range(ny)]
    good = [[0] * nx for _ in range(ny)]
    for xv, yv, status in zip(runs[x_name], runs[y_name], runs["status"]):
        i, j = x_of(xv), y_of(yv)
        if i is None or j is None:
            continue
        total[j][i] += 1
        good[j][i] += status == "converged"
    rate = [[100 * good[j][i] / total[j][i] if total[j][i] else float("nan") for i in range(nx)] for j in range(ny)]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * nx + 3), max(4, 0.45 * ny + 2)))
    image = ax.imshow(rate, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=100)
    ax.set_xticks(range(nx))
    ax.set_xticklabels([row_label(r) for r in x_table["rows"]], rotation=45, ha="right")
    ax.set_yticks(range(ny))
    ax.set_yticklabels([row_label(r) for r in y_table["rows"]])
    if nx * ny <= 400:
        for j in range(ny):
            for i in range(nx):
                if total[j][i]:
                    v = rate[j][i]
                    ax.text(i, j, f"{v:.0f}", ha="center", va="center", fontsize=7,
                            color="white" if v < 60 else "black")
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.set_title(f"{summary.get('workload', '')}: % converged")
    fig.colorbar(image, ax=ax).set_label("% converged")
    fig.tight_layout()
    save(fig, directory, f"heatmap_{x_name}_{y_name}.png")


def plot_one_curve(csv_path, png_path, title):
    """One network's abs error at every recorded step as a scatter, like the seed
    program's figure, and its loss on a log scale beside it."""
    steps, losses, errors = [], [], []
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for step, loss, abs_error in reader:
            steps.append(int(step))
            losses.append(float(loss))
            errors.append(float(abs_error))
    if not steps:
        raise ValueError(f"{csv_path} has no rows")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    size = 4 if len(steps) <= 20000 else 1
    left.scatter(steps, errors, s=size, color="tab:blue")
    finite = [e for e in errors if math.isfinite(e)]
    left.set_ylim(0, max([1.0] + finite) * 1.05)
    left.set_xlabel("step")
    left.set_ylabel("abs error  |t1 - o1| + |t2 - o2| + ...")
    left.set_title(f"abs error: {errors[0]:.4g} at step 0, {errors[-1]:.4g} at step {steps[-1]}")
    left.grid(True, alpha=0.3)
    positive = [(s, v) for s, v in zip(steps, losses) if math.isfinite(v) and v > 0]
    if positive:
        right.plot([s for s, _ in positive], [v for _, v in positive], color="tab:orange", linewidth=1)
        right.set_yscale("log")
    right.set_xlabel("step")
    right.set_ylabel("loss  sum 1/2 (t - o)^2")
    right.set_title(f"loss: {losses[-1]:.4g} at step {steps[-1]}")
    right.grid(True, which="major", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    directory, name = os.path.split(png_path)
    save(fig, directory or ".", name)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--curve":
        plot_one_curve(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    if len(sys.argv) != 2:
        print("usage: plot_sweep.py DIR (a manynets sweep --out directory)\n"
              "       plot_sweep.py --curve CURVE.csv OUT.png TITLE (a manynets train --curve file)",
              file=sys.stderr)
        return 2
    directory = sys.argv[1]
    with open(os.path.join(directory, "summary.json")) as f:
        summary = json.load(f)
    tables = summary.get("tables", [])
    columns = ["id", "status", "target_loss"] + [t["hyperparameter"] for t in tables]
    runs = read_runs(directory, list(dict.fromkeys(columns)))
    plot_loss_curves(directory, summary, runs)
    for table in tables:
        plot_success(directory, summary, table)
    if len(tables) >= 2:
        plot_heatmap(directory, summary, runs, tables[0], tables[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
