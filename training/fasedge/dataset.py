"""Dataset cache and tensor augmentation.

Every frame of a manifest.csv (the data contract of ``fasedge.data``) is cropped and resized once
with ``fasedge.preprocess`` (the exact serving rules) and stored as float16 pixel values in 0..255
(``cache.npz``; the float16 rounding is below 0.07 of a grey level). Normalisation and augmentation
then run on batches of tensors. Augmentation parameters can be drawn from a fixed table so that a
teacher's logits for a given (frame, view) can be computed once and reused by the student.
"""
from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .preprocess import PreprocessConfig, crop_resize, load_rgb

COLUMNS = ["path", "label", "species", "instrument", "subject", "split", "box_x", "box_y", "box_w", "box_h", "source"]


def read_rows(manifest_csv: Path) -> List[Dict[str, str]]:
    with open(manifest_csv, newline="") as f:
        return list(csv.DictReader(f))


def row_box(row: Dict[str, str]) -> Optional[List[float]]:
    vals = [row.get(k, "") for k in ("box_x", "box_y", "box_w", "box_h")]
    if any(v is None or str(v).strip() == "" for v in vals):
        return None
    return [float(v) for v in vals]


def _prep_one(args):
    path, box, cfg = args
    return crop_resize(load_rgb(path), box, cfg).astype(np.float16)


@dataclass
class Frames:
    """Cached frames of one dataset: pixels [N, H, W, 3] float16 (0..255) plus metadata arrays."""

    pixels: np.ndarray
    label: np.ndarray  # 1 bona fide, 0 attack
    species: np.ndarray
    instrument: np.ndarray
    subject: np.ndarray
    split: np.ndarray
    path: np.ndarray

    def select(self, mask: np.ndarray) -> "Frames":
        return Frames(*(getattr(self, k)[mask] for k in ("pixels", "label", "species", "instrument", "subject", "split", "path")))

    def __len__(self) -> int:
        return len(self.label)


def cache_key(manifest_csv: Path, cfg: PreprocessConfig) -> str:
    h = hashlib.sha256()
    h.update(Path(manifest_csv).read_bytes())
    h.update(json.dumps(cfg.to_manifest(), sort_keys=True).encode())
    return h.hexdigest()[:16]


def load_frames(manifest_csv: Path | str, cfg: PreprocessConfig, cache_dir: Path | str, workers: int = 2, log=print) -> Frames:
    """Preprocesses all frames of ``manifest_csv`` (or loads them from ``cache_dir``)."""
    manifest_csv = Path(manifest_csv)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = cache_dir / f"frames-{cache_key(manifest_csv, cfg)}.npz"
    rows = read_rows(manifest_csv)
    if cache.exists():
        pixels = np.load(cache)["pixels"]
    else:
        root = manifest_csv.parent
        jobs = [(root / r["path"], row_box(r), cfg) for r in rows]
        log(f"[cache] preprocessing {len(jobs)} frames -> {cache}")
        if workers > 1:
            with get_context("spawn" if torch.__version__ >= "2" else "fork").Pool(workers) as pool:
                out = pool.map(_prep_one, jobs, chunksize=64)
        else:
            out = [_prep_one(j) for j in jobs]
        pixels = np.stack(out) if out else np.zeros((0, cfg.size[0], cfg.size[1], 3), np.float16)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, pixels=pixels)
        tmp.replace(cache)
    arr = lambda k: np.array([r[k] for r in rows])
    return Frames(pixels, (arr("label") == "bonafide").astype(np.int64), arr("species"), arr("instrument"), arr("subject"), arr("split"), arr("path"))


@dataclass
class AugmentConfig:
    """Tensor augmentation applied to training batches (pixel space, before normalisation)."""

    flip: bool = True  # random horizontal flip
    shift: int = 4  # random translation up to +-shift pixels (edge replicated)
    brightness: float = 0.08  # additive brightness jitter, fraction of 255 (off in the shipped run: black level and contrast are attack cues)
    contrast: float = 0.10  # multiplicative contrast jitter around the mean (off in the shipped run, same reason)
    views: int = 4  # augmented views per frame in the teacher-logit table (view 0 = unaugmented)


def draw_params(n: int, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """[n, 5] augmentation parameters: flip, dx, dy, brightness, contrast."""
    p = np.zeros((n, 5), dtype=np.float32)
    if cfg.flip:
        p[:, 0] = rng.random(n) < 0.5
    if cfg.shift > 0:
        p[:, 1:3] = rng.integers(-cfg.shift, cfg.shift + 1, size=(n, 2))
    p[:, 3] = rng.uniform(-cfg.brightness, cfg.brightness, n) * 255.0
    p[:, 4] = 1.0 + rng.uniform(-cfg.contrast, cfg.contrast, n)
    return p


def view_table(n: int, cfg: AugmentConfig, seed: int) -> np.ndarray:
    """[views, n, 5] fixed augmentation parameters; view 0 is the identity."""
    rng = np.random.default_rng(seed)
    t = np.stack([draw_params(n, cfg, rng) for _ in range(max(1, cfg.views))])
    t[0] = 0.0
    t[0, :, 4] = 1.0
    return t


def augment(pix: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Applies per-sample parameters to float pixels [B, H, W, 3] (0..255); returns [B, H, W, 3]."""
    b, h, w, _ = pix.shape
    # one gather for the whole batch: the flip (mirror columns), then the shift with edge pixels
    # repeated, i.e. out[i, y, x] = flipped_i[clamp(y - dy_i), clamp(x - dx_i)]
    dx, dy = params[:, 1].long().view(b, 1), params[:, 2].long().view(b, 1)
    xs = (torch.arange(w).view(1, w) - dx).clamp(0, w - 1)
    xs = torch.where((params[:, 0] > 0.5).view(b, 1), w - 1 - xs, xs)
    ys = (torch.arange(h).view(1, h) - dy).clamp(0, h - 1)
    out = pix[torch.arange(b).view(b, 1, 1), ys.view(b, h, 1), xs.view(b, 1, w)]
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * params[:, 4].view(b, 1, 1, 1) + mean + params[:, 3].view(b, 1, 1, 1)
    return out.clamp(0.0, 255.0)


def to_input(pix: torch.Tensor, cfg: PreprocessConfig) -> torch.Tensor:
    """Float pixels [B, H, W, 3] (0..255) -> normalised NCHW float32 (README step 3), channels-last memory."""
    mean = torch.tensor(cfg.mean, dtype=torch.float32).view(1, 1, 1, 3)
    std = torch.tensor(cfg.std, dtype=torch.float32).view(1, 1, 1, 3)
    x = (pix.float() * cfg.scale - mean) / std
    return x.permute(0, 3, 1, 2)
