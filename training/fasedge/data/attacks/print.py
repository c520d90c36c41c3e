"""Print attack: the bona fide image printed on paper and held in front of the camera.

Cues modelled: halftone screening (amplitude-modulated rotated CMYK screens for a laser printer,
stochastic dither for an inkjet), dot gain, gamut and dynamic-range compression (paper white is
not a light source, ink black is not black), paper fibre texture, gloss, and the geometry of a flat
or bent sheet (perspective, with or without the sheet's edges and the holding fingers in view).
"""
from __future__ import annotations

import cv2
import numpy as np

from ..imaging import Camera, apply_camera, channel_mean, fractal_noise, jpeg_roundtrip, kelvin_rgb, to_float, to_uint8
from .common import (AttackResult, content_quad, draw_fingers, glare, map_box, sample_intensity,
                     scene_background, surface_to_frame)

#: Parameter ranges per printer. Values at ``intensity = 1``; lower intensities move every cue
#: toward "no effect".
PRINTERS = {
    "printer_a": {   # photo inkjet on glossy paper: stochastic fine dither, wide gamut
        "screen": "stochastic",
        "dot_cell": (0.7, 1.4),          # dither grain, texture pixels
        "ink_black": (0.03, 0.09),       # reflectance of full black ink
        "paper_white": (0.9, 0.98),      # reflectance of bare paper
        "saturation": (0.78, 0.95),      # gamut compression
        "dot_gain": (1.05, 1.25),        # mid-tone darkening exponent
        "fibre": (0.01, 0.035),          # paper texture amplitude
        "gloss": (0.15, 0.5),            # specular sheen strength
        "halftone_mix": (0.15, 0.4),     # share of halftoned vs continuous tone (fine dots: mostly averaged away)
    },
    "printer_b": {   # office colour laser on plain paper: coarse rotated AM screens, narrow gamut
        "screen": "am",
        "dot_period": (3.0, 5.5),        # screen period, texture pixels (texture = 2x frame scale)
        "ink_black": (0.08, 0.2),
        "paper_white": (0.84, 0.94),
        "saturation": (0.6, 0.85),
        "dot_gain": (1.15, 1.45),
        "fibre": (0.03, 0.08),
        "gloss": (0.0, 0.1),
        "halftone_mix": (0.75, 1.0),
    },
}

_SCREEN_ANGLES = (15.0, 75.0, 0.0, 45.0)   # C, M, Y, K


def _lerp(a, b, t):
    return a + (b - a) * t


def halftone_am(rgb: np.ndarray, period: float, rng: np.random.Generator, softness: float = 0.12) -> np.ndarray:
    """Amplitude-modulated halftone with rotated C, M, Y, K screens; returns reflectance RGB.

    The screen of angle A is ``0.5 + 0.25 (cos f x' + cos f y')`` in rotated coordinates; each
    cosine of a rotated coordinate is expanded into products of 1-D row and column terms.
    """
    h, w = rgb.shape[:2]
    cmy = 1.0 - np.clip(rgb, 0, 1)
    k = np.minimum(np.minimum(cmy[:, :, 0], cmy[:, :, 1]), cmy[:, :, 2]) * np.float32(0.8)
    cmy = (cmy - k[..., None]) / np.maximum(1.0 - k[..., None], 1e-3)
    off = rng.uniform(0, period, 2)
    x = (np.arange(w, dtype=np.float64) + off[0])
    y = (np.arange(h, dtype=np.float64) + off[1])
    f = 2 * np.pi / period
    inv_soft = np.float32(1.0 / softness)
    inks = []
    for i, ang in enumerate(_SCREEN_ANGLES):
        c, s = np.cos(np.deg2rad(ang)), np.sin(np.deg2rad(ang))
        # cos(f(xc + ys)) and cos(f(-xs + yc))
        ax, ay = f * c * x, f * s * y
        bx, by = -f * s * x, f * c * y
        t = (np.cos(ay)[:, None] * np.cos(ax)[None, :] - np.sin(ay)[:, None] * np.sin(ax)[None, :]
             + np.cos(by)[:, None] * np.cos(bx)[None, :] - np.sin(by)[:, None] * np.sin(bx)[None, :])
        t = t.astype(np.float32)
        cov = k if i == 3 else cmy[:, :, i]
        # ink where coverage exceeds the screen's threshold 1 - (0.5 + 0.25 t)
        inks.append(np.clip((cov - 0.5 + 0.25 * t) * inv_soft + 0.5, 0, 1))
    out = np.stack([1.0 - inks[0], 1.0 - inks[1], 1.0 - inks[2]], axis=2) * (1.0 - inks[3])[..., None]
    return out.astype(np.float32)


