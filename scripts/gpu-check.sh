#!/usr/bin/env bash
# The GPU check of the CUDA backends, in one call on a machine with an NVIDIA
# GPU: the whole test suite (GPU tests included), `manynets validate` for cuda,
# cuda-staged and cublas, compute-sanitizer memcheck and racecheck on small batches,
# the CPU-vs-GPU benchmark, and a short table last. Logs go under $OUT (or
# ./gpu-check-logs). Every step has a timeout, logs, and the script carries on
# after a failure; the exit status is 1 when any step failed.
#
# The device machine has no Debian -dev packages (gtest, benchmark, CLI11,
# nlohmann-json, Random123) and no network, so the binaries are built HERE
# for sm_90 and carried:
#
#   scripts/gpu-check.sh --prepare      # here: builds build/gpu, stages .gpu-check/
#
# then, on the GPU machine with .gpu-check/ copied into the source tree (about
# 5 minutes on an H200):
#
#   bash scripts/gpu-check.sh
#
# .gpu-check/ holds bundle.txz (the stripped executables: tests, benchmarks,
# manynets; and the one shared library they need beyond glibc and libstdc++,
# libbenchmark), the source path compiled into the tests and the commit;
# --prepare adds it to .git/info/exclude. The build uses MANYNETS_NATIVE=OFF,
# so the cpu backend runs on the device machine's processor too.
set -u

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here" || exit 1
stage="$here/.gpu-check"

# ---- here: build and stage
if [ "${1:-}" = "--prepare" ]; then
  set -e
  cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMANYNETS_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90-real -DMANYNETS_NATIVE=OFF
  cmake --build build/gpu
  rm -rf "$stage"
  files="$(mktemp -d)"
  mkdir -p "$stage" "$files/bin" "$files/lib"
  find build/gpu -maxdepth 2 -type f -perm -u+x \( -name 'test_*' -o -name 'bench_*' -o -name manynets \) \
    -exec cp {} "$files/bin/" \;
  strip "$files"/bin/*
  for exe in "$files"/bin/*; do
    ldd "$exe" | awk '/=> \// {print $3}' | grep -E 'libbenchmark' | sort -u | xargs -r -I{} cp -L {} "$files/lib/"
  done
  # One compressed bundle: the carried tree must stay under 64 MiB. Each
  # executable holds the whole static library, so xz's 64 MiB window (-9),
  # single-threaded so that the stream stays one block, finds each copy in the
  # one before it: gzip's 32 KiB window left 70 MB.
  tar -cf - -C "$files" bin lib | xz -9 -T1 >"$stage/bundle.txz"
  rm -rf "$files"
  bytes=$(stat -c %s "$stage/bundle.txz")
  if [ "$bytes" -gt $((60 * 1024 * 1024)) ]; then
    echo "gpu-check: the bundle is $bytes bytes, over the 60 MiB that leaves room in a 64 MiB carry" >&2
    exit 1
  fi
  echo "$here" >"$stage/source_dir"
  { git rev-parse --short HEAD; git status --porcelain | grep -q . && echo "(with uncommitted changes)"; } \
    >"$stage/commit" 2>/dev/null || true
  grep -qx '/.gpu-check/' .git/info/exclude 2>/dev/null || echo '/.gpu-check/' >>.git/info/exclude
  du -sh "$stage"
  echo "staged; now run 'bash scripts/gpu-check.sh' on the GPU machine with .gpu-check/ beside the sources"
  exit 0
fi

# ---- there: run everything
out="${OUT:-$here/gpu-check-logs}"
mkdir -p "$out"
unpacked=/tmp/manynets-gpu-check
bin="$unpacked/bin"
rm -rf "$unpacked" && mkdir -p "$unpacked"
# xz where the machine has it, else Python's own lzma.
if command -v xz >/dev/null 2>&1; then
  tar -xJf "$stage/bundle.txz" -C "$unpacked" 2>"$out/unpack.log"
else
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
    "$stage/bundle.txz" "$unpacked" 2>"$out/unpack.log"
fi
export LD_LIBRARY_PATH="$unpacked/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
table="$out/table.txt"
: >"$table"
failed=0
started=$(date +%s)

# step NAME TIMEOUT_SECONDS COMMAND...: runs, logs to $out/NAME.log, adds a row.
step() {
  local name="$1" limit="$2"
  shift 2
  local t0 t1 rc status
  t0=$(date +%s)
  echo "== $name: $*" | tee -a "$out/steps.log"
  timeout --kill-after=10 "$limit" "$@" >"$out/$name.log" 2>&1
  rc=$?
  t1=$(date +%s)
  case $rc in
    0) status=ok ;;
    124 | 137) status="TIMEOUT(${limit}s)"; failed=1 ;;
    *) status="FAIL(rc=$rc)"; failed=1 ;;
  esac
  printf '%-28s %-14s %5ss  %s\n' "$name" "$status" "$((t1 - t0))" "$(tail -n 1 "$out/$name.log" | cut -c1-70)" >>"$table"
  echo "   -> $status in $((t1 - t0)) s"
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(tr '\n' ' ' <"$stage/commit" 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -n 1
  nvcc --version 2>/dev/null | tail -n 1
} | tee "$out/machine.txt"

if [ ! -x "$bin/manynets" ]; then
  echo "no $stage/bundle.txz: run 'scripts/gpu-check.sh --prepare' here and carry .gpu-check" | tee -a "$table"
  cat "$table"
  exit 1
fi

# The tests have the source path of the build machine compiled in (test data,
# the manynets executable): make it resolve here too.
src="$(cat "$stage/source_dir" 2>/dev/null || echo "")"
if [ -n "$src" ] && [ "$src" != "$here" ] && [ ! -e "$src" ]; then
  mkdir -p "$(dirname "$src")" && ln -s "$here" "$src"
fi
mkdir -p "$here/build/gpu" && ln -sf "$bin/manynets" "$here/build/gpu/manynets"

step info 30 "$bin/manynets" info
# The whole suite: every test executable; the GPU tests must not skip here.
for t in "$bin"/test_*; do
  name="$(basename "$t")"
  step "$name" 240 "$t" --gtest_brief=1
done
# With a device only the no-device tests skip (cuBLAS is loaded at run time:
# a machine without libcublas skips the cublas tests, and says so in the log).
for t in test_cuda_backend test_cublas_backend; do
  skipped=$(grep -oE '\[  SKIPPED \] [0-9]+ test' "$out/$t.log" 2>/dev/null | grep -oE '[0-9]+' | head -n 1)
  if [ "${skipped:-0}" -gt 2 ]; then
    echo "$t skipped ${skipped} tests: is the GPU (or libcublas) usable? (see its log)" >>"$table"
    failed=1
  fi
done

# manynets validate, once that command exists.
if "$bin/manynets" validate --help 2>&1 | grep -q -- "--backend"; then
  for backend in cuda cuda-staged cublas; do
    for preset in seed xor moons; do
      step "validate-$backend-$preset" 120 "$bin/manynets" validate --backend "$backend" --preset "$preset"
    done
  done
  # The general path of the fused and staged kernels: widths that are not compiled in.
  if "$bin/manynets" sweep --help 2>&1 | grep -q -- "--hidden"; then
    for backend in cuda cuda-staged; do
      step "validate-$backend-xor-widths" 120 "$bin/manynets" validate --backend "$backend" --preset xor \
        --hidden 1,5,17,64 --lr 0.1:1:4:log --seeds 20 --steps 2000 --target-loss 0.01
    done
  fi
else
  echo "validate                     (not in this version)" >>"$table"
fi

# compute-sanitizer on small batches (the chunked and single-network GPU tests).
if command -v compute-sanitizer >/dev/null 2>&1; then
  small='MathModes/CudaBackendTest.EmptyAndSingleNetworkBatches/*:MathModes/CudaBackendTest.ChunkedRuns*/fast'
  small="$small:MathModes/CudaBackendTest.TiledKernelOnASmallBatchMatchesReference/fast"
  step memcheck 150 compute-sanitizer --tool memcheck --error-exitcode 3 "$bin/test_cuda_backend" --gtest_filter="$small"
  step racecheck 150 compute-sanitizer --tool racecheck --error-exitcode 3 "$bin/test_cuda_backend" --gtest_filter="$small"
  # The tiled kernel's barriers: every thread of a block must reach each one.
  step synccheck 120 compute-sanitizer --tool synccheck --error-exitcode 3 "$bin/test_cuda_backend" \
    --gtest_filter='MathModes/CudaBackendTest.TiledKernelOnASmallBatchMatchesReference/*'
  step memcheck-cublas 150 compute-sanitizer --tool memcheck --error-exitcode 3 "$bin/test_cublas_backend" \
    --gtest_filter='MathModes/CublasBackendTest.EmptyAndSingleNetworkBatches/*:MathModes/CublasBackendTest.MatchesReferenceAndFusedOnXor/fast'
