"""Optional training terms, each measured against the run's distilled student.

    sh training/py -m fasedge.variants fourier --run runs/default            # Fourier auxiliary head
    sh training/py -m fasedge.variants fourier --run runs/default --weight 0.5

Trains the run's student once more with one optional term switched on: same data, seed, augmented
views, cached teacher logits and number of epochs as the run's ``student`` stage, so the term is
the only difference. Output in ``<run>/variant-<term>/`` (resumable like the pipeline's stages);
``compare.json`` there holds both students' metrics (PyTorch fp32; threshold chosen on val by the
pipeline's rule, applied to test). Nothing here ships: the pipeline's manifest is not touched.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch

from .config import from_dict, to_dict
from .dataset import load_frames, view_table
from .metrics import choose_threshold, evaluate
from .train import load_model, predict_logits, scores_from_logits, train_model

TERMS = ("fourier",)


def split_metrics(model: torch.nn.Module, frames, pcfg) -> dict:
    """Val and test metrics of one model; the threshold comes from val."""
    out = {}
    scores = {}
    for split in ("val", "test"):
        f = frames.select(frames.split == split)
        scores[split] = (f, scores_from_logits(predict_logits(model, f.pixels, pcfg)))
    fv, sv = scores["val"]
    thr = choose_threshold(sv, fv.label == 1, fv.species)
    for split, (f, s) in scores.items():
        m = evaluate(s, np.where(f.label == 1, "bonafide", "attack"), f.species, thr)
        out[split] = {k: m[k] for k in ("acer", "apcer", "bpcer", "auc", "eer", "threshold")}
    return out


def run_variant(run: Path, term: str, weight: float, log=print) -> dict:
    if term not in TERMS:
        raise ValueError(f"unknown term {term!r} (known: {', '.join(TERMS)})")
    cfg = from_dict(json.loads((run / "config.json").read_text()))
    if cfg.quick:
        log("[variant] note: a --quick run; figures are smoke-test sizes")
    data = json.loads((run / "data" / "done.json").read_text())
    student_done = json.loads((run / "student" / "done.json").read_text())
    pcfg = cfg.preprocess
    frames = load_frames(Path(data["manifest"]), pcfg, run / "cache", workers=cfg.data.workers, log=log)
    train = frames.select(frames.split == "train")
    val = frames.select(frames.split == "val")
    views = view_table(len(train), cfg.augment, cfg.student_train.seed + 17)
    tlog = np.load(run / "kd-cache" / "teacher_logits.npy")
    net = dataclasses.replace(cfg.student, fourier_aux=True)
    kd = dataclasses.replace(cfg.kd, fourier_weight=weight)
    tc = dataclasses.replace(cfg.student_train, epochs=int(student_done["epochs"]), max_wall_s=0.0)
    out = run / f"variant-{term}"
    t0 = time.time()
    ck = train_model("student", to_dict(net), train, val, pcfg, tc, out, cfg.augment, kd=kd, teacher_logits=tlog, views=views, log=log)
    wall = time.time() - t0
    result = {
        "term": term,
        "weight": weight,
        "epochs": tc.epochs,
        "trainWallS": round(wall, 1),
        "data": data.get("dataset", {}).get("preset", data["manifest"]),
        "note": "PyTorch fp32 on the run's cached frames; threshold chosen on val, applied to test; synthetic data",
        "student": split_metrics(load_model(student_done["checkpoint"]), frames, pcfg),
        f"student+{term}": split_metrics(load_model(ck), frames, pcfg),
    }
    (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    for name in ("student", f"student+{term}"):
        m = result[name]
        log(f"[variant] {name:18s} val ACER {m['val']['acer']:.4f} AUC {m['val']['auc']:.4f} | test ACER {m['test']['acer']:.4f} AUC {m['test']['auc']:.4f}")
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fasedge.variants", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("term", choices=TERMS, help="optional term to switch on")
    ap.add_argument("--run", default="runs/default", help="a finished pipeline run (its student and kd-cache stages)")
    ap.add_argument("--weight", type=float, default=0.1, help="weight of the term in the loss (fourier: MSE to the 10x10 spectrum)")
    args = ap.parse_args(argv)
    run_variant(Path(args.run), args.term, args.weight)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
