"""Command line: ``python -m fasedge.data`` (``npm run data``)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from .dataset import PRESETS, DataConfig, generate_dataset

REPO_ROOT = Path(__file__).resolve().parents[3]

EPILOG = """\
presets (images = subjects x (bona fide + 6 instruments x attacks per instrument)):
  tiny     6/6/6 subjects, 2 bona fide + 6 attacks each: 144 images, a few seconds
  small    60/20/30 subjects, 3 + 6 each: 990 images, well under a minute with 2 workers
  default  540/150/210 subjects, 5 + 6 each: 9900 images, 74 MB; {default_time}
  large    1620/150/210 subjects, 5 + 6 each: 21780 images (the training set of the shipped models)
  xlarge   3240/150/210 subjects, 5 + 6 each: 39600 images (twice the large preset's training identities)

output: <out>/manifest.csv (path,label,species,instrument,subject,split,box_x,box_y,box_w,box_h,
source), <out>/attributes.csv, <out>/dataset.json and the JPEG frames under <out>/<split>/.
The same seed gives the same bytes, whatever the number of workers.
"""

DEFAULT_TIME = ("about 450 CPU-seconds: ~4 min on 2 idle\n"
                "           cores with --workers 2 (13.6 min measured while other jobs shared the 2 cores)")

FIELD_HELP = {
    "subjects_train": "identities in the training split",
    "subjects_val": "identities in the validation split",
    "subjects_test": "identities in the test split",
    "bonafide_per_subject": "bona fide frames per identity",
    "attacks_per_instrument": "attack frames per identity and instrument (6 instruments)",
    "size_min": "smallest frame side in pixels",
    "size_max": "largest frame side in pixels",
    "closeup_prob": "share of attacks whose instrument fills the frame",
    "low_intensity_prob": "share of attacks with subtle cues",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m fasedge.data",
        description="Generate the synthetic face anti-spoofing dataset (bona fide faces; print, "
                    "replay and mask attacks with two instruments each; subject-disjoint splits).",
        epilog=EPILOG.format(default_time=DEFAULT_TIME),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(REPO_ROOT / "data" / "synthetic"),
                   help="output folder (default: data/synthetic at the repository root)")
    p.add_argument("--seed", type=int, default=1234, help="dataset seed (default 1234)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="default", help="size preset (default: default)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    sizes = p.add_argument_group("overrides of the preset's values")
    for f in dataclasses.fields(DataConfig):
        if f.type in ("int", "float", int, float):
            kind = int if f.type in ("int", int) else float
            sizes.add_argument("--" + f.name.replace("_", "-"), type=kind, default=None, dest=f.name,
                               metavar=kind.__name__.upper(), help=FIELD_HELP.get(f.name))
    p.add_argument("--quiet", action="store_true", help="no progress output")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(DataConfig)
                 if getattr(args, f.name, None) is not None}
    last = [0.0]

    def progress(done, total):
        now = time.time()
        if args.quiet or (now - last[0] < 2 and done != total):
            return
        last[0] = now
        print(f"\r{done}/{total} images", end="" if done != total else "\n", file=sys.stderr, flush=True)

    t0 = time.time()
    csv_path = generate_dataset(args.out, seed=args.seed, preset=args.preset, workers=args.workers,
                                progress=progress, **overrides)
    meta = json.loads((csv_path.parent / "dataset.json").read_text())
    tot = meta["counts"]["totals"]
    print(f"wrote {csv_path} ({tot['images']} images: {tot['bonafide']} bona fide, {tot['attack']} attacks; "
          f"{meta['bytes'] / 1e6:.1f} MB) in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
