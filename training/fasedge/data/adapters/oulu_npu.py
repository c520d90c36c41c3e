"""OULU-NPU (Boulkenafet et al., FG 2017) -> manifest rows, from extracted frames.

The dataset ships videos ``<Phone>_<Session>_<User>_<File>.avi`` in ``Train_files/``,
``Dev_files/`` and ``Test_files/`` (File 1 = real access, 2-3 = print attacks with printers 1
and 2, 4-5 = replay attacks with displays 1 and 2) and protocol lists in
``Protocols/Protocol_N/{Train,Dev,Test}.txt`` (protocols 3 and 4: ``Train_K.txt`` etc. for
K = 1..6), one ``+1,1_1_01_1`` (real) or ``-1,1_1_01_2`` (attack) line per video.

Frame-folder convention accepted here (frames extracted by you, any extractor)::

    <root>/Train_files/1_1_01_1/<frame>.jpg|png      one folder per video, named like the video
    <root>/Train_files/1_1_01_1/<frame>_BB.txt      optional: "x y w h" face box in frame pixels
    <root>/Dev_files/...   <root>/Test_files/...
    <root>/Protocols/Protocol_1/Train.txt ...       the official protocol files, unchanged

Train -> ``train``, Dev -> ``val``, Test -> ``test``. Subjects are the users (disjoint across
the three parts in OULU-NPU). ``frames_per_video`` keeps that many frames, evenly spaced.
"""
from __future__ import annotations

from pathlib import Path

from .common import IMAGE_EXTS, box_columns, clip_box, image_size, relative_to

#: File number -> (species, instrument)
FILE_TYPES = {
    1: ("bonafide", "none"),
    2: ("print", "printer_1"),
    3: ("print", "printer_2"),
    4: ("replay", "display_1"),
    5: ("replay", "display_2"),
}
PARTS = {"Train": ("Train_files", "train"), "Dev": ("Dev_files", "val"), "Test": ("Test_files", "test")}
SOURCE = "oulu-npu"


def parse_video_id(vid: str) -> dict:
    """``1_1_01_1`` -> {phone: 1, session: 1, user: 1, file: 1}."""
    parts = vid.strip().split("_")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not an OULU-NPU video id: {vid!r}")
    phone, session, user, file_ = (int(p) for p in parts)
    if file_ not in FILE_TYPES:
        raise ValueError(f"{vid}: file number {file_} is not 1-5")
    return {"phone": phone, "session": session, "user": user, "file": file_}


def read_protocol(path) -> list[tuple[int, str]]:
    """Lines ``+1,1_1_01_1`` -> [(+1, "1_1_01_1"), ...]."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        lab, vid = (s.strip() for s in line.split(",", 1))
        out.append((int(lab), vid))
    return out


def protocol_file(root: Path, protocol, part: str, fold: int | None) -> Path:
    folder = root / "Protocols" / f"Protocol_{protocol}"
    plain = folder / f"{part}.txt"
    if fold is None and plain.exists():
        return plain
    if fold is None:
        raise FileNotFoundError(f"{plain} not found; protocols 3 and 4 need a fold (1-6)")
    numbered = folder / f"{part}_{fold}.txt"
    if not numbered.exists():
        raise FileNotFoundError(f"{numbered} not found")
    return numbered


def _read_box(frame: Path, width: int, height: int):
    bb = frame.with_name(frame.stem + "_BB.txt")
    if not bb.exists():
        return None
    vals = bb.read_text(encoding="utf-8").replace(",", " ").split()
    if len(vals) < 4:
        return None
    return clip_box(*(float(v) for v in vals[:4]), width, height)


def oulu_npu_rows(root, csv_dir, protocol=1, fold: int | None = None, frames_per_video: int | None = None,
                  strict: bool = True) -> list[dict]:
    """Manifest rows for one OULU-NPU protocol (and fold, for protocols 3 and 4)."""
    root = Path(root)
    rows = []
    for part, (folder, split) in PARTS.items():
        for lab, vid in read_protocol(protocol_file(root, protocol, part, fold)):
            info = parse_video_id(vid)
            species, instrument = FILE_TYPES[info["file"]]
            if (lab > 0) != (species == "bonafide"):
                raise ValueError(f"{vid}: protocol label {lab:+d} contradicts file type {info['file']}")
            vdir = root / folder / vid
            if not vdir.is_dir():
                if strict:
                    raise FileNotFoundError(f"frames of {vid} not found at {vdir}")
                continue
            frames = sorted(p for p in vdir.iterdir() if p.suffix.lower() in IMAGE_EXTS)
            if frames_per_video and len(frames) > frames_per_video:
                step = len(frames) / frames_per_video
                frames = [frames[int(i * step)] for i in range(frames_per_video)]
            for fr in frames:
                width, height = image_size(fr)
                rows.append({"path": relative_to(fr, csv_dir),
                             "label": "bonafide" if species == "bonafide" else "attack",
                             "species": species, "instrument": instrument,
                             "subject": f"{SOURCE}:{info['user']}", "split": split,
                             **box_columns(_read_box(fr, width, height)), "source": SOURCE})
    return rows
