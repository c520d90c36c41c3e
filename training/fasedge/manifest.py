"""models/manifest.json: writer and schema check (models/README.md is the contract)."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Dict, List

SCHEMA_VERSION = 1
ROLES = {"teacher", "student", "ablation", "peer"}
DTYPES = {"fp32", "int8"}


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def validate(manifest: Dict[str, Any], models_dir: Path | str | None = None) -> List[str]:
    """Returns the list of contract violations (empty when the manifest is valid). With
    ``models_dir`` the files' bytes and sha256 are checked too."""
    errs: List[str] = []
    if manifest.get("schemaVersion") != SCHEMA_VERSION:
        errs.append("schemaVersion must be 1")
    if not isinstance(manifest.get("generatedAt"), str) or not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", manifest.get("generatedAt", "")):
        errs.append("generatedAt must be an ISO-8601 UTC timestamp")
    models = manifest.get("models")
    if not isinstance(models, dict) or not models:
        return errs + ["models must be a non-empty object"]
    serving = manifest.get("serving", {})
    for k in ("student", "teacher"):
        if serving.get(k) not in models:
            errs.append(f"serving.{k} must name a model")
    band = serving.get("uncertaintyBand")
    if not (isinstance(band, list) and len(band) == 2 and all(_is_num(v) for v in band) and 0 <= band[0] <= band[1] <= 1):
        errs.append("serving.uncertaintyBand must be [lo, hi] with 0 <= lo <= hi <= 1")
    for mid, m in models.items():
        p = f"models.{mid}"
        if m.get("id") != mid:
            errs.append(f"{p}.id must equal its key")
        if m.get("role") not in ROLES:
            errs.append(f"{p}.role must be one of {sorted(ROLES)}")
        if m.get("dtype") not in DTYPES:
            errs.append(f"{p}.dtype must be fp32 or int8")
        for k in ("name", "file", "sha256"):
            if not isinstance(m.get(k), str) or not m.get(k):
                errs.append(f"{p}.{k} must be a non-empty string")
        if not re.match(r"^[0-9a-f]{64}$", str(m.get("sha256", ""))):
            errs.append(f"{p}.sha256 must be 64 hex digits")
        for k in ("bytes", "params", "macs"):
            if not isinstance(m.get(k), int) or m.get(k) <= 0:
                errs.append(f"{p}.{k} must be a positive integer")
        inp, out = m.get("input", {}), m.get("output", {})
        if inp.get("name") != "input" or not (isinstance(inp.get("shape"), list) and len(inp["shape"]) == 4 and inp["shape"][1] == 3):
            errs.append(f"{p}.input must be {{name: input, shape: [1, 3, H, W]}}")
        if out.get("name") != "logits" or out.get("shape") != [1, 2] or out.get("bonafideIndex") not in (0, 1):
            errs.append(f"{p}.output must be {{name: logits, shape: [1, 2], bonafideIndex: 0|1}}")
        pp = m.get("preprocess", {})
        if not (isinstance(pp.get("size"), list) and len(pp["size"]) == 2 and all(isinstance(v, int) and v > 0 for v in pp["size"])):
            errs.append(f"{p}.preprocess.size must be [height, width]")
        elif isinstance(inp.get("shape"), list) and len(inp["shape"]) == 4 and inp["shape"][2:] != pp["size"]:
            errs.append(f"{p}.preprocess.size must match input.shape")
        if not (_is_num(pp.get("cropScale")) and pp["cropScale"] > 0):
            errs.append(f"{p}.preprocess.cropScale must be > 0")
        if pp.get("resample") != "triangle-aa":
            errs.append(f"{p}.preprocess.resample must be triangle-aa")
        if pp.get("channelOrder") != "RGB":
            errs.append(f"{p}.preprocess.channelOrder must be RGB")
        if not _is_num(pp.get("scale")):
            errs.append(f"{p}.preprocess.scale must be a number")
        for k in ("mean", "std"):
            if not (isinstance(pp.get(k), list) and len(pp[k]) == 3 and all(_is_num(v) for v in pp[k])):
                errs.append(f"{p}.preprocess.{k} must be 3 numbers")
        if isinstance(pp.get("std"), list) and any(_is_num(v) and v == 0 for v in pp["std"]):
            errs.append(f"{p}.preprocess.std must be non-zero")
        if not (_is_num(m.get("threshold")) and 0 <= m["threshold"] <= 1):
            errs.append(f"{p}.threshold must be in [0, 1]")
        test = m.get("metrics", {}).get("test")
        if not isinstance(test, dict) or not all(_is_num(test.get(k)) for k in ("auc", "eer", "apcer", "bpcer", "acer")):
            errs.append(f"{p}.metrics.test must hold auc, eer, apcer, bpcer, acer")
        prov = m.get("provenance", {})
        for k in ("data", "commit"):
            if not isinstance(prov.get(k), str) or not prov.get(k):
                errs.append(f"{p}.provenance.{k} must be a non-empty string")
        if not isinstance(prov.get("seed"), int):
            errs.append(f"{p}.provenance.seed must be an integer")
        if not isinstance(prov.get("config"), dict):
            errs.append(f"{p}.provenance.config must be an object")
        if not isinstance(prov.get("epochs"), int):
            errs.append(f"{p}.provenance.epochs must be an integer")
        if not _is_num(prov.get("wallTimeS")):
            errs.append(f"{p}.provenance.wallTimeS must be a number")
        if "distilledFrom" not in prov or not (prov["distilledFrom"] is None or prov["distilledFrom"] in models):
            errs.append(f"{p}.provenance.distilledFrom must be a model id or null")
        if models_dir is not None and isinstance(m.get("file"), str):
            f = Path(models_dir) / m["file"]
            if not f.exists():
                errs.append(f"{p}.file {m['file']} does not exist")
            else:
                if f.stat().st_size != m.get("bytes"):
                    errs.append(f"{p}.bytes does not match the file")
                if sha256_file(f) != m.get("sha256"):
                    errs.append(f"{p}.sha256 does not match the file")
    return errs


def write(manifest: Dict[str, Any], path: Path | str) -> None:
    errs = validate(manifest, Path(path).parent)
    if errs:
        raise ValueError("manifest violates the contract:\n  " + "\n  ".join(errs))
    Path(path).write_text(json.dumps(manifest, indent=2) + "\n")
