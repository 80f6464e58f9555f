#!/usr/bin/env bash
# Checks that two builds of manynets train to the same bits: a fixed set of
# sweeps (several shapes, every optimizer and activation pair, full and online
# mode, trained and frozen biases, a CSV dataset, curves) runs on the reference
# backend and on cpu in both math modes with each binary, and their runs.csv
# and curves.csv must be byte-identical. (A build whose sweep has no --math
# option runs precise only: then the fast runs are skipped, and said so.) For a restructuring that must not change
# results: build the commit before it and the one after, then
#
#   scripts/same-results.sh OLD/manynets NEW/manynets
#
# A column that only one side's runs.csv has (a hyperparameter added since) is
# left out of the comparison and named. Exit status 0: identical; 1: a
# difference (the first lines of the diff are printed); 2: a usage error.
set -euo pipefail

if [[ $# -ne 2 || ! -x "$1" || ! -x "$2" ]]; then
  echo "usage: $0 OLD_MANYNETS NEW_MANYNETS (two executables)" >&2
  exit 2
fi
old="$1"
new="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A 4-8-3 dataset of 32 samples, written here so both builds read the same text.
python3 - "$work/d483.csv" <<'EOF'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("x1,x2,x3,x4,t1,t2,t3\n")
    for s in range(32):
        x = [math.sin(0.7 * s + k) for k in range(4)]
        t = [0.5 + 0.4 * math.tanh(x[k] - x[(k + 1) % 4]) for k in range(3)]
        f.write(",".join(repr(v) for v in x + t) + "\n")
EOF

grid=(--optimizer sgd,momentum,adam --hidden-activation sigmoid,tanh,relu --output-activation sigmoid,identity
      --train-biases on,off --curves all --curve-every 50)
runs=(
  "xor|--preset xor --shape 2-2-1,2-2-2 --lr 0.3,3 --mode full,online --init uniform:1 --steps 600 ${grid[*]}"
  "moons|--preset moons --lr 0.1,1 --init xavier --seeds 2 --steps 300 --target-loss 0.05 ${grid[*]}"
  "seed|--preset seed --lr 0.5:4:4:log --steps 2000 --target-loss 1e-4 ${grid[*]}"
  "csv|--data $work/d483.csv --shape 4-8-3 --lr 0.05,0.5 --mode full,online --init normal:0.5 --steps 200 ${grid[*]}"
)

targets=("reference" "cpu" "cpu --math fast")
for bin in "$old" "$new"; do
  if ! "$bin" sweep --help | grep -q -- '--math'; then
    echo "$bin: sweep has no --math; fast mode is not compared"
    targets=("reference" "cpu")
  fi
done

status=0
for entry in "${runs[@]}"; do
  name="${entry%%|*}"
  options="${entry#*|}"
  for target in "${targets[@]}"; do
    backend="${target// /}"
    for side in old new; do
      bin="$old"
      [[ $side == new ]] && bin="$new"
      out="$work/$side/$name-$backend"
      # shellcheck disable=SC2086  # the options are words
      "$bin" sweep $options --backend $target --out "$out" --json >/dev/null
    done
    a="$work/old/$name-$backend"
    b="$work/new/$name-$backend"
    python3 - "$a/runs.csv" "$b/runs.csv" "$a/common.csv" "$b/common.csv" <<'EOF'
import csv, sys
old, new = (list(csv.reader(open(p, newline=""))) for p in sys.argv[1:3])
common = [c for c in old[0] if c in new[0]]
for c in old[0]:
    if c not in new[0]: print(f"  runs.csv column {c} only in the old build's files")
for c in new[0]:
    if c not in old[0]: print(f"  runs.csv column {c} only in the new build's files (left out)")
for rows, path in ((old, sys.argv[3]), (new, sys.argv[4])):
    keep = [rows[0].index(c) for c in common]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for r in rows: w.writerow([r[k] for k in keep])
EOF
    label="$name on $target"
    if ! cmp -s "$a/common.csv" "$b/common.csv"; then
      echo "DIFFERENT runs.csv: $label"
      diff "$a/common.csv" "$b/common.csv" | head -6 || true
      status=1
    elif ! cmp -s "$a/curves.csv" "$b/curves.csv"; then
      echo "DIFFERENT curves.csv: $label"
      status=1
    else
      echo "same: $label ($(($(wc -l <"$a/runs.csv") - 1)) networks)"
    fi
  done
done
exit $status
