#!/bin/sh
# Runs `manynets bench` and every peer program present on this machine
# (bench/peers/: NumPy, PyTorch, JAX, C++ OpenMP) on the same seed sweep, one
# after another, and prints one table of net-steps per second with the ratio of
# each row to manynets' cpu row. A peer whose library is missing is skipped with
# a note; nothing is installed. --check runs tiny sizes and verifies every
# report: its JSON shape, the peer's own check against a double-precision
# reference, and its final weights against `manynets train --backend reference`.
set -eu

usage() {
  cat <<'EOF'
usage: bench/compare.sh [--networks N] [--steps S] [--repeats R] [--peers LIST] [--check]
  --networks N   networks in the sweep (default 1e6)
  --steps S      steps per network (default 200)
  --repeats R    timed runs after one warm-up, median reported (default 3)
  --peers LIST   peers to run, of numpy,torch,jax,cpp-openmp (default: all)
  --check        tiny sizes (101 networks x 50 steps, 1 run); exit 1 unless every
                 report is well formed and matches the reference
environment: MANYNETS (the executable; default build/default/manynets, then PATH),
  PYTHON (default /usr/bin/python3, where Debian's NumPy and PyTorch live),
  CXX (default g++, compiles the OpenMP peer into $TMPDIR)
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
networks=1e6 steps=200 repeats=3 peers=numpy,torch,jax,cpp-openmp check=0
while [ $# -gt 0 ]; do
  case $1 in
    --networks) [ $# -ge 2 ] || { usage >&2; exit 2; }; networks=$2; shift 2 ;;
    --steps) [ $# -ge 2 ] || { usage >&2; exit 2; }; steps=$2; shift 2 ;;
    --repeats) [ $# -ge 2 ] || { usage >&2; exit 2; }; repeats=$2; shift 2 ;;
    --peers) [ $# -ge 2 ] || { usage >&2; exit 2; }; peers=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "compare.sh: error: unknown argument '$1'; see --help" >&2; exit 2 ;;
  esac
done
if [ "$check" = 1 ]; then networks=101 steps=50 repeats=1; fi

whole() {  # flag, text: prints the text as a whole number (1e6 -> 1000000), or fails with a message
  awk -v flag="$1" -v text="$2" 'BEGIN {
    if (text !~ /^[0-9]+(\.[0-9]*)?([eE][+]?[0-9]+)?$/ || text + 0 < 1 || text + 0 != int(text + 0)) {
      printf "compare.sh: error: %s must be a whole number of at least 1, such as 1000 or 1e6; got \"%s\"\n", flag, text > "/dev/stderr"
      exit 2
    }
    printf "%d\n", text + 0
  }'
}
for peer in $(echo "$peers" | tr ',' ' '); do
  case $peer in
    numpy | torch | jax | cpp-openmp) ;;
    *) echo "compare.sh: error: unknown peer '$peer'; use numpy, torch, jax or cpp-openmp" >&2; exit 2 ;;
  esac
done
networks=$(whole --networks "$networks") || exit 2
steps=$(whole --steps "$steps") || exit 2
repeats=$(whole --repeats "$repeats") || exit 2

if [ -n "${MANYNETS:-}" ]; then
  manynets=$MANYNETS
elif [ -x "$root/build/default/manynets" ]; then
  manynets=$root/build/default/manynets
elif command -v manynets >/dev/null 2>&1; then
  manynets=$(command -v manynets)
else
  echo "compare.sh: error: no manynets executable; build it (cmake --preset default && cmake --build build/default) or set MANYNETS=PATH" >&2
  exit 2
fi
[ -x "$manynets" ] || { echo "compare.sh: error: manynets executable '$manynets' not found; set MANYNETS=PATH" >&2; exit 2; }
if [ -n "${PYTHON:-}" ]; then python=$PYTHON
elif [ -x /usr/bin/python3 ]; then python=/usr/bin/python3
else python=python3
fi
command -v "$python" >/dev/null 2>&1 || { echo "compare.sh: error: no Python ('$python'); set PYTHON=PATH" >&2; exit 2; }
export PYTHONDONTWRITEBYTECODE=1  # keep the source tree clean

