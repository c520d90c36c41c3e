"""The distillation loss of DESIGN §2 against a value computed by hand."""
import math

import pytest
import torch

from fasedge.distill import kd_loss


def _softmax(z, t=1.0):
    e = [math.exp(v / t) for v in z]
    return [v / sum(e) for v in e]


def test_kd_loss_matches_hand_computation():
    zs, zt, y, T, alpha = [1.0, 3.0], [0.5, 4.5], 1, 2.0, 0.3
    ce = -math.log(_softmax(zs)[y])
    ps, pt = _softmax(zs, T), _softmax(zt, T)
    kl = sum(p * math.log(p / q) for p, q in zip(pt, ps))
    want = alpha * ce + (1 - alpha) * T * T * kl
    got = kd_loss(torch.tensor([zs]), torch.tensor([zt]), torch.tensor([y]), temperature=T, alpha=alpha)
    assert float(got) == pytest.approx(want, rel=1e-6)
    # the literal numbers, so a change of formula cannot pass by changing both sides
    assert float(got) == pytest.approx(0.2260445, abs=1e-6)


def test_kd_loss_limits():
    zs = torch.tensor([[0.2, -1.0], [2.0, 0.5]])
    y = torch.tensor([0, 1])
    ce = torch.nn.functional.cross_entropy(zs, y)
    assert float(kd_loss(zs, torch.randn(2, 2), y, 4.0, 1.0)) == pytest.approx(float(ce))
    # a teacher identical to the student leaves only the hard-label term
    assert float(kd_loss(zs, zs.clone(), y, 3.0, 0.25)) == pytest.approx(0.25 * float(ce), rel=1e-6)


def test_kd_loss_does_not_backpropagate_into_the_teacher():
    zs = torch.tensor([[0.3, 0.1]], requires_grad=True)
    zt = torch.tensor([[1.0, -1.0]], requires_grad=True)
    kd_loss(zs, zt, torch.tensor([1]), 4.0, 0.5).backward()
    assert zs.grad is not None and zt.grad is None
