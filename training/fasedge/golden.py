"""The golden fixture of models/README.md: one bona fide frame (PNG and JPEG), its face box, and per
model the expected input tensors, their statistics and the onnxruntime-web logits."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Sequence

import cv2
import numpy as np

from .export import ort_logits
from .preprocess import PreprocessConfig, load_rgb, preprocess


def tensor_stats(x: np.ndarray) -> dict:
    x64 = x.astype(np.float64)
    return {
        "mean": float(x64.mean()),
        "std": float(x64.std()),
        "min": float(x64.min()),
        "max": float(x64.max()),
        "channelMean": [float(v) for v in x64[0].reshape(x64.shape[1], -1).mean(axis=1)],
    }


def write_jpeg(path: Path, rgb: np.ndarray) -> None:
    params = [cv2.IMWRITE_JPEG_QUALITY, 90]
    if hasattr(cv2, "IMWRITE_JPEG_SAMPLING_FACTOR"):
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[:, :, ::-1]), params):
        raise RuntimeError(f"cannot write {path}")


def write_golden(out_dir: Path, rgb: np.ndarray, box: Sequence[float] | None, models: Dict[str, dict], source: str) -> dict:
    """Writes frame.png, frame.jpg, per-model tensors and golden.json into ``out_dir``.

    ``models`` maps model id -> {"onnx": path, "preprocess": manifest preprocess dict, "bonafideIndex": 1}.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.f32"):
        old.unlink()
    if not cv2.imwrite(str(out_dir / "frame.png"), np.ascontiguousarray(rgb[:, :, ::-1])):
        raise RuntimeError("cannot write frame.png")
    write_jpeg(out_dir / "frame.jpg", rgb)
    png_rgb = load_rgb(out_dir / "frame.png")
    assert np.array_equal(png_rgb, rgb), "PNG round trip changed pixels"
    jpg_rgb = load_rgb(out_dir / "frame.jpg")
    doc = {
        "image": "frame.png",
        "jpeg": "frame.jpg",
        "box": [float(v) for v in box] if box is not None else None,
        "imageSize": [int(rgb.shape[0]), int(rgb.shape[1])],
        "source": source,
        "tolerance": {"pngInput": 1e-4, "logits": 1e-3},
        "models": {},
    }
    for mid, spec in models.items():
        cfg = PreprocessConfig.from_manifest(spec["preprocess"])
        x = preprocess(png_rgb, box, cfg)
        xj = preprocess(jpg_rgb, box, cfg)
        x.astype("<f4").tofile(out_dir / f"{mid}.input.f32")
        xj.astype("<f4").tofile(out_dir / f"{mid}.jpeg-input.f32")
        logits = ort_logits(spec["onnx"], x)[0].astype(np.float64)
        z = np.exp(logits - logits.max())
        p = z / z.sum()
        doc["models"][mid] = {
            "input": f"{mid}.input.f32",
            "jpegInput": f"{mid}.jpeg-input.f32",
            "shape": list(x.shape),
            "stats": tensor_stats(x),
            "jpegStats": tensor_stats(xj),
            "logits": [float(v) for v in logits],
            "score": float(p[spec.get("bonafideIndex", 1)]),
        }
    (out_dir / "golden.json").write_text(json.dumps(doc, indent=2) + "\n")
    return doc


def pick_frame(rows: List[dict]) -> dict:
    """A bona fide test frame with a face box, preferring a non-square image (first by path)."""
    cands = [r for r in rows if r["label"] == "bonafide" and r["split"] == "test" and all(str(r.get(k, "")).strip() for k in ("box_x", "box_y", "box_w", "box_h"))]
    if not cands:
        cands = [r for r in rows if r["label"] == "bonafide"]
    cands.sort(key=lambda r: r["path"])
    return cands
