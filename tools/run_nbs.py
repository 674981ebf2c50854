"""Run the tutorial notebooks top to bottom and save them with their outputs: `python tools/run_nbs.py [NB ...]`.

Outputs (tables, figures) are part of the tutorial: the docs site and a code host show them. Each notebook runs in its
own process in nbs/ (one torch thread, two notebooks at a time; `#| eval: false` cells are skipped, as nbdev_test
skips them) and is written back only if every cell ran; then
`bash tools/export.sh` cleans them.
"""
import os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

NBS = Path(__file__).resolve().parents[1]/'nbs'
RUN = ("import re, sys; from execnb.nbio import read_nb, write_nb; from execnb.shell import CaptureShell; "
       "nb = read_nb(sys.argv[1]); skip = lambda c: re.search(r'^#\\|\\s*eval:\\s*false', c.source, re.M) is not None; "
       "CaptureShell().run_all(nb, exc_stop=True, preproc=skip); write_nb(nb, sys.argv[1]); print('ran', sys.argv[1])")

def run(path:Path)->tuple:
    "Execute one notebook in nbs/ and write it back with its outputs: (name, seconds, error text or '')."
    t0 = time.time()
    r = subprocess.run([sys.executable, '-c', RUN, str(path)], cwd=NBS, capture_output=True, text=True,
                       env={**os.environ, 'OMP_NUM_THREADS': '1'})
    ok = r.returncode == 0 and r.stdout.strip().endswith(str(path))   # a cell that ends the process (sys.exit) is a failure too
    return path.name, time.time() - t0, '' if ok else (r.stderr[-2000:] or 'the notebook ended its process before the last cell')

if __name__ == '__main__':
    nbs = [Path(p).resolve() for p in sys.argv[1:]] or sorted(NBS.glob('*.ipynb'))
    failed = 0
    with ThreadPoolExecutor(2) as ex:
        for name, s, err in ex.map(run, nbs):
            print(f'{name}: {s:.0f} s' + (f' FAILED\n{err}' if err else ''), flush=True); failed += bool(err)
    sys.exit(1 if failed else 0)
