"""Dataset adapters on small fixture trees in the published layouts."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fasedge.data import read_manifest
from fasedge.data.adapters import adapt_celeba_spoof, adapt_oulu_npu, celeba_spoof_rows, oulu_npu_rows
from fasedge.data.adapters.__main__ import main as adapters_cli
from fasedge.data.adapters.common import image_size


def _write_image(path: Path, w: int, h: int, value: int = 100):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.full((h, w, 3), value, np.uint8)
    assert cv2.imwrite(str(path), img)


def _labels(spoof_type: int, spoof: int) -> list:
    vec = [0] * 44
    vec[40], vec[43] = spoof_type, spoof
    return vec


@pytest.fixture()
def celeba_root(tmp_path):
    root = tmp_path / "CelebA_Spoof"
    train = {
        "Data/train/101/live/000001.jpg": (_labels(0, 0), (448, 336), "56 28 112 84 0.99"),
        "Data/train/101/spoof/000002.png": (_labels(2, 1), (224, 224), "10 20 100 120 0.9"),
        "Data/train/202/spoof/000003.jpg": (_labels(8, 1), (300, 400), None),
        "Data/train/202/spoof/000004.jpg": (_labels(10, 1), (224, 224), "0 0 50 50 0.5"),
    }
    test = {
        "Data/test/303/live/000005.jpg": (_labels(0, 0), (224, 224), "200 200 100 100 0.7"),
        "Data/test/303/spoof/000006.jpg": (_labels(5, 1), (224, 224), "1 2 3 4 0.5"),
    }
    for part, items in (("train", train), ("test", test)):
        for rel, (_, (w, h), bb) in items.items():
            img = root / rel
            _write_image(img, w, h)
            if bb is not None:
                img.with_name(img.stem + "_BB.txt").write_text(bb + "\n")
        meta = root / "metas" / "intra_test" / f"{part}_label.json"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({rel: v[0] for rel, v in items.items()}))
    return root


def test_image_size_reads_headers(tmp_path):
    _write_image(tmp_path / "a.jpg", 37, 21)
    _write_image(tmp_path / "b.png", 5, 9)
    assert image_size(tmp_path / "a.jpg") == (37, 21)
    assert image_size(tmp_path / "b.png") == (5, 9)


def test_celeba_spoof_rows(celeba_root, tmp_path):
    out = adapt_celeba_spoof(celeba_root, tmp_path / "manifests" / "celeba.csv", val_fraction=0.0)
    rows = {Path(r["path"]).name: r for r in read_manifest(out)}
    assert len(rows) == 6
    for r in rows.values():
        assert Path(r["path"]).exists() and r["source"] == "celeba-spoof"
    live = rows["000001.jpg"]
    assert (live["label"], live["species"], live["instrument"]) == ("bonafide", "bonafide", "none")
    assert live["subject"] == "celeba-spoof:101" and live["split"] == "train"
    # 224-scaled box -> pixels of a 448 x 336 image
    assert (live["box_x"], live["box_y"], live["box_w"], live["box_h"]) == (112, 42, 224, 126)
    assert (rows["000002.png"]["species"], rows["000002.png"]["instrument"]) == ("print", "poster")
    assert (rows["000003.jpg"]["species"], rows["000003.jpg"]["instrument"]) == ("replay", "pad")
    assert rows["000003.jpg"]["box_x"] is None          # no _BB.txt
    assert (rows["000004.jpg"]["species"], rows["000004.jpg"]["instrument"]) == ("mask", "3d_mask")
    assert rows["000005.jpg"]["split"] == "test"
    assert rows["000005.jpg"]["box_w"] == 24            # clipped to the frame
    assert (rows["000006.jpg"]["species"], rows["000006.jpg"]["instrument"]) == ("mask", "upper_body_mask")


def test_celeba_spoof_val_holdout_is_by_subject(celeba_root, tmp_path):
    all_val = celeba_spoof_rows(celeba_root, tmp_path, val_fraction=1.0)
    assert {r["split"] for r in all_val if r["subject"] != "celeba-spoof:303"} == {"val"}
    half = celeba_spoof_rows(celeba_root, tmp_path, val_fraction=0.5)
    by_subject = {}
    for r in half:
        by_subject.setdefault(r["subject"], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_subject.values())
    assert half == celeba_spoof_rows(celeba_root, tmp_path, val_fraction=0.5)


def test_celeba_spoof_rejects_inconsistent_labels_and_missing_images(celeba_root, tmp_path):
    meta = celeba_root / "metas" / "intra_test" / "test_label.json"
    labels = json.loads(meta.read_text())
    labels["Data/test/303/spoof/000006.jpg"] = _labels(5, 0)     # spoof type says mask, label says live
    meta.write_text(json.dumps(labels))
    with pytest.raises(ValueError):
        celeba_spoof_rows(celeba_root, tmp_path)
    labels["Data/test/303/spoof/000006.jpg"] = _labels(5, 1)
    labels["Data/test/303/spoof/999999.jpg"] = _labels(9, 1)
    meta.write_text(json.dumps(labels))
    with pytest.raises(FileNotFoundError):
        celeba_spoof_rows(celeba_root, tmp_path)
    rows = celeba_spoof_rows(celeba_root, tmp_path, strict=False)
    assert len(rows) == 6


@pytest.fixture()
def oulu_root(tmp_path):
    root = tmp_path / "Oulu_NPU"
    videos = {"Train_files": ["1_1_01_1", "1_1_01_2", "2_1_02_4", "1_2_02_5"],
              "Dev_files": ["1_1_21_1", "1_1_21_3"],
              "Test_files": ["3_3_36_1", "3_3_36_5"]}
    for folder, vids in videos.items():
        for vid in vids:
            for k in range(5):
                _write_image(root / folder / vid / f"{k:04d}.jpg", 64, 48)
    (root / folder / "3_3_36_1" / "0000_BB.txt").write_text("10, 5, 30, 40\n")
    proto = root / "Protocols" / "Protocol_1"
    proto.mkdir(parents=True)
    sign = lambda v: "+1" if v.endswith("_1") else "-1"
    for part, folder in (("Train", "Train_files"), ("Dev", "Dev_files"), ("Test", "Test_files")):
        (proto / f"{part}.txt").write_text("".join(f"{sign(v)},{v}\n" for v in videos[folder]))
    p3 = root / "Protocols" / "Protocol_3"
    p3.mkdir(parents=True)
    (p3 / "Train_1.txt").write_text("+1,1_1_01_1\n-1,2_1_02_4\n")
    (p3 / "Dev_1.txt").write_text("+1,1_1_21_1\n")
    (p3 / "Test_1.txt").write_text("-1,3_3_36_5\n")
    return root


def test_oulu_npu_protocol_1(oulu_root, tmp_path):
    out = adapt_oulu_npu(oulu_root, tmp_path / "oulu.csv", protocol=1)
    rows = read_manifest(out)
    assert len(rows) == 8 * 5
    assert all(Path(r["path"]).exists() and r["source"] == "oulu-npu" for r in rows)
    by_video = {}
    for r in rows:
        by_video.setdefault(Path(r["path"]).parent.name, []).append(r)
    kinds = {v: (rs[0]["label"], rs[0]["species"], rs[0]["instrument"], rs[0]["split"], rs[0]["subject"])
             for v, rs in by_video.items()}
    assert kinds["1_1_01_1"] == ("bonafide", "bonafide", "none", "train", "oulu-npu:1")
    assert kinds["1_1_01_2"] == ("attack", "print", "printer_1", "train", "oulu-npu:1")
    assert kinds["2_1_02_4"] == ("attack", "replay", "display_1", "train", "oulu-npu:2")
    assert kinds["1_2_02_5"][2] == "display_2"
    assert kinds["1_1_21_3"] == ("attack", "print", "printer_2", "val", "oulu-npu:21")
    assert kinds["3_3_36_5"][3] == "test"
    boxed = [r for r in by_video["3_3_36_1"] if r["box_x"] is not None]
    assert len(boxed) == 1 and (boxed[0]["box_x"], boxed[0]["box_y"], boxed[0]["box_w"], boxed[0]["box_h"]) == (10, 5, 30, 40)
    splits = {}
    for r in rows:
        splits.setdefault(r["split"], set()).add(r["subject"])
    assert not (splits["train"] & splits["val"]) and not (splits["val"] & splits["test"])


def test_oulu_npu_folds_frames_and_errors(oulu_root, tmp_path):
    rows = oulu_npu_rows(oulu_root, tmp_path, protocol=3, fold=1, frames_per_video=2)
    assert len(rows) == 4 * 2
    assert sorted({Path(r["path"]).name for r in rows}) == ["0000.jpg", "0002.jpg"]
    with pytest.raises(FileNotFoundError):
        oulu_npu_rows(oulu_root, tmp_path, protocol=3)             # protocol 3 needs a fold
    bad = oulu_root / "Protocols" / "Protocol_1" / "Dev.txt"
    bad.write_text("+1,1_1_21_3\n")                                 # an attack listed as real
    with pytest.raises(ValueError):
        oulu_npu_rows(oulu_root, tmp_path, protocol=1)


def test_adapters_cli(oulu_root, tmp_path, capsys):
    assert adapters_cli(["oulu-npu", "--root", str(oulu_root), "--out", str(tmp_path / "o.csv"),
                         "--frames-per-video", "1"]) == 0
    assert "8 rows" in capsys.readouterr().out
    assert len(read_manifest(tmp_path / "o.csv")) == 8
