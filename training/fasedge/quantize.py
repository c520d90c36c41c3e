"""Static int8 quantisation of a trained network and its QDQ ONNX form.

1. Fold every BatchNorm into the convolution before it (eval mode).
2. Calibrate activation ranges (min / max) on training frames at the points ONNX Runtime quantises:
   the network input, every Conv(+ReLU) output, every residual Add, the global pool.
3. Fake-quantise: weights per output channel, symmetric int8 (zero point 0); activations per tensor,
   asymmetric uint8.
4. Export with opset 13: fake quantisers become QuantizeLinear/DequantizeLinear pairs; then rewrite
   the graph so constant weights are int8 initialisers feeding DequantizeLinear directly (no fp32
   copy ships) and biases are int32 (scale = input scale x weight scale), the layout ONNX Runtime
   fuses into QLinearConv / QGemm.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn


@dataclass
class QuantConfig:
    """int8 post-training quantisation settings (saved in the int8 model's provenance)."""

    calib_frames: int = 512  # training frames used to calibrate activation ranges
    calib_seed: int = 7  # which training frames (sampled with this seed), and the seed of the observers' subsampling
    act_percentile: float = 99.99  # activation range per side: the mean over calibration batches of the (100 - p) % and p % quantiles (100 = min / max over all batches)
    qat_epochs: int = 0  # quantisation-aware fine-tuning epochs: only 0 (post-training quantisation) is supported; the pipeline refuses other values
    qat_lr: float = 1e-4  # learning rate of quantisation-aware fine-tuning (unused while qat_epochs is 0)


def fold_bn(model: nn.Module) -> nn.Module:
    """Copy of ``model`` (eval) with each Conv2d -> BatchNorm2d pair of an nn.Sequential folded."""
    model = copy.deepcopy(model).eval()
    for mod in model.modules():
        if not isinstance(mod, nn.Sequential):
            continue
        names = list(mod._modules.keys())
        for a, b in zip(names[:-1], names[1:]):
            conv, bn = mod._modules[a], mod._modules[b]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                w = conv.weight.detach()
                bias = conv.bias.detach() if conv.bias is not None else torch.zeros(w.shape[0])
                inv = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
                fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups, bias=True)
                fused.weight.data = w * inv.view(-1, 1, 1, 1)
                fused.bias.data = (bias - bn.running_mean) * inv + bn.bias.detach()
                mod._modules[a] = fused
                mod._modules[b] = nn.Identity()
    return model


def _weight_qparams(w: torch.Tensor) -> torch.Tensor:
    amax = w.detach().abs().reshape(w.shape[0], -1).amax(dim=1).clamp(min=1e-8)
    return amax / 127.0


class _WeightFQ:
    """Per-output-channel symmetric int8 fake quantisation of ``self.weight``; the scale follows
    the weights (QAT) until ``freeze()`` stores it as a constant for export."""

    frozen_scale: torch.Tensor | None = None

    def freeze(self):
        self.frozen_scale = _weight_qparams(self.weight).detach().clone()

    def fq_weight(self):
        scale = self.frozen_scale if self.frozen_scale is not None else _weight_qparams(self.weight)
        zp = torch.zeros(self.weight.shape[0], dtype=torch.int32)
        return torch.fake_quantize_per_channel_affine(self.weight, scale, zp, 0, -128, 127)


class QConv2d(_WeightFQ, nn.Conv2d):
    """Conv2d with per-output-channel symmetric int8 fake-quantised weights."""

    def forward(self, x):
        return F.conv2d(x, self.fq_weight(), self.bias, self.stride, self.padding, self.dilation, self.groups)


class QLinear(_WeightFQ, nn.Linear):
    """Linear with per-output-feature symmetric int8 fake-quantised weights."""

    def forward(self, x):
        return F.linear(x, self.fq_weight(), self.bias)


class ActQuant(nn.Module):
    """Per-tensor uint8 fake quantiser; in observe mode it records, per batch, the min, the max and
    the quantiles of ``percentile`` (``calibrate`` sets both it and the generator that subsamples
    large activations, so the ranges depend on the calibration seed only)."""

    MAX_SAMPLES = 200_000  # quantiles of larger activations are estimated on this many random elements

    def __init__(self):
        super().__init__()
        self.observe = True
        self.percentile = 99.99
        self.generator = torch.Generator().manual_seed(0)
        self.samples: List[torch.Tensor] = []
        self.register_buffer("scale", torch.tensor(1.0))
        self.register_buffer("zero_point", torch.tensor(0, dtype=torch.int32))

    def forward(self, x):
        if self.observe:
            flat = x.detach().float().flatten()
            if flat.numel() > self.MAX_SAMPLES:
                flat = flat[torch.randperm(flat.numel(), generator=self.generator)[: self.MAX_SAMPLES]]
            hi = round(min(self.percentile, 100.0) / 100.0, 10)
            self.samples.append(torch.stack([flat.min(), flat.max(), *(torch.quantile(flat, torch.tensor([1.0 - hi, hi])) if flat.numel() > 1 else (flat.min(), flat.max()))]))
            return x
        return torch.fake_quantize_per_tensor_affine(x, self.scale.item(), int(self.zero_point.item()), 0, 255)

    def finalise(self, percentile: float):
        s = torch.stack(self.samples)
        if percentile >= 100.0:
            lo, hi = float(s[:, 0].min()), float(s[:, 1].max())
        else:
            lo, hi = float(s[:, 2].mean()), float(s[:, 3].mean())
        lo, hi = min(lo, 0.0), max(hi, 0.0)  # zero must be exactly representable
        scale = max((hi - lo) / 255.0, 1e-8)
        zp = int(np.clip(np.floor(-lo / scale + 0.5), 0, 255))
        self.scale.fill_(scale)
        self.zero_point.fill_(zp)
        self.samples = []
        self.observe = False


