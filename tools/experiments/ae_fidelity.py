"""Train one autoencoder on a zoo with the given settings; print its held-out fidelity and its samplers' diversity as
one JSON line (the attempts table of 03_lwln / experiments.md).
Usage: python tools/experiments/ae_fidelity.py ZOO OUT.pt key=value ...
keys: any AEConfig field (epochs=60, behaviour=0.0, dropout=0.0, ...), permute=0/1, erase=P, lwln=0/1, target=input|view,
keep=best|last, align=0/1 (weight matching before training), window=K (the last K epochs' checkpoints per model)"""
import sys, time, json, torch
from pathlib import Path
from hyperrep_nb.zoo import Zoo
from hyperrep_nb.tokens import zoo_dataset, align_data, Augment
from hyperrep_nb.autoencoder import ae_config, AEConfig
from hyperrep_nb.train import train_ae
from hyperrep_nb.lwln import layer_r2
from hyperrep_nb.autoencoder import reconstruct
from hyperrep_nb.data import load_dataset
from hyperrep_nb.kde_sampling import training_anchors, make_sampler, sample_models, yardstick, memorization, predictions, ensemble_acc

zf, out, *kv = sys.argv[1:]
kv = dict(a.split('=') for a in kv)
aug = Augment(permute=bool(int(kv.pop('permute', 1))), erase_p=float(kv.pop('erase', 0.5)))
lw, target, keep = bool(int(kv.pop('lwln', 1))), kv.pop('target', 'input'), kv.pop('keep', 'best')
align, K = bool(int(kv.pop('align', 1))), int(kv.pop('window', 5))
types = {f: type(getattr(AEConfig(), f)) for f in AEConfig.__dataclass_fields__}
cfg = ae_config('cpu', **{k: types[k](v) for k, v in kv.items()})
zoo = Zoo.load(zf)
window = (zoo.epochs - K + 1, zoo.epochs)
data = zoo_dataset(zoo, epochs=window)
data = align_data(data) if align else data
t = time.time()
ae, info = train_ae(data, cfg, lwln=lw, out=out, seed=0, progress=False, augment=aug, target=target, keep=keep,
                    source=dict(zoo=str(Path(zf).resolve()), window=list(window)))
secs = time.time() - t
test = load_dataset(zoo.recipe.dataset).test
held = data.w['test']                                                   # held-out models, aligned [H, N]
rec = reconstruct(ae, held)
w_tr, props, z = training_anchors(ae, data.ref, zoo, window)
ys = yardstick(w_tr, props, data.ref, test, zoo.recipe.act)
e_rec, e_held = (predictions(rec, test[0]) != test[1]), (predictions(held, test[0]) != test[1])
ef, hf = e_rec.float(), e_held.float()
inter = (ef * hf).sum(1); iou_self = inter / (ef.sum(1) + hf.sum(1) - inter).clamp_min(1)
m_held = memorization(held, ys)
w_tr_all = data.w['train']
rec_tr = reconstruct(ae, w_tr_all)
last = torch.arange(len(w_tr_all))[data.props['train']['epoch'] == window[1]][:40]   # 40 training models at the last epoch
m_dec = memorization(rec_tr[last], ys)
res = dict(settings=dict(**{k: v for k, v in kv.items()}, permute=aug.permute, erase=aug.erase_p, lwln=lw, target=target, keep=keep,
                         align=align, window=K),
           seconds=round(secs), r2=[round(v, 3) for v in layer_r2(rec, held).tolist()],
           rec_acc=round(1 - ef.mean().item(), 4), orig_acc=round(1 - hf.mean().item(), 4),
           iou_self=round(iou_self.median().item(), 3), iou_nearest_train=round(m_held['max_iou'].median().item(), 3),
           r2_train=[round(v, 3) for v in layer_r2(rec_tr, w_tr_all).tolist()],
           decoded_train=dict(acc=round(m_dec['acc'].mean().item(), 4), iou_within=round(m_dec['iou_within'].median().item(), 3),
                              rel_within=round(m_dec['rel_within'].median().item(), 3)),
           agree_own=round((predictions(rec, test[0]) == predictions(held, test[0])).float().mean().item(), 4))
for m, h in (('ckde30', 0.3), ('ckde30', 0.5), ('ckde30', 1.0), ('ckde', 1.0), ('gmm', 1.0)):
    try: w, _ = sample_models(ae, make_sampler(m, z, props['test_acc'], h=h), 40, seed=0)
    except ValueError as err: res[f'{m}_h{h}'] = str(err); continue
    r = memorization(w, ys)
    res[f'{m}_h{h}'] = dict(acc=round(r['acc'].mean().item(), 4), iou_within=round(r['iou_within'].median().item(), 3),
                           rel_within=round(r['rel_within'].median().item(), 3), rel_nn=round(r['rel_nn'].median().item(), 3),
                           max_iou=round(r['max_iou'].median().item(), 3), ens10=round(ensemble_acc(w[:10], *test), 4))
print(json.dumps(res), flush=True)
