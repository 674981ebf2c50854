"`hyperrep reproduce` end to end at tiny sizes: the report's fixed shape, and resuming after a killed stage."
import json, signal, subprocess, sys, time
from pathlib import Path
import fastcore.test as ft
import torch
from hyperrep_nb.report import VERDICTS, beyond_front, as_diverse, represents_unseen
from conftest import hyperrep

ARGS = ['reproduce', '--preset', 'tiny', '--quiet']

def test_report_shape_and_resume_after_killed_stage(tmp_path):
    full = hyperrep(*ARGS, '--out', tmp_path/'full')
    assert full.returncode == 0, full.stderr
    rep = json.loads((tmp_path/'full'/'report.json').read_text())
    for pop in ('B_T', 'B_mean', 'B_avg16', 'B_gauss', 'B_noise0.1', 'B_KDE30', 'S_KDE', 'S_KDE30', 'S_CKDE30', 'S_FIT', 'S_SEL', 'S_U'):
        cell = rep['in_dataset'][pop]['0']
        ft.test_eq(set(cell), {'mean', 'std', 'n', 'ci95'})
        assert cell['ci95'][0] <= cell['mean'] <= cell['ci95'][1]
    ft.test_eq(set(rep['novelty']['S_KDE30']), {'acc', 'rel_nn', 'max_iou', 'rel_within', 'iou_within', 'acc_mean', 'reads_data',
                                                'ens10', 'ens_all'})
    assert rep['novelty']['S_SEL']['reads_data'] and not rep['novelty']['S_CKDE30']['reads_data']
    assert len(rep['noise_front']) >= 6
    # the long populations fine-tuned for all epochs (2), the others for short_epochs (1); B_T is the zoo's (4 epochs)
    ft.test_eq(sorted(rep['in_dataset']['B_T']), ['0', '1', '2', '3', '4'])
    for pop in ('S_KDE30', 'S_FIT', 'B_mean'): ft.test_eq(sorted(rep['in_dataset'][pop]), ['0', '1', '2'])
    for pop in ('S_KDE', 'B_noise0.1', 'S_SEL'): ft.test_eq(sorted(rep['in_dataset'][pop]), ['0', '1'])
    assert {'digits:finetune', 'digits:finetune1'} <= set(rep['timings_s']), rep['timings_s']
    assert rep['timings_s']['total'] > 0 and 'digits:zoo' in rep['timings_s']
    assert (tmp_path/'full'/'report.md').exists()
    # the verdicts depend on the host's float rounding at these sizes: assert their shape and that each follows from its own
    # evidence, never which way one falls
    want = ['(1)', '(2)', '(3)', '(4)', *(['(5)'] * len(rep['transfer'])), '(6)', '(7)', '(8)']
    ft.test_eq([f['finding'][:3] for f in rep['findings']], want)
    for f in rep['findings']:
        assert f['verdict'] in VERDICTS, f
        assert f"{f['verdict']:>14}: {f['finding']}" in full.stdout, f"the command prints finding {f['finding'][:3]}"
    d = tmp_path/'full'/'digits'
    nov, saved = json.loads((d/'novelty.json').read_text()), torch.load(d/'memorization.pt', weights_only=True)
    ft.test_eq(beyond_front(saved['per_model'], nov)[1], rep['findings'][-3]['verdict'])
    ft.test_eq(as_diverse(saved['per_model'], saved['ens10_hits'], nov['populations'])[1], rep['findings'][-2]['verdict'])
    lw, fit = json.loads((d/'lwln.json').read_text()), json.loads((d/'fit.json').read_text())
    ft.test_eq(represents_unseen(lw, fit)[1], rep['findings'][-1]['verdict'])                  # (8) from the files' numbers
    # the population as another tool would hand it over (a folder of state dicts), judged against the zoo with the
    # autoencoder that made the report's yardstick: the report's numbers
    assert hyperrep('export', d/'pop_S_KDE30.pt', '--out', tmp_path/'exported').returncode == 0
    j = hyperrep('judge', tmp_path/'exported', '--zoo', d/'zoo.pt', '--ae', d/'ae_lwln.pt', '--json')
    assert j.returncode == 0, j.stderr
    j, mine = json.loads(j.stdout), nov['populations']['S_KDE30']
    for k in ('acc', 'rel_nn', 'max_iou', 'rel_within', 'iou_within'): ft.test_eq(j['quantiles'][k], mine[k])
    for k in ('acc_mean', 'ens10', 'ens_all'): ft.test_eq(j[k], mine[k])
    # kill -9 in each stage in turn (autoencoders, samples, fine-tuning, transfer), then run to the end: the result is
    # the uninterrupted one, and the killed stages' time is kept
    out = tmp_path/'killed'
    exe = Path(sys.executable).parent/'hyperrep'
    for marker in ('digits/ae_lwln.pt', 'digits/ae_fit.pt', 'digits/pop_S_SEL.pt', 'digits/finetune.pt', 'transfer/digits-fashion_mnist/populations.pt'):
        p = subprocess.Popen([str(exe), *ARGS, '--out', str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        while time.time() - t0 < 300 and not (out/marker).exists() and p.poll() is None: time.sleep(0.02)
        p.send_signal(signal.SIGKILL); p.wait()
        assert not (out/'report.json').exists(), f'the run finished before it could be killed at {marker}'
    zoo_mtime = (out/'digits'/'zoo.pt').stat().st_mtime
    again = hyperrep(*ARGS, '--out', out)
    assert again.returncode == 0, again.stderr
    ft.test_eq((out/'digits'/'zoo.pt').stat().st_mtime, zoo_mtime)              # the finished stage was not redone
    rep2 = json.loads((out/'report.json').read_text())
    ft.test_eq(rep2['in_dataset'], rep['in_dataset'])
    ft.test_eq(rep2['transfer'], rep['transfer'])
    ft.test_eq(rep2['novelty'], rep['novelty'])
    ft.test_eq(json.loads((out/'timings_partial.json').read_text()), {})              # every interrupted attempt was folded in
    assert set(rep2['timings_s']) == set(rep['timings_s']), set(rep2['timings_s']) ^ set(rep['timings_s'])
    # a damaged file inside the finished folder is named in one line, never a traceback
    import pickle, os as _os
    nov = (out/'digits'/'novelty.json').read_text()
    (out/'digits'/'novelty.json').write_text(nov[:len(nov) // 2])
    r = hyperrep(*ARGS, '--out', out)
    assert r.returncode == 3 and 'novelty.json' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    (out/'digits'/'novelty.json').write_text(nov)
    class Payload:
        def __reduce__(self): return (_os.system, ('touch ' + str(tmp_path/'pwned'),))
    mem = (out/'digits'/'memorization.pt').read_bytes()
    (out/'digits'/'memorization.pt').write_bytes(pickle.dumps(Payload()))
    r = hyperrep(*ARGS, '--out', out)
    assert r.returncode == 3 and 'memorization.pt' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert not (tmp_path/'pwned').exists(), 'a pickle payload never runs'
    (out/'digits'/'memorization.pt').write_bytes(mem)
    torch.save({'z_train': torch.zeros(3, 2)}, out/'digits'/'latents.pt')      # readable, but not what reproduce wrote
    r = hyperrep(*ARGS, '--out', out)
    assert r.returncode == 3 and 'latents.pt' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    (out/'digits'/'fit.json').write_text(json.dumps({'train': {}, 'test': {}, 'seconds': 1}))   # valid JSON, no numbers
    r = hyperrep(*ARGS, '--out', out)
    assert r.returncode == 3 and 'fit.json' in r.stderr and 'Traceback' not in r.stderr, r.stderr

def test_reproduce_refuses_unknown_preset(tmp_path):
    r = hyperrep('reproduce', '--preset', 'huge', '--out', tmp_path/'x')
    assert r.returncode != 0 and 'invalid choice' in r.stderr
