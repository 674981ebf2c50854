"The field's zoos, files and protocol as they are: zoos written by their code (tests/field_code.py), never by ours."
import json, os, shutil, sys
from pathlib import Path
import pytest, torch
import fastcore.test as ft
from conftest import hyperrep
from field_code import CNN, accuracy, write_grid, write_trial, grid_config, GRID, field_dataset_class, \
    vectorize_checkpoint, Payload
from hyperrep_nb.data import load_dataset

@pytest.fixture(scope='module')
def field(tmp_path_factory):
    "A 5-trial hyperparameter grid and the same grid in the older layout, trained by their CNN on 200 digits."
    root = tmp_path_factory.mktemp('field')
    d = load_dataset('digits')
    train = (d.train[0][:200], d.train[1][:200])
    grid = write_grid(root/'grid', train, d.test, epochs=1)
    write_grid(root/'old', train, d.test, epochs=1, first_checkpoint=1)
    return root, d, grid

def test_hyperparameter_zoo_imports_evaluates_and_exports_per_model(field, tmp_path):
    root, d, grid = field
    r = hyperrep('import-zoo', root/'grid', '--recipe', 'digits', '--out', tmp_path/'zoo.pt', '--quiet')
    assert r.returncode == 0, r.stderr
    assert 'act: gelu, relu, sigmoid, tanh' in r.stdout and 'dropout: 0.0, 0.5' in r.stdout, r.stdout
    r = hyperrep('evaluate', tmp_path/'zoo.pt', '--data', 'digits', '--json')
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    for m, (net, cfg) in zip(res['models'], grid.values()):            # each model under its own recipe, to 1e-6
        ft.test_eq(m['act'], cfg['model::nlin'])
        ft.test_close(m['acc'], accuracy(net, *d.test), eps=1e-6)
    r = hyperrep('export', tmp_path/'zoo.pt', '--format', 'modelzoos', '--out', tmp_path/'exp')
    assert r.returncode == 0, r.stderr
    for i, (net, cfg) in enumerate(grid.values()):                     # strictly into their CNN, its own dropout
        theirs = CNN(1, cfg['model::nlin'], cfg['model::dropout'], cfg['model::init_type']).eval()
        theirs.load_state_dict(torch.load(tmp_path/'exp'/f'model_{i:04d}.pt', weights_only=True), strict=True)
        with torch.no_grad(): ft.test_close(theirs(d.test[0][:64]), net.eval()(d.test[0][:64]), eps=1e-6)
    # one recipe where one is needed: a one-line refusal that says how to select a uniform part
    r = hyperrep('train-ae', '--zoo', tmp_path/'zoo.pt', '--window', '0', '1', '--preset', 'tiny', '--out', tmp_path/'ae.pt')
    assert r.returncode != 0 and '--where nlin=' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    r = hyperrep('import-zoo', root/'grid', '--recipe', 'digits', '--where', 'nlin=tanh', '--out', tmp_path/'tanh.pt')
    assert r.returncode == 0 and 'models=2' in r.stdout, r.stdout + r.stderr

def test_older_layout_epoch_slices_and_ghrp_folders(field, tmp_path):
    root, d, grid = field
    r = hyperrep('import-zoo', root/'old', '--recipe', 'digits', '--out', tmp_path/'old.pt', '--quiet')
    assert r.returncode == 0, r.stderr
    lines = [l.split() for l in r.stdout.splitlines() if l.strip()[:1].isdigit()]
    ft.test_eq([l[0] for l in lines], ['1', '2'])                      # their epochs, from 1: no checkpoint 0 was written
    r = hyperrep('import-zoo', root/'grid', '--recipe', 'digits', '--epochs', '1-1', '--out', tmp_path/'e1.pt', '--quiet')
    assert r.returncode == 0 and 'epochs=0' in r.stdout, r.stdout + r.stderr
    # GHRP's sampled models: checkpoint_<idx>.pt, one model each, wrapped as training scripts save them
    ghrp = tmp_path/'ghrp'
    ghrp.mkdir()
    nets = [net for net, cfg in grid.values() if cfg['model::nlin'] == 'tanh']
    for i, net in enumerate(nets): torch.save({'model_state_dict': net.state_dict(), 'epoch': 1}, ghrp/f'checkpoint_{i}.pt')
    r = hyperrep('evaluate', ghrp, '--data', 'digits', '--act', 'tanh', '--json')
    assert r.returncode == 0, r.stderr
    ft.test_close([m['acc'] for m in json.loads(r.stdout)['models']], [accuracy(n, *d.test) for n in nets], eps=1e-6)
    r = hyperrep('import-zoo', ghrp, '--recipe', 'digits', '--out', tmp_path/'ghrp.pt', '--quiet')
    assert r.returncode == 0 and 'models=2' in r.stdout, r.stdout + r.stderr

