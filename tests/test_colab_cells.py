"""Every notebook's Open-in-Colab badge and Colab install cell are generated from settings.ini (`make colab`,
tools/colab_cells.py), and installing in Colab keeps its preinstalled TensorFlow. No network."""
import json
import re
import shutil
import subprocess
import sys
from configparser import ConfigParser
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "colab_cells.py"
NOTEBOOKS = ["nbs/00_data.ipynb", "nbs/06b_protocol.ipynb", "paper_figures/fig02_rs_vs_is.ipynb"]


def check(*args):
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=60)


def requirements() -> list:
    config = ConfigParser(delimiters=["="])
    config.read(ROOT / "settings.ini", encoding="utf-8")
    return config["DEFAULT"]["requirements"].split()


def copy_repo(tmp_path, **changes) -> Path:
    "A small copy of the repository (settings.ini with `changes`, three notebooks) under tmp_path."
    text = (ROOT / "settings.ini").read_text(encoding="utf-8")
    for key, value in changes.items():
        text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.M)
        assert n == 1, key
    (tmp_path / "settings.ini").write_text(text, encoding="utf-8")
    for nb in NOTEBOOKS:
        (tmp_path / nb).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / nb, tmp_path / nb)
    return tmp_path


def cells(path: Path) -> list:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_every_notebook_matches_settings_ini():
    run = check("--check")
    assert run.returncode == 0, run.stderr


def test_the_cells_follow_settings_ini(tmp_path):
    root = copy_repo(tmp_path, git_url="https://github.com/someone/fork", user="someone", repo="fork", branch="dev")
    run = check("--check", "--root", str(root))
    assert run.returncode == 1
    assert [l.split(": ")[1].split()[0] for l in run.stderr.strip().splitlines()] == NOTEBOOKS  # each one named

    assert check("--root", str(root)).returncode == 0  # rewrite, then nothing differs
    assert check("--check", "--root", str(root)).returncode == 0
    for nb in NOTEBOOKS:
        new, old = cells(root / nb), cells(ROOT / nb)
        text = json.dumps(new)
        assert "github.com/coreset-nb" not in text
        assert f"colab.research.google.com/github/someone/fork/blob/dev/{nb}" in text
        assert "git+https://github.com/someone/fork@dev" in text
        changed = [i for i, (a, b) in enumerate(zip(new, old)) if a != b]  # only the badge and the install cell
        assert len(new) == len(old) and len(changed) == 2, (nb, changed)
        assert all(set(new[i]) == set(old[i]) and new[i]["id"] == old[i]["id"] for i in changed)


def test_a_missing_badge_is_added_after_the_summary(tmp_path):
    root = copy_repo(tmp_path)
    nb = root / "nbs/00_data.ipynb"
    d = json.loads(nb.read_text(encoding="utf-8"))
    title = next(c for c in d["cells"] if "".join(c["source"]).startswith("# "))
    with_badge = "".join(title["source"])
    title["source"] = with_badge.split("\n\n[![Open In Colab]")[0].splitlines(keepends=True)
    nb.write_text(json.dumps(d, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert check("--check", "--root", str(root)).returncode == 1
    assert check("--root", str(root)).returncode == 0
    assert nb.read_bytes() == (ROOT / "nbs/00_data.ipynb").read_bytes()  # byte for byte the committed notebook


def test_a_git_url_that_is_not_user_repo_is_refused(tmp_path):
    root = copy_repo(tmp_path, git_url="https://github.com/someone/fork")
    run = check("--check", "--root", str(root))
    assert run.returncode == 2 and "git_url" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("name", ["tensorflow", "keras", "numpy"])
def test_colab_keeps_its_tensorflow(name):
    "Lower bounds only (an upper bound could make pip replace Colab's TensorFlow), met by the versions tested here."
    from packaging.requirements import Requirement
    req = next(Requirement(r) for r in requirements() if Requirement(r).name == name)
    assert all(s.operator == ">=" for s in req.specifier), req
    assert version(name) in req.specifier, (name, version(name), str(req))


def test_every_runtime_requirement_is_a_lower_bound():
    from packaging.requirements import Requirement
    assert [r for r in requirements() if any(s.operator != ">=" for s in Requirement(r).specifier)] == []
