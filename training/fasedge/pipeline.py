"""The model factory: ``npm run train`` / ``python -m fasedge.pipeline``.

Stages (each writes runs/<name>/<stage>/ and a done.json with its wall time; a finished stage is
skipped on the next run, an interrupted training stage resumes from its last epoch):

  data        synthetic dataset (or --data MANIFEST of any dataset in the manifest format)
  cache       crop + resize every frame once with the serving preprocessing (float16 pixels)
  teacher     teacher training (cross-entropy)
  kd-cache    teacher logits for a fixed table of augmented views of every training frame
  student     student distilled from the teacher (DESIGN §2 loss)
  ablation    the same student without the teacher (cross-entropy)
  peer        MiniFASNetV2-class peer without the teacher (optional)
  quantize    int8 student: BN folding, calibration on training frames, QDQ ONNX
  export      fp32 ONNX of every model + PyTorch / onnxruntime-web parity
  evaluate    scores of the exported ONNX files (onnxruntime-web) on val and test; thresholds from val
  cross-*     the cross-instrument protocol: the same stages without the held-out instruments
  release     golden fixture + manifest.json into models/

    sh training/py -m fasedge.pipeline                 # the shipped models (xlarge preset)
    sh training/py -m fasedge.pipeline --quick         # smoke run on the tiny preset
    sh training/py -m fasedge.pipeline --data my/manifest.csv --name mydata --models out/models
    sh training/py -m fasedge.pipeline --name long --student-epochs 60 --reuse runs/default  # same teacher, new students
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from . import manifest as manifest_mod
from . import nets
from .config import PipelineConfig, quick_config, to_dict
from .dataset import Frames, load_frames, read_rows, row_box, to_input, view_table
from .export import REPO, export_fp32, ort_logits, parity
from .golden import pick_frame, write_golden
from .metrics import choose_threshold, evaluate
from .preprocess import load_rgb, preprocess
from .quantize import calibrate, export_qdq, prepare
from .train import PRECISIONS, VOLATILE_TRAIN, TrainConfig, bf16_native, kept_epoch, load_checkpoint, load_model, machine, precision_warning, scores_from_logits, teacher_logit_table, train_model
from .tta import wrap as tta_wrap

NAME = {"teacher": "fas-teacher", "student": "fas-student", "ablation": "fas-student-nokd", "peer": "fas-peer-minifasnetv2"}


def student_views(n_train: int, cfg: PipelineConfig) -> np.ndarray:
    """The fixed table of augmented views of the training frames that the kd-cache and both students use."""
    return view_table(n_train, cfg.augment, cfg.student_train.seed + 17)


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_commit(*paths: str) -> str:
    """HEAD, with "-dirty" when the code under ``paths`` has uncommitted changes."""
    paths = paths or ("training/fasedge", "scripts/ort-infer.mjs", "package-lock.json")
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=REPO, capture_output=True, text=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except Exception:
        return "unknown"


class StageConfigError(RuntimeError):
    """A run folder holds a stage that was started or finished with another config."""


DATA = ("data.manifest", "data.preset", "data.seed", "data.out")
CACHE = DATA + ("preprocess",)
TEACHER = CACHE + ("augment", "teacher", "teacher_train")
VIEWS = CACHE + ("augment", "student_train.seed")  # the kd views table: augmentation and seed
STUDENT = TEACHER + VIEWS[len(CACHE):] + ("student", "student_train", "kd")
ABLATION = VIEWS + ("student", "student_train")
PEER = VIEWS + ("peer", "peer_net", "peer_train")
STAGE_FIELDS = {
    "data": DATA,
    "cache": CACHE,
    "teacher": TEACHER,
    "kd-cache": TEACHER + VIEWS[len(CACHE):],
    "student": STUDENT,
    "ablation": ABLATION,
    "peer": PEER,
    "quantize": STUDENT + ("quant",),
    "export": STUDENT + ABLATION[len(VIEWS):] + PEER[len(VIEWS):] + ("teacher_tta",),
    "evaluate": STUDENT + ("quant",) + PEER[len(VIEWS):] + ("teacher_tta",),
    "release": ("*",),
}
VOLATILE = ("name", "workers") + VOLATILE_TRAIN  # settings (at any depth of the config) that do not change a stage's outputs
OFF = {"ema": 0.0, "patch_weight": 0.0}  # settings added after earlier releases, left out of stage keys while off, so that those runs' folders stay valid


def stage_fields(cfg: PipelineConfig, stage: str) -> tuple:
    """The settings stage ``stage`` depends on: ``STAGE_FIELDS``, plus ``cross`` for the
    cross-instrument stages (which train no peer); an ablation whose epochs follow a student cut
    short by ``max_wall_s`` also depends on the student's settings."""
    base = stage.removeprefix("cross-")
    fields = STAGE_FIELDS[base]
    if stage.startswith("cross-"):
        fields = tuple(f for f in fields if f not in PEER[len(VIEWS):]) + ("cross",)
    if base == "ablation" and cfg.student_train.max_wall_s > 0:
        fields = fields + tuple(f for f in STUDENT if f not in fields)
    return fields


def stage_key(cfg: PipelineConfig, stage: str) -> str:
    """sha256 (16 hex digits) of the config settings that stage ``stage`` depends on
    (``stage_fields``), without the ``VOLATILE`` ones."""
    import hashlib

    full = to_dict(cfg)

    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in sorted(v.items()) if k not in VOLATILE and not (k in OFF and x == OFF[k])}
        return v

    picked = {}
    for path in stage_fields(cfg, stage):
        if path == "*":
            picked = full
            break
        v = full
        for part in path.split("."):
            v = v[part]
        if path == "data.out":
            v = cfg.data.folder() if not cfg.data.manifest else ""
        picked[path] = v
    return hashlib.sha256(json.dumps(strip(picked), sort_keys=True, default=list).encode()).hexdigest()[:16]


class Runner:
    """Runs stages once, records their wall time, logs progress to stdout and runs/<name>/log."""

    def __init__(self, cfg: PipelineConfig, root: Path):
        self.cfg = cfg
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.logf = open(self.root / "log", "a")
        self.times: Dict[str, float] = {}
        self.commits: Dict[str, str] = {}  # the code each stage ran with (git_commit at its start)
        self.t_start = time.time()

    def log(self, msg: str) -> None:
        line = f"{datetime.now(timezone.utc).strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        self.logf.write(line + "\n")
        self.logf.flush()

    def check(self, name: str) -> str:
        """Stage ``name``'s config key; a StageConfigError if the stage was started or finished in
        this run folder under another one."""
        d = self.root / name
        key = stage_key(self.cfg, name)
        for f, what in ((d / "done.json", "run"), (d / "stage.json", "started")):
            if f.exists():
                had = json.loads(f.read_text()).get("configKey")
                if had is not None and had != key:
                    raise StageConfigError(
                        f"stage {name} of {self.root} was {what} with another config "
                        f"(its settings: {', '.join(stage_fields(self.cfg, name))}). "
                        f"Use another --name, resume with --config {self.root / 'config.json'} (the config the run was started with), or delete {d} and the stages after it.")
        return key

    def check_all(self) -> None:
        """``check`` for every stage this run folder holds, before anything is run or written; the
        error names every stage of another config."""
        bad = []
        for d in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if d.name.removeprefix("cross-") in STAGE_FIELDS:
                try:
                    self.check(d.name)
                except StageConfigError:
                    bad.append(d.name)
        if bad:
            raise StageConfigError(
                f"stages {', '.join(bad)} of {self.root} were started or run with another config. Use another --name, resume with "
                f"--config {self.root / 'config.json'} (the config the run was started with), or delete those stage folders.")

    def stage(self, name: str, fn: Callable[[Path], dict]) -> dict:
        """Runs stage ``name`` unless it finished earlier with the same config key (see
        ``stage_key``); a stage started or finished with another config is an error, never reused."""
        d = self.root / name
        done = d / "done.json"
        key = self.check(name)
        started = d / "stage.json"
        if done.exists():
            info = json.loads(done.read_text())
            self.times[name] = info["wallTimeS"]
            self.commits[name] = info.get("commit", "unknown")
            self.log(f"[{name}] done earlier ({info['wallTimeS']:.1f}s), skipped")
            return info
        d.mkdir(parents=True, exist_ok=True)
        commit = git_commit()
        if not started.exists():
            started.write_text(json.dumps({"configKey": key, "startedAt": utc_now(), "commit": commit}, indent=2) + "\n")
        self.log(f"[{name}] start")
        t0 = time.time()
        info = fn(d) or {}
        info["wallTimeS"] = round(time.time() - t0 + info.get("resumedS", 0.0), 1)
        info["finishedAt"] = utc_now()
        info["configKey"] = key
        info["commit"] = commit
        done.write_text(json.dumps(info, indent=2) + "\n")
        self.times[name] = info["wallTimeS"]
        self.commits[name] = commit
        self.log(f"[{name}] done in {info['wallTimeS']:.1f}s")
        return info


INT8_PARITY = 0.05  # the int8 file's integer kernels round differently from the fake-quantised network: at most this share of the largest |logit| (a broken QDQ rewrite, e.g. a wrong bias scale, is off by the logits' own size)


def scaled(tc: TrainConfig, scale: float) -> TrainConfig:
    return dataclasses.replace(tc, epochs=max(1, int(math.ceil(tc.epochs * scale))), max_wall_s=tc.max_wall_s * scale)


def exact_inputs(rows: List[dict], root: Path, idx: np.ndarray, pcfg) -> np.ndarray:
    """Float32 NCHW inputs computed with the exact serving preprocessing (float64 resize)."""
    out = np.zeros((len(idx), 3, pcfg.size[0], pcfg.size[1]), np.float32)
    for k, i in enumerate(idx):
        r = rows[i]
        out[k] = preprocess(load_rgb(root / r["path"]), row_box(r), pcfg)[0]
    return out


def choose_band(s_val: np.ndarray, t_val: np.ndarray, bona: np.ndarray, species: np.ndarray, s_thr: float, t_thr: float, max_fallback: float, margin: float) -> dict:
    """Uncertainty band [lo, hi] around the student's threshold, chosen on validation scores:
    fewest frames sent to the teacher such that the cascade's ACER <= teacher ACER + margin and the
    fallback share <= max_fallback; among equals the widest band (in logit space)."""
    from .metrics import rates

    t_acer = rates(t_val, bona, species, t_thr)["acer"]
    u = np.unique(s_val)
    mids = (u[:-1] + u[1:]) / 2.0 if len(u) > 1 else np.array([], np.float64)
    cand = np.unique(np.concatenate([[s_thr], mids, u]))  # edges on and between validation scores
    lows, highs = cand[cand <= s_thr], cand[cand >= s_thr]
    reach = 2 * int(max_fallback * len(s_val)) + 3  # a band holding <= max_fallback of val ends within this many edges
    lows, highs = lows[-reach:], highs[:reach]
    lows = lows[np.unique(np.linspace(0, len(lows) - 1, min(len(lows), 120)).round().astype(int))]
    highs = highs[np.unique(np.linspace(0, len(highs) - 1, min(len(highs), 120)).round().astype(int))]
    logit = lambda p: math.log(max(p, 1e-7) / max(1 - p, 1e-7))
    best = None
    for lo in lows:
        for hi in highs:
            inside = (s_val >= lo) & (s_val <= hi)
            accept = np.where(inside, t_val >= t_thr, s_val >= s_thr)
            acc_scores = accept.astype(np.float64)
            acer = rates(acc_scores, bona, species, 0.5)["acer"]
            fb = float(inside.mean())
            ok = acer <= t_acer + margin + 1e-12 and fb <= max_fallback
            # neighbours just outside the chosen edges widen the band up to the next val score
            key = (0 if ok else 1, fb if ok else acer, -(logit(hi) - logit(lo)))
            if best is None or key < best[0]:
                best = (key, float(lo), float(hi), acer, fb)
    _, lo, hi, acer, fb = best
    return {"band": [lo, hi], "valCascadeAcer": acer, "valFallback": fb, "valTeacherAcer": t_acer, "constraintMet": best[0][0] == 0}


def existing_dataset(out: Path, preset: str, seed: int):
    """(dataset.json, []) when ``out`` holds the synthetic dataset that ``preset`` and ``seed`` would
    generate now (same preset, seed, generator config and generator code), else (None, what differs)."""
    from .data import PRESETS
    from .data.dataset import code_digest

    meta_path = out / "dataset.json"
    if not (meta_path.exists() and (out / "manifest.csv").exists()):
        return None, []
    m = json.loads(meta_path.read_text())
    same = {
        "preset": m.get("preset") == preset,
        "seed": m.get("seed") == seed,
        "generator config": preset in PRESETS and m.get("config") == json.loads(json.dumps(dataclasses.asdict(PRESETS[preset]))),
        "generator code": m.get("code_sha256") == code_digest(),
    }
    differ = [k for k, v in same.items() if not v]
    return (None if differ else m), differ


def train_stage(out_dir: Path, train: Callable[[], Path]) -> dict:
    """Runs ``train`` (a ``train_model`` call writing ``out_dir/model.pt``) and returns what the
    stage's done.json records of its checkpoint: ``bestEpoch`` (the epoch whose weights it keeps), and
    ``resumedS``, the training time of earlier runs of the stage that were interrupted (all of it
    when the checkpoint was already finished), which the stage's wall time includes."""
    finished = (Path(out_dir) / "model.pt").exists()
    checkpoint = train()
    c = load_checkpoint(checkpoint)
    resumed = float(c.get("wall_time_s", 0.0)) if finished else float(c.get("resumed_s", 0.0))
    return {"checkpoint": str(checkpoint), "epochs": c["epochs"], "bestEpoch": kept_epoch(c), "history": c["history"], "resumedS": round(resumed, 1)}


def stage_names(cfg: PipelineConfig) -> List[str]:
    """Every stage a run of ``cfg`` can hold: ``STAGE_FIELDS``' stages and, with the
    cross-instrument protocol, the twins of those it trains again (not data, cache or the peer)."""
    cross = [f"cross-{s}" for s in STAGE_FIELDS if s not in ("data", "cache", "peer", "release")] if cfg.cross.enabled else []
    return list(STAGE_FIELDS) + cross


def reuse_stages(R: Runner, other: Path) -> List[str]:
    """Links (relative symlinks) into R's run folder each stage that the run folder ``other``
    finished with the config key R's config gives that stage, where R's folder has none of that
    name: a new student against another run's teacher retrains nothing the two configs share.
    Unfinished stages (another process may still write them) and the release (it writes the models
    folder) are never linked. Returns the linked stages."""
    if other.resolve() == R.root.resolve():
        raise ValueError(f"--reuse {other} is this run's own folder")
    if not (other / "config.json").exists():
        raise FileNotFoundError(f"--reuse {other}: not a run folder (no config.json)")
    linked = []
    for name in stage_names(R.cfg):
        src, dst = other / name, R.root / name
        if name == "release" or dst.exists() or dst.is_symlink() or not (src / "done.json").exists():
            continue
        if json.loads((src / "done.json").read_text()).get("configKey") != stage_key(R.cfg, name):
            continue
        dst.symlink_to(os.path.relpath(src.resolve(), R.root.resolve()), target_is_directory=True)
        linked.append(name)
    R.log(f"[reuse] from {other}: {', '.join(linked) if linked else 'no stage of the same settings'}")
    return linked


def run(cfg: PipelineConfig, models_dir: Path, runs_dir: Path, only_train: bool = False, reuse: Optional[Path] = None) -> dict:
    if cfg.quant.qat_epochs:
        raise ValueError(f"quant.qat_epochs is {cfg.quant.qat_epochs}: only post-training quantisation (0) is supported")
    torch.manual_seed(cfg.teacher_train.seed)
    root = runs_dir / cfg.name
    R = Runner(cfg, root)
    R.check_all()  # a run folder of another config is refused before its config.json is replaced
    if reuse is not None:
        reuse_stages(R, Path(reuse))
    (root / "config.json").write_text(json.dumps(to_dict(cfg), indent=2) + "\n")
    host = machine()
    R.log(f"pipeline {cfg.name} (quick={cfg.quick}) torch {torch.__version__}, commit {git_commit()}; {host['cpu']}, {host['logicalCpus']} CPUs, bf16 {'native' if host['bf16Native'] else 'emulated'}")
    if not host["bf16Native"] and "bf16" in {c.precision for c in (cfg.teacher_train, cfg.student_train, cfg.peer_train)}:
        R.log(f"warning: {precision_warning('bf16')}")
    pcfg = cfg.preprocess

    # ---- data
    def st_data(d: Path) -> dict:
        if cfg.data.manifest:
            csv = Path(cfg.data.manifest)
            meta_path = csv.parent / "dataset.json"  # written by fasedge.data next to a generated manifest
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {"source": "manifest", "manifest": str(csv)}
            return {"manifest": str(csv.resolve()), "dataset": meta}
        else:
            from .data import generate_dataset

            out = Path(cfg.data.folder())
            m, differ = existing_dataset(out, cfg.data.preset, cfg.data.seed)
            if m is not None:
                R.log(f"[data] reusing {out} ({m.get('counts', {}).get('totals', {})})")
                return {"manifest": str((out / "manifest.csv").resolve()), "dataset": m}
            if differ:
                R.log(f"[data] {out} holds another dataset ({', '.join(differ)} differ)")
            R.log(f"[data] generating preset {cfg.data.preset} seed {cfg.data.seed} into {out}")
            last = [0.0]

            def progress(done, total):
                if time.time() - last[0] > 30 or done == total:
                    last[0] = time.time()
                    R.log(f"[data] {done}/{total} images")

            csv = generate_dataset(out, seed=cfg.data.seed, preset=cfg.data.preset, workers=cfg.data.workers, progress=progress)
            meta = json.loads((out / "dataset.json").read_text())
        return {"manifest": str(Path(csv).resolve()), "dataset": meta, "generatorCommit": git_commit("training/fasedge/data")}

    data_info = R.stage("data", st_data)
    csv_path = Path(data_info["manifest"])
    ds_meta = data_info.get("dataset", {})
    data_desc = (
        f"synthetic (fasedge.data preset {ds_meta.get('preset')}, seed {ds_meta.get('seed')}, {ds_meta.get('counts', {}).get('totals', {}).get('images', '?')} images)"
        if ds_meta.get("source") == "synthetic" or ds_meta.get("generator") == "fasedge.data"
        else f"dataset at {csv_path}"
    )
    if cfg.quick:
        data_desc += " [quick smoke-test models]"

    # ---- cache
    frames_box: Dict[str, Frames] = {}

    def st_cache(d: Path) -> dict:
        f = load_frames(csv_path, pcfg, root / "cache", workers=cfg.data.workers, log=R.log)
        return {"frames": len(f), "perSplit": {s: int((f.split == s).sum()) for s in ("train", "val", "test")}}

    R.stage("cache", st_cache)
    frames = load_frames(csv_path, pcfg, root / "cache", workers=cfg.data.workers, log=R.log)
    rows = read_rows(csv_path)

    def protocol(prefix: str, keep: np.ndarray, scale: float) -> dict:
        """Trains teacher, students, peer, quantises and exports; returns paths per model id."""
        train = frames.select((frames.split == "train") & keep)
        val = frames.select((frames.split == "val") & keep)
        R.log(f"[{prefix or 'intra'}] train {len(train)} frames, val {len(val)}")
        P = lambda s: f"{prefix}{s}"
        out: Dict[str, dict] = {}

        def st_teacher(d):
            return train_stage(d, lambda: train_model("teacher", to_dict(cfg.teacher), train, val, pcfg, scaled(cfg.teacher_train, scale), d, cfg.augment, log=R.log))

        t_info = R.stage(P("teacher"), st_teacher)
        views = student_views(len(train), cfg)

        def st_kd(d):
            teacher = load_model(t_info["checkpoint"]).to(memory_format=torch.channels_last)
            torch.set_num_threads(cfg.teacher_train.threads)
            tl = teacher_logit_table(teacher, train, views, pcfg, log=R.log, precision=cfg.teacher_train.precision)
            np.save(d / "teacher_logits.npy", tl)
            return {"views": int(views.shape[0]), "frames": len(train)}

        R.stage(P("kd-cache"), st_kd)
        tlog = np.load(root / P("kd-cache") / "teacher_logits.npy")

        def st_student(d):
            return train_stage(d, lambda: train_model("student", to_dict(cfg.student), train, val, pcfg, scaled(cfg.student_train, scale), d, cfg.augment, kd=cfg.kd, teacher_logits=tlog, views=views, log=R.log))

        def st_ablation(d):
            # same number of epochs as the distilled student (step schedule, no wall-time budget),
            # so that the only difference between the two is the teacher term
            tc = dataclasses.replace(cfg.student_train, epochs=int(s_info["epochs"]), max_wall_s=0.0)
            return train_stage(d, lambda: train_model("student", to_dict(cfg.student), train, val, pcfg, tc, d, cfg.augment, kd=None, views=views, log=R.log))

        s_info = R.stage(P("student"), st_student)
        a_info = R.stage(P("ablation"), st_ablation)
        out["teacher-fp32"] = {"stage": t_info, "role": "teacher", "arch": "teacher"}
        out["student-fp32"] = {"stage": s_info, "role": "student", "arch": "student"}
        out["ablation-fp32"] = {"stage": a_info, "role": "ablation", "arch": "student"}
        if cfg.peer and not prefix:

            def st_peer(d):
                return train_stage(d, lambda: train_model("minifasnetv2", to_dict(cfg.peer_net), train, val, pcfg, scaled(cfg.peer_train, scale), d, cfg.augment, views=views, log=R.log))

            out["peer-minifasnetv2-fp32"] = {"stage": R.stage(P("peer"), st_peer), "role": "peer", "arch": "minifasnetv2"}

        def st_quant(d):
            student = load_model(s_info["checkpoint"])
            q = prepare(student)
            rng = np.random.default_rng(cfg.quant.calib_seed)
            idx = np.sort(rng.choice(len(train), min(cfg.quant.calib_frames, len(train)), replace=False))
            batches = [to_input(torch.from_numpy(train.pixels[idx[i : i + 64]].astype(np.float32)), pcfg).contiguous() for i in range(0, len(idx), 64)]
            calibrate(q, batches, cfg.quant.act_percentile, cfg.quant.calib_seed)
            torch.save(q.state_dict(), d / "quantised.pt")
            export_qdq(q, d / "student-int8.onnx", (1, 3, *pcfg.size))
            xs = torch.cat(batches)[:32].numpy()
            fq_err = parity(q, d / "student-int8.onnx", xs)
            with torch.no_grad():
                fq = q(torch.from_numpy(xs))
                drift = float((fq - student(torch.from_numpy(xs))).abs().max())
            span = float(fq.abs().max())
            R.log(f"[quantize] int8 ONNX vs fake-quant PyTorch max |dlogit| {fq_err:.4g} (logits up to {span:.3g}); fake-quant vs fp32 {drift:.4g}")
            if not fq_err <= INT8_PARITY * span:
                raise RuntimeError(f"int8 ONNX parity {fq_err:.4g} > {INT8_PARITY} x the largest |logit| {span:.4g}: the QDQ file does not compute what was calibrated")
            return {"onnx": str(d / "student-int8.onnx"), "calibFrames": int(len(idx)), "parityFakeQuant": fq_err, "driftVsFp32": drift}

        q_info = R.stage(P("quantize"), st_quant)
        out["student-int8"] = {"stage": s_info, "quant": q_info, "role": "student", "arch": "student", "onnx": q_info["onnx"]}

        def st_export(d):
            info = {}
            xs = torch.cat([to_input(torch.from_numpy(val.pixels[:16].astype(np.float32)), pcfg)]).contiguous().numpy()
            for mid, spec in out.items():
                if mid == "student-int8":
                    continue
                model = load_model(spec["stage"]["checkpoint"])
                if mid == "teacher-fp32":  # the served teacher: its network inside the test-time views
                    model = tta_wrap(model, cfg.teacher_tta, pcfg.size).eval()
                path = d / f"{mid}.onnx"
                export_fp32(model, path, (1, 3, *pcfg.size))
                err = parity(model, path, xs)
                R.log(f"[export] {mid}: {path.stat().st_size} bytes, parity max |dlogit| {err:.3g}")
                if err > 1e-3:
                    raise RuntimeError(f"{mid}: ONNX parity {err} > 1e-3")
                info[mid] = {"onnx": str(path), "parity": err}
            return info

        e_info = R.stage(P("export"), st_export)
        for mid, v in e_info.items():
            if mid in out and isinstance(v, dict):
                out[mid]["onnx"] = v["onnx"]
                out[mid]["parity"] = v["parity"]
        out["student-int8"]["parity"] = q_info["parityFakeQuant"]
        return out

    def evaluate_stage(prefix: str, models: Dict[str, dict], val_mask: np.ndarray, test_mask: np.ndarray) -> dict:
        def st_eval(d):
            root_dir = csv_path.parent
            vi, ti = np.flatnonzero(val_mask), np.flatnonzero(test_mask)
            t0 = time.time()
            xv, xt = exact_inputs(rows, root_dir, vi, pcfg), exact_inputs(rows, root_dir, ti, pcfg)
            R.log(f"[{prefix}evaluate] exact inputs for {len(vi)} val + {len(ti)} test frames in {time.time() - t0:.0f}s")
            lab = np.where(frames.label == 1, "bonafide", "attack")
            res = {}
            for mid, spec in models.items():
                t0 = time.time()
                both = ort_logits(spec["onnx"], np.concatenate([xv, xt]), jobs=cfg.data.workers)  # onnxruntime-web, one thread per process
                lv, lt = both[: len(xv)], both[len(xv) :]
                sv, stt = scores_from_logits(lv), scores_from_logits(lt)
                thr = choose_threshold(sv, lab[vi] == "bonafide", frames.species[vi])
                mv = evaluate(sv, lab[vi], frames.species[vi], thr)
                mt = evaluate(stt, lab[ti], frames.species[ti], thr)
                np.savez(d / f"{mid}.scores.npz", val=sv, test=stt, val_idx=vi, test_idx=ti)
                res[mid] = {"threshold": thr, "val": mv, "test": mt}
                R.log(f"[{prefix}evaluate] {mid}: thr {thr:.4f} test ACER {mt['acer']:.4f} AUC {mt['auc']:.4f} APCER {mt['apcer']:.4f} BPCER {mt['bpcer']:.4f} ({time.time() - t0:.0f}s)")
            return {"models": res}

        return R.stage(f"{prefix}evaluate", st_eval)

    intra = protocol("", np.ones(len(frames), bool), 1.0)
    ev = evaluate_stage("", intra, frames.split == "val", frames.split == "test")["models"]
    cross_ev = None
    if cfg.cross.enabled:
        held = np.isin(frames.instrument, list(cfg.cross.holdout))
        if held.any() and (~held & (frames.label == 0)).any():
            xm = protocol("cross-", ~held, cfg.cross.epoch_scale)
            cross_ev = evaluate_stage("cross-", xm, (frames.split == "val") & ~held, (frames.split == "test") & (held | (frames.label == 1)))["models"]
            cross_train = {mid: v["stage"] for mid, v in xm.items()}
        else:
            R.log("[cross] no held-out instruments in this dataset; protocol skipped")
    if only_train:
        return {}

    # ---- release: golden + manifest into models/
    def st_release(d):
        stage_dir = d / "models"
        if stage_dir.exists():
            shutil.rmtree(stage_dir)
        stage_dir.mkdir(parents=True)
        commit = git_commit()
        entries = {}
        # uncertainty band from val scores of the served student and the teacher
        lab = np.where(frames.label == 1, "bonafide", "attack")
        sv = np.load(root / "evaluate" / "student-int8.scores.npz")
        tv = np.load(root / "evaluate" / "teacher-fp32.scores.npz")
        vi = sv["val_idx"]
        band = choose_band(sv["val"], tv["val"], lab[vi] == "bonafide", frames.species[vi], ev["student-int8"]["threshold"], ev["teacher-fp32"]["threshold"], cfg.band_max_fallback, cfg.band_acer_margin)
        R.log(f"[release] uncertainty band {band}")
        for mid, spec in intra.items():
            src = Path(spec["onnx"])
            dst = stage_dir / f"{mid}.onnx"
            shutil.copyfile(src, dst)
            arch = spec["arch"]
            net_cfg = {"teacher": cfg.teacher, "student": cfg.student, "minifasnetv2": cfg.peer_net}[arch]
            model = nets.build(arch, to_dict(net_cfg))
            train_cfg = {"teacher": cfg.teacher_train, "student": cfg.student_train, "minifasnetv2": cfg.peer_train}[arch]
            stage_name = {"teacher-fp32": "teacher", "student-fp32": "student", "student-int8": "student", "ablation-fp32": "ablation", "peer-minifasnetv2-fp32": "peer"}[mid]
            wall = {"train": R.times.get(stage_name)}
            if mid == "student-int8":
                wall["quantize"] = R.times.get("quantize")
            if mid in ("student-fp32", "student-int8"):
                wall["kdCache"] = R.times.get("kd-cache")
            else:
                wall["export"] = R.times.get("export")
            metrics = {"test": ev[mid]["test"], "val": ev[mid]["val"]}
            if cross_ev is not None and mid in cross_ev:
                metrics["crossInstrument"] = dict(cross_ev[mid]["test"], protocol=f"separate models of the same configuration trained without instruments {list(cfg.cross.holdout)} (train and val), {cross_train[mid]['epochs']} epochs; test = test-split bona fide + held-out instruments")
            prov = {
                "data": data_desc,
                "seed": int(train_cfg.seed),
                "dataSeed": int(ds_meta.get("seed", cfg.data.seed)),
                "config": {"net": to_dict(net_cfg), "train": to_dict(train_cfg), "augment": to_dict(cfg.augment)},
                "commit": R.commits.get(stage_name, commit),
                "epochs": int(spec["stage"]["epochs"]),
                "bestEpoch": int(spec["stage"]["bestEpoch"]),
                "wallTimeS": float(sum(v for v in wall.values() if v)),
                "wallTimeByStageS": wall,
                "distilledFrom": "teacher-fp32" if mid in ("student-fp32", "student-int8") else None,
                "quick": bool(cfg.quick),
                "torch": torch.__version__,
                "parityMaxAbsLogit": spec.get("parity"),
            }
            if mid in ("student-fp32", "student-int8"):
                prov["config"]["kd"] = to_dict(cfg.kd)
            if mid == "student-int8":
                prov["config"]["quant"] = to_dict(cfg.quant)
                prov["quantizedFrom"] = "student-fp32"
            views = 1  # network runs per frame in the released file
            if mid == "teacher-fp32":
                prov["config"]["tta"] = to_dict(cfg.teacher_tta)
                views = len(cfg.teacher_tta.views())
            entries[mid] = {
                "id": mid,
                "name": NAME[spec["role"]],
                "role": spec["role"],
                "file": dst.name,
                "sha256": manifest_mod.sha256_file(dst),
                "bytes": dst.stat().st_size,
                "params": nets.count_params(model),
                "macs": views * nets.count_macs(model, (1, 3, *pcfg.size)),
                "dtype": "int8" if mid.endswith("int8") else "fp32",
                "input": {"name": "input", "shape": [1, 3, *pcfg.size]},
                "output": {"name": "logits", "shape": [1, 2], "bonafideIndex": 1},
                "preprocess": pcfg.to_manifest(),
                "threshold": ev[mid]["threshold"],
                "metrics": metrics,
                "provenance": prov,
            }
            if views > 1:
                entries[mid]["testTimeAugmentation"] = cfg.teacher_tta.to_manifest()
        cands = pick_frame(rows)
        frame = next((r for r in cands if (lambda im: im.shape[0] != im.shape[1])(load_rgb(csv_path.parent / r["path"]))), cands[0])
        rgb = load_rgb(csv_path.parent / frame["path"])
        write_golden(stage_dir / "golden", rgb, row_box(frame), {mid: {"onnx": stage_dir / e["file"], "preprocess": e["preprocess"], "bonafideIndex": 1} for mid, e in entries.items()}, source=f"{data_desc}: {frame['path']}")
        man = {
            "schemaVersion": 1,
            "generatedAt": utc_now(),
            "notice": "All metrics are measured on the data named in each model's provenance.data. Synthetic-data figures are not real-world accuracy.",
            "serving": {"student": "student-int8", "teacher": "teacher-fp32", "uncertaintyBand": band["band"], "uncertaintyBandSelection": {k: v for k, v in band.items() if k != "band"}},
            "pipeline": {"name": cfg.name, "quick": cfg.quick, "commit": commit, "stageCommits": dict(R.commits), "machine": host, "wallTimeByStageS": dict(R.times), "config": to_dict(cfg)},
            "models": entries,
        }
        manifest_mod.write(man, stage_dir / "manifest.json")
        # replace the release files in models/ (README.md and unrelated files are left alone)
        models_dir.mkdir(parents=True, exist_ok=True)
        for old in models_dir.glob("*.onnx"):
            old.unlink()
        if (models_dir / "golden").exists():
            shutil.rmtree(models_dir / "golden")
        shutil.copytree(stage_dir / "golden", models_dir / "golden")
        for e in entries.values():
            shutil.copyfile(stage_dir / e["file"], models_dir / e["file"])
        man["pipeline"]["wallTimeByStageS"]["release"] = round(time.time() - t_rel, 1)
        man["pipeline"]["wallTimeTotalS"] = round(sum(man["pipeline"]["wallTimeByStageS"].values()), 1)
        manifest_mod.write(man, models_dir / "manifest.json")
        return {"models": sorted(entries), "band": band}

    t_rel = time.time()
    rel = R.stage("release", st_release)
    R.log(f"pipeline finished; stage wall times (s): {json.dumps(R.times)}")
    return rel


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fasedge.pipeline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke-test sizes on the tiny preset (models marked quick)")
    ap.add_argument("--data", default="", help="manifest.csv of an existing dataset (default: generate the synthetic preset)")
    ap.add_argument("--preset", default=None, help="synthetic preset when generating (tiny | small | default | large | xlarge; default: xlarge)")
    ap.add_argument("--data-out", default=None, help="folder of the generated synthetic dataset (default: data/synthetic-PRESET)")
    ap.add_argument("--name", default=None, help="run name (outputs in RUNS/NAME)")
    ap.add_argument("--runs", default="runs", help="folder of run outputs")
    ap.add_argument("--models", default="models", help="release folder (manifest.json, ONNX, golden/)")
    ap.add_argument("--peer", action="store_true", help="also train the MiniFASNetV2-class peer")
    ap.add_argument("--no-peer", action="store_true", help="skip the MiniFASNetV2-class peer")
    ap.add_argument("--no-cross", action="store_true", help="skip the cross-instrument protocol")
    ap.add_argument("--teacher-epochs", type=int, default=None)
    ap.add_argument("--student-epochs", type=int, default=None)
    ap.add_argument("--peer-epochs", type=int, default=None)
    ap.add_argument("--teacher-ema", type=float, default=None, metavar="DECAY", help="keep an exponential moving average of the teacher's weights with this decay (TrainConfig.ema, e.g. 0.9995; 0 = off, the default config)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads per process")
    ap.add_argument("--keep", default=None, choices=("best-val", "last"), help="weights every training stage keeps: the epoch of lowest val ACER or the end of the schedule (default)")
    ap.add_argument("--precision", default=None, choices=PRECISIONS, help="arithmetic of every training stage and of the teacher's kd-cache: fp32, or bf16 autocast (fp32 weights; on CPUs with AVX512-BF16 or AMX the teacher trains about 1.8x faster; `python -m fasedge.bench` measures it)")
    ap.add_argument("--config", default=None, help="JSON file with a PipelineConfig (e.g. runs/NAME/config.json)")
    ap.add_argument("--reuse", default=None, metavar="RUN", help="a run folder (e.g. runs/default) whose finished stages this run links instead of running again, each where its settings are this run's (e.g. a new student against that run's teacher)")
    args = ap.parse_args(argv)
    if args.config:
        from .config import from_dict

        cfg = from_dict(json.loads(Path(args.config).read_text()))
    else:
        cfg = quick_config() if args.quick else PipelineConfig()
    if args.data:
        cfg.data.manifest = args.data
    if args.preset:
        cfg.data.preset = args.preset
    if args.data_out:
        cfg.data.out = args.data_out
    if args.name:
        cfg.name = args.name
    if args.peer:
        cfg.peer = True
    if args.no_peer:
        cfg.peer = False
    if args.no_cross:
        cfg.cross.enabled = False
    for attr, val in (("teacher_train", args.teacher_epochs), ("student_train", args.student_epochs), ("peer_train", args.peer_epochs)):
        if val is not None:
            setattr(cfg, attr, dataclasses.replace(getattr(cfg, attr), epochs=val))
    if args.teacher_ema is not None:
        if not 0.0 <= args.teacher_ema < 1.0:
            print(f"error: --teacher-ema is a decay in [0, 1) (0 = off), not {args.teacher_ema}", file=sys.stderr)
            return 2
        cfg.teacher_train = dataclasses.replace(cfg.teacher_train, ema=args.teacher_ema)
    every_stage = {k: v for k, v in (("threads", args.threads), ("keep", args.keep), ("precision", args.precision)) if v}
    for attr in ("teacher_train", "student_train", "peer_train"):
        setattr(cfg, attr, dataclasses.replace(getattr(cfg, attr), **every_stage))
    emulated = [a for a in ("teacher_train", "student_train", "peer_train") if getattr(cfg, a).precision == "bf16" and (a != "peer_train" or cfg.peer)]
    if emulated and not args.precision and not bf16_native():
        print(f"error: the config trains {', '.join(a.replace('_train', '') for a in emulated)} in bf16. "
              f"{precision_warning('bf16')} Pass --precision fp32, or --precision bf16 to run the emulation anyway.", file=sys.stderr)
        return 2
    run(cfg, Path(args.models), Path(args.runs), reuse=Path(args.reuse) if args.reuse else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
