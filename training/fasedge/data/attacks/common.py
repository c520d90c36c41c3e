"""Geometry and scene pieces shared by the attack simulators.

A recaptured presentation is a flat *surface* (a printed sheet, a screen inside its bezel) that
carries the bona fide image as its *content*. :func:`surface_to_frame` places that surface in the
camera frame with a perspective quad (optionally bent), either as a close-up in which the content
covers the whole frame or held at a distance with its edges, the background and fingers in view.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..imaging import Box, Camera, blend, box_from_points, soft
from ..render import N_BACKGROUNDS, render_background


@dataclass
class AttackResult:
    """What an attack simulator returns."""

    image: np.ndarray            # uint8 RGB recaptured frame
    box: Box                     # face box in the new frame (x, y, w, h)
    species: str                 # "print" | "replay" | "mask"
    instrument: str              # instrument name
    intensity: float             # 0 (barely visible cues) .. 1 (strong cues)
    closeup: bool                # True when the instrument fills the frame
    params: dict = field(default_factory=dict)   # sampled parameters, for inspection


def sample_intensity(rng: np.random.Generator, low_prob: float = 0.12) -> float:
    """Cue strength: mostly moderate to strong, with a share of subtle attacks."""
    if rng.random() < low_prob:
        return float(rng.uniform(0.1, 0.35))
    return float(rng.uniform(0.35, 1.0))


def content_quad(rng: np.random.Generator, width: int, height: int, aspect: float, closeup: bool,
                 max_tilt: float = 0.08, fill: tuple = (0.62, 0.86)) -> np.ndarray:
    """Corners (TL, TR, BR, BL) in frame pixels where the content rectangle lands.

    ``aspect`` is content width / height. A close-up quad covers the whole frame; otherwise the
    quad is ``fill`` of the frame so the surroundings are visible.
    """
    W, H = float(width), float(height)
    for _ in range(50):
        if closeup:
            s = rng.uniform(1.04, 1.25)
            cw = max(W, H * aspect) * s
        else:
            s = rng.uniform(*fill)
            cw = min(W, H * aspect) * s
        ch = cw / aspect
        ang = np.deg2rad(rng.normal(0, 5 if closeup else 9))
        cx = W / 2 + rng.uniform(-0.08, 0.08) * W
        cy = H / 2 + rng.uniform(-0.08, 0.08) * H
        base = np.array([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]])
        base = base + rng.uniform(-max_tilt, max_tilt, (4, 2)) * [cw, ch]
        c, s_ = np.cos(ang), np.sin(ang)
        quad = np.stack([base[:, 0] * c - base[:, 1] * s_, base[:, 0] * s_ + base[:, 1] * c], 1) + [cx, cy]
        if closeup:
            hull = quad.astype(np.float32).reshape(-1, 1, 2)
            inside = all(cv2.pointPolygonTest(hull, (float(px), float(py)), True) >= 1.0
                         for px, py in [(0, 0), (W, 0), (W, H), (0, H)])
            if inside:
                return quad
        else:
            return quad
    # fall back to an axis-aligned frame-filling quad
    m = 0.06
    return np.array([[-m * W, -m * H], [W * (1 + m), -m * H], [W * (1 + m), H * (1 + m)], [-m * W, H * (1 + m)]])


def surface_to_frame(texture: np.ndarray, content_rect: tuple, quad: np.ndarray, width: int, height: int,
                     supersample: int = 2, bend: float = 0.0, optics_sigma: float = 0.5,
                     alpha_texture: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Warp a surface texture into the frame.

    ``content_rect`` = (x0, y0, x1, y1) in texture pixels maps onto ``quad``. ``bend`` is the half
    angle (radians) of a sheet curved around its vertical axis (0 = flat). ``optics_sigma`` is the
    camera's blur in frame pixels, applied at the supersampled resolution before downsampling.
    Returns (image, coverage alpha, shading factor from the bend, homography content->frame).
    """
    x0, y0, x1, y1 = content_rect
    src = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    Hm = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    ss = supersample
    S = np.diag([ss, ss, 1.0])
    Hinv = np.linalg.inv(S @ Hm)
    hh, ww = height * ss, width * ss
    ys, xs = np.mgrid[0:hh, 0:ww].astype(np.float32)
    xs += 0.5
    ys += 0.5
    den = Hinv[2, 0] * xs + Hinv[2, 1] * ys + Hinv[2, 2]
    mx = (Hinv[0, 0] * xs + Hinv[0, 1] * ys + Hinv[0, 2]) / den
    my = (Hinv[1, 0] * xs + Hinv[1, 1] * ys + Hinv[1, 2]) / den
    th, tw = texture.shape[:2]
    shading = None
    if abs(bend) > 1e-3:
        cxm, hw = tw / 2.0, tw / 2.0
        cym = th / 2.0
        xn = np.clip((mx - cxm) / hw, -1.2, 1.2)
        sb = np.sin(bend)
        arg = np.clip(xn * sb, -0.999, 0.999)
        theta = np.arcsin(arg)
        mx = cxm + hw * theta / bend
        depth = np.cos(theta) - np.cos(bend)
        my = cym + (my - cym) / (1.0 + 0.25 * depth)
        shading = (0.8 + 0.2 * np.cos(theta - 0.4 * bend)).astype(np.float32)
    mx = (mx - 0.5).astype(np.float32)
    my = (my - 0.5).astype(np.float32)
    img = cv2.remap(texture, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if alpha_texture is None:
        alpha_texture = np.ones((th, tw), np.float32)
    alpha = cv2.remap(alpha_texture, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if shading is not None:
        img *= shading[..., None]
    if optics_sigma > 0.05:
        img = cv2.GaussianBlur(img, (0, 0), optics_sigma * ss)
        alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.5, optics_sigma * ss * 0.5))
    if ss > 1:
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_AREA)
    shade_small = np.ones((height, width), np.float32)
    if shading is not None:
        shade_small = cv2.resize(shading, (width, height), interpolation=cv2.INTER_AREA)
    return img, np.clip(alpha, 0, 1), shade_small, Hm