class Quantised(nn.Module):
    """Wraps a BN-folded network: input quantiser + fake-quantised weights + output quantisers."""

    def __init__(self, folded: nn.Module):
        super().__init__()
        self.inner = folded
        self.input_q = ActQuant()
        self.quantisers = nn.ModuleList()
        self._swap_layers(self.inner)
        self._hook_outputs(self.inner)

    def _swap_layers(self, mod: nn.Module):
        for name, child in list(mod.named_children()):
            if type(child) is nn.Conv2d:
                q = QConv2d(child.in_channels, child.out_channels, child.kernel_size, child.stride, child.padding, child.dilation, child.groups, bias=child.bias is not None)
                q.load_state_dict(child.state_dict())
                setattr(mod, name, q)
            elif type(child) is nn.Linear:
                q = QLinear(child.in_features, child.out_features, bias=child.bias is not None)
                q.load_state_dict(child.state_dict())
                setattr(mod, name, q)
            else:
                self._swap_layers(child)

    def _add_output_quant(self, mod: nn.Module):
        q = ActQuant()
        self.quantisers.append(q)
        mod.register_forward_hook(lambda m, i, o, q=q: q(o))

    def _hook_outputs(self, root: nn.Module):
        for mod in root.modules():
            if isinstance(mod, nn.Sequential) and any(isinstance(c, (nn.Conv2d,)) for c in mod.children()) and not any(isinstance(c, nn.Sequential) for c in mod.children()):
                self._add_output_quant(mod)  # ConvBNAct: conv (+ relu)
            elif getattr(mod, "residual", False) is True:
                self._add_output_quant(mod)  # residual add output
            elif type(mod).__name__ == "BasicBlock":
                self._add_output_quant(mod)
            elif isinstance(mod, nn.AdaptiveAvgPool2d):
                self._add_output_quant(mod)

    def forward(self, x):
        return self.inner(self.input_q(x))

    def all_quantisers(self) -> List[ActQuant]:
        return [self.input_q, *self.quantisers]

    def finalise(self, percentile: float):
        for q in self.all_quantisers():
            q.finalise(percentile)


def prepare(model: nn.Module) -> Quantised:
    """BN-folded copy of ``model`` with observers in place (call, then ``calibrate``)."""
    return Quantised(fold_bn(model)).eval()


@torch.no_grad()
def calibrate(q: Quantised, batches, percentile: float, seed: int = 0) -> Quantised:
    """Runs calibration batches through the observers and fixes every activation's scale / zero
    point (ranges from ``percentile``, see ``QuantConfig.act_percentile``; ``seed`` fixes the
    subsampling of large activations)."""
    if not 50.0 < percentile <= 100.0:
        raise ValueError(f"act_percentile is in (50, 100], not {percentile}")
    q.eval()
    for k, a in enumerate(q.all_quantisers()):
        a.percentile = percentile
        a.generator = torch.Generator().manual_seed(seed * 1000 + k)
    for x in batches:
        q(x)
    q.finalise(percentile)
    return q


def export_qdq(q: Quantised, path, input_shape=(1, 3, 80, 80)) -> None:
    """Exports the fake-quantised network as QDQ ONNX with int8 weight / int32 bias initialisers."""
    q = q.eval()
    for m in q.modules():
        if isinstance(m, _WeightFQ):
            m.freeze()
    tmp = str(path) + ".fq.onnx"
    x = torch.zeros(input_shape)
    from .export import compact, torchscript_export

    torchscript_export(q, x, tmp, 13)

    model = compact(int8_weights(onnx.load(tmp)))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    import os

    os.remove(tmp)


def _consts(graph: onnx.GraphProto) -> Dict[str, np.ndarray]:
    c = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    c[n.output[0]] = numpy_helper.to_array(a.t)
    return c


