"""Training and scoring throughput of the pipeline's networks in fp32 and bf16, measured side by
side in one run (the precisions alternate round by round, so a machine that slows down or speeds
up mid-run affects both alike).

    sh training/py -m fasedge.bench                       # teacher and student, 3 rounds
    sh training/py -m fasedge.bench --arch student --rounds 5 --steps 20

A training step is what ``train_model`` does per batch: ``train_forward`` (augment cached
pixels, normalise, forward under autocast for bf16), loss, backward, AdamW. A scoring step is
``predict_logits`` on a batch (what the kd-cache stage runs). Random pixels stand in for frames:
the cost does not depend on their content. Figures are images per second, median over rounds.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import nets
from .config import PipelineConfig, to_dict
from .dataset import draw_params
from .train import PRECISIONS, cpu_flags, predict_logits, train_forward


def bench(archs=("teacher", "student"), rounds: int = 3, steps: int = 10, batch: int = 64, threads: int = 2, log=print) -> dict:
    torch.set_num_threads(threads)
    cfg = PipelineConfig()
    net_cfg = {"teacher": cfg.teacher, "student": cfg.student}
    rng = np.random.default_rng(0)
    h, w = cfg.preprocess.size
    pixels = (rng.random((batch * steps, h, w, 3)) * 255).astype(np.float16)
    params = draw_params(batch * steps, cfg.augment, rng)
    labels = torch.from_numpy(rng.integers(0, 2, batch * steps))
    out = {"threads": threads, "batch": batch, "steps": steps, "rounds": rounds, "cpuFlags": cpu_flags(), "torch": torch.__version__, "models": {}}
    for arch in archs:
        model = nets.build(arch, to_dict(net_cfg[arch])).to(memory_format=torch.channels_last)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        dev = torch.device("cpu")

        def train_steps(precision: str) -> float:
            model.train()
            t0 = time.perf_counter()
            for s in range(steps):
                b = slice(s * batch, (s + 1) * batch)
                _, z = train_forward(model, pixels[b], torch.from_numpy(params[b]), cfg.preprocess, dev, precision)
                loss = F.cross_entropy(z, labels[b])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            return batch * steps / (time.perf_counter() - t0)

        def score(precision: str) -> float:
            t0 = time.perf_counter()
            predict_logits(model, pixels, cfg.preprocess, batch=256, params=params, precision=precision)
            return len(pixels) / (time.perf_counter() - t0)

        for p in PRECISIONS:  # warm-up: oneDNN builds its kernels on first use
            train_steps(p)
            score(p)
        runs = {p: {"train": [], "score": []} for p in PRECISIONS}
        for r in range(rounds):
            for p in PRECISIONS if r % 2 == 0 else PRECISIONS[::-1]:
                runs[p]["train"].append(train_steps(p))
                runs[p]["score"].append(score(p))
        med = {p: {k: statistics.median(v) for k, v in runs[p].items()} for p in PRECISIONS}
        out["models"][arch] = {"imgPerS": med, "rounds": runs, "bf16OverFp32": {k: med["bf16"][k] / med["fp32"][k] for k in ("train", "score")}}
        log(f"{arch:8s} train fp32 {med['fp32']['train']:7.0f} img/s  bf16 {med['bf16']['train']:7.0f} img/s  ({med['bf16']['train'] / med['fp32']['train']:.2f}x) | "
            f"score fp32 {med['fp32']['score']:7.0f} img/s  bf16 {med['bf16']['score']:7.0f} img/s  ({med['bf16']['score'] / med['fp32']['score']:.2f}x)")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", action="append", choices=("teacher", "student"), help="network(s) to measure (default: both)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10, help="batches per measurement")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default="", help="also write the figures to this file")
    args = ap.parse_args(argv)
    res = bench(tuple(args.arch or ("teacher", "student")), args.rounds, args.steps, args.batch, args.threads)
    print(f"cpu flags: {' '.join(res['cpuFlags']) or 'unknown'}; torch {res['torch']}, {res['threads']} threads, batch {res['batch']}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
