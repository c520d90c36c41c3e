"""Mask attack: a person (the *wearer*) presents a mask made from the target's face.

Instruments:

- ``mask_a``: a paper cut-out mask: the target's photo printed (gamut and dynamic-range
  compression, fibre texture, light dither), cut along the face outline with a ragged paper edge
  and a white cut margin, eye holes, lit as a flat or slightly curved sheet, casting a shadow on
  the wearer.
- ``mask_b``: a rigid 3D mask (resin or latex): the target's face with the skin micro-texture
  smoothed away, paint-like uniform colour, plastic sheen on the forehead, nose and cheeks, a soft
  seam at the edge and deep shadows in the eye holes.

Close-ups use a large full-head mask whose edge lies outside a 1.5x crop around the face box.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..imaging import Camera, apply_camera, channel_mean, fractal_noise, jpeg_roundtrip, smooth_noise, to_float, to_uint8
from .common import AttackResult, box_outline, sample_intensity
from .print import print_surface

#: Parameter ranges per mask type, at ``intensity = 1``.
MASKS = {
    "mask_a": {
        "material": "paper",
        "misalign": (0.01, 0.05),        # offset of the mask from the wearer, share of the box
        "edge_jag": (0.01, 0.04),        # raggedness of the cut, share of the box
        "edge_white": (0.3, 0.9),        # visibility of the white cut edge
        "shadow": (0.15, 0.45),          # cast shadow strength on the wearer
        "flat_light": (0.1, 0.35),       # planar lighting gradient across the sheet
        "eye_shadow": (0.2, 0.6),        # darkening of the wearer's eyes behind the holes
    },
    "mask_b": {
        "material": "resin",
        "misalign": (0.0, 0.03),
        "smooth": (2.0, 5.0),            # spatial smoothing of the skin, pixels
        "uniform": (0.2, 0.6),           # pull of the colour toward one paint tone
        "sheen": (0.05, 0.25),            # specular plastic highlights
        "seam": (0.15, 0.5),             # darkness of the soft edge seam
        "eye_shadow": (0.25, 0.6),
    },
}


def _lerp(a, b, t):
    return a + (b - a) * t


def default_eye_points(box) -> np.ndarray:
    """Eye centres estimated from a frontal face box (x, y, w, h)."""
    x, y, w, h = [float(v) for v in box]
    return np.array([[x + 0.31 * w, y + 0.41 * h], [x + 0.69 * w, y + 0.41 * h]])


def mask_attack(image: np.ndarray, box, rng: np.random.Generator | int | None = None, *,
                instrument: str = "mask_a", intensity: float | None = None, closeup: bool | None = None,
                wearer: np.ndarray | None = None, eyes=None, out_size: tuple | None = None,
                camera: Camera | None = None, source_jpeg: int | None = None) -> AttackResult:
    """Turn a bona fide image into a mask presentation.

    image: the target's photo, RGB; box: its face box (x, y, w, h). wearer: the frame of the
    person wearing the mask, same size, face at the same place (default: ``image`` itself, i.e.
    the mask is worn over the same face). eyes: two (x, y) eye centres in the frame (default:
    estimated from the box). instrument: a key of :data:`MASKS`. closeup: full-head mask whose
    edge is outside a 1.5x face crop. Other arguments as in the print and replay simulators.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if instrument not in MASKS:
        raise ValueError(f"unknown mask {instrument!r}; choose from {sorted(MASKS)}")
    spec = MASKS[instrument]
    target = to_float(image)
    if source_jpeg:
        target = jpeg_roundtrip(target, source_jpeg)
    person = target.copy() if wearer is None else to_float(wearer)
    if person.shape[:2] != target.shape[:2]:
        raise ValueError("wearer and image must have the same size")
    H, W = target.shape[:2]
    i = sample_intensity(rng) if intensity is None else float(intensity)
    closeup = bool(rng.random() < 0.35) if closeup is None else bool(closeup)
    p = {k: float(rng.uniform(*v)) for k, v in spec.items() if isinstance(v, tuple)}
    x, y, w, h = [float(v) for v in box]
    cx, cy = x + w / 2, y + h / 2
    eyes = default_eye_points(box) if eyes is None else np.asarray(eyes, np.float64)

    # mask material
    if spec["material"] == "paper":
        printer = "printer_a" if rng.random() < 0.5 else "printer_b"
        sheet, rect, pp = print_surface(target, rng, printer, i * 0.7, upscale=2, margin=0.0)
        layer = cv2.GaussianBlur(sheet[rect[1]:rect[3], rect[0]:rect[2]], (0, 0), 0.6)
        layer = cv2.resize(layer, (W, H), interpolation=cv2.INTER_AREA)
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        g = rng.normal(0, 1, 2)
        g = g / (np.linalg.norm(g) + 1e-6) * p["flat_light"] * i
        layer = layer * (1.0 + g[0] * (xx - cx) / w + g[1] * (yy - cy) / h)[..., None]
        p["printer"] = printer
    else:
        sig = _lerp(0.5, p["smooth"], i)
        layer = cv2.bilateralFilter(target, 0, 0.12, sig)
        layer = cv2.GaussianBlur(layer, (0, 0), sig * 0.35)
        region_mean = target[int(max(y, 0)):int(y + h), int(max(x, 0)):int(x + w)].reshape(-1, 3).mean(0)
        u = np.float32(p["uniform"] * i)
        layer = layer * (1 - u) + (channel_mean(layer) / (region_mean.mean() + 1e-6)
                                   * region_mean) * u
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        sheen = np.zeros((H, W), np.float32)
        for (sx, sy, rx, ry) in [(0.5, 0.18, 0.22, 0.1), (0.5, 0.55, 0.06, 0.14), (0.28, 0.62, 0.1, 0.07),
                                 (0.72, 0.62, 0.1, 0.07)]:
            px_, py_ = x + sx * w + rng.normal(0, 0.03) * w, y + sy * h + rng.normal(0, 0.03) * h
            sheen += np.exp(-0.5 * (((xx - px_) / (rx * w)) ** 2 + ((yy - py_) / (ry * h)) ** 2))
        layer = layer + (np.float32(p["sheen"] * i) * sheen)[..., None]

    # mask region: an ellipse around the face (large for close-ups), ragged for paper
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    if closeup:
        r = 0.75 * max(w, h) * 1.5
        rx, ry = r, r * 1.1
    else:
        rx, ry = 0.5 * w * rng.uniform(1.0, 1.12), 0.5 * h * rng.uniform(1.02, 1.15)
    ang = np.arctan2(yy - cy, xx - cx)
    q = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
    dist = (q - 1.0) * min(rx, ry)
    if spec["material"] == "paper":
        jag = smooth_noise(rng, (H, W), max(2.0, w / 12))
        dist = dist + jag * np.float32(p["edge_jag"] * w * max(i, 0.3))
        edge_w = 0.8
    else:
        edge_w = _lerp(1.0, 3.0, 1 - i) + 1.0
    region = np.clip(0.5 - dist / edge_w, 0, 1).astype(np.float32)

    # eye holes
    holes = np.zeros((H, W), np.float32)
    hr = 0.1 * w
    for ex, ey in eyes:
        d = np.sqrt(((xx - ex) / (hr * 1.25)) ** 2 + ((yy - ey) / (hr * 0.75)) ** 2) - 1.0
        holes = np.maximum(holes, np.clip(0.5 - d * hr * 0.75 / 1.0, 0, 1))
    alpha = region * (1 - holes)

    # misalignment between the mask and the wearer
    m = p["misalign"] * i
    M = cv2.getRotationMatrix2D((cx, cy), float(rng.normal(0, 3) * i), float(1 + rng.normal(0, m)))
    M[:, 2] += rng.normal(0, m, 2) * [w, h]
    layer = cv2.warpAffine(layer, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    alpha = cv2.warpAffine(alpha, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    region_w = cv2.warpAffine(region, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)

    out = person.copy()
    # the wearer's eyes sit behind the mask: shadowed
    eye_dark = np.float32(1.0 - p["eye_shadow"] * max(i, 0.25))
    out = out * (1 - region_w[..., None] * (1 - eye_dark))
    if spec["material"] == "paper":
        sh = cv2.GaussianBlur(alpha, (0, 0), 0.04 * w + 0.5)
        sh = np.roll(sh, (int(0.02 * h) + 1, int(0.015 * w)), axis=(0, 1))
        out = out * (1 - np.float32(p["shadow"] * i) * sh * (1 - alpha))[..., None]
        out = out * (1 - alpha[..., None]) + layer * alpha[..., None]
        rim = np.clip(alpha * (1 - alpha) * 4, 0, 1) * np.float32(p["edge_white"] * i)
        out = out * (1 - rim[..., None]) + np.float32(0.92) * rim[..., None]
    else:
        out = out * (1 - alpha[..., None]) + layer * alpha[..., None]
        seam = np.clip(region_w * (1 - region_w) * 4, 0, 1) * np.float32(p["seam"] * i)
        out = out * (1 - seam[..., None])
    Wo, Ho = out_size if out_size is not None else (W, H)
    cam = camera if camera is not None else Camera.sample(rng)
    frame = out
    if (Wo, Ho) != (W, H):
        frame = cv2.resize(frame, (Wo, Ho), interpolation=cv2.INTER_AREA)
    frame = apply_camera(frame, cam, rng)
    pts = box_outline(box) @ M[:, :2].T + M[:, 2]
    pts *= [Wo / W, Ho / H]
    from ..imaging import box_from_points
    new_box = box_from_points(pts, Wo, Ho)
    p.update({"jpeg_quality": cam.jpeg_quality})
    return AttackResult(to_uint8(frame), new_box, "mask", instrument, i, closeup, p)
