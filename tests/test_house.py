"""The shape of the library, read from its source: sizes, signatures, docstrings, imports and the stack.

The modules form a stack in reading order: each notebook's module imports only from the modules of the notebooks
sorted before it. The public entry points (what a user calls with a `device`) take the device as a keyword option;
below them it travels inside one `Run` (or the object that holds it), never as a loose argument.
"""
import ast, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT/'hyperrep_nb'
MODULES = sorted(p for p in LIB.glob('*.py') if p.name not in ('_modidx.py', '__init__.py'))
# the functions a user calls with a device, and the device utilities whose subject is the device itself
DEVICE_OK = {
    'infra': {'dist_init', 'rank_device', 'check_device', 'available_memory', 'check_memory'},
    'kernels': {'kernels_on'},
    'engine': {'on', '__init__', 'predictions'},
    'zoo': {'make_zoo', 'evaluate', 'evaluate_by_act', 'population'},
    'tokens': {'random_perms'},
    'autoencoder': {'ae_from_state'},
    'train': {'train_ae', 'load_ae', 'lwln_experiment', 'reconstruction_report', 'fidelity_report',
              'linear_code_report'},
    'kde_sampling': {'select_models', 'yardstick', 'memorization', 'memorization_zeng', 'ensemble_acc',
                     'noise_front', 'judge_population'},
    'transfer': {'finetune'},
    'reproduction': {'reproduce'},
    'bench': {'matmul_gflops', 'bench_one', 'bench_engine', 'zoo_rate'},
}


def _functions(p):
    for n in ast.walk(ast.parse(p.read_text())):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)): yield n


def _params(f):
    a = f.args
    return [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs if x.arg != 'self'] + (
        ['*' + a.vararg.arg] if a.vararg else [])


def test_sizes():
    long = [(p.stem, f.name, f.end_lineno - f.lineno + 1) for p in MODULES for f in _functions(p)
            if f.end_lineno - f.lineno + 1 > 60]
    assert not long, f"functions over 60 lines: {long}"
    big = [(p.stem, n) for p in MODULES if (n := len(p.read_text().splitlines())) > 600]
    assert not big, f"modules over 600 lines: {big}"


def test_parameters():
    "At most 10 parameters; a public entry point may have more, as keyword-only options."
    bad = []
    for p in MODULES:
        for f in _functions(p):
            n = len(_params(f))
            positional = n - len(f.args.kwonlyargs)
            if n > 10 and (f.name.startswith('_') or positional > 10): bad.append((p.stem, f.name, n))
    assert not bad, f"functions with more than 10 parameters: {bad}"


def test_device_only_at_the_entry_points():
    found = {(p.stem, f.name) for p in MODULES for f in _functions(p) if 'device' in _params(f)}
    private = sorted(x for x in found if x[1].startswith('_') and x[1] != '__init__')
    assert not private, f"private functions that take a device (pass a Run): {private}"
    extra = sorted(x for x in found if x[1] not in DEVICE_OK.get(x[0], ()))
    assert not extra, f"functions that take a device but are not entry points: {extra}"


def test_docstrings_are_one_string():
    bad = []
    for p in MODULES:
        src = p.read_text()
        lines = src.splitlines()
        for n in ast.walk(ast.parse(src)):
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.body and isinstance(n.body[0], ast.Expr) \
                    and isinstance(n.body[0].value, ast.Constant) and isinstance(n.body[0].value.value, str):
                d = n.body[0]
                if lines[d.lineno - 1][d.col_offset:].startswith('(') or d.end_lineno != d.lineno:
                    bad.append((p.stem, n.name))
    assert not bad, f"docstrings written as several strings: {bad}"


def _imports(p):
    "The library modules a module imports (at any depth of its code)."
    out = []
    for n in ast.walk(ast.parse(p.read_text())):
        if isinstance(n, ast.ImportFrom) and n.level == 1:
            out += [n.module] if n.module else [a.name for a in n.names]
    return out


def test_each_module_imported_once():
    bad = []
    for p in MODULES:
        top = [n.module for n in ast.parse(p.read_text()).body if isinstance(n, ast.ImportFrom) and n.level == 1]
        bad += [(p.stem, m) for m in set(top) if top.count(m) > 1]
    assert not bad, f"modules imported twice at the top: {bad}"


def test_the_stack_follows_the_reading_order():
    order = []                                  # modules in notebook file order
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        m = [re.match(r'#\|\s*default_exp\s+(\S+)', ''.join(c['source'])) for c in cells if c['cell_type'] == 'code']
        order += [x.group(1) for x in m if x and x.group(1) != '__init__' and x.group(1) not in order]
    assert set(order) == {p.stem for p in MODULES}, f"modules without a notebook or notebooks without a module"
    up = [(m, i) for k, m in enumerate(order) for i in _imports(LIB/f'{m}.py')
          if i in order and order.index(i) >= k]
    assert not up, f"imports from a module at or above the importer in reading order: {up}"
