#!/usr/bin/env bash
# Installs what manynets needs to build and test, from Debian's packages, when
# it is missing. Safe to run again: it installs nothing that is already there.
# The CUDA toolkit is optional (the CUDA backends build when nvcc is found).
# Open MPI lets `mpirun -n R manynets sweep` run one shard per rank.
# clang with its runtime libraries builds the libFuzzer targets (tests/fuzz).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev librandom123-dev libxsimd-dev
  python3-matplotlib python3-venv python3-dev
  libopenmpi-dev openmpi-bin
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

