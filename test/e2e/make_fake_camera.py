"""Candidate frames for the browser tests' fake camera.

Generates a small synthetic dataset with the project's generator (bona fide faces and print,
replay and mask attacks), then places each face in a camera-sized frame so that the demo page's
oval (the face guide box given on the command line) covers the face the way the model's crop
expects: the service's crop around the guide box shows what the model's crop around the dataset's
face box shows. Each candidate is written as raw I420 (what a .y4m frame holds) and as a PNG of
that I420 frame converted back to RGB (what the browser will see), with candidates.json listing
them. Run with training/py: sh training/py test/e2e/make_fake_camera.py --out DIR --guide X,Y,W,H
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np

from fasedge.data import generate_dataset, read_manifest


def crop_window(width: int, height: int, box, crop_scale: float):
    """The square crop of models/README.md (floor(v + 0.5) rounding, clamped inside the image)."""
    x, y, w, h = box
    side = math.floor(max(w, h) * crop_scale + 0.5)
    side = max(1, min(side, width, height))
    cx, cy = x + w / 2, y + h / 2
    x0 = min(max(math.floor(cx - side / 2 + 0.5), 0), width - side)
    y0 = min(max(math.floor(cy - side / 2 + 0.5), 0), height - side)
    return x0, y0, side


def place(rgb: np.ndarray, box, guide, frame_w: int, frame_h: int, crop_scale: float) -> np.ndarray:
    """The image scaled and shifted so that its model crop lands on the service's crop of the guide."""
    h0, w0 = rgb.shape[:2]
    x0, y0, side0 = crop_window(w0, h0, box, crop_scale)
    xs, ys, sides = crop_window(frame_w, frame_h, guide, crop_scale)
    k = sides / side0
    matrix = np.float32([[k, 0, xs - x0 * k + (k - 1) / 2], [0, k, ys - y0 * k + (k - 1) / 2]])
    return cv2.warpAffine(rgb, matrix, (frame_w, frame_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def rgb_to_i420(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited range, 4:2:0 with 2x2 averaged chroma (as libyuv reads it back)."""
    f = rgb.astype(np.float64)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    h, w = y.shape
    sub = lambda c: c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    planes = [np.clip(np.floor(p + 0.5), 0, 255).astype(np.uint8) for p in (y, sub(u), sub(v))]
    return np.concatenate([p.reshape(-1) for p in planes])


def i420_to_rgb(i420: np.ndarray, w: int, h: int) -> np.ndarray:
    y = i420[: w * h].reshape(h, w).astype(np.float64)
    u = i420[w * h : w * h + w * h // 4].reshape(h // 2, w // 2).astype(np.float64)
    v = i420[w * h + w * h // 4 :].reshape(h // 2, w // 2).astype(np.float64)
    u = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1) - 128
    v = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1) - 128
    c = 1.164 * (y - 16)
    rgb = np.stack([c + 1.596 * v, c - 0.392 * u - 0.813 * v, c + 2.017 * u], axis=-1)
    return np.clip(np.floor(rgb + 0.5), 0, 255).astype(np.uint8)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="folder for the candidates (created)")
    p.add_argument("--guide", required=True, help="face guide box X,Y,W,H in frame pixels")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--crop-scale", type=float, required=True, help="the serving student's cropScale")
    p.add_argument("--seed", type=int, default=2027, help="dataset seed (not the training seed)")
    p.add_argument("--attacks-per-instrument", type=int, default=4)
    args = p.parse_args(argv)
    if args.width % 2 or args.height % 2:
        p.error("width and height must be even (4:2:0)")
    guide = [int(v) for v in args.guide.split(",")]
    out = Path(args.out).resolve()
    csv_path = generate_dataset(out / "dataset", seed=args.seed, preset="tiny", workers=1)
    rows = read_manifest(csv_path)
    bona = [r for r in rows if r["label"] == "bonafide"]
    attacks: list[dict] = []
    for instrument in sorted({r["instrument"] for r in rows if r["label"] == "attack"}):
        attacks += [r for r in rows if r["instrument"] == instrument][: args.attacks_per_instrument]
    candidates = []
    for i, row in enumerate(bona + attacks):
        bgr = cv2.imread(str(row["path"]), cv2.IMREAD_COLOR)
        if bgr is None or row.get("box_w") in (None, ""):
            continue
        box = [int(row["box_x"]), int(row["box_y"]), int(row["box_w"]), int(row["box_h"])]
        frame = place(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), box, guide, args.width, args.height, args.crop_scale)
        i420 = rgb_to_i420(frame)
        name = f"cand-{i:03d}"
        (out / f"{name}.yuv").write_bytes(i420.tobytes())
        seen = i420_to_rgb(i420, args.width, args.height)
        cv2.imwrite(str(out / f"{name}.png"), cv2.cvtColor(seen, cv2.COLOR_RGB2BGR))
        candidates.append({
            "id": name, "label": row["label"], "species": row["species"], "instrument": row["instrument"],
            "source": str(Path(row["path"]).relative_to(out)), "png": f"{name}.png", "yuv": f"{name}.yuv",
        })
    (out / "candidates.json").write_text(json.dumps({
        "width": args.width, "height": args.height, "guide": guide, "seed": args.seed, "candidates": candidates,
    }, indent=1))
    print(f"{len(candidates)} candidates in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
