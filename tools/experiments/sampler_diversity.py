"Held-out reconstructions, samplers under the memorization protocol, their diversity and the noise front, for the autoencoder files given (see 04_kde_sampling). Usage: python tools/experiments/sampler_diversity.py AE.pt ..."
import sys, json, torch, time
from hyperrep_nb.zoo import Zoo
from hyperrep_nb.tokens import zoo_dataset, align_data, align_neurons
from hyperrep_nb.train import load_ae
from hyperrep_nb.lwln import layer_sigmas
from hyperrep_nb.data import load_dataset
from hyperrep_nb.engine import Population
from hyperrep_nb.autoencoder import reconstruct
from hyperrep_nb.kde_sampling import *
from hyperrep_nb.kde_sampling import _dist
zoo = Zoo.load('runs/reproduce-cpu/digits/zoo.pt')
data = load_dataset('digits')
ys_cache = {}
for f in sys.argv[1:]:
    ae, info = load_ae(f)
    ref = info['ref']
    w_tr, props, z = training_anchors(ae, ref, zoo, (21, 25))
    ys = yardstick(w_tr, props, ref, data.test)
    held = align_neurons(zoo_dataset(zoo, epochs=(21, 25)).w['test'], ref)
    rec = reconstruct(ae, held)
    pred = lambda w: predictions(w, data.test[0])
    agree_own = (pred(rec) == pred(held)).float().mean(1)
    perm = torch.roll(torch.arange(len(held)), 5)    # another model (5 checkpoints = one model's window, so roll by 5 -> next model)
    agree_other = (pred(rec) == pred(held[perm])).float().mean(1)
    pd = lambda w: _dist(w, w)[~torch.eye(len(w), dtype=bool)].median().item()
    print(f, 'held-out rec acc', memorization(rec, ys)['acc'].mean().item(), 'agree own', agree_own.mean().item(), 'agree other model', agree_other.mean().item(),
          'pairwise dist rec/orig', pd(rec) / pd(held), 'd_nn', ys.d_nn)
    print(' |rec| / |orig| norms', rec.norm(dim=1).mean().item(), held.norm(dim=1).mean().item())
    for m, h in (('kde30', 0.5), ('ckde30', 0.25), ('ckde30', 0.5), ('ckde30', 1.0), ('ckde', 1.0)):
        w, _ = sample_models(ae, make_sampler(m, z, props['test_acc'], h=h), 40, seed=0)
        r = memorization(w, ys)
        e = (pred(w) != data.test[1]).float(); inter = e @ e.T; union = e.sum(1, keepdim=True) + e.sum(1) - inter
        iou_self = (inter / union.clamp_min(1))[~torch.eye(len(w), dtype=bool)].median().item()
        print(f' {m} h={h}: acc {r["acc"].mean():.3f} ({r["acc"].std():.3f}) rel_nn med {r["rel_nn"].median():.2f} max_iou med {r["max_iou"].median():.2f}  sample-sample dist/d_nn {pd(align_neurons(w, ref))/ys.d_nn:.2f} iou among samples {iou_self:.2f}')
    mh = memorization(held, ys)
    e = (pred(held) != data.test[1]).float(); inter = e @ e.T; union = e.sum(1, keepdim=True) + e.sum(1) - inter
    print(f' held-out: acc {mh["acc"].mean():.3f} rel_nn med {mh["rel_nn"].median():.2f} max_iou {mh["max_iou"].median():.2f}; pairwise dist/d_nn {pd(held)/ys.d_nn:.2f}; iou among {(inter/union.clamp_min(1))[~torch.eye(len(held), dtype=bool)].median():.2f}')

    w_top = w_tr[props['test_acc'] >= props['test_acc'].quantile(0.7)]
    t = time.time(); fr = noise_front(ys, w_top); print(' front', round(time.time()-t, 1), 's:', [(round(p['sigma'], 4), round(p['acc'], 3), round(p['rel_nn'], 2), round(p['max_iou'], 2)) for p in fr])
