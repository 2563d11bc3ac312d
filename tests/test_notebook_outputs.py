"""The notebooks as committed: every one carries the outputs of a run on the shipped data (`make nbs`), the paper's
notebooks show figures, each export is followed by a check whose output shows its result, export cells stay short, and
the check that `make test` runs (nbval, `make test-nbs`) fails on a committed output that is no longer true, naming the
notebook and the cell."""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import load_tool

REPO = Path(__file__).resolve().parents[1]
NBS = REPO / "nbs"


rhythm, runner = load_tool("notebook_rhythm"), load_tool("run_notebooks")
NOTEBOOKS = sorted(NBS.glob("*.ipynb"))


def section(name):
    sidebar = yaml.safe_load((NBS / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    return next(e["contents"] for e in sidebar if isinstance(e, dict) and e["section"] == name)


def test_every_notebook_of_the_papers_method_shows_a_figure():
    counts = {nb: rhythm.figures(NBS / nb) for nb in section("The paper's method")}
    assert {nb: n for nb, n in counts.items() if n == 0} == {}


def test_every_export_is_followed_by_a_check_that_shows_its_result():
    unchecked = {p.name: rhythm.unchecked_exports(p) for p in NOTEBOOKS}
    assert {name: cells for name, cells in unchecked.items() if cells} == {}


def test_export_cells_are_short():
    lines = {p.name: rhythm.export_lines(p) for p in NOTEBOOKS}
    everything = [n for per_notebook in lines.values() for n in per_notebook]
    assert statistics.median(everything) <= 12
    assert {name: [n for n in ns if n > 40] for name, ns in lines.items() if any(n > 40 for n in ns)} == {}


def test_the_committed_outputs_take_at_most_8_mb():
    size = sum(len(json.dumps(c.get("outputs", []))) for p in NOTEBOOKS for c in rhythm.code_cells(p))
    assert size <= 8e6, f"{size / 1e6:.1f} MB of outputs"


def nbval(folder: Path, *notebooks: str):
    "Run `make test-nbs`'s check on notebooks of `folder` (a copy of nbs/ with its conftest and sanitizer, tools/ beside)."
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
                           str(folder / "nbval_sanitize.cfg"), *(str(folder / nb) for nb in notebooks), "-q", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "--rootdir", str(folder)], capture_output=True, text=True, cwd=folder, timeout=300,
                          env={**os.environ, **runner.kernel_environment()})


@pytest.fixture
def checked_copy(tmp_path):
    """The smallest checked notebook (nbs/00f_plotted) twice, as committed and as `changed.ipynb`, with nbs/'s conftest and
    sanitizer, and the runner: one run of the check sees both."""
    (tmp_path / "nbs").mkdir(); (tmp_path / "tools").mkdir()
    for name in ("00f_plotted.ipynb", "conftest.py", "nbval_sanitize.cfg"): shutil.copy(NBS / name, tmp_path / "nbs" / name)
    shutil.copy(NBS / "00f_plotted.ipynb", tmp_path / "nbs" / "changed.ipynb")
    shutil.copy(REPO / "tools" / "run_notebooks.py", tmp_path / "tools")
    return tmp_path / "nbs"


def edit_first_output(path: Path, change) -> int:
    "Apply `change` to the first committed text output that it changes; return the cell's index among code cells."
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            key, text = ("text", out["text"]) if "text" in out else ("text/plain", out.get("data", {}).get("text/plain"))
            text = "".join(text) if isinstance(text, list) else text
            if text and change(text) != text:
                (out if key == "text" else out["data"])[key] = change(text)
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False))
                return i
    raise AssertionError("no output to change")


def test_a_changed_digit_in_a_committed_output_fails_naming_notebook_and_cell(checked_copy):
    "The committed notebook passes the check; the same notebook with one digit of one output changed fails, at that cell only."
    one_digit = lambda text: re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), text, count=1)
    cell = edit_first_output(checked_copy / "changed.ipynb", one_digit)
    run = nbval(checked_copy, "00f_plotted.ipynb", "changed.ipynb")
    assert run.returncode != 0
    assert re.findall(r"^FAILED (.*?)(?: - .*)?$", run.stdout, re.M) == [f"changed.ipynb::Cell {cell}"], run.stdout[-3000:]
    cells = len(rhythm.code_cells(checked_copy / "00f_plotted.ipynb"))  # every other cell of both copies passed
    assert re.match(rf"1 failed, {2 * cells - 1} passed in ", run.stdout.strip().splitlines()[-1]), run.stdout[-3000:]


def test_only_what_a_notebook_marks_as_timing_is_masked(checked_copy):
    cfg = (checked_copy / "nbval_sanitize.cfg").read_text()
    assert re.findall(r"^regex: (.*)$", cfg, re.M) == ["⏱[^\\n]*"]


def test_no_committed_output_names_this_machine():
    "Outputs are compared on any clone: a path of this checkout, the virtualenv or a temporary folder would not match."
    marks = (str(REPO), "site-packages", "/tmp/tmp", "/root/")  # mkdtemp names start with tmp
    found = {p.name: sorted({m for c in rhythm.code_cells(p) for m in marks if m in json.dumps(c.get("outputs", []))})
             for p in NOTEBOOKS}
    assert {name: m for name, m in found.items() if m} == {}


def test_rerunning_keeps_a_committed_timing_when_nothing_else_changed():
    "`make nbs` keeps a committed output that differs only in what the check masks, so a rerun leaves git status clean."
    import nbformat
    def notebook(*texts):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("run()", id="c1")]
        nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in texts]
        return nb
    committed = notebook("features ⏱ 13.45 ms per image\n", "accuracy 0.91\n")
    rerun = runner.keep_committed_timings(committed, notebook("features ⏱ 17.09 ms per image\n", "accuracy 0.91\n"))
    assert [o.text for o in rerun.cells[0].outputs] == ["features ⏱ 13.45 ms per image\n", "accuracy 0.91\n"]
    changed = runner.keep_committed_timings(committed, notebook("features ⏱ 17.09 ms per image\n", "accuracy 0.92\n"))
    assert [o.text for o in changed.cells[0].outputs] == ["features ⏱ 13.45 ms per image\n", "accuracy 0.92\n"]  # a number changed: it shows
