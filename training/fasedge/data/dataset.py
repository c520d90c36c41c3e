"""Synthetic dataset generation and the manifest format.

Layout of a generated dataset (``out_dir``)::

    manifest.csv        one row per image (columns: MANIFEST_COLUMNS)
    attributes.csv      per-image generation attributes (path, intensity, closeup, ...)
    dataset.json        config, seed, counts per split/species/instrument, generation time
    <split>/<subject>/<species>_<instrument>_<k>.jpg

Every image is generated from its own seed, derived from (seed, subject index, item index), so
the bytes do not depend on the number of workers or on the order in which items are processed.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import multiprocessing as mp
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .attacks import SPECIES, mask_attack, print_attack, replay_attack, sample_intensity
from .imaging import Camera, apply_camera, encode_jpeg, to_uint8
from .render import Identity, View, eye_points, render_bonafide, render_scene

MANIFEST_COLUMNS = ["path", "label", "species", "instrument", "subject", "split",
                    "box_x", "box_y", "box_w", "box_h", "source"]
ATTRIBUTE_COLUMNS = ["path", "intensity", "closeup", "jpeg_quality", "width", "height"]
SPLITS = ("train", "val", "test")
DATASET_VERSION = 1


@dataclass
class DataConfig:
    """Sizes and knobs of a synthetic dataset."""

    subjects_train: int = 540        # synthetic identities in the training split
    subjects_val: int = 150          # ... in the validation split
    subjects_test: int = 210         # ... in the test split
    bonafide_per_subject: int = 5    # bona fide frames per identity
    attacks_per_instrument: int = 1  # attack frames per identity and instrument (6 instruments)
    size_min: int = 160              # smallest frame side, pixels
    size_max: int = 224              # largest frame side, pixels
    face_frac: tuple = (0.36, 0.5)   # face box width / frame width
    closeup_prob: float = 0.35       # share of attacks whose instrument fills the frame
    low_intensity_prob: float = 0.12  # share of attacks with subtle cues (intensity 0.05-0.3)

    def subjects(self, split: str) -> int:
        return {"train": self.subjects_train, "val": self.subjects_val, "test": self.subjects_test}[split]


PRESETS = {
    "tiny": DataConfig(subjects_train=6, subjects_val=6, subjects_test=6, bonafide_per_subject=2,
                       attacks_per_instrument=1),
    "small": DataConfig(subjects_train=60, subjects_val=20, subjects_test=30, bonafide_per_subject=3,
                        attacks_per_instrument=1),
    "default": DataConfig(),
}


def _item_rng(seed: int, subject_index: int, item_index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(subject_index), int(item_index)]))


def subject_identity(seed: int, subject_index: int) -> Identity:
    """The identity of synthetic subject ``subject_index`` (fixed by the dataset seed)."""
    return Identity.sample(_item_rng(seed, subject_index, 1 << 20))


def plan_items(cfg: DataConfig, seed: int) -> list[dict]:
    """Every image to generate, in manifest order."""
    items = []
    g = 0
    for split in SPLITS:
        for _ in range(cfg.subjects(split)):
            subject = f"syn{g:05d}"
            k = 0
            for b in range(cfg.bonafide_per_subject):
                items.append({"split": split, "subject": subject, "g": g, "k": k, "species": "bonafide",
                              "instrument": "none", "n": b})
                k += 1
            for species, instruments in SPECIES.items():
                for inst in instruments:
                    for r in range(cfg.attacks_per_instrument):
                        items.append({"split": split, "subject": subject, "g": g, "k": k, "species": species,
                                      "instrument": inst, "n": r})
                        k += 1
            g += 1
    for it in items:
        it["seed"] = int(seed)
        name = "bonafide" if it["species"] == "bonafide" else f"{it['species']}_{it['instrument']}"
        it["path"] = f"{it['split']}/{it['subject']}/{name}_{it['n']:02d}.jpg"
    return items


def _frame_size(rng: np.random.Generator, cfg: DataConfig) -> tuple[int, int]:
    w = int(rng.integers(cfg.size_min, cfg.size_max + 1))
    h = int(np.clip(round(w * rng.uniform(0.9, 1.12)), cfg.size_min, cfg.size_max))
    return w, h


def _wearer_identity(rng: np.random.Generator, target: Identity) -> Identity:
    other = Identity.sample(rng)
    return dataclasses.replace(other, aspect=target.aspect, jaw=target.jaw, eye_sep=target.eye_sep,
                               eye_size=target.eye_size, glasses_prob=0.0)


def render_item(item: dict, cfg: DataConfig) -> tuple[np.ndarray, tuple, dict]:
    """Render one planned item: (uint8 RGB image, face box, attributes)."""
    rng = _item_rng(item["seed"], item["g"], item["k"] + 1)
    identity = subject_identity(item["seed"], item["g"])
    size = _frame_size(rng, cfg)
    frac = float(rng.uniform(*cfg.face_frac))
    species = item["species"]
    if species == "bonafide":
        view = View.sample(rng, identity, face_frac=frac, size=size)
        img, box, cam = render_bonafide(identity, view, rng)
        return to_uint8(img), box, {"intensity": 0.0, "closeup": False, "jpeg_quality": cam.jpeg_quality}
    closeup = bool(rng.random() < cfg.closeup_prob)
    intensity = sample_intensity(rng, cfg.low_intensity_prob)
    source_q = int(rng.integers(70, 97))
    if species in ("print", "replay"):
        fill = 1.0 if closeup else float(rng.uniform(0.62, 0.86))
        src_frac = min(0.72, frac / (1.14 if closeup else fill))
        view = View.sample(rng, identity, face_frac=src_frac, size=size)
        src_cam = Camera.sample(rng)
        src_cam.read_noise *= 0.5
        src_cam.shot_noise *= 0.5
        src, box, _ = render_bonafide(identity, view, rng, camera=src_cam)
        fn = print_attack if species == "print" else replay_attack
        res = fn(src, box, rng, instrument=item["instrument"], intensity=intensity, closeup=closeup,
                 fill=None if closeup else fill, out_size=size, source_jpeg=source_q)
    elif species == "mask":
        view = View.sample(rng, identity, face_frac=frac, size=size)
        src_cam = Camera.sample(rng)
        scene, box = render_scene(identity, view, rng)
        target = apply_camera(scene, src_cam, rng)
        wearer_id = _wearer_identity(rng, identity)
        wview = View.sample(rng, wearer_id, face_frac=frac, size=size)
        wview = dataclasses.replace(view, light_az=wview.light_az, light_el=wview.light_el,
                                    light_kelvin=wview.light_kelvin, ambient=wview.ambient,
                                    ambient_kelvin=wview.ambient_kelvin, brightness=wview.brightness,
                                    background=wview.background, bg_seed=wview.bg_seed,
                                    clothing=wview.clothing, glasses=False)
        wearer, _ = render_scene(wearer_id, wview, rng)
        res = mask_attack(target, box, rng, instrument=item["instrument"], intensity=intensity,
                          closeup=closeup, wearer=np.clip(wearer, 0, 1), eyes=eye_points(identity, view),
                          source_jpeg=source_q)
    else:
        raise ValueError(f"unknown species {species!r}")
    return res.image, res.box, {"intensity": round(res.intensity, 4), "closeup": res.closeup,
                                "jpeg_quality": res.params["jpeg_quality"]}


def _generate_one(args) -> tuple[dict, dict]:
    item, cfg_dict, out_dir = args
    cfg = DataConfig(**cfg_dict)
    img, box, attrs = render_item(item, cfg)
    path = Path(out_dir) / item["path"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_jpeg(img, attrs["jpeg_quality"]))
    h, w = img.shape[:2]
    row = {"path": item["path"], "label": "bonafide" if item["species"] == "bonafide" else "attack",
           "species": item["species"], "instrument": item["instrument"], "subject": item["subject"],
           "split": item["split"], "box_x": box[0], "box_y": box[1], "box_w": box[2], "box_h": box[3],
           "source": "synthetic"}
    attr = {"path": item["path"], "intensity": attrs["intensity"], "closeup": int(attrs["closeup"]),
            "jpeg_quality": attrs["jpeg_quality"], "width": w, "height": h}
    return row, attr


def _init_worker():
    cv2.setNumThreads(1)


def write_manifest(csv_path: Path, rows: list[dict]) -> None:
    """Write manifest rows (dicts with MANIFEST_COLUMNS keys); empty strings for missing boxes."""
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        wr = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        wr.writeheader()
        for r in rows:
            wr.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in MANIFEST_COLUMNS})


def read_manifest(csv_path) -> list[dict]:
    """Read a manifest CSV.

    Returns one dict per row with the manifest columns; ``path`` is resolved against the CSV's
    folder (a string), ``box_*`` are ints, or None when the row has no face box.
    """
    csv_path = Path(csv_path)
    root = csv_path.resolve().parent
    rows = []
    with open(csv_path, newline="", encoding="utf-8") as f:
        rd = csv.DictReader(f)
        missing = [c for c in MANIFEST_COLUMNS if c not in (rd.fieldnames or [])]
        if missing:
            raise ValueError(f"{csv_path}: missing columns {missing}")
        for r in rd:
            row = {k: r[k] for k in MANIFEST_COLUMNS}
            row["path"] = os.path.normpath(str(root / r["path"]))
            for k in ("box_x", "box_y", "box_w", "box_h"):
                row[k] = int(r[k]) if r[k] not in ("", None) else None
            rows.append(row)
    return rows


def count_rows(rows: list[dict]) -> dict:
    """Counts per split -> species -> instrument, plus totals."""
    counts: dict = {}
    for r in rows:
        s = counts.setdefault(r["split"], {})
        sp = s.setdefault(r["species"], {})
        sp[r["instrument"]] = sp.get(r["instrument"], 0) + 1
    totals = {"images": len(rows),
              "bonafide": sum(1 for r in rows if r["label"] == "bonafide"),
              "attack": sum(1 for r in rows if r["label"] == "attack"),
              "subjects": {sp: len({r["subject"] for r in rows if r["split"] == sp}) for sp in counts}}
    return {"per_split": counts, "totals": totals}


def generate_dataset(out_dir="data/synthetic", seed: int = 1234, preset: str = "default", workers: int = 1,
                     config: DataConfig | None = None, progress=None, **overrides) -> Path:
    """Generate the synthetic dataset into ``out_dir`` and return the path of ``manifest.csv``.

    preset: "tiny" | "small" | "default" (see PRESETS); config: a full DataConfig instead;
    overrides: DataConfig fields to change (e.g. subjects_train=100). workers: processes.
    progress: optional callable(done, total).
    """
    if config is None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
        config = PRESETS[preset]
    cfg = dataclasses.replace(config, **overrides)
    out = Path(out_dir)
    if (out / "dataset.json").exists():
        for split in SPLITS:
            if (out / split).is_dir():
                shutil.rmtree(out / split)
    out.mkdir(parents=True, exist_ok=True)
    items = plan_items(cfg, seed)
    cfg_dict = dataclasses.asdict(cfg)
    jobs = [(it, cfg_dict, str(out)) for it in items]
    t0 = time.time()
    rows, attrs = [], []
    if workers <= 1:
        prev = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            for n, job in enumerate(jobs):
                r, a = _generate_one(job)
                rows.append(r)
                attrs.append(a)
                if progress:
                    progress(n + 1, len(jobs))
        finally:
            cv2.setNumThreads(prev)
    else:
        ctx = mp.get_context("spawn" if os.name == "nt" else "fork")
        with ctx.Pool(workers, initializer=_init_worker) as pool:
            for n, (r, a) in enumerate(pool.imap(_generate_one, jobs, chunksize=8)):
                rows.append(r)
                attrs.append(a)
                if progress:
                    progress(n + 1, len(jobs))
    elapsed = time.time() - t0
    csv_path = out / "manifest.csv"
    write_manifest(csv_path, rows)
    with open(out / "attributes.csv", "w", newline="", encoding="utf-8") as f:
        wr = csv.DictWriter(f, fieldnames=ATTRIBUTE_COLUMNS, lineterminator="\n")
        wr.writeheader()
        wr.writerows(attrs)
    meta = {
        "version": DATASET_VERSION,
        "source": "synthetic",
        "generator": "fasedge.data",
        "preset": preset if config is PRESETS.get(preset) else "custom",
        "seed": int(seed),
        "config": cfg_dict,
        "species": {k: list(v) for k, v in SPECIES.items()},
        "counts": count_rows(rows),
        "workers": int(workers),
        "generation_seconds": round(elapsed, 2),
        "bytes": int(sum((out / r["path"]).stat().st_size for r in rows)),
    }
    (out / "dataset.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return csv_path
