"""Shared image helpers: soft masks, noise fields, the camera model and encoding.

Images inside the generator are float32 arrays, ``H x W x 3``, RGB, values in ``[0, 1]``.
Everything takes an explicit ``numpy.random.Generator`` so results depend only on the seed.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]


def to_float(image: np.ndarray) -> np.ndarray:
    """uint8 (or float) RGB image -> float32 in [0, 1]; grey is replicated, alpha dropped."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.shape[2] == 4:
        img = img[:, :, :3]
    if img.dtype == np.uint8:
        return img.astype(np.float32) * np.float32(1.0 / 255.0)
    if img.dtype == np.uint16:
        return img.astype(np.float32) * np.float32(1.0 / 65535.0)
    return np.clip(img.astype(np.float32), 0.0, 1.0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float image in [0, 1] -> uint8 with round-half-up."""
    return np.clip(np.floor(image * 255.0 + 0.5), 0, 255).astype(np.uint8)


def channel_mean(img: np.ndarray) -> np.ndarray:
    """Mean of the three channels, ``H x W x 1`` (faster than a reduction over the last axis)."""
    return ((img[:, :, 0] + img[:, :, 1] + img[:, :, 2]) * np.float32(1.0 / 3.0))[:, :, None]


def soft(d: np.ndarray, width: float = 1.0) -> np.ndarray:
    """Coverage from a signed distance in pixels (negative inside), anti-aliased over ``width``."""
    return np.clip(0.5 - d / np.float32(max(width, 1e-3)), 0.0, 1.0)


def blend(dst: np.ndarray, colour, alpha: np.ndarray) -> None:
    """In place: ``dst = dst * (1 - alpha) + colour * alpha``.

    colour: an RGB triple or an array broadcastable to ``dst``; alpha: ``H x W`` coverage. Only
    the bounding box of the non-zero coverage is touched.
    """
    alpha = np.broadcast_to(alpha, dst.shape[:2])
    rows = np.flatnonzero(alpha.any(axis=1))
    if rows.size == 0:
        return
    cols = np.flatnonzero(alpha[rows[0]:rows[-1] + 1].any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    a = alpha[r0:r1, c0:c1, None]
    col = np.asarray(colour, np.float32)
    if col.ndim == 3:
        rs = slice(r0, r1) if col.shape[0] > 1 else slice(None)
        cs = slice(c0, c1) if col.shape[1] > 1 else slice(None)
        col = col[rs, cs]
    d = dst[r0:r1, c0:c1]
    d *= 1.0 - a
    d += col * a


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: float,
                 channels: int = 1) -> np.ndarray:
    """Band-limited noise, zero mean, unit-ish std, features about ``cell`` pixels wide."""
    h, w = shape
    gh, gw = max(2, int(np.ceil(h / cell)) + 2), max(2, int(np.ceil(w / cell)) + 2)
    grid = rng.standard_normal((gh, gw, channels)).astype(np.float32)
    up = cv2.resize(grid, (int(gw * cell), int(gh * cell)), interpolation=cv2.INTER_CUBIC)
    if up.ndim == 2:
        up = up[:, :, None]
    out = up[:h, :w]
    return out[:, :, 0] if channels == 1 else out


def fractal_noise(rng: np.random.Generator, shape: tuple[int, int], cells=(32, 8, 2),
                  weights=(1.0, 0.5, 0.25)) -> np.ndarray:
    """Sum of band-limited noise octaves."""
    out = np.zeros(shape, np.float32)
    for c, wgt in zip(cells, weights):
        out += np.float32(wgt) * smooth_noise(rng, shape, c)
    return out


def kelvin_rgb(kelvin: float) -> np.ndarray:
    """Approximate white-balance multiplier of a light with the given colour temperature."""
    t = np.clip(kelvin, 1500.0, 15000.0) / 100.0
    r = 1.0 if t <= 66 else 1.292936 * (t - 60) ** -0.1332047
    g = (0.3900816 * np.log(t) - 0.6318414) if t <= 66 else 1.129891 * (t - 60) ** -0.0755148
    b = 1.0 if t >= 66 else (0.0 if t <= 19 else 0.5432068 * np.log(t - 10) - 1.1962540)
    rgb = np.clip(np.array([r, g, b], np.float32), 0.05, 1.0)
    return rgb / rgb.max()


def box_from_points(pts: np.ndarray, width: int, height: int) -> Box:
    """Integer ``(x, y, w, h)`` bounding box of points, clipped to the frame."""
    x0 = float(np.clip(pts[:, 0].min(), 0, width - 1))
    y0 = float(np.clip(pts[:, 1].min(), 0, height - 1))
    x1 = float(np.clip(pts[:, 0].max(), x0 + 1, width))
    y1 = float(np.clip(pts[:, 1].max(), y0 + 1, height))
    xi, yi = int(np.floor(x0 + 0.5)), int(np.floor(y0 + 0.5))
    wi = max(1, min(width - xi, int(np.floor(x1 - x0 + 0.5))))
    hi = max(1, min(height - yi, int(np.floor(y1 - y0 + 0.5))))
    return xi, yi, wi, hi


def box_corners(box) -> np.ndarray:
    x, y, w, h = [float(v) for v in box]
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)


@dataclass
class Camera:
    """The capture device that records the final frame (bona fide or attack alike).

    Every frame of the dataset, live or recaptured, passes through the same camera model with
    the same parameter distribution, so none of these effects is by itself an attack cue.
    """

    exposure: float = 1.0          # linear gain before the tone curve
    gamma: float = 1.0             # extra tone-curve exponent (>1 darker mid-tones)
    saturation: float = 1.0        # colour saturation multiplier
    white_balance: tuple = (1.0, 1.0, 1.0)  # residual white-balance error per channel
    blur_sigma: float = 0.0        # optical / focus blur, pixels
    motion: float = 0.0            # motion blur length, pixels
    motion_angle: float = 0.0      # degrees
    read_noise: float = 0.005      # additive Gaussian noise std
    shot_noise: float = 0.01       # signal-dependent noise std at full scale
    chroma_noise: float = 0.3      # share of noise that is per-channel
    vignette: float = 0.0          # corner darkening (0..0.4)
    highlight_rolloff: float = 1.0  # soft compression of values above 0.8 (0 = hard clip)
    jpeg_quality: int = 90         # quality of the stored JPEG

    @staticmethod
    def sample(rng: np.random.Generator) -> "Camera":
        wb = np.exp(rng.normal(0.0, 0.05, 3))
        return Camera(
            exposure=float(np.exp(rng.normal(0.0, 0.22))),
            gamma=float(np.exp(rng.normal(0.0, 0.12))),
            saturation=float(np.clip(rng.normal(1.0, 0.15), 0.55, 1.4)),
            white_balance=tuple(float(v) for v in wb / wb.mean()),
            blur_sigma=float(rng.choice([0.0, rng.uniform(0.3, 1.4)], p=[0.35, 0.65])),
            motion=float(rng.choice([0.0, rng.uniform(1.5, 5.0)], p=[0.85, 0.15])),
            motion_angle=float(rng.uniform(0, 180)),
            read_noise=float(rng.uniform(0.001, 0.02)),
            shot_noise=float(rng.uniform(0.0, 0.035)),
            chroma_noise=float(rng.uniform(0.1, 0.7)),
            vignette=float(rng.uniform(0.0, 0.35)),
            jpeg_quality=int(rng.integers(62, 98)),
        )


def motion_kernel(length: float, angle: float) -> np.ndarray:
    n = max(3, int(np.ceil(length)) | 1)
    k = np.zeros((n, n), np.float32)
    c = n // 2
    dx, dy = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    for t in np.linspace(-length / 2, length / 2, 4 * n):
        x, y = int(round(c + t * dx)), int(round(c + t * dy))
        k[y, x] = 1.0
    return k / k.sum()


def apply_camera(img: np.ndarray, cam: Camera, rng: np.random.Generator) -> np.ndarray:
    """Optics, exposure, tone, colour, noise: float RGB in, float RGB in [0, 1] out."""
    out = img
    if cam.blur_sigma > 0.05:
        out = cv2.GaussianBlur(out, (0, 0), cam.blur_sigma)
    if cam.motion > 1.0:
        out = cv2.filter2D(out, -1, motion_kernel(cam.motion, cam.motion_angle),
                           borderType=cv2.BORDER_REFLECT)
    out = out * (np.asarray(cam.white_balance, np.float32) * np.float32(cam.exposure))
    if cam.vignette > 0:
        h, w = out.shape[:2]
        yy, xx = np.ogrid[:h, :w]
        r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
        out = out * (1.0 - np.float32(cam.vignette) * np.float32(0.5) * r2.astype(np.float32))[..., None]
    grey = channel_mean(out)
    out = grey + (out - grey) * np.float32(cam.saturation)
    out = np.clip(out, 0.0, None)
    # soft highlight roll-off instead of a hard clip
    if cam.highlight_rolloff > 0:
        out = out / (1.0 + np.float32(cam.highlight_rolloff) * np.maximum(out - 0.8, 0.0))
    out = np.power(np.clip(out, 0.0, 1.0), np.float32(cam.gamma))
    h, w = out.shape[:2]
    sigma = np.sqrt(cam.read_noise ** 2 + (cam.shot_noise ** 2) * out)
    lum = rng.standard_normal((h, w, 1), dtype=np.float32)
    chroma = rng.standard_normal((h, w, 3), dtype=np.float32)
    c = np.float32(cam.chroma_noise)
    out = out + sigma * ((1 - c) * lum + c * chroma)
    return np.clip(out, 0.0, 1.0)


def encode_jpeg(img_u8_rgb: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img_u8_rgb, cv2.COLOR_RGB2BGR),
                           [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def encode_png(img_u8_rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img_u8_rgb, cv2.COLOR_RGB2BGR),
                           [int(cv2.IMWRITE_PNG_COMPRESSION), 3])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def jpeg_roundtrip(img: np.ndarray, quality: int) -> np.ndarray:
    """float RGB -> JPEG at ``quality`` -> float RGB (what a stored photo looks like)."""
    data = encode_jpeg(to_uint8(img), quality)
    dec = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return to_float(cv2.cvtColor(dec, cv2.COLOR_BGR2RGB))


def read_rgb(path) -> np.ndarray:
    """Read an image file as uint8 RGB."""
    data = np.fromfile(str(path), np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"cannot decode image {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
