"""Sample a trained autoencoder's S_CKDE30 at several bandwidths and judge each population against the noise front.
Usage: python tools/experiments/bandwidth_sweep.py ZOO AE.pt SEEDS h1 h2 ...   (SEEDS: e.g. 0,1)
The noise front is drawn on the same anchors (top 30%, `noise_front`). Prints the front, then one JSON line per h and seed."""
import sys, json
from hyperrep_nb.zoo import Zoo
from hyperrep_nb.tokens import zoo_dataset, align_data
from hyperrep_nb.train import load_ae
from hyperrep_nb.data import load_dataset
from hyperrep_nb.kde_sampling import (training_anchors, make_sampler, sample_models, yardstick, memorization, ensemble_acc, front_at,
                                      noise_front, top_anchors)

zf, af, seeds, *hs = sys.argv[1:]
zoo, (ae, info) = Zoo.load(zf), load_ae(af)
window = tuple(info['source']['window'])
data = align_data(zoo_dataset(zoo, epochs=window))
test = load_dataset(zoo.recipe.dataset).test
w_tr, props, z = training_anchors(ae, data.ref, zoo, window)
ys = yardstick(w_tr, props, data.ref, test, zoo.recipe.act)
front = noise_front(ys, top_anchors(w_tr, props['test_acc'], 0.3))
print(json.dumps([{k: round(v, 3) for k, v in p.items()} for p in front]), flush=True)
for h, seed in [(float(h), int(s)) for h in hs for s in seeds.split(',')]:
    w, _ = sample_models(ae, make_sampler('ckde30', z, props['test_acc'], h=h, seed=seed), 40, seed=seed)
    r = memorization(w, ys)
    acc = r['acc'].mean().item()
    print(json.dumps(dict(h=h, seed=seed, acc=round(acc, 4), iou_within=round(r['iou_within'].median().item(), 3),
                          rel_within=round(r['rel_within'].median().item(), 3), rel_nn=round(r['rel_nn'].median().item(), 3),
                          front_rel_nn=round(front_at(front, acc, 'rel_nn'), 3), max_iou=round(r['max_iou'].median().item(), 3),
                          front_max_iou=round(front_at(front, acc, 'max_iou'), 3), ens10=round(ensemble_acc(w[:10], *test), 4))), flush=True)
