"""``python -m fasedge.data.adapters {celeba-spoof,oulu-npu} --root DIR --out manifest.csv``"""
from __future__ import annotations

import argparse
import sys
from collections import Counter

from ..dataset import read_manifest
from . import adapt_celeba_spoof, adapt_oulu_npu


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fasedge.data.adapters",
                                description="Write a fasedge manifest.csv for a real FAS dataset.")
    sub = p.add_subparsers(dest="dataset", required=True)
    c = sub.add_parser("celeba-spoof", help="CelebA-Spoof, intra-test protocol")
    c.add_argument("--root", required=True, help="folder holding Data/ and metas/")
    c.add_argument("--out", required=True, help="manifest CSV to write")
    c.add_argument("--val-fraction", type=float, default=0.1, help="share of training subjects held out as val")
    c.add_argument("--skip-missing", action="store_true", help="skip listed images that are missing")
    o = sub.add_parser("oulu-npu", help="OULU-NPU, from extracted frames")
    o.add_argument("--root", required=True, help="folder holding Train_files/, Dev_files/, Test_files/, Protocols/")
    o.add_argument("--out", required=True, help="manifest CSV to write")
    o.add_argument("--protocol", default="1", help="protocol number 1-4")
    o.add_argument("--fold", type=int, default=None, help="fold 1-6 (protocols 3 and 4)")
    o.add_argument("--frames-per-video", type=int, default=None, help="evenly spaced frames kept per video")
    o.add_argument("--skip-missing", action="store_true", help="skip videos whose frames are missing")
    a = p.parse_args(argv)
    if a.dataset == "celeba-spoof":
        path = adapt_celeba_spoof(a.root, a.out, a.val_fraction, strict=not a.skip_missing)
    else:
        path = adapt_oulu_npu(a.root, a.out, a.protocol, a.fold, a.frames_per_video, strict=not a.skip_missing)
    rows = read_manifest(path)
    counts = Counter((r["split"], r["species"]) for r in rows)
    print(f"wrote {path}: {len(rows)} rows; " + ", ".join(f"{k[0]}/{k[1]}={v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
