#!/usr/bin/env bash
# Build the docs site into _site/ (open _site/index.html) and README.md from nbs/index.ipynb, offline, from the committed
# notebooks and their outputs. Sets up what it needs first (tools/setup.sh). Users with Quarto can run `nbdev_preview`
# instead: settings.ini and nbs/sidebar.yml configure it with the same reading order.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
.venv/bin/python tools/site.py --readme
.venv/bin/python tools/site.py _site
