"""TrainConfig.patch_weight: the network's own classifier on every cell of its last feature map,
each cell given the frame's label, added to the loss at training time only."""
from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from fasedge import nets, pipeline
from fasedge import train as T
from fasedge.config import quick_config
from fasedge.nets import MiniFASNetV2Config, StudentConfig, TeacherConfig

from test_resume_and_reuse import TC, run


@pytest.mark.parametrize("arch,cfg", [("student", StudentConfig()), ("teacher", TeacherConfig())])
def test_the_term_is_the_classifier_on_each_cell(arch, cfg):
    torch.manual_seed(0)
    model = nets.build(arch, dataclasses.asdict(cfg)).eval()
    term = T.PatchTerm(model)
    x, y = torch.randn(3, 3, 80, 80), torch.tensor([0, 1, 1])
    with torch.no_grad():
        pooled = model(x)
        f = term.features
        assert f.shape[-2:] == (5, 5)  # 80 px halved four times
        cells = torch.stack([torch.stack([model.fc(f[:, :, i, j]) for j in range(5)], 1) for i in range(5)], 1)  # [N, 5, 5, 2]
        # global pooling and the classifier are both linear: the served logit is the mean cell logit
        assert torch.allclose(cells.mean((1, 2)), pooled, atol=1e-5)
        want = sum(F.cross_entropy(cells[:, i, j], y, reduction="sum") for i in range(5) for j in range(5)) / (3 * 25)
        assert float(term.loss(y)) == pytest.approx(float(want), rel=1e-5)
    assert term.features is None  # each forward pass feeds one loss
    with pytest.raises(RuntimeError, match="before a forward pass"):
        term.loss(y)
    term.handle.remove()
    model(x)
    assert term.features is None


def test_networks_without_pooling_and_a_linear_classifier_are_refused():
    with pytest.raises(ValueError, match="global average pooling and a linear classifier"):
        T.PatchTerm(nets.build("minifasnetv2", dataclasses.asdict(MiniFASNetV2Config())))


def test_training_with_the_term(tmp_path):
    plain = T.load_checkpoint(run(tmp_path / "plain"))
    tc = dataclasses.replace(TC, patch_weight=0.5)
    ck = T.load_checkpoint(run(tmp_path / "patch", tc))
    assert ck["train_config"]["patch_weight"] == 0.5 and plain["train_config"]["patch_weight"] == 0.0
    assert ck["state_dict"].keys() == plain["state_dict"].keys()  # nothing added to the network
    # the first step starts from the same weights and batch: the extra term is what changes the loss
    assert ck["history"][0]["loss"] > plain["history"][0]["loss"]
    assert any(not torch.equal(ck["state_dict"][k], v) for k, v in plain["state_dict"].items())
    # trained again, the same weights (the term draws no random numbers)
    again = T.load_checkpoint(run(tmp_path / "again", tc))
    for k, v in ck["state_dict"].items():
        assert torch.equal(again["state_dict"][k], v), k
    with pytest.raises(T.CheckpointMismatch, match=r"train_config.patch_weight 0.0 -> 0.5"):
        run(tmp_path / "plain", tc)


def test_stage_keys_change_only_where_the_term_is_on():
    cfg = quick_config(name="k")
    on = dataclasses.replace(cfg, teacher_train=dataclasses.replace(cfg.teacher_train, patch_weight=0.5))
    assert pipeline.stage_key(on, "teacher") != pipeline.stage_key(cfg, "teacher")
    assert pipeline.stage_key(on, "ablation") == pipeline.stage_key(cfg, "ablation")
