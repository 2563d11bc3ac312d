"""The notebooks' check (`make test-nbs`: pytest --nbval): each notebook runs in a fresh kernel and every cell's output
must equal its committed output (nbs/nbval_sanitize.cfg masks only what a notebook marks as timing).

Cells that nbdev's test skips (`#| slow`, `#| notest`, `#| eval: false`) are skipped here too: tools/run_notebooks.py
(`make nbs`) does not run them either, so they carry no committed output."""
import pytest

SKIP_FLAGS = ("#| slow", "#| notest", "#| eval: false", "#|eval: false")


def pytest_collection_modifyitems(config, items):
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None: continue
        if any(line.strip().startswith(SKIP_FLAGS) for line in cell.source.splitlines()):
            item.add_marker(pytest.mark.skip(reason="nbdev flag: run by `make test-slow`"))
        # nbdev_clean drops execution counts, and nbval would take every cell for unrun and compare nothing; every
        # committed notebook is a complete run (`make nbs`), so an empty committed output is an output too.
        cell.execution_count = 1
