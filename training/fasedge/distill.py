"""Knowledge-distillation loss of DESIGN §2 (Hinton et al. 2015) and the optional Fourier term."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class KDConfig:
    """Distillation settings (saved with the student's provenance)."""

    temperature: float = 4.0  # T: softens teacher and student distributions in the KL term
    alpha: float = 0.3  # weight of the hard-label cross-entropy; (1 - alpha) weighs T^2 * KL
    fourier_weight: float = 0.0  # weight of the auxiliary spectrum MSE (0 = off; needs StudentConfig.fourier_aux)


def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor, temperature: float, alpha: float) -> torch.Tensor:
    """L = alpha * CE(y, softmax(z_s)) + (1 - alpha) * T^2 * KL(softmax(z_t / T) || softmax(z_s / T)).

    The KL term is averaged over the batch (``batchmean``), like the cross-entropy.
    """
    ce = F.cross_entropy(student_logits, labels)
    t = float(temperature)
    log_p_s = F.log_softmax(student_logits / t, dim=1)
    log_p_t = F.log_softmax(teacher_logits.detach() / t, dim=1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(dim=1).mean()
    return alpha * ce + (1.0 - alpha) * (t * t) * kl


def fourier_target(x: torch.Tensor, size: int = 10) -> torch.Tensor:
    """log(1 + |FFT2|) of the grey input, centred, pooled to size x size, scaled to [0, 1] per image."""
    grey = x.mean(dim=1)
    spec = torch.fft.fftshift(torch.fft.fft2(grey), dim=(-2, -1)).abs()
    spec = torch.log1p(spec).unsqueeze(1)
    spec = F.adaptive_avg_pool2d(spec, size)
    lo = spec.amin(dim=(2, 3), keepdim=True)
    hi = spec.amax(dim=(2, 3), keepdim=True)
    return (spec - lo) / (hi - lo + 1e-6)
