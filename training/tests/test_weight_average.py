"""TrainConfig.ema: an exponential moving average of the weights, kept instead of the optimiser's
own final weights, without changing the optimiser's trajectory."""
from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from fasedge import pipeline
from fasedge import train as T
from fasedge.config import PipelineConfig, quick_config

from test_resume_and_reuse import PCFG, TC, VAL, die_at_validation, run


def test_the_average_follows_its_recurrence_with_warm_up():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    avg = T.WeightAverage(net, 0.9)
    want = {k: v.clone() for k, v in net.state_dict().items()}
    for step in range(4):
        with torch.no_grad():  # what an optimiser step and a training batch would change
            for p in net.parameters():
                p.add_(torch.randn_like(p))
            net(torch.randn(5, 3))
        d = min(0.9, (1 + step) / (10 + step))  # 0.1, 0.18, 0.25, 0.31: the warm-up, not 0.9
        for k, v in net.state_dict().items():
            want[k] = v.clone() if not v.dtype.is_floating_point else d * want[k] + (1 - d) * v
        avg.update(net, step)
    got = avg.model.state_dict()
    for k, v in want.items():
        assert torch.allclose(got[k], v, atol=1e-6), k
    assert int(got["1.num_batches_tracked"]) == 4  # integer buffers are copied, not averaged
    assert not torch.allclose(got["0.weight"], net[0].weight)
    assert not any(p.requires_grad for p in avg.model.parameters())
    for bad in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="TrainConfig.ema"):
            T.WeightAverage(net, bad)


def test_training_keeps_the_average_and_leaves_the_optimiser_unchanged(tmp_path, monkeypatch):
    plain = T.load_checkpoint(run(tmp_path / "plain"))
    tc = dataclasses.replace(TC, ema=0.8)
    logs = []
    ck = T.load_checkpoint(run(tmp_path / "ema", tc, log=logs.append))
    # the average does not touch the trajectory: the optimiser's final weights are those of a run without it
    for k, v in plain["state_dict"].items():
        assert torch.equal(ck["raw_state_dict"][k], v), k
    assert [h["loss"] for h in ck["history"]] == [h["loss"] for h in plain["history"]]
    assert [h["rawValAcer"] for h in ck["history"]] == [h["valAcer"] for h in plain["history"]]
    assert [h["rawValNll"] for h in ck["history"]] == [h["valNll"] for h in plain["history"]]
    # what model.pt keeps and validation reports is the average
    assert any(not torch.equal(ck["state_dict"][k], v) for k, v in plain["state_dict"].items() if v.dtype.is_floating_point)
    assert [h["valNll"] for h in ck["history"]] != [h["valNll"] for h in plain["history"]]
    kept = T.load_model(ck)
    assert T.val_metrics(kept, VAL, PCFG, 256)["nll"] == pytest.approx(ck["history"][-1]["valNll"], rel=1e-5)
    assert any("weights without the average" in line for line in logs)

    # an interrupted stage resumes its average too: bit-for-bit the uninterrupted run's
    die_at_validation(monkeypatch, 3)  # in epoch 2's validation of the average, after epoch 1 was saved
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed", tc)
    assert T.load_checkpoint(tmp_path / "resumed" / "last.pt")["epoch"] == 1
    resumed = T.load_checkpoint(run(tmp_path / "resumed", tc))
    for k, v in ck["state_dict"].items():
        assert torch.equal(resumed["state_dict"][k], v), k
    # a folder trained without the average is not reused for a config with it
    with pytest.raises(T.CheckpointMismatch, match=r"train_config.ema 0.0 -> 0.8"):
        run(tmp_path / "plain", tc)
    # nor an interrupted one from before the setting existed (its last.pt records no ema at all)
    (tmp_path / "old").mkdir()
    old = T.load_checkpoint(tmp_path / "plain" / "last.pt")
    del old["signature"]["train_config"]["ema"]
    torch.save(old, tmp_path / "old" / "last.pt")
    with pytest.raises(T.CheckpointMismatch, match="without TrainConfig.ema"):
        run(tmp_path / "old", tc)


def test_stage_keys_ignore_the_setting_while_it_is_off():
    # keys of configs from before TrainConfig.ema existed: their run folders stay valid
    assert [pipeline.stage_key(PipelineConfig(), s) for s in ("teacher", "student", "ablation", "kd-cache", "cross-teacher")] == [
        "f77073cdafeb2509", "b12e1791a027faa2", "1c3adc7def6b0139", "e82ab1b4b3ea915d", "fabda7f585baee57"]
    cfg = quick_config(name="k")
    assert pipeline.stage_key(cfg, "teacher") == "a7071cce0c8479c0"
    on = dataclasses.replace(cfg, teacher_train=dataclasses.replace(cfg.teacher_train, ema=0.999))
    assert pipeline.stage_key(on, "teacher") != pipeline.stage_key(cfg, "teacher")
    assert pipeline.stage_key(on, "ablation") == pipeline.stage_key(cfg, "ablation")


def test_the_pipeline_flag_sets_the_teachers_average_only(tmp_path, monkeypatch, capsys):
    started = []
    monkeypatch.setattr(pipeline, "run", lambda cfg, models, runs, reuse=None: started.append(cfg))
    argv = ["--quick", "--runs", str(tmp_path / "runs"), "--models", str(tmp_path / "models")]
    assert pipeline.main(argv) == 0 and started[-1].teacher_train.ema == 0.0
    assert pipeline.main(argv + ["--teacher-ema", "0.9995"]) == 0
    cfg = started[-1]
    assert cfg.teacher_train.ema == 0.9995 and cfg.student_train.ema == 0.0 and cfg.peer_train.ema == 0.0
    for bad in ("1", "-0.5", "1.5"):  # refused before any stage runs
        assert pipeline.main(argv + ["--teacher-ema", bad]) == 2 and len(started) == 2
    assert "--teacher-ema is a decay" in capsys.readouterr().err
