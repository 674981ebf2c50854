"""Fault injection on the `hyperrep` command: every bad input, a second writer, a full disk and a read-only folder end in
one clear line, a stable non-zero exit code (2 bad argument, 3 bad file, 4 I/O) and no traceback, and lose no data.
A new case is one row of CASES."""
import gzip, hashlib, os, subprocess, sys, time
from pathlib import Path
import pytest, torch
import fastcore.test as ft
from conftest import hyperrep

def digest(p): return hashlib.sha1(Path(p).read_bytes()).hexdigest()

@pytest.fixture(scope='module')
def d(tmp_path_factory):
    "A folder with two tiny zoos, an autoencoder of the first, a population, a fake 3-channel zoo and broken files."
    d = tmp_path_factory.mktemp('faults')
    for args in (['zoo', '--models', '6', '--epochs', '3', '--quiet', '--out', d/'zoo.pt'],
                 ['zoo', '--models', '6', '--epochs', '3', '--seed0', '100', '--quiet', '--out', d/'zooB.pt'],
                 ['train-ae', '--zoo', d/'zoo.pt', '--preset', 'tiny', '--window', '1', '3', '--quiet', '--out', d/'ae.pt'],
                 ['sample', '--ae', d/'ae.pt', '-n', '4', '--out', d/'pop.pt']):
        r = hyperrep(*args)
        assert r.returncode == 0, r.stderr
    z = torch.load(d/'zoo.pt', weights_only=True)
    z['recipe'] = dict(z['recipe'], channels=3, name='rgb'); z['weights'] = torch.zeros(*z['weights'].shape[:2], 2864)
    torch.save(z, d/'rgb.pt')
    (d/'cut_ae.pt').write_bytes((d/'ae.pt').read_bytes()[:2000])
    for name, edit in AE_EDITS.items():                                               # hand-edited or other-version autoencoders
        a = torch.load(d/'ae.pt', weights_only=True); edit(a); torch.save(a, d/f'ae_{name}.pt')
    (d/'afile').write_text('not a folder')
    p = torch.load(d/'pop.pt', weights_only=True)
    torch.save({k: v for k, v in p.items() if k != 'weights'}, d/'pop_noweights.pt')
    torch.save(dict(p, weights=p['weights'] * float('nan')), d/'pop_nan.pt')
    torch.save({'y': torch.zeros(3, dtype=torch.long)}, d/'labels.pt')
    return d

AE_EDITS = dict(heads=lambda a: a['config'].update(n_heads=3), shape=lambda a: a['state_dict'].update(comp=torch.zeros(3, 3)),
                nolwln=lambda a: a['run'].pop('lwln'), extra=lambda a: a['config'].update(extra=1), nosigma=lambda a: a.pop('sigma'),
                recipe=lambda a: a['run']['recipe'].update(foo=1))

