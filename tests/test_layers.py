"""The library's structure: the layer contract of `.importlinter` holds, and no module imports another's private name."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "coreset_nb"


def private_imports() -> list:
    "Every `from coreset_nb.x import _name` (or `from .x import _name`) in the library, as 'file: module._name'."
    found = []
    for path in sorted(LIBRARY.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("coreset_nb")):
                found += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


def test_no_module_imports_a_private_name_of_another():
    assert private_imports() == []


def test_private_import_check_sees_one(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("from .b import _hidden\nfrom coreset_nb.c import public\n")
    monkeypatch.setattr(sys.modules[__name__], "LIBRARY", tmp_path)
    assert private_imports() == ["a.py: b._hidden"]


def test_layer_contract_holds():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None: pytest.skip("import-linter is not installed (make install adds it)")
    run = subprocess.run([lint, "--no-cache", "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "Contracts: 1 kept, 0 broken." in run.stdout


def test_contract_names_every_module():
    "A new module must be placed in a layer, or the contract would not check it."
    text = (ROOT / ".importlinter").read_text()
    layers = {name.strip() for line in text.split("layers =")[1].splitlines() for name in line.split("|") if name.strip()}
    modules = {p.stem for p in LIBRARY.glob("*.py") if not p.stem.startswith("_")}
    assert modules == layers


def test_sidebar_lists_every_notebook_once():
    "The reading order (nbs/sidebar.yml) covers every notebook of nbs/, each once."
    import yaml
    sidebar = yaml.safe_load((ROOT / "nbs" / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    listed = [e for e in sidebar if isinstance(e, str)] + [n for e in sidebar if isinstance(e, dict) for n in e["contents"]]
    assert sorted(listed) == sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb"))


def notebook_modules(nb: Path) -> tuple:
    "(the module a notebook exports, the coreset_nb modules its code cells import)."
    import json, re
    code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
    exported = re.search(r"^#\| default_exp (\w+)", code, re.M)
    imported = set(re.findall(r"^\s*(?:from|import) coreset_nb\.(\w+)", code, re.M)) | {
        m for names in re.findall(r"^\s*from coreset_nb import ([\w, ]+)", code, re.M) for m in re.split(r",\s*", names.strip())}
    return exported.group(1) if exported else None, imported


def test_the_papers_notebooks_import_nothing_beyond_the_paper():
    import yaml
    sections = {e["section"]: e["contents"] for e in yaml.safe_load((ROOT / "nbs" / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
                if isinstance(e, dict)}
    beyond = {notebook_modules(ROOT / "nbs" / nb)[0] for nb in sections["Beyond the paper"]}
    found = {nb: sorted(notebook_modules(ROOT / "nbs" / nb)[1] & beyond) for nb in sections["The paper's method"]}
    assert {nb: m for nb, m in found.items() if m} == {}
    assert "medmnist" in beyond and "more_selectors" in beyond and "sample" not in beyond  # the check sees the modules


def test_index_reading_order_is_the_sidebars():
    "The index's 'Read on' paragraph names the notebooks in the sidebar's order."
    import json, re, yaml
    sidebar = yaml.safe_load((ROOT / "nbs" / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    order = [n[:-6] for e in sidebar if isinstance(e, dict) for n in e["contents"]]
    text = "\n".join("".join(c["source"]) for c in json.loads((ROOT / "nbs" / "index.ipynb").read_text())["cells"])
    para = text[text.index("**Read on**"):].split("\n\n")[0]
    assert re.findall(r"`(\d\d[a-z]?_\w+)`", para) == order
