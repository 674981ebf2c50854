"""Make a preset's reference run, the one the tutorial quotes: `python tools/reference.py PRESET [PRESET ...]`.

Runs `hyperrep reproduce --preset PRESET` afresh into runs/reference-PRESET/ (an earlier run there is removed), then
copies what the pages show into nbs/runs/PRESET/: report.json, report.md, the figures, and run.json, the run's record
(command, commit, date, host, wall time). `tools/reference.sh` runs this, then the notebooks that quote the runs and the README.
"""
import json, os, platform, re, shutil, subprocess, sys, time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEEP = ('report.json', 'report.md', 'timings.json', 'config.json', '*.png', '*/lwln.png')

def host()->str:
    "The CPU as `lscpu` names it, its cores and whether it has AVX-512: floats round differently without it."
    out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
    name = re.search(r'Model name:\s*(.+)', out)
    return (f"{name.group(1).strip() if name else platform.processor()}, {os.cpu_count()} cores, "
            f"{'AVX-512' if 'avx512f' in out else 'no AVX-512'}")

def commit()->str:
    "The checkout's commit, marked when the tree differs from it."
    c = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'hyperrep_nb'], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return c + ('+changes' if dirty else '')

def reference(preset:str)->Path:
    "Run the preset and copy its report, figures and record into nbs/runs/PRESET/."
    out, dest = ROOT/'runs'/f'reference-{preset}', ROOT/'nbs'/'runs'/preset
    cmd = ['hyperrep', 'reproduce', '--preset', preset, '--out', str(out.relative_to(ROOT)), '--quiet']
    if out.exists(): shutil.rmtree(out)                             # a reference is made by this code, whole
    t0 = time.time()
    subprocess.run([str(ROOT/'.venv'/'bin'/cmd[0]), *cmd[1:]], cwd=ROOT, check=True)
    wall = time.time() - t0
    if dest.exists(): shutil.rmtree(dest)
    for pat in KEEP:
        for f in out.glob(pat):
            (dest/f.relative_to(out)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest/f.relative_to(out))
    rec = dict(command=' '.join(cmd), commit=commit(), date=datetime.now(timezone.utc).strftime('%Y-%m-%d'),
               host=host(), wall=f'{int(wall // 60)} min {int(wall % 60)} s', wall_s=round(wall, 1), threads=int(os.environ.get('OMP_NUM_THREADS', os.cpu_count())))
    (dest/'run.json').write_text(json.dumps(rec, indent=1) + '\n')
    print(f"{preset}: {dest.relative_to(ROOT)} ({wall / 60:.1f} min, {rec['host']})")
    return dest

if __name__ == '__main__':
    for p in sys.argv[1:] or ['quick', 'cpu']: reference(p)
