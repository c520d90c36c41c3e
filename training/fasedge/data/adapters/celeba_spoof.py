"""CelebA-Spoof (Zhang et al., ECCV 2020) -> manifest rows.

Published layout (as extracted from the official archive)::

    <root>/Data/train/<subject>/live/<image>.jpg|png      + <image>_BB.txt
    <root>/Data/train/<subject>/spoof/<image>.jpg|png     + <image>_BB.txt
    <root>/Data/test/<subject>/{live,spoof}/...
    <root>/metas/intra_test/train_label.json
    <root>/metas/intra_test/test_label.json

Each label file maps an image path relative to ``<root>`` (``Data/train/4980/live/000001.jpg``)
to a 44-element list: 0-39 face attributes, 40 spoof type, 41 illumination, 42 environment,
43 live (0) / spoof (1). A ``*_BB.txt`` file holds ``x y w h score`` of the face box in a frame
rescaled to 224 x 224; the box in image pixels is ``x * W / 224`` (and likewise y, w, h).

The intra-test protocol has train and test only; ``val_fraction`` of the training subjects
(chosen by a hash of the subject id, so stable across runs) become the ``val`` split.
"""
from __future__ import annotations

import json
from pathlib import Path

from .common import box_columns, clip_box, image_size, relative_to, stable_fraction

#: spoof-type index (label position 40) -> (species, instrument)
SPOOF_TYPES = {
    0: ("bonafide", "none"),
    1: ("print", "photo"),
    2: ("print", "poster"),
    3: ("print", "a4"),
    4: ("mask", "face_mask"),
    5: ("mask", "upper_body_mask"),
    6: ("mask", "region_mask"),
    7: ("replay", "pc"),
    8: ("replay", "pad"),
    9: ("replay", "phone"),
    10: ("mask", "3d_mask"),
}
BB_SCALE = 224.0
SOURCE = "celeba-spoof"


def read_bb(path: Path, width: int, height: int):
    """Face box from a CelebA-Spoof ``*_BB.txt`` (224-scaled), in pixels of a width x height image."""
    try:
        parts = Path(path).read_text(encoding="utf-8").split()
    except FileNotFoundError:
        return None
    if len(parts) < 4:
        return None
    x, y, w, h = (float(v) for v in parts[:4])
    sx, sy = width / BB_SCALE, height / BB_SCALE
    return clip_box(x * sx, y * sy, w * sx, h * sy, width, height)


def celeba_spoof_rows(root, csv_dir, val_fraction: float = 0.1, splits=("train", "test"),
                      strict: bool = True) -> list[dict]:
    """Manifest rows for the intra-test protocol of CelebA-Spoof under ``root``.

    csv_dir: the folder the manifest will be written to (paths are made relative to it).
    strict: raise when a listed image is missing; otherwise skip it.
    """
    root = Path(root)
    rows = []
    for part in splits:
        label_file = root / "metas" / "intra_test" / f"{part}_label.json"
        if not label_file.exists():
            raise FileNotFoundError(f"{label_file} not found (is {root} a CelebA-Spoof root?)")
        labels = json.loads(label_file.read_text(encoding="utf-8"))
        for rel in sorted(labels):
            vec = labels[rel]
            if len(vec) != 44:
                raise ValueError(f"{label_file}: {rel} has {len(vec)} labels, expected 44")
            spoof_type, is_spoof = int(vec[40]), int(vec[43])
            if spoof_type not in SPOOF_TYPES:
                raise ValueError(f"{label_file}: {rel} has unknown spoof type {spoof_type}")
            species, instrument = SPOOF_TYPES[spoof_type]
            if (species == "bonafide") != (is_spoof == 0):
                raise ValueError(f"{label_file}: {rel} spoof type {spoof_type} contradicts live/spoof {is_spoof}")
            img = root / rel
            if not img.exists():
                if strict:
                    raise FileNotFoundError(f"{img} listed in {label_file.name} is missing")
                continue
            parts = Path(rel).parts
            subject = parts[2] if len(parts) >= 4 and parts[0] == "Data" else Path(rel).parent.parent.name
            width, height = image_size(img)
            box = read_bb(img.with_name(img.stem + "_BB.txt"), width, height)
            split = "test" if part == "test" else (
                "val" if stable_fraction(subject, SOURCE) < val_fraction else "train")
            rows.append({"path": relative_to(img, csv_dir),
                         "label": "bonafide" if species == "bonafide" else "attack",
                         "species": species, "instrument": instrument,
                         "subject": f"{SOURCE}:{subject}", "split": split,
                         **box_columns(box), "source": SOURCE})
    return rows
