"""Adapters that read published face anti-spoofing datasets into the fasedge manifest format."""
from __future__ import annotations

from pathlib import Path

from ..dataset import write_manifest
from .celeba_spoof import celeba_spoof_rows
from .oulu_npu import oulu_npu_rows


def adapt_celeba_spoof(root, out_csv, val_fraction: float = 0.1, strict: bool = True) -> Path:
    """Write a manifest for CelebA-Spoof's intra-test protocol; returns the CSV path."""
    out_csv = Path(out_csv)
    rows = celeba_spoof_rows(root, out_csv.parent, val_fraction=val_fraction, strict=strict)
    write_manifest(out_csv, rows)
    return out_csv


def adapt_oulu_npu(root, out_csv, protocol=1, fold=None, frames_per_video=None, strict: bool = True) -> Path:
    """Write a manifest for one OULU-NPU protocol from extracted frames; returns the CSV path."""
    out_csv = Path(out_csv)
    rows = oulu_npu_rows(root, out_csv.parent, protocol=protocol, fold=fold,
                         frames_per_video=frames_per_video, strict=strict)
    write_manifest(out_csv, rows)
    return out_csv


__all__ = ["adapt_celeba_spoof", "adapt_oulu_npu", "celeba_spoof_rows", "oulu_npu_rows"]
