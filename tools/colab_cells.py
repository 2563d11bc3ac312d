"""Generate every notebook's Colab cells from `settings.ini`: the Open-in-Colab badge and the install cell.

    python tools/colab_cells.py          # or: make colab — rewrite the notebooks (and README badges) that differ
    python tools/colab_cells.py --check  # exit 1 listing each notebook whose badge or install cell differs

The badge opens `https://colab.research.google.com/github/<user>/<repo>/blob/<branch>/<notebook path>`; the install cell
runs `pip install git+<git_url>@<branch>` only inside Colab, so the library installed is the one of the notebook opened.
Only these two pieces are written: every other byte of a notebook stays as it is.

- `nbs/*.ipynb`: the first cell is the hidden install cell; the badge is a line of the title cell (`# Title`, `> summary`).
- `paper_figures/*.ipynb` (papermill notebooks): the first cell is the badge, the second the install cell.
- `README.md`: every Colab badge link is regenerated for the notebook it names.
"""
import argparse
import hashlib
import json
import re
import sys
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_URL = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]+?/blob/[^/)\s]+/(?P<path>[^)\s]+\.ipynb)")
IN_COLAB = 'if "google.colab" in sys.modules:'
INSTALL_HEADERS = {  # the lines above the pip call, per kind of notebook (their current form)
    "nbs": ["#| hide",
            "# In Colab, install {lib} first (locally, `make install` did it). pip keeps Colab's TensorFlow when it satisfies",
            "# {tf} (README: Colab); TensorFlow uses the GPU when one is present.",
            "import subprocess, sys",
            IN_COLAB],
    "paper_figures": ["import subprocess, sys",
                      IN_COLAB + "  # on Colab, install the package first (locally it is already installed)"],
}


def read_settings(path=ROOT / "settings.ini") -> dict:
    "`git_url`, `user`, `repo`, `branch`, `lib_name` and the TensorFlow requirement of settings.ini's DEFAULT section."
    config = ConfigParser(delimiters=["="])
    if not config.read(path, encoding="utf-8"): raise FileNotFoundError(f"no settings file: {path}")
    cfg = config["DEFAULT"]
    s = dict(git_url=cfg["git_url"].rstrip("/"), user=cfg["user"], repo=cfg.get("repo", cfg["lib_name"]),
             branch=cfg["branch"], lib=cfg["lib_name"],
             tf=next((r for r in cfg.get("requirements", "").split() if re.match(r"tensorflow\b(?![-_])", r)), "tensorflow"))
    if s["git_url"].removesuffix(".git").lower() != f"https://github.com/{s['user']}/{s['repo']}".lower():
        raise ValueError(f"{path}: git_url = {s['git_url']} is not https://github.com/<user>/<repo> "
                         f"(user = {s['user']}, repo = {s['repo']}); Colab opens notebooks from that GitHub repository")
    return s


def badge(s: dict, path: str) -> str:
    "The Open-in-Colab badge of the notebook at `path` (relative to the repository root)."
    return f"[![Open In Colab]({BADGE_SVG})](https://colab.research.google.com/github/{s['user']}/{s['repo']}/blob/{s['branch']}/{path})"


def pip_target(s: dict) -> str:
    "What the install cell passes to pip: the repository at the branch the badges open."
    return f"git+{s['git_url']}@{s['branch']}"


def install_cell(s: dict, kind: str) -> str:
    "The install cell's source for a notebook of `nbs/` or `paper_figures/`."
    call = f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{pip_target(s)}"], check=True)'
    return "\n".join([*(line.format(**s) for line in INSTALL_HEADERS[kind]), call])


