#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine as root: installs Mesa's
# software Vulkan driver (lavapipe) for the GPU tests when it is missing,
# then runs every test: the Rust tests, the API docs' build (warnings denied),
# the Python package's tests (built into a virtual environment) and the Slurm
# job-array test (scripts/slurm-test.sh).
# `.ci/run` calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! compgen -G "/usr/share/vulkan/icd.d/lvp_icd*.json" >/dev/null; then
    echo "test.sh: installing mesa-vulkan-drivers (lavapipe) for the GPU tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq mesa-vulkan-drivers >/dev/null
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
# lavapipe is installed now: a GPU test that finds no adapter fails, never skips.
export KRAMERS_REQUIRE_GPU=1

cargo test --release --locked "$@"

# The library's reference documentation: every public item documented (the
# missing_docs lint), no broken intra-doc link, warnings denied.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p kramers --locked

# The Python package (python/): built into a virtual environment under target/
# and tested with pytest, against the CLI built above.
venv=target/python-venv
# (a virtual environment moved from another path keeps its old interpreter
# path in its scripts: made anew then; pip is called as a module below)
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv" || {
        echo "test.sh: installing python3-venv for the Python package's tests" >&2
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    }
fi
"$venv/bin/python" -m pip install -q "maturin>=1.7,<2" numpy pytest
PATH="$PWD/$venv/bin:$PATH" "$venv/bin/python" -m pip install -q --no-build-isolation ./python
KRAMERS_BIN="$PWD/target/release/kramers" "$venv/bin/python" -m pytest -q python/tests

# A real one-node Slurm cluster: a job array of assets/slurm-array.sh with a
# cancelled and a killed task, merged and compared with the unsharded run
# (installs slurm-wlm and munge when missing; about 80 s).
bash scripts/slurm-test.sh target/release/kramers
