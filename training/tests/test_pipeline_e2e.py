"""A tiny end-to-end run of the model factory: data -> teacher -> distilled student -> ablation ->
peer -> int8 -> ONNX -> evaluation -> cross-instrument protocol -> manifest + golden fixture."""
import dataclasses
import json
import os
from collections import Counter

import numpy as np
import onnx
import pytest
import torch

from fasedge import manifest as man
from fasedge import nets
from fasedge.compare import compare
from fasedge.config import CrossSpec, DataSpec, PipelineConfig
from fasedge.dataset import AugmentConfig, load_frames, read_rows
from fasedge.errors import analyse
from fasedge.nets import MiniFASNetV2Config, StudentConfig, TeacherConfig
from fasedge import pipeline
from fasedge.pipeline import run
from fasedge.preprocess import PreprocessConfig
from fasedge.quantize import QuantConfig
from fasedge.train import TrainConfig, bf16_native, cpu_flags, load_checkpoint, load_model, precision_warning, predict_logits, train_model
from fasedge.tta import TTA, TTAConfig
from fasedge.tta import measure as measure_tta
from fasedge.variants import run_variant


def tiny_config(csv) -> PipelineConfig:
    tc = TrainConfig(epochs=1, batch_size=16, lr=3e-3, threads=2)
    return PipelineConfig(
        name="e2e",
        quick=True,
        peer=True,
        data=DataSpec(manifest=str(csv), workers=1),
        augment=AugmentConfig(views=2),
        teacher=TeacherConfig(stem=(8, 8), widths=(8, 16, 16, 16), depths=(1, 1, 1, 1)),
        teacher_train=tc,
        student=StudentConfig(stem=8, stages=((8, 0, 2), (16, 1, 2), (16, 0, 2)), head=32),
        student_train=TrainConfig(epochs=2, batch_size=16, lr=3e-3, threads=2),
        peer_net=MiniFASNetV2Config(stem=8, stages=((8, 8, 1, 8), (16, 16, 1, 16), (16, 16, 1, 16)), embedding=16, head=32),
        peer_train=tc,
        quant=QuantConfig(calib_frames=32),
        cross=CrossSpec(enabled=True, epoch_scale=1.0),
    )


