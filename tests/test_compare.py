"""`compare` on results with known paired differences, p-values against scipy, and `coreset_nb compare` end to end."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from coreset_nb.compare import COLUMNS, bootstrap_ci, compare, load_results
from tests.conftest import coreset_nb

FRACTIONS = (0.005, 0.01, 0.02, 0.05, 0.25)


def results(n_seeds=6, seed=0):
    """Known effects on two models: win = +0.03, loss = -0.03 (plus noise), tie = ±0.01 alternating by seed (mean 0);
    a large seed effect shared by all methods."""
    rng = np.random.default_rng(seed)
    effects = {"random": 0.0, "win": 0.03, "loss": -0.03, "tie": None}
    rows = []
    for model in ("transfer", "cnn"):
        for s in range(n_seeds):
            shift = rng.normal(0, 0.05)
            rows.append(dict(cell_id=f"{model}-full-{s}", method="full", fraction=1.0, seed=s, model=model,
                             test_accuracy=0.9 + shift, test_f1_macro=0.85 + shift))
            for f in FRACTIONS:
                for m, e in effects.items():
                    acc = 0.6 + f + shift + e + rng.normal(0, 0.004) if e is not None else base + (0.01 if s % 2 else -0.01)
                    if m == "random": base = acc
                    rows.append(dict(cell_id=f"{model}-{m}-{f}-{s}", method=m, fraction=f, seed=s, model=model,
                                     test_accuracy=acc, test_f1_macro=acc - 0.05 - (0.06 if m == "tie" else 0)))
    return pd.DataFrame(rows)


def test_known_differences_give_win_loss_tie():
    df = results()
    out = compare(df, baseline="random")
    assert list(out.columns) == COLUMNS
    assert len(out) == 2 * 3 * len(FRACTIONS) and set(out["method"]) == {"win", "loss", "tie"}  # no 'full', no baseline
    assert set(out.query("method == 'win'")["verdict"]) == {"win"}
    assert set(out.query("method == 'loss'")["verdict"]) == {"loss"}
    assert set(out.query("method == 'tie'")["verdict"]) == {"tie"}
    assert (out["n_pairs"] == 6).all()
    np.testing.assert_allclose(out["mean"] - out["baseline_mean"], out["diff_mean"], atol=1e-12)
    assert (out["diff_ci_low"] <= out["diff_mean"]).all() and (out["diff_mean"] <= out["diff_ci_high"]).all()
    win = out.query("method == 'win'")
    assert (win["diff_ci_low"] > 0).all() and (np.abs(win["diff_mean"] - 0.03) < 0.01).all()
    # another metric: 'tie' is 0.06 lower in F1
    assert set(compare(df, metric="test_f1_macro").query("method == 'tie'")["verdict"]) == {"loss"}


def test_p_values_match_scipy_paired_t_test():
    df = results(n_seeds=5, seed=3)
    out = compare(df, baseline="random")
    for _, row in out.iterrows():
        pick = lambda m: df[(df.method == m) & (df.model == row.model) & (df.fraction == row.fraction)].sort_values("seed")
        a, b = pick(row.method)["test_accuracy"].to_numpy(), pick("random")["test_accuracy"].to_numpy()
        assert row.p_value == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-10, abs=1e-15)
        assert row["std"] == pytest.approx(np.std(a, ddof=1))


def test_pairs_only_matching_seeds_and_fewer_than_two_pairs():
    df = results(n_seeds=4)
    df = df[~((df.method == "win") & (df.seed >= 1) & (df.model == "cnn"))]  # cnn/win: only seed 0 left
    df = df[~((df.method == "random") & (df.seed == 3) & (df.model == "transfer"))]  # transfer: seed 3 unpaired
    out = compare(df)
    cnn_win = out.query("model == 'cnn' and method == 'win'")
    assert (cnn_win["n_pairs"] == 1).all() and cnn_win["p_value"].isna().all() and cnn_win["diff_ci_low"].isna().all()
    assert set(cnn_win["verdict"]) == {"no test"}  # one seed pair: no test is possible, not a tie
    assert (out.query("model == 'transfer'")["n_pairs"] == 3).all()


def test_bootstrap_is_seeded_and_sensible():
    d = np.random.default_rng(0).normal(0.02, 0.01, 8)
    assert bootstrap_ci(d, 2000, seed=1) == bootstrap_ci(d, 2000, seed=1)
    lo, hi = bootstrap_ci(d, 5000)
    assert lo < d.mean() < hi and hi - lo < 4 * d.std(ddof=1) / np.sqrt(len(d)) * 1.5
    assert np.isnan(bootstrap_ci([0.1], 100)[0])


def test_bad_inputs():
    df = results(n_seeds=2)
    with pytest.raises(ValueError, match="baseline"):
        compare(df, baseline="stratified")
    with pytest.raises(ValueError, match="metric"):
        compare(df, metric="test_nothing")
    dup = pd.concat([df, df.assign(cell_id=df.cell_id + "-other-settings")])
    with pytest.raises(ValueError, match="one run per seed"):
        compare(dup)
    assert len(load_results([df, df])) == len(df)  # the same cells read twice count once


def test_cli_compare_writes_markdown_and_csv(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    results(n_seeds=4).to_csv(tmp_path / "run" / "results.csv", index=False)
    # the command's entry point, as a user runs it (tests.conftest.coreset_nb)
    res = coreset_nb(*["compare", str(tmp_path / "run"), "--baseline", "random", "--out", str(tmp_path / "cmp.md"), "--n-boot", "1000"])
    assert res.returncode == 0, res.stderr
    assert "win" in res.stdout and "loss" in res.stdout and "0.005" in res.stdout
    md = (tmp_path / "cmp.md").read_text()
    assert md.startswith("# test_accuracy") and "| model" in md
    # the same entry point in-process (fast): CSV output and one-line errors
    from coreset_nb.cli import main
    assert main(["compare", str(tmp_path / "run" / "results.csv"), "--metric", "test_f1_macro", "--out", str(tmp_path / "cmp.csv")]) == 0
    table = pd.read_csv(tmp_path / "cmp.csv")
    assert list(table.columns) == COLUMNS and len(table) == 2 * 3 * len(FRACTIONS)
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "nope.csv")]) == 1
    assert "results not found" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "run"), "--baseline", "medoids"]) == 1
    assert "baseline 'medoids' not in the results" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "run"), "--out", str(tmp_path / "cmp.txt")]) == 1
    assert not (tmp_path / "cmp.txt").exists()


def test_shipped_full_pbc_verdicts_are_the_committed_grids():
    "assets/full_pbc_verdicts.csv (what `reproduce` compares a run with) is what `make full-pbc-verdicts` makes from results/."
    import tempfile
    import sys
    from coreset_nb.reproduce import REFERENCE_VERDICTS
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "tests"))
    from tests.test_reporting import make_tables  # tools/make_tables.py (repository upkeep) as a module
    write_reference_verdicts = make_tables.write_reference_verdicts
    with tempfile.TemporaryDirectory() as tmp:
        fresh = pd.read_csv(write_reference_verdicts(root / "results", Path(tmp) / "v.csv"))
    pd.testing.assert_frame_equal(fresh, pd.read_csv(REFERENCE_VERDICTS))
    assert {"cnn-selectors-lownoise", "leaderboard-pbc"} == set(fresh.grid) and fresh.verdict.isin(["win", "tie", "loss"]).all()
