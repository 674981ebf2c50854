import os, sys, subprocess
from pathlib import Path
import pytest

FMNIST = Path('/usr/share/datasets/fashion-mnist')
needs_fmnist = pytest.mark.skipif(not FMNIST.exists(), reason='dataset-fashion-mnist is not installed (tools/setup.sh installs it)')

def hyperrep(*args, timeout=600, **kw):
    "Run the `hyperrep` console script of this environment; return the completed process."
    exe = Path(sys.executable).parent/'hyperrep'
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=timeout, **kw)
