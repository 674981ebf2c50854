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

def section()->str:
    "The experiments page's section on the reference runs, from their run.json and report.json."
    L = ['| run | command | commit | date | host | wall | data | zoo | seed | models per population | report |',
         '|---|---|---|---|---|---|---|---|---|---|---|']
    verdicts = {}
    for preset in ('quick', 'cpu'):
        d = ROOT/'nbs'/'runs'/preset
        if not (d/'run.json').exists(): continue
        r, rep = json.loads((d/'run.json').read_text()), json.loads((d/'report.json').read_text())
        c = rep['config']
        L.append(f"| `nbs/runs/{preset}` | `{r['command']}` | {r['commit']} | {r['date']} | {r['host']} | {r['wall']} | "
                 f"{c['dataset']} | {c['zoo_models']} models x {c['zoo_epochs']} epochs | {c['seed']} | {c['n_samples']} | "
                 f"[report.md](runs/{preset}/report.md) |")
        verdicts[preset] = {f['finding']: f['verdict'] for f in rep['findings']}
    L += ['', '| finding | ' + ' | '.join(verdicts) + ' |', '|---' * (len(verdicts) + 1) + '|']
    for f in dict.fromkeys(f for v in verdicts.values() for f in v):
        L.append(f"| {f} | " + ' | '.join(f"**{v.get(f, '-')}**" for v in verdicts.values()) + ' |')
    return '\n'.join(L)

def write_section(page=ROOT/'nbs'/'experiments.md')->None:
    "Put `section()` between the page's reference-run markers."
    text, a, b = page.read_text(), '<!-- reference runs -->', '<!-- /reference runs -->'
    i, j = text.index(a) + len(a), text.index(b)
    page.write_text(text[:i] + '\n' + section() + '\n' + text[j:])

def reference(preset:str)->Path:
    "Run the preset and copy its report, figures and record into nbs/runs/PRESET/."
    out, dest = ROOT/'runs'/f'reference-{preset}', ROOT/'nbs'/'runs'/preset
    cmd = ['hyperrep', 'reproduce', '--preset', preset, '--out', str(out.relative_to(ROOT)), '--quiet']
    if out.exists(): shutil.rmtree(out)                             # a reference is made by this code, whole
    code = commit()                                                 # the code that runs, before anything changes
    t0 = time.time()
    subprocess.run([str(ROOT/'.venv'/'bin'/cmd[0]), *cmd[1:]], cwd=ROOT, check=True)
    wall = time.time() - t0
    if dest.exists(): shutil.rmtree(dest)
    for pat in KEEP:
        for f in out.glob(pat):
            (dest/f.relative_to(out)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest/f.relative_to(out))
    rec = dict(command=' '.join(cmd), commit=code, date=datetime.now(timezone.utc).strftime('%Y-%m-%d'),
               host=host(), wall=f'{int(wall // 60)} min {int(wall % 60)} s', wall_s=round(wall, 1), threads=int(os.environ.get('OMP_NUM_THREADS', os.cpu_count())))
    (dest/'run.json').write_text(json.dumps(rec, indent=1) + '\n')
    print(f"{preset}: {dest.relative_to(ROOT)} ({wall / 60:.1f} min, {rec['host']})")
    return dest

if __name__ == '__main__':
    for p in sys.argv[1:] or ['quick', 'cpu']: reference(p)
    write_section()
