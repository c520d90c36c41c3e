"""Training-time augmentation (fasedge.dataset.augment) against a per-frame reference written out
with numpy: mirror, shift with the edge pixels repeated, then brightness and contrast."""
import numpy as np
import torch

from fasedge.dataset import AugmentConfig, augment, draw_params, view_table


def reference(pix: np.ndarray, params: np.ndarray) -> np.ndarray:
    out = np.empty_like(pix)
    h, w = pix.shape[1:3]
    for i, (flip, dx, dy, bright, contrast) in enumerate(params):
        img = pix[i, :, ::-1] if flip > 0.5 else pix[i]
        ys = np.clip(np.arange(h) - int(dy), 0, h - 1)
        xs = np.clip(np.arange(w) - int(dx), 0, w - 1)
        img = img[ys][:, xs]
        mean = img.mean(dtype=np.float64)
        out[i] = np.clip((img - mean) * contrast + mean + bright, 0, 255)
    return out


def test_augment_matches_per_frame_reference():
    rng = np.random.default_rng(7)
    pix = (rng.random((9, 12, 10, 3)) * 255).astype(np.float32)
    params = draw_params(9, AugmentConfig(shift=4, brightness=0.1, contrast=0.2), rng)
    params[0] = [0, 0, 0, 0, 1]  # identity
    params[1] = [1, 0, 0, 0, 1]  # mirror only
    params[2] = [0, 3, -2, 0, 1]  # right 3, up 2: the left columns and bottom rows repeat the edge
    got = augment(torch.from_numpy(pix), torch.from_numpy(params)).numpy()
    np.testing.assert_allclose(got, reference(pix, params), atol=1e-3)
    np.testing.assert_allclose(got[1], pix[1, :, ::-1], atol=1e-3)
    np.testing.assert_allclose(got[2, :-2, 3:], pix[2, 2:, :-3], atol=1e-3)
    np.testing.assert_array_equal(got[2, :, 0], got[2, :, 3])
    np.testing.assert_array_equal(got[2, -1], got[2, -3])


def test_view_zero_is_the_frame_itself():
    rng = np.random.default_rng(3)
    pix = np.round(rng.random((5, 8, 8, 3)) * 255).astype(np.float32)
    table = view_table(5, AugmentConfig(views=3, brightness=0.1, contrast=0.2), seed=11)
    np.testing.assert_allclose(augment(torch.from_numpy(pix), torch.from_numpy(table[0])).numpy(), pix, atol=1e-4)
    assert not np.allclose(augment(torch.from_numpy(pix), torch.from_numpy(table[1])).numpy(), pix)
