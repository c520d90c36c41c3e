"""How far apart two of a run's models are on its test split, with the uncertainty that the split's
size allows: ACER differences at each model's validation threshold, with a 95 % interval from a
paired bootstrap over test identities.

    sh training/py -m fasedge.compare --run runs/default
    sh training/py -m fasedge.compare --run runs/default --protocol cross --pairs student-int8:teacher-fp32
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .dataset import read_rows
from .metrics import paired_bootstrap_acer

DEFAULT_PAIRS = ("student-fp32:ablation-fp32", "student-int8:ablation-fp32", "teacher-fp32:ablation-fp32", "student-int8:teacher-fp32")


def compare(run: Path, pairs=DEFAULT_PAIRS, protocol: str = "intra", resamples: int = 1000, seed: int = 0) -> list:
    """One record per pair "a:b": test ACER of each, ACER(a) - ACER(b) and its bootstrap interval."""
    stage = run / ("evaluate" if protocol == "intra" else "cross-evaluate")
    models = json.loads((stage / "done.json").read_text())["models"]
    rows = read_rows(Path(json.loads((run / "data" / "done.json").read_text())["manifest"]))
    out = []
    for pair in pairs:
        a, b = pair.split(":")
        sa, sb = np.load(stage / f"{a}.scores.npz"), np.load(stage / f"{b}.scores.npz")
        if not np.array_equal(sa["test_idx"], sb["test_idx"]):
            raise ValueError(f"{a} and {b} were scored on different frames")
        idx = sa["test_idx"]
        bona = np.array([rows[i]["label"] == "bonafide" for i in idx])
        species = np.array([rows[i]["species"] for i in idx])
        subjects = np.array([rows[i]["subject"] for i in idx])
        r = paired_bootstrap_acer(sa["test"] >= models[a]["threshold"], sb["test"] >= models[b]["threshold"], bona, species, subjects, resamples, seed)
        out.append({"a": a, "b": b, "acerA": models[a]["test"]["acer"], "acerB": models[b]["test"]["acer"], **r})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fasedge.compare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="runs/default", help="a pipeline run with its evaluate stage done")
    ap.add_argument("--protocol", choices=("intra", "cross"), default="intra")
    ap.add_argument("--pairs", default=",".join(DEFAULT_PAIRS), help="comma-separated a:b model ids")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--json", action="store_true", help="print the records as JSON")
    args = ap.parse_args(argv)
    res = compare(Path(args.run), [p for p in args.pairs.split(",") if p], args.protocol, args.resamples)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"test ACER differences ({args.protocol}; val thresholds; 95 % interval from {args.resamples} resamples of {res[0]['groups'] if res else 0} test identities)")
    for r in res:
        print(f"  {r['a']:>14s} - {r['b']:<14s} {100 * r['acerA']:5.2f} % - {100 * r['acerB']:5.2f} % = {100 * r['difference']:+5.2f} points  [{100 * r['low']:+5.2f}, {100 * r['high']:+5.2f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
