"""Multi-process training through torchrun: 2 processes, gloo on CPU, DistributedDataParallel."""
import json
import subprocess
import sys

from fasedge.dataset import load_frames
from fasedge.preprocess import PreprocessConfig
from fasedge.train import load_checkpoint


def test_torchrun_two_processes_gloo(tiny_dataset, tmp_path, repo):
    out = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
        # --redirects/--tee 1: torch 1.13's launcher cannot parse its default "0" on Python 3.11
        "--redirects", "1", "--tee", "1",
        str(repo / "training" / "tests" / "ddp_probe.py"),  # fasedge.train, recording each process's batches
        "--arch", "student", "--data", str(tiny_dataset), "--out", str(out),
        "--epochs", "2", "--batch-size", "16", "--threads", "1", "--cache", str(tmp_path / "cache"),
    ]
    env = {"PYTHONPATH": str(repo / "training"), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "DDP_PROBE_OUT": str(tmp_path)}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=str(repo))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    ck = load_checkpoint(out / "model.pt")
    assert ck["world_size"] == 2 and ck["epochs"] == 2 and len(ck["history"]) == 2
    line = next(l for l in r.stdout.splitlines() if '"world_size"' in l)
    assert json.loads(line.split(":", 1)[1] if line.startswith("[") else line)["world_size"] == 2

    # each process trains on its own half of every global batch: disjoint, equal shares, and over an
    # epoch every training frame at most once, in another order each epoch
    ranks = [[json.loads(l) for l in (tmp_path / f"rank{r}.jsonl").read_text().splitlines()] for r in (0, 1)]
    frames = load_frames(tiny_dataset, PreprocessConfig(), tmp_path / "cache", workers=1)
    n_train = int((frames.split == "train").sum())
    steps = n_train // 16
    assert len(ranks[0]) == len(ranks[1]) == 2 * steps
    epochs = []
    for e in range(2):
        seen = []
        for s in range(e * steps, (e + 1) * steps):
            a, b = ranks[0][s], ranks[1][s]
            assert len(a) == len(b) == 8 and not set(a) & set(b)
            seen += a + b
        assert len(set(seen)) == len(seen) == steps * 16
        epochs.append(seen)
    assert epochs[0] != epochs[1]
