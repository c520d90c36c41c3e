"""The committed models/ folder: manifest.json follows the contract of models/README.md and the
golden fixture reproduces (tensors from frame.png / frame.jpg, logits from onnxruntime-web)."""
import copy
import json

import numpy as np
import onnx
import pytest

from fasedge import manifest as man
from fasedge.export import ort_logits
from fasedge.golden import tensor_stats
from fasedge.preprocess import PreprocessConfig, load_rgb, preprocess


@pytest.fixture(scope="module")
def models_dir(repo):
    return repo / "models"


@pytest.fixture(scope="module")
def manifest(models_dir):
    return json.loads((models_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def golden(models_dir):
    return json.loads((models_dir / "golden" / "golden.json").read_text())


def test_manifest_is_valid_and_matches_the_files(manifest, models_dir):
    assert man.validate(manifest, models_dir) == []
    assert manifest["serving"]["student"] == "student-int8" and manifest["serving"]["teacher"] == "teacher-fp32"
    for mid in ("teacher-fp32", "student-fp32", "student-int8", "ablation-fp32"):
        assert mid in manifest["models"]
    lo, hi = manifest["serving"]["uncertaintyBand"]
    assert 0 <= lo <= hi <= 1


def test_manifest_says_where_its_figures_come_from(manifest):
    for m in manifest["models"].values():
        prov = m["provenance"]
        assert "synthetic" in prov["data"] or "dataset at" in prov["data"]
        assert isinstance(prov["quick"], bool)
        assert prov["commit"] and prov["epochs"] >= 1 and prov["wallTimeS"] >= 0
    assert manifest["models"]["student-int8"]["provenance"]["distilledFrom"] == "teacher-fp32"
    assert manifest["models"]["ablation-fp32"]["provenance"]["distilledFrom"] is None


def test_default_pipeline_config_is_the_shipped_one(manifest):
    """`npm run train` with no options trains the configuration that ships: the default
    PipelineConfig is the one the manifest records, up to the run's name and a data folder given
    explicitly that is the default folder of its preset."""
    from fasedge.config import PipelineConfig, from_dict, to_dict

    shipped, default = from_dict(manifest["pipeline"]["config"]), PipelineConfig()
    assert shipped.data.folder() == default.data.folder()
    shipped.name, shipped.data.out = default.name, default.data.out
    assert to_dict(shipped) == to_dict(default)


def test_manifest_sizes_and_dtypes(manifest, models_dir):
    ms = manifest["models"]
    assert ms["student-fp32"]["params"] < 1_000_000 and ms["teacher-fp32"]["params"] > 2 * ms["student-fp32"]["params"]
    assert ms["student-int8"]["dtype"] == "int8" and ms["student-fp32"]["bytes"] / ms["student-int8"]["bytes"] >= 3.5
    for mid, m in ms.items():
        model = onnx.load(str(models_dir / m["file"]))
        onnx.checker.check_model(model)
        assert model.graph.input[0].name == "input" and model.graph.output[0].name == "logits"


def test_validator_rejects_broken_manifests(manifest, models_dir):
    bad = copy.deepcopy(manifest)
    bad["models"]["student-int8"]["preprocess"]["resample"] = "bilinear"
    bad["models"]["student-int8"]["sha256"] = "0" * 64
    bad["serving"]["uncertaintyBand"] = [0.9, 0.1]
    del bad["models"]["teacher-fp32"]["provenance"]["seed"]
    errs = man.validate(bad, models_dir)
    assert any("resample" in e for e in errs)
    assert any("sha256 does not match" in e for e in errs)
    assert any("uncertaintyBand" in e for e in errs)
    assert any("provenance.seed" in e for e in errs)


def test_golden_inputs_reproduce_from_png_and_jpeg(manifest, golden, models_dir):
    gdir = models_dir / "golden"
    png = load_rgb(gdir / golden["image"])
    jpg = load_rgb(gdir / golden["jpeg"])
    for mid, g in golden["models"].items():
        cfg = PreprocessConfig.from_manifest(manifest["models"][mid]["preprocess"])
        want = np.fromfile(gdir / g["input"], dtype="<f4").reshape(g["shape"])
        got = preprocess(png, golden["box"], cfg)
        assert np.abs(got - want).max() < 1e-6
        stats = tensor_stats(want)
        for k in ("mean", "std", "min", "max"):
            assert stats[k] == pytest.approx(g["stats"][k], abs=1e-6)
        want_j = np.fromfile(gdir / g["jpegInput"], dtype="<f4").reshape(g["shape"])
        assert np.abs(preprocess(jpg, golden["box"], cfg) - want_j).max() < 1e-6
        # JPEG artefacts move the tensor a little, never a lot
        assert 0 < np.abs(want_j - want).mean() < 0.05


def test_golden_logits_reproduce_in_onnxruntime(manifest, golden, models_dir):
    gdir = models_dir / "golden"
    for mid, g in golden["models"].items():
        x = np.fromfile(gdir / g["input"], dtype="<f4").reshape(g["shape"])
        logits = ort_logits(models_dir / manifest["models"][mid]["file"], x)[0]
        np.testing.assert_allclose(logits, g["logits"], atol=1e-4)
        p = np.exp(logits - logits.max())
        assert p[manifest["models"][mid]["output"]["bonafideIndex"]] / p.sum() == pytest.approx(g["score"], abs=1e-4)


def test_readme_examples_use_the_golden_frames_face_box(repo, golden):
    """The README's curl examples post models/golden/frame.png with its face box: after a retrain
    the golden frame changes, and a stale box would crop the wrong region."""
    import re

    readme = (repo / "README.md").read_text()
    boxes = re.findall(r'"box\\?"\s*:\s*(\[[0-9, ]+\])', readme) + re.findall(r'"boxes\\?"\s*:\s*\[(\[[0-9, ]+\]),', readme)
    assert boxes, "the README has no boxed example"
    for b in boxes:
        assert json.loads(b) == [int(v) for v in golden["box"]]