def halftone_stochastic(rgb: np.ndarray, cell: float, rng: np.random.Generator, spread: float = 0.6) -> np.ndarray:
    """Stochastic (FM) dither per ink channel with ink spread; returns reflectance RGB."""
    h, w = rgb.shape[:2]
    cmy = 1.0 - np.clip(rgb, 0, 1)
    noise = rng.random((h, w, 3), dtype=np.float32)
    if cell > 1.0:
        noise = cv2.GaussianBlur(noise, (0, 0), cell * 0.5)
        sub = noise[::4, ::4]
        noise = (noise - sub.mean()) * np.float32(0.2887 / (sub.std() + 1e-6)) + np.float32(0.5)
    ink = np.clip((cmy - noise) * np.float32(1 / 0.15) + 0.5, 0, 1)
    if spread > 0:
        ink = cv2.GaussianBlur(ink, (0, 0), spread)
    return (1.0 - ink).astype(np.float32)


def print_surface(content: np.ndarray, rng: np.random.Generator, instrument: str, intensity: float,
                  upscale: int = 2, margin: float | None = None) -> tuple[np.ndarray, tuple, dict]:
    """The printed sheet as a reflectance texture; returns (texture, content rect, params)."""
    spec = PRINTERS[instrument]
    i = float(np.clip(intensity, 0, 1))
    p = {k: float(rng.uniform(*v)) for k, v in spec.items() if isinstance(v, tuple)}
    h, w = content.shape[:2]
    th, tw = h * upscale, w * upscale
    src = cv2.resize(content, (tw, th), interpolation=cv2.INTER_CUBIC)
    src = np.clip(src, 0, 1)
    # tone: dot gain and gamut compression
    src = np.power(src, np.float32(_lerp(1.0, p["dot_gain"], i)))
    grey = channel_mean(src)
    src = grey + (src - grey) * np.float32(_lerp(1.0, p["saturation"], i))
    # halftone
    if spec["screen"] == "am":
        ht = halftone_am(src, p["dot_period"], rng)
    else:
        ht = halftone_stochastic(src, p["dot_cell"], rng, spread=1.2)
    mix = np.float32(_lerp(0.0, p["halftone_mix"], i ** 0.7))
    src = src * (1 - mix) + ht * mix
    # dynamic range: ink black .. paper white (with a paper tint)
    black = np.float32(_lerp(0.0, p["ink_black"], i))
    tint = np.clip(1.0 + rng.normal(0, 0.02, 3), 0.9, 1.05).astype(np.float32)
    white = np.float32(_lerp(1.0, p["paper_white"], i)) * tint
    src = black + (white - black) * src
    # sheet with margins
    m = rng.uniform(0.02, 0.12) if margin is None else margin
    mx, my = int(round(tw * m)), int(round(th * m * rng.uniform(0.6, 1.4)))
    sheet = np.empty((th + 2 * my, tw + 2 * mx, 3), np.float32)
    sheet[:] = white
    sheet[my:my + th, mx:mx + tw] = src
    fibre = fractal_noise(rng, sheet.shape[:2], cells=(6, 2, 1), weights=(0.5, 0.5, 0.4))
    sheet *= (1.0 + np.float32(_lerp(0.0, p["fibre"], i)) * fibre)[..., None]
    p["margin"] = float(m)
    p["halftone_mix"] = float(mix)
    p["ink_black_eff"] = float(black)
    return sheet, (mx, my, mx + tw, my + th), p


