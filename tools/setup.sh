#!/usr/bin/env bash
# Set up a working environment from scratch: the Fashion-MNIST IDX files (Debian), a venv in .venv, the package with its dev tools.
# Exact pins live here (and in the README); setup.py declares ranges. Idempotent: a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) >/dev/null 2>&1 || echo "setup: dataset-fashion-mnist not installed (tests that need it are skipped)"
fi
if [ ! -f /usr/share/javascript/mathjax/fonts/HTML-CSS/TeX/woff/MathJax_Main-Regular.woff ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq libjs-mathjax fonts-mathjax) >/dev/null 2>&1 || echo "setup: MathJax not installed (the docs use the wheel's copy, without TeX fonts)"
fi   # the docs' formulas, offline, with MathJax's own TeX fonts
if ! command -v clang >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then   # the kernels' second compiler, for the test that builds them with it
  (apt-get update -qq && apt-get install -y -qq clang) >/dev/null 2>&1 || echo "setup: clang not installed (the test that builds the kernels with it is skipped)"
fi
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then   # the docs test's headless browser
  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || echo "setup: chromium not installed (the docs browser test is skipped)"
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=$(cat settings.ini setup.py tools/setup.sh | sha256sum | cut -c1-16)   # reinstall when the requirements change
if [ "$(cat .venv/.setup-stamp 2>/dev/null)" != "$stamp" ] || [ ! -x .venv/bin/hyperrep ]; then
  .venv/bin/pip install -q --disable-pip-version-check torch==2.14.1 torchvision==0.29.1 nbdev==2.4.14 execnb==0.1.18 \
    fastcore==1.14.5 mlxtend==0.25.0 nbconvert==7.17.2 playwright==1.65.2 -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/pip install -q --disable-pip-version-check --no-deps jupyter-server-mathjax==0.2.6 2>&1 | grep -v "^WARNING: Location" || true   # MathJax for the docs site, offline
  .venv/bin/python -c "import hyperrep_nb, nbdev, torchvision, sklearn, pytest, nbconvert, playwright"   # fail here, not later, if the install did not work
  echo "$stamp" > .venv/.setup-stamp
fi
.venv/bin/python -c "import hyperrep_nb, torch; print('setup: hyperrep_nb', hyperrep_nb.__version__, 'torch', torch.__version__)"
