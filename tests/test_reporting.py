"""What the README, `results/README.md` and the index notebook say about the committed results agrees with the tables:
one recommendation (the rule of `coreset_nb.leaderboard.recommend_selector`), one budget format, a short summary."""
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from coreset_nb.compare import compare
from tests.conftest import load_tool
ROOT = Path(__file__).resolve().parent.parent


make_tables = load_tool("make_tables")
LOWNOISE, SUMMARY_MAX_CHARS, SUMMARY_MAX_LINES = make_tables.LOWNOISE, make_tables.SUMMARY_MAX_CHARS, make_tables.SUMMARY_MAX_LINES
index_findings, leaderboards, recommendation = make_tables.index_findings, make_tables.leaderboards, make_tables.recommendation
LOWNOISE_CSV = ROOT / "results" / LOWNOISE / "results.csv"
needs_results = pytest.mark.skipif(not LOWNOISE_CSV.is_file(), reason="no committed low-noise grid")


def section(text: str, name: str) -> str:
    return text.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0]


def summary() -> list:
    return section((ROOT / "README.md").read_text(), "summary").strip().splitlines()


def index_text() -> str:
    "The index notebook's Markdown, whitespace collapsed (a sentence may wrap across lines)."
    nb = json.loads((ROOT / "nbs" / "index.ipynb").read_text())
    return " ".join(" ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown").split())


@pytest.fixture(scope="module")
def rec():
    return recommendation(leaderboards(ROOT))


def test_the_readme_summary_is_six_short_lines():
    lines = summary()
    assert 0 < len(lines) <= SUMMARY_MAX_LINES == 6, lines
    assert all(len(l) <= SUMMARY_MAX_CHARS == 160 for l in lines), [len(l) for l in lines]


RECOMMENDED = re.compile(r"[Rr]ecommended selector: `([^`]+)`")


@needs_results
def test_one_recommendation_everywhere(rec):
    "README summary, results/README.md, results/leaderboard.md and the index name one selector: the rule's answer."
    assert rec["method"] is not None, rec["table"]
    docs = {"README summary": "\n".join(summary()), "results/README.md": (ROOT / "results" / "README.md").read_text(),
            "results/leaderboard.md": (ROOT / "results" / "leaderboard.md").read_text(), "nbs/index.ipynb": index_text()}
    for name, text in docs.items():
        named = set(RECOMMENDED.findall(text))
        assert named == {rec["method"]}, (name, named)


@needs_results
def test_the_demo_shows_the_recommended_selector(rec):
    "`reproduce` labels the demo's selector beyond the paper 'the package's recommended selector': it is the rule's answer."
    import yaml
    from coreset_nb.experiments import CONFIGS_DIR
    methods = yaml.safe_load((CONFIGS_DIR / "demo.yaml").read_text())["methods"]
    assert [m for m in methods if m not in ("random", "intelligent")] == [rec["method"]]


@needs_results
def test_the_index_states_the_generated_findings(rec):
    "The index holds, word for word, the sentences made from the committed tables (`index_findings`)."
    text = index_text()
    for sentence in index_findings(rec, compare(LOWNOISE_CSV, baseline="random")):
        assert " ".join(sentence.split()) in text, sentence


def _budgets(span: str, grid: list) -> set:
    "'0.5%–5%', '10% and 25%', '1%, 5% and 25%' -> the fractions of the grid they name."
    out = set()
    for part in re.split(r", | and ", span):
        ends = [float(p.rstrip("%")) / 100 for p in part.split("–")]
        out |= {f for f in grid if ends[0] - 1e-9 <= f <= ends[-1] + 1e-9}
    return out


@needs_results
def test_the_index_is_vs_rs_matches_the_committed_table():
    "Parse the index's IS-against-RS sentence and check every budget's verdict against the committed compare.csv."
    table = pd.read_csv(ROOT / "results" / LOWNOISE / "compare.csv")
    is_ = table[table.method == "intelligent"]
    stated = re.search(r"IS against RS — (.*?)\.(?: |$)", index_text()).group(1)
    names = {"custom CNN": "cnn_lownoise", "transfer model": "transfer_lownoise"}
    seen = set()
    for part in stated.split("; "):
        name, verdicts = part.split(": ", 1)
        rows = is_[is_.model == names[name]].set_index("fraction")
        grid = sorted(rows.index)
        claimed = {}
        for verdict, span in re.findall(r"(win|tie|loss) at (.*?)(?=, (?:win|tie|loss) at |$)", verdicts):
            every = re.fullmatch(r"every budget \((.*)\)", span)
            budgets = set(grid) if every else _budgets(span, grid)
            if every: assert _budgets(every.group(1), grid) == set(grid)
            claimed.update({f: verdict for f in budgets})
        assert claimed == rows.verdict.to_dict(), (name, claimed)
        seen.add(names[name])
    assert seen == set(is_.model)


def test_one_budget_format():
    "Budgets a reader reads are percentages, from `budget_label`; the library formats them nowhere else."
    for path in ("README.md", "results/README.md", "results/leaderboard.md", "results/pbc-cpu-selectors/compare.md"):
        text = (ROOT / path).read_text()
        if path == "README.md": text = section(text, "summary")
        lines = text.splitlines()
        headers = [l for l, below in zip(lines, lines[1:]) if l.startswith("|") and re.match(r"\|[:-]", below)]
        bare = [c.strip() for h in headers for c in h.split("|") if re.fullmatch(r"0\.\d+|1\.0", c.strip())]
        assert not bare and not re.search(r"\bf0\.\d", text), (path, bare)
    for path, n in {"coreset_nb/compare.py": 1, "coreset_nb/leaderboard.py": 0, "tools/make_tables.py": 0}.items():
        assert (ROOT / path).read_text().count("* 100:g}%") == n, path  # compare's one: `budget_label` itself


def test_one_recommendation_rule():
    "No other recommendation function is left in the library or the table script."
    import coreset_nb.compare as compare_module
    assert not hasattr(compare_module, "recommend") and not hasattr(compare_module, "guidance_markdown")
    files = [p for p in sorted((ROOT / "coreset_nb").glob("*.py")) if p.name != "_modidx.py"] + [ROOT / "tools" / "make_tables.py"]
    defs = [f"{p.name}: {m}" for p in files for m in re.findall(r"^def (recommend\w*)", p.read_text(), re.M)]
    assert defs == ["leaderboard.py: recommend_selector", "make_tables.py: recommendation",  # the rule, and the one call of it
                    "make_tables.py: recommendation_sentence"], defs  # the one way it is said
    assert "recommend_selector(boards" in (ROOT / "tools" / "make_tables.py").read_text()


def test_replace_section_rewrites_only_between_its_markers():
    doc = "intro\n<!-- t:start -->\nold\n<!-- t:end -->\noutro"
    new = make_tables.replace_section(doc, "t", "new")
    assert new == "intro\n<!-- t:start -->\nnew\n<!-- t:end -->\noutro"
    assert make_tables.replace_section(new, "t", "new") == new
    with pytest.raises(ValueError, match="exactly one"): make_tables.replace_section("no markers", "t", "x")