def test_tiny_pipeline_end_to_end_and_resume(tiny_dataset, tmp_path, capsys):
    models, runs = tmp_path / "models", tmp_path / "runs"
    run(tiny_config(tiny_dataset), models, runs)
    m = json.loads((models / "manifest.json").read_text())
    assert man.validate(m, models) == []
    assert set(m["models"]) == {"teacher-fp32", "student-fp32", "student-int8", "ablation-fp32", "peer-minifasnetv2-fp32"}
    for e in m["models"].values():
        onnx.checker.check_model(onnx.load(str(models / e["file"])))
        assert e["provenance"]["quick"] is True
        assert e["provenance"]["parityMaxAbsLogit"] is not None
        assert 0.0 <= e["metrics"]["test"]["acer"] <= 1.0
    for mid in ("teacher-fp32", "student-fp32", "student-int8", "ablation-fp32"):
        cross = m["models"][mid]["metrics"]["crossInstrument"]
        assert "printer_b" in cross["protocol"] and set(cross["apcerPerSpecies"]) <= {"print", "replay", "mask"}
    assert m["models"]["student-fp32"]["provenance"]["config"]["kd"]["temperature"] > 0
    assert m["models"]["student-int8"]["dtype"] == "int8"
    # the served teacher's file averages its network over the test-time views, and says so
    t = m["models"]["teacher-fp32"]
    assert t["testTimeAugmentation"]["views"] == 10 and t["provenance"]["config"]["tta"] == {"flip": True, "shift": 2}
    assert t["macs"] == 10 * nets.count_macs(nets.build("teacher", t["provenance"]["config"]["net"]), (1, 3, 80, 80))
    assert "Gather" in {n.op_type for n in onnx.load(str(models / t["file"])).graph.node}
    assert all("testTimeAugmentation" not in e for k, e in m["models"].items() if k != "teacher-fp32")
    # fasedge.tta scores the run's teacher with each view set; its 10 views are the served file
    res = measure_tta(runs / "e2e", view_sets=(TTAConfig(flip=False, shift=0), TTAConfig()), log=lambda s: None)
    assert [v["views"] for v in res.values()] == [1, 10]
    served = json.loads((runs / "e2e" / "evaluate" / "done.json").read_text())["models"]["teacher-fp32"]
    assert res["10 views (flip True, shift 2)"]["test"]["acer"] == pytest.approx(served["test"]["acer"], abs=1e-9)
    assert res["10 views (flip True, shift 2)"]["threshold"] == pytest.approx(served["threshold"], abs=1e-6)
    assert json.loads((runs / "e2e" / "tta-teacher.json").read_text()).keys() == res.keys()
    # and the students the same way: one view of the distilled student is the evaluate stage's own file
    one = measure_tta(runs / "e2e", "cross-student", view_sets=(TTAConfig(flip=False, shift=0),), log=lambda s: None)["1 view (flip False, shift 0)"]
    cross_student = json.loads((runs / "e2e" / "cross-evaluate" / "done.json").read_text())["models"]["student-fp32"]
    assert one["test"]["acer"] == pytest.approx(cross_student["test"]["acer"], abs=1e-9) and one["threshold"] == pytest.approx(cross_student["threshold"], abs=1e-6)
    with pytest.raises(ValueError, match="stage"):
        measure_tta(runs / "e2e", "quantize")
    assert set(m["pipeline"]["wallTimeByStageS"]) >= {"data", "cache", "teacher", "kd-cache", "student", "ablation", "peer", "quantize", "export", "evaluate", "cross-teacher", "release"}
    # the wall times come with the machine they were measured on
    host = m["pipeline"]["machine"]
    assert host["logicalCpus"] == os.cpu_count() and host["torch"] == torch.__version__ and host["cpu"]
    assert host["bf16Native"] == bf16_native() and host["cpuFlags"] == cpu_flags()
    # and with the code every stage ran: each model's commit is its training stage's
    commits = m["pipeline"]["stageCommits"]
    assert set(commits) >= set(m["pipeline"]["wallTimeByStageS"]) - {"release"} and all(commits.values())
    for mid, stage in (("teacher-fp32", "teacher"), ("student-int8", "student"), ("ablation-fp32", "ablation")):
        assert m["models"][mid]["provenance"]["commit"] == commits[stage] == json.loads((runs / "e2e" / stage / "done.json").read_text())["commit"]
    g = json.loads((models / "golden" / "golden.json").read_text())
    assert set(g["models"]) == set(m["models"])
    x = np.fromfile(models / "golden" / g["models"]["student-int8"]["input"], dtype="<f4")
    assert x.size == 3 * 80 * 80
    # ablation and distilled student train from the same seed: the teacher term must change the weights
    ab = (models / "ablation-fp32.onnx").read_bytes()
    assert ab != (models / "student-fp32.onnx").read_bytes()
    # a second run finds every stage done and leaves the release untouched
    before = (models / "manifest.json").read_text()
    capsys.readouterr()
    run(tiny_config(tiny_dataset), models, runs)
    out = capsys.readouterr().out
    assert "[teacher] done earlier" in out and "[release] done earlier" in out
    assert (models / "manifest.json").read_text() == before
    # a run of the same name with a setting its stages depend on is refused before any work
    # (and its config.json, which --config resumes from, is left as it was)
    started_with = (runs / "e2e" / "config.json").read_text()
    longer = tiny_config(tiny_dataset)
    longer.student_train = dataclasses.replace(longer.student_train, epochs=3)
    with pytest.raises(pipeline.StageConfigError, match=r"stages ablation, cross-ablation, cross-evaluate, cross-export, cross-quantize, cross-student, evaluate, export, quantize, release, student of .* another config"):
        run(longer, models, runs)
    assert (models / "manifest.json").read_text() == before
    assert (runs / "e2e" / "config.json").read_text() == started_with
    assert pipeline.main(["--config", str(runs / "e2e" / "config.json"), "--runs", str(runs), "--models", str(models)]) == 0
    assert (models / "manifest.json").read_text() == before

    # a run of another name links this run's finished stages where its settings are the same: a
    # longer student against the same teacher trains the students and what follows them, nothing else
    with pytest.raises(ValueError, match="own folder"):
        run(tiny_config(tiny_dataset), models, runs, reuse=runs / "e2e")
    longer.name = "e2e-longer"
    capsys.readouterr()
    run(longer, tmp_path / "models-longer", runs, reuse=runs / "e2e")
    out = capsys.readouterr().out
    assert sorted(p.name for p in (runs / "e2e-longer").iterdir() if p.is_symlink()) == ["cache", "cross-kd-cache", "cross-teacher", "data", "kd-cache", "peer", "teacher"]
    assert "[reuse] from" in out and "[teacher] done earlier" in out and "[student] start" in out and "[cross-student] start" in out
    m2 = json.loads((tmp_path / "models-longer" / "manifest.json").read_text())
    assert man.validate(m2, tmp_path / "models-longer") == []
    assert m2["models"]["student-fp32"]["provenance"]["epochs"] == 3 and m["models"]["student-fp32"]["provenance"]["epochs"] == 2
    assert m2["models"]["teacher-fp32"]["sha256"] == m["models"]["teacher-fp32"]["sha256"]
    assert m2["models"]["student-fp32"]["sha256"] != m["models"]["student-fp32"]["sha256"]
    assert (models / "manifest.json").read_text() == before and (runs / "e2e" / "config.json").read_text() == started_with

    # an optional term (fasedge.variants) measured against this run's student
    res = run_variant(runs / "e2e", "fourier", 0.1, log=lambda s: None)
    student = json.loads((runs / "e2e" / "student" / "done.json").read_text())
    assert res["epochs"] == student["epochs"]
    assert json.loads((runs / "e2e" / "variant-fourier" / "compare.json").read_text()) == res
    ck = load_checkpoint(runs / "e2e" / "variant-fourier" / "model.pt")
    assert ck["config"]["fourier_aux"] is True
    assert any(k.startswith("fourier.") for k in ck["state_dict"])
    plain = load_checkpoint(student["checkpoint"])["state_dict"]
    # same seed, views and teacher logits: only the auxiliary term makes the shared weights differ
    assert any(not torch.equal(plain[k], ck["state_dict"][k]) for k in plain)
    for name in ("student", "student+fourier"):
        for split in ("val", "test"):
            assert 0.0 <= res[name][split]["acer"] <= 1.0
            assert 0.0 <= res[name][split]["auc"] <= 1.0

    # the teacher at another input resolution, against the run's teacher
    res = run_variant(runs / "e2e", "teacher-size", 0.0, log=lambda s: None, size=48, epochs=1)
    out = runs / "e2e" / "variant-teacher-size" / "size48-epochs1"
    assert json.loads((out / "compare.json").read_text()) == res
    ck = load_checkpoint(out / "model.pt")
    assert ck["preprocess"]["size"] == [48, 48] and ck["epochs"] == 1
    teacher = load_checkpoint(json.loads((runs / "e2e" / "teacher" / "done.json").read_text())["checkpoint"])
    assert ck["preprocess"]["cropScale"] == teacher["preprocess"]["cropScale"] and teacher["preprocess"]["size"] != [48, 48]
    assert len(res["teacher@48px-1ep"]["history"]) == 1
    for name in (f"teacher@{teacher['preprocess']['size'][0]}px-{teacher['epochs']}ep", "teacher@48px-1ep"):
        for split in ("val", "test"):
            assert 0.0 <= res[name][split]["acer"] <= 1.0
            assert set(res[name][split]["apcerPerSpecies"]) <= {"print", "replay", "mask"}

    # pixel blocks folded into channels: twice the input at the stem's resolution, the shift scaled
    res = run_variant(runs / "e2e", "teacher-size", 0.0, log=lambda s: None, size=160, epochs=1, space_to_depth=2)
    ck = load_checkpoint(runs / "e2e" / "variant-teacher-size" / "size160-s2d2-epochs1" / "model.pt")
    assert ck["config"]["space_to_depth"] == 2 and ck["preprocess"]["size"] == [160, 160]
    assert ck["augment_config"]["shift"] == 2 * teacher["augment_config"]["shift"] == res["shift"]
    assert "teacher@160px-s2d2-1ep" in res and ck["state_dict"]["stem.0.0.weight"].shape[1] == 12

    # the run's student distilled from another teacher of the run (a teacher-size result)
    run_variant(runs / "e2e", "teacher-size", 0.0, log=lambda s: None, size=80, epochs=2)
    res = run_variant(runs / "e2e", "teacher-kd", 0.0, log=lambda s: None, teacher="size80-epochs2")
    out = runs / "e2e" / "variant-teacher-kd" / "size80-epochs2"
    assert json.loads((out / "compare.json").read_text()) == res
    assert res["epochs"] == student["epochs"]
    own = np.load(runs / "e2e" / "kd-cache" / "teacher_logits.npy")
    other = np.load(out / "teacher_logits.npy")
    assert other.shape == own.shape and not np.array_equal(other, own)
    distilled = load_checkpoint(out / "model.pt")
    assert distilled["config"] == load_checkpoint(student["checkpoint"])["config"]
    # same seed and views as the run's student: only the teacher's logits make the weights differ
    assert any(not torch.equal(plain[k], distilled["state_dict"][k]) for k in plain)
    for name in ("teacher size80-epochs2", "student<-run's teacher", "ablation (no teacher)", "student<-teacher@size80-epochs2"):
        for split in ("val", "test"):
            assert 0.0 <= res[name][split]["acer"] <= 1.0

    # a teacher at another input size: its logits on the same views, at its own size
    res48 = run_variant(runs / "e2e", "teacher-kd", 0.0, log=lambda s: None, teacher="size48-epochs1")
    size48 = json.loads((runs / "e2e" / "variant-teacher-size" / "size48-epochs1" / "compare.json").read_text())["teacher@48px-1ep"]
    for split in ("val", "test"):
        assert res48["teacher size48-epochs1"][split] == size48[split]
    logits48 = np.load(runs / "e2e" / "variant-teacher-kd" / "size48-epochs1" / "teacher_logits.npy")
    assert logits48.shape == own.shape
    teacher48 = load_model(runs / "e2e" / "variant-teacher-size" / "size48-epochs1" / "model.pt")
    pcfg48 = PreprocessConfig.from_manifest(load_checkpoint(runs / "e2e" / "variant-teacher-size" / "size48-epochs1" / "model.pt")["preprocess"])
    frames48 = load_frames(tiny_dataset, pcfg48, runs / "e2e" / "cache", workers=1, log=lambda s: None)
    np.testing.assert_allclose(logits48[0], predict_logits(teacher48, frames48.select(frames48.split == "train").pixels, pcfg48), rtol=1e-5, atol=1e-5)

    # the run's own teacher with other distillation settings (the run's own settings would be its student)
    with pytest.raises(ValueError, match="the run's student itself"):
        run_variant(runs / "e2e", "teacher-kd", 0.0, log=lambda s: None, teacher="run")
    res = run_variant(runs / "e2e", "teacher-kd", 0.0, log=lambda s: None, teacher="run", temperature=2.0, alpha=0.5)
    out = runs / "e2e" / "variant-teacher-kd" / "run-T2-a0.5"
    assert json.loads((out / "compare.json").read_text()) == res
    assert res["kd"]["temperature"] == 2.0 and res["kd"]["alpha"] == 0.5
    assert not (out / "teacher_logits.npy").exists()  # the run's kd-cache, not a recomputed copy
    ck = load_checkpoint(out / "model.pt")
    assert ck["kd_config"]["temperature"] == 2.0 and ck["kd_config"]["alpha"] == 0.5
    assert any(not torch.equal(plain[k], ck["state_dict"][k]) for k in plain)

    # the run's teacher as its file serves it, the mean over its views: other logits, another student
    res = run_variant(runs / "e2e", "teacher-kd", 0.0, log=lambda s: None, teacher="run", served_views=True)
    out = runs / "e2e" / "variant-teacher-kd" / "run-views10"
    assert res["teacherViews"] == 10 and json.loads((out / "compare.json").read_text()) == res
    served_logits = np.load(out / "teacher_logits.npy")
    assert served_logits.shape == own.shape and not np.allclose(served_logits, own)
    teacher = load_model(json.loads((runs / "e2e" / "teacher" / "done.json").read_text())["checkpoint"])
    frames = load_frames(tiny_dataset, PreprocessConfig(), runs / "e2e" / "cache", workers=1, log=lambda s: None)
    served_teacher = TTA(teacher, TTAConfig(), (80, 80))
    np.testing.assert_allclose(served_logits[0], predict_logits(served_teacher, frames.select(frames.split == "train").pixels, PreprocessConfig()), rtol=1e-4, atol=1e-4)
    ck = load_checkpoint(out / "model.pt")
    assert any(not torch.equal(plain[k], ck["state_dict"][k]) for k in plain)

    # the distilled student and its ablation again with another seed, against the run's own seed
    student_seed = tiny_config(tiny_dataset).student_train.seed
    with pytest.raises(ValueError, match="the run's own"):
        run_variant(runs / "e2e", "seeds", 0.0, log=lambda s: None, seeds=(student_seed,))
    res = run_variant(runs / "e2e", "seeds", 0.0, log=lambda s: None, seeds=(7,))
    assert json.loads((runs / "e2e" / "variant-seeds" / "compare.json").read_text()) == res
    assert res["seeds"] == [student_seed, 7] and set(res["perSeed"]["7"]) == {"student", "ablation"}
    reseeded = load_checkpoint(runs / "e2e" / "variant-seeds" / "seed7" / "student" / "model.pt")
    assert reseeded["train_config"]["seed"] == 7 and reseeded["distilled"]
    assert any(not torch.equal(plain[k], reseeded["state_dict"][k]) for k in plain)
    for key, v in res["summary"].items():
        acers = [res["perSeed"][s]["student"][key.split(".")[0]][key.split(".")[1]] for s in ("7", str(student_seed))]
        assert v["student"][0] == pytest.approx(np.mean(acers)) and v["student"][1] == pytest.approx(np.std(acers, ddof=1))

    # the ablation again on the run's training frames plus as many new identities (another dataset
    # seed), for the run's number of steps; validation and test stay the run's
    with pytest.raises(ValueError, match="the run's own"):
        run_variant(runs / "e2e", "identities", 0.0, log=lambda s: None, data_seed=1234)
    res = run_variant(runs / "e2e", "identities", 0.0, log=lambda s: None, data_seed=4321)
    folder = runs / "e2e" / "variant-identities"
    assert json.loads((folder / "ablation-seed4321-12ids-epochs1" / "compare.json").read_text()) == res
    base_rows = read_rows(tiny_dataset)
    merged = read_rows(folder / "manifest-seed4321-6.csv")
    n_train = sum(row["split"] == "train" for row in base_rows)
    assert res["trainFrames"] == {"run": n_train, "variant": 2 * n_train} and res["steps"]["variant"] == res["steps"]["run"]
    assert [(row["split"], row["subject"]) for row in merged[: len(base_rows)]] == [(row["split"], row["subject"]) for row in base_rows]
    added = merged[len(base_rows):]
    assert len(added) == n_train and {row["split"] for row in added} == {"train"}
    assert all(row["subject"].startswith("s4321-") for row in added)
    frames = load_frames(folder / "manifest-seed4321-6.csv", PreprocessConfig(), runs / "e2e" / "cache", workers=1)
    base = load_frames(tiny_dataset, PreprocessConfig(), runs / "e2e" / "cache", workers=1)
    for split in ("val", "test"):
        assert np.array_equal(frames.pixels[frames.split == split], base.pixels[base.split == split])
    assert not any(np.array_equal(frames.pixels[len(base_rows)], p) for p in base.pixels[base.split == "train"])
    ck = load_checkpoint(folder / "ablation-seed4321-12ids-epochs1" / "model.pt")
    assert ck["train_config"]["epochs"] == 1 and not ck["distilled"]
    assert set(res) >= {"ablation (6 identities, 2 epochs)", "ablation (12 identities, 1 epochs)"}

    # the ablation with and without the per-cell term, at the run's own seed and another
    ablation_done = json.loads((runs / "e2e" / "ablation" / "done.json").read_text())
    with pytest.raises(ValueError, match="--weight > 0"):
        run_variant(runs / "e2e", "patch", 0.0, log=lambda s: None, seeds=(7,))
    res = run_variant(runs / "e2e", "patch", 0.5, log=lambda s: None, seeds=(student_seed, 7))
    out = runs / "e2e" / "variant-patch" / "ablation-epochs2"
    assert json.loads((out / "compare-w0.5.json").read_text()) == res
    assert res["seeds"] == sorted([student_seed, 7]) and res["epochs"] == ablation_done["epochs"]
    own = json.loads((out / f"seed{student_seed}" / "base" / "metrics.json").read_text())
    assert own["checkpoint"] == ablation_done["checkpoint"] and not (out / f"seed{student_seed}" / "base" / "model.pt").exists()
    # seed 7 without the term is the seeds variant's ablation of seed 7, to the bit
    base7 = load_checkpoint(out / "seed7" / "base" / "model.pt")
    for k, v in load_checkpoint(runs / "e2e" / "variant-seeds" / "seed7" / "ablation" / "model.pt")["state_dict"].items():
        assert torch.equal(base7["state_dict"][k], v), k
    with7 = load_checkpoint(out / "seed7" / "w0.5" / "model.pt")
    assert with7["train_config"]["patch_weight"] == 0.5 and base7["train_config"]["patch_weight"] == 0.0
    assert with7["state_dict"].keys() == base7["state_dict"].keys()  # a train-time term: no extra weights
    assert any(not torch.equal(base7["state_dict"][k], with7["state_dict"][k]) for k in base7["state_dict"])
    for key, v in res["summary"].items():
        split, metric = key.split(".")
        diffs = [res["perSeed"][s]["w0.5"][split][metric] - res["perSeed"][s]["base"][split][metric] for s in res["perSeed"]]
        assert v["termMinusBase"][0] == pytest.approx(np.mean(diffs)) and v["termMinusBase"][1] == pytest.approx(np.std(diffs, ddof=1))

    # ACER differences between the run's models with a bootstrap interval over test identities
    manifest = json.loads((models / "manifest.json").read_text())["models"]
    for r in compare(runs / "e2e"):
        assert r["difference"] == pytest.approx(manifest[r["a"]]["metrics"]["test"]["acer"] - manifest[r["b"]]["metrics"]["test"]["acer"])
        assert r["low"] <= r["high"] and r["groups"] == len({row["subject"] for row in read_rows(tiny_dataset) if row["split"] == "test"})

    # where the run's models fail, alone and together (models at 48, 80 and 160 px among them)
    r = analyse(runs / "e2e", variants=True, workers=1, log=lambda s: None)
    assert json.loads((runs / "e2e" / "errors.json").read_text()) == r
    assert set(r["models"]) == {"teacher", "student", "ablation", "teacher-size48-epochs1", "teacher-size160-s2d2-epochs1", "teacher-size80-epochs2",
                                "student<-size80-epochs2", "student<-size48-epochs1", "student<-run-T2-a0.5", "student<-run-views10", "student-seed7", "ablation-seed7", "student+fourier",
                                "identities-ablation-seed4321-12ids-epochs1", "patch-ablation-epochs2-seed7-base", "patch-ablation-epochs2-seed7-w0.5",
                                f"patch-ablation-epochs2-seed{student_seed}-w0.5"}
    kd = json.loads((runs / "e2e" / "variant-teacher-kd" / "size80-epochs2" / "compare.json").read_text())
    for split in ("val", "test"):
        assert r["perModel"]["ablation"][split]["acer"] == pytest.approx(kd["ablation (no teacher)"][split]["acer"])
        assert r["perModel"]["student<-size80-epochs2"][split]["auc"] == pytest.approx(kd["student<-teacher@size80-epochs2"][split]["auc"])
    rows = [row for row in read_rows(tiny_dataset) if row["split"] == "test"]
    per_species = Counter(row["species"] for row in rows if row["label"] != "bonafide")
    n_bona = sum(row["label"] == "bonafide" for row in rows)
    n = len(r["models"])
    attack, bona = np.array(r["wrongBy"]["attack"]), np.array(r["wrongBy"]["bonafide"])
    assert len(attack) == len(bona) == n + 1 and attack.sum() == sum(per_species.values()) and bona.sum() == n_bona
    # the histogram counts every model's own errors once: sum_k k * frames(k) = sum over models of their errors
    wrong_attacks = sum(round(sum(m["test"]["apcerPerSpecies"][sp] * c for sp, c in per_species.items())) for m in r["perModel"].values())
    wrong_bona = sum(round(m["test"]["bpcer"] * n_bona) for m in r["perModel"].values())
    assert (np.arange(n + 1) * attack).sum() == wrong_attacks and (np.arange(n + 1) * bona).sum() == wrong_bona
    # threshold rules: the pipeline's is each model's own test ACER; no rule beats the best test threshold
    rules = r["thresholdRules"]
    assert set(rules["perModel"]) == set(r["models"]) and rules["valEerBetter"] + rules["valEerWorse"] <= n
    for name, t in rules["perModel"].items():
        assert t["valMinAcer"] == r["perModel"][name]["test"]["acer"]
        assert t["testOptimum"] <= min(t["valMinAcer"], t["valEer"])
    # the oracle only errs where every model does: no model's test ACER is below it
    assert r["oracle"]["acer"] <= min(m["test"]["acer"] for m in r["perModel"].values())
    assert r["oracle"]["bpcer"] == pytest.approx(bona[n] / n_bona)
    assert r["attacksMissedByAll"]["frames"] == attack[n] and r["bonafideRefusedByAll"]["frames"] == bona[n]
    assert r["attacksMissedByMost"]["frames"] == attack[n // 2 + 1:].sum()
    everything = r["testAttacks"]
    assert everything["frames"] == sum(per_species.values()) and everything["species"] == dict(per_species)
    assert sum(everything["intensity"].values()) == everything["frames"] and 0 < everything["closeup"] < everything["frames"]
    assert "closeup" not in r["bonafideRefusedByMost"]  # attack attributes only
    # one model alone: its ensemble ranks the frames as it does, its oracle makes its own errors
    # (ensemble thresholds are midpoints in margin space, so only the ranking is compared)
    one = analyse(runs / "e2e", variants=True, workers=1, log=lambda s: None, pick=("teacher-size48-epochs1",))
    assert list(one["models"]) == ["teacher-size48-epochs1"]
    for split in ("val", "test"):
        assert one["ensemble"][split]["auc"] == pytest.approx(r["perModel"]["teacher-size48-epochs1"][split]["auc"])
    assert one["oracle"]["acer"] == pytest.approx(r["perModel"]["teacher-size48-epochs1"]["test"]["acer"])
    with pytest.raises(ValueError, match="unknown models"):
        analyse(runs / "e2e", log=lambda s: None, pick=("teacher-size48-epochs1",))


def test_keep_last_ships_the_weights_at_the_end_of_the_schedule(tiny_dataset, tmp_path):
    frames = load_frames(tiny_dataset, PreprocessConfig(), tmp_path / "cache", workers=1)
    train, val = frames.select(frames.split == "train"), frames.select(frames.split == "val")
    cfg = tiny_config(tiny_dataset)
    for keep in ("best-val", "last"):
        tc = TrainConfig(epochs=3, batch_size=16, lr=3e-3, threads=2, keep=keep)
        ck = load_checkpoint(train_model("student", dataclasses.asdict(cfg.student), train, val, PreprocessConfig(), tc, tmp_path / keep, cfg.augment))
        last = load_checkpoint(tmp_path / keep / "last.pt")
        best = load_checkpoint(tmp_path / keep / "best.pt")
        shipped = last["state_dict"] if keep == "last" else best
        assert all(torch.equal(ck["state_dict"][k], shipped[k]) for k in shipped)
        assert ck["kept_epoch"] == (3 if keep == "last" else ck["best_epoch"]) and ck["train_config"]["keep"] == keep
    with pytest.raises(ValueError, match="keep"):
        train_model("student", dataclasses.asdict(cfg.student), train, val, PreprocessConfig(), TrainConfig(epochs=1, keep="best"), tmp_path / "bad", cfg.augment)


def test_bf16_precision_trains_under_autocast_and_scores_close_to_fp32(tiny_dataset, tmp_path):
    frames = load_frames(tiny_dataset, PreprocessConfig(), tmp_path / "cache", workers=1)
    train, val = frames.select(frames.split == "train"), frames.select(frames.split == "val")
    cfg = tiny_config(tiny_dataset)
    states = {}
    for precision in ("fp32", "bf16"):
        tc = TrainConfig(epochs=1, batch_size=16, lr=3e-3, threads=2, keep="last", precision=precision)
        lines = []
        ck = load_checkpoint(train_model("student", dataclasses.asdict(cfg.student), train, val, PreprocessConfig(), tc, tmp_path / precision, cfg.augment, log=lines.append))
        # a CPU without bf16 hardware emulates it, many times slower: the stage says so in its log
        warned = [ln for ln in lines if ln.startswith("warning: bf16 autocast is emulated")]
        assert len(warned) == (1 if precision == "bf16" and not bf16_native() else 0)
        assert ck["train_config"]["precision"] == precision
        assert all(v.dtype == torch.float32 for v in ck["state_dict"].values() if v.is_floating_point())
        assert np.isfinite(ck["history"][-1]["loss"])
        states[precision] = ck["state_dict"]
    # same seed, batches and views: only the arithmetic differs, so the weights differ a little
    diffs = [float((states["bf16"][k] - states["fp32"][k]).abs().max()) for k in states["fp32"] if states["fp32"][k].is_floating_point()]
    assert max(diffs) > 0
    model = load_model(tmp_path / "fp32" / "model.pt")
    z32 = predict_logits(model, val.pixels, PreprocessConfig())
    z16 = predict_logits(model, val.pixels, PreprocessConfig(), precision="bf16")
    assert z16.dtype == np.float32 and z16.shape == z32.shape
    err = np.abs(z16 - z32).max()
    assert 0 < err < 0.05 * max(1.0, np.abs(z32).max())
    with pytest.raises(ValueError, match="precision"):
        train_model("student", dataclasses.asdict(cfg.student), train, val, PreprocessConfig(), TrainConfig(epochs=1, precision="fp16"), tmp_path / "bad", cfg.augment)


def test_pipeline_refuses_to_emulate_bf16_unless_asked(tmp_path, monkeypatch, capsys):
    """The shipped config trains in bf16; on a CPU without bf16 hardware that runs 9-27x slower
    than fp32, so `npm run train` stops at once and names the two ways on, instead of running for days."""
    started = []
    monkeypatch.setattr(pipeline, "run", lambda cfg, models, runs, reuse=None: started.append(cfg))
    argv = ["--runs", str(tmp_path / "runs"), "--models", str(tmp_path / "models")]
    monkeypatch.setattr(pipeline, "bf16_native", lambda dev=None: False)
    assert pipeline.main(argv) == 2 and started == []
    err = capsys.readouterr().err
    assert "teacher, student in bf16" in err and "--precision fp32" in err and "--precision bf16" in err
    assert not (tmp_path / "runs").exists()
    assert pipeline.main(argv + ["--precision", "fp32"]) == 0
    assert {c.precision for c in (started[-1].teacher_train, started[-1].student_train)} == {"fp32"}
    assert pipeline.main(argv + ["--precision", "bf16"]) == 0 and started[-1].teacher_train.precision == "bf16"
    # a config that trains in fp32 never asks, and neither does a machine with bf16 hardware
    assert pipeline.main(argv + ["--quick"]) == 0 and started[-1].teacher_train.precision == "fp32"
    monkeypatch.setattr(pipeline, "bf16_native", lambda dev=None: True)
    assert pipeline.main(argv) == 0 and started[-1].teacher_train.precision == "bf16"
    assert len(started) == 4


def test_precision_warning_names_emulated_bf16_only():
    assert precision_warning("fp32") == ""
    assert (precision_warning("bf16") == "") == bf16_native()
    assert set(cpu_flags()) <= {"avx512_bf16", "amx_bf16", "bf16", "amx_tile", "avx512f", "avx2"}
