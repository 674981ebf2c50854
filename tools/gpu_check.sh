#!/usr/bin/env bash
# The CUDA paths in a few minutes, one JSON line per figure: the engine against the nn.Module + Adam reference
# on the GPU, bench engine at P = 1000 and 10000, a tiny reproduce with --device cuda, and a 2-GPU torchrun zoo where
# two GPUs exist. Without a GPU it prints {"cuda": false} and exits 0. Run it on a machine with a GPU after tools/setup.sh:
#   bash tools/setup.sh && bash tools/gpu_check.sh | tee gpu_check.jsonl
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
HR=${HR:-.venv/bin/hyperrep}
OUT=${OUT:-$(mktemp -d)}
$PY - <<'EOF' || exit 1
import json, torch
info = dict(cuda=torch.cuda.is_available(), torch=torch.__version__)
if info['cuda']: info.update(gpus=torch.cuda.device_count(), name=torch.cuda.get_device_name(0))
print(json.dumps(info), flush=True)
EOF
$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)" || exit 0
t0=$(date +%s)
$PY - <<'EOF'
import json, torch
from hyperrep_nb.engine import init_params, reference_check
from hyperrep_nb.data import load_dataset
d = load_dataset('digits')
x, y = d.train
for act, per_model, init in (('tanh', False, 'uniform01'), ('tanh', True, 'kaiming_uniform'), ('gelu', True, 'kaiming_uniform')):
    w = torch.stack([init_params(s, init) for s in range(1, 6)])
    r = reference_check(w.cuda(), x, y, act=act, per_model=per_model)
    print(json.dumps(dict(check='engine_vs_reference', device='cuda', act=act, per_model=per_model, **{k: float(v) for k, v in r.items()},
                          ok=max(r.values()) < 1e-4)), flush=True)
EOF
$PY -m hyperrep_nb.bench engine --device cuda --P 1000 10000 --seconds 3
timeout 900 $HR reproduce --preset tiny --device cuda --quiet --out "$OUT/tiny-cuda" > "$OUT/tiny.log" 2>&1
echo "{\"check\": \"reproduce_tiny_cuda\", \"rc\": $?, \"report\": $(test -f "$OUT/tiny-cuda/report.json" && echo true || echo false)}"
if [ "$($PY -c 'import torch; print(torch.cuda.device_count())')" -ge 2 ]; then
  s=$(date +%s)
  timeout 900 .venv/bin/torchrun --nproc_per_node 2 -m hyperrep_nb.cli zoo --models 200 --epochs 2 --device cuda --quiet --out "$OUT/zoo2.pt" > "$OUT/zoo2.log" 2>&1
  echo "{\"check\": \"torchrun_zoo_2gpu\", \"rc\": $?, \"seconds\": $(( $(date +%s) - s ))}"
fi
echo "{\"check\": \"total\", \"seconds\": $(( $(date +%s) - t0 ))}"
