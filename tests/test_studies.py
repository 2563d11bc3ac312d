"""The research log behind the own selector's defaults (`studies/class_aware_fl.csv`, written by
`studies/class_aware_fl.ipynb` on validation splits) holds the variants tried, and the defaults are what it chose."""
from pathlib import Path

import pandas as pd

from coreset_nb.class_aware import NOISY_LABELS, ClassAwareFLSelector
from coreset_nb.compare import compare

LOG = Path(__file__).resolve().parent.parent / "studies" / "class_aware_fl.csv"


def study_log():
    log = pd.read_csv(LOG)
    for col in ("label_noise", "imbalance"): log[col] = log[col].fillna(0.0)
    return log


def versus(log, baseline):
    "Every method minus `baseline`, paired by seed, per dataset, noise and tail (compare's columns, `model` naming the condition)."
    cond = log.dataset + " " + log.label_noise.astype(str) + " " + log.imbalance.astype(str)
    return compare(log.assign(model=cond), baseline=baseline, metric="test_accuracy")


def test_the_log_holds_every_variant_tried_with_five_seed_pairs_clean_noisy_and_long_tailed():
    log = study_log()
    assert not log.duplicated(["dataset", "label_noise", "imbalance", "method", "fraction", "seed"]).any()
    conditions = {(q, i) for q, i in zip(log.label_noise, log.imbalance)}
    assert {(0.0, 0.0), (0.1, 0.0), (0.3, 0.0), (0.0, 50.0)} <= conditions
    for threshold in ("0.5", "0.7", "0.8"):  # the label-noise filter's thresholds tried, losses included
        assert f"class_aware_fl[max_confusion={threshold}]" in set(log.method)
    per_cell = log.groupby(["dataset", "label_noise", "imbalance", "method", "fraction"]).seed.nunique()
    assert (per_cell >= 5).all(), per_cell[per_cell < 5]


def test_the_setting_for_noisy_labels_is_the_one_the_study_chose():
    "Never significantly below facility location on clean labels, better on average; and far above random under 30% noise."
    CHOSEN = NOISY_LABELS
    assert ClassAwareFLSelector().max_confusion == 1.0 and ClassAwareFLSelector().difficulty == 2.0  # the default keeps every image
    log = study_log()
    clean = versus(log[(log.label_noise == 0) & (log.imbalance == 0)], "facility_location").query("method == @CHOSEN")
    assert len(clean) == 8 and (clean.verdict != "loss").all() and clean.diff_mean.mean() > 0, clean
    noisy = versus(log[log.label_noise == 0.3], "random").query("method == @CHOSEN and fraction == 0.01")
    assert len(noisy) == 2 and (noisy.verdict == "win").all() and (noisy.diff_mean > 0.15).all(), noisy
    for tail in (versus(log[(log.imbalance == 50)], "facility_location"), versus(log[log.label_noise == 0.1], "facility_location")):
        assert (tail.query("method == @CHOSEN").verdict != "loss").all()


def test_every_robustness_grid_runs_the_setting_for_noisy_labels():
    "The configs name NOISY_LABELS' spec, so leaderboard.md's lines for it never drop out silently."
    from coreset_nb.experiments import CONFIGS_DIR, load_config
    configs = sorted(CONFIGS_DIR.glob("robust-*.yaml"))
    assert len(configs) == 8
    for path in configs: assert NOISY_LABELS in load_config(path, data="x")["methods"], path.name
