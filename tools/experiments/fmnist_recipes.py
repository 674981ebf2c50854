"Fashion-MNIST recipe search: 20 models x 5 epochs on 5000 training images (the cpu transfer's setting)."
import sys, json, time, torch
torch.set_num_threads(1)
from hyperrep_nb.zoo import make_zoo, Recipe
from hyperrep_nb.data import load_dataset
data = load_dataset('fashion_mnist')
for spec in sys.argv[1:]:
    init, lr, wd = spec.split(',')
    r = Recipe('fm_try', 'fashion_mnist', init=init, lr=float(lr), wd=float(wd))
    t = time.time()
    z = make_zoo(r, 20, 5, data=data, n_train=5000, seed0=10_001, progress=False)
    a = z.metrics['test_acc']
    print(json.dumps(dict(init=init, lr=float(lr), wd=float(wd), acc=[round(v, 4) for v in a.mean(0).tolist()], std5=round(a[:, -1].std().item(), 4), s=round(time.time() - t))), flush=True)
