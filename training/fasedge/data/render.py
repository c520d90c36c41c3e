"""Procedural bona fide faces.

A face is an :class:`Identity` (what stays the same for one synthetic person: face shape, skin
tone, eyes, hair, beard, glasses habit) seen in a :class:`View` (what changes per photo: pose,
expression, lighting, background, framing, frame size). :func:`render_scene` draws the scene as a
float image; :func:`render_bonafide` adds the camera (noise, blur, tone) and returns the frame
with its face box.

All drawing is implicit: each part is a signed-distance shape evaluated on the pixel grid in the
face's own coordinates (unit = half the face width, ``v`` pointing down), so pose and roll are
a change of coordinates and the whole frame is a few dozen vectorised numpy operations.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .imaging import Box, Camera, apply_camera, blend, fractal_noise, kelvin_rgb, smooth_noise, soft

# Skin reflectance anchors from very light to very dark (linear-ish sRGB), spanning the
# Fitzpatrick / Monk range.
SKIN_ANCHORS = np.array([
    [0.97, 0.84, 0.76], [0.93, 0.76, 0.64], [0.86, 0.66, 0.52], [0.76, 0.55, 0.40],
    [0.62, 0.43, 0.30], [0.48, 0.32, 0.22], [0.36, 0.23, 0.16], [0.24, 0.15, 0.11],
], np.float32)

HAIR_COLOURS = np.array([
    [0.05, 0.04, 0.03], [0.12, 0.08, 0.05], [0.25, 0.16, 0.09], [0.45, 0.30, 0.16],
    [0.70, 0.55, 0.32], [0.85, 0.75, 0.55], [0.50, 0.20, 0.08], [0.55, 0.55, 0.55],
    [0.85, 0.85, 0.85],
], np.float32)

IRIS_COLOURS = np.array([
    [0.20, 0.12, 0.06], [0.35, 0.22, 0.10], [0.25, 0.40, 0.55], [0.30, 0.45, 0.30],
    [0.45, 0.40, 0.25], [0.10, 0.07, 0.05],
], np.float32)


def _pick(rng: np.random.Generator, table: np.ndarray, jitter: float = 0.04) -> np.ndarray:
    c = table[rng.integers(len(table))] + rng.normal(0.0, jitter, 3).astype(np.float32)
    return np.clip(c, 0.0, 1.0).astype(np.float32)


@dataclass
class Identity:
    """Per-person appearance; sampled once per synthetic subject."""

    skin: np.ndarray                 # skin reflectance RGB
    skin_tone: float                 # 0 = lightest anchor .. 1 = darkest
    aspect: float                    # face half-height / half-width
    jaw: float                       # narrowing of the lower face (0 round .. 0.35 pointed)
    eye_sep: float                   # eye centre offset from the midline
    eye_size: float                  # eye half-width
    iris: np.ndarray                 # iris colour
    brow_thick: float                # eyebrow thickness
    brow_arch: float                 # eyebrow curvature
    nose_len: float                  # nose length
    nose_width: float                # nostril spread
    mouth_width: float               # mouth half-width
    lip_thick: float                 # lip half-height
    lip_colour: np.ndarray           # lip colour
    hair_style: int                  # 0 bald, 1 short, 2 medium, 3 long, 4 bun, 5 curly
    hair_colour: np.ndarray          # hair colour
    hairline: float                  # hairline height (face units above the centre)
    beard: int                       # 0 none, 1 stubble, 2 full, 3 moustache, 4 goatee
    glasses_prob: float              # probability of glasses in a photo of this person
    glasses_colour: np.ndarray       # frame colour
    freckles: float                  # freckle density (0 none)
    ear_size: float                  # ear half-height

    @staticmethod
    def sample(rng: np.random.Generator) -> "Identity":
        tone = float(rng.uniform(0.0, 1.0))
        pos = tone * (len(SKIN_ANCHORS) - 1)
        i = min(int(pos), len(SKIN_ANCHORS) - 2)
        f = pos - i
        skin = SKIN_ANCHORS[i] * (1 - f) + SKIN_ANCHORS[i + 1] * f
        skin = np.clip(skin * np.exp(rng.normal(0, 0.04, 3)), 0.02, 1.0).astype(np.float32)
        hair_style = int(rng.choice(6, p=[0.08, 0.3, 0.2, 0.22, 0.08, 0.12]))
        if tone > 0.55:
            hair = _pick(rng, HAIR_COLOURS[:3], 0.02)
        else:
            hair = _pick(rng, HAIR_COLOURS)
        beard = int(rng.choice(5, p=[0.6, 0.12, 0.12, 0.08, 0.08]))
        lip = np.clip(skin * np.array([0.95, 0.62, 0.62]) + rng.normal(0, 0.03, 3), 0, 1)
        return Identity(
            skin=skin, skin_tone=tone,
            aspect=float(rng.uniform(1.18, 1.42)), jaw=float(rng.uniform(0.0, 0.32)),
            eye_sep=float(rng.uniform(0.33, 0.44)), eye_size=float(rng.uniform(0.13, 0.19)),
            iris=_pick(rng, IRIS_COLOURS),
            brow_thick=float(rng.uniform(0.025, 0.07)), brow_arch=float(rng.uniform(0.0, 0.6)),
            nose_len=float(rng.uniform(0.3, 0.5)), nose_width=float(rng.uniform(0.09, 0.16)),
            mouth_width=float(rng.uniform(0.22, 0.34)), lip_thick=float(rng.uniform(0.035, 0.075)),
            lip_colour=lip.astype(np.float32),
            hair_style=hair_style, hair_colour=hair,
            hairline=float(rng.uniform(0.55, 0.85)),
            beard=beard, glasses_prob=float(rng.choice([0.0, 0.3, 0.9], p=[0.6, 0.2, 0.2])),
            glasses_colour=_pick(rng, np.array([[0.05, 0.05, 0.05], [0.4, 0.25, 0.1],
                                                [0.7, 0.7, 0.72], [0.5, 0.1, 0.1]], np.float32)),
            freckles=float(rng.choice([0.0, rng.uniform(0.2, 1.0)], p=[0.85, 0.15])),
            ear_size=float(rng.uniform(0.22, 0.3)),
        )


@dataclass
class View:
    """Per-photo conditions; sampled for every frame."""

    width: int                        # frame width, pixels
    height: int                       # frame height, pixels
    face_frac: float                  # face box width / frame width
    cx: float                         # face centre x, share of frame width
    cy: float                         # face centre y, share of frame height
    yaw: float                        # degrees, + turns to the subject's left (image right)
    pitch: float                      # degrees, + looks down
    roll: float                       # degrees, in-plane
    light_az: float                   # light azimuth, degrees (0 = from the camera's right)
    light_el: float                   # light elevation, degrees
    light_frontal: float              # share of light coming from the camera direction
    ambient: float                    # ambient share
    light_kelvin: float               # key light colour temperature
    ambient_kelvin: float             # fill light colour temperature
    brightness: float                 # scene illumination scale
    smile: float                      # -0.3 .. 1
    mouth_open: float                 # 0 .. 1
    eye_open: float                   # 0.15 .. 1
    gaze: tuple                       # iris offset (u, v), face units
    glasses: bool                     # wearing glasses in this photo
    background: int                   # background family
    bg_seed: int                      # seed for background details
    clothing: np.ndarray = field(default_factory=lambda: np.array([0.3, 0.3, 0.35], np.float32))
    specular: float = 0.0             # skin shine (oily skin, sweat): 0 matte .. 0.35 shiny
    shininess: float = 20.0           # specular exponent
    hand: bool = False                # a hand near the face (resting on the chin or cheek)

    @staticmethod
    def sample(rng: np.random.Generator, identity: Identity, face_frac=None,
               size=None) -> "View":
        if size is None:
            w = int(rng.integers(160, 225))
            h = int(np.clip(round(w * rng.uniform(0.9, 1.12)), 160, 224))
        else:
            w, h = size
        frac = float(rng.uniform(0.36, 0.5)) if face_frac is None else float(face_frac)
        pose = np.clip(rng.normal(0.0, [13.0, 10.0, 9.0]), -30, 30)
        return View(
            width=w, height=h, face_frac=frac,
            cx=float(rng.uniform(0.4, 0.6)), cy=float(rng.uniform(0.44, 0.56)),
            yaw=float(pose[0]), pitch=float(pose[1]), roll=float(pose[2]),
            light_az=float(rng.uniform(0, 360)), light_el=float(rng.uniform(-20, 70)),
            light_frontal=float(rng.uniform(0.2, 0.9)), ambient=float(rng.uniform(0.15, 0.55)),
            light_kelvin=float(rng.uniform(2700, 7500)), ambient_kelvin=float(rng.uniform(3500, 9000)),
            brightness=float(np.exp(rng.normal(0.0, 0.25))),
            smile=float(rng.uniform(-0.3, 1.0)),
            mouth_open=float(rng.choice([0.0, rng.uniform(0.1, 1.0)], p=[0.7, 0.3])),
            eye_open=float(rng.choice([1.0, rng.uniform(0.15, 1.0)], p=[0.7, 0.3])),
            gaze=(float(rng.normal(0, 0.025)), float(rng.normal(0, 0.015))),
            glasses=bool(rng.random() < identity.glasses_prob),
            background=int(rng.integers(N_BACKGROUNDS)), bg_seed=int(rng.integers(2 ** 31)),
            clothing=np.clip(rng.uniform(0.05, 0.85, 3), 0, 1).astype(np.float32),
            specular=float(rng.choice([0.0, rng.uniform(0.03, 0.35)], p=[0.4, 0.6])),
            shininess=float(rng.uniform(8, 40)),
            hand=bool(rng.random() < 0.08),
        )


N_BACKGROUNDS = 7


def render_background(rng: np.random.Generator, h: int, w: int, kind: int) -> np.ndarray:
    """A backdrop: plain wall, gradient, door/shelves, textured, outdoor, clutter, stripes/blinds."""
    base = rng.uniform(0.1, 0.9, 3).astype(np.float32)
    base = base * 0.6 + base.mean() * 0.4
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy /= h
    xx /= w
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    g = rng.normal(0, 0.25, 2)
    img *= (1.0 + g[0] * (xx - 0.5) + g[1] * (yy - 0.5))[..., None]
    if kind == 1:  # two-tone gradient
        other = rng.uniform(0.05, 0.95, 3).astype(np.float32)
        t = np.clip(xx * np.cos(g[0]) + yy * np.sin(g[1]), 0, 1)[..., None]
        img = img * (1 - t) + other * t
    elif kind == 2:  # door frames, shelves, windows: axis-aligned rectangles
        for _ in range(int(rng.integers(2, 6))):
            x0, x1 = np.sort(rng.uniform(-0.2, 1.2, 2))
            y0, y1 = np.sort(rng.uniform(-0.2, 1.2, 2))
            col = rng.uniform(0.05, 0.95, 3).astype(np.float32)
            m = ((xx > x0) & (xx < x1) & (yy > y0) & (yy < y1)).astype(np.float32)
            m = cv2.GaussianBlur(m, (0, 0), 0.7)
            blend(img, col, m * np.float32(rng.uniform(0.5, 1.0)))
    elif kind == 3:  # textured wall / fabric
        n = fractal_noise(rng, (h, w), cells=(24, 6, 2), weights=(0.6, 0.3, 0.2))
        img *= (1.0 + 0.15 * n)[..., None]
    elif kind == 4:  # outdoor: sky over foliage, defocused
        sky = np.array([0.55, 0.7, 0.95], np.float32) * rng.uniform(0.7, 1.1)
        green = np.array([0.2, 0.4, 0.15], np.float32) * rng.uniform(0.6, 1.3)
        horizon = rng.uniform(0.3, 0.7)
        t = np.clip((yy - horizon) * 8, 0, 1)[..., None]
        img = sky * (1 - t) + green * t
        leaves = smooth_noise(rng, (h, w), 7)[..., None]
        tint = smooth_noise(rng, (h, w), 20, 3) * np.float32(0.06)
        img *= (1.0 + 0.3 * leaves * t + tint)
    elif kind == 5:  # defocused clutter
        for _ in range(int(rng.integers(4, 10))):
            col = rng.uniform(0.0, 1.0, 3).astype(np.float32)
            r = rng.uniform(0.05, 0.3)
            cx, cy = rng.uniform(0, 1, 2)
            d = (np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) - r) * w
            blend(img, col, soft(d, 6.0) * np.float32(rng.uniform(0.4, 0.9)))
    elif kind == 6:  # blinds, striped fabric, tiles: fine periodic patterns (can alias)
        period = rng.uniform(2.5, 14.0) / w
        ang = rng.uniform(0, np.pi)
        phase = (xx * np.float32(np.cos(ang)) + yy * np.float32(np.sin(ang)) * (h / w)) / np.float32(period)
        stripes = 0.5 + 0.5 * np.sin(2 * np.pi * phase)
        other = rng.uniform(0.05, 0.95, 3).astype(np.float32)
        img = img + (other - img) * (stripes * np.float32(rng.uniform(0.2, 0.7)))[..., None]
    img += 0.02 * smooth_noise(rng, (h, w), 3)[..., None]
    return np.clip(img, 0.0, 1.0)


def _rot(u, v, deg):
    c, s = np.float32(np.cos(np.deg2rad(deg))), np.float32(np.sin(np.deg2rad(deg)))
    return u * c - v * s, u * s + v * c


def _ellipse_d(u, v, x0, y0, rx, ry):
    """Approximate signed distance to an axis-aligned ellipse, in face units."""
    q = np.sqrt(((u - x0) / rx) ** 2 + ((v - y0) / ry) ** 2)
    return (q - 1.0) * min(rx, ry)


def face_geometry(view: View, identity: Identity) -> dict:
    """Pixel geometry of the face: centre, scale (pixels per face unit), box."""
    a = view.face_frac * view.width / 2.0   # face half-width in pixels
    b = a * identity.aspect
    cx, cy = view.cx * view.width, view.cy * view.height
    th = np.deg2rad(view.roll)
    # box: ear-less face from about the hairline down to the chin (detector-style)
    local = np.array([[-1.0, -0.8 * identity.aspect], [1.0, -0.8 * identity.aspect],
                      [1.0, identity.aspect], [-1.0, identity.aspect],
                      [0.0, identity.aspect], [0.0, -0.8 * identity.aspect]]) * a
    # sample the ellipse outline to get a tight box under roll
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ell = np.stack([np.cos(t) * a, np.sin(t) * b], 1)
    ell = ell[ell[:, 1] >= -0.8 * b]
    pts = np.concatenate([ell, local[4:]])
    c, s = np.cos(th), np.sin(th)
    rot = np.stack([pts[:, 0] * c - pts[:, 1] * s, pts[:, 0] * s + pts[:, 1] * c], 1)
    rot += [cx, cy]
    return {"a": a, "b": b, "cx": cx, "cy": cy, "points": rot}


def render_scene(identity: Identity, view: View, rng: np.random.Generator) -> tuple[np.ndarray, Box]:
    """Draw the lit scene (before the camera) and return it with the face box."""
    from .imaging import box_from_points

    H, W = view.height, view.width
    geo = face_geometry(view, identity)
    a, cx, cy = geo["a"], geo["cx"], geo["cy"]
    e = identity.aspect
    px = np.float32(1.0 / a)  # one pixel in face units
    bg_rng = np.random.default_rng(view.bg_seed)
    img = render_background(bg_rng, H, W, view.background)

    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    xi = (xx + 0.5 - cx) * px
    yi = (yy + 0.5 - cy) * px
    u0, v0 = _rot(xi, yi, -view.roll)          # head coordinates (upright)

    syaw, cyaw = np.sin(np.deg2rad(view.yaw)), np.cos(np.deg2rad(view.yaw))
    spit, cpit = np.sin(np.deg2rad(view.pitch)), np.cos(np.deg2rad(view.pitch))
    # outline coordinates: the silhouette shifts a little with yaw/pitch
    uo = u0 + np.float32(0.12 * syaw)
    vo = v0 + np.float32(0.08 * spit)
    # feature coordinates: features slide toward the turned side and foreshorten
    uf = (u0 - np.float32(0.55 * syaw)) / np.float32(max(cyaw, 0.5))
    vf = (v0 - np.float32(0.45 * spit)) / np.float32(max(cpit, 0.5))

    # lighting
    az, el = np.deg2rad(view.light_az), np.deg2rad(view.light_el)
    L = np.array([np.cos(el) * np.cos(az), -np.sin(el), np.cos(el) * abs(np.sin(az)) + 0.3])
    L = L * (1 - view.light_frontal) + np.array([0, 0, 1.0]) * view.light_frontal
    L = [float(c) for c in L / np.linalg.norm(L)]
    key = kelvin_rgb(view.light_kelvin) * np.float32(view.brightness)
    amb = kelvin_rgb(view.ambient_kelvin) * np.float32(view.brightness * view.ambient)

    def shade(nx, ny, nz):
        d = np.maximum(nx * L[0] + ny * L[1] + nz * L[2], 0.0).astype(np.float32)
        return d[..., None] * key * np.float32(1 - view.ambient) + amb

    # background lighting: gentler
    img *= (0.55 + 0.45 * view.brightness * (1.0 - 0.5 * view.ambient))
    img *= kelvin_rgb((view.light_kelvin + view.ambient_kelvin) / 2)

    skin = identity.skin
    # torso and neck (upright in the image)
    tx = (xx + 0.5 - cx) * px
    ty = (yy + 0.5 - cy) * px
    torso_d = _ellipse_d(tx, ty, 0.0, e + 1.9, 2.3, 1.35)
    trow = tx[:1]
    torso_shade = shade(trow * 0.2, np.float32(-0.3), np.float32(0.9))
    blend(img, view.clothing * torso_shade, soft(torso_d / px, 1.0))
    neck_d = np.maximum(np.abs(tx - 0.05 * syaw) - 0.52, -(ty - 0.2))
    neck_d = np.maximum(neck_d, ty - (e + 1.0))
    neck_shade = shade(np.clip(trow * 0.7, -1, 1), np.float32(0.1), np.float32(0.75))
    neck_col = skin * neck_shade * np.float32(0.8)
    blend(img, neck_col, soft(neck_d / px, 1.0))

    hair_noise = None
    hair_col = identity.hair_colour
    if identity.hair_style in (2, 3, 5):
        hair_noise = cv2.GaussianBlur(bg_rng.standard_normal((H, W), dtype=np.float32), (0, 0),
                                      sigmaX=0.6, sigmaY=3.0 if identity.hair_style != 5 else 0.8)
        # long hair falls behind the head
        length = {2: e + 0.2, 3: e + 1.6, 5: e + 0.1}[identity.hair_style]
        width = {2: 1.25, 3: 1.3, 5: 1.5}[identity.hair_style]
        back_d = np.maximum(_ellipse_d(uo, vo, 0.0, -0.1, width, e + 0.45), vo - length)
        hair_shade = shade(uo * 0.5, np.float32(-0.2), np.float32(0.8))
        hcol = hair_col * hair_shade * (1.0 + 0.35 * hair_noise)[..., None]
        blend(img, hcol, soft(back_d / px, 1.2))

    # ears
    ear_shift = 0.12 * syaw
    for side in (-1, 1):
        vis = 1.0 - max(0.0, side * syaw) * 1.6
        if vis <= 0.05:
            continue
        ed = _ellipse_d(uo, vo, side * (0.97 - ear_shift * side), 0.05, 0.13 * vis, identity.ear_size)
        blend(img, skin * shade(np.full((1, 1), side * 0.6, np.float32), np.float32(0), np.float32(0.8)),
              soft(ed / px, 1.0))

    # face skin with ellipsoid shading
    wv = 1.0 - identity.jaw * np.clip(vo / e, 0, 1) ** 1.5
    q2 = (uo / wv) ** 2 + (vo / e) ** 2
    face_d = (np.sqrt(q2) - 1.0) * wv
    face_a = soft(face_d / px, 1.0)
    nz = np.sqrt(np.clip(1.0 - q2, 0.0, 1.0)).astype(np.float32) + 0.05
    nx = uo / wv
    ny = vo / e
    # rotate normals with yaw/pitch
    nx2 = nx * cyaw + nz * syaw
    nz2 = -nx * syaw + nz * cyaw
    ny2 = ny * cpit - nz2 * spit
    nz3 = ny * spit + nz2 * cpit
    n = np.sqrt(nx2 ** 2 + ny2 ** 2 + nz3 ** 2) + 1e-6
    nx2, ny2, nz3 = nx2 / n, ny2 / n, nz3 / n
    skin_tex = 1.0 + 0.035 * fractal_noise(bg_rng, (H, W), cells=(12, 3, 1.5), weights=(0.5, 0.4, 0.3))
    albedo = np.empty((H, W, 3), np.float32)
    albedo[:] = skin
    albedo *= skin_tex[..., None]
    # cheeks
    for side in (-1, 1):
        cd = _ellipse_d(uf, vf, side * 0.5, 0.3, 0.28, 0.22)
        blend(albedo, skin * np.array([1.05, 0.85, 0.85], np.float32), soft(cd / px, 14.0) * 0.35)
    if identity.freckles > 0:
        fr = bg_rng.random((H, W)).astype(np.float32)
        fm = (fr > 1.0 - 0.02 * identity.freckles) & (np.abs(vf - 0.1) < 0.35)
        albedo[fm] *= np.array([0.8, 0.7, 0.65], np.float32)

    # beard / stubble into the albedo
    if identity.beard:
        bn = cv2.GaussianBlur(bg_rng.standard_normal((H, W), dtype=np.float32), (0, 0), 0.7)
        mouth_v = identity.nose_len + 0.28
        if identity.beard in (1, 2):
            bd = np.maximum(face_d, -(vf - (mouth_v - 0.2)))
            dens = 0.35 if identity.beard == 1 else 0.85
        elif identity.beard == 3:
            bd = _ellipse_d(uf, vf, 0.0, mouth_v - 0.1, identity.mouth_width + 0.05, 0.06)
            dens = 0.85
        else:
            bd = _ellipse_d(uf, vf, 0.0, e * 0.85, 0.28, 0.3)
            dens = 0.8
        bm = soft(bd / px, 3.0) * np.float32(dens) * np.clip(0.6 + 0.5 * bn, 0, 1)
        blend(albedo, hair_col, bm)

    # shading: nose side shadow, eye sockets
    sh = shade(nx2, ny2, nz3)
    sock = np.zeros((H, W), np.float32)
    for side in (-1, 1):
        sd = _ellipse_d(uf, vf, side * identity.eye_sep, -0.08, identity.eye_size * 1.5, 0.16)
        sock += soft(sd / px, 10.0)
    nose_side = soft(np.abs(uf - 0.06 * np.sign(L[0])) / px - 1, 6.0) * \
        ((vf > -0.05) & (vf < identity.nose_len)).astype(np.float32)
    occ = 1.0 - 0.18 * np.clip(sock, 0, 1) - 0.15 * nose_side * abs(L[0])
    face_col = albedo * sh * occ[..., None]
    if view.specular > 0:
        hv = np.array([L[0], L[1], L[2] + 1.0])
        hv = [float(c) for c in hv / np.linalg.norm(hv)]
        spec = np.maximum(nx2 * hv[0] + ny2 * hv[1] + nz3 * hv[2], 0.0) ** np.float32(view.shininess)
        face_col = face_col + (spec * np.float32(view.specular) * occ)[..., None] * key
    blend(img, face_col, face_a)
    # the inner features only need the face's bounding window
    rows, cols = np.flatnonzero(face_a.any(axis=1)), np.flatnonzero(face_a.any(axis=0))
    m = int(0.2 * a) + 2
    fs = (slice(max(int(rows[0]) - m, 0), int(rows[-1]) + 1 + m),
          slice(max(int(cols[0]) - m, 0), int(cols[-1]) + 1 + m))
    full_img = img
    img = full_img[fs]
    uf, vf = uf[fs], vf[fs]
    fmask = face_a[fs]

    def draw(colour, d_units, aa=1.0, strength=1.0):
        blend(img, colour, soft(d_units / px, aa) * fmask * np.float32(strength))

    light_level = (key * max(L[2], 0.2) * (1 - view.ambient) + amb).astype(np.float32)

    # eyes
    ey = -0.08
    for side in (-1, 1):
        ex = side * identity.eye_sep
        rx, ry = identity.eye_size, identity.eye_size * 0.42 * view.eye_open + 0.005
        eye_d = _ellipse_d(uf, vf, ex, ey, rx, ry)
        draw(np.array([0.85, 0.83, 0.8], np.float32) * light_level, eye_d)
        if view.eye_open > 0.2:
            ix, iy = ex + view.gaze[0], ey + view.gaze[1]
            ir = identity.eye_size * 0.45
            iris_d = np.maximum(_ellipse_d(uf, vf, ix, iy, ir, ir), eye_d)
            draw(identity.iris * light_level, iris_d)
            pup_d = np.maximum(_ellipse_d(uf, vf, ix, iy, ir * 0.45, ir * 0.45), eye_d)
            draw(np.array([0.02, 0.02, 0.02], np.float32), pup_d)
            glint = _ellipse_d(uf, vf, ix + ir * 0.3, iy - ir * 0.3, ir * 0.18, ir * 0.18)
            draw(np.array([1, 1, 1], np.float32) * light_level * 1.4, np.maximum(glint, eye_d), strength=0.8)
        lid = np.abs(_ellipse_d(uf, vf, ex, ey + 0.01, rx * 1.02, ry + 0.01)) - 0.012
        lid = np.maximum(lid, vf - ey - 0.005)
        draw(np.array([0.08, 0.06, 0.05], np.float32), lid, strength=0.85)
        # brow
        bx = uf - ex
        curve = ey - 0.17 - identity.brow_arch * 0.1 * (1 - (bx / 0.2) ** 2)
        brow_d = np.maximum(np.abs(vf - curve) - identity.brow_thick, np.abs(bx) - 0.2)
        draw(hair_col * light_level * 0.9, brow_d, aa=1.5, strength=0.9)

    # nose
    nl, nw = identity.nose_len, identity.nose_width
    for side in (-1, 1):
        nd = _ellipse_d(uf, vf, side * nw * 0.6, nl, nw * 0.35, 0.035)
        draw(skin * light_level * 0.35, nd, aa=1.5, strength=0.8)
    tip = _ellipse_d(uf, vf, 0.0, nl - 0.06, nw * 0.7, 0.07)
    draw(skin * light_level * 1.15, tip, aa=6.0, strength=0.5)
    bridge = np.maximum(np.abs(uf + 0.04 * np.sign(L[0])) - 0.025, np.abs(vf - nl * 0.45) - nl * 0.45)
    draw(skin * light_level * 1.2, bridge, aa=3.0, strength=0.4)

    # mouth
    my = nl + 0.28
    mw = identity.mouth_width * (1 + 0.15 * view.smile)
    mx = uf / mw
    bend = -0.06 * view.smile * (1 - mx ** 2)
    opening = 0.05 * view.mouth_open
    upper = _ellipse_d(uf, vf, 0.0, my - identity.lip_thick * 0.6 + bend - opening, mw, identity.lip_thick)
    lower = _ellipse_d(uf, vf, 0.0, my + identity.lip_thick * 0.7 + bend + opening, mw * 0.9,
                       identity.lip_thick * 1.15)
    lips = np.minimum(upper, lower)
    draw(identity.lip_colour * light_level, lips, aa=1.2)
    if view.mouth_open > 0.05:
        inner = _ellipse_d(uf, vf, 0.0, my + bend, mw * 0.75, opening + 0.01)
        draw(np.array([0.12, 0.03, 0.03], np.float32), inner)
        teeth = np.maximum(inner, vf - (my + bend - opening * 0.2))
        draw(np.array([0.8, 0.78, 0.7], np.float32) * light_level, teeth, strength=0.9)
    seam = np.maximum(np.abs(vf - (my + bend)) - 0.008, np.abs(uf) - mw)
    draw(identity.lip_colour * 0.4, seam, strength=0.7)

    # hair on top (cap, fringe)
    if identity.hair_style != 0:
        cap_ry = e + {1: 0.12, 2: 0.18, 3: 0.2, 4: 0.15, 5: 0.35}[identity.hair_style]
        cap_rx = {1: 1.06, 2: 1.12, 3: 1.1, 4: 1.06, 5: 1.35}[identity.hair_style]
        hl = -identity.hairline * e + 0.12 * (uo ** 2)
        cap_d = np.maximum(_ellipse_d(uo, vo - 0.05, 0.0, 0.0, cap_rx, cap_ry), vo - hl)
        if identity.hair_style in (3, 2):
            sides = np.maximum(np.abs(uo) - cap_rx, -(np.abs(uo) - 0.88))
            sides = np.maximum(sides, vo - (0.2 if identity.hair_style == 2 else e * 0.9))
            sides = np.maximum(sides, -(vo + 0.9))
            cap_d = np.minimum(cap_d, sides)
        if identity.hair_style == 4:
            bun = _ellipse_d(uo, vo, 0.0, -e - 0.3, 0.45, 0.35)
            cap_d = np.minimum(cap_d, bun)
        if hair_noise is None:
            hair_noise = cv2.GaussianBlur(bg_rng.standard_normal((H, W), dtype=np.float32), (0, 0),
                                          sigmaX=0.6, sigmaY=2.0)
        hs = shade(nx2 * 0.8, ny2 - 0.3, nz3 + 0.2)
        hcol = hair_col * hs * (1.0 + 0.4 * hair_noise)[..., None] + 0.04 * key * np.clip(hair_noise, 0, 1)[..., None]
        aa = 2.0 if identity.hair_style in (1, 5) else 1.3
        blend(full_img, hcol, soft(cap_d / px, aa))

    # glasses
    if view.glasses:
        gc = identity.glasses_colour * light_level
        lens_r = identity.eye_size * 1.45
        for side in (-1, 1):
            ex = side * identity.eye_sep
            ld = _ellipse_d(uf, vf, ex, -0.06, lens_r, lens_r * 0.78)
            blend(img, np.array([0.6, 0.65, 0.7], np.float32) * light_level, soft(ld / px, 1.0) * np.float32(0.12))
            ring = np.abs(ld) - 0.022
            blend(img, gc, soft(ring / px, 1.0))
            refl = _ellipse_d(uf, vf, ex + 0.1 * L[0], -0.12, lens_r * 0.35, lens_r * 0.18)
            blend(img, key * 1.2, soft(refl / px, 4.0) * soft(ld / px, 1.0) * np.float32(0.35 * L[2]))
            arm = np.maximum(np.abs(vf + 0.08) - 0.015, -(side * uf - (identity.eye_sep + lens_r)))
            arm = np.maximum(arm, side * uf - 1.05)
            blend(img, gc, soft(arm / px, 1.0))
        bridge = np.maximum(np.abs(vf + 0.1) - 0.015, np.abs(uf) - (identity.eye_sep - lens_r))
        blend(img, gc, soft(bridge / px, 1.0))

    if view.hand:
        _draw_hand(full_img, bg_rng, identity.skin * (light_level * 0.9), cx, cy, a, e)
    box = box_from_points(geo["points"], W, H)
    return np.clip(full_img, 0.0, 1.5), box


def _draw_hand(img: np.ndarray, rng: np.random.Generator, skin: np.ndarray, cx: float, cy: float,
               a: float, e: float) -> None:
    """Fingers coming up from below and resting against the chin or a cheek (in place)."""
    H, W = img.shape[:2]
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    side = rng.choice([-1.0, 1.0])
    r = a * rng.uniform(0.1, 0.14)
    base_x = cx + side * a * rng.uniform(0.3, 0.9)
    top_y = cy + a * e * rng.uniform(0.4, 0.95)
    tilt = rng.normal(0, 0.25) - side * 0.2
    for i in range(int(rng.integers(2, 5))):
        tip = np.array([base_x + (i - 1.5) * 2.1 * r * side + rng.normal(0, 0.2) * r,
                        top_y + abs(i - 1.0) * r * 0.8])
        far = tip + np.array([np.sin(tilt), 1.0]) * (H + W)
        d = far - tip
        t = np.clip(((xx - tip[0]) * d[0] + (yy - tip[1]) * d[1]) / float(d @ d), 0, 1)
        dist = np.sqrt((xx - tip[0] - t * d[0]) ** 2 + (yy - tip[1] - t * d[1]) ** 2) - r
        shade = np.clip(1.0 - 0.25 * (dist / r + 1) ** 2, 0.55, 1.0)
        blend(img, skin[None, None, :] * shade[..., None], soft(dist, 1.2))


def render_bonafide(identity: Identity, view: View, rng: np.random.Generator,
                    camera: Camera | None = None) -> tuple[np.ndarray, Box, Camera]:
    """Scene + camera: float RGB frame in [0, 1], face box, and the camera used."""
    scene, box = render_scene(identity, view, rng)
    cam = camera if camera is not None else Camera.sample(rng)
    return apply_camera(scene, cam, rng), box, cam


def eye_points(identity: Identity, view: View) -> np.ndarray:
    """Pixel positions of the two eye centres (image left first)."""
    a = view.face_frac * view.width / 2.0
    cx, cy = view.cx * view.width, view.cy * view.height
    syaw, cyaw = np.sin(np.deg2rad(view.yaw)), np.cos(np.deg2rad(view.yaw))
    spit, cpit = np.sin(np.deg2rad(view.pitch)), np.cos(np.deg2rad(view.pitch))
    pts = []
    for side in (-1, 1):
        uf, vf = side * identity.eye_sep, -0.08
        u = uf * max(cyaw, 0.5) + 0.55 * syaw
        v = vf * max(cpit, 0.5) + 0.45 * spit
        th = np.deg2rad(view.roll)
        x = u * np.cos(th) - v * np.sin(th)
        y = u * np.sin(th) + v * np.cos(th)
        pts.append([cx + x * a, cy + y * a])
    return np.array(pts)