load_before=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
work=$(mktemp -d "${TMPDIR:-/tmp}/manynets-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
: >"$work/notes"

# manynets: the cpu backend, and the GPU backends when a device is present.
backends=cpu
if "$manynets" info --json 2>/dev/null | "$python" -c 'import json, sys; sys.exit(0 if json.load(sys.stdin).get("cuda_devices") else 1)' 2>/dev/null; then
  backends=cpu,cuda,cublas
fi
echo "manynets bench --backends $backends --networks $networks --steps $steps ..." >&2
"$manynets" bench --backends "$backends" --networks "$networks" --steps "$steps" --repeats "$repeats" --json \
  >"$work/0-manynets.json"

# Each peer writes its JSON report, or exits 77 when its library is missing.
run_peer() {  # name, command...
  name=$1
  shift
  echo "$name ..." >&2
  status=0
  "$@" --networks "$networks" --steps "$steps" --repeats "$repeats" >"$work/1-$name.json" 2>"$work/$name.err" || status=$?
  if [ "$status" = 77 ]; then
    tail -n 1 "$work/$name.err" >>"$work/notes"
    rm -f "$work/1-$name.json"
  elif [ "$status" != 0 ] && [ ! -s "$work/1-$name.json" ]; then
    echo "$name: failed (exit status $status): $(tail -n 1 "$work/$name.err")" >>"$work/notes"
    rm -f "$work/1-$name.json"
    echo 1 >"$work/failed"
  fi
}

omp_peer() {  # compiles the OpenMP peer (once per source version); prints its path, or nothing
  cxx=${CXX:-g++}
  cache=${TMPDIR:-/tmp}/manynets-peers-$(id -u)
  # Named by the source's checksum and the compiler, so an edit or another CXX rebuilds it.
  exe=$cache/omp_peer-$(cksum <"$here/peers/omp_peer.cpp" | cut -d ' ' -f 1)-$(echo "$cxx" | cksum | cut -d ' ' -f 1)
  mkdir -p "$cache"
  if [ ! -x "$exe" ]; then
    "$cxx" -O3 -march=native -ffast-math -fopenmp -o "$exe.tmp" "$here/peers/omp_peer.cpp" 2>"$work/omp.err" \
      && mv "$exe.tmp" "$exe" || return 0
  fi
  echo "$exe"
}

for peer in $(echo "$peers" | tr ',' ' '); do
  case $peer in
    numpy) run_peer numpy "$python" "$here/peers/numpy_peer.py" ;;
    torch) run_peer torch "$python" "$here/peers/torch_peer.py" ;;
    jax) run_peer jax "$python" "$here/peers/jax_peer.py" ;;
    cpp-openmp)
      exe=$(omp_peer)
      if [ -n "$exe" ]; then
        run_peer cpp-openmp "$exe"
      else
        echo "cpp-openmp: ${CXX:-g++} -fopenmp could not compile bench/peers/omp_peer.cpp, skipped ($(tail -n 1 "$work/omp.err"))" >>"$work/notes"
      fi
      ;;
  esac
done

# Cross-check: the networks each peer reports, trained by manynets' double reference.
if [ "$check" = 1 ]; then
  for rate in $(cat "$work"/1-*.json 2>/dev/null | "$python" -c '
import json, sys
rates = set()
for line in sys.stdin:
    for row in json.loads(line)["results"]:
        rates.update(float(r) for r in row["check"]["learning_rates"])
print(" ".join(repr(r) for r in sorted(rates)))'); do
    "$manynets" train --preset seed --backend reference --lr "$rate" --steps "$steps" --json >"$work/train-$rate.json"
  done
fi

status=0
"$python" - "$work" "$check" "$manynets" "$load_before" <<'EOF' || status=$?
import glob, json, math, os, sys

work, check, manynets, load_before = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]
ROW_KEYS = {"backend": str, "networks": int, "steps": int, "seconds": float, "net_steps_per_second": float,
            "min_net_steps_per_second": float, "max_net_steps_per_second": float, "all_seconds": list}
