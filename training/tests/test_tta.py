"""Test-time augmentation in the served teacher's graph (fasedge/tta.py)."""
import numpy as np
import onnx
import torch

from fasedge import nets
from fasedge.config import PipelineConfig, from_dict, to_dict
from fasedge.dataset import augment, to_input
from fasedge.export import export_fp32, ort_logits, parity
from fasedge.preprocess import PreprocessConfig
from fasedge.tta import TTA, TTAConfig, view_index, wrap


def _teacher():
    torch.manual_seed(0)
    return nets.build("teacher", {"stem": (8, 8), "widths": (8, 16), "depths": (1, 1)}).eval()


def test_views_identity_first_and_counted():
    assert TTAConfig().views() == [(0, 0, 0), (0, 2, 0), (0, -2, 0), (0, 0, 2), (0, 0, -2), (1, 0, 0), (1, 2, 0), (1, -2, 0), (1, 0, 2), (1, 0, -2)]
    assert [len(TTAConfig(flip=f, shift=s).views()) for f, s in ((False, 0), (True, 0), (False, 3), (True, 3))] == [1, 2, 5, 10]
    assert TTAConfig().to_manifest() == {"views": 10, "flip": True, "shift": 2, "combine": "mean of logits"}


def test_view_index_by_hand():
    rows, cols = view_index((1, 2, -1), 4, 5)
    # mirrored columns of a 5-wide image shifted right by 2: out[x] = mirrored[clamp(x - 2)] = in[4 - clamp(x - 2)]
    assert cols.tolist() == [4, 4, 4, 3, 2]
    # shifted up by 1: out[y] = in[clamp(y + 1)]
    assert rows.tolist() == [1, 2, 3, 3]


def test_tta_is_the_mean_over_the_training_augmentation_views():
    net = _teacher()
    pcfg = PreprocessConfig()
    pix = torch.rand(3, 80, 80, 3, generator=torch.Generator().manual_seed(2)) * 255
    cfg = TTAConfig(flip=True, shift=3)
    with torch.no_grad():
        got = TTA(net, cfg, (80, 80))(to_input(pix, pcfg))
        ref = []
        for m, dx, dy in cfg.views():
            params = torch.tensor([[m, dx, dy, 0.0, 1.0]] * len(pix))
            ref.append(net(to_input(augment(pix, params), pcfg)))
    torch.testing.assert_close(got, torch.stack(ref).mean(0), atol=1e-4, rtol=1e-4)
    # the views are different inputs: the mean is not any single view's answer
    assert min(float((got - r).abs().max()) for r in ref) > 1e-4


def test_single_view_is_the_bare_network():
    net = _teacher()
    assert wrap(net, TTAConfig(flip=False, shift=0), (80, 80)) is net
    assert isinstance(wrap(net, TTAConfig(), (80, 80)), TTA)


def test_tta_exports_with_the_same_contract_and_runs_in_onnxruntime_web(tmp_path):
    net = _teacher()
    served = TTA(net, TTAConfig(), (80, 80)).eval()
    path = tmp_path / "t.onnx"
    export_fp32(served, path)
    model = onnx.load(str(path))
    assert [i.name for i in model.graph.input] == ["input"] and [o.name for o in model.graph.output] == ["logits"]
    ops = {n.op_type for n in model.graph.node}
    assert {"Gather", "ReduceMean"} <= ops and "Pad" not in ops
    x = torch.randn(3, 3, 80, 80, generator=torch.Generator().manual_seed(3)).numpy()
    assert parity(served, path, x) < 1e-4
    # a batch of frames answers each frame as it would alone
    np.testing.assert_allclose(ort_logits(path, x, batch=1), ort_logits(path, x, batch=3), atol=1e-5)
    with torch.no_grad():
        assert float((net(torch.from_numpy(x)) - served(torch.from_numpy(x))).abs().max()) > 1e-4


def test_config_round_trip_and_configs_from_before_the_views():
    cfg = PipelineConfig()
    assert from_dict(to_dict(cfg)) == cfg and cfg.teacher_tta == TTAConfig()
    # a run config written before teacher_tta existed reproduces that run: one view
    old = {k: v for k, v in to_dict(cfg).items() if k != "teacher_tta"}
    assert from_dict(old).teacher_tta.views() == [(0, 0, 0)]
