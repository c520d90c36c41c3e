"""Helpers shared by the dataset adapters."""
from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import cv2

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def image_size(path) -> tuple[int, int]:
    """(width, height) of a PNG or JPEG from its header; other formats are decoded."""
    with open(path, "rb") as f:
        head = f.read(32)
        if head[:8] == b"\x89PNG\r\n\x1a\n":
            w, h = struct.unpack(">II", head[16:24])
            return int(w), int(h)
        if head[:2] == b"\xff\xd8":
            f.seek(2)
            while True:
                marker = f.read(2)
                if len(marker) < 2 or marker[0] != 0xFF:
                    break
                m = marker[1]
                if m in (0xD8, 0x01) or 0xD0 <= m <= 0xD7:
                    continue
                seg = f.read(2)
                if len(seg) < 2:
                    break
                length = struct.unpack(">H", seg)[0]
                if m in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    data = f.read(5)
                    h, w = struct.unpack(">HH", data[1:5])
                    return int(w), int(h)
                f.seek(length - 2, os.SEEK_CUR)
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"cannot read image {path}")
    return int(img.shape[1]), int(img.shape[0])


def half_up(v: float) -> int:
    return int(v + 0.5) if v >= 0 else -int(-v + 0.5)


def clip_box(x: float, y: float, w: float, h: float, width: int, height: int):
    """Integer box clipped to the frame, or None when nothing of it is inside."""
    x0, y0 = max(0, half_up(x)), max(0, half_up(y))
    x1, y1 = min(width, half_up(x + w)), min(height, half_up(y + h))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def stable_fraction(key: str, salt: str = "") -> float:
    """A number in [0, 1) fixed by ``key`` (for deterministic subject hold-outs)."""
    digest = hashlib.sha256((salt + "\0" + key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def relative_to(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` with forward slashes (``..`` allowed)."""
    return Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix()


def box_columns(box) -> dict:
    if box is None:
        return {"box_x": None, "box_y": None, "box_w": None, "box_h": None}
    return {"box_x": box[0], "box_y": box[1], "box_w": box[2], "box_h": box[3]}