def test_bad_layouts_fail_in_one_line_and_links_count_once(field, tmp_path):
    root, d, grid = field
    mixed = tmp_path/'mixed'
    shutil.copytree(root/'grid', mixed)
    cfg = grid_config(GRID[0], seed=7, channels=3)
    write_trial(mixed, 'NN_tune_trainable_colour', cfg, (torch.zeros(20, 3, 28, 28), torch.zeros(20, dtype=torch.long)),
                (torch.zeros(10, 3, 28, 28), torch.zeros(10, dtype=torch.long)), epochs=1)
    (tmp_path/'empty').mkdir()
    (tmp_path/'empty'/'notes.txt').write_text('no models here')
    cases = {'mixed channels': (mixed, '1- and 3-channel models (5 and 1)'), 'not a zoo': (tmp_path/'empty', 'holds no Ray Tune trial')}
    (tmp_path/'lists').mkdir()
    torch.save([1, 2, 3], tmp_path/'lists'/'m.pt')
    cases['a list, not a state dict'] = (tmp_path/'lists', 'is not a state dict')
    (tmp_path/'ints').mkdir()
    sd = {k: v.round().long() for k, v in next(iter(grid.values()))[0].state_dict().items()}
    torch.save(sd, tmp_path/'ints'/'m.pt')
    cases['int weights'] = (tmp_path/'ints', 'int64 tensor')
    bad = tmp_path/'badparams'
    shutil.copytree(root/'grid', bad)
    (next(bad.iterdir())/'params.json').write_text(json.dumps({'optim::lr': -5, 'model::nlin': 'tanh'}))
    cases['negative lr'] = (bad, 'optim::lr = -5')
    for name, (src, msg) in cases.items():
        r = hyperrep('import-zoo', src, '--recipe', 'digits', '--out', tmp_path/f'{name}.pt', '--quiet')
        assert r.returncode == 3 and msg in r.stderr and 'Traceback' not in r.stderr, (name, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (name, r.stderr)
    linked = tmp_path/'linked'
    shutil.copytree(root/'grid', linked)
    first = sorted(linked.iterdir())[0]
    os.symlink(first, linked/'zz_link_to_first')
    r = hyperrep('import-zoo', linked, '--recipe', 'digits', '--out', tmp_path/'linked.pt', '--quiet')
    assert r.returncode == 0 and 'models=5' in r.stdout, r.stdout + r.stderr
    assert 'dropped 1 model(s) that repeat another trial' in r.stderr, r.stderr

def test_published_dataset_file_reads_without_running_code(field, tmp_path):
    root, d, grid = field
    MDB = field_dataset_class()
    ws, paths, eps, acc = [], [], [], []
    for name in grid:
        for e in (0, 1):
            sd = torch.load(root/'grid'/name/f'checkpoint_{e:06d}'/'checkpoints', weights_only=True)
            ws.append(vectorize_checkpoint(sd)); paths.append(Path(root/'grid'/name)); eps.append(e); acc.append(0.5)
    props = lambda s: {'test_acc': acc[s], 'model::nlin': [grid[paths[i].name][1]['model::nlin'] for i in range(10)][s]}
    torch.save({'trainset': MDB(ws[:6], paths[:6], eps[:6], props(slice(0, 6))),
                'testset': MDB(ws[6:], paths[6:], eps[6:], props(slice(6, 10)))}, tmp_path/'dataset.pt')
    with pytest.raises(Exception): torch.load(tmp_path/'dataset.pt')          # PyTorch's default refuses it
    r = hyperrep('import-zoo', tmp_path/'dataset.pt', '--recipe', 'digits', '--out', tmp_path/'zoo.pt', '--quiet')
    assert r.returncode == 0 and 'models=5, epochs=1' in r.stdout, r.stdout + r.stderr
    r = hyperrep('evaluate', tmp_path/'zoo.pt', '--data', 'digits', '--json')
    ft.test_close([m['acc'] for m in json.loads(r.stdout)['models']], [accuracy(n, *d.test) for n, c in grid.values()], eps=1e-6)
    r = hyperrep('import-zoo', tmp_path/'dataset.pt', '--recipe', 'digits', '--where', 'nlin=tanh', '--out', tmp_path/'tanh.pt', '--quiet')
    assert r.returncode == 0 and 'models=2' in r.stdout, r.stdout + r.stderr                    # --where on a dataset.pt too
    marker = tmp_path/'ran'
    torch.save({'trainset': Payload(marker)}, tmp_path/'evil.pt')
    r = hyperrep('import-zoo', tmp_path/'evil.pt', '--recipe', 'digits', '--out', tmp_path/'evil_zoo.pt')
    assert r.returncode == 3 and 'refused global' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert not marker.exists(), 'a pickled payload never runs'

# Zeng et al.'s two functions (boyazeng/weight_memorization, visualization_util/plot_scatter_plot.py and
# plot_min_distance_to_training.py, MIT licence), moved to the CPU; everything else as published.
def max_similarity_to_training(training_incorrect_indices, target_incorrect_indices, batch_size=128):
    training_incorrect_indices = torch.tensor(training_incorrect_indices, dtype=torch.bool)
    target_incorrect_indices = torch.tensor(target_incorrect_indices, dtype=torch.bool)
    num_training = training_incorrect_indices.size(0)
    ratio_matrix = []
    for start_idx in range(0, num_training, batch_size):
        end_idx = min(start_idx + batch_size, num_training)
        training_batch = training_incorrect_indices[start_idx:end_idx]
        training_expanded = training_batch.unsqueeze(1)
        target_expanded = target_incorrect_indices.unsqueeze(0)
        overlapped_errors = torch.sum(training_expanded & target_expanded, dim=2)
        unique_errors = torch.sum(training_expanded | target_expanded, dim=2)
        ratios = overlapped_errors.float() / (unique_errors.float() + 1e-8)
        ratio_matrix.append(ratios)
    full_ratio_matrix = torch.cat(ratio_matrix, dim=0)
    if torch.equal(training_incorrect_indices, target_incorrect_indices):
        full_ratio_matrix.fill_diagonal_(0)
    max_ratios = torch.max(full_ratio_matrix, dim=0)[0]
    return max_ratios.cpu().numpy()

def calculate_min_distances(training_weights, target_weights, batch_size=1024):
    training_weights = training_weights.to(torch.float32)
    target_weights = target_weights.to(torch.float32)
    min_distances = []
    for i in range(0, target_weights.size(0), batch_size):
        batch = target_weights[i:i+batch_size]
        dists = torch.cdist(batch, training_weights, p=2)
        if training_weights is target_weights:
            indices = torch.arange(i, i + batch.size(0), device=batch.device)
            dists[torch.arange(batch.size(0)), indices] = float('inf')
        min_dist, _ = dists.min(dim=1)
        min_distances.append(min_dist)
    return torch.cat(min_distances).cpu().numpy()

def test_zeng_protocol_equals_their_functions():
    from hyperrep_nb.kde_sampling import memorization_zeng
    from hyperrep_nb.engine import predictions
    from hyperrep_nb.zoo import make_zoo
    z = make_zoo('digits', n_models=12, epochs=3, n_train=300, progress=False)
    xt, yt = load_dataset('digits').test
    rec = z.weights[:, 1:].flatten(0, 1)                                  # "reconstructions" of epochs 1..3 [36, N]
    last = z.weights[:, -1]                                               # the last epoch's [12, N]
    gen = last[:5] + 0.05 * torch.randn(5, last.shape[1], generator=torch.Generator().manual_seed(0))
    ours = memorization_zeng(gen, last, rec, (xt, yt))
    err = lambda w: (predictions(w, xt) != yt).numpy()
    ft.test_eq(ours['max_iou'].numpy(), max_similarity_to_training(err(rec), err(gen)))       # IoU: the same numbers
    assert (ours['nn_dist'] - torch.tensor(calculate_min_distances(last, gen))).abs().max() <= 1e-5
    self_ = memorization_zeng(rec, rec, rec, (xt, yt), exclude_self=True)   # the training split against itself
    ft.test_eq(self_['max_iou'].numpy(), max_similarity_to_training(err(rec), err(rec)))
    assert (self_['nn_dist'] - torch.tensor(calculate_min_distances(rec, rec))).abs().max() <= 1e-5
