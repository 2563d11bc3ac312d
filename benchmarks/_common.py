"""Shared by the benchmark scripts: write a results CSV the same way everywhere."""
import csv
from pathlib import Path


def write_rows(path, rows) -> Path:
    "Write dict rows (same keys) to a CSV at `path`, creating its folder; returns the path."
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
