"""The committed comparison tables, `results/README.md` and the README's summary are what `tools/make_tables.py` makes from
the committed `results/pbc-cpu-selectors/results.csv` — never stale, never typed in by hand."""
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from tests.conftest import load_tool

make_tables = load_tool("make_tables")

RESULTS = ROOT / "results" / "pbc-cpu-selectors" / "results.csv"


@pytest.mark.skipif(not RESULTS.is_file(), reason="no committed selector results")
def test_tables_and_readme_match_results(capsys):
    "`make_tables.py --check` (what `make results-tables` would write equals what is committed), run in this process."
    assert make_tables.main(["--check", "--root", str(ROOT)]) == 0, capsys.readouterr().err


@pytest.mark.skipif(not RESULTS.is_file(), reason="no committed selector results")
def test_grid_is_the_configs_grid():
    "Every row of the committed table is a cell of configs/pbc-cpu-selectors.yaml (no stray runs of other settings)."
    import pandas as pd
    from coreset_nb.experiments import grid_cells, load_config
    cfg = load_config(ROOT / "configs" / "pbc-cpu-selectors.yaml")
    cells = {(c.model, c.method, round(c.fraction, 10), c.seed) for c in grid_cells(cfg)}
    df = pd.read_csv(RESULTS)
    rows = {(m, me, round(f, 10), s) for m, me, f, s in zip(df.model, df.method, df.fraction, df.seed)}
    assert rows <= cells and len(rows) == len(df)
    assert df["config_hash"].nunique() <= 4  # full / feature-free / feature-based cells per model at most


LEADERBOARDS = {"PBC": "leaderboard-lownoise-pbc", "BloodMNIST": "leaderboard-lownoise-bloodmnist"}


@pytest.mark.parametrize("name", sorted(LEADERBOARDS.values()))
def test_the_committed_leaderboard_is_its_configs_whole_grid(name):
    "Every selector of the registry, 0.5%-10%, 5 seeds (and the CNN block on PBC): every cell of the config, each exactly once."
    import pandas as pd
    from coreset_nb.experiments import grid_cells, load_config
    from coreset_nb.selectors import SELECTORS
    cfg = load_config(ROOT / "configs" / f"{name}.yaml")
    assert set(cfg["methods"]) == set(SELECTORS) and cfg["fractions"] == [0.005, 0.01, 0.02, 0.05, 0.1] and len(cfg["seeds"]) == 5
    df = pd.read_csv(ROOT / "results" / name / "results.csv")
    cells = {(c.model, c.method, round(c.fraction, 10), c.seed) for c in grid_cells(cfg)}
    rows = [(m, me, round(f, 10), s) for m, me, f, s in zip(df.model, df.method, df.fraction, df.seed)]
    assert set(rows) == cells and len(rows) == len(cells)


def test_the_cnn_block_runs_the_six_best_of_the_transfer_leaderboard():
    "The custom CNN runs the six best of the transfer leaderboard (lowest mean rank over both datasets), random and IS."
    from coreset_nb.experiments import load_config
    leaderboards = make_tables.leaderboards
    cnn = load_config(ROOT / "configs" / "leaderboard-lownoise-pbc.yaml")["models"]["cnn_lownoise48"]
    transfer = pd.concat([b[(b.model == "transfer_lownoise") & (b.method != "random")] for b in leaderboards(ROOT).values()])
    six = transfer.groupby("method")["rank"].mean().sort_values().index[:6]
    assert {"random", "intelligent", *six} <= set(cnn["methods"]), (cnn["methods"], list(six))
    assert cnn["fractions"] == [0.005, 0.01, 0.02, 0.05]


