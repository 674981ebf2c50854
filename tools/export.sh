#!/usr/bin/env bash
# Before each commit: strip notebook metadata (nbdev_clean), export hyperrep_nb/ (nbdev_export), and write README.md from
# nbs/index.ipynb. (nbdev 2.4.14 leaves hyperrep_nb.autoencoder out of _modidx.py, as it skips every notebook path
# containing "auto"; the docs site does not need that index: tools/site.py documents the live objects with show_doc.)
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/nbdev_clean
.venv/bin/nbdev_export
.venv/bin/python tools/site.py --readme >/dev/null
