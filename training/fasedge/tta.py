"""Test-time augmentation inside a served model's graph.

A network wrapped in ``TTA`` answers with the mean of its logits over fixed views of the input: the
image itself, shifted by ``shift`` pixels left, right, up and down (edge pixels repeated), and the
mirror image of each of those. The views are the training augmentation's own operations
(``dataset.augment``: flip first, then the shift), so the network has seen every one of them. The
wrapper exports to plain ONNX (a Gather or two per view, Concat, Reshape and ReduceMean around the
network), so the served file takes the same [N, 3, H, W] input and gives the same [N, 2]
logits as the bare network: nothing outside the file needs to know about the views.

The cost is one network run per view: ``views()`` times the network's MACs per frame.

    sh training/py -m fasedge.tta --run runs/xlarge-tta           # the run's teacher with 1, 2, 5 and 10 views
    sh training/py -m fasedge.tta --run runs/t40 --stage cross-teacher
    sh training/py -m fasedge.tta --run runs/t40f --stage student      # the distilled student (fp32)

``main`` measures what the views buy: the run's network of ``--stage`` (a teacher by default; the
students too, to weigh views against the student's cost per frame) exported with each view set (none,
mirror only, shifts only, both), each file scored in onnxruntime-web on the exact serving inputs of
the run's val and test frames, the threshold chosen on val by the pipeline's rule and applied to
test (the pipeline's evaluate stage, for each view set). Output in ``<run>/tta-<stage>.json``;
nothing here ships.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import torch
from torch import nn

View = Tuple[int, int, int]  # (mirrored 0/1, dx, dy): out[y, x] = mirrored[clamp(y - dy), clamp(x - dx)]


@dataclass
class TTAConfig:
    """Views a served model averages its logits over (saved in the pipeline config and the manifest)."""

    flip: bool = True  # also run the mirror image of every view
    shift: int = 2  # also run the image shifted by +-shift pixels along x and along y, edge replicated (0: no shifted views)

    def views(self) -> List[View]:
        """The views, the unchanged image first: 1, 2, 5 or 10 of them."""
        shifts = [(0, 0)] + ([(self.shift, 0), (-self.shift, 0), (0, self.shift), (0, -self.shift)] if self.shift else [])
        return [(m, dx, dy) for m in ((0, 1) if self.flip else (0,)) for dx, dy in shifts]

    def to_manifest(self) -> dict:
        return {"views": len(self.views()), "flip": bool(self.flip), "shift": int(self.shift), "combine": "mean of logits"}


def view_index(view: View, h: int, w: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices of ``view`` for an h x w image: ``out = x[..., rows, :][..., cols]``
    (``dataset.augment``'s gather: the mirror first, then the shift with edge pixels repeated)."""
    m, dx, dy = view
    cols = (torch.arange(w) - dx).clamp(0, w - 1)
    if m:
        cols = w - 1 - cols
    return (torch.arange(h) - dy).clamp(0, h - 1), cols


class TTA(nn.Module):
    """``net`` answering with the mean of its logits over ``cfg.views()`` of [N, C, *size] inputs."""

    def __init__(self, net: nn.Module, cfg: TTAConfig, size: Tuple[int, int]):
        super().__init__()
        self.net = net
        self.views = cfg.views()
        h, w = int(size[0]), int(size[1])
        for k, view in enumerate(self.views):
            rows, cols = view_index(view, h, w)
            self.register_buffer(f"rows{k}", rows, persistent=False)
            self.register_buffer(f"cols{k}", cols, persistent=False)

    def _view(self, x: torch.Tensor, k: int) -> torch.Tensor:
        m, dx, dy = self.views[k]
        if dy:
            x = x.index_select(2, getattr(self, f"rows{k}"))
        if m or dx:
            x = x.index_select(3, getattr(self, f"cols{k}"))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.net(torch.cat([self._view(x, k) for k in range(len(self.views))]))
        return z.reshape(len(self.views), -1, z.shape[-1]).mean(0)