def test_the_recommended_selector_is_never_below_the_best():
    "At every budget <= 10% of both leaderboards and both models, the recommendation is the best or tied with it, and beats random somewhere."
    leaderboards, recommendation, recommendation_sentence = make_tables.leaderboards, make_tables.recommendation, make_tables.recommendation_sentence
    boards = leaderboards(ROOT)
    rec = recommendation(boards)
    assert rec["method"] is not None and rec["table"].loc[rec["method"], "wins"] > 0, rec["table"]
    for name, board in boards.items():
        budgets = board[board.fraction <= 0.10][["model", "fraction"]].drop_duplicates()
        mine = board[(board.method == rec["method"]) & (board.fraction <= 0.10)]
        assert len(mine) == len(budgets) and set(mine.standing) <= {"best", "tied"}, (name, mine)
    assert {m for b in boards.values() for m in b.model} == {"transfer_lownoise", "cnn_lownoise48"}
    page = (ROOT / "results" / "README.md").read_text()
    assert recommendation_sentence(rec) in page.split("<!-- leaderboard:start -->")[1].split("<!-- leaderboard:end -->")[0]
    readme = (ROOT / "README.md").read_text()  # and the README's summary says it too
    assert recommendation_sentence(rec) in readme.split("<!-- summary:start -->")[1].split("<!-- summary:end -->")[0]


def test_the_leaderboard_states_the_own_selectors_margin_over_the_best_peer():
    "results/leaderboard.md gives the package's own selector minus the best peer at every budget of every table, whatever it is."
    OWN_SELECTOR, leaderboards = make_tables.OWN_SELECTOR, make_tables.leaderboards
    text = (ROOT / "results" / "leaderboard.md").read_text()
    line = next(l for l in text.splitlines() if l.startswith(f"**The package's own `{OWN_SELECTOR}` minus the best peer"))
    boards = leaderboards(ROOT)
    n = sum(len(b[(b.fraction <= 0.10) & (b.method == OWN_SELECTOR)]) for b in boards.values())
    assert line.count("(vs `") == n >= sum(len(b[b.model == "transfer_lownoise"].fraction.unique()) for b in boards.values()), line


def test_the_leaderboard_states_the_own_selectors_margin_over_random_at_1_and_2_percent():
    "Paired, with its interval, for every table and model of the leaderboard (the CNN block included)."
    text = (ROOT / "results" / "leaderboard.md").read_text()
    line = next(l for l in text.splitlines() if l.startswith(f"**The package's own `{make_tables.OWN_SELECTOR}` minus random**"))
    for part in ("PBC 1%: ", "PBC 2%: ", "PBC CNN 1%: ", "PBC CNN 2%: ", "BloodMNIST 1%: ", "BloodMNIST 2%: "): assert part in line, part
    assert line.split("): ", 1)[1].count(" ± ") == 6, line  # one interval per table, model and budget


@pytest.mark.parametrize("name", sorted(make_tables.ROBUSTNESS))
def test_each_robustness_grid_is_in_the_leaderboard_with_its_verdict_and_flipped_picks(name):
    "A committed robustness grid: its cells are its config's, its corruption is recorded, and leaderboard.md shows it."
    from coreset_nb.experiments import grid_cells, load_config
    folder = ROOT / "results" / make_tables.ROBUSTNESS[name]
    if not (folder / "results.csv").is_file(): pytest.skip(f"{folder.name} is not run yet (make robustness)")
    cfg = load_config(ROOT / "configs" / f"{folder.name}.yaml")
    df = pd.read_csv(folder / "results.csv")
    cells = {(c.model, c.method, round(c.fraction, 10), c.seed) for c in grid_cells(cfg)}
    rows = [(m, me, round(f, 10), s) for m, me, f, s in zip(df.model, df.method, df.fraction, df.seed)]
    assert set(rows) <= cells and len(rows) == len(set(rows))
    record = json.loads((folder / "corruption.json").read_text())
    assert record["corruption"] == cfg["corruption"] and set(df.pool_size) == {len(record["rows"])}
    text = (ROOT / "results" / "leaderboard.md").read_text()
    assert f"**{name}, transfer model**" in text and any(l.startswith(f"- {name}: ") for l in text.splitlines())
    if set(rows) == cells: assert f"**{name}, transfer model** (test accuracy %, difference from random in points) — 5 seed pairs per cell." in text
    if cfg["corruption"]["label_noise"]:
        assert set(df.pool_flipped) == {len(record["flipped_rows"])} == {round(cfg["corruption"]["label_noise"] * len(record["rows"]))}
        assert f"Flipped images in the coreset, {name}" in text
        random = df[df.method == "random"]  # uniform draws hold the pool's share of flipped images, on average
        assert abs((random.n_flipped / random.n_coreset).mean() - cfg["corruption"]["label_noise"]) < 0.05


