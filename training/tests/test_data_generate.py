"""Synthetic dataset: manifest contract, label integrity, split disjointness, determinism."""
import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fasedge.data import MANIFEST_COLUMNS, generate_dataset, read_manifest, write_manifest
from fasedge.data.attacks import SPECIES
from fasedge.data.contact_sheet import make_contact_sheet

TRAINING = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    csv_path = generate_dataset(out, seed=11, preset="tiny", workers=1)
    return csv_path, read_manifest(csv_path)


def test_manifest_columns_are_the_contract(tiny):
    csv_path, _ = tiny
    with open(csv_path, newline="") as f:
        header = next(csv.reader(f))
    assert header == ["path", "label", "species", "instrument", "subject", "split",
                      "box_x", "box_y", "box_w", "box_h", "source"]
    assert header == MANIFEST_COLUMNS


def test_labels_species_and_instruments_are_consistent(tiny):
    _, rows = tiny
    assert len(rows) == 18 * (2 + 6)
    for r in rows:
        assert r["source"] == "synthetic"
        if r["label"] == "bonafide":
            assert r["species"] == "bonafide" and r["instrument"] == "none"
        else:
            assert r["label"] == "attack"
            assert r["instrument"] in SPECIES[r["species"]]
        name = Path(r["path"]).name
        assert name.startswith("bonafide" if r["species"] == "bonafide" else f"{r['species']}_{r['instrument']}")


def test_every_species_and_instrument_in_every_split(tiny):
    _, rows = tiny
    for split in ("train", "val", "test"):
        present = {(r["species"], r["instrument"]) for r in rows if r["split"] == split}
        expected = {("bonafide", "none")} | {(s, i) for s, insts in SPECIES.items() for i in insts}
        assert present == expected, split


def test_splits_are_subject_disjoint(tiny):
    _, rows = tiny
    subjects = {s: {r["subject"] for r in rows if r["split"] == s} for s in ("train", "val", "test")}
    assert all(len(v) == 6 for v in subjects.values())
    assert not subjects["train"] & subjects["val"]
    assert not subjects["train"] & subjects["test"]
    assert not subjects["val"] & subjects["test"]


def test_images_decode_and_boxes_fit(tiny):
    _, rows = tiny
    fracs = []
    for r in rows:
        img = cv2.imread(r["path"], cv2.IMREAD_COLOR)
        assert img is not None, r["path"]
        h, w = img.shape[:2]
        assert 160 <= w <= 224 and 160 <= h <= 224
        x, y, bw, bh = r["box_x"], r["box_y"], r["box_w"], r["box_h"]
        assert x >= 0 and y >= 0 and bw > 0 and bh > 0
        assert x + bw <= w and y + bh <= h
        fracs.append(bw / w)
    fracs = np.array(fracs)
    assert 0.3 < np.median(fracs) < 0.55
    assert fracs.min() > 0.2 and fracs.max() < 0.8


def test_bonafide_boxes_sit_on_the_face(tiny):
    """Inside the box the frame differs from the surroundings (a face, not background)."""
    _, rows = tiny
    for r in [r for r in rows if r["species"] == "bonafide"][:8]:
        img = cv2.imread(r["path"]).astype(np.float32)
        x, y, w, h = r["box_x"], r["box_y"], r["box_w"], r["box_h"]
        centre = img[y + h // 3: y + 2 * h // 3, x + w // 3: x + 2 * w // 3].reshape(-1, 3).mean(0)
        corner = img[:max(4, y // 2), :max(4, x // 2)].reshape(-1, 3).mean(0)
        assert np.abs(centre - corner).sum() > 5


def test_dataset_json_counts_match_manifest(tiny):
    csv_path, rows = tiny
    meta = json.loads((csv_path.parent / "dataset.json").read_text())
    assert meta["seed"] == 11 and meta["preset"] == "tiny"
    assert meta["counts"]["totals"]["images"] == len(rows)
    per = meta["counts"]["per_split"]
    for split in ("train", "val", "test"):
        n = sum(v for sp in per[split].values() for v in sp.values())
        assert n == sum(1 for r in rows if r["split"] == split)
    assert per["test"]["replay"]["screen_b"] == 6
    assert meta["generation_seconds"] > 0
    attrs = list(csv.DictReader(open(csv_path.parent / "attributes.csv")))
    assert [a["path"] for a in attrs] == [Path(r["path"]).relative_to(csv_path.parent).as_posix() for r in rows]


def _digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "dataset.json"}


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    small = dict(subjects_train=1, subjects_val=1, subjects_test=1, bonafide_per_subject=1)
    a = generate_dataset(tmp_path / "a", seed=5, preset="tiny", workers=1, **small).parent
    b = generate_dataset(tmp_path / "b", seed=5, preset="tiny", workers=2, **small).parent
    c = generate_dataset(tmp_path / "c", seed=6, preset="tiny", workers=1, **small).parent
    da, db, dc = _digest(a), _digest(b), _digest(c)
    assert len(da) == 3 * 7 + 2
    assert da == db
    images = [k for k in da if k.endswith(".jpg")]
    assert all(da[k] != dc[k] for k in images)


def test_read_manifest_resolves_paths_and_empty_boxes(tmp_path):
    sub = tmp_path / "m"
    write_manifest(sub / "manifest.csv", [
        {"path": "../img/a.jpg", "label": "attack", "species": "print", "instrument": "a4", "subject": "x:1",
         "split": "train", "box_x": None, "box_y": None, "box_w": None, "box_h": None, "source": "celeba-spoof"},
        {"path": "b.png", "label": "bonafide", "species": "bonafide", "instrument": "none", "subject": "x:2",
         "split": "test", "box_x": 1, "box_y": 2, "box_w": 3, "box_h": 4, "source": "oulu-npu"}])
    rows = read_manifest(sub / "manifest.csv")
    assert Path(rows[0]["path"]) == (tmp_path / "img" / "a.jpg").resolve()
    assert rows[0]["box_x"] is None and rows[1]["box_h"] == 4
    assert Path(rows[1]["path"]) == (sub / "b.png").resolve()
    bad = tmp_path / "bad.csv"
    bad.write_text("path,label\nx.jpg,attack\n")
    with pytest.raises(ValueError):
        read_manifest(bad)


def test_cli_help_documents_presets_and_outputs():
    res = subprocess.run([sys.executable, "-m", "fasedge.data", "--help"], capture_output=True, text=True,
                         env={"PYTHONPATH": str(TRAINING), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert res.returncode == 0, res.stderr
    for word in ("--preset", "--seed", "--workers", "--out", "tiny", "default", "manifest.csv",
                 "--subjects-train"):
        assert word in res.stdout


def test_contact_sheet_has_a_row_per_species_instrument(tiny, tmp_path):
    csv_path, _ = tiny
    out = make_contact_sheet(csv_path, tmp_path / "sheet.jpg", per_row=4, tile=64)
    img = cv2.imread(str(out))
    assert img.shape[0] == 7 * 64
    assert img.shape[1] == 150 + 4 * 64
