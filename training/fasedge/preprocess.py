"""Preprocessing of models/README.md, the rules the edge service applies byte for byte.

Square crop around the face box (``cropScale``), separable antialiased triangle resize in float64
with half-pixel centres (``triangle-aa``), per-channel normalisation, NCHW float32. Training uses
the same functions (through a per-dataset cache) so that the networks see at training time exactly
the tensors the service computes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np


@dataclass
class PreprocessConfig:
    """Per-model preprocessing; serialised into manifest.json as ``preprocess``."""

    size: Tuple[int, int] = (80, 80)  # network input [height, width]
    crop_scale: float = 1.5  # side of the square crop = max(box w, h) * crop_scale
    resample: str = "triangle-aa"  # the only resampler of the contract (README step 2)
    channel_order: str = "RGB"  # channel order of the input tensor
    scale: float = 1.0 / 255.0  # pixel values 0..255 are multiplied by this first
    mean: Tuple[float, float, float] = (0.5, 0.5, 0.5)  # subtracted per channel after scaling
    std: Tuple[float, float, float] = (0.5, 0.5, 0.5)  # divisor per channel after the mean

    def to_manifest(self) -> dict:
        return {
            "size": [int(self.size[0]), int(self.size[1])],
            "cropScale": float(self.crop_scale),
            "resample": self.resample,
            "channelOrder": self.channel_order,
            "scale": float(self.scale),
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
        }

    @classmethod
    def from_manifest(cls, d: dict) -> "PreprocessConfig":
        return cls(
            size=tuple(d["size"]),
            crop_scale=float(d["cropScale"]),
            resample=d["resample"],
            channel_order=d["channelOrder"],
            scale=float(d["scale"]),
            mean=tuple(d["mean"]),
            std=tuple(d["std"]),
        )


def _floor_half(v: float) -> int:
    """floor(v + 0.5): rounds halves up, like the TypeScript side (not Python's half-to-even)."""
    return int(math.floor(v + 0.5))


def crop_box(width: int, height: int, box: Optional[Sequence[float]], crop_scale: float) -> Tuple[int, int, int]:
    """Returns (x0, y0, side) of the square crop of README step 1."""
    if box is None:
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side
    x, y, w, h = (float(v) for v in box)
    side = _floor_half(max(w, h) * crop_scale)
    side = max(1, min(side, width, height))
    cx = x + w / 2.0
    cy = y + h / 2.0
    x0 = _floor_half(cx - side / 2.0)
    y0 = _floor_half(cy - side / 2.0)
    x0 = min(max(x0, 0), width - side)
    y0 = min(max(y0, 0), height - side)
    return x0, y0, side


@lru_cache(maxsize=256)
def triangle_weights(n_in: int, n_out: int) -> np.ndarray:
    """The [n_out, n_in] float64 matrix of README step 2 (rows sum to 1)."""
    scale = n_in / n_out
    support = max(scale, 1.0)
    m = np.zeros((n_out, n_in), dtype=np.float64)
    for i in range(n_out):
        c = (i + 0.5) * scale
        lo = max(0, int(math.floor(c - support)))
        hi = min(n_in, int(math.ceil(c + support)))
        j = np.arange(lo, hi, dtype=np.float64)
        w = np.maximum(0.0, 1.0 - np.abs((j + 0.5 - c) / support))
        m[i, lo:hi] = w / w.sum()
    m.setflags(write=False)
    return m


def resize_triangle(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resizes an HxWxC array to size=(height, width) in float64: rows first, then columns."""
    src = img.astype(np.float64, copy=False)
    wy = triangle_weights(src.shape[0], int(size[0]))
    wx = triangle_weights(src.shape[1], int(size[1]))
    h, w, c = src.shape
    tmp = (wy @ src.reshape(h, w * c)).reshape(-1, w, c)  # rows (vertical) first
    return np.matmul(wx[None], tmp)  # then columns: out[o, p, c] = sum_j wx[p, j] * tmp[o, j, c]


def crop_resize(img: np.ndarray, box: Optional[Sequence[float]], cfg: PreprocessConfig) -> np.ndarray:
    """Steps 1-2: RGB uint8 HxWx3 -> float64 [h, w, 3] in 0..255 (not rounded)."""
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {img.shape}")
    height, width = img.shape[:2]
    x0, y0, side = crop_box(width, height, box, cfg.crop_scale)
    crop = img[y0 : y0 + side, x0 : x0 + side]
    return resize_triangle(crop, cfg.size)


def normalise(resized: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    """Step 3: float [h, w, 3] 0..255 -> float32 [1, 3, h, w]."""
    if cfg.channel_order != "RGB":
        raise ValueError(f"unsupported channel order {cfg.channel_order}")
    mean = np.asarray(cfg.mean, dtype=np.float64)
    std = np.asarray(cfg.std, dtype=np.float64)
    x = (resized.astype(np.float64) * cfg.scale - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))


def preprocess(img: np.ndarray, box: Optional[Sequence[float]], cfg: PreprocessConfig) -> np.ndarray:
    """The whole contract: RGB uint8 image (+ optional box) -> float32 NCHW input tensor."""
    return normalise(crop_resize(img, box, cfg), cfg)


def to_rgb8(decoded: np.ndarray) -> np.ndarray:
    """Applies the README's decoding rules to an OpenCV ``IMREAD_UNCHANGED`` result (BGR order)."""
    a = decoded
    if a.dtype == np.uint16:
        a = np.floor(a.astype(np.float64) / 257.0 + 0.5).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise ValueError(f"unsupported sample type {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.shape[2] in (1, 2):  # grey (+ alpha): replicate the grey channel
        return np.ascontiguousarray(np.repeat(a[:, :, :1], 3, axis=2))
    return np.ascontiguousarray(a[:, :, 2::-1])  # BGR(A) -> RGB, alpha dropped


def load_rgb(path: Path | str) -> np.ndarray:
    """Decodes a PNG/JPEG with OpenCV into RGB uint8 HxWx3 following the README's rules."""
    import cv2

    decoded = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise FileNotFoundError(f"cannot decode image {path}")
    return to_rgb8(decoded)
