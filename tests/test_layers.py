"""The library's structure: the contracts of `.importlinter` hold (the sections of nbs/sidebar.yml as layers; the paper's
method imports nothing beyond the paper), they would catch a breach, and no module imports another's private name."""
import ast
import os
import re
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


def lint(root: Path = ROOT, pythonpath: str|None = None):
    "`lint-imports` on the package found first on `pythonpath` (default: this checkout), with this checkout's contracts."
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None: pytest.skip("import-linter is not installed (make install adds it)")
    env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    return subprocess.run([lint, "--no-cache", "--config", str(ROOT / ".importlinter")], cwd=root, capture_output=True, text=True, env=env)


def test_the_contracts_hold():
    run = lint()
    assert run.returncode == 0, run.stdout[-2000:]
    assert "Contracts: 2 kept, 0 broken." in run.stdout


def test_the_contract_fails_when_a_paper_module_imports_an_extension(tmp_path):
    shutil.copytree(LIBRARY, tmp_path / "coreset_nb", ignore=shutil.ignore_patterns("__pycache__", "assets", "configs"))
    reduce = tmp_path / "coreset_nb" / "reduce.py"
    reduce.write_text(reduce.read_text() + "\nfrom coreset_nb import peers  # a breach: the paper's PCA importing a peer selector\n")
    run = lint(tmp_path, pythonpath=str(tmp_path))
    assert run.returncode != 0
    assert "The paper's method imports nothing beyond the paper BROKEN" in " ".join(run.stdout.split())
    assert "coreset_nb.reduce -> coreset_nb.peers" in run.stdout


def contract_layers() -> list:
    "The sections contract's layers, top first, each a set of module names."
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".importlinter")
    return [set(re.split(r"\s*[:|]\s*", line.strip())) for line in cfg["importlinter:contract:sections"]["layers"].strip().splitlines()]


def test_contract_names_every_module():
    "A new module must be placed in a layer, or the contract would not check it."
    modules = {p.stem for p in LIBRARY.glob("*.py") if not p.stem.startswith("_")}
    assert set().union(*contract_layers()) == modules


# The layer of each sidebar section, and the modules placed elsewhere with the reason: helpers every layer uses sit below
# the paper's method; image streaming and the selectors' registry are read in "Running it" (machinery), but the paper's
# feature extraction and selectors stand on them.
SECTION_LAYER = {"Reporting and the command line": 0, "Running it": 1, "Beyond the paper": 2, "The paper's method": 3}
PLACED_ELSEWHERE = {"cache": 4, "plotted": 4, "constraints": 4, "images": 3, "registry": 3}


