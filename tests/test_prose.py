"""Every percentage a notebook's prose quotes is one that its outputs or the experiments page contain (#23): a number in
the tutorial that no run printed is a number that has gone stale."""
import json, re
from pathlib import Path
import pytest

NBS = Path(__file__).parent.parent/'nbs'
PCT = re.compile(r'(?<![\w.])(\d{1,3}\.\d)%')

def _outputs(nb:dict)->str:
    "All text a notebook's cells printed or returned."
    out = []
    for c in nb['cells']:
        for o in c.get('outputs', []):
            out += o.get('text', []) + o.get('data', {}).get('text/plain', []) + o.get('data', {}).get('text/markdown', [])
    return ''.join(out)

def _numbers(text:str)->set:
    "Every decimal number in text, as it is written and as a percentage of a fraction (0.914 -> 91.4)."
    nums = set(re.findall(r'\d+\.\d', text))
    nums |= {f'{float(m) * 100:.1f}' for m in re.findall(r'(?<![\d.])0\.\d{3,}', text)}
    return nums

@pytest.mark.parametrize('nb', sorted(p.name for p in NBS.glob('*.ipynb')))
def test_prose_percentages_come_from_a_run(nb):
    d = json.loads((NBS/nb).read_text())
    prose = ''.join(''.join(c['source']) for c in d['cells'] if c['cell_type'] == 'markdown')
    known = _numbers(_outputs(d)) | _numbers((NBS/'experiments.md').read_text())
    stale = sorted({p for p in PCT.findall(prose) if p not in known})
    assert not stale, f"{nb} quotes {', '.join(s + '%' for s in stale)}, found in none of its outputs nor in experiments.md"