problems, rows = [], []
for path in sorted(glob.glob(os.path.join(work, "[01]-*.json"))):
    who = os.path.basename(path)[2:-5]
    try:
        with open(path) as f:
            report = json.load(f)
        results = report["results"]
        assert isinstance(results, list) and results, "no results"
        for r in results:
            for key, kind in ROW_KEYS.items():
                v = r[key]
                ok = isinstance(v, (int, float)) if kind is float else isinstance(v, kind)
                assert ok and not isinstance(v, bool), f"{key} is {v!r}"
            assert math.isfinite(r["net_steps_per_second"]) and r["net_steps_per_second"] > 0, \
                "net_steps_per_second is not a positive number"
            assert "fraction_of_ceiling" in r, "fraction_of_ceiling missing"
    except (OSError, ValueError, KeyError, AssertionError, TypeError) as e:
        problems.append(f"{who}: report is not in manynets bench --json's shape ({e})")
        continue
    for r in results:
        rows.append((who, r))

def check_peer(r):
    """The peer's own check, then its weights against manynets train on the reference."""
    c = r["check"]
    if not c["passed"]:
        return f"own check failed (max rel. error {c['max_rel_error']:.2g})"
    worst = 0.0
    for rate, got in zip(c["learning_rates"], c["params"]):
        with open(os.path.join(work, f"train-{float(rate)!r}.json")) as f:
            want = json.load(f)["params"][:8]  # w1 ... w8; the biases are not trained
        worst = max(worst, max(abs(g - w) / max(abs(w), 1e-3) for g, w in zip(got, want)))
    if worst > c["tolerance"]:
        return f"weights differ from manynets train by {worst:.2g} (relative)"
    return f"ok: {c['max_rel_error']:.1g} from reference, {worst:.1g} from manynets train"

cpu = next((r["net_steps_per_second"] for who, r in rows if who == "manynets" and r["backend"] == "cpu"), None)
def rate_text(v):
    for scale, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.3g}"

table = [("name", "networks x steps", "net-steps/s", "min ... max", "vs manynets cpu", "check")]
for who, r in rows:
    name = r["backend"] if who != "manynets" else "manynets " + r["backend"]
    rate = r["net_steps_per_second"]
    verdict = ""
    if "check" in r:
        if check:
            try:
                verdict = check_peer(r)
            except (OSError, ValueError, KeyError, TypeError) as e:
                verdict = f"cannot cross-check ({e})"
            if not verdict.startswith("ok"):
                problems.append(f"{name}: {verdict}")
        else:
            verdict = "ok" if r["check"]["passed"] else "FAILED"
            if not r["check"]["passed"]:
                problems.append(f"{name}: final weights differ from the double reference")
    ratio = f"{rate / cpu:.3g}x" if cpu else "n/a"
    spread = f"{rate_text(r['min_net_steps_per_second'])} ... {rate_text(r['max_net_steps_per_second'])}"
    table.append((name, f"{r['networks']} x {r['steps']}", rate_text(rate), spread, ratio, verdict))
widths = [max(len(row[k]) for row in table) for k in range(len(table[0]))]
for i, row in enumerate(table):
    cells = [row[0].ljust(widths[0])] + [row[k].rjust(widths[k]) for k in (1, 2, 3, 4)] + [row[5]]
    print("  ".join(cells).rstrip())
    if i == 0:
        print("  ".join("-" * w for w in widths))
with open(os.path.join(work, "notes")) as f:
    for note in f.read().splitlines():
        print("note: " + note)
runs = len(rows[0][1]["all_seconds"]) if rows else 0
print(f"median of {runs} timed run{'s' if runs != 1 else ''} after one warm-up each; manynets: {manynets}")
print(f"machine: {os.cpu_count()} cores; load average before {load_before}, after "
      + " ".join(f"{x:.2f}" for x in os.getloadavg()))
for p in problems:
    print("compare.sh: error: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
[ -e "$work/failed" ] && status=1
exit "$status"