else
  echo "compute-sanitizer            (not on this machine)" >>"$table"
fi

# The CPU-vs-GPU benchmark: every backend side by side on one batch, then the
# Google Benchmark suites.
step bench-backends 180 "$bin/manynets" bench --backends cpu,cuda,cuda-staged,cublas --networks 1000000 --steps 1000 --repeats 3
step bench_cuda 240 "$bin/bench_cuda" --benchmark_format=console --benchmark_out="$out/bench_cuda.json" \
  --benchmark_out_format=json
bench_table="$out/bench_table.txt"
python3 - "$out/bench_cuda.json" >"$bench_table" 2>&1 <<'EOF'
import json, sys
try:
    runs = json.load(open(sys.argv[1]))["benchmarks"]
except Exception as e:  # noqa: BLE001
    print(f"no benchmark results ({e})")
    sys.exit(0)
print(f"{'benchmark':58} {'ms':>10} {'net-steps/s':>12} {'ceiling':>8}")
for r in runs:
    rate = r.get("net_steps_per_second", 0.0)
    frac = r.get("fraction_of_ceiling", float("nan"))
    err = r.get("error_message", "")
    print(f"{r['name'][:58]:58} {r.get('real_time', 0):10.2f} {rate:12.3g} {frac:8.3f} {err}")
EOF

echo
echo "manynets gpu-check ($(($(date +%s) - started)) s); logs in $out"
cat "$out/machine.txt"
cat "$table"
echo
cat "$bench_table"
exit $failed