def wrap(net: nn.Module, cfg: TTAConfig, size: Tuple[int, int]) -> nn.Module:
    """``net`` itself when ``cfg`` has a single view, else ``TTA(net, cfg, size)``."""
    return net if len(cfg.views()) == 1 else TTA(net, cfg, size)


#: the run's networks ``measure`` can score: the teachers and the fp32 students of both protocols
STAGES = ("teacher", "student", "ablation", "cross-teacher", "cross-student", "cross-ablation")

#: the view sets ``main`` compares: none, mirror only, shifts only, both
VIEW_SETS = (TTAConfig(flip=False, shift=0), TTAConfig(flip=True, shift=0), TTAConfig(flip=False, shift=2), TTAConfig(flip=True, shift=2))


def measure(run: Path, stage: str = "teacher", view_sets=VIEW_SETS, log=print, jobs: int = 2) -> Dict[str, dict]:
    """Val and test metrics of the run's ``stage`` network (one of ``STAGES``) served with each view
    set, in onnxruntime-web on the exact serving inputs; val and test are the frames the pipeline's
    evaluate stage of that protocol scored."""
    from .dataset import load_frames, read_rows
    from .export import export_fp32, ort_logits
    from .metrics import choose_threshold, evaluate
    from .pipeline import exact_inputs
    from .preprocess import PreprocessConfig
    from .train import load_checkpoint, load_model, scores_from_logits

    if stage not in STAGES:
        raise ValueError(f"stage {stage!r}: expected one of {STAGES}")
    run = Path(run)
    ck = load_checkpoint(json.loads((run / stage / "done.json").read_text())["checkpoint"])
    pcfg = PreprocessConfig.from_manifest(ck["preprocess"])
    net = load_model(ck)
    csv = Path(json.loads((run / "data" / "done.json").read_text())["manifest"])
    frames = load_frames(csv, pcfg, run / "cache", log=lambda s: None)
    prefix = "cross-" if stage.startswith("cross-") else ""
    idx = np.load(run / f"{prefix}evaluate" / "teacher-fp32.scores.npz")
    vi, ti = idx["val_idx"], idx["test_idx"]
    rows = read_rows(csv)
    t0 = time.time()
    xv, xt = exact_inputs(rows, csv.parent, vi, pcfg), exact_inputs(rows, csv.parent, ti, pcfg)
    log(f"[tta] exact inputs for {len(vi)} val + {len(ti)} test frames in {time.time() - t0:.0f}s")
    lab = np.where(frames.label == 1, "bonafide", "attack")
    out = {}
    for cfg in view_sets:
        name = f"{len(cfg.views())} view{'s' if len(cfg.views()) > 1 else ''} (flip {cfg.flip}, shift {cfg.shift})"
        t0 = time.time()
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"{stage}.onnx"
            export_fp32(wrap(net, cfg, pcfg.size).eval(), path, (1, 3, *pcfg.size))
            both = ort_logits(path, np.concatenate([xv, xt]), jobs=jobs)
        s = scores_from_logits(both)
        sv, st = s[: len(vi)], s[len(vi) :]
        thr = choose_threshold(sv, lab[vi] == "bonafide", frames.species[vi])
        out[name] = {"tta": asdict(cfg), "views": len(cfg.views()), "threshold": thr, "val": evaluate(sv, lab[vi], frames.species[vi], thr), "test": evaluate(st, lab[ti], frames.species[ti], thr)}
        v, t = out[name]["val"], out[name]["test"]
        log(f"[tta] {name}: val ACER {v['acer']:.4f} AUC {v['auc']:.4f} | test ACER {t['acer']:.4f} AUC {t['auc']:.4f} EER {t['eer']:.4f} APCER {t['apcer']:.4f} BPCER {t['bpcer']:.4f} ({time.time() - t0:.0f}s)")
    (run / f"tta-{stage}.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fasedge.tta", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished pipeline run (the stage's checkpoint and the protocol's evaluate stage)")
    ap.add_argument("--stage", default="teacher", choices=STAGES, help="which of the run's networks")
    ap.add_argument("--jobs", type=int, default=2, help="onnxruntime-web processes (one thread each)")
    args = ap.parse_args(argv)
    measure(Path(args.run), args.stage, jobs=args.jobs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
