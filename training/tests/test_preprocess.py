"""The preprocessing rules of models/README.md, checked against hand-computed values."""
import math

import cv2
import numpy as np
import pytest

from fasedge.preprocess import PreprocessConfig, crop_box, normalise, preprocess, resize_triangle, to_rgb8, triangle_weights


def test_crop_box_centred_on_face_and_rounded_half_up():
    # box 10x20 at (50, 40): side = floor(20 * 1.5 + 0.5) = 30; centre (55, 50) -> x0 = floor(40 + .5) = 40, y0 = 35
    assert crop_box(200, 160, [50, 40, 10, 20], 1.5) == (40, 35, 30)
    # half-way centres round up (Python's round would give 0 for 0.5)
    assert crop_box(100, 100, [0, 0, 3, 3], 1.0) == (0, 0, 3)
    assert crop_box(100, 100, [1, 1, 2, 2], 1.25) == (1, 1, 3)  # side floor(2.5+.5)=3, x0 = floor(2-1.5+.5) = 1


def test_crop_box_clamped_to_image_and_image_size():
    assert crop_box(120, 100, [100, 80, 40, 40], 1.5) == (60, 40, 60)  # side 60, pushed back inside
    assert crop_box(120, 100, [0, 0, 200, 200], 1.5) == (20, 0, 100)  # side capped by the height, x0 = min(50, W - side)
    assert crop_box(120, 100, [-30, -30, 10, 10], 2.0) == (0, 0, 20)


def test_crop_box_without_box_is_centred_square():
    assert crop_box(205, 191, None, 1.5) == (7, 0, 191)
    assert crop_box(160, 224, None, 1.5) == (0, 32, 160)


def test_triangle_weights_downscale_by_two_hand_computed():
    w = triangle_weights(4, 2)
    # scale 2, support 2: output 0 centred at 1.0, taps j=0..2 with weights .75 .75 .25 -> normalised
    np.testing.assert_allclose(w[0], np.array([0.75, 0.75, 0.25, 0.0]) / 1.75)
    np.testing.assert_allclose(w[1], np.array([0.0, 0.25, 0.75, 0.75]) / 1.75)
    np.testing.assert_allclose(triangle_weights(97, 80).sum(axis=1), 1.0)


def test_upscaling_equals_bilinear_with_half_pixel_centres():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (37, 29, 3)).astype(np.uint8)
    ours = resize_triangle(img, (80, 80))
    ref = cv2.resize(img.astype(np.float64), (80, 80), interpolation=cv2.INTER_LINEAR)
    assert np.abs(ours - ref).max() < 1e-3


def test_resize_rows_then_columns_no_rounding():
    img = np.zeros((4, 4, 3), np.uint8)
    img[:, 1] = 1  # a one-level column: values after the resize are fractions, not rounded
    out = resize_triangle(img, (2, 2))
    np.testing.assert_allclose(out[:, 0, 0], 0.75 / 1.75)
    np.testing.assert_allclose(out[:, 1, 0], 0.25 / 1.75)


def test_normalise_layout_and_values():
    cfg = PreprocessConfig()
    px = np.zeros((80, 80, 3))
    px[..., 0] = 255.0
    px[..., 2] = 127.5
    x = normalise(px, cfg)
    assert x.shape == (1, 3, 80, 80) and x.dtype == np.float32
    assert np.all(x[0, 0] == 1.0) and np.all(x[0, 1] == -1.0) and np.all(x[0, 2] == 0.0)


def test_preprocess_crop_is_what_the_network_sees():
    img = np.zeros((100, 120, 3), np.uint8)
    img[30:70, 40:80] = 200  # the face box area is bright, the rest black
    x = preprocess(img, [40, 30, 40, 40], PreprocessConfig(crop_scale=1.0))
    assert x.min() > 0.5  # the crop holds only the bright square
    y = preprocess(img, [40, 30, 40, 40], PreprocessConfig(crop_scale=2.0))
    assert y.min() == pytest.approx(-1.0)


def test_decoding_rules_grey_alpha_and_16_bit():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert to_rgb8(grey).shape == (3, 4, 3) and np.all(to_rgb8(grey)[..., 2] == grey)
    bgra = np.zeros((2, 2, 4), np.uint8)
    bgra[..., 0] = 10  # blue
    bgra[..., 3] = 99  # alpha dropped
    rgb = to_rgb8(bgra)
    assert rgb.shape == (2, 2, 3) and np.all(rgb[..., 2] == 10) and np.all(rgb[..., 0] == 0)
    v16 = np.array([[[0, 128, 65535]]], np.uint16)  # BGR
    assert to_rgb8(v16).tolist() == [[[255, 0, 0]]]  # 65535/257 = 255; 128/257 = 0.498 -> 0
    assert to_rgb8(np.array([[[0, 0, 129]]], np.uint16)).tolist() == [[[1, 0, 0]]]  # 129/257 + .5 -> 1