def print_attack(image: np.ndarray, box, rng: np.random.Generator | int | None = None, *,
                 instrument: str = "printer_a", intensity: float | None = None, closeup: bool | None = None,
                 fill: float | None = None, bend: float | None = None, fingers: bool | None = None,
                 out_size: tuple | None = None, camera: Camera | None = None,
                 source_jpeg: int | None = None) -> AttackResult:
    """Turn a bona fide image into a printed-photo presentation.

    image: RGB (uint8 or float in [0, 1]); box: face box (x, y, w, h) in ``image`` pixels.
    instrument: a key of :data:`PRINTERS`. intensity: cue strength 0..1 (sampled when None).
    closeup: the sheet fills the frame (no edges in view); fill: content width as a share of the
    frame when not a close-up; bend: half-angle of the sheet's curvature in radians (0 = flat);
    fingers: draw fingers holding the sheet; out_size: (width, height) of the result (default:
    the input's); camera: the recapturing camera (sampled when None); source_jpeg: JPEG quality
    of the photo that was printed (None = use the image as is).
    Returns an :class:`AttackResult` whose ``box`` is the face box in the new frame.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if instrument not in PRINTERS:
        raise ValueError(f"unknown printer {instrument!r}; choose from {sorted(PRINTERS)}")
    content = to_float(image)
    if source_jpeg:
        content = jpeg_roundtrip(content, source_jpeg)
    sh, sw = content.shape[:2]
    W, H = out_size if out_size is not None else (sw, sh)
    intensity = sample_intensity(rng) if intensity is None else float(intensity)
    closeup = bool(rng.random() < 0.35) if closeup is None else bool(closeup)
    bend = (float(rng.choice([0.0, rng.uniform(0.1, 0.6)], p=[0.5, 0.5])) if bend is None else float(bend))
    if fingers is None:
        fingers = bool(rng.random() < (0.2 if closeup else 0.5))

    aspect = sw / sh
    fr = (fill, fill) if fill is not None else (0.62, 0.86)
    quad = content_quad(rng, W, H, aspect, closeup, fill=fr)
    sheet, rect, params = print_surface(content, rng, instrument, intensity)
    # the camera integrates over its pixel footprint on the sheet (partial anti-aliasing)
    content_w = float(np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    tex_per_px = (rect[2] - rect[0]) / max(content_w, 1.0)
    aa = max(0.0, tex_per_px * float(rng.uniform(0.3, 0.6)) - 0.15)
    if aa > 0.05:
        sheet = cv2.GaussianBlur(sheet, (0, 0), aa)
    optics = float(rng.uniform(0.25, 0.8))
    warped, alpha, shade, Hm = surface_to_frame(sheet, rect, quad, W, H, supersample=2, bend=bend,
                                                optics_sigma=optics)
    # light falling on the sheet
    light = kelvin_rgb(rng.uniform(2800, 7000)) * np.float32(rng.uniform(0.75, 1.25))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    g = rng.normal(0, 0.2, 2)
    illum = np.clip(1.0 + g[0] * (xx / W - 0.5) + g[1] * (yy / H - 0.5), 0.5, 1.5)
    lit = warped * illum[..., None] * light
    lit += glare(rng, H, W, params["gloss"] * intensity)[..., None] * light * alpha[..., None]
    bg = scene_background(rng, W, H) * light
    frame = bg * (1 - alpha[..., None]) + lit * alpha[..., None]
    if fingers:
        draw_fingers(rng, frame, quad)
    cam = camera if camera is not None else Camera.sample(rng)
    frame = apply_camera(frame, cam, rng)
    new_box = map_box(box, Hm, rect, (sw, sh), W, H, bend=bend,
                      texture_size=(sheet.shape[1], sheet.shape[0]))
    params.update({"texture_per_pixel": tex_per_px, "antialias_sigma": aa, "bend": bend, "optics_sigma": optics, "fingers": fingers, "quad": quad.round(2).tolist(),
                   "jpeg_quality": cam.jpeg_quality})
    return AttackResult(to_uint8(frame), new_box, "print", instrument, intensity, closeup, params)
