#!/usr/bin/env bash
# Builds the Python package as a user's `pip install .` does, into a virtual
# environment (build/python-venv), and runs its tests (python/tests) there.
# Needs the Debian packages of scripts/setup.sh and access to PyPI (pip fetches
# scikit-build-core, nanobind, NumPy, pytest and pandas).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}
venv=$root/build/python-venv
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ".[test]"
# From the tests' folder, so that the installed package is the one imported.
cd "$root/python/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider .
