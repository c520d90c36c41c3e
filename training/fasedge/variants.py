"""Optional training terms and settings, each measured against the run's own model.

    sh training/py -m fasedge.variants fourier --run runs/default            # Fourier auxiliary head
    sh training/py -m fasedge.variants fourier --run runs/default --weight 0.5
    sh training/py -m fasedge.variants teacher-size --run runs/default --size 128 --epochs 10
    sh training/py -m fasedge.variants teacher-size --run runs/default --size 80 --epochs 40   # longer
    sh training/py -m fasedge.variants teacher-size --run runs/default --size 160 --space-to-depth 2 --epochs 10
    sh training/py -m fasedge.variants teacher-kd --run runs/default --teacher size80-epochs40
    sh training/py -m fasedge.variants teacher-kd --run runs/default --teacher run --temperature 2 --alpha 0.5
    sh training/py -m fasedge.variants teacher-kd --run runs/default --teacher run --served-views
    sh training/py -m fasedge.variants seeds --run runs/default --seeds 1,2
    sh training/py -m fasedge.variants identities --run runs/default --data-seed 99 --model ablation
    sh training/py -m fasedge.variants identities --run runs/default --data-seed 99 --model teacher
    sh training/py -m fasedge.variants patch --run runs/default --weight 0.5 --seeds 1234,1,2 --model ablation

``fourier`` trains the run's student once more with the Fourier auxiliary head switched on: same
data, seed, augmented views, cached teacher logits and number of epochs as the run's ``student``
stage, so the term is the only difference. ``teacher-size`` trains the run's teacher architecture at
another input resolution and/or for another number of epochs (same crop, data and seed; frames
cached at that size) and compares it with the run's teacher. ``teacher-kd`` distils the run's
student once more from such a teacher (a ``teacher-size`` result): its logits on the same
augmented views (at the teacher's own input size, shifts scaled to its pixels), then the same
student config, seed, views and epochs as the run's ``student`` stage, so the teacher is the only
difference; it is compared with the run's distilled student and its ablation. ``--teacher run`` keeps the run's teacher (its kd-cache logits)
and ``--temperature`` / ``--alpha`` change the distillation settings instead. ``seeds`` trains the
run's distilled student and ablation again with other seeds, to read their difference against
the spread from seed to seed. ``identities`` generates a training split of new synthetic identities
(the run's generator settings with another dataset seed; as many identities as the run's own unless
``--subjects``), appends it to the run's training frames (validation and test stay the run's) and
trains the run's ablation student or teacher on both, by default for as many training steps as the
run's own model (epochs scaled by the ratio of training frames), so more identities at the same
compute is the only difference. ``patch`` trains the run's ablation student or teacher with and
without the per-cell cross-entropy term (``TrainConfig.patch_weight``) for each of ``--seeds``
(the run's config, views and epochs otherwise; the run's own seed reuses the run's model where that
stage is done), and reads the paired differences against the spread from seed to seed. Output in
``<run>/variant-<term>/`` (resumable like the pipeline's stages); ``compare.json`` there
(``patch``: ``compare-w<weight>.json``) holds the models' metrics (PyTorch fp32; threshold chosen
on val by the pipeline's rule, applied to test; the per-epoch validation history of each). Nothing here ships: the pipeline's manifest is not touched.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from .config import from_dict, to_dict
from .dataset import COLUMNS, load_frames, read_rows
from .pipeline import student_views
from .metrics import choose_threshold, evaluate
from .preprocess import PreprocessConfig
from .train import kept_epoch, load_checkpoint, load_model, predict_logits, scores_from_logits, teacher_logit_table, train_model
from .tta import wrap as tta_wrap

TERMS = ("fourier", "teacher-size", "teacher-kd", "seeds", "identities", "patch")


def split_metrics(model: torch.nn.Module, frames, pcfg) -> dict:
    """Val and test metrics of one model; the threshold comes from val."""
    out = {}
    scores = {}
    for split in ("val", "test"):
        f = frames.select(frames.split == split)
        scores[split] = (f, scores_from_logits(predict_logits(model, f.pixels, pcfg)))
    fv, sv = scores["val"]
    thr = choose_threshold(sv, fv.label == 1, fv.species)
    for split, (f, s) in scores.items():
        m = evaluate(s, np.where(f.label == 1, "bonafide", "attack"), f.species, thr)
        out[split] = {k: m[k] for k in ("acer", "apcer", "bpcer", "auc", "eer", "threshold", "apcerPerSpecies")}
    return out


def history(ck: dict) -> list:
    """A checkpoint's per-epoch validation record (what compare.json keeps of it)."""
    return [{k: h[k] for k in ("epoch", "valAcer", "valAuc", "valNll", "imgPerS") if k in h} for h in ck["history"]]


def load_run_config(run: Path, log=print):
    """The run's PipelineConfig (from its config.json)."""
    cfg = from_dict(json.loads((run / "config.json").read_text()))
    if cfg.quick:
        log("[variant] note: a --quick run; figures are smoke-test sizes")
    return cfg


def run_frames(run: Path, cfg, log=print):
    """The run's dataset record, its frames (from the run's cache) and their train and val splits."""
    data = json.loads((run / "data" / "done.json").read_text())
    frames = load_frames(Path(data["manifest"]), cfg.preprocess, run / "cache", workers=cfg.data.workers, log=log)
    return data, frames, frames.select(frames.split == "train"), frames.select(frames.split == "val")


def student_setting(run: Path, cfg, log=print):
    """What the run's student stage trained on: dataset record, its done.json, the frames, the train
    and val splits and the fixed augmented views."""
    student_done = json.loads((run / "student" / "done.json").read_text())
    data, frames, train, val = run_frames(run, cfg, log)
    return data, student_done, frames, train, val, student_views(len(train), cfg)


def run_variant(run: Path, term: str, weight: float, log=print, size: int = 0, epochs: int = 0, teacher: str = "", temperature: float = 0.0, alpha: float = -1.0, threads: int = 0, space_to_depth: int = 0, seeds: tuple = (), data_seed: int = -1, subjects: int = 0, model: str = "ablation", served_views: bool = False) -> dict:
    if term not in TERMS:
        raise ValueError(f"unknown term {term!r} (known: {', '.join(TERMS)})")
    if term == "teacher-size":
        return run_teacher_size(run, size, epochs, log, space_to_depth=space_to_depth, threads=threads)
    if term == "teacher-kd":
        return run_teacher_kd(run, teacher, log, temperature=temperature, alpha=alpha, threads=threads, served_views=served_views)
    if term == "seeds":
        return run_seeds(run, seeds, log, threads=threads)
    if term == "identities":
        return run_identities(run, data_seed, model, log, subjects=subjects, epochs=epochs, threads=threads)
    if term == "patch":
        return run_patch(run, weight, seeds, model, log, epochs=epochs, threads=threads)
    cfg = load_run_config(run, log)
    pcfg = cfg.preprocess
    data, student_done, frames, train, val, views = student_setting(run, cfg, log)
    tlog = np.load(run / "kd-cache" / "teacher_logits.npy")
    net = dataclasses.replace(cfg.student, fourier_aux=True)
    kd = dataclasses.replace(cfg.kd, fourier_weight=weight)
    tc = dataclasses.replace(cfg.student_train, epochs=int(student_done["epochs"]), max_wall_s=0.0)
    out = run / f"variant-{term}"
    t0 = time.time()
    ck = train_model("student", to_dict(net), train, val, pcfg, tc, out, cfg.augment, kd=kd, teacher_logits=tlog, views=views, log=log)
    wall = time.time() - t0
    result = {
        "term": term,
        "weight": weight,
        "epochs": tc.epochs,
        "trainWallS": round(wall, 1),
        "data": data.get("dataset", {}).get("preset", data["manifest"]),
        "note": "PyTorch fp32 on the run's cached frames; threshold chosen on val, applied to test; synthetic data",
        "student": split_metrics(load_model(student_done["checkpoint"]), frames, pcfg),
        f"student+{term}": split_metrics(load_model(ck), frames, pcfg),
    }
    (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    for name in ("student", f"student+{term}"):
        m = result[name]
        log(f"[variant] {name:18s} val ACER {m['val']['acer']:.4f} AUC {m['val']['auc']:.4f} | test ACER {m['test']['acer']:.4f} AUC {m['test']['auc']:.4f}")
    return result


def run_teacher_size(run: Path, size: int, epochs: int, log=print, space_to_depth: int = 0, threads: int = 0) -> dict:
    """The run's teacher architecture trained at ``size`` x ``size`` input against the run's teacher;
    ``space_to_depth`` folds pixel blocks into channels before the stem (TeacherConfig; 0 = the
    run's). The random shift of the augmentation scales with the input size, so it moves the crop
    as far."""
    if size < 16:
        raise ValueError("teacher-size needs --size (pixels, at least 16)")
    cfg = load_run_config(run, log)
    data = json.loads((run / "data" / "done.json").read_text())
    teacher_done = json.loads((run / "teacher" / "done.json").read_text())
    tc = dataclasses.replace(cfg.teacher_train, epochs=epochs or int(teacher_done["epochs"]), max_wall_s=0.0, threads=threads or cfg.teacher_train.threads)
    space_to_depth = space_to_depth or cfg.teacher.space_to_depth
    net = dataclasses.replace(cfg.teacher, space_to_depth=space_to_depth)
    fold = f"-s2d{space_to_depth}" if space_to_depth > 1 else ""
    base_fold = f"-s2d{cfg.teacher.space_to_depth}" if cfg.teacher.space_to_depth > 1 else ""
    base_name = f"teacher@{cfg.preprocess.size[0]}px{base_fold}-{int(teacher_done['epochs'])}ep"
    new_name = f"teacher@{size}px{fold}-{tc.epochs}ep"
    if new_name == base_name:
        raise ValueError(f"{new_name} is the run's teacher itself: change --size or --epochs")
    if size % space_to_depth:
        raise ValueError(f"--size {size} is not a multiple of --space-to-depth {space_to_depth}")
    manifest = Path(data["manifest"])
    pcfg = dataclasses.replace(cfg.preprocess, size=(size, size))
    aug = dataclasses.replace(cfg.augment, shift=int(round(cfg.augment.shift * size / cfg.preprocess.size[0])))
    frames = load_frames(manifest, pcfg, run / "cache", workers=cfg.data.workers, log=log)
    train = frames.select(frames.split == "train")
    val = frames.select(frames.split == "val")
    out = run / "variant-teacher-size" / f"size{size}{fold}-epochs{tc.epochs}"
    t0 = time.time()
    ck = train_model("teacher", to_dict(net), train, val, pcfg, tc, out, aug, log=log)
    wall = time.time() - t0
    base_frames = load_frames(manifest, cfg.preprocess, run / "cache", workers=cfg.data.workers, log=log)
    result = {
        "term": "teacher-size",
        "size": size,
        "spaceToDepth": space_to_depth,
        "shift": aug.shift,
        "epochs": tc.epochs,
        "trainWallS": round(wall, 1),
        "data": data.get("dataset", {}).get("preset", data["manifest"]),
        "note": "PyTorch fp32 on the run's cached frames (each model at its own input size, same crop); threshold chosen on val, applied to test; synthetic data",
        base_name: {"epochs": int(teacher_done["epochs"]), **split_metrics(load_model(teacher_done["checkpoint"]), base_frames, cfg.preprocess), "history": history(load_checkpoint(teacher_done["checkpoint"]))},
        new_name: {"epochs": tc.epochs, **split_metrics(load_model(ck), frames, pcfg), "history": history(load_checkpoint(ck))},
    }
    (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    for name in (base_name, new_name):
        m = result[name]
        log(f"[variant] {name:18s} val ACER {m['val']['acer']:.4f} AUC {m['val']['auc']:.4f} | test ACER {m['test']['acer']:.4f} AUC {m['test']['auc']:.4f} APCER/species {m['test']['apcerPerSpecies']}")
    return result


def teacher_setting(checkpoint: Path, frames, views: np.ndarray, pcfg, manifest: Path, cache: Path, workers: int, log=print):
    """The frames, preprocessing and augmented training views as a teacher sees them: the student's
    own when the teacher takes the same input; for a teacher at another input size (same crop), the
    frames at its size and the same views with their shifts scaled to its pixels (rounded), so that
    teacher and student see the same part of each frame."""
    t_pcfg = PreprocessConfig.from_manifest(load_checkpoint(checkpoint)["preprocess"])
    if t_pcfg.to_manifest() == pcfg.to_manifest():
        return frames, pcfg, views
    if {**t_pcfg.to_manifest(), "size": list(pcfg.size)} != pcfg.to_manifest():
        raise ValueError(f"{checkpoint} differs from the run's preprocessing in more than the input size")
    t_frames = load_frames(manifest, t_pcfg, cache, workers=workers, log=log)
    if not np.array_equal(t_frames.path, frames.path):
        raise ValueError(f"{checkpoint}: the frames at its input size are not the student's")
    t_views = views.copy()
    t_views[:, :, 1:3] = np.round(views[:, :, 1:3] * t_pcfg.size[0] / pcfg.size[0])
    return t_frames, t_pcfg, t_views


def run_teacher_kd(run: Path, teacher: str, log=print, temperature: float = 0.0, alpha: float = -1.0, threads: int = 0, served_views: bool = False) -> dict:
    """The run's student distilled from the ``teacher-size`` variant ``teacher`` (or from the run's
    own teacher, ``teacher="run"``), optionally with another KD temperature and/or alpha. With
    ``served_views`` the teacher's logits on each training view are those of the teacher as its
    file serves it: the mean over the run's ``teacher_tta`` views (fasedge.tta), computed at the
    teacher's training precision like the pipeline's kd-cache."""
    cfg = load_run_config(run, log)
    kd = dataclasses.replace(cfg.kd, temperature=temperature or cfg.kd.temperature, alpha=cfg.kd.alpha if alpha < 0 else alpha)
    own = teacher == "run"
    folder = run / "teacher" if own else run / "variant-teacher-size" / teacher
    if not teacher or not (folder / "model.pt").exists():
        raise ValueError(f"teacher-kd needs --teacher run or --teacher NAME with {run}/variant-teacher-size/NAME/model.pt (a teacher-size result)")
    n_views = len(cfg.teacher_tta.views()) if served_views else 1
    if own and kd == cfg.kd and n_views == 1:
        raise ValueError("--teacher run with the run's own KD settings is the run's student itself: change --temperature or --alpha, or add --served-views")
    ablation_done = json.loads((run / "ablation" / "done.json").read_text())
    pcfg = cfg.preprocess
    data, student_done, frames, train, val, views = student_setting(run, cfg, log)
    tc = dataclasses.replace(cfg.student_train, epochs=int(student_done["epochs"]), max_wall_s=0.0, threads=threads or cfg.student_train.threads)
    t_name = teacher if n_views == 1 else f"{teacher}-views{n_views}"
    tag = t_name if kd == cfg.kd else f"{t_name}-T{kd.temperature:g}-a{kd.alpha:g}"
    out = run / "variant-teacher-kd" / tag
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    t_frames, t_pcfg, t_views = teacher_setting(folder / "model.pt", frames, views, pcfg, Path(data["manifest"]), run / "cache", cfg.data.workers, log)
    # a teacher's logits on the run's views serve every KD setting: kept in the teacher's own folder
    logits_path = run / "kd-cache" / "teacher_logits.npy" if own and n_views == 1 else run / "variant-teacher-kd" / t_name / "teacher_logits.npy"

    def served():
        net = load_model(folder / "model.pt")
        return tta_wrap(net, cfg.teacher_tta, t_pcfg.size).eval() if n_views > 1 else net

    if not logits_path.exists():
        logits_path.parent.mkdir(parents=True, exist_ok=True)
        model = served().to(memory_format=torch.channels_last)
        torch.set_num_threads(threads or cfg.teacher_train.threads)
        tmp = logits_path.with_suffix(".tmp.npy")
        extra = {"batch": 64, "precision": cfg.teacher_train.precision} if n_views > 1 else {}
        np.save(tmp, teacher_logit_table(model, t_frames.select(t_frames.split == "train"), t_views, t_pcfg, log=log, **extra))
        tmp.replace(logits_path)
    tlog = np.load(logits_path)
    ck = train_model("student", to_dict(cfg.student), train, val, pcfg, tc, out, cfg.augment, kd=kd, teacher_logits=tlog, views=views, log=log)
    wall = time.time() - t0
    name = f"student<-teacher@{tag}"
    result = {
        "term": "teacher-kd",
        "teacher": teacher,
        "teacherViews": n_views,
        "kd": dataclasses.asdict(kd),
        "epochs": tc.epochs,
        "wallS": round(wall, 1),
        "data": data.get("dataset", {}).get("preset", data["manifest"]),
        "note": "PyTorch fp32 on the run's cached frames (the teacher at its own input size); threshold chosen on val, applied to test; synthetic data",
        "teacher " + t_name: split_metrics(served(), t_frames, t_pcfg),
        "student<-run's teacher": split_metrics(load_model(student_done["checkpoint"]), frames, pcfg),
        "ablation (no teacher)": split_metrics(load_model(ablation_done["checkpoint"]), frames, pcfg),
        name: split_metrics(load_model(ck), frames, pcfg),
    }
    (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    for key in ("teacher " + t_name, "student<-run's teacher", "ablation (no teacher)", name):
        m = result[key]
        log(f"[variant] {key:34s} val ACER {m['val']['acer']:.4f} AUC {m['val']['auc']:.4f} | test ACER {m['test']['acer']:.4f} AUC {m['test']['auc']:.4f}")
    return result


def run_seeds(run: Path, seeds, log=print, threads: int = 0) -> dict:
    """The run's distilled student and its ablation trained again with other seeds (initialisation,
    batch order and the view each step picks; the views, teacher logits, config and epochs are the
    run's), so that their difference can be read against seed-to-seed spread. Every finished seed
    folder (and the run's own seed) goes into ``variant-seeds/compare.json``."""
    seeds = [int(x) for x in seeds]
    if not seeds:
        raise ValueError("seeds needs --seeds N[,N...]")
    cfg = load_run_config(run, log)
    if cfg.student_train.seed in seeds:
        raise ValueError(f"seed {cfg.student_train.seed} is the run's own (its student and ablation stages)")
    pcfg = cfg.preprocess
    data, student_done, frames, train, val, views = student_setting(run, cfg, log)
    ablation_done = json.loads((run / "ablation" / "done.json").read_text())
    tlog = np.load(run / "kd-cache" / "teacher_logits.npy")
    base = dataclasses.replace(cfg.student_train, epochs=int(student_done["epochs"]), max_wall_s=0.0, threads=threads or cfg.student_train.threads)
    out = run / "variant-seeds"
    for seed in seeds:
        tc = dataclasses.replace(base, seed=seed)
        for name, kd, tl in (("student", cfg.kd, tlog), ("ablation", None, None)):
            ck = train_model("student", to_dict(cfg.student), train, val, pcfg, tc, out / f"seed{seed}" / name, cfg.augment, kd=kd, teacher_logits=tl, views=views, log=log)
            metrics = out / f"seed{seed}" / name / "metrics.json"
            if not metrics.exists():
                metrics.write_text(json.dumps(split_metrics(load_model(ck), frames, pcfg), indent=2) + "\n")
    per_seed = {str(cfg.student_train.seed): {"student": split_metrics(load_model(student_done["checkpoint"]), frames, pcfg), "ablation": split_metrics(load_model(ablation_done["checkpoint"]), frames, pcfg)}}
    per_seed.update(finished_seeds(out, ("student", "ablation")))
    summary = paired_summary(per_seed, "student", "ablation", "studentMinusAblation")
    result = {
        "term": "seeds",
        "seeds": [int(k) for k in per_seed],
        "epochs": base.epochs,
        "data": data.get("dataset", {}).get("preset", data["manifest"]),
        "note": "PyTorch fp32 on the run's cached frames; threshold chosen on val, applied to test; [mean, sample std] over seeds; synthetic data",
        "summary": summary,
        "perSeed": per_seed,
    }
    (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, v in summary.items():
        log(f"[variant] {key:9s} distilled {v['student'][0]:.4f} +- {v['student'][1]:.4f} | ablation {v['ablation'][0]:.4f} +- {v['ablation'][1]:.4f} | difference {v['studentMinusAblation'][0]:+.4f} +- {v['studentMinusAblation'][1]:.4f} ({len(per_seed)} seeds)")
    return result


def extra_identities(run: Path, data: dict, data_seed: int, subjects: int, log=print) -> Path:
    """Generates (or reuses) a training split of ``subjects`` new identities with the run's synthetic
    generator settings and dataset seed ``data_seed``, and writes a manifest with the run's rows
    followed by the new training rows (paths relative to the manifest, subjects prefixed with the
    seed): the run's validation and test frames are unchanged."""
    from .data import generate_dataset

    meta = data.get("dataset", {})
    if meta.get("generator") != "fasedge.data" or "config" not in meta:
        raise ValueError("identities needs a run on data of the synthetic generator (fasedge.data)")
    if data_seed < 0:
        raise ValueError("identities needs --data-seed (a dataset seed other than the run's)")
    if data_seed == int(meta["seed"]):
        raise ValueError(f"dataset seed {data_seed} is the run's own: its identities are the run's")
    as_config = lambda d: {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}  # JSON lists -> DataConfig tuples
    gen_cfg = as_config(meta["config"])
    subjects = subjects or int(gen_cfg["subjects_train"])
    folder = run / "variant-identities"
    out = folder / f"data-seed{data_seed}-{subjects}"
    extra_meta = out / "dataset.json"
    want = {**gen_cfg, "subjects_train": subjects, "subjects_val": 0, "subjects_test": 0}
    have = json.loads(extra_meta.read_text()) if extra_meta.exists() else {}
    if have.get("seed") != data_seed or as_config(have.get("config", {})) != want:
        from .data.dataset import DataConfig

        log(f"[variant] generating {subjects} training identities, dataset seed {data_seed} -> {out}")
        generate_dataset(out, seed=data_seed, config=DataConfig(**want), workers=2)
        have = json.loads(extra_meta.read_text())
    if have.get("code_sha256") != meta.get("code_sha256"):
        log(f"[variant] note: {out} and the run's data come from different versions of the generator's code")
    manifest = folder / f"manifest-seed{data_seed}-{subjects}.csv"
    run_csv = Path(data["manifest"])
    rows = [dict(r, path=os.path.relpath(run_csv.parent / r["path"], folder)) for r in read_rows(run_csv)]
    for r in read_rows(out / "manifest.csv"):
        rows.append(dict(r, path=os.path.relpath(out / r["path"], folder), subject=f"s{data_seed}-{r['subject']}"))
    tmp = manifest.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows({k: r[k] for k in COLUMNS} for r in rows)
    tmp.replace(manifest)
    return manifest


def run_identities(run: Path, data_seed: int, model: str, log=print, subjects: int = 0, epochs: int = 0, threads: int = 0) -> dict:
    """The run's ablation student (``model="ablation"``) or teacher trained on the run's training
    frames plus a training split of new identities (:func:`extra_identities`), against the run's
    own model; ``epochs`` defaults to the run's model's epochs times the ratio of training frames
    (same number of steps, at least one epoch)."""
    if model not in ("ablation", "teacher"):
        raise ValueError(f"identities trains --model ablation or teacher, not {model!r}")
    cfg = load_run_config(run, log)
    pcfg = cfg.preprocess
    data = json.loads((run / "data" / "done.json").read_text())
    base_done = json.loads((run / model / "done.json").read_text())
    manifest = extra_identities(run, data, data_seed, subjects, log)
    # the run's rows come first in the merged manifest, so its val and test frames are the run's
    frames = load_frames(manifest, pcfg, run / "cache", workers=cfg.data.workers, log=log)
    train = frames.select(frames.split == "train")
    val = frames.select(frames.split == "val")
    base_train = [r["subject"] for r in read_rows(Path(data["manifest"])) if r["split"] == "train"]
    n_base = len(base_train)
    base_epochs = int(base_done["epochs"])
    epochs = epochs or max(1, int(round(base_epochs * n_base / len(train))))
    arch, net, train_cfg = ("student", cfg.student, cfg.student_train) if model == "ablation" else ("teacher", cfg.teacher, cfg.teacher_train)
    tc = dataclasses.replace(train_cfg, epochs=epochs, max_wall_s=0.0, threads=threads or train_cfg.threads)
    views = student_views(len(train), cfg) if model == "ablation" else None
    n_subjects = len(set(train.subject.tolist()))
    out = run / "variant-identities" / f"{model}-seed{data_seed}-{n_subjects}ids-epochs{epochs}"
    t0 = time.time()
    ck = train_model(arch, to_dict(net), train, val, pcfg, tc, out, cfg.augment, views=views, log=log)
    wall = time.time() - t0
    base_ck, new_ck = load_checkpoint(base_done["checkpoint"]), load_checkpoint(ck)
    base_name = f"{model} ({len(set(base_train))} identities, {base_epochs} epochs)"
    new_name = f"{model} ({n_subjects} identities, {epochs} epochs)"
    result = {
        "term": "identities",
        "model": model,
        "dataSeed": data_seed,
        "trainFrames": {"run": n_base, "variant": len(train)},
        "steps": {"run": base_epochs * n_base, "variant": epochs * len(train)},
        "trainWallS": round(wall, 1),
        "data": data.get("dataset", {}).get("preset", data["manifest"]),
        "note": "PyTorch fp32 on the run's val and test frames (the variant's manifest keeps them); threshold chosen on val, applied to test; synthetic data",
        base_name: {"keptEpoch": kept_epoch(base_ck), **split_metrics(load_model(base_ck), frames, pcfg), "history": history(base_ck)},
        new_name: {"keptEpoch": kept_epoch(new_ck), **split_metrics(load_model(new_ck), frames, pcfg), "history": history(new_ck)},
    }
    # the weights at the end of each schedule as well, where the checkpoint kept another epoch
    for name, c, path in ((base_name, base_ck, Path(base_done["checkpoint"])), (new_name, new_ck, Path(ck))):
        last = load_checkpoint(path.parent / "last.pt")
        if last["epoch"] != kept_epoch(c):
            result[f"{name}, epoch {last['epoch']}"] = {"keptEpoch": int(last["epoch"]), **split_metrics(load_model(dict(c, state_dict=last["state_dict"])), frames, pcfg)}
    (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    for name in [k for k in result if k.startswith(model + " (")]:
        m = result[name]
        log(f"[variant] {name:34s} val ACER {m['val']['acer']:.4f} AUC {m['val']['auc']:.4f} | test ACER {m['test']['acer']:.4f} AUC {m['test']['auc']:.4f}")
    return result


def mean_sd(a: np.ndarray) -> list:
    """[mean, sample standard deviation] (0 for a single value)."""
    return [float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0]


def finished_seeds(out: Path, members) -> dict:
    """The metrics of every ``out/seed<S>/`` folder in which each of ``members`` has its
    ``metrics.json``, by seed (as a string, in numeric order)."""
    per_seed = {}
    for folder in sorted(out.glob("seed*"), key=lambda p: int(p.name[4:])):
        if all((folder / m / "metrics.json").exists() for m in members):
            per_seed[folder.name[4:]] = {m: json.loads((folder / m / "metrics.json").read_text()) for m in members}
    return per_seed


def paired_summary(per_seed: dict, a: str, b: str, difference: str) -> dict:
    """Val and test ACER and AUC of members ``a`` and ``b`` over the seeds of ``per_seed``, and of
    their paired difference ``a - b`` (under ``difference``): [mean, sample std] each."""
    summary = {}
    for split in ("val", "test"):
        for key in ("acer", "auc"):
            x = np.array([v[a][split][key] for v in per_seed.values()])
            y = np.array([v[b][split][key] for v in per_seed.values()])
            summary[f"{split}.{key}"] = {a: mean_sd(x), b: mean_sd(y), difference: mean_sd(x - y)}
    return summary


def run_patch(run: Path, weight: float, seeds, model: str, log=print, epochs: int = 0, threads: int = 0) -> dict:
    """The run's ablation student (``model="ablation"``, on the pipeline's fixed views) or teacher
    (fresh augmentation each step) trained with ``TrainConfig.patch_weight = weight`` and without it,
    for each seed of ``seeds``; everything else is the run's config. Both members of a pair share
    the seed, so their difference is the term's effect at that seed, read against the spread over
    seeds. Folders: ``<run>/variant-patch/<model>-epochs<E>/seed<S>/{base,w<weight>}``; the base of
    the run's own seed is the run's model when that stage is done with the same epochs."""
    if model not in ("ablation", "teacher"):
        raise ValueError(f"patch trains --model ablation or teacher, not {model!r}")
    if not weight > 0:
        raise ValueError(f"patch needs --weight > 0, not {weight}")
    seeds = [int(x) for x in seeds]
    if not seeds:
        raise ValueError("patch needs --seeds N[,N...]")
    cfg = load_run_config(run, log)
    pcfg = cfg.preprocess
    data, frames, train, val = run_frames(run, cfg, log)
    arch, net, train_cfg = ("student", cfg.student, cfg.student_train) if model == "ablation" else ("teacher", cfg.teacher, cfg.teacher_train)
    base = dataclasses.replace(train_cfg, epochs=epochs or train_cfg.epochs, max_wall_s=0.0, patch_weight=0.0, threads=threads or train_cfg.threads)
    views = student_views(len(train), cfg) if model == "ablation" else None
    out = run / "variant-patch" / f"{model}-epochs{base.epochs}"
    name = f"w{weight:g}"
    run_done = run / model / "done.json"
    own = json.loads(run_done.read_text()) if run_done.exists() else None
    # the run's own model is the base of its seed when it was trained as that base would be
    own_base = own if own and train_cfg.patch_weight == 0.0 and train_cfg.max_wall_s == 0 and int(own["epochs"]) == base.epochs else None
    for seed in seeds:
        for member, w in (("base", 0.0), (name, weight)):
            folder = out / f"seed{seed}" / member
            metrics = folder / "metrics.json"
            if metrics.exists():
                continue
            tc = dataclasses.replace(base, seed=seed, patch_weight=w)
            if w == 0.0 and seed == train_cfg.seed and own_base is not None:
                ck = Path(own_base["checkpoint"])
                log(f"[variant] seed {seed}: the run's own {model} is the base")
            else:
                ck = train_model(arch, to_dict(net), train, val, pcfg, tc, folder, cfg.augment, views=views, log=log)
            folder.mkdir(parents=True, exist_ok=True)
            metrics.write_text(json.dumps({"checkpoint": str(ck), **split_metrics(load_model(ck), frames, pcfg)}, indent=2) + "\n")
    per_seed = finished_seeds(out, ("base", name))
    summary = paired_summary(per_seed, name, "base", "termMinusBase")
    result = {
        "term": "patch",
        "model": model,
        "weight": weight,
        "seeds": [int(k) for k in per_seed],
        "epochs": base.epochs,
        "precision": base.precision,
        "data": data.get("dataset", {}).get("preset", data["manifest"]),
        "note": "PyTorch fp32 scoring on the run's cached frames; threshold chosen on val, applied to test; [mean, sample std] over seeds; synthetic data",
        "summary": summary,
        "perSeed": per_seed,
    }
    (out / f"compare-{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, v in summary.items():
        log(f"[variant] {key:9s} base {v['base'][0]:.4f} +- {v['base'][1]:.4f} | {name} {v[name][0]:.4f} +- {v[name][1]:.4f} | difference {v['termMinusBase'][0]:+.4f} +- {v['termMinusBase'][1]:.4f} ({len(per_seed)} seeds)")
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fasedge.variants", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("term", choices=TERMS, help="optional term to switch on")
    ap.add_argument("--run", default="runs/default", help="a finished pipeline run (its student and kd-cache stages)")
    ap.add_argument("--weight", type=float, default=0.1, help="weight of the term in the loss (fourier: MSE to the 10x10 spectrum; patch: per-cell cross-entropy)")
    ap.add_argument("--size", type=int, default=0, help="teacher-size: input height and width in pixels")
    ap.add_argument("--epochs", type=int, default=0, help="teacher-size: epochs (default: the run's teacher's); identities: epochs (default: the run's steps); patch: epochs (default: the run's config)")
    ap.add_argument("--space-to-depth", type=int, default=0, help="teacher-size: fold s x s pixel blocks into channels before the stem (e.g. --size 160 --space-to-depth 2)")
    ap.add_argument("--teacher", default="", help="teacher-kd: a teacher-size result of the run (e.g. size80-epochs40, size128-epochs20), or 'run' for the run's own teacher")
    ap.add_argument("--temperature", type=float, default=0.0, help="teacher-kd: KD temperature (default: the run's)")
    ap.add_argument("--alpha", type=float, default=-1.0, help="teacher-kd: weight of the hard-label term (default: the run's)")
    ap.add_argument("--served-views", action="store_true", help="teacher-kd: distil from the teacher as its file serves it, the mean over the run's teacher_tta views")
    ap.add_argument("--seeds", default="", help="seeds: comma-separated training seeds other than the run's (e.g. 1,2); patch: the seeds to train both members at (the run's own may be among them)")
    ap.add_argument("--data-seed", type=int, default=-1, help="identities: dataset seed of the new identities (not the run's)")
    ap.add_argument("--subjects", type=int, default=0, help="identities: new training identities (default: as many as the run's)")
    ap.add_argument("--model", default="ablation", choices=("ablation", "teacher"), help="identities, patch: which of the run's models to train again")
    ap.add_argument("--threads", type=int, default=0, help="teacher-size, teacher-kd, seeds, identities, patch: torch threads (default: the run's; 1 lets two variants share two cores)")
    args = ap.parse_args(argv)
    run_variant(Path(args.run), args.term, args.weight, size=args.size, epochs=args.epochs, teacher=args.teacher, temperature=args.temperature, alpha=args.alpha, threads=args.threads, space_to_depth=args.space_to_depth, seeds=tuple(x for x in args.seeds.split(",") if x.strip()), data_seed=args.data_seed, subjects=args.subjects, model=args.model, served_views=args.served_views)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