def map_box(box, Hm: np.ndarray, content_rect: tuple, src_size: tuple, width: int, height: int,
            bend: float = 0.0, texture_size: tuple | None = None) -> Box:
    """Face box of the source image -> face box in the recaptured frame (same bend as the warp)."""
    sw, sh = src_size
    x0, y0, x1, y1 = content_rect
    pts = box_outline(box)
    pts[:, 0] = x0 + pts[:, 0] * (x1 - x0) / sw
    pts[:, 1] = y0 + pts[:, 1] * (y1 - y0) / sh
    if abs(bend) > 1e-3 and texture_size is not None:
        tw, th = texture_size
        hw, cym = tw / 2.0, th / 2.0
        theta = np.clip((pts[:, 0] - hw) / hw, -1.2, 1.2) * bend
        depth = np.cos(theta) - np.cos(bend)
        pts[:, 0] = hw + hw * np.sin(theta) / np.sin(bend)
        pts[:, 1] = cym + (pts[:, 1] - cym) * (1.0 + 0.25 * depth)
    p = cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float64), Hm).reshape(-1, 2)
    return box_from_points(p, width, height)


def box_outline(box, n: int = 48) -> np.ndarray:
    """Points on the ellipse inscribed in a face box.

    A face box is the bounding box of a roughly elliptic face, so a rotated or warped face is
    best boxed by transforming this outline (transforming the box corners would give a looser
    box under rotation than a detector draws around the same face).
    """
    x, y, w, h = [float(v) for v in box]
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([x + w / 2 + np.cos(t) * w / 2, y + h / 2 + np.sin(t) * h / 2], 1)


def scene_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Room behind the presented instrument."""
    bg = render_background(rng, height, width, int(rng.integers(N_BACKGROUNDS)))
    return bg * np.float32(rng.uniform(0.5, 1.0))


def draw_fingers(rng: np.random.Generator, img: np.ndarray, quad: np.ndarray, count: int | None = None) -> None:
    """Fingers or a thumb holding the instrument at one of its edges (in place)."""
    H, W = img.shape[:2]
    tone = rng.uniform(0, 1)
    skin = np.array([0.95, 0.78, 0.66]) * (1 - tone) + np.array([0.3, 0.19, 0.13]) * tone
    skin = (skin * rng.uniform(0.6, 1.0)).astype(np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    n = int(rng.integers(1, 4)) if count is None else count
    edge = int(rng.integers(4))
    a, b = quad[edge], quad[(edge + 1) % 4]
    centre = np.array([W / 2, H / 2])
    mid = (a + b) / 2
    out = mid - centre
    out /= np.linalg.norm(out) + 1e-6
    t0 = rng.uniform(0.15, 0.85)
    r = rng.uniform(0.035, 0.06) * min(W, H)
    for i in range(n):
        p = a + (b - a) * np.clip(t0 + (i - n / 2) * 2.3 * r / (np.linalg.norm(b - a) + 1e-6), 0, 1)
        tip = p - out * rng.uniform(0.3, 1.2) * r * 2
        far = p + out * max(W, H)
        # capsule from tip to far
        d = far - tip
        L2 = float(d @ d)
        t = np.clip(((xx - tip[0]) * d[0] + (yy - tip[1]) * d[1]) / L2, 0, 1)
        dist = np.sqrt((xx - tip[0] - t * d[0]) ** 2 + (yy - tip[1] - t * d[1]) ** 2) - r
        shade = np.clip(1.0 - 0.5 * (dist / r + 1) ** 2 * 0.5, 0.55, 1.0)
        col = skin[None, None, :] * shade[..., None]
        blend(img, col, soft(dist, 1.2))
        nail = np.sqrt((xx - tip[0] - out[0] * r * 0.5) ** 2 + (yy - tip[1] - out[1] * r * 0.5) ** 2) - r * 0.5
        blend(img, np.clip(skin * 1.25 + 0.1, 0, 1), soft(nail, 1.0) * np.float32(0.5))


def glare(rng: np.random.Generator, h: int, w: int, strength: float) -> np.ndarray:
    """A soft specular highlight (float map, additive)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    sx, sy = rng.uniform(0.08, 0.35) * w, rng.uniform(0.05, 0.25) * h
    ang = rng.uniform(0, np.pi)
    c, s = np.cos(ang), np.sin(ang)
    u = ((xx - cx) * c + (yy - cy) * s) / sx
    v = (-(xx - cx) * s + (yy - cy) * c) / sy
    return (np.exp(-0.5 * (u * u + v * v)) * strength).astype(np.float32)


def neutral_camera() -> Camera:
    """A camera that changes nothing (for tests and for callers that add their own)."""
    return Camera(exposure=1.0, gamma=1.0, saturation=1.0, white_balance=(1.0, 1.0, 1.0), blur_sigma=0.0,
                  motion=0.0, read_noise=0.0, shot_noise=0.0, chroma_noise=0.0, vignette=0.0,
                  highlight_rolloff=0.0, jpeg_quality=95)

