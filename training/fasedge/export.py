"""ONNX export (opset 13, eval mode, input "input" [N,3,H,W], output "logits" [N,2]), graph
compaction, checker, and parity against PyTorch through onnxruntime-web (scripts/ort-infer.mjs)."""
from __future__ import annotations

import inspect
import json
import subprocess
import tempfile
from pathlib import Path
from typing import List, Sequence

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

REPO = Path(__file__).resolve().parents[2]
ORT_INFER = REPO / "scripts" / "ort-infer.mjs"
OPSET = 13


def compact(model: onnx.ModelProto) -> onnx.ModelProto:
    """Constant nodes -> initialisers, identical small constants shared, short tensor names
    (graph input/output names kept), node names dropped, doc strings stripped."""
    g = model.graph
    consts = []
    for n in list(g.node):
        if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
            t = onnx.TensorProto()
            t.CopyFrom(n.attribute[0].t)
            t.name = n.output[0]
            consts.append(t)
    if consts:
        kept = [n for n in g.node if n.op_type != "Constant"]
        del g.node[:]
        g.node.extend(kept)
        g.initializer.extend(consts)
    # share identical small initialisers (scales, zero points)
    seen, alias, uniq = {}, {}, []
    for t in g.initializer:
        key = (t.data_type, tuple(t.dims), numpy_helper.to_array(t).tobytes()) if numpy_helper.to_array(t).nbytes <= 64 else None
        if key is not None and key in seen:
            alias[t.name] = seen[key]
            continue
        if key is not None:
            seen[key] = t.name
        uniq.append(t)
    del g.initializer[:]
    g.initializer.extend(uniq)
    keep_names = {i.name for i in g.input} | {o.name for o in g.output}
    rename = {}

    def short(name: str) -> str:
        name = alias.get(name, name)
        if name == "" or name in keep_names:
            return name
        if name not in rename:
            rename[name] = f"t{len(rename)}"
        return rename[name]

    for n in g.node:
        n.name = ""
        n.doc_string = ""
        for k, v in enumerate(n.input):
            n.input[k] = short(v)
        for k, v in enumerate(n.output):
            n.output[k] = short(v)
    for t in g.initializer:
        t.name = short(t.name)
        t.doc_string = ""
    del g.value_info[:]
    inits = {t.name for t in g.initializer}
    extra_inputs = [i for i in g.input if i.name in inits]
    for i in extra_inputs:
        g.input.remove(i)
    model.doc_string = ""
    return model


def torchscript_export(model: nn.Module, x: torch.Tensor, path: Path | str, opset: int) -> None:
    """``torch.onnx.export`` through the TorchScript exporter, with the graph contract of this module:
    input "input", output "logits", a dynamic batch axis, constants folded. PyTorch >= 2.9 exports
    through torch.export (dynamo) by default, whose graphs ``compact`` and the QDQ rewrite do not
    expect; ``dynamo=False`` keeps the exporter these files are built with on every version."""
    kw = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(model, x, str(path), input_names=["input"], output_names=["logits"], opset_version=opset, do_constant_folding=True, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **kw)


def export_fp32(model: nn.Module, path: Path | str, input_shape=(1, 3, 80, 80)) -> None:
    """Exports a network in eval mode as fp32 ONNX and runs the checker."""
    model = model.eval()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / "m.onnx"
        torchscript_export(model, torch.zeros(input_shape), tmp, OPSET)
        m = compact(onnx.load(str(tmp)))
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def ort_run(onnx_path: Path | str, batches: Sequence[np.ndarray], jobs: int = 1) -> List[np.ndarray]:
    """Runs an ONNX file with onnxruntime-web (wasm, 1 thread) on each float32 NCHW batch, in up to
    ``jobs`` node processes at a time (each takes a contiguous share of the batches)."""
    with tempfile.TemporaryDirectory() as d:
        files = []
        for i, b in enumerate(batches):
            f = Path(d) / f"in{i}.f32"
            np.ascontiguousarray(b, dtype="<f4").tofile(f)
            files.append(str(f))
        shape = ",".join(str(v) for v in batches[0].shape)
        jobs = max(1, jobs)
        # one node process never holds more than 200 inputs; at least `jobs` shares when there are enough
        per = max(1, min(200, -(-len(files) // jobs)))
        shares = [files[k : k + per] for k in range(0, len(files), per)]
        out: List[np.ndarray] = []
        for k in range(0, len(shares), jobs):
            procs = [subprocess.Popen(["node", str(ORT_INFER), str(onnx_path), *share, "--shape", shape], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(REPO)) for share in shares[k : k + jobs]]
            done = [(p, *p.communicate()) for p in procs]  # every process ends before any error is raised
            for p, stdout, stderr in done:
                if p.returncode != 0:
                    raise RuntimeError(f"ort-infer failed: {stderr[-2000:]}")
                for item in json.loads(stdout)["results"]:
                    o = item["outputs"][0]
                    out.append(np.asarray(o["data"], dtype=np.float32).reshape(o["dims"]))
    return out


def ort_logits(onnx_path: Path | str, x: np.ndarray, batch: int = 64, jobs: int = 1) -> np.ndarray:
    """Logits [N, 2] from onnxruntime-web for a float32 NCHW array (``jobs`` node processes)."""
    if len(x) == 0:
        return np.zeros((0, 2), np.float32)
    return np.concatenate(ort_run(onnx_path, [x[i : i + batch] for i in range(0, len(x), batch)], jobs))


def parity(model: nn.Module, onnx_path: Path | str, x: np.ndarray) -> float:
    """Max |PyTorch - onnxruntime-web| over the logits of ``x``."""
    with torch.no_grad():
        ref = model.eval()(torch.from_numpy(x)).numpy()
    got = ort_logits(onnx_path, x)
    return float(np.abs(ref - got).max())