def test_each_notebooks_module_sits_in_its_sections_layer():
    import yaml
    layers = contract_layers()
    sections = {e["section"]: e["contents"] for e in yaml.safe_load((ROOT / "nbs" / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
                if isinstance(e, dict)}
    assert list(sections) == ["The paper's method", "Running it", "Beyond the paper", "Reporting and the command line"]
    misplaced = {}
    for section, notebooks in sections.items():
        for nb in notebooks:
            module = notebook_module(ROOT / "nbs" / nb)
            expected = PLACED_ELSEWHERE.get(module, SECTION_LAYER[section])
            if module not in layers[expected]: misplaced[nb] = (module, section)
    assert misplaced == {}


def test_sidebar_lists_every_notebook_once():
    "The reading order (nbs/sidebar.yml) covers every notebook of nbs/, each once."
    import yaml
    sidebar = yaml.safe_load((ROOT / "nbs" / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    listed = [e for e in sidebar if isinstance(e, str)] + [n for e in sidebar if isinstance(e, dict) for n in e["contents"]]
    assert sorted(listed) == sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb"))


def notebook_module(nb: Path):
    "The module a notebook exports (None for index)."
    import json
    code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
    exported = re.search(r"^#\| default_exp (\w+)", code, re.M)
    return exported.group(1) if exported else None


def test_index_reading_order_is_the_sidebars():
    "The index's 'Read on' paragraph names the notebooks in the sidebar's order."
    import json, re, yaml
    sidebar = yaml.safe_load((ROOT / "nbs" / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    order = [n[:-6] for e in sidebar if isinstance(e, dict) for n in e["contents"]]
    text = "\n".join("".join(c["source"]) for c in json.loads((ROOT / "nbs" / "index.ipynb").read_text())["cells"])
    para = text[text.index("**Read on**"):].split("\n\n")[0]
    assert re.findall(r"`(\d\d[a-z]?_\w+)`", para) == order


# A function-level import defers a heavy or optional dependency, nothing else: TensorFlow (with the library's modules that
# load it at import), Dask, scikit-learn-extra, papermill, pyarrow; and the command line defers the whole library so that
# `--help` and argument errors answer at once. Each module that defers says so once, in a "# Deferred imports:" comment.
DEFERRABLE = {"tensorflow", "keras", "distributed", "dask", "sklearn_extra", "papermill", "pyarrow",
              "coreset_nb.features", "coreset_nb.models", "coreset_nb.protocol", "coreset_nb.train"}
DEFERS_THE_LIBRARY = {"cli"}
DEFERRED_NOTE = "# Deferred imports:"


def deferred_imports(library: Path = LIBRARY) -> dict:
    "{module: [imported names]} of every import inside a function of the library."
    found = {}
    for path in sorted(library.glob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)): continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import): found.setdefault(path.stem, []).extend(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom):
                    found.setdefault(path.stem, []).append(f"coreset_nb.{node.module}" if node.level else node.module)
    return found


def undeclared_deferrals(library: Path = LIBRARY) -> list:
    "Function-level imports that defer nothing heavy or optional, and modules whose deferrals are not said once."
    problems = []
    for module, names in deferred_imports(library).items():
        light = [n for n in names if not (n in DEFERRABLE or n.split(".")[0] in DEFERRABLE
                                          or (module in DEFERS_THE_LIBRARY and n.startswith("coreset_nb.")))]
        problems += [f"{module}: imports {n} inside a function" for n in sorted(set(light))]
        if (library / f"{module}.py").read_text().count(DEFERRED_NOTE) != 1: problems.append(f"{module}: no single {DEFERRED_NOTE!r} comment")
    return problems


# What runs without TensorFlow (a 6 s import): selection from features, the comparison of results, the committed tables.
NO_TENSORFLOW = ["coreset_nb.reduce", "coreset_nb.cluster", "coreset_nb.sample", "coreset_nb.compare", "tools/make_tables.py"]


def test_what_needs_no_tensorflow_imports_none():
    "One fresh interpreter imports each of `NO_TENSORFLOW` in turn (a tool: run as a module) and names the first that imports TensorFlow."
    code = ("import importlib, runpy, sys\n"
            "for name in sys.argv[1:]:\n"
            "    runpy.run_path(name) if name.endswith('.py') else importlib.import_module(name)\n"
            "    assert 'tensorflow' not in sys.modules, f'{name} imported tensorflow'\n")
    run = subprocess.run([sys.executable, "-c", code, *NO_TENSORFLOW], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


def test_function_level_imports_only_defer_heavy_or_optional_dependencies():
    assert undeclared_deferrals() == []
    assert set(deferred_imports()) >= {"cli", "images", "experiments", "reproduce"}  # the check sees the library's deferrals


def test_the_deferral_check_sees_a_light_import_inside_a_function(tmp_path):
    (tmp_path / "a.py").write_text(f"{DEFERRED_NOTE} TensorFlow\ndef f():\n    import tensorflow\n    import json\n")
    (tmp_path / "b.py").write_text("def g():\n    from .train import fit\n")
    assert undeclared_deferrals(tmp_path) == ["a: imports json inside a function", "b: no single '# Deferred imports:' comment"]
