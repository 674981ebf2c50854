#!/usr/bin/env bash
# Set up (tools/setup.sh), then run the notebook tests (nbdev_test) and the pytest suite; pytest's summary line comes last.
# Extra arguments go to pytest (e.g. `-k docs` for one test file, `-m slow` for the long tests the default run leaves out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export OMP_NUM_THREADS=1  # nbdev_test runs notebooks in parallel: one torch thread each (see toolchain notes)
.venv/bin/nbdev_test --n_workers 2
unset OMP_NUM_THREADS
.venv/bin/python -m pytest tests -q "$@"
