"""Where a run's models fail on its test split, and how far they get together.

    sh training/py -m fasedge.errors --run runs/default
    sh training/py -m fasedge.errors --run runs/default --variants      # with every variant model of the run
    sh training/py -m fasedge.errors --run runs/default --add a.pt,b.pt  # with other checkpoints
    sh training/py -m fasedge.errors --run runs/default --variants --pick ablation,ablation-seed1  # only these

Every model (the run's teacher, distilled student and ablation checkpoints, optionally the run's
variant models and other checkpoints) scores val and test in PyTorch fp32, each at its own input
preprocessing, with its threshold chosen on val by the pipeline's rule. Then:

- ``ensemble``: the mean of the models' bona fide logit margins (z1 - z0), thresholded on val by the
  same rule: what the models reach together;
- ``oracle``: a test frame counts as an error only when every model gets it wrong at its own
  threshold: no choice or combination of these models' decisions does better on these frames, so it
  is a floor for what they can be combined into;
- ``thresholdRules``: each model's test ACER at the pipeline's threshold (lowest val ACER), at the
  val equal-error point, and at the best threshold for test itself (a bound no rule reaches);
- ``wrongBy``: for test attacks and bona fide frames, how many frames are wrong for exactly k of
  the models, and the frames wrong for all / for most of them broken down by species, instrument
  and, when the dataset has an ``attributes.csv`` (the synthetic generator writes one), close-up
  and cue intensity.

Output in ``<run>/errors.json``; nothing here ships.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

from .dataset import load_frames, read_rows
from .metrics import choose_threshold, eer_threshold, evaluate, rates
from .preprocess import PreprocessConfig
from .train import load_checkpoint, load_model, predict_logits, scores_from_logits

#: cue-intensity bins of the synthetic generator's attributes (subtle cues are drawn in 0.1-0.35)
INTENSITY_BINS = ((0.0, 0.35, "<0.35"), (0.35, 0.6, "0.35-0.6"), (0.6, 1.01, ">=0.6"))


def run_models(run: Path) -> dict:
    """The run's own checkpoints: teacher, distilled student, ablation."""
    out = {}
    for stage, name in (("teacher", "teacher"), ("student", "student"), ("ablation", "ablation")):
        done = run / stage / "done.json"
        if done.exists():
            out[name] = Path(json.loads(done.read_text())["checkpoint"])
    return out


def variant_models(run: Path) -> dict:
    """Every finished variant model of the run (``fasedge.variants`` folders), by a short name."""
    out = {}
    for ck in sorted((run / "variant-teacher-size").glob("*/model.pt")):
        out[f"teacher-{ck.parent.name}"] = ck
    for ck in sorted((run / "variant-teacher-kd").glob("*/model.pt")):
        out[f"student<-{ck.parent.name}"] = ck
    for ck in sorted((run / "variant-seeds").glob("seed*/*/model.pt")):
        out[f"{ck.parent.name}-{ck.parent.parent.name}"] = ck
    ck = run / "variant-fourier" / "model.pt"
    if ck.exists():
        out["student+fourier"] = ck
    for ck in sorted((run / "variant-identities").glob("*/model.pt")):
        out[f"identities-{ck.parent.name}"] = ck
    for ck in sorted((run / "variant-patch").glob("*/seed*/*/model.pt")):
        out[f"patch-{ck.parent.parent.parent.name}-{ck.parent.parent.name}-{ck.parent.name}"] = ck
    return out


def score_model(checkpoint: Path, manifest: Path, cache: Path, workers: int, log=print, held: dict | None = None) -> dict:
    """Bona fide scores (softmax, as the pipeline scores) and logit margins (z1 - z0) of one
    checkpoint on val and test, at its own preprocessing;
    ``held`` keeps the val and test frames of each preprocessing between calls."""
    ck = load_checkpoint(checkpoint)
    pcfg = PreprocessConfig.from_manifest(ck["preprocess"])
    key = json.dumps(ck["preprocess"], sort_keys=True)
    held = {} if held is None else held
    if key not in held:
        frames = load_frames(manifest, pcfg, cache, workers=workers, log=log)
        held[key] = {split: frames.select(frames.split == split) for split in ("val", "test")}
    model = load_model(ck)
    out = {}
    for split in ("val", "test"):
        f = held[key][split]
        z = predict_logits(model, f.pixels, pcfg)
        out[split] = scores_from_logits(z)
        out[f"{split}Margin"] = (z[:, 1] - z[:, 0]).astype(np.float64)
        out[f"{split}Path"] = f.path
    return out