# (name, arguments with {d} for the folder, exit code, a piece of the one-line message)
CASES = [
    ('sample: AE with 3 heads of 32 dims', 'sample --ae {d}/ae_heads.pt -n 4 --out {d}/x.pt', 3, 'do not make a working autoencoder'),
    ('sample: AE tensor of wrong shape', 'sample --ae {d}/ae_shape.pt -n 4 --out {d}/x.pt',   3, 'do not make a working autoencoder'),
    ('sample: AE without run.lwln',   'sample --ae {d}/ae_nolwln.pt -n 4 --out {d}/x.pt',    3, 'run.lwln is missing'),
    ('sample: AE config extra key',   'sample --ae {d}/ae_extra.pt -n 4 --out {d}/x.pt',     3, "other fields than AEConfig"),
    ('sample: AE without sigma',      'sample --ae {d}/ae_nosigma.pt -n 4 --out {d}/x.pt',   3, "field 'sigma' is missing"),
    ('sample: AE recipe extra key',   'sample --ae {d}/ae_recipe.pt -n 4 --out {d}/x.pt',    3, 'run.recipe has other fields'),
    ('train-ae: resume a damaged AE', 'train-ae --zoo {d}/zoo.pt --preset tiny --window 1 3 --out {d}/ae_heads.pt', 3, 'do not make a working autoencoder'),
    ('zoo: more than memory holds', 'zoo --models 1000000 --epochs 1000 --out {d}/x.pt',  2, 'GiB are available'),
    ('zoo: no models',            'zoo --models 0 --out {d}/x.pt',                       2, 'in [1, '),
    ('zoo: negative epochs',      'zoo --epochs -2 --out {d}/x.pt',                      2, 'in [1, '),
    ('zoo: zero training images', 'zoo --n-train 0 --out {d}/x.pt',                      2, 'in [1, '),
    ('zoo: not a number',         'zoo --models many --out {d}/x.pt',                    2, 'expected a number'),
    ('zoo: unknown device',       'zoo --device foo --out {d}/x.pt',                     2, 'unknown device'),
    ('zoo: unknown data set',     'zoo --dataset imagenet --out {d}/x.pt',               2, 'unknown recipe'),
    ('zoo: output is a folder',   'zoo --out {d}',                                       2, 'is a folder'),
    ('zoo: output is an autoencoder', 'zoo --models 6 --epochs 3 --out {d}/ae.pt',       3, 'refusing to overwrite'),
    ('zoo: other arguments',      'zoo --models 7 --epochs 3 --out {d}/zoo.pt',          3, 'n_models: file 6, asked 7'),
    ('zoo: truncated data file',  'zoo --dataset fashion_mnist --root {d}/fm --models 2 --epochs 1 --out {d}/fm.pt', 3, 'truncated or corrupt'),
    ('train-ae: zero epochs',     'train-ae --zoo {d}/zoo.pt --epochs 0 --out {d}/a.pt', 2, 'in [1, '),
    ('train-ae: negative epochs', 'train-ae --zoo {d}/zoo.pt --epochs -1 --out {d}/a.pt', 2, 'in [1, '),
    ('train-ae: window outside',  'train-ae --zoo {d}/zoo.pt --window 1 30 --out {d}/a.pt', 2, 'not in this zoo'),
    ('train-ae: missing zoo',     'train-ae --zoo {d}/none.pt --out {d}/a.pt',           3, 'no zoo file'),
    ('train-ae: zoo is not a zoo', 'train-ae --zoo {d}/pop.pt --out {d}/a.pt',           3, 'not a hyperrep_nb zoo file'),
    ('train-ae: output is the zoo', 'train-ae --zoo {d}/zoo.pt --out {d}/zoo.pt',        2, 'also an input'),
    ('train-ae: output is a zoo', 'train-ae --zoo {d}/zoo.pt --preset tiny --window 1 3 --out {d}/zooB.pt', 3, 'refusing to overwrite'),
    ('train-ae: resume on another zoo', 'train-ae --zoo {d}/zooB.pt --preset tiny --window 1 3 --out {d}/ae.pt', 3, '--force'),
    ('sample: negative n',        'sample --ae {d}/ae.pt -n -2 --out {d}/p.pt',          2, 'in [1, '),
    ('sample: negative bandwidth', 'sample --ae {d}/ae.pt --bandwidth -1 --out {d}/p.pt', 2, 'greater than 0'),
    ('sample: bad fraction',      'sample --ae {d}/ae.pt --frac 2 --out {d}/p.pt',       2, '(0, 1]'),
    ('sample: over the zoo',      'sample --ae {d}/ae.pt -n 4 --out {d}/zoo.pt',         2, 'also an input'),
    ('sample: over another zoo',  'sample --ae {d}/ae.pt -n 4 --out {d}/zooB.pt',        3, 'refusing to overwrite'),
    ('sample: over the autoencoder', 'sample --ae {d}/ae.pt -n 4 --out {d}/ae.pt',       2, 'also an input'),
    ('sample: over a population', 'sample --ae {d}/ae.pt -n 4 --out {d}/pop.pt',         3, '--force'),
    ('sample: ae is a zoo',       'sample --ae {d}/zoo.pt --zoo {d}/zoo.pt --out {d}/p.pt', 3, 'not a hyperrep_nb autoencoder file'),
    ('sample: truncated ae',      'sample --ae {d}/cut_ae.pt --out {d}/p.pt',            3, 'truncated or corrupt'),
    ('sample: another zoo',       'sample --ae {d}/ae.pt --zoo {d}/zooB.pt --out {d}/p.pt', 3, 'trained on another zoo'),
    ('sample: 3-channel zoo',     'sample --ae {d}/ae.pt --zoo {d}/rgb.pt --out {d}/p.pt', 3, 'encodes 1-channel'),
    ('sample: output is a folder', 'sample --ae {d}/ae.pt --out {d}',                    2, 'is a folder'),
    ('sample: a billion models',  'sample --ae {d}/ae.pt -n 1000000000 --out {d}/p.pt',  2, 'in [1, '),
    ('sample: infinite h',        'sample --ae {d}/ae.pt --method ckde30 --h inf --out {d}/p.pt', 2, '[0, 100]'),
    ('sample: h of 1e30',         'sample --ae {d}/ae.pt --method ckde30 --h 1e30 --out {d}/p.pt', 2, '[0, 100]'),
    ('sample: bandwidth of 1e30', 'sample --ae {d}/ae.pt --bandwidth 1e30 --out {d}/p.pt', 2, 'at most 10'),
    ('sample: output ends in /',  'sample --ae {d}/ae.pt --out {d}/newdir/',             2, 'file name'),
    ('sample: overlap, no select', 'sample --ae {d}/ae.pt --max-overlap 0.5 --out {d}/p.pt', 2, '--select'),
    ('sample: seed too large',    'sample --ae {d}/ae.pt --seed 99999999999999999999 --out {d}/p.pt', 2, '2^62'),
    ('zoo: a hundred million models', 'zoo --models 100000000 --out {d}/x.pt',          2, 'in [1, '),
    ('zoo: seed0 too large',      'zoo --seed0 99999999999999999999 --out {d}/x.pt',    2, '2^62'),
    ('zoo: negative seed0',       'zoo --seed0 -5 --models 2 --epochs 1 --out {d}/neg.pt', 2, '2^62'),
    ('reproduce: output is a file', 'reproduce --preset tiny --out {d}/afile',           2, 'is a file'),
    ('reproduce: unknown preset', 'reproduce --preset huge --out {d}/r',                 2, 'invalid choice'),
    ('read-only output folder',   'zoo --models 2 --epochs 1 --out /proc/hyperrep_nb_test/zoo.pt', 4, ''),
    ('no subcommand',             '',                                                    2, 'required'),
    ('sample: an option the method does not read', 'sample --ae {d}/ae.pt --method kde30 --h 0.3 --out {d}/p.pt', 2, 'not used by --method kde30'),
    ('zoo: more training images than the data', 'zoo --models 2 --epochs 1 --n-train 100000 --out {d}/x.pt', 2, 'has 1257 training images'),
    ('export: --dropout without modelzoos', 'export {d}/pop.pt --dropout --out {d}/e1',   2, '--format modelzoos'),
    ('export: into a folder of other files', 'export {d}/pop.pt --out {d}',             3, 'not an export'),
    ('export: a damaged population', 'export {d}/pop_noweights.pt --out {d}/e2',         3, "field 'weights' missing"),
    ('export: a population with NaN', 'export {d}/pop_nan.pt --out {d}/e3',             3, 'NaN or inf'),
    ('evaluate: images file of labels only', 'evaluate {d}/pop.pt --data {d}/labels.pt', 3, "'x'"),
    ('evaluate: --act for a file', 'evaluate {d}/pop.pt --data digits --act relu',      2, 'folder of state dicts'),
    ('judge: zeng and a figure',  'judge {d}/pop.pt --zoo {d}/zoo.pt --zeng --figure {d}/f.png', 2, 'leave out --zeng'),
    ('judge: a figure over a zoo', 'judge {d}/pop.pt --zoo {d}/zoo.pt --figure {d}/zooB.pt', 2, '.png'),
    ('import-zoo: pattern without {epoch}', "import-zoo {d} --recipe digits --pattern {{model}}.pt --out {d}/i.pt", 2, 'exactly once'),
    ('import-zoo: where without =', 'import-zoo {d} --recipe digits --where nlin --out {d}/i.pt', 2, 'KEY=VALUE'),
    ('import-zoo: over an autoencoder', 'import-zoo {d} --recipe digits --out {d}/ae.pt', 3, 'refusing to overwrite'),
]
if not torch.cuda.is_available(): CASES.append(('no GPU here', 'zoo --device cuda --out {d}/x.pt', 2, 'no CUDA GPU'))

