"""ISO/IEC 30107-3 metrics on small hand-checked examples."""
import math

import numpy as np
import pytest

from fasedge.metrics import bpcer_at_apcer, choose_threshold, eer, eer_threshold, evaluate, paired_bootstrap_acer, rates, roc_auc


def test_apcer_is_max_over_species_and_acer_the_mean():
    scores = np.array([0.9, 0.8, 0.3, 0.7, 0.1, 0.2, 0.6, 0.05])
    bona = np.array([1, 1, 1, 0, 0, 0, 0, 0], bool)
    species = np.array(["bonafide"] * 3 + ["print", "print", "replay", "replay", "mask"])
    r = rates(scores, bona, species, 0.5)
    assert r["apcerPerSpecies"] == {"mask": 0.0, "print": 0.5, "replay": 0.5}
    assert r["apcer"] == 0.5 and r["bpcer"] == pytest.approx(1 / 3)
    assert r["acer"] == pytest.approx((0.5 + 1 / 3) / 2)


def test_auc_counts_ties_half():
    bona = np.array([1, 1, 0, 0], bool)
    assert roc_auc(np.array([0.9, 0.8, 0.1, 0.2]), bona) == 1.0
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), bona) == 0.5
    assert roc_auc(np.array([0.9, 0.2, 0.2, 0.1]), bona) == pytest.approx(0.875)


def test_threshold_is_middle_of_the_widest_run_of_optimal_candidates():
    scores = np.array([0.9, 0.7, 0.2, 0.1])
    bona = np.array([1, 1, 0, 0], bool)
    sp = np.array(["bonafide", "bonafide", "print", "print"])
    # candidates 0 .1 .15 .2 .45 .7 .8 .9 1+: ACER 0 at .45 and .7 (the run), middle .575
    assert choose_threshold(scores, bona, sp) == pytest.approx(0.575)
    assert eer(scores, bona) == 0.0


def test_eer_threshold_is_middle_of_the_equal_error_candidates():
    bona = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    scores = np.array([0.9, 0.6, 0.3, 0.8, 0.1, 0.4, 0.7, 0.2])
    # attacks accepted / bona fide refused: 2/4 vs 1/4 at .4, 1/4 vs 1/4 at .5 and .6, 1/4 vs 2/4 at .65
    assert eer_threshold(scores, bona) == pytest.approx(0.55)
    assert eer(scores, bona) == pytest.approx(0.25)
    # separable scores: the candidates .45 and .7 both give 0 and 0; the middle, as choose_threshold
    assert eer_threshold(np.array([0.9, 0.7, 0.2, 0.1]), np.array([1, 1, 0, 0], bool)) == pytest.approx(0.575)


def test_evaluate_reports_every_figure():
    m = evaluate([0.9, 0.4, 0.6, 0.1], ["bonafide", "bonafide", "attack", "attack"], ["bonafide", "bonafide", "print", "mask"], 0.5)
    assert m["bpcer"] == 0.5 and m["apcer"] == 1.0 and m["acer"] == 0.75
    assert m["hter"] == pytest.approx((0.5 + 0.5) / 2)
    for k in ("auc", "eer", "bpcer20", "bpcer100", "apcerPerSpecies", "n"):
        assert k in m


def test_paired_bootstrap_of_an_acer_difference():
    # 4 identities, each: 2 bona fide, 1 print, 1 replay
    groups = np.repeat(np.array(["s0", "s1", "s2", "s3"]), 4)
    species = np.tile(np.array(["bonafide", "bonafide", "print", "replay"]), 4)
    bona = species == "bonafide"
    right = bona.copy()  # accepts exactly the bona fide frames
    same = paired_bootstrap_acer(right, right, bona, species, groups, resamples=200)
    assert same["difference"] == 0.0 and same["low"] == same["high"] == 0.0 and same["groups"] == 4
    worse = right.copy()
    worse[2] = True  # s0's print attack accepted: print APCER 1/4, ACER 1/8
    r = paired_bootstrap_acer(worse, right, bona, species, groups, resamples=500, seed=3)
    assert r["difference"] == pytest.approx(1 / 8)
    # the worse model is never better on any resample; resamples without s0 tie
    assert r["low"] >= 0.0 and r["high"] <= 0.5 and r["low"] <= r["difference"] <= r["high"]
    again = paired_bootstrap_acer(worse, right, bona, species, groups, resamples=500, seed=3)
    assert again == r


def test_eer_is_the_closest_candidate_not_an_interpolation():
    # bona fide .9 .8 .7 .3, attacks .6 .2. Pooled APCER / BPCER: 1/2 vs 0 on (.2, .3], 1/2 vs 1/4 on
    # (.3, .6], 0 vs 1/4 on (.6, .7]. No threshold equalises them; the two closest candidates are
    # 1/4 apart, with means 3/8 and 1/8: the lower mean wins. Interpolating between .6 and .7 would
    # give 1/4.
    scores = np.array([0.9, 0.8, 0.7, 0.3, 0.6, 0.2])
    bona = np.array([1, 1, 1, 1, 0, 0], bool)
    assert eer(scores, bona) == 0.125


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_scores_are_refused(bad):
    scores = np.array([0.9, bad, 0.6, 0.1])
    bona = np.array([1, 1, 0, 0], bool)
    sp = np.array(["bonafide", "bonafide", "print", "mask"])
    calls = [
        lambda: roc_auc(scores, bona),
        lambda: rates(scores, bona, sp, 0.5),
        lambda: choose_threshold(scores, bona, sp),
        lambda: eer(scores, bona),
        lambda: eer_threshold(scores, bona),
        lambda: bpcer_at_apcer(scores, bona, sp, 0.05),
        lambda: evaluate(scores.tolist(), ["bonafide", "bonafide", "attack", "attack"], sp.tolist(), 0.5),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="scores must be finite: 1 of 4 are not .*index 1"):
            call()


def test_figures_that_need_a_missing_class_are_nan():
    only_bona = evaluate([0.9, 0.4, 0.7], ["bonafide"] * 3, ["bonafide"] * 3, 0.5)
    assert only_bona["bpcer"] == pytest.approx(1 / 3) and only_bona["nAttack"] == 0
    for k in ("auc", "eer", "apcer", "acer", "hter", "bpcer20", "bpcer100"):
        assert math.isnan(only_bona[k]), k
    only_attacks = evaluate([0.9, 0.4, 0.2], ["attack"] * 3, ["print", "print", "mask"], 0.5)
    assert only_attacks["apcer"] == 0.5 and only_attacks["apcerPerSpecies"] == {"mask": 0.0, "print": 0.5}
    for k in ("auc", "eer", "bpcer", "acer", "hter", "bpcer20", "bpcer100"):
        assert math.isnan(only_attacks[k]), k
    assert math.isnan(eer(np.array([]), np.array([], bool)))


def test_threshold_rules_refuse_a_single_class():
    scores = np.array([0.9, 0.4, 0.7])
    for bona, counts in ((np.ones(3, bool), "got 3 bona fide and 0 attack"), (np.zeros(3, bool), "got 0 bona fide and 3 attack")):
        with pytest.raises(ValueError, match=f"choose_threshold needs bona fide and attack scores; {counts}"):
            choose_threshold(scores, bona, np.array(["print"] * 3))
        with pytest.raises(ValueError, match=f"eer_threshold needs bona fide and attack scores; {counts}"):
            eer_threshold(scores, bona)
