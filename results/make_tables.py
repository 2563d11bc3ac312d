"""Regenerate the committed comparison tables, `results/README.md` and the README's summary from the committed results.

    python results/make_tables.py          # or: make results-tables — writes every generated file
    python results/make_tables.py --check  # exit 1 if any of them is stale (used by tests/test_results_tables.py)

The analysis is `coreset_nb.reporting` (nbs/13_reporting.ipynb); this file only runs it on this checkout.
"""
import sys
from pathlib import Path

from coreset_nb.reporting import main

if __name__ == "__main__":
    sys.exit(main([*sys.argv[1:], "--root", str(Path(__file__).resolve().parent.parent)]))
