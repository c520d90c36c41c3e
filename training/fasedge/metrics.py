"""Presentation-attack-detection metrics (ISO/IEC 30107-3 vocabulary, DESIGN §3).

Scores are bona fide probabilities: a presentation is accepted as bona fide when score >= threshold.
Every function refuses scores that are not finite (NaN, +-inf) with a ValueError. A figure that needs
both classes (AUC, EER, BPCER at a fixed APCER) is NaN when one class is missing, and so is APCER
without attacks and BPCER without bona fide presentations; the threshold rules raise a ValueError.
scripts/swap/metrics.ts computes the same figures by the same definitions.
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np


def _finite(scores: np.ndarray) -> np.ndarray:
    """``scores`` as float64, or a ValueError naming the first score that is not finite."""
    s = np.asarray(scores, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(s))
    if len(bad):
        raise ValueError(f"scores must be finite: {len(bad)} of {s.size} are not (the first, at index {int(bad[0])}, is {s.flat[bad[0]]})")
    return s


def _has_both_classes(bonafide: np.ndarray) -> bool:
    n_bona = int(np.count_nonzero(bonafide))
    return 0 < n_bona < int(np.size(bonafide))


def _both_classes(bonafide: np.ndarray, rule: str) -> None:
    if not _has_both_classes(bonafide):
        n_bona = int(np.count_nonzero(bonafide))
        raise ValueError(f"{rule} needs bona fide and attack scores; got {n_bona} bona fide and {int(np.size(bonafide)) - n_bona} attack")


def roc_auc(scores: np.ndarray, bonafide: np.ndarray) -> float:
    """Area under the ROC curve (bona fide = positive class), ties counted half."""
    scores = _finite(scores)
    pos = scores[bonafide]
    neg = scores[~bonafide]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    allv = np.concatenate([pos, neg])[order]
    ranks = np.empty(len(allv), dtype=np.float64)
    # average ranks for ties
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2.0 + 1.0
        i = j + 1
    r = np.empty_like(ranks)
    r[order] = ranks
    return float((r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0) / (len(pos) * len(neg)))


def rates(scores: np.ndarray, bonafide: np.ndarray, species: np.ndarray, threshold: float) -> Dict[str, object]:
    """APCER (max over attack species), BPCER, ACER and per-species APCER at one threshold."""
    scores = _finite(scores)
    accept = scores >= threshold
    per_species = {}
    for s in sorted(set(species[~bonafide].tolist())):
        m = (species == s) & ~bonafide
        per_species[s] = float(accept[m].mean())
    apcer = max(per_species.values()) if per_species else float("nan")
    bpcer = float((~accept[bonafide]).mean()) if bonafide.any() else float("nan")
    return {"apcer": apcer, "bpcer": bpcer, "acer": (apcer + bpcer) / 2.0, "apcerPerSpecies": per_species}


def _candidates(scores: np.ndarray) -> np.ndarray:
    u = np.unique(scores)
    mids = (u[:-1] + u[1:]) / 2.0 if len(u) > 1 else np.array([], dtype=np.float64)
    return np.concatenate([[0.0], mids, u, [np.nextafter(1.0, 2.0)]])


def choose_threshold(scores: np.ndarray, bonafide: np.ndarray, species: np.ndarray) -> float:
    """Threshold minimising ACER on (validation) scores; among ties the middle of the best range."""
    scores = _finite(scores)
    _both_classes(bonafide, "choose_threshold")
    cands = np.sort(_candidates(scores))
    acers = np.array([rates(scores, bonafide, species, t)["acer"] for t in cands])
    best = np.flatnonzero(acers <= acers.min() + 1e-12)
    # longest contiguous run of optimal thresholds, then its middle
    runs, start = [], best[0]
    for a, b in zip(best[:-1], best[1:]):
        if b != a + 1:
            runs.append((start, a))
            start = b
    runs.append((start, best[-1]))
    lo, hi = max(runs, key=lambda r: cands[r[1]] - cands[r[0]])
    return float((cands[lo] + cands[hi]) / 2.0)


def eer(scores: np.ndarray, bonafide: np.ndarray) -> float:
    """Equal error rate (attack acceptance vs bona fide rejection, species pooled). Over the
    candidate thresholds of ``choose_threshold`` (0, the midpoints between adjacent distinct scores,
    the scores, just above 1) take the one where the pooled APCER and the BPCER are closest and
    return the mean of the two there; among equally close candidates the lowest mean. Nothing is
    interpolated between operating points. NaN without bona fide or without attack scores."""
    scores = _finite(scores)
    if not _has_both_classes(bonafide):
        return float("nan")
    best = (2.0, 1.0)
    for t in _candidates(scores):
        far = float((scores[~bonafide] >= t).mean())
        frr = float((scores[bonafide] < t).mean())
        best = min(best, (abs(far - frr), (far + frr) / 2.0))
    return best[1]


def eer_threshold(scores: np.ndarray, bonafide: np.ndarray) -> float:
    """Threshold at the equal-error point (attack acceptance, species pooled, closest to bona fide
    rejection), the development-set rule of the OULU-NPU protocols; among ties the middle."""
    scores = _finite(scores)
    _both_classes(bonafide, "eer_threshold")
    cands = np.sort(_candidates(scores))
    att = np.sort(scores[~bonafide])
    bona = np.sort(scores[bonafide])
    far = 1.0 - np.searchsorted(att, cands, side="left") / max(1, len(att))  # share of attacks >= t
    frr = np.searchsorted(bona, cands, side="left") / max(1, len(bona))  # share of bona fide < t
    gap = np.abs(far - frr)
    best = np.flatnonzero(gap <= gap.min() + 1e-12)
    return float((cands[best[0]] + cands[best[-1]]) / 2.0)


def bpcer_at_apcer(scores: np.ndarray, bonafide: np.ndarray, species: np.ndarray, apcer_target: float) -> float:
    """Lowest BPCER whose threshold keeps APCER (max over species) <= apcer_target; NaN without
    bona fide or without attack scores."""
    scores = _finite(scores)
    if not _has_both_classes(bonafide):
        return float("nan")
    best = 1.0
    for t in _candidates(scores):
        r = rates(scores, bonafide, species, t)
        if r["apcer"] <= apcer_target:
            best = min(best, r["bpcer"])
    return float(best)


def evaluate(scores: Sequence[float], labels: Sequence[str], species: Sequence[str], threshold: float) -> Dict[str, object]:
    """All metrics of DESIGN §3 for one split at a fixed (validation) threshold."""
    s = _finite(np.asarray(scores, dtype=np.float64))
    bona = np.asarray(labels) == "bonafide"
    sp = np.asarray(species)
    r = rates(s, bona, sp, threshold)
    far = float((s[~bona] >= threshold).mean()) if (~bona).any() else float("nan")
    frr = float((s[bona] < threshold).mean()) if bona.any() else float("nan")
    return {
        "n": int(len(s)),
        "nBonafide": int(bona.sum()),
        "nAttack": int((~bona).sum()),
        "threshold": float(threshold),
        "auc": roc_auc(s, bona),
        "eer": eer(s, bona),
        "apcer": r["apcer"],
        "bpcer": r["bpcer"],
        "acer": r["acer"],
        "hter": (far + frr) / 2.0,
        "bpcer20": bpcer_at_apcer(s, bona, sp, 0.05),
        "bpcer100": bpcer_at_apcer(s, bona, sp, 0.01),
        "apcerPerSpecies": r["apcerPerSpecies"],
    }


def paired_bootstrap_acer(accept_a: np.ndarray, accept_b: np.ndarray, bonafide: np.ndarray, species: np.ndarray, groups: np.ndarray, resamples: int = 1000, seed: int = 0, level: float = 0.95) -> Dict[str, float]:
    """ACER(a) - ACER(b) of two models' decisions (``accept_*``: True = bona fide) on the same
    frames, with a percentile interval from resampling ``groups`` (identities) with replacement: both
    models see the same resampled frames, so the interval is that of the difference."""
    accept_a, accept_b = np.asarray(accept_a, float), np.asarray(accept_b, float)
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    acer = lambda acc, idx: rates(acc[idx], bonafide[idx], species[idx], 0.5)["acer"]
    everything = np.arange(len(groups))
    diffs = np.empty(resamples)
    for i in range(resamples):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        diffs[i] = acer(accept_a, idx) - acer(accept_b, idx)
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(diffs, [tail, 100.0 - tail])
    return {"difference": acer(accept_a, everything) - acer(accept_b, everything), "low": float(lo), "high": float(hi), "groups": len(uniq), "resamples": int(resamples), "level": level}
