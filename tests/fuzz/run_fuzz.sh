#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/CMakeLists.txt) with clang++ and runs them.
#   run_fuzz.sh BUILD_DIR                      configure and build
#   run_fuzz.sh BUILD_DIR TARGET SECONDS       fuzz TARGET (csv, sweep_options or
#                                              config) for SECONDS, building first
#                                              only if BUILD_DIR has no build yet
#                                              (runs in parallel then share one build)
# New inputs go to BUILD_DIR/corpus/TARGET (the seeds in tests/fuzz/corpus/TARGET
# are read, never written); a crashing input is saved as BUILD_DIR/artifacts/TARGET/crash-*
# and the script exits non-zero. Extra libFuzzer flags: MANYNETS_FUZZ_FLAGS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: run_fuzz.sh BUILD_DIR [TARGET SECONDS]}"
target="${2:-}"
seconds="${3:-20}"
clangxx="${CLANGXX:-$(command -v clang++ || command -v clang++-14 || true)}"
if [ -z "$clangxx" ]; then
  echo "run_fuzz: clang++ not found; install clang and libclang-rt-14-dev (scripts/setup.sh)" >&2
  exit 2
fi

if [ -z "$target" ] || [ ! -x "$build/fuzz_config" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$clangxx" >/dev/null
  fi
  cmake --build "$build" -j "${MANYNETS_FUZZ_BUILD_JOBS:-2}" --target fuzz_csv fuzz_sweep_options fuzz_config
fi
[ -z "$target" ] && exit 0

case "$target" in
  csv | sweep_options | config) ;;
  *) echo "run_fuzz: unknown target '$target'; use csv, sweep_options or config" >&2; exit 2 ;;
esac
mkdir -p "$build/corpus/$target" "$build/artifacts/$target"
# shellcheck disable=SC2086
"$build/fuzz_$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/$target/" ${MANYNETS_FUZZ_FLAGS:-} \
  "$build/corpus/$target" "$here/corpus/$target"
