"""Build the docs site from the notebooks with MkDocs and mkdocs-jupyter (no Quarto needed).

    python tools/make_docs.py            # or: make docs — writes _mkdocs/ (staged notebooks, mkdocs.yml), then _site/
    python tools/make_docs.py --nav      # print the navigation (from nbs/sidebar.yml) and exit
    python tools/make_docs.py --requirements  # print settings.ini's docs_requirements (what `make docs` installs)

One source for the reading order: the navigation is generated from `nbs/sidebar.yml` (nbdev's sidebar, which nbdev's
own Quarto docs use too): `index`, then the paper's notebooks, then how the package runs them, then the extensions.
Nothing is executed here: every notebook is committed with the outputs of a run on the shipped data (`make nbs`), and
`make test` checks that those outputs are still what the code produces. Each page shows them; PNG figures are written as
files beside the page (`_site/<notebook>_files/`). Cells nbdev hides (`#| hide`) are left out, and `#|` directive lines
are dropped from the cells shown, as nbdev does.
"""
import argparse
import base64
import os
import shutil
import subprocess
import sys
import time
from configparser import ConfigParser
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
NBS, SIDEBAR = ROOT / "nbs", ROOT / "nbs" / "sidebar.yml"
STAGE, SITE = ROOT / "_mkdocs", ROOT / "_site"  # both gitignored; nbdev's own doc_path (_docs) is left to Quarto
EXTRA_CSS = ".md-grid { max-width: 90rem; }  /* notebook code is wide: a wider page than Material's 61rem */\n"


def settings() -> dict:
    config = ConfigParser(delimiters=["="])
    config.read(ROOT / "settings.ini", encoding="utf-8")
    return dict(config["DEFAULT"])


def sidebar_contents(path: Path = SIDEBAR) -> list:
    "nbdev's sidebar: `website.sidebar.contents`, notebook names and `{section, contents}` entries."
    return yaml.safe_load(path.read_text())["website"]["sidebar"]["contents"]


def flatten(contents) -> list:
    "The notebooks of a sidebar or nav, in order (file names)."
    out = []
    for entry in contents:
        if isinstance(entry, str): out.append(entry)
        elif "contents" in entry: out += flatten(entry["contents"])  # a sidebar section
        else:
            (value,) = entry.values()  # a nav entry: {title: file} or {section: [...]}
            out += flatten(value) if isinstance(value, list) else [value]
    return out


def notebook_title(name: str) -> str:
    "The notebook's title: its first `# ` heading (as nbdev takes it), else its file name."
    for cell in nbformat.read(NBS / name, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "): return line[2:].strip()
    return Path(name).stem


def nav(contents=None) -> list:
    "MkDocs' `nav`, generated from nbs/sidebar.yml: the same notebooks in the same order, under the same sections."
    entries = []
    for entry in sidebar_contents() if contents is None else contents:
        if isinstance(entry, str): entries.append({notebook_title(entry): entry})
        else: entries.append({entry["section"]: nav(entry["contents"])})
    return entries


def mkdocs_config(site_dir: Path = SITE) -> dict:
    cfg = settings()
    return {
        "site_name": cfg["title"],
        "site_description": cfg["description"],
        "site_url": cfg["doc_host"].rstrip("/") + cfg["doc_baseurl"].rstrip("/") + "/",
        "repo_url": cfg["git_url"],
        "edit_uri": f"blob/{cfg['branch']}/nbs/",
        "docs_dir": "docs",
        "site_dir": str(site_dir),
        "theme": {"name": "material", "font": False,  # no Google Fonts: the site works offline
                  "features": ["navigation.sections", "navigation.footer"]},
        "nav": nav(),
        "plugins": [{"search": {}}, {"mkdocs-jupyter": {
            "include": ["*.ipynb"], "execute": False,  # the committed outputs are shown (`make nbs` made them)
            "include_source": True, "allow_errors": False, "no_prompt": True}}],
        "extra_css": ["extra.css"],
        "markdown_extensions": ["admonition", "tables"],
    }


def shown(nb):
    "The notebook as nbdev's docs show it: `#| hide` cells removed, `#|` directive lines dropped from code cells."
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            if any(line.replace(" ", "").startswith("#|hide") for line in lines): continue
            cell.source = "\n".join(line for line in lines if not line.lstrip().startswith("#|")).strip("\n")
            if not cell.source: continue
        cells.append(cell)
    nb.cells = cells
    return nb


def figures_as_files(nb, docs: Path, stem: str):
    "The notebook's committed PNG outputs become files `<stem>_files/*.png` beside its page; log lines (stderr) are left out."
    figures = docs / f"{stem}_files"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code": continue
        cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
        for j, out in enumerate(cell.outputs):
            data = out.get("data", {})
            if "image/png" not in data: continue
            figures.mkdir(exist_ok=True)
            name = f"output_{i}_{j}.png"
            (figures / name).write_bytes(base64.b64decode(data["image/png"]))
            page_dir = "" if stem == "index" else "../"  # MkDocs serves page X at X/, the files beside it at X_files/
            out["data"] = {"text/html": f'<img src="{page_dir}{stem}_files/{name}" alt="figure of {stem}, cell {i}">'}  # a file, not a data URI
    return nb


def stage(stage_dir: Path = STAGE, site_dir: Path = SITE) -> Path:
    "Write the site's sources: the notebooks of the sidebar (as shown, with their committed outputs) and mkdocs.yml."
    if stage_dir.exists(): shutil.rmtree(stage_dir)
    docs = stage_dir / "docs"
    docs.mkdir(parents=True)
    for name in flatten(sidebar_contents()):
        nb = figures_as_files(shown(nbformat.read(NBS / name, as_version=4)), docs, Path(name).stem)
        nbformat.write(nb, docs / name)
    (docs / "extra.css").write_text(EXTRA_CSS)
    config = stage_dir / "mkdocs.yml"
    config.write_text(yaml.safe_dump(mkdocs_config(site_dir), sort_keys=False, allow_unicode=True))
    return config


def build(stage_dir: Path = STAGE, site_dir: Path = SITE) -> Path:
    config = stage(stage_dir, site_dir)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--clean", "-q", "-f", str(config)], check=True, cwd=stage_dir, env=env)
    return site_dir


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nav", action="store_true", help="print the navigation generated from nbs/sidebar.yml")
    p.add_argument("--requirements", action="store_true", help="print settings.ini's docs_requirements")
    p.add_argument("--site", type=Path, default=SITE, help="output folder (default: _site/)")
    args = p.parse_args(argv)
    if args.requirements: print(settings()["docs_requirements"]); return 0
    if args.nav: print(yaml.safe_dump(nav(), sort_keys=False, allow_unicode=True)); return 0
    start = time.time()
    site = build(site_dir=args.site.resolve())
    print(f"-> {site} ({time.time() - start:.0f} s); open {site / 'index.html'} or run "
          f"`python -m http.server -d {site}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
