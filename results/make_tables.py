"""Regenerate the committed comparison tables and the README's selector guidance from the committed results.

    python results/make_tables.py          # write results/pbc-cpu-selectors/{compare*.{md,csv},table1.md}, update README.md
    python results/make_tables.py --check  # exit 1 if any of them is stale (used by tests/test_results_tables.py)

Everything here is computed from results/pbc-cpu-selectors/results.csv (made by
`coreset_nb experiment --config configs/pbc-cpu-selectors.yaml`); nothing is typed in by hand.
"""
import argparse
import sys
from pathlib import Path

from coreset_nb.compare import compare, format_comparison, guidance_markdown, replace_section, verdict_counts
from coreset_nb.figures import load_results, table1, table1_markdown

ROOT = Path(__file__).resolve().parent.parent
GRID = ROOT / "results" / "pbc-cpu-selectors"
METRICS = {"test_accuracy": "compare", "test_f1_macro": "compare_f1"}  # metric -> output file stem
COMMAND = ("coreset_nb compare results/pbc-cpu-selectors --baseline random --metric {metric} "
           "--out results/pbc-cpu-selectors/{stem}.md")


def outputs() -> dict:
    "Every generated file's path and text."
    files, readme = {}, (ROOT / "README.md").read_text()
    for metric, stem in METRICS.items():
        table = compare(GRID, baseline="random", metric=metric)  # seeded bootstrap: the same text every time
        readable, counts = format_comparison(table), verdict_counts(table)
        files[GRID / f"{stem}.csv"] = table.to_csv(index=False)
        files[GRID / f"{stem}.md"] = (f"# {metric}: paired comparison with `random`\n\nMade by `{COMMAND.format(metric=metric, stem=stem)}`"
                                      f" (or `make results-tables`).\n\n{readable.to_markdown(index=False)}\n\n"
                                      f"{counts.reset_index().to_markdown(index=False)}\n")
        if metric == "test_accuracy": readme = replace_section(readme, "selectors", guidance_markdown(table, "random", metric))
    files[GRID / "table1.md"] = table1_section()
    files[ROOT / "README.md"] = replace_section(readme, "table1", files[GRID / "table1.md"])
    return files


def table1_section() -> str:
    "Table 1 (100%, RS and IS at 25%, both models) from the same committed grid, beside the paper's values."
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):  # load_results reports completeness; the table itself says it too
        df, cells = load_results(GRID / "results.csv", ["cnn", "transfer"])
    return table1_markdown(table1(df, cells, ["cnn", "transfer"], 0.25), "macro", "results/pbc-cpu-selectors/results.csv")
    return files


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="do not write; exit 1 if a generated file differs")
    args = p.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        if args.check:
            if not path.is_file() or path.read_text() != text: stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text)
            print(f"-> {path.relative_to(ROOT)}")
    if stale: print(f"stale (run `make results-tables`): {', '.join(map(str, stale))}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