def summarise(s_val: np.ndarray, s_test: np.ndarray, val, test) -> dict:
    """Val and test metrics of one score (threshold from val)."""
    thr = choose_threshold(s_val, val["bona"], val["species"])
    out = {"threshold": float(thr)}
    for split, s, meta in (("val", s_val, val), ("test", s_test, test)):
        m = evaluate(s, np.where(meta["bona"], "bonafide", "attack"), meta["species"], thr)
        out[split] = {k: m[k] for k in ("acer", "apcer", "bpcer", "auc", "apcerPerSpecies")}
    return out


def breakdown(mask: np.ndarray, test: dict, attack_attributes: bool = True) -> dict:
    """Counts of the frames in ``mask`` by species, instrument and, for attacks (when the dataset
    records them), close-up and cue intensity."""
    out = {"frames": int(mask.sum()), "species": dict(Counter(test["species"][mask].tolist())), "instrument": dict(Counter(test["instrument"][mask].tolist()))}
    if attack_attributes and test["intensity"] is not None:
        out["closeup"] = int(test["closeup"][mask].sum())
        inten = test["intensity"][mask]
        out["intensity"] = {name: int(((inten >= lo) & (inten < hi)).sum()) for lo, hi, name in INTENSITY_BINS}
    return out


def analyse(run: Path, extra: dict | None = None, variants: bool = False, workers: int = 2, log=print, pick=()) -> dict:
    """Per-model, ensemble and oracle metrics of the run's models (plus ``extra`` {name: checkpoint}
    and, with ``variants``, the run's variant models; only those named in ``pick`` when given) and a
    breakdown of the test frames they miss."""
    models = run_models(run)
    if variants:
        models.update(variant_models(run))
    models.update(extra or {})
    if pick:
        unknown = [name for name in pick if name not in models]
        if unknown:
            raise ValueError(f"unknown models {unknown} (known: {', '.join(models)})")
        models = {name: models[name] for name in pick}
    if not models:
        raise ValueError(f"{run} has no trained models (teacher, student or ablation stage)")
    manifest = Path(json.loads((run / "data" / "done.json").read_text())["manifest"])
    rows = {r["path"]: r for r in read_rows(manifest)}
    attributes_csv = manifest.parent / "attributes.csv"
    attrs = {r["path"]: r for r in read_rows(attributes_csv)} if attributes_csv.exists() else None

    scores, meta, held = {}, {}, {}
    for name, ck in models.items():
        log(f"[errors] scoring {name} ({ck})")
        m = score_model(Path(ck), manifest, run / "cache", workers, log=log, held=held)
        for split in ("val", "test"):
            paths = m[f"{split}Path"]
            if split not in meta:
                r = [rows[p] for p in paths]
                meta[split] = {
                    "path": paths,
                    "bona": np.array([x["label"] == "bonafide" for x in r]),
                    "species": np.array([x["species"] for x in r]),
                    "instrument": np.array([x["instrument"] for x in r]),
                }
            elif not np.array_equal(meta[split]["path"], paths):
                raise ValueError(f"{name} scored other {split} frames than the first model")
        scores[name] = m
    test = meta["test"]
    if attrs is not None and all(p in attrs for p in test["path"]):
        test["intensity"] = np.array([float(attrs[p]["intensity"]) for p in test["path"]])
        test["closeup"] = np.array([attrs[p]["closeup"] in ("1", "True", "true") for p in test["path"]])
    else:
        test["intensity"] = test["closeup"] = None

    per_model, wrong = {}, []
    for name, m in scores.items():
        per_model[name] = summarise(m["val"], m["test"], meta["val"], test)
        wrong.append((m["test"] >= per_model[name]["threshold"]) != test["bona"])
    wrong = np.array(wrong)
    k = wrong.sum(axis=0)
    n = len(models)
    sigmoid = lambda x: 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large margins
    # the threshold rule: the pipeline's (lowest val ACER) against the val equal-error point, and
    # the best any threshold could do on test (a bound, not a rule)
    rules = {}
    for name, m in scores.items():
        at = lambda thr: rates(m["test"], test["bona"], test["species"], thr)["acer"]
        rules[name] = {
            "valMinAcer": per_model[name]["test"]["acer"],
            "valEer": at(eer_threshold(m["val"], meta["val"]["bona"])),
            "testOptimum": min(at(t) for t in np.unique(m["test"])),
        }
    ensemble = summarise(*(sigmoid(np.mean([m[f"{split}Margin"] for m in scores.values()], axis=0)) for split in ("val", "test")), meta["val"], test)
    # oracle: an attack gets through only if every model accepts it, a bona fide frame is refused
    # only if every model refuses it
    all_wrong = k == n
    oracle_accept = np.where(test["bona"], ~all_wrong, all_wrong).astype(float)
    oracle = rates(oracle_accept, test["bona"], test["species"], 0.5)
    majority = k > n / 2
    result = {
        "run": str(run),
        "models": {name: str(ck) for name, ck in models.items()},
        "note": "PyTorch fp32 on the run's frames, each model at its own preprocessing; thresholds chosen on val; test split",
        "perModel": per_model,
        "ensemble": ensemble,
        "oracle": {key: oracle[key] for key in ("acer", "apcer", "bpcer", "apcerPerSpecies")},
        "thresholdRules": {"perModel": rules, "mean": {k: float(np.mean([r[k] for r in rules.values()])) for k in ("valMinAcer", "valEer", "testOptimum")},
                           "valEerBetter": int(sum(r["valEer"] < r["valMinAcer"] for r in rules.values())),
                           "valEerWorse": int(sum(r["valEer"] > r["valMinAcer"] for r in rules.values()))},
        "wrongBy": {
            "attack": np.bincount(k[~test["bona"]], minlength=n + 1).tolist(),
            "bonafide": np.bincount(k[test["bona"]], minlength=n + 1).tolist(),
        },
        "testAttacks": breakdown(~test["bona"], test),
        "attacksMissedByAll": breakdown(~test["bona"] & all_wrong, test),
        "attacksMissedByMost": breakdown(~test["bona"] & majority, test),
        "bonafideRefusedByAll": breakdown(test["bona"] & all_wrong, test, attack_attributes=False),
        "bonafideRefusedByMost": breakdown(test["bona"] & majority, test, attack_attributes=False),
    }
    (run / "errors.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def report(r: dict) -> str:
    lines = [f"test split of {r['run']}; thresholds from val; PyTorch fp32"]
    width = max(len(x) for x in list(r["perModel"]) + ["ensemble (mean margin)"])
    row = lambda name, m: f"  {name:<{width}s}  val ACER {100 * m['val']['acer']:5.2f} %  AUC {m['val']['auc']:.4f} | test ACER {100 * m['test']['acer']:5.2f} %  AUC {m['test']['auc']:.4f}"
    lines += [row(name, m) for name, m in r["perModel"].items()]
    lines.append(row("ensemble (mean margin)", r["ensemble"]))
    o = r["oracle"]
    lines.append(f"  oracle (wrong only where all {len(r['models'])} are wrong): test ACER {100 * o['acer']:.2f} % (APCER {100 * o['apcer']:.2f} %, BPCER {100 * o['bpcer']:.2f} %)")
    t = r["thresholdRules"]
    lines.append(f"  test ACER by threshold rule, mean over models: lowest val ACER {100 * t['mean']['valMinAcer']:.2f} %, val EER {100 * t['mean']['valEer']:.2f} % "
                 f"(lower for {t['valEerBetter']}, higher for {t['valEerWorse']} of {len(r['models'])}); best test threshold {100 * t['mean']['testOptimum']:.2f} %")
    lines.append(f"  test attacks wrong for k = 0..{len(r['models'])} models: {r['wrongBy']['attack']}")
    lines.append(f"  test bona fide wrong for k = 0..{len(r['models'])} models: {r['wrongBy']['bonafide']}")
    for key in ("testAttacks", "attacksMissedByAll", "attacksMissedByMost", "bonafideRefusedByAll", "bonafideRefusedByMost"):
        lines.append(f"  {key}: {json.dumps(r[key])}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fasedge.errors", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="runs/default", help="a pipeline run (its data, cache and training stages)")
    ap.add_argument("--variants", action="store_true", help="also every finished fasedge.variants model of the run")
    ap.add_argument("--add", default="", help="comma-separated checkpoints (model.pt) of other models trained on the run's data")
    ap.add_argument("--pick", default="", help="comma-separated names: only these of the models above (e.g. ablation,ablation-seed1)")
    ap.add_argument("--workers", type=int, default=2, help="processes that preprocess frames when a model's input size is not cached yet")
    args = ap.parse_args(argv)
    extra = {p.strip(): Path(p.strip()) for p in args.add.split(",") if p.strip()}
    pick = tuple(p.strip() for p in args.pick.split(",") if p.strip())
    print(report(analyse(Path(args.run), extra, args.variants, args.workers, pick=pick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
