"""What a training stage or a pipeline stage may reuse: an interrupted stage resumes to the same
weights as an uninterrupted one, and outputs of another config are refused, never reused."""
from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch

from fasedge import pipeline
from fasedge import train as T
from fasedge.config import quick_config
from fasedge.dataset import AugmentConfig, Frames
from fasedge.nets import StudentConfig
from fasedge.preprocess import PreprocessConfig

PCFG = PreprocessConfig(size=(32, 32))
NET = dataclasses.asdict(StudentConfig(stem=8, stages=((8, 0, 2), (16, 1, 2), (16, 0, 2)), head=32, dropout=0.2))
TC = T.TrainConfig(epochs=3, batch_size=16, threads=1, keep="last")


def frames(n: int, split: str, seed: int) -> Frames:
    rng = np.random.default_rng(seed)
    label = (np.arange(n) % 2).astype(np.int64)
    pix = rng.uniform(0, 255, (n, 40, 40, 3)).astype(np.float32)
    pix[label == 1] *= 0.7
    species = np.where(label == 1, "bonafide", "print")
    return Frames(pix.astype(np.float16), label, species, species, np.array([f"s{i}" for i in range(n)]), np.array([split] * n), np.array([str(i) for i in range(n)]))


TRAIN, VAL = frames(96, "train", 0), frames(32, "val", 1)


def run(out, tc=TC, log=lambda s: None):
    return T.train_model("student", NET, TRAIN, VAL, PCFG, tc, out, AugmentConfig(), log=log)


def die_at_validation(monkeypatch, nth: int) -> None:
    """The ``nth`` call of ``val_metrics`` from now on raises KeyboardInterrupt, as if the process
    died there; later calls run normally."""
    real, calls = T.val_metrics, []

    def interrupted(*a, **k):
        calls.append(1)
        if len(calls) == nth:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(T, "val_metrics", interrupted)


def test_interrupted_training_resumes_to_the_same_weights(tmp_path, monkeypatch):
    full = T.load_checkpoint(run(tmp_path / "full"))

    die_at_validation(monkeypatch, 2)  # during epoch 2's validation, after epoch 1 was saved
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed")
    assert T.load_checkpoint(tmp_path / "resumed" / "last.pt")["epoch"] == 1
    assert not (tmp_path / "resumed" / "model.pt").exists() and not list((tmp_path / "resumed").glob("*.tmp"))

    before = T.load_checkpoint(tmp_path / "resumed" / "last.pt")["elapsed"]
    torch.manual_seed(99)  # whatever the process did before: the stage restores its own random state
    logs = []
    info = pipeline.train_stage(tmp_path / "resumed", lambda: run(tmp_path / "resumed", log=logs.append))
    assert any("resuming at epoch 2" in line for line in logs)
    resumed = T.load_checkpoint(tmp_path / "resumed" / "model.pt")
    for k, v in full["state_dict"].items():  # dropout masks included: bit-for-bit the same weights
        assert torch.equal(v, resumed["state_dict"][k]), k
    assert [h["loss"] for h in resumed["history"]] == [h["loss"] for h in full["history"]]
    # the stage's wall time counts the interrupted run's finished epoch; a finished stage, all of it
    assert info["resumedS"] == round(before, 1) and info["epochs"] == 3 and resumed["wall_time_s"] >= before
    again = pipeline.train_stage(tmp_path / "resumed", lambda: run(tmp_path / "resumed"))
    assert again["resumedS"] == resumed["wall_time_s"]


def test_a_training_folder_of_other_settings_is_refused(tmp_path):
    tc = dataclasses.replace(TC, epochs=1)
    path = run(tmp_path / "a", tc)
    mtime = path.stat().st_mtime_ns
    # settings that do not change the weights reuse the checkpoint
    assert run(tmp_path / "a", dataclasses.replace(tc, threads=2, eval_batch=7)) == path and path.stat().st_mtime_ns == mtime
    with pytest.raises(T.CheckpointMismatch, match=r"train_config.epochs 1 -> 2"):
        run(tmp_path / "a", dataclasses.replace(tc, epochs=2))
    with pytest.raises(T.CheckpointMismatch, match=r"config.dropout 0.2 -> 0.3"):
        T.train_model("student", dict(NET, dropout=0.3), TRAIN, VAL, PCFG, tc, tmp_path / "a", AugmentConfig(), log=lambda s: None)
    with pytest.raises(T.CheckpointMismatch, match=r"frames 96 -> 64"):
        T.train_model("student", NET, TRAIN.select(np.arange(96) < 64), VAL, PCFG, tc, tmp_path / "a", AugmentConfig(), log=lambda s: None)
    # the same for an interrupted stage's last.pt
    (tmp_path / "b").mkdir()
    shutil.copy(tmp_path / "a" / "last.pt", tmp_path / "b" / "last.pt")
    with pytest.raises(T.CheckpointMismatch, match=r"train_config.lr"):
        run(tmp_path / "b", dataclasses.replace(tc, lr=1e-2))


