"""Configuration of the whole model factory (one dataclass per concern, a comment per field).

``PipelineConfig`` is saved into every stage's output and, per model, into manifest.json's
provenance, so a shipped model can be reproduced from its manifest entry.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Tuple

from .dataset import AugmentConfig
from .distill import KDConfig
from .nets import MiniFASNetV2Config, StudentConfig, TeacherConfig
from .preprocess import PreprocessConfig
from .quantize import QuantConfig
from .train import TrainConfig
from .tta import TTAConfig


@dataclass
class DataSpec:
    """Which dataset to train on."""

    manifest: str = ""  # manifest.csv of an existing dataset (synthetic or a real-dataset adapter's output); empty = generate
    preset: str = "xlarge"  # synthetic generator preset used when ``manifest`` is empty
    seed: int = 1234  # synthetic generator seed
    out: str = ""  # where the synthetic dataset is generated (reused when its dataset.json matches); empty: data/synthetic-<preset>
    workers: int = 2  # processes for generation, preprocessing and the evaluate stage's onnxruntime-web scoring

    def folder(self) -> str:
        """Where the synthetic dataset is generated: ``out``, or the preset's default folder."""
        return self.out or f"data/synthetic-{self.preset}"


@dataclass
class CrossSpec:
    """Cross-instrument protocol (OULU-NPU protocol 2 style): separate models of the same
    configuration are trained without ``holdout`` instruments (train and val) and tested on the
    test split's bona fide frames plus the held-out instruments."""

    enabled: bool = True  # run the protocol (its models are evaluated, not shipped)
    holdout: Tuple[str, ...] = ("printer_b", "screen_b", "mask_b")  # instruments never seen in training or validation
    epoch_scale: float = 0.35  # epochs and time budget of each cross-protocol training stage = scale x the shipped stage's


@dataclass
class PipelineConfig:
    """Everything ``python -m fasedge.pipeline`` does."""

    name: str = "default"  # run name: outputs go to runs/<name>/
    quick: bool = False  # smoke-test sizes (models are marked "quick" in the manifest)
    data: DataSpec = field(default_factory=DataSpec)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    augment: AugmentConfig = field(default_factory=lambda: AugmentConfig(brightness=0.0, contrast=0.0, views=4))
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    teacher_train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=20, lr=2e-3, batch_size=64, keep="last", precision="bf16"))
    teacher_tta: TTAConfig = field(default_factory=TTAConfig)  # views the served teacher's file averages its logits over (fasedge/tta.py; its metrics, threshold and band are measured on that file); the kd-cache distils from the bare network's logits on each training view
    student: StudentConfig = field(default_factory=StudentConfig)
    student_train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=15, lr=3e-3, batch_size=64, keep="last", precision="bf16"))
    kd: KDConfig = field(default_factory=KDConfig)
    quant: QuantConfig = field(default_factory=QuantConfig)
    peer: bool = False  # also train the MiniFASNetV2-class peer (--peer; no distillation; ~50 img/s on 2 cores, 6 min per epoch of the large preset)
    peer_net: MiniFASNetV2Config = field(default_factory=MiniFASNetV2Config)
    peer_train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=5, lr=3e-3, batch_size=64, keep="last"))
    cross: CrossSpec = field(default_factory=CrossSpec)
    band_max_fallback: float = 0.10  # uncertainty band: at most this share of val frames go to the teacher
    band_acer_margin: float = 0.002  # ... while the cascade's val ACER stays within teacher ACER + this


def quick_config(**kw) -> PipelineConfig:
    """Sizes for smoke tests and the tiny preset: one or two epochs, few calibration frames."""
    cfg = PipelineConfig(name="quick", quick=True, peer=True)
    cfg.data = DataSpec(preset="tiny", out="data/synthetic-tiny")
    cfg.teacher_train = TrainConfig(epochs=2, lr=2e-3, batch_size=32)
    cfg.student_train = TrainConfig(epochs=2, lr=3e-3, batch_size=32)
    cfg.peer_train = TrainConfig(epochs=1, lr=3e-3, batch_size=32)
    cfg.augment = AugmentConfig(views=2)
    cfg.quant = QuantConfig(calib_frames=64)
    cfg.cross = CrossSpec(enabled=True, epoch_scale=0.5)
    return dataclasses.replace(cfg, **kw)


def to_dict(obj) -> dict:
    return dataclasses.asdict(obj)


def from_dict(d: dict) -> PipelineConfig:
    """Rebuilds a PipelineConfig from ``to_dict`` output (tuples restored)."""

    def build(cls, v):
        if not dataclasses.is_dataclass(cls) or not isinstance(v, dict):
            return v
        kw = {}
        for f in dataclasses.fields(cls):
            if f.name not in v:
                continue
            val = v[f.name]
            t = f.type if not isinstance(f.type, str) else None
            sub = {"data": DataSpec, "preprocess": PreprocessConfig, "augment": AugmentConfig, "teacher": TeacherConfig, "student": StudentConfig, "kd": KDConfig, "quant": QuantConfig, "peer_net": MiniFASNetV2Config, "cross": CrossSpec, "teacher_tta": TTAConfig}.get(f.name)
            if f.name.endswith("_train"):
                sub = TrainConfig
            if sub is not None and isinstance(val, dict):
                val = build(sub, val)
            elif isinstance(val, list):
                val = _tuple(val)
            kw[f.name] = val
        return cls(**kw)

    def _tuple(v):
        return tuple(_tuple(x) if isinstance(x, list) else x for x in v)

    cfg = build(PipelineConfig, d)
    if "teacher_tta" not in d:  # written before the served teacher had test-time views: it had one
        cfg.teacher_tta = TTAConfig(flip=False, shift=0)
    return cfg
