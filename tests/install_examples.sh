#!/usr/bin/env bash
# Installs manynets from a build tree into a temporary prefix, builds every
# project under examples/ against that prefix (CMAKE_PREFIX_PATH only), runs
# each and checks what it prints; also compiles a program with pkg-config.
#   tests/install_examples.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
# Programs that link the library need its compile flags (sanitizers in the debug preset).
cxx_flags=$(sed -n 's/^CMAKE_CXX_FLAGS:[A-Z]*=//p' "$build/CMakeCache.txt")

cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/manynets" || { echo "FAIL: manynets command not installed"; exit 1; }
"$prefix/bin/manynets" --version

# The installed command runs a sweep away from the sources, plots included
# (when Debian's matplotlib is there).
(cd "$work" && "$prefix/bin/manynets" sweep --preset seed --lr 0.5,2 --steps 200 --backend reference --out "$work/sweep" >/dev/null)
[ -s "$work/sweep/runs.csv" ] || { echo "FAIL: installed sweep wrote no runs.csv"; exit 1; }
if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  [ -s "$work/sweep/loss_curves.png" ] || { echo "FAIL: installed sweep drew no plots"; exit 1; }
fi

for ex in lr_sweep xor_csv; do
  cmake -S "$src/examples/$ex" -B "$work/$ex" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="$cxx_flags" >/dev/null
  cmake --build "$work/$ex" >/dev/null
done

# The learning-rate sweep must find a rate that brings the worked example's loss below 1e-4
# (0.5, the example's own rate, gets 1.2e-4 in 5000 steps; higher rates get further).
out=$("$work/lr_sweep/lr_sweep")
echo "$out"
echo "$out" | grep -Eq '^best learning rate [0-9.]+: loss [0-9.e+-]+ after 5000 steps' || { echo "FAIL: lr_sweep output"; exit 1; }
loss=$(echo "$out" | sed -n 's/^best learning rate [0-9.]*: loss \([0-9.e+-]*\) .*/\1/p')
awk -v l="$loss" 'BEGIN { exit !(l < 1e-4) }' || { echo "FAIL: best loss $loss not below 1e-4"; exit 1; }

# XOR on the shipped dataset: most of 256 random starts reach the target, and
# the results file has a header and one row per network.
(cd "$work" && "$work/xor_csv/xor_csv" "$src/examples/xor_csv/xor.csv" "$work/xor_results.csv") | tee "$work/xor.out"
converged=$(sed -n 's/^\([0-9]*\) of 256 .*/\1/p' "$work/xor.out")
[ -n "$converged" ] && [ "$converged" -ge 128 ] || { echo "FAIL: only '$converged' of 256 XOR networks converged"; exit 1; }
[ "$(wc -l < "$work/xor_results.csv")" -eq 257 ] || { echo "FAIL: xor_results.csv should have 257 lines"; exit 1; }
[ ! -e "$work/xor_results.csv.tmp" ] || { echo "FAIL: temporary file left behind"; exit 1; }

# A bad dataset gives a clear error and exit status 2.
printf 'x1,x2,t1\n0,zero,1\n' > "$work/bad.csv"
set +e
"$work/xor_csv/xor_csv" "$work/bad.csv" "$work/bad_results.csv" 2> "$work/bad.err"
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "bad.csv:2" "$work/bad.err" || { echo "FAIL: bad dataset gave rc=$rc: $(cat "$work/bad.err")"; exit 1; }

# pkg-config: a plain C++ program against the shared library.
cat > "$work/pc.cpp" <<'CPP'
#include <manynets/manynets.hpp>
#include <cstdio>
int main() { std::printf("%s\n", manynets::version().c_str()); }
CPP
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib64/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
c++ -std=c++17 $cxx_flags "$work/pc.cpp" -o "$work/pc" $(pkg-config --cflags --libs manynets) -Wl,-rpath,"$(pkg-config --variable=libdir manynets)"
[ "$("$work/pc")" = "$("$prefix/bin/manynets" --version | awk '{print $NF}')" ] || { echo "FAIL: pkg-config program"; exit 1; }
echo "PASS: installed, built and ran every example"
