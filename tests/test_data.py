"Data loaders on local files: the IDX reader, Fashion-MNIST, and torchvision's MNIST path offline."
import gzip, shutil
import numpy as np, pytest, torch
import fastcore.test as ft
from hyperrep_nb.data import load_dataset, read_idx, DataError, MNIST_MEAN, MNIST_STD
from conftest import FMNIST, needs_fmnist

@needs_fmnist
def test_fashion_mnist_splits():
    d = load_dataset('fashion_mnist')
    ft.test_eq([len(d.train[1]), len(d.val[1]), len(d.test[1])], [50_000, 10_000, 10_000])
    ft.test_eq(d.train[0].shape[1:], (1, 28, 28))
    ft.test_close(d.train[0].mean(), 0., eps=0.01)
    ft.test_eq(torch.bincount(d.test[1]).tolist(), [1000] * 10)

@needs_fmnist
def test_mnist_through_torchvision_offline(tmp_path):
    "torchvision's MNIST reads IDX files from ROOT/MNIST/raw; lay out Fashion-MNIST's there, gunzipped."
    raw = tmp_path/'MNIST'/'raw'; raw.mkdir(parents=True)
    for f in FMNIST.glob('*.gz'):
        with gzip.open(f) as src, open(raw/f.stem, 'wb') as dst: shutil.copyfileobj(src, dst)
    d = load_dataset('mnist', root=tmp_path, download=False)
    ft.test_eq([len(d.train[1]), len(d.val[1]), len(d.test[1])], [50_000, 10_000, 10_000])
    want = (torch.from_numpy(read_idx(FMNIST/'t10k-images-idx3-ubyte.gz').copy()).float()[:, None] / 255 - MNIST_MEAN) / MNIST_STD
    ft.test_close(d.test[0], want, eps=1e-6)
    ft.test_eq(d.test[1], torch.from_numpy(read_idx(FMNIST/'t10k-labels-idx1-ubyte.gz').astype(np.int64)))

@pytest.mark.parametrize('name', ['mnist', 'svhn', 'cifar10', 'stl10', 'usps'])
def test_missing_files_say_what_to_do(tmp_path, name):
    with pytest.raises(DataError, match='download=False'): load_dataset(name, root=tmp_path, download=False)

def test_idx_reader_rejects_bad_files(tmp_path):
    (tmp_path/'x').write_bytes(b'\x00\x00\x08\x03' + (5).to_bytes(4, 'big') + (28).to_bytes(4, 'big') * 2 + b'\x00' * 100)
    with pytest.raises(DataError, match='truncated'): read_idx(tmp_path/'x')
    (tmp_path/'y').write_bytes(b'PK\x03\x04garbage')
    with pytest.raises(DataError, match='not an unsigned-byte IDX'): read_idx(tmp_path/'y')

def test_truncated_gzip_is_a_data_error(tmp_path):
    raw = b'\x00\x00\x08\x03' + (5).to_bytes(4, 'big') + (28).to_bytes(4, 'big') * 2 + bytes(5 * 28 * 28)
    gz = gzip.compress(raw)
    (tmp_path/'ok.gz').write_bytes(gz)
    ft.test_eq(read_idx(tmp_path/'ok.gz').shape, (5, 28, 28))
    (tmp_path/'cut.gz').write_bytes(gz[:len(gz) // 2])
    with pytest.raises(DataError, match='truncated or corrupt'): read_idx(tmp_path/'cut.gz')
