"""ONNX export (fp32 and int8 QDQ) and PyTorch-vs-onnxruntime-web parity."""
import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from fasedge import nets
from fasedge.export import export_fp32, ort_logits, parity
from fasedge.quantize import calibrate, export_qdq, fold_bn, prepare


def _trained_like(arch="student", **cfg):
    torch.manual_seed(0)
    m = nets.build(arch, cfg).eval()
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():  # non-trivial BatchNorm statistics, as after training
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.normal_(0, 0.2, generator=g)
            mod.running_var.uniform_(0.5, 2.0, generator=g)
            mod.weight.data.uniform_(0.5, 1.5, generator=g)
            mod.bias.data.normal_(0, 0.2, generator=g)
    return m


def test_fold_bn_is_exact():
    m = _trained_like()
    x = torch.randn(4, 3, 80, 80)
    folded = fold_bn(m)
    assert not any(isinstance(mod, torch.nn.BatchNorm2d) for mod in folded.modules())
    with torch.no_grad():
        assert torch.allclose(m(x), folded(x), atol=1e-4)


def test_fp32_export_named_io_checker_and_parity(tmp_path):
    m = _trained_like()
    path = tmp_path / "s.onnx"
    export_fp32(m, path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["input"] and [o.name for o in model.graph.output] == ["logits"]
    assert model.opset_import[0].version >= 13
    x = torch.randn(3, 3, 80, 80).numpy()
    assert parity(m, path, x) < 1e-4
    # dynamic batch: one frame at a time gives the same logits, also split over two processes, in order
    np.testing.assert_allclose(ort_logits(path, x, batch=1), ort_logits(path, x, batch=3), atol=1e-5)
    np.testing.assert_array_equal(ort_logits(path, x, batch=1, jobs=2), ort_logits(path, x, batch=1))
    with pytest.raises(RuntimeError, match="ort-infer failed"):
        ort_logits(tmp_path / "missing.onnx", x, batch=1, jobs=2)


def test_int8_qdq_export_ships_int8_weights_and_matches_fake_quant(tmp_path):
    m = _trained_like()
    x = torch.randn(32, 3, 80, 80).clamp(-1, 1)
    q = calibrate(prepare(m), [x[:16], x[16:]], 99.99)
    p8, p32 = tmp_path / "s8.onnx", tmp_path / "s32.onnx"
    export_qdq(q, p8)
    export_fp32(m, p32)
    model = onnx.load(str(p8))
    onnx.checker.check_model(model)
    ops = [n.op_type for n in model.graph.node]
    assert "DequantizeLinear" in ops and "QuantizeLinear" in ops
    # every Conv weight is an int8 initialiser feeding DequantizeLinear directly; no fp32 4-D tensors ship
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    assert not [k for k, v in inits.items() if v.dtype == np.float32 and v.ndim == 4]
    producers = {o: n for n in model.graph.node for o in n.output}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    assert len(convs) == sum(isinstance(mod, torch.nn.Conv2d) for mod in m.modules())
    for c in convs:
        dq_w = producers[c.input[1]]
        assert dq_w.op_type == "DequantizeLinear" and inits[dq_w.input[0]].dtype == np.int8
        w = inits[dq_w.input[0]]
        assert inits[dq_w.input[1]].shape == (w.shape[0],)  # one scale per output channel
        dq_b = producers[c.input[2]]
        assert dq_b.op_type == "DequantizeLinear" and inits[dq_b.input[0]].dtype == np.int32
    # at least 3.5x smaller than fp32
    assert p32.stat().st_size / p8.stat().st_size >= 3.5
    xs = x[:8].numpy()
    with torch.no_grad():
        fq = q(x[:8]).numpy()
        fp = m(x[:8]).numpy()
    got = ort_logits(p8, xs)
    span = float(np.abs(fp).max()) + 1e-6
    assert np.abs(got - fq).max() < 0.02 * span  # integer kernels vs float fake-quant: within a few LSB
    assert np.abs(got - fp).max() < 0.1 * span  # and close to the fp32 network


def _scales(q):
    return [(float(a.scale), int(a.zero_point)) for a in q.all_quantisers()]


def test_calibration_depends_on_its_seed_and_percentile_only():
    m = _trained_like()
    x = torch.randn(32, 3, 80, 80).clamp(-1, 1)  # the stem's output (16 x 16 x 40 x 40) is subsampled
    runs = []
    for global_seed in (1, 2):  # whatever the process drew before, the same ranges
        torch.manual_seed(global_seed)
        runs.append(_scales(calibrate(prepare(m), [x[:16], x[16:]], 99.99, seed=7)))
    assert runs[0] == runs[1]
    other_seed = _scales(calibrate(prepare(m), [x[:16], x[16:]], 99.99, seed=8))
    assert other_seed != runs[0]
    p99 = _scales(calibrate(prepare(m), [x[:16], x[16:]], 99.0, seed=7))
    full = _scales(calibrate(prepare(m), [x[:16], x[16:]], 100.0, seed=7))
    # a lower percentile clips more: narrower ranges; 100 is the observed min / max
    assert all(a[0] <= b[0] for a, b in zip(p99, runs[0])) and p99 != runs[0]
    assert all(b[0] <= c[0] for b, c in zip(runs[0], full))
    lo, hi = float(x.min()), float(x.max())
    assert full[0][0] == pytest.approx((hi - min(lo, 0.0)) / 255.0, rel=1e-6)  # the input quantiser
    with pytest.raises(ValueError, match="act_percentile"):
        calibrate(prepare(m), [x], 40.0)