def test_pipeline_stages_refuse_outputs_of_another_config(tmp_path):
    cfg = quick_config(name="keys")
    ran = []

    def stage(c, name):
        return pipeline.Runner(c, tmp_path / "keys").stage(name, lambda d: ran.append(name) or {"x": 1})

    for name in ("teacher", "student", "ablation", "quantize", "cross-teacher"):
        stage(cfg, name)
    assert ran == ["teacher", "student", "ablation", "quantize", "cross-teacher"]
    done = json.loads((tmp_path / "keys" / "teacher" / "done.json").read_text())
    assert done["configKey"] == pipeline.stage_key(cfg, "teacher") and done["commit"]

    # what a stage does not depend on: skipped, not rerun
    volatile = dataclasses.replace(cfg, name="other", teacher_train=dataclasses.replace(cfg.teacher_train, threads=1, eval_batch=9), data=dataclasses.replace(cfg.data, workers=1))
    kd_only = dataclasses.replace(cfg, kd=dataclasses.replace(cfg.kd, alpha=0.9))
    stage(volatile, "teacher"), stage(kd_only, "teacher"), stage(kd_only, "ablation")
    assert len(ran) == 5
    # what it depends on: an error that says what to do, whatever stage the change reaches
    with pytest.raises(pipeline.StageConfigError, match=r"stage student .* another config.*--config"):
        stage(kd_only, "student")
    more_epochs = dataclasses.replace(cfg, teacher_train=dataclasses.replace(cfg.teacher_train, epochs=3))
    for name in ("teacher", "student", "quantize"):
        with pytest.raises(pipeline.StageConfigError, match=f"stage {name} "):
            stage(more_epochs, name)
    with pytest.raises(pipeline.StageConfigError):
        stage(dataclasses.replace(cfg, quant=dataclasses.replace(cfg.quant, calib_frames=8)), "quantize")
    # the cross protocol trains no peer: its export does not depend on the peer's settings
    no_peer = dataclasses.replace(cfg, peer=False)
    assert pipeline.stage_key(no_peer, "cross-export") == pipeline.stage_key(cfg, "cross-export")
    assert pipeline.stage_key(no_peer, "export") != pipeline.stage_key(cfg, "export")
    # an ablation whose epochs follow a student cut short by wall time depends on the student
    timed = dataclasses.replace(cfg, student_train=dataclasses.replace(cfg.student_train, max_wall_s=60.0))
    timed_kd = dataclasses.replace(timed, kd=dataclasses.replace(cfg.kd, alpha=0.9))
    assert pipeline.stage_key(timed_kd, "ablation") != pipeline.stage_key(timed, "ablation")
    assert pipeline.stage_key(kd_only, "ablation") == pipeline.stage_key(cfg, "ablation")
    other_holdout = dataclasses.replace(cfg, cross=dataclasses.replace(cfg.cross, holdout=("printer_a",)))
    stage(other_holdout, "teacher")
    with pytest.raises(pipeline.StageConfigError):
        stage(other_holdout, "cross-teacher")
    assert len(ran) == 5

    # a stage that was started (interrupted) with one config is not resumed with another
    (tmp_path / "keys" / "kd-cache").mkdir()
    (tmp_path / "keys" / "kd-cache" / "stage.json").write_text(json.dumps({"configKey": pipeline.stage_key(cfg, "kd-cache")}))
    with pytest.raises(pipeline.StageConfigError, match="was started with another config"):
        stage(more_epochs, "kd-cache")
    stage(cfg, "kd-cache")
    assert ran[-1] == "kd-cache"


def test_a_dataset_folder_is_reused_only_for_the_same_generator(tiny_dataset, tmp_path):
    out = tmp_path / "data"
    shutil.copytree(tiny_dataset.parent, out)
    meta, differ = pipeline.existing_dataset(out, "tiny", 1234)
    assert meta is not None and differ == []
    assert pipeline.existing_dataset(out, "tiny", 5)[1] == ["seed"]
    assert pipeline.existing_dataset(out, "small", 1234)[1] == ["preset", "generator config"]
    m = json.loads((out / "dataset.json").read_text())
    for change, what in ((dict(code_sha256="0" * 64), "generator code"), (dict(config=dict(m["config"], subjects_train=1)), "generator config")):
        (out / "dataset.json").write_text(json.dumps(dict(m, **change)))
        assert pipeline.existing_dataset(out, "tiny", 1234) == (None, [what])
    assert pipeline.existing_dataset(tmp_path / "nothing", "tiny", 1234) == (None, [])
