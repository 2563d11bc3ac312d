"""The notebooks' check (`make test-nbs`: pytest --nbval): each notebook runs in a fresh kernel and every cell's output
must equal its committed output (nbs/nbval_sanitize.cfg masks only what a notebook marks as timing).

Cells that nbdev's test skips (`#| slow`, `#| notest`, `#| eval: false`) are skipped here too: tools/run_notebooks.py
(`make nbs`) does not run them either, so they carry no committed output."""
import importlib.util
import os
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("run_notebooks", Path(__file__).resolve().parents[1] / "tools" / "run_notebooks.py")
_runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_runner)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """A notebook's kernel starts in its first cell's setup, with the environment `make nbs` ran the notebooks in
    (tools/run_notebooks.py): one thread, nbdev's IN_TEST, and the IPython profile that keeps TensorFlow's C++ log lines
    out of the outputs. Only the kernel gets it: the tests of tests/, in the same session, see the environment unchanged."""
    if getattr(item, "cell", None) is None:
        yield; return
    saved = dict(os.environ)
    os.environ.update(_runner.kernel_environment(), IN_TEST="1")
    try: yield
    finally: os.environ.clear(); os.environ.update(saved)


def pytest_collection_modifyitems(config, items):
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None: continue
        if _runner.skipped(cell):
            item.add_marker(pytest.mark.skip(reason="nbdev flag: run by `make test-slow`"))
        # nbdev_clean drops execution counts, and nbval would take every cell for unrun and compare nothing; every
        # committed notebook is a complete run (`make nbs`), so an empty committed output is an output too.
        cell.execution_count = 1