def _quantize_linear(x: np.ndarray, scale: np.ndarray, zp: np.ndarray, axis: int) -> np.ndarray:
    shape = [1] * x.ndim
    if scale.ndim == 1 and scale.size > 1:
        shape[axis] = -1
    s = scale.reshape(shape) if scale.ndim else scale
    z = zp.reshape(shape).astype(np.int64) if zp.ndim else np.int64(zp)
    q = np.rint(x / s) + z  # ONNX QuantizeLinear rounds half to even, as np.rint
    info = np.iinfo(zp.dtype)
    return np.clip(q, info.min, info.max).astype(zp.dtype)


def int8_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    """QuantizeLinear(constant fp32 W) -> DequantizeLinear  ==>  int8 initialiser -> DequantizeLinear;
    fp32 bias of a Conv fed by two DequantizeLinear ==> int32 initialiser -> DequantizeLinear."""
    g = model.graph
    consts = _consts(g)
    producers = {o: n for n in g.node for o in n.output}
    new_inits: Dict[str, np.ndarray] = {}
    drop = set()
    for n in list(g.node):
        if n.op_type != "QuantizeLinear" or n.input[0] not in consts:
            continue
        w = consts[n.input[0]]
        scale = consts[n.input[1]]
        zp = consts[n.input[2]] if len(n.input) > 2 else np.array(0, np.uint8)
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        q = _quantize_linear(w, scale, zp, axis)
        name = n.input[0] + "_int8"
        new_inits[name] = q
        for m in g.node:
            for k, inp in enumerate(m.input):
                if inp == n.output[0]:
                    m.input[k] = name
            if m.op_type == "DequantizeLinear" and m.input[0] == name and len(m.input) > 2 and not consts[m.input[2]].any():
                del m.input[2]  # zero point 0 is the default: no per-channel zero array ships
        drop.add(id(n))
    kept = [n for n in g.node if id(n) not in drop]
    del g.node[:]
    g.node.extend(kept)
    producers = {o: n for n in g.node for o in n.output}
    consts.update(new_inits)
    # Conv with both inputs dequantised: fold the activation scale into the weight scale
    #   Conv(DQ(x; s_x, z), DQ(w; s_w)) == Conv(DQ(x; 1, z), DQ(w; s_x * s_w))
    # so that the int32 bias (whose scale must be s_x * s_w) shares the weight's scale array.
    before: Dict[int, List[onnx.NodeProto]] = {}
    unit = "qdq_unit_scale"
    for n in g.node:
        if n.op_type != "Conv" or len(n.input) < 3 or n.input[2] not in consts:
            continue
        dq_x, dq_w = producers.get(n.input[0]), producers.get(n.input[1])
        if not (dq_x is not None and dq_w is not None and dq_x.op_type == "DequantizeLinear" and dq_w.op_type == "DequantizeLinear"):
            continue
        if dq_w.input[0] not in new_inits or consts[dq_x.input[1]].size != 1:
            continue
        bias = consts[n.input[2]].astype(np.float64)
        s_x = float(consts[dq_x.input[1]])
        s_w = consts[dq_w.input[1]].astype(np.float64).reshape(-1)
        scale = (s_x * s_w).astype(np.float32)
        if scale.size == 1:
            scale = np.full(bias.shape, scale.item(), np.float32)
        base = n.input[2]
        new_inits[base + "_scale"] = scale
        new_inits[base + "_int32"] = np.clip(np.rint(bias / scale.astype(np.float64)), -(2**31), 2**31 - 1).astype(np.int32)
        new_inits[unit] = np.array(1.0, np.float32)
        dq_w.input[1] = base + "_scale"
        x_in = [dq_x.input[0], unit] + ([dq_x.input[2]] if len(dq_x.input) > 2 else [])
        ins = [
            onnx.helper.make_node("DequantizeLinear", x_in, [base + "_x"], name=base + "_DequantizeX"),
            onnx.helper.make_node("DequantizeLinear", [base + "_int32", base + "_scale"], [base + "_dq"], name=base + "_DequantizeBias", axis=0),
        ]
        before[id(n)] = ins
        n.input[0] = base + "_x"
        n.input[2] = base + "_dq"
    nodes = []
    for n in g.node:
        nodes.extend(before.get(id(n), []))
        nodes.append(n)
    # drop nodes whose outputs nobody uses (the replaced activation DequantizeLinear nodes)
    outputs = {o.name for o in g.output}
    while True:
        used_now = {i for n in nodes for i in n.input} | outputs
        alive = [n for n in nodes if any(o in used_now for o in n.output)]
        if len(alive) == len(nodes):
            break
        nodes = alive
    del g.node[:]
    g.node.extend(nodes)
    # replace initialisers: drop fp32 weights / biases no longer used, add the new ones
    used = {i for n in g.node for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    for name, arr in new_inits.items():
        if name in used:
            g.initializer.append(numpy_helper.from_array(arr, name))
    # Constant nodes whose outputs are no longer used
    kept = [n for n in g.node if not (n.op_type == "Constant" and n.output[0] not in used)]
    del g.node[:]
    g.node.extend(kept)
    return model
