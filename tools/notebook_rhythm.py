"""How the notebooks keep the fastcore rhythm: small export cells, each followed by a check that shows its result.

    python tools/notebook_rhythm.py                      # every notebook of nbs/: statistics and violations
    python tools/notebook_rhythm.py nbs/03_cluster.ipynb # some notebooks

An export cell is a code cell with `#| export`. One that holds only imports defines nothing to check; every other export
cell must be followed by a code cell without `#| export` that carries an output (the committed result of a live call).
tests/test_notebook_outputs.py asserts on the same numbers.
"""
import ast
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
EXPORT = re.compile(r"^#\|\s*export\b", re.M)


def code_cells(path: Path) -> list:
    return [c for c in json.loads(Path(path).read_text())["cells"] if c["cell_type"] == "code"]


def source(cell) -> str:
    return "".join(cell["source"])


def is_export(cell) -> bool:
    return bool(EXPORT.search(source(cell)))


def only_imports(cell) -> bool:
    "An export cell that defines nothing (imports, `from __future__`, comments)."
    body = "\n".join(l for l in source(cell).splitlines() if not l.lstrip().startswith("#|"))
    try: return all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.parse(body).body)
    except SyntaxError: return False


def export_lines(path: Path) -> list:
    "The number of lines of each export cell (directive lines included, as a reader sees the cell)."
    return [len(source(c).strip().splitlines()) for c in code_cells(path) if is_export(c)]


def unchecked_exports(path: Path) -> list:
    "The export cells (by index among code cells) not followed by a non-export code cell with an output."
    cells, bad = code_cells(path), []
    for i, cell in enumerate(cells):
        if not is_export(cell) or only_imports(cell): continue
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        if nxt is None or is_export(nxt) or not nxt.get("outputs"): bad.append(i)
    return bad


def figures(path: Path) -> int:
    "How many images the notebook's committed outputs hold."
    return sum("image/png" in o.get("data", {}) for c in code_cells(path) for o in c.get("outputs", []))


def main(paths):
    paths = [Path(p) for p in paths] or sorted(NBS.glob("*.ipynb"))
    everything = []
    for p in paths:
        lines, bad = export_lines(p), unchecked_exports(p)
        everything += lines
        long = [n for n in lines if n > 40]
        print(f"{p.name:32} exports {len(lines):3}  median {statistics.median(lines) if lines else 0:5.1f}  "
              f"over 40: {len(long)}  unchecked: {len(bad)} {bad if bad else ''}  figures: {figures(p)}")
    if everything:
        print(f"all: {len(everything)} export cells, median {statistics.median(everything)} lines, "
              f"{sum(n > 40 for n in everything)} over 40")


if __name__ == "__main__":
    main(sys.argv[1:])
