"Train one AE on the cpu-preset zoo and report held-out reconstruction and sample accuracies. args: lam epochs out lwln(0/1) [probe]"
import sys, time, json, torch
torch.set_num_threads(int(__import__('os').environ.get('NT', '1')))
from hyperrep_nb.zoo import Zoo
from hyperrep_nb.tokens import zoo_dataset, align_data
from hyperrep_nb.autoencoder import ae_config
from hyperrep_nb.train import train_ae, reconstruction_report
from hyperrep_nb.data import load_dataset
from hyperrep_nb.engine import Population
from hyperrep_nb.kde_sampling import training_anchors, make_sampler, sample_models
lam, ep, out, lw = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], bool(int(sys.argv[4]))
probe = int(sys.argv[5]) if len(sys.argv) > 5 else 32
zf = 'runs/reproduce-cpu/digits/zoo.pt'
zoo = Zoo.load(zf)
data = align_data(zoo_dataset(zoo, epochs=(21, 25)))
kw = dict(behaviour=lam, probe=probe)
if ep: kw['epochs'] = ep
cfg = ae_config('cpu', **kw)
t = time.time()
ae, info = train_ae(data, cfg, lwln=lw, out=out, seed=0, progress=False, source=dict(zoo=str(__import__('pathlib').Path(zf).resolve()), window=[21, 25]))
secs = time.time() - t
test = load_dataset('digits').test
r = reconstruction_report(ae, data, zoo.recipe, test)
w_tr, props, z = training_anchors(ae, data.ref, zoo, (21, 25))
res = dict(lam=lam, epochs=cfg.epochs, lwln=lw, seconds=round(secs), rec=r['acc_rec'].mean().item(), orig=r['acc_orig'].mean().item(), r2=[round(v, 3) for v in r['r2'].tolist()])
for m in ('kde30', 'ckde30'):
    for h in ((0.5,) if m == 'kde30' else (0.25, 0.5, 1.0)):
        w, _ = sample_models(ae, make_sampler(m, z, props['test_acc'], h=h), 100, seed=0)
        res[f'{m}_h{h}'] = Population(w).evaluate(*test)[1].mean().item()
print(json.dumps(res), flush=True)