@pytest.mark.parametrize('name,args,code,msg', CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line(d, name, args, code, msg):
    if 'fm.pt' in args:                                                             # Fashion-MNIST files cut in half
        (d/'fm').mkdir(exist_ok=True)
        for stem in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
            gz = gzip.compress(b'\x00\x00\x08\x01' + (4000).to_bytes(4, 'big') + os.urandom(4000))
            (d/'fm'/f'{stem}.gz').write_bytes(gz[:len(gz) // 2])
    before = {p.name: digest(p) for p in d.glob('*.pt')}
    r = hyperrep(*args.format(d=d).split())
    assert r.returncode == code, f'{name}: exit {r.returncode}, expected {code}\n{r.stderr}'
    assert 'Traceback' not in r.stderr, f'{name}: traceback\n{r.stderr}'
    assert msg in r.stderr, f'{name}: {msg!r} not in\n{r.stderr}'
    ft.test_eq({p.name: digest(p) for p in d.glob('*.pt') if p.name in before}, before)   # no file was changed
    ft.test_eq(list(d.glob('*.tmp')) + list(d.glob('.*.tmp')), [])                            # and no orphan left

def test_module_entry_point_runs_the_cli():
    r = subprocess.run([sys.executable, '-m', 'hyperrep_nb.cli', '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and 'reproduce' in r.stdout

def test_second_writer_is_refused(tmp_path):
    exe = Path(sys.executable).parent/'hyperrep'
    args = ['zoo', '--models', '20', '--epochs', '6', '--quiet', '--out', str(tmp_path/'zoo.pt')]
    first = subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path/'.zoo.pt.lock'
    t0 = time.time()
    while time.time() - t0 < 120 and not (lock.exists() and lock.read_text() == str(first.pid)): time.sleep(0.05)
    second = hyperrep(*args[:-1], tmp_path/'zoo.pt', '--seed0', '100')
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 4 and 'being written by another process' in second.stderr, second.stderr
    from hyperrep_nb.zoo import Zoo
    ft.test_eq(Zoo.load(tmp_path/'zoo.pt').seeds[0].item(), 1)                         # the first writer's zoo, whole

def test_full_disk_keeps_the_old_file_and_leaves_no_orphan(tmp_path):
    if os.geteuid() != 0: pytest.skip('mounting a small tmpfs needs root')
    mnt = tmp_path/'small'; mnt.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(mnt)], capture_output=True).returncode != 0:
        pytest.skip('this machine does not allow mounting a tmpfs')
    try:
        ok = hyperrep('zoo', '--models', '4', '--epochs', '1', '--quiet', '--out', mnt/'zoo.pt')
        assert ok.returncode == 0, ok.stderr
        good = digest(mnt/'zoo.pt')
        r = hyperrep('zoo', '--models', '60', '--epochs', '2', '--quiet', '--out', mnt/'big.pt')   # ~1.8 MB of checkpoints
        assert r.returncode == 4 and 'No space left' in r.stderr and 'Traceback' not in r.stderr, r.stderr
        ft.test_eq(digest(mnt/'zoo.pt'), good)
        ft.test_eq([p.name for p in mnt.iterdir() if p.name.endswith('.tmp')], [])
    finally: subprocess.run(['umount', str(mnt)])

def test_force_starts_over_only_on_a_file_of_the_same_kind(tmp_path):
    "--force replaces a zoo made with other settings (without it: refused, file intact); it never replaces another kind."
    z = tmp_path/'z.pt'
    assert hyperrep('zoo', '--models', '3', '--epochs', '1', '--quiet', '--out', z).returncode == 0
    before = digest(z)
    r = hyperrep('zoo', '--models', '4', '--epochs', '1', '--quiet', '--out', z)
    ft.test_eq(r.returncode, 3); ft.test_eq(digest(z), before)
    r = hyperrep('zoo', '--models', '4', '--epochs', '1', '--quiet', '--force', '--out', z)
    assert r.returncode == 0, r.stderr
    ft.test_eq(torch.load(z, weights_only=True)['weights'].shape[:2], (4, 2))
    (tmp_path/'note.pt').write_bytes(b'mine')
    r = hyperrep('zoo', '--models', '4', '--epochs', '1', '--quiet', '--force', '--out', tmp_path/'note.pt')
    ft.test_eq(r.returncode, 3); ft.test_eq((tmp_path/'note.pt').read_bytes(), b'mine')

def test_force_keeps_the_old_file_until_the_new_one_is_done(tmp_path):
    "--force over a finished zoo, killed midway: the old zoo is intact; the same command again resumes and says what it replaced."
    z, side = tmp_path/'z.pt', tmp_path/'.z.pt.new'
    assert hyperrep('zoo', '--models', '3', '--epochs', '2', '--n-train', '300', '--quiet', '--out', z).returncode == 0
    before, exe = digest(z), Path(sys.executable).parent/'hyperrep'
    args = [str(exe), 'zoo', '--models', '3', '--epochs', '30', '--n-train', '300', '--seed0', '9', '--quiet', '--force', '--out', str(z)]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.time()
    while not side.exists() and p.poll() is None and time.time() - t0 < 120: time.sleep(0.02)
    p.kill(); p.wait()
    assert side.exists(), 'the start-over saved its progress beside the zoo'
    ft.test_eq(digest(z), before)                                                     # killed: the finished zoo is intact
    r = hyperrep(*args[1:])
    assert r.returncode == 0 and 'replaced the zoo that was in' in r.stdout and 'seed0: file 1, asked 9' in r.stdout, (r.stdout, r.stderr)
    ft.test_eq((torch.load(z, weights_only=True)['config']['seed0'], side.exists()), (9, False))

def test_closed_stdout_is_not_an_error(d, tmp_path):
    "`hyperrep ... | true`: the reader is gone before the first line; the command still saves its file and exits 0."
    exe = Path(sys.executable).parent/'hyperrep'
    r = subprocess.run(['bash', '-c', f'"{exe}" zoo --models 2 --epochs 1 --quiet --out "{tmp_path}/z.pt" | true; echo "rc=${{PIPESTATUS[0]}}"'],
                       capture_output=True, text=True, timeout=300)
    assert r.stdout.endswith('rc=0\n'), (r.stdout, r.stderr)
    assert 'Traceback' not in r.stderr and 'Broken pipe' not in r.stderr, r.stderr
    assert (tmp_path/'z.pt').exists() and not (d/'neg.pt').exists()

def test_reproduce_refuses_a_foreign_zoo(tmp_path):
    "A zoo of other settings where `reproduce` keeps its own is refused in one line, not taken as done."
    z = hyperrep('zoo', '--models', '10', '--epochs', '4', '--seed0', '50', '--quiet', '--out', tmp_path/'R'/'digits'/'zoo.pt')
    assert z.returncode == 0, z.stderr
    before = digest(tmp_path/'R'/'digits'/'zoo.pt')
    r = hyperrep('reproduce', '--preset', 'tiny', '--quiet', '--out', tmp_path/'R')
    assert r.returncode == 3 and 'Traceback' not in r.stderr and 'n_models' in r.stderr, r.stderr
    ft.test_eq(digest(tmp_path/'R'/'digits'/'zoo.pt'), before)
    assert not (tmp_path/'R'/'report.json').exists()

def test_one_lock_across_commands(d, tmp_path):
    "sample into a folder that lwln is writing is refused (both would run, and lwln.json would describe an autoencoder that is gone)."
    exe = Path(sys.executable).parent/'hyperrep'
    L = tmp_path/'L'
    p = subprocess.Popen([str(exe), 'lwln', '--zoo', str(d/'zoo.pt'), '--preset', 'tiny', '--window', '1', '3', '--epochs', '200', '--quiet',
                          '--out', str(L)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not (L/'.L.lock').exists() and not (tmp_path/'.L.lock').exists() and time.time() - t0 < 60: time.sleep(0.1)
    time.sleep(1)
    try:
        r = hyperrep('train-ae', '--zoo', d/'zoo.pt', '--preset', 'tiny', '--window', '1', '3', '--seed', '2', '--quiet', '--out', L/'ae_lwln.pt')
        assert r.returncode == 4 and 'another process' in r.stderr and 'Traceback' not in r.stderr, r.stderr
        r = hyperrep('sample', '--ae', d/'ae.pt', '-n', '4', '--out', L/'x.pt')
        assert r.returncode == 4 and 'another process' in r.stderr, r.stderr
    finally:
        p.kill(); p.wait()

def test_import_zoo_round_trip_and_refusals(d, tmp_path):
    "hyperrep import-zoo: a ModelZoos-layout folder made from our zoo comes back bit for bit; bad folders and outputs end in one line."
    import json, shutil
    from hyperrep_nb.zoo import Zoo, METRICS
    from hyperrep_nb.kde_sampling import to_state_dicts
    zoo = Zoo.load(d/'zoo.pt')
    src = tmp_path/'mz'
    for i in range(zoo.n_models):
        t = src/f'trial_{i}'
        t.mkdir(parents=True)
        (t/'params.json').write_text(json.dumps({'seed': int(zoo.seeds[i]), 'model::nlin': 'tanh', 'model::init_type': 'uniform',
                                                 'optim::lr': zoo.recipe.lr, 'optim::wd': zoo.recipe.wd, 'training::batchsize': zoo.recipe.bs}))
        (t/'result.json').write_text(''.join(json.dumps(dict(training_iteration=e, **{k: zoo.metrics[k][i, e].item() for k in METRICS})) + '\n'
                                             for e in range(zoo.epochs + 1)))
        for e, sd in enumerate(to_state_dicts(zoo.weights[i], 'modelzoos')):
            (t/f'checkpoint_{e:06d}').mkdir()
            torch.save(sd, t/f'checkpoint_{e:06d}'/'checkpoints')
    r = hyperrep('import-zoo', src, '--recipe', 'digits', '--quiet', '--out', tmp_path/'zoo.pt')
    assert r.returncode == 0, r.stderr
    back = Zoo.load(tmp_path/'zoo.pt')
    ft.test_eq(back.weights, zoo.weights)
    for k in METRICS: ft.test_eq(back.metrics[k], zoo.metrics[k])
    r = hyperrep('import-zoo', src, '--recipe', 'digits', '--out', d/'ae.pt')                  # an output of another kind
    assert r.returncode == 3 and 'refusing to overwrite' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    sd = torch.load(src/'trial_0'/'checkpoint_000001'/'checkpoints', weights_only=True)
    sd['module_list.11.weight'] = torch.zeros(10, 30)                                          # another architecture
    torch.save(sd, src/'trial_0'/'checkpoint_000001'/'checkpoints')
    r = hyperrep('import-zoo', src, '--recipe', 'digits', '--out', tmp_path/'z2.pt')
    assert r.returncode == 3 and 'not the zoo CNN' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    for c in (src/'trial_1').glob('checkpoint_*'): shutil.rmtree(c)                             # a trial without checkpoints
    r = hyperrep('import-zoo', src, '--recipe', 'digits', '--out', tmp_path/'z3.pt')
    assert r.returncode == 3 and 'no checkpoint' in r.stderr and not (tmp_path/'z3.pt').exists(), r.stderr

def test_ctrl_c_stops_autoencoders_side_by_side(d):
    ("Ctrl-C while `reproduce` trains its autoencoders side by side: every run stops at its next batch, the "
     "interrupt is raised at once, and torch's threads are as they were.")
    import _thread, signal, threading
    from hyperrep_nb.train import _side_by_side, _STOP, train_ae
    from hyperrep_nb.tokens import zoo_dataset
    from hyperrep_nb.zoo import Zoo
    from hyperrep_nb.autoencoder import ae_config
    data, stopped, n = zoo_dataset(Zoo.load(d/'zoo.pt'), epochs=(1, 3)), [], torch.get_num_threads()
    def run():
        try: train_ae(data, ae_config('tiny', epochs=10**6), progress=False)    # would run for hours
        except BaseException as e: stopped.append(f'{type(e).__name__}: {e}')
    # a shell's background job starts with SIGINT ignored, and then interrupt_main does nothing: Python's handler
    h = signal.signal(signal.SIGINT, signal.default_int_handler)
    # if no Ctrl-C arrives after all, the runs are stopped and the test fails instead of running for hours
    guard = threading.Timer(120., _STOP.set)
    threading.Timer(2., _thread.interrupt_main).start()
    t = time.time()
    try:
        guard.start()
        with pytest.raises(KeyboardInterrupt): _side_by_side([run, run])
    finally: guard.cancel(); signal.signal(signal.SIGINT, h)
    assert time.time() - t < 30, 'the runs stop within a batch of the interrupt'
    ft.test_eq(stopped, ['KeyboardInterrupt: stopped: a run beside this one failed or was interrupted'] * 2)
    ft.test_eq((torch.get_num_threads(), _STOP.is_set()), (n, False))
    # none left running (a Ctrl-C inside Thread.join could mark a running thread stopped: CPython 3.11)
    ft.test_eq([t for t in threading.enumerate() if t.name == 'hyperrep-ae'], [])

def test_no_c_compiler_falls_back_to_grouped_convolutions(tmp_path):
    "Where no C compiler works, per-model batches warn once and run on torch's grouped convolutions: the same logits."
    from hyperrep_nb import engine, kernels
    if kernels._kernels() is None: pytest.skip('no C compiler here: the fallback is what every test runs')
    x = torch.rand(3, 4, 1, 28, 28, generator=torch.Generator().manual_seed(0))          # [P, B, C, H, W]
    w = torch.stack([engine.init_params(s, 'kaiming_uniform') for s in range(3)])
    torch.save(dict(x=x, w=w), tmp_path/'in.pt')
    child = ("import sys, warnings, torch\nfrom hyperrep_nb import engine, kernels\n"
             "with warnings.catch_warnings(record=True) as ws:\n    warnings.simplefilter('always')\n"
             "    lib = kernels._kernels()\n"
             "assert lib is None, lib\n"
             "assert [str(m.message) for m in ws if 'C kernels not used' in str(m.message)], [str(m.message) for m in ws]\n"
             "d = torch.load(sys.argv[1])\n"
             "torch.save(engine.population_logits(d['w'], d['x']), sys.argv[2])\n")
    env = dict(os.environ, CC=str(tmp_path/'no-such-cc'), HYPERREP_NB_CACHE=str(tmp_path/'cache'))
    r = subprocess.run([sys.executable, '-c', child, tmp_path/'in.pt', tmp_path/'out.pt'], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert not any((tmp_path/'cache').glob('*.so'))
    ft.test_close(torch.load(tmp_path/'out.pt'), engine.population_logits(w, x), eps=1e-5)

def _kernel_child(env, code='print(kernels.kernels_on())'):
    "A fresh process that loads the kernels (or not) with `env`; its stdout, stderr and return code."
    child = f"import warnings\nwarnings.simplefilter('always')\nfrom hyperrep_nb import kernels\n{code}\n"
    return subprocess.run([sys.executable, '-c', child], env=env, capture_output=True, text=True, timeout=300)

def test_kernel_cache_loads_only_what_it_built_and_checked(tmp_path):
    "A planted, replaced, opened-up or truncated library is never loaded: it is built anew; a foreign cache is refused."
    import shutil as sh
    if not sh.which(os.environ.get('CC', 'gcc')): pytest.skip('no C compiler here')
    cache, marker = tmp_path/'cache', tmp_path/'planted-code-ran'
    env = dict(os.environ, HYPERREP_NB_CACHE=str(cache))
    r = _kernel_child(env)
    assert r.stdout.strip() == 'True', r.stderr
    ft.test_eq(oct(cache.stat().st_mode & 0o777), '0o700')
    so = next(cache.glob('kernels-*.so'))
    good = so.read_bytes()
    evil = tmp_path/'evil.c'
    evil.write_text(f'#include <stdio.h>\n__attribute__((constructor)) static void f(void) {{ FILE* o = fopen("{marker}", "w"); if (o) fclose(o); }}\n'
                    'void conv1_pool_fwd(void) {} void conv1_pool_bwd(void) {} void conv2_pool_fwd(void) {} void conv2_pool_bwd(void) {}\n')
    subprocess.run([os.environ.get('CC', 'gcc'), '-shared', '-fPIC', '-o', str(tmp_path/'evil.so'), str(evil)], check=True)
    for case in ('another library', 'truncated', 'opened up'):
        if case == 'another library': sh.copy(tmp_path/'evil.so', so)
        if case == 'truncated': so.write_bytes(good[:len(good) // 3])
        if case == 'opened up': so.chmod(0o666)
        r = _kernel_child(env)
        assert r.returncode == 0 and r.stdout.strip() == 'True', (case, r.stderr)
        assert not marker.exists(), f'{case}: the planted library ran'
        ft.test_eq(so.read_bytes(), good)                                     # built anew, the same bytes
    (cache/'build-999999999-x').mkdir()                                   # left by a build killed with -9
    so.unlink()
    assert _kernel_child(env).stdout.strip() == 'True'
    assert not (cache/'build-999999999-x').exists()
    # a cache folder that another user owns (or can write) is not used: one warning, the grouped convolutions
    foreign = tmp_path/'foreign'
    foreign.mkdir()
    sh.copy(tmp_path/'evil.so', foreign/so.name)
    if os.getuid() == 0: os.chown(foreign, 65534, 65534)
    else: foreign.chmod(0o777)
    r = _kernel_child(dict(env, HYPERREP_NB_CACHE=str(foreign)))
    if os.getuid() == 0:
        assert r.stdout.strip() == 'False' and 'belongs to another user' in r.stderr, r.stderr
    assert not marker.exists()
    # the usual false values turn the kernels off; an empty HOME never puts the cache at /
    for v in ('0', 'false', 'No', 'off'):
        ft.test_eq(_kernel_child(dict(env, HYPERREP_NB_KERNELS=v)).stdout.strip(), 'False')
    home = {k: v for k, v in os.environ.items() if k not in ('HYPERREP_NB_CACHE', 'XDG_CACHE_HOME')}
    r = _kernel_child(dict(home, HOME=''), 'print(kernels._cache_dir())')
    assert r.returncode == 0 and not r.stdout.strip().startswith('/.cache'), r.stdout

def test_locks_touch_nothing_but_themselves(tmp_path):
    "A link planted at a lock's path is refused and its target untouched; a lock file another user made is not rewritten."
    from hyperrep_nb.infra import writer_lock, BadFileError
    secret = tmp_path/'secret'
    secret.write_text('do not touch')
    secret.chmod(0o600)
    out = tmp_path/'zoo.pt'
    (tmp_path/'.zoo.pt.lock').symlink_to(secret)
    with pytest.raises(BadFileError, match='symbolic link'):
        with writer_lock(out): pass
    ft.test_eq(secret.read_text(), 'do not touch')
    (tmp_path/'.zoo.pt.lock').unlink()
    os.link(secret, tmp_path/'.zoo.pt.lock')                               # a hard link to it
    with pytest.raises(BadFileError, match='not a plain file of its own'):
        with writer_lock(out): pass
    ft.test_eq(secret.read_text(), 'do not touch')
    (tmp_path/'.zoo.pt.lock').unlink()
    with writer_lock(out): ft.test_eq((tmp_path/'.zoo.pt.lock').read_text(), str(os.getpid()))
    if os.getuid() == 0:                                                   # a lock file of another user: used, not rewritten
        os.chown(tmp_path/'.zoo.pt.lock', 65534, 65534)
        (tmp_path/'.zoo.pt.lock').write_text('theirs')
        with writer_lock(out): ft.test_eq((tmp_path/'.zoo.pt.lock').read_text(), 'theirs')
    r = hyperrep('zoo', '--dataset', 'digits', '--models', '2', '--epochs', '1', '--out', tmp_path/'z'/'zoo.pt')
    (tmp_path/'z'/'.zoo.pt.lock').unlink(missing_ok=True)
    (tmp_path/'z'/'.zoo.pt.lock').symlink_to(secret)
    r = hyperrep('zoo', '--dataset', 'digits', '--models', '2', '--epochs', '1', '--out', tmp_path/'z'/'zoo.pt', '--force')
    assert r.returncode == 3 and 'symbolic link' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    ft.test_eq(secret.read_text(), 'do not touch')

def test_api_writers_refuse_what_the_cli_refuses(d, tmp_path):
    "From Python as from the command line: no writer replaces a file of another kind, or one of its own kind without force."
    from hyperrep_nb.zoo import make_zoo, Zoo
    from hyperrep_nb.zoo_import import import_zoo
    from hyperrep_nb.kde_sampling import save_population, load_population
    from hyperrep_nb.reproduction import reproduce
    from hyperrep_nb.train import train_ae
    from hyperrep_nb.tokens import zoo_dataset
    from hyperrep_nb.autoencoder import ae_config
    from hyperrep_nb.infra import BadFileError
    before = {p.name: digest(p) for p in d.glob('*.pt')}
    w, r, _ = load_population(d/'pop.pt')
    zoo = Zoo.load(d/'zoo.pt')
    folder = tmp_path/'plain'
    folder.mkdir()
    torch.save({'layers.0.weight': torch.zeros(8, 1, 5, 5)}, folder/'m.pt')
    refusals = [
        (lambda: make_zoo('digits', 2, 1, out=d/'ae.pt', progress=False), BadFileError, 'refusing to overwrite'),
        (lambda: make_zoo('digits', 2, 1, out=f'{tmp_path}/dir/', progress=False), ValueError, 'file name'),
        (lambda: import_zoo(folder, 'digits', out=d/'ae.pt'), BadFileError, 'refusing to overwrite'),
        (lambda: import_zoo(folder, 'digits', out=d/'zooB.pt'), BadFileError, 'force=True'),
        (lambda: import_zoo(folder, 'digits', out=''), ValueError, 'out is empty'),
        (lambda: save_population(d/'zoo.pt', w, r), BadFileError, 'refusing to overwrite'),
        (lambda: save_population(d/'pop.pt', w, r), BadFileError, 'force=True'),
        (lambda: train_ae(zoo_dataset(zoo, epochs=(1, 3)), ae_config('tiny'), out=d/'zooB.pt', progress=False),
         BadFileError, 'refusing to overwrite'),
        (lambda: reproduce(''), ValueError, 'out is empty'),
        (lambda: reproduce(d/'afile'), ValueError, 'is a file'),
        (lambda: make_zoo('digits', 2, 1, device='foo'), ValueError, 'unknown device'),
        (lambda: zoo.population(epoch=99), ValueError, 'keeps checkpoints 0..3'),
        (lambda: ae_config(d_latent=0), ValueError, 'd_latent'),
    ]
    for f, kind, msg in refusals:
        with pytest.raises(kind, match=msg.replace('.', r'\.')): f()
    ft.test_eq({p.name: digest(p) for p in d.glob('*.pt') if p.name in before}, before)      # nothing was written over
    save_population(tmp_path/'p.pt', w, r)
    save_population(tmp_path/'p.pt', w[:2], r, force=True)
    ft.test_eq(load_population(tmp_path/'p.pt')[0], w[:2])

def test_killed_export_leaves_the_old_folder_or_the_new_one(d, tmp_path):
    "A folder output is complete or absent: kill -9 in the middle of `export --force` leaves no mix of two exports."
    from hyperrep_nb.kde_sampling import load_population, save_population
    w, r, _ = load_population(d/'pop.pt')
    save_population(tmp_path/'big.pt', w[:1].repeat(3000, 1), r)
    assert hyperrep('export', d/'pop.pt', '--out', tmp_path/'exp').returncode == 0             # 4 models
    exe = Path(sys.executable).parent/'hyperrep'
    p = subprocess.Popen([str(exe), 'export', str(tmp_path/'big.pt'), '--out', str(tmp_path/'exp'), '--force'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 120 and len(list(tmp_path.glob('.exp.new-*/model_*.pt'))) < 50 and p.poll() is None:
        time.sleep(0.02)
    p.kill(); p.wait()
    names = sorted(f.name for f in (tmp_path/'exp').iterdir())
    assert names in (['export.json'] + [f'model_{i:04d}.pt' for i in range(4)],
                     ['export.json'] + [f'model_{i:04d}.pt' for i in range(3000)]), names[:6]
    r = hyperrep('export', d/'pop.pt', '--out', tmp_path/'exp', '--force')                     # and the next writer cleans up
    assert r.returncode == 0, r.stderr
    ft.test_eq(len(list((tmp_path/'exp').glob('model_*.pt'))), 4)
    ft.test_eq([f.name for f in tmp_path.iterdir() if f.name.startswith('.exp.') and not f.name.endswith('.lock')], [])

def test_kernels_build_with_clang_to_the_same_bits(tmp_path):
    "The kernels' C source (package data) builds with clang as with gcc, and gives the same bits forward and backward."
    import shutil as sh
    from hyperrep_nb import kernels
    if kernels._kernels() is None or not sh.which('clang'): pytest.skip('needs gcc and clang (tools/setup.sh installs clang)')
    code = ("import torch, sys\nfrom hyperrep_nb import engine, kernels\nassert kernels._kernels() is not None\n"
            "g = torch.Generator().manual_seed(0)\nP, B = 4, 8\nx = torch.randn(P, B, 1, 28, 28, generator=g)\n"
            "ws = [torch.randn(*s, generator=g).requires_grad_() for s in ((P*8, 1, 5, 5), (P*8,), (P*6, 8, 5, 5), (P*6,))]\n"
            "o = engine._conv12(x, *ws, torch.tanh)\n"
            "torch.save([o.detach(), *torch.autograd.grad(o.square().sum(), ws)], sys.argv[1])\n")
    for cc in ('gcc', 'clang'):
        r = subprocess.run([sys.executable, '-c', code, str(tmp_path/f'{cc}.pt')], capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, CC=cc, HYPERREP_NB_CACHE=str(tmp_path/f'cache-{cc}')))
        assert r.returncode == 0 and 'not used' not in r.stderr, (cc, r.stderr)
    for a, b in zip(torch.load(tmp_path/'gcc.pt'), torch.load(tmp_path/'clang.pt')): ft.test_eq(a, b)
