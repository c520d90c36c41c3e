"""Contact sheet: a grid of examples per species and instrument, so a person can see the data.

``python -m fasedge.data.contact_sheet --manifest data/synthetic/manifest.csv --out reports/data/contact_sheet.jpg``
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from .dataset import read_manifest
from .imaging import read_rgb


def _tile(path: str, box, size: int, draw_box: bool) -> np.ndarray:
    img = read_rgb(path)
    h, w = img.shape[:2]
    s = size / max(h, w)
    img = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    if draw_box and box[0] is not None:
        x, y, bw, bh = [int(round(v * s)) for v in box]
        cv2.rectangle(img, (x, y), (x + bw - 1, y + bh - 1), (60, 255, 60), 1)
    out = np.full((size, size, 3), 24, np.uint8)
    out[:img.shape[0], :img.shape[1]] = img
    return out


def make_contact_sheet(manifest, out_path, per_row: int = 8, tile: int = 112, draw_box: bool = True,
                       split: str | None = None, seed: int = 0) -> Path:
    """Write a JPEG grid: one row per (species, instrument), ``per_row`` examples each."""
    rows = read_manifest(manifest)
    if split:
        rows = [r for r in rows if r["split"] == split]
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["species"], r["instrument"]), []).append(r)
    order = sorted(groups, key=lambda k: (k[0] != "bonafide", k[0], k[1]))
    rng = np.random.default_rng(seed)
    label_w = 150
    lines = []
    for key in order:
        g = groups[key]
        pick = rng.choice(len(g), size=min(per_row, len(g)), replace=False)
        tiles = [_tile(g[i]["path"], (g[i]["box_x"], g[i]["box_y"], g[i]["box_w"], g[i]["box_h"]), tile, draw_box)
                 for i in sorted(pick)]
        while len(tiles) < per_row:
            tiles.append(np.full((tile, tile, 3), 24, np.uint8))
        label = np.full((tile, label_w, 3), 245, np.uint8)
        cv2.putText(label, key[0], (8, tile // 2 - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (20, 20, 20), 1, cv2.LINE_AA)
        cv2.putText(label, key[1], (8, tile // 2 + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (90, 90, 90), 1, cv2.LINE_AA)
        lines.append(np.concatenate([label] + tiles, axis=1))
    sheet = np.concatenate(lines, axis=0)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(out_path.suffix or ".jpg", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR),
                           [int(cv2.IMWRITE_JPEG_QUALITY), 88])
    if not ok:
        raise RuntimeError("encoding the contact sheet failed")
    out_path.write_bytes(buf.tobytes())
    return out_path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fasedge.data.contact_sheet", description=__doc__.splitlines()[0])
    p.add_argument("--manifest", required=True, help="manifest.csv of a dataset")
    p.add_argument("--out", required=True, help="output image (.jpg)")
    p.add_argument("--per-row", type=int, default=8, help="examples per species/instrument row")
    p.add_argument("--tile", type=int, default=112, help="tile size in pixels")
    p.add_argument("--split", default=None, help="only rows of this split")
    p.add_argument("--no-box", action="store_true", help="do not draw the face box")
    p.add_argument("--seed", type=int, default=0, help="which examples are picked")
    a = p.parse_args(argv)
    path = make_contact_sheet(a.manifest, a.out, a.per_row, a.tile, not a.no_box, a.split, a.seed)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
