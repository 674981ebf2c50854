"Zoo generation end to end: determinism, and resuming a run whose process was killed."
import json, os, signal, subprocess, sys, time
from pathlib import Path
import torch
import fastcore.test as ft
from hyperrep_nb.zoo import Zoo, make_zoo
from conftest import hyperrep

ARGS = ['zoo', '--dataset', 'digits', '--models', '6', '--epochs', '5', '--quiet']

def test_same_seed_same_zoo_bit_for_bit():
    a = make_zoo('digits', 4, 2, progress=False)
    b = make_zoo('digits', 4, 2, progress=False)
    ft.test_eq(a.weights, b.weights)
    for k in a.metrics: ft.test_eq(a.metrics[k], b.metrics[k])

def test_killed_run_resumes_to_identical_tensors(tmp_path):
    full = hyperrep(*ARGS, '--out', tmp_path/'full.pt')
    assert full.returncode == 0, full.stderr
    out = tmp_path/'killed.pt'
    exe = Path(sys.executable).parent/'hyperrep'
    p = subprocess.Popen([str(exe), *ARGS, '--out', str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    man = out.with_suffix('.json')
    t0 = time.time()
    while time.time() - t0 < 300:                        # wait for epoch 2 to be saved, then kill -9
        if man.exists() and json.loads(man.read_text())['epochs_done'] >= 2: break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    done_at_kill = json.loads(man.read_text())['epochs_done']
    assert 2 <= done_at_kill < 5, f'the run was not killed mid-way (epochs done: {done_at_kill})'
    again = hyperrep(*ARGS, '--out', out)
    assert again.returncode == 0, again.stderr
    a, b = Zoo.load(tmp_path/'full.pt'), Zoo.load(out)
    ft.test_eq(b.weights, a.weights)
    for k in a.metrics: ft.test_eq(b.metrics[k], a.metrics[k])

def test_cli_prints_table_and_refuses_other_arguments(tmp_path):
    r = hyperrep('zoo', '--dataset', 'digits', '--models', '3', '--epochs', '1', '--quiet', '--out', tmp_path/'z.pt')
    assert r.returncode == 0, r.stderr
    assert 'epoch' in r.stdout and 'mean' in r.stdout
    r = hyperrep('zoo', '--dataset', 'digits', '--models', '4', '--epochs', '1', '--quiet', '--out', tmp_path/'z.pt')
    assert r.returncode != 0 and 'choose another output' in r.stderr
    r = hyperrep('zoo', '--dataset', 'nope', '--out', tmp_path/'y.pt')
    assert r.returncode != 0 and 'unknown recipe' in r.stderr

def test_bench_prints_summary():
    r = subprocess.run([sys.executable, '-m', 'hyperrep_nb.bench', 'engine', '--P', '3', '--seconds', '0.05'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    ft.test_eq(len(lines), 1 + 2*2*2 + 1)
    assert lines[-1]['summary'] and lines[-1]['speedup_b10'] > 0