def _text(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _set(cell, text: str) -> bool:
    "Give `cell` the source `text` (as a list of lines, the way the notebooks store it); False if it already had it."
    if _text(cell) == text: return False
    cell["source"] = text.splitlines(keepends=True)
    return True


def _new_cell(kind: str, path: str, text: str, n: int) -> dict:
    cell = dict(cell_type=kind, execution_count=None, id=hashlib.sha1(f"{path}:{n}".encode()).hexdigest()[:8],
                metadata={}, outputs=[], source=text.splitlines(keepends=True))
    if kind == "markdown": del cell["execution_count"], cell["outputs"]
    return cell


def _is_install(cell) -> bool:
    return cell["cell_type"] == "code" and IN_COLAB in _text(cell)


def _with_badge(text: str, line: str) -> str:
    "A title cell's text with its badge line replaced by `line`, or `line` added as a paragraph after the summary."
    lines = text.split("\n")
    at = [i for i, l in enumerate(lines) if BADGE_SVG in l or COLAB_URL.search(l)]
    if at:
        lines[at[0]] = line
        return "\n".join(lines)
    end = next((i for i, l in enumerate(lines) if l.startswith(">")), 0)  # the summary, else the title line
    while end + 1 < len(lines) and lines[end + 1].strip(): end += 1     # to the end of its paragraph
    return "\n".join(lines[:end + 1] + ["", line] + lines[end + 1:])


def update(nb: dict, path: str, s: dict) -> bool:
    "Put the generated badge and install cell into notebook `nb` (at `path`, relative to the root); True if it changed."
    cells, changed = nb["cells"], False
    kind = path.split("/")[0]
    if kind == "nbs":
        if not (cells and _is_install(cells[0])):
            cells.insert(0, _new_cell("code", path, "", 0)); changed = True
        changed |= _set(cells[0], install_cell(s, kind))
        title = next((c for c in cells if c["cell_type"] == "markdown" and _text(c).startswith("# ")), None)
        if title is None: raise ValueError(f"{path}: no title cell (`# Title`) to hold the Colab badge")
        changed |= _set(title, _with_badge(_text(title), badge(s, path)))
    elif kind == "paper_figures":
        if not (cells and cells[0]["cell_type"] == "markdown" and BADGE_SVG in _text(cells[0])):
            cells.insert(0, _new_cell("markdown", path, "", 0)); changed = True
        changed |= _set(cells[0], badge(s, path))
        if not (len(cells) > 1 and _is_install(cells[1])):
            cells.insert(1, _new_cell("code", path, "", 1)); changed = True
        changed |= _set(cells[1], install_cell(s, kind))
    else:
        raise ValueError(f"{path}: not a notebook of nbs/ or paper_figures/")
    return changed


def notebooks(root: Path) -> list:
    "The notebooks that carry Colab cells, relative to `root`."
    return sorted(p.relative_to(root).as_posix() for d in INSTALL_HEADERS for p in (root / d).glob("*.ipynb"))


def readme_badges(text: str, s: dict) -> str:
    "README text with every Colab link regenerated for the notebook it names."
    return COLAB_URL.sub(lambda m: badge(s, m["path"]).rsplit("](", 1)[1][:-1], text)


def run(root: Path = ROOT, settings: Path | None = None, check: bool = False) -> list:
    "Rewrite (or with `check`, only compare) the Colab cells under `root`; the paths that differ(ed)."
    s = read_settings(settings or root / "settings.ini")
    differ = []
    for path in notebooks(root):
        file = root / path
        raw = file.read_text(encoding="utf-8")
        nb = json.loads(raw)
        if not update(nb, path, s): continue
        differ.append(path)
        if not check: file.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        new = readme_badges(text, s)
        if new != text:
            differ.append("README.md")
            if not check: readme.write_text(new, encoding="utf-8")
    return differ


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 listing each file whose Colab cells differ")
    p.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this tool's)")
    p.add_argument("--settings", type=Path, default=None, help="settings file (default: <root>/settings.ini)")
    args = p.parse_args(argv)
    try:
        differ = run(args.root, args.settings, check=args.check)
    except (ValueError, FileNotFoundError, KeyError) as e:
        print(f"colab_cells: {e}", file=sys.stderr)
        return 2
    if args.check:
        for path in differ: print(f"Colab badge or install cell differs from settings.ini: {path} (run `make colab`)", file=sys.stderr)
        return 1 if differ else 0
    print(f"colab_cells: {len(differ)} file(s) rewritten" + (f": {', '.join(differ)}" if differ else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