def test_readme_holds_the_index_notebook(capsys):
    "The README's one-page walk-through is `nbs/index.ipynb` (`make readme`): every shown cell, in order."
    make_readme = load_tool("make_readme")
    assert make_readme.main(["--check"]) == 0, capsys.readouterr().err


LOWNOISE = ROOT / "results" / "cnn-selectors-lownoise" / "results.csv"


@pytest.mark.skipif(not LOWNOISE.is_file(), reason="no committed low-noise grid")
def test_the_cnn_verdict_is_the_low_noise_grids():
    "results/README.md's verdict paragraphs for both models are made from the committed low-noise grid, with its cell counts."
    import pandas as pd
    from coreset_nb.experiments import grid_cells, load_config
    df = pd.read_csv(LOWNOISE)
    cells = grid_cells(load_config(ROOT / "configs" / "cnn-selectors-lownoise.yaml"))
    rows = {(m, me, round(f, 10), s) for m, me, f, s in zip(df.model, df.method, df.fraction, df.seed)}
    assert rows <= {(c.model, c.method, round(c.fraction, 10), c.seed) for c in cells} and len(rows) == len(df)
    summary = (ROOT / "results" / "README.md").read_text().split("<!-- lownoise:start -->")[1].split("<!-- lownoise:end -->")[0]
    n_cnn = sum(c.model == "cnn_lownoise" for c in cells)
    assert f"custom CNN: {int((df.model == 'cnn_lownoise').sum())} of {n_cnn} cells" in summary
    assert "**Custom CNN, low-noise protocol (" in summary
    if (df.model == "transfer_lownoise").any(): assert "**Transfer model, low-noise protocol (" in summary


def test_the_committed_low_noise_grid_decides_from_2_percent_up():
    """Read from the paired table a user opens (results/cnn-selectors-lownoise/compare.csv): for
    both models, every selector × budget cell from 2% up has at least 8 seed pairs and a 95% CI half-width on its
    difference with random of at most 3 points, and each model has its 100% reference."""
    import pandas as pd
    table = pd.read_csv(LOWNOISE.parent / "compare.csv")
    wide = table[table.fraction >= 0.02 - 1e-9]
    assert set(wide.model) == {"cnn_lownoise", "transfer_lownoise"}
    assert set(wide.method) == {"stratified", "intelligent", "medoids", "hybrid"} and set(wide.fraction.round(4)) == {0.02, 0.05, 0.1, 0.25}
    assert (wide.n_pairs >= 8).all(), wide[wide.n_pairs < 8][["model", "method", "fraction", "n_pairs"]]
    assert (100 * wide.diff_t_halfwidth <= 3).all(), wide[100 * wide.diff_t_halfwidth > 3]
    df = pd.read_csv(LOWNOISE)
    assert set(df[df.method == "full"].model) == {"cnn_lownoise", "transfer_lownoise"}


def test_every_selector_runs_at_a_million_points_in_bounded_time_and_memory():
    "The committed registry benchmark: every registered selector at 1% of a 1,000,000-point class, <= 10 min and <= 4 GB."
    from coreset_nb.selectors import SELECTORS
    t = pd.read_csv(ROOT / "benchmarks" / "results" / "selection_at_scale_registry.csv")
    t = t[t.phase == 1_000_000].set_index("selector")
    assert set(SELECTORS) <= set(t.index), sorted(set(SELECTORS) - set(t.index))
    assert (t.seconds <= 600).all() and (t.peak_gb <= 4).all(), t[(t.seconds > 600) | (t.peak_gb > 4)]
