"""Replay attack: the bona fide image shown on a display and filmed by the camera.

Cues modelled: the display's pixel and subpixel grid (RGB stripes with a black matrix) resampled
by the camera, which puts energy at the subpixel frequency and aliases into moire; the display's
gamma, black level (backlight leakage) and white point; glare and reflections of the room on the
glass; rolling-shutter refresh banding; and the device, with or without its bezel and the holding
fingers in view.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..imaging import Camera, apply_camera, jpeg_roundtrip, kelvin_rgb, to_float, to_uint8
from ..render import N_BACKGROUNDS, render_background
from .common import (AttackResult, content_quad, draw_fingers, glare, map_box, sample_intensity,
                     scene_background, surface_to_frame)

#: Parameter ranges per display, at ``intensity = 1``.
SCREENS = {
    "screen_a": {   # phone, OLED: fine pitch, deep blacks, cool white, little banding
        "pitch": (1.15, 2.2),            # frame pixels per display pixel (full intensity)
        "fill_factor": (0.55, 0.8),      # lit share of each subpixel row (black matrix)
        "black_level": (0.0, 0.03),      # backlight leakage
        "gamma": (0.85, 1.2),            # extra display gamma
        "white_kelvin": (6500, 9500),    # display white point
        "glare": (0.1, 0.45),            # specular highlight strength
        "reflection": (0.03, 0.12),      # mirrored room on the glass
        "banding": (0.0, 0.05),          # refresh banding amplitude
        "bezel": (0.02, 0.05),           # bezel width, share of the screen width
        "boost": (1.1, 1.6),             # emitted brightness relative to the room
    },
    "screen_b": {   # laptop / tablet LCD: coarser pitch, grey blacks, stronger banding
        "pitch": (1.6, 3.6),
        "fill_factor": (0.45, 0.7),
        "black_level": (0.04, 0.14),
        "gamma": (0.75, 1.3),
        "white_kelvin": (5500, 8500),
        "glare": (0.05, 0.35),
        "reflection": (0.02, 0.1),
        "banding": (0.02, 0.1),
        "bezel": (0.03, 0.08),
        "boost": (0.9, 1.4),
    },
}


def _lerp(a, b, t):
    return a + (b - a) * t


def subpixel_texture(pixels: np.ndarray, fill_factor: float, order: str = "RGB",
                     crosstalk: float = 0.12) -> np.ndarray:
    """Display pixels (N_y x N_x x 3) -> emitted light at subpixel resolution (3N_y x 3N_x x 3).

    Each display pixel becomes a 3x3 block: three vertical stripes carrying R, G and B, with the
    bottom row dimmed by the black matrix. The block's mean equals the pixel's value / 3 per
    channel times 3, i.e. the average brightness is kept.
    """
    k = 3
    tile = np.full((k, k, 3), crosstalk, np.float32)
    idx = {"RGB": (0, 1, 2), "BGR": (2, 1, 0)}[order]
    for col, ch in enumerate(idx):
        tile[:, col, ch] = 1.0
    tile[k - 1, :, :] *= np.float32(1.0 - fill_factor)
    tile /= tile.mean(axis=(0, 1), keepdims=True)
    big = np.repeat(np.repeat(pixels, k, axis=0), k, axis=1)
    ny, nx = pixels.shape[:2]
    return big * np.tile(tile, (ny, nx, 1))


def replay_attack(image: np.ndarray, box, rng: np.random.Generator | int | None = None, *,
                  instrument: str = "screen_a", intensity: float | None = None, closeup: bool | None = None,
                  fill: float | None = None, fingers: bool | None = None, pitch: float | None = None,
                  out_size: tuple | None = None, camera: Camera | None = None,
                  source_jpeg: int | None = None) -> AttackResult:
    """Turn a bona fide image into a screen-replay presentation.

    image: RGB (uint8 or float in [0, 1]); box: face box (x, y, w, h) in ``image`` pixels.
    instrument: a key of :data:`SCREENS`. intensity: cue strength 0..1 (sampled when None).
    closeup: the screen fills the frame (no bezel in view); fill: content width as a share of the
    frame otherwise; fingers: draw fingers holding the device; pitch: frame pixels per display
    pixel when the content fills the frame (sampled from the instrument's range when None);
    out_size: (width, height) of the result; camera: the filming camera (sampled when None);
    source_jpeg: JPEG quality of the video/photo being replayed.
    ``params["grid_period_px"]`` is the display-pixel period in frame pixels along the content's
    horizontal axis (before perspective).
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if instrument not in SCREENS:
        raise ValueError(f"unknown screen {instrument!r}; choose from {sorted(SCREENS)}")
    spec = SCREENS[instrument]
    content = to_float(image)
    if source_jpeg:
        content = jpeg_roundtrip(content, source_jpeg)
    sh, sw = content.shape[:2]
    W, H = out_size if out_size is not None else (sw, sh)
    i = sample_intensity(rng) if intensity is None else float(intensity)
    closeup = bool(rng.random() < 0.35) if closeup is None else bool(closeup)
    if fingers is None:
        fingers = bool(rng.random() < (0.15 if closeup else 0.45))
    p = {k: float(rng.uniform(*v)) for k, v in spec.items()}

    aspect = sw / sh
    fr = (fill, fill) if fill is not None else (0.62, 0.86)
    quad = content_quad(rng, W, H, aspect, closeup, max_tilt=0.06, fill=fr)
    content_w = float(np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    # display pitch: low intensity -> pixels near or below the camera's own sampling
    pitch_px = float(pitch) if pitch is not None else _lerp(1.0, p["pitch"], i)
    nx = max(16, int(round(content_w / pitch_px)))
    ny = max(16, int(round(nx / aspect)))
    shown = cv2.resize(content, (nx, ny), interpolation=cv2.INTER_AREA)
    # display tone: gamma, white point, black level
    shown = np.power(np.clip(shown, 0, 1), np.float32(_lerp(1.0, p["gamma"], i)))
    wp = kelvin_rgb(p["white_kelvin"]) / kelvin_rgb(6500)
    wp = (wp / wp.max()).astype(np.float32)
    shown = shown * (1 + (wp - 1) * np.float32(i))
    black = np.float32(_lerp(0.0, p["black_level"], i))
    shown = black + (1 - black) * shown
    fill_factor = _lerp(0.9, p["fill_factor"], i)
    emitted = subpixel_texture(shown.astype(np.float32), fill_factor,
                               order="RGB" if rng.random() < 0.8 else "BGR")
    # device: bezel around the active area
    th, tw = emitted.shape[:2]
    bz = int(round(tw * p["bezel"]))
    dev = np.zeros((th + 2 * bz, tw + 2 * bz, 3), np.float32)
    bezel_col = np.float32(rng.choice([0.02, 0.05, 0.25, 0.7])) * (1 + rng.normal(0, 0.05, 3)).astype(np.float32)
    dev[:] = bezel_col
    dev[bz:bz + th, bz:bz + tw] = emitted
    is_screen = np.zeros(dev.shape[:2], np.float32)
    is_screen[bz:bz + th, bz:bz + tw] = 1.0
    # rounded device corners
    rr = max(2, int(bz * 2.5))
    dh, dw = dev.shape[:2]
    yy, xx = np.mgrid[0:dh, 0:dw].astype(np.float32)
    qy, qx = np.minimum(yy, dh - 1 - yy), np.minimum(xx, dw - 1 - xx)
    outside = (qy < rr) & (qx < rr) & (np.sqrt((rr - qy) ** 2 + (rr - qx) ** 2) > rr)
    alpha_tex = np.where(outside, 0.0, 1.0).astype(np.float32)
    rect = (bz, bz, bz + tw, bz + th)
    optics = _lerp(0.9, float(rng.uniform(0.3, 0.6)), i)
    warped, alpha, _, Hm = surface_to_frame(np.dstack([dev, is_screen]), rect, quad, W, H, supersample=2,
                                            optics_sigma=optics, alpha_texture=alpha_tex)
    screen_mask = warped[:, :, 3]
    light = warped[:, :, :3] * np.float32(p["boost"])
    # refresh banding (rolling shutter), only where the screen emits
    yy2 = np.arange(H, dtype=np.float32)[:, None]
    period = rng.uniform(6, 40)
    band = 1.0 + np.float32(_lerp(0.0, p["banding"], i)) * np.sin(2 * np.pi * yy2 / period + rng.uniform(0, 6.3))
    light = light * (1 + (band[..., None] - 1) * screen_mask[..., None])
    # reflections of the room and a specular glare on the glass
    room_light = kelvin_rgb(rng.uniform(2800, 7000)) * np.float32(rng.uniform(0.5, 1.1))
    refl = render_background(rng, H, W, int(rng.integers(N_BACKGROUNDS)))
    refl = cv2.GaussianBlur(refl, (0, 0), rng.uniform(3, 8)) * room_light
    refl_a = np.float32(_lerp(0.0, p["reflection"], i))
    g = glare(rng, H, W, p["glare"] * i)[..., None] * room_light
    light = light + (refl * refl_a + g) * alpha[..., None]
    bg = scene_background(rng, W, H) * room_light
    frame = bg * (1 - alpha[..., None]) + light * alpha[..., None]
    if fingers:
        draw_fingers(rng, frame, quad)
    cam = camera if camera is not None else Camera.sample(rng)
    frame = apply_camera(frame, cam, rng)
    new_box = map_box(box, Hm, rect, (sw, sh), W, H)
    p.update({"quad": quad.round(2).tolist(), "grid_period_px": content_w / nx, "display_pixels": (nx, ny), "optics_sigma": optics,
              "fingers": fingers, "banding_period": period, "jpeg_quality": cam.jpeg_quality})
    return AttackResult(to_uint8(frame), new_box, "replay", instrument, i, closeup, p)
