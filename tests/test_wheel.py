"""The wheel holds what a user calls: no code that writes the repository's README files or reads its committed
`results/` folder (that upkeep is tools/make_tables.py and tools/make_readme.py, outside the package)."""
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UPKEEP = {  # what only repository upkeep does, and how it shows in code
    "writes README.md": re.compile(r"README\.md"),
    # the committed grids by name, the checkout's results/ from a notebook folder, or a parameter naming them
    "reads the repository's results/ folder": re.compile(r"""results/(?:leaderboard|pbc-cpu|cnn-|similarity)|\.\./results|results_root"""),
    "needs a checkout": re.compile(r"\brepo_root\b|\.git\b"),
}


@pytest.fixture(scope="module")
def wheel_sources(tmp_path_factory):
    "{name: text} of every .py file in a wheel built from this checkout."
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, cwd=out)
    (wheel,) = out.glob("coreset_nb-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".py") and not n.endswith("_modidx.py")}


def upkeep_in(sources: dict) -> dict:
    "{file: [what upkeep it does]} for the sources that do any."
    found = {name: [what for what, pattern in UPKEEP.items() if pattern.search(text)] for name, text in sources.items()}
    return {name: whats for name, whats in found.items() if whats}


def test_the_wheel_holds_no_repository_upkeep(wheel_sources):
    assert "coreset_nb/cli.py" in wheel_sources and "coreset_nb/leaderboard.py" in wheel_sources
    assert upkeep_in(wheel_sources) == {}


def test_the_check_sees_upkeep():
    assert upkeep_in({"a.py": 'Path("README.md").write_text(x)', "b.py": 'read("../results/cnn-noise")', "c.py": "repo_root()",
                      "d.py": "ok"}) == {"a.py": ["writes README.md"], "b.py": ["reads the repository's results/ folder"],
                                         "c.py": ["needs a checkout"]}
