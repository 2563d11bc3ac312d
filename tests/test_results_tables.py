"""The committed comparison tables and the README's selector section are what `results/make_tables.py` makes from
the committed `results/pbc-cpu-selectors/results.csv` — never stale, never typed in by hand."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "pbc-cpu-selectors" / "results.csv"


@pytest.mark.skipif(not RESULTS.is_file(), reason="no committed selector results")
def test_tables_and_readme_match_results():
    run = subprocess.run([sys.executable, str(ROOT / "results" / "make_tables.py"), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


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
