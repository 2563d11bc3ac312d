"""Shared by the benchmark scripts: write a results CSV the same way everywhere; compare results without their timings."""
import csv
from pathlib import Path

# the columns of an experiment's results.csv that differ from run to run; every other column must be the same
TIMING = ["train_time_s", "epoch_time_s", "selection_time_s", "est_backbone_epoch_time_s", "versions"]


def without_timings(df):
    "An experiment's results without the columns of `TIMING`, index reset: what two runs of the same grid must share."
    return df.drop(columns=[c for c in TIMING if c in df]).reset_index(drop=True)


def write_rows(path, rows) -> Path:
    "Write dict rows (same keys) to a CSV at `path`, creating its folder; returns the path."
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
