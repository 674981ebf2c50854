"""The pages speak of the library and of runs a reader can find, with numbers that a run printed.

- Every percentage (whole or decimal) and every time a notebook's prose quotes is in that notebook's outputs or in the
  report of a reference run it names (`nbs/runs/quick`, `nbs/runs/cpu`): a number no run printed has gone stale.
- No text in the repository speaks of how the project was made (its work periods, tickets or targets): a run is
  named by its folder, command, commit, date and host, and history is in CHANGELOG.md.
"""
import json, re, subprocess
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'
PCT = re.compile(r'(?<![\w.])(\d{1,3}(?:\.\d+)?) ?%')
TIME = re.compile(r'(?<![\w.])(\d+(?:\.\d+)?) ?(?:h|min|s|ms)\b(?! ?[=(])')
NUM = re.compile(r'(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?')
MAKING = '|'.join(['sess' + 'ion', 'iss' + r'ue ?#?[0-9]', 'not ' + 'met', r'\ble' + r'nt\b', 'bud' + 'get', 'accept' + 'ance'])


def _outputs(nb:dict)->str:
    "All text a notebook's cells printed, returned or displayed."
    out = []
    for c in nb['cells']:
        for o in c.get('outputs', []):
            for t in (o.get('text', ''), *(o.get('data', {}).get(k, '') for k in ('text/plain', 'text/markdown'))):
                out.append(''.join(t) if isinstance(t, list) else t)
    return ' '.join(out)


def _numbers(x, out:set)->set:
    "Every number in a JSON value (its strings included)."
    if isinstance(x, dict): [_numbers(v, out) for v in x.values()]
    elif isinstance(x, list): [_numbers(v, out) for v in x]
    elif isinstance(x, bool): pass
    elif isinstance(x, (int, float)): out.add(float(x))
    elif isinstance(x, str): out |= {float(n) for n in NUM.findall(x)}
    return out


def _known(nb:dict)->set:
    "The numbers a notebook may quote: its outputs' and those of the reference runs it names."
    known = {float(n) for n in NUM.findall(_outputs(nb))}
    text = json.dumps(nb)
    for preset in ('quick', 'cpu'):
        d = NBS/'runs'/preset
        if f'runs/{preset}' in text and d.exists():
            for f in ('report.json', 'run.json'): known |= _numbers(json.loads((d/f).read_text()), set())
    return known


def _sourced(p:str, known:set)->bool:
    "p as written in a known number, or a known fraction in %, to p's decimals (a whole % only from a whole number)."
    v, dec = float(p), len(p.split('.')[1]) if '.' in p else 0
    if dec == 0: return any(x == v or round(100 * x, 9) == v for x in known)
    return any(round(x, dec) == v or round(100 * x, dec) == v for x in known)


def unsourced(nb:dict)->list:
    "Percentages and times in a notebook's prose that neither its outputs nor its reference runs contain."
    known = _known(nb)
    prose = '\n'.join(''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown')
    prose = re.sub(r'`[^`]*`|\$[^$]*\$', ' ', prose)                    # code and formulas are not quotes of a run
    return [p + '%' for p in PCT.findall(prose) if not _sourced(p, known)] + \
           [t for t in TIME.findall(prose) if not _sourced(t, known)]


@pytest.mark.parametrize('nb', sorted(p.name for p in NBS.glob('*.ipynb')))
def test_prose_numbers_come_from_a_run(nb):
    bad = unsourced(json.loads((NBS/nb).read_text()))
    assert not bad, f"{nb} quotes {', '.join(bad)}, in none of its outputs nor in a reference run it names"


def test_the_check_catches_a_made_up_number():
    fake = dict(cells=[dict(cell_type='markdown', source=['S_FIT reaches 97.3% at epoch 0, 93% after 4 min 12 s.']),
                       dict(cell_type='code', source=[''], outputs=[dict(text=['93 and 0.5'])])])
    assert unsourced(fake) == ['97.3%', '4', '12'], unsourced(fake)


def test_no_word_about_how_the_project_was_made():
    files = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True).stdout.split()
    bad = []
    for f in files:
        p = ROOT/f
        if f == 'LICENSE' or p.suffix in ('.png', '.svg', '.gz', '.pt') or not p.is_file(): continue
        try: text = p.read_text()
        except UnicodeDecodeError: continue
        bad += [f"{f}:{i}" for i, l in enumerate(text.splitlines(), 1) if re.search(MAKING, l, re.I)]
    assert not bad, f"lines that speak of the project's making: {bad[:20]}"
