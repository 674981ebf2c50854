"""Model zoos written the way the field's own code writes them, for the import tests.

`CNN` and its `initialize_weights` are ModelZoos' `code/model_definitions/def_net.py` (ModelZoos/ModelZooDataset,
MIT licence), shortened to the small CNN; `write_trial` lays files out as their Ray Tune 1.8 trainable
(`NN_tune_trainable`: `params.json`, `result.json`, `checkpoint_<n>/checkpoints`) does; `ModelDatasetBase` stands for
their `checkpoints_to_datasets.dataset_base` class, pickled under its own module name. Nothing here uses hyperrep_nb.
"""
import json, sys, types
from pathlib import Path
import torch, torch.nn as nn


class CNN(nn.Module):
    def __init__(self, channels_in, nlin="leakyrelu", dropout=0.2, init_type="uniform"):
        super().__init__()
        self.module_list = nn.ModuleList()
        self.module_list.append(nn.Conv2d(channels_in, 8, 5))
        self.module_list.append(nn.MaxPool2d(2, 2))
        self.module_list.append(self.get_nonlin(nlin))
        if dropout > 0: self.module_list.append(nn.Dropout(dropout))
        self.module_list.append(nn.Conv2d(8, 6, 5))
        self.module_list.append(nn.MaxPool2d(2, 2))
        self.module_list.append(self.get_nonlin(nlin))
        if dropout > 0: self.module_list.append(nn.Dropout(dropout))
        self.module_list.append(nn.Conv2d(6, 4, 2))
        self.module_list.append(self.get_nonlin(nlin))
        self.module_list.append(nn.Flatten())
        self.module_list.append(nn.Linear(3 * 3 * 4, 20))
        self.module_list.append(self.get_nonlin(nlin))
        if dropout > 0: self.module_list.append(nn.Dropout(dropout))
        self.module_list.append(nn.Linear(20, 10))
        self.initialize_weights(init_type)

    def initialize_weights(self, init_type):
        for m in self.module_list:
            if type(m) == nn.Linear or type(m) == nn.Conv2d:
                if init_type == "xavier_uniform": torch.nn.init.xavier_uniform_(m.weight)
                if init_type == "xavier_normal": torch.nn.init.xavier_normal_(m.weight)
                if init_type == "uniform": torch.nn.init.uniform_(m.weight)
                if init_type == "normal": torch.nn.init.normal_(m.weight)
                if init_type == "kaiming_normal": torch.nn.init.kaiming_normal_(m.weight)
                if init_type == "kaiming_uniform": torch.nn.init.kaiming_uniform_(m.weight)
                m.bias.data.fill_(0.01)

    def get_nonlin(self, nlin):
        return {"leakyrelu": nn.LeakyReLU, "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                "silu": nn.SiLU, "gelu": nn.GELU}[nlin]()

    def forward(self, x):
        for layer in self.module_list: x = layer(x)
        return x


def accuracy(model, x, y):
    "Their test_epoch's accuracy: eval mode, argmax of the logits."
    model.eval()
    with torch.no_grad(): return (model(x).argmax(1) == y).float().mean().item()


def write_trial(root, name, config, train, test, epochs=2, first_checkpoint=0, zero_pad=True):
    """Train one trial as NN_tune_trainable does (their CNN, adam or sgd, batches of the config's size) and write its
    folder: params.json, result.json (one line per step) and checkpoint_<n>/checkpoints (a state dict) per step.
    first_checkpoint=1 writes the older layout: no checkpoint 0, result lines from training_iteration 1."""
    t = Path(root)/name
    t.mkdir(parents=True)
    (t/'params.json').write_text(json.dumps(config))
    torch.manual_seed(config['seed'])
    model = CNN(config['model::channels_in'], config['model::nlin'], config['model::dropout'], config['model::init_type'])
    opt = (torch.optim.Adam if config['optim::optimizer'] == 'adam' else
           lambda p, lr, weight_decay: torch.optim.SGD(p, lr=lr, momentum=0.9, weight_decay=weight_decay))(
        model.parameters(), lr=config['optim::lr'], weight_decay=config['optim::wd'])
    lines = []
    for it in range(epochs + 1):
        if it > 0:
            model.train()
            perm = torch.randperm(len(train[1]))
            for b in perm.split(config['training::batchsize']):
                opt.zero_grad()
                nn.functional.cross_entropy(model(train[0][b]), train[1][b]).backward()
                opt.step()
        lines.append(dict(train_acc=accuracy(model, *train), test_acc=accuracy(model, *test),
                          training_iteration=it + first_checkpoint))
        n = it + first_checkpoint
        c = t/(f'checkpoint_{n:06d}' if zero_pad else f'checkpoint_{n}')
        c.mkdir()
        torch.save(model.state_dict(), c/'checkpoints')
        torch.save(opt.state_dict(), c/'optimizer')
    (t/'result.json').write_text(''.join(json.dumps(l) + '\n' for l in lines))
    return model


GRID = [  # five trials of a ModelZoos hyperparameter grid: activation, dropout, init, optimizer, lr
    dict(nlin='tanh', dropout=0.0, init='uniform', opt='adam', lr=1e-3),
    dict(nlin='relu', dropout=0.5, init='kaiming_uniform', opt='sgd', lr=1e-2),
    dict(nlin='gelu', dropout=0.0, init='normal', opt='adam', lr=1e-4),
    dict(nlin='sigmoid', dropout=0.5, init='kaiming_normal', opt='adam', lr=1e-3),
    dict(nlin='tanh', dropout=0.5, init='kaiming_uniform', opt='sgd', lr=1e-2),
]


def grid_config(g, seed, channels=1):
    return {'model::type': 'CNN', 'model::channels_in': channels, 'model::o_dim': 10, 'model::nlin': g['nlin'],
            'model::dropout': g['dropout'], 'model::init_type': g['init'], 'optim::optimizer': g['opt'],
            'optim::lr': g['lr'], 'optim::wd': 1e-4, 'optim::momentum': 0.9, 'seed': seed,
            'training::batchsize': 10, 'training::epochs_train': 2, 'cuda': False}


def write_grid(root, train, test, epochs=2, first_checkpoint=0):
    "A 5-trial hyperparameter zoo; returns {trial name: (their CNN at its last checkpoint, its config)}."
    out = {}
    for i, g in enumerate(GRID):
        name = f'NN_tune_trainable_{i:05d}_{i}_nlin={g["nlin"]},dropout={g["dropout"]}'
        cfg = grid_config(g, seed=100 + i)
        out[name] = (write_trial(root, name, cfg, train, test, epochs, first_checkpoint), cfg)
    return out


def field_dataset_class():
    "Their ModelDatasetBase, pickled under the module name their code gives it."
    mod = sys.modules.setdefault('checkpoints_to_datasets.dataset_base',
                                 types.ModuleType('checkpoints_to_datasets.dataset_base'))
    sys.modules.setdefault('checkpoints_to_datasets', types.ModuleType('checkpoints_to_datasets'))
    if not hasattr(mod, 'ModelDatasetBase'):
        class ModelDatasetBase(torch.utils.data.Dataset):
            def __init__(self, data_in, paths, epochs, properties):
                self.data_in, self.data_out, self.paths, self.epochs = data_in, data_in, paths, epochs
                self.properties, self.layer_lst, self.mode = properties, [[0, 'conv2d'], [3, 'conv2d'],
                                                                          [6, 'conv2d'], [9, 'fc'], [11, 'fc']], 'vector'
                self.weights_in = torch.stack(data_in)
        ModelDatasetBase.__module__, ModelDatasetBase.__qualname__ = mod.__name__, 'ModelDatasetBase'
        mod.ModelDatasetBase = ModelDatasetBase
    return mod.ModelDatasetBase


def vectorize_checkpoint(sd):
    "Their dataset_auxiliaries.vectorize_checkpoint with use_bias=True: weight then bias, layer by layer."
    keys = sorted({k.rsplit('.', 1)[0] for k in sd}, key=lambda p: int(p.rsplit('.', 1)[1]))
    return torch.cat([t.view(-1) for k in keys for t in (sd[f'{k}.weight'], sd[f'{k}.bias'])])


class Payload:
    "A pickle that runs code when loaded with weights_only=False: it writes a file."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (exec, (f"open({self.marker!r}, 'w').write('ran')",))
