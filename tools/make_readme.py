"""Regenerate the README's walk-through of the method from `nbs/index.ipynb` and its committed outputs (`make nbs` ran it).

    python tools/make_readme.py          # or: make readme — converts the notebook, rewrites the README section
    python tools/make_readme.py --check  # exit 1 if the README's section or nbs/index_files/ differ from the conversion

The section lies between `<!-- index:start -->` and `<!-- index:end -->`; the notebook's figures are written to
`nbs/index_files/`. Nothing is executed: the outputs are the notebook's committed ones, which `make test` checks.
"""
import argparse
import sys
from pathlib import Path

import nbformat

from make_tables import replace_section  # tools/make_tables.py: the one way a README section is rewritten

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK, README, FIGURES = ROOT / "nbs" / "index.ipynb", ROOT / "README.md", ROOT / "nbs" / "index_files"
START, END = "<!-- index:start -->", "<!-- index:end -->"
NOTE = "*Generated from [`nbs/index.ipynb`](nbs/index.ipynb) and its committed outputs by `make readme`.*"


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
    "The notebook with its committed outputs as Markdown (title and hidden cells dropped) and its figures {file name: bytes}."
    from nbconvert import MarkdownExporter
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.metadata["language_info"] = {"name": "python"}  # nbdev_clean drops it; code blocks are marked python again
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source.lstrip().startswith("#| hide"))]
    for c in nb.cells:
        if c.cell_type != "code": continue
        c.outputs = [o for o in c.outputs if o.get("name") != "stderr"]  # log lines are not part of the page
        for o in c.outputs:  # tables as their plain-text form: HTML tables with style blocks read badly on a README
            if "text/html" in o.get("data", {}) and "text/plain" in o["data"]: del o["data"]["text/html"]
    body, resources = MarkdownExporter().from_notebook_node(nb, resources={"output_files_dir": "nbs/index_files"})
    title, rest = body.lstrip().split("\n", 1)  # the notebook's title becomes a section of the README
    return f"#{title}\n\n{NOTE}\n{rest}", resources.get("outputs", {})


def section(text: str) -> str:
    "The README's generated section (between the markers)."
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") if START in text else ""


def out_of_date() -> list:
    "What differs from a fresh conversion: the README's section, and each figure of nbs/index_files/."
    body, figures = render()
    stale = [] if section(README.read_text()) == body.strip("\n") else ["README.md's index section"]
    on_disk = {str(p.relative_to(ROOT)): p.read_bytes() for p in FIGURES.glob("*")}
    return stale + sorted(name for name in set(figures) | set(on_disk) if figures.get(name) != on_disk.get(name))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="do not execute; exit 1 if the README's section is out of date")
    if p.parse_args(argv).check:
        stale = out_of_date()
        if stale: print(f"out of date with nbs/index.ipynb (run `make readme`): {', '.join(stale)}", file=sys.stderr)
        return 1 if stale else 0
    body, figures = render()
    FIGURES.mkdir(exist_ok=True)
    for old in FIGURES.glob("*"): old.unlink()
    for name, data in figures.items(): (ROOT / name).write_bytes(data)
    README.write_text(replace_section(README.read_text(), "index", body))
    print(f"-> README.md ({len(figures)} figure(s) in {FIGURES.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
