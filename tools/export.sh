#!/usr/bin/env bash
# Before each commit: strip notebook metadata (nbdev_clean), export hyperrep_nb/ (nbdev_export, with the autoencoder's
# doc links that nbdev 2.4.14 skips: tools/export.py), and write README.md from nbs/index.ipynb.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/nbdev_clean
.venv/bin/python tools/export.py
.venv/bin/python tools/site.py --readme >/dev/null
