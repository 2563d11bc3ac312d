"""Regenerate the README's walk-through of the method from `nbs/index.ipynb` (executed, then converted to Markdown).

    python tools/make_readme.py          # or: make readme — executes the notebook (~30 s), rewrites the README section
    python tools/make_readme.py --check  # exit 1 if the README's section no longer holds the notebook's text and code

The section lies between `<!-- index:start -->` and `<!-- index:end -->`; the notebook's figures are written to
`nbs/index_files/`. `--check` does not execute anything: it checks that every Markdown cell and every shown code cell
of the notebook appears in the section, in order (outputs are as of the last `make readme`).
"""
import argparse
import sys
from pathlib import Path

import nbformat

from coreset_nb.compare import replace_section

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK, README, FIGURES = ROOT / "nbs" / "index.ipynb", ROOT / "README.md", ROOT / "nbs" / "index_files"
START, END = "<!-- index:start -->", "<!-- index:end -->"
NOTE = "*Generated from [`nbs/index.ipynb`](nbs/index.ipynb) by `make readme`: the notebook executed, then converted.*"


def shown_cells(nb) -> list:
    "The cells a reader sees: Markdown, and code cells without a `#| hide` directive, with their Markdown form."
    shown = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith("#| hide"): continue
        text = cell.source
        if cell.cell_type == "markdown" and text.startswith("# "): text = f"#{text}"  # the title, one level down in the README
        shown.append(text if cell.cell_type == "markdown" else f"```python\n{text}\n```")
    return shown


def render() -> tuple[str, dict]:
    "The executed notebook as Markdown (title and hidden cells dropped) and its figures {file name: bytes}."
    from nbclient import NotebookClient
    from nbconvert import MarkdownExporter
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source.lstrip().startswith("#| hide"))]
    for c in nb.cells:
        if c.cell_type != "code": continue
        c.outputs = [o for o in c.outputs if o.get("name") != "stderr"]  # log lines are not part of the page
        for o in c.outputs:  # tables as their plain-text form: HTML tables with style blocks read badly on a README
            if "text/html" in o.get("data", {}) and "text/plain" in o["data"]: del o["data"]["text/html"]
    body, resources = MarkdownExporter().from_notebook_node(nb, resources={"output_files_dir": "nbs/index_files"})
    title, rest = body.lstrip().split("\n", 1)  # the notebook's title becomes a section of the README
    return f"#{title}\n\n{NOTE}\n{rest}", resources.get("outputs", {})


def in_sync() -> list:
    "The shown cells of the notebook missing from (or out of order in) the README's section."
    text = README.read_text()
    section = text.split(START, 1)[1].split(END, 1)[0] if START in text else ""
    missing, at = [], 0
    for cell in shown_cells(nbformat.read(NOTEBOOK, as_version=4)):
        for part in cell.strip().split("\n\n"):  # paragraph by paragraph: the README adds a line under the title
            found = section.find(part.strip(), at)
            if found < 0: missing.append(part.strip().splitlines()[0][:70]); break
            at = found + len(part.strip())
    return missing


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="do not execute; exit 1 if the README's section is out of date")
    if p.parse_args(argv).check:
        missing = in_sync()
        if missing: print(f"README.md is out of date with nbs/index.ipynb (run `make readme`): {missing}", file=sys.stderr)
        return 1 if missing else 0
    body, figures = render()
    FIGURES.mkdir(exist_ok=True)
    for old in FIGURES.glob("*"): old.unlink()
    for name, data in figures.items(): (ROOT / name).write_bytes(data)
    README.write_text(replace_section(README.read_text(), "index", body))
    print(f"-> README.md ({len(figures)} figure(s) in {FIGURES.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
