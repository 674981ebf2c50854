#!/usr/bin/env bash
# Make the reference runs the tutorial quotes (nbs/runs/quick, nbs/runs/cpu) and the pages that quote them:
# `bash tools/reference.sh [PRESET ...]` (default: quick cpu). Each run starts afresh in runs/reference-PRESET/.
# Then the notebooks are run again (their outputs fill the prose from nbs/runs/*/report.json) and README is rewritten.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
.venv/bin/python tools/reference.py "$@"
.venv/bin/python tools/run_nbs.py nbs/index.ipynb nbs/03_lwln.ipynb nbs/04_kde_sampling.ipynb nbs/05c_reproduction.ipynb
bash tools/export.sh
