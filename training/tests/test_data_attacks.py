"""Attack simulators change what they claim to change."""
import cv2
import numpy as np
import pytest

from fasedge.data.attacks import (MASKS, PRINTERS, SCREENS, mask_attack, neutral_camera, print_attack,
                                  replay_attack)
from fasedge.data.imaging import to_float, to_uint8
from fasedge.data.render import Identity, View, render_bonafide

CAM = neutral_camera()
BOX = (70, 60, 60, 75)


def luminance(img):
    f = to_float(img)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def centre(a, frac=0.6):
    h, w = a.shape[:2]
    dy, dx = int(h * (1 - frac) / 2), int(w * (1 - frac) / 2)
    return a[dy:h - dy, dx:w - dx]


@pytest.fixture(scope="module")
def face():
    rng = np.random.default_rng(3)
    ident = Identity.sample(rng)
    view = View.sample(rng, ident, face_frac=0.45, size=(200, 200))
    img, box, _ = render_bonafide(ident, view, rng, camera=CAM)
    return to_uint8(img), box


def test_print_compresses_dynamic_range():
    yy, xx = np.mgrid[0:200, 0:200]
    chart = ((((yy // 20) + (xx // 20)) % 2) * 255).astype(np.uint8)      # black and white squares
    kw = dict(instrument="printer_b", closeup=True, bend=0.0, fingers=False, camera=CAM)
    strong = luminance(print_attack(chart, BOX, 4, intensity=1.0, **kw).image)
    none = luminance(print_attack(chart, BOX, 4, intensity=0.0, **kw).image)
    lo_s, hi_s = np.percentile(centre(strong), [1, 99])
    lo_n, hi_n = np.percentile(centre(none), [1, 99])
    assert lo_s > lo_n + 0.04          # ink black is not black
    assert hi_s - lo_s < 0.9 * (hi_n - lo_n)


def test_print_halftone_adds_fine_texture():
    grey = np.full((200, 200, 3), 128, np.uint8)
    kw = dict(instrument="printer_b", closeup=True, bend=0.0, fingers=False, camera=CAM)
    strong = luminance(print_attack(grey, BOX, 9, intensity=1.0, **kw).image)
    none = luminance(print_attack(grey, BOX, 9, intensity=0.0, **kw).image)
    hf = lambda a: cv2.Laplacian(centre(a).astype(np.float32), cv2.CV_32F).var()
    assert hf(strong) > 4 * hf(none)


def _ring_power(channel, period):
    a = centre(channel, 0.64)
    n = min(a.shape)
    a = a[:n, :n] - a[:n, :n].mean()
    win = np.outer(np.hanning(n), np.hanning(n))
    p = np.abs(np.fft.fftshift(np.fft.fft2(a * win))) ** 2
    yy, xx = np.mgrid[:n, :n] - n // 2
    r = np.sqrt(xx ** 2 + yy ** 2) / n            # cycles per pixel
    f0 = 1.0 / period
    at = p[np.abs(r - f0) < 0.03].mean()
    off = p[(r > 0.08) & (r < f0 - 0.08)].mean()
    return at, off


def test_replay_puts_energy_at_the_subpixel_frequency():
    grey = np.full((200, 200, 3), 128, np.uint8)
    kw = dict(instrument="screen_b", closeup=True, fingers=False, camera=CAM, pitch=3.0)
    res = replay_attack(grey, BOX, 2, intensity=1.0, **kw)
    period = res.params["grid_period_px"]
    assert 2.5 < period < 3.5
    red = to_float(res.image)[..., 0]
    at, off = _ring_power(red, period)
    assert at > 20 * off
    # the bona fide input has no such peak
    at0, off0 = _ring_power(to_float(grey)[..., 0] + np.random.default_rng(0).normal(0, 0.01, (200, 200)), period)
    assert at0 < 3 * off0


def test_replay_lifts_black_level():
    black = np.zeros((200, 200, 3), np.uint8)
    kw = dict(instrument="screen_b", closeup=True, fingers=False, camera=CAM)
    strong = luminance(replay_attack(black, BOX, 5, intensity=1.0, **kw).image)
    none = luminance(replay_attack(black, BOX, 5, intensity=0.0, **kw).image)
    assert np.median(centre(strong)) > np.median(centre(none)) + 0.02


def test_mask_changes_the_face_and_not_the_surroundings(face):
    img, box = face
    res = mask_attack(img, box, 1, instrument="mask_a", intensity=1.0, closeup=False, camera=CAM)
    a, b = to_float(img), to_float(res.image)
    x, y, w, h = box
    inner = np.abs(a[y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4] - b[y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4])
    assert inner.mean() > 0.02
    far = np.ones(a.shape[:2], bool)
    far[max(0, y - h // 2):y + h + h // 2, max(0, x - w // 2):x + w + w // 2] = False
    assert np.abs(a - b)[far].mean() < 1.5 / 255
    bx, by, bw, bh = res.box
    assert abs(bx - x) < 0.15 * w and abs(bw - w) < 0.15 * w


def test_mask_b_smooths_skin_texture(face):
    img, box = face
    x, y, w, h = box
    res = mask_attack(img, box, 2, instrument="mask_b", intensity=1.0, closeup=False, camera=CAM)
    hf = lambda im: cv2.Laplacian(luminance(im)[y + h // 3:y + h // 2, x + w // 4:x + 3 * w // 4].astype(np.float32),
                                  cv2.CV_32F).var()
    assert hf(res.image) < 0.7 * hf(img)


@pytest.mark.parametrize("fn,inst", [(print_attack, "printer_a"), (replay_attack, "screen_a")])
def test_closeups_fill_the_frame_and_others_show_the_edges(face, fn, inst):
    img, box = face
    for seed in range(4):
        close = fn(img, box, seed, instrument=inst, closeup=True, camera=CAM)
        quad = np.array(close.params["quad"], np.float32).reshape(-1, 1, 2)
        corners = [(0, 0), (200, 0), (200, 200), (0, 200)]
        assert all(cv2.pointPolygonTest(quad, c, False) >= 0 for c in corners)
        far = fn(img, box, seed, instrument=inst, closeup=False, camera=CAM)
        quad = np.array(far.params["quad"], np.float32).reshape(-1, 1, 2)
        assert any(cv2.pointPolygonTest(quad, c, False) < 0 for c in corners)


@pytest.mark.parametrize("fn,inst", [(print_attack, "printer_b"), (replay_attack, "screen_b")])
def test_attack_box_follows_the_face(fn, inst):
    img = np.zeros((200, 200, 3), np.uint8)
    x, y, w, h = 80, 50, 50, 70
    img[y:y + h, x:x + w] = 255
    for seed in range(3):
        res = fn(img, (x, y, w, h), seed, instrument=inst, intensity=0.5, closeup=False, fingers=False,
                 camera=CAM)
        bx, by, bw, bh = res.box
        lum = luminance(res.image)
        inside = lum[by + bh // 4:by + 3 * bh // 4, bx + bw // 4:bx + 3 * bw // 4].mean()
        assert inside > lum.mean() + 0.2
        assert max(bw, bh) < 1.2 * max(w, h)   # held at a distance, maybe rotated


@pytest.mark.parametrize("fn,inst", [(print_attack, "printer_a"), (replay_attack, "screen_b"),
                                     (mask_attack, "mask_b")])
def test_simulators_work_on_any_photo_and_are_deterministic(fn, inst):
    rng = np.random.default_rng(1)
    photo = (rng.random((241, 317)) * 255).astype(np.uint8)          # greyscale, odd size
    box = (120, 60, 80, 100)
    a = fn(photo, box, 42, instrument=inst)
    b = fn(photo, box, 42, instrument=inst)
    assert a.image.dtype == np.uint8 and a.image.shape == (241, 317, 3)
    assert np.array_equal(a.image, b.image) and a.box == b.box
    x, y, w, h = a.box
    assert 0 <= x and 0 <= y and x + w <= 317 and y + h <= 241
    assert a.species in ("print", "replay", "mask") and a.instrument == inst


def test_instrument_tables_and_unknown_instruments():
    assert set(PRINTERS) == {"printer_a", "printer_b"}
    assert set(SCREENS) == {"screen_a", "screen_b"}
    assert set(MASKS) == {"mask_a", "mask_b"}
    # the instruments differ where the protocol needs them to: coarser screen / pitch on B
    assert PRINTERS["printer_b"]["ink_black"][0] > PRINTERS["printer_a"]["ink_black"][0]
    assert SCREENS["screen_b"]["pitch"][1] > SCREENS["screen_a"]["pitch"][1]
    img = np.zeros((64, 64, 3), np.uint8)
    for fn in (print_attack, replay_attack, mask_attack):
        with pytest.raises(ValueError):
            fn(img, (10, 10, 20, 20), 0, instrument="laser_z")
