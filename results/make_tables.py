"""Regenerate the committed comparison tables, `results/README.md` and the README's summary from the committed results.

    python results/make_tables.py          # write results/pbc-cpu-selectors/{compare*.{md,csv},table1.md}, results/*.md, README.md
    python results/make_tables.py --check  # exit 1 if any of them is stale (used by tests/test_results_tables.py)

Everything here is computed from committed results.csv files (made by `coreset_nb experiment --config <name>`:
pbc-cpu-selectors, leaderboard-pbc, leaderboard-bloodmnist, similarity-pbc, similarity-bloodmnist; `make leaderboard`
runs the last four); nothing is typed in by hand.
"""
import argparse
import sys

import numpy as np
from pathlib import Path

from coreset_nb.compare import compare, format_comparison, guidance_markdown, holm_adjust, replace_section, verdict_counts
from coreset_nb.figures import load_results
from coreset_nb.table1 import table1, table1_markdown
from coreset_nb.leaderboard import leaderboard, leaderboard_markdown, recommend_selector

ROOT = Path(__file__).resolve().parent.parent
GRID = ROOT / "results" / "pbc-cpu-selectors"
LEADERBOARDS = {"PBC": ROOT / "results" / "leaderboard-pbc", "BloodMNIST": ROOT / "results" / "leaderboard-bloodmnist"}
SIMILARITY = {"PBC": ROOT / "results" / "similarity-pbc", "BloodMNIST": ROOT / "results" / "similarity-bloodmnist"}
PEERS = {"facility_location": "facility location (lazy greedy)", "typiclust": "TypiClust (Hacohen et al. 2022)",
         "probcover": "ProbCover (Yehuda et al. 2022)", "moderate": "Moderate coreset (Xia et al. 2023)"}
METRICS = {"test_accuracy": "compare", "test_f1_macro": "compare_f1"}  # metric -> output file stem
COMMAND = ("coreset_nb compare results/pbc-cpu-selectors --baseline random --metric {metric} "
           "--out results/pbc-cpu-selectors/{stem}.md")


RESULTS_PAGE = ROOT / "results" / "README.md"  # every generated table, with its commands; the README holds the summary


def outputs() -> dict:
    "Every generated file's path and text."
    import pandas as pd
    files, page = {}, RESULTS_PAGE.read_text()
    for metric, stem in METRICS.items():
        table = compare(GRID, baseline="random", metric=metric)  # seeded bootstrap: the same text every time
        files.update(comparison_files(GRID, table, metric, stem, COMMAND.format(metric=metric, stem=stem)))
        if metric == "test_accuracy":
            page, accuracy = replace_section(page, "selectors", guidance_markdown(table, "random", metric)), table
    lownoise = None
    if (LOWNOISE / "results.csv").is_file() and (rows := pd.read_csv(LOWNOISE / "results.csv")).method.eq("random").any():
        lownoise = compare(rows, baseline="random", metric="test_accuracy"), rows
        files.update(comparison_files(LOWNOISE, lownoise[0], "test_accuracy", "compare", LOWNOISE_COMMAND))
        page = replace_section(page, "lownoise", lownoise_section(*lownoise, accuracy))
    else: page = replace_section(page, "lownoise", "No paired cells yet: `make cnn-grid` runs them.")
    files[ROOT / "results" / "leaderboard.md"], guidance = leaderboard_section()
    page = replace_section(page, "leaderboard", guidance)
    page = replace_section(page, "scale", scale_section())
    page = replace_section(page, "dask", dask_section())
    noise = noise_rows()
    if noise is not None:
        section = noise_section(*noise)
        files[NOISE / "noise.md"] = f"# The custom CNN's seed-to-seed noise, per training protocol\n\n{section}"
        page = replace_section(page, "cnn-noise", section)
    files[GRID / "table1.md"] = table1_section()
    files[RESULTS_PAGE] = replace_section(page, "table1", files[GRID / "table1.md"])
    files[ROOT / "README.md"] = replace_section((ROOT / "README.md").read_text(), "summary",
                                                summary_section(accuracy, guidance.split("\n", 1)[0], lownoise, noise))
    return files


def comparison_files(grid, table, metric: str, stem: str, command: str) -> dict:
    "A grid's paired comparison as `<stem>.csv` and `<stem>.md` (the table, then the verdict counts)."
    readable, counts = format_comparison(table), verdict_counts(table)
    return {grid / f"{stem}.csv": table.to_csv(index=False),
            grid / f"{stem}.md": (f"# {metric}: paired comparison with `random`\n\nMade by `{command}` (or `make results-tables`).\n\n"
                                  f"{readable.to_markdown(index=False)}\n\n{counts.reset_index().to_markdown(index=False)}\n")}


def summary_section(accuracy, recommendation: str, lownoise=None, noise=None) -> str:  # lownoise: (comparison, rows); noise: noise_rows()
    "The README's few lines of what the results say, each computed from the tables of results/README.md."
    import pandas as pd
    from coreset_nb.table1 import paper_table1
    paper = paper_table1().set_index(["model_kind", "setting"])["accuracy"]
    is25 = accuracy[(accuracy.method == "intelligent") & np.isclose(accuracy.fraction, 0.25)].set_index("model")
    verdict = lambda m, r: (f"{100 * r.diff_mean:+.1f} points for the {'custom CNN' if m == 'cnn' else 'transfer model'} "  # noqa: E731
                            f"({r.verdict}, p = {r.p_value:.2g}, {r.n_pairs} seed pairs; the paper: IS {paper[m, 'IS']:.3f}, "
                            f"RS {paper[m, 'RS']:.3f} test accuracy)")
    lines = ["- **The paper's claim (IS beats RS), on full PBC at 25%:** IS minus RS is " +
             "; ".join(verdict(m, r) for m, r in is25.iterrows()) + ". The paper's RS is at chance: see the oddities under Table 1."]
    lines.append(f"- **Which selector (transfer model, budgets up to 10%, PBC and BloodMNIST):** {recommendation}")
    cnn = accuracy[accuracy.model == "cnn"]
    lines.append(f"- **The custom CNN (paper protocol, 5 seeds):** {int((cnn.verdict == 'win').sum())} significant wins and "
                 f"{int((cnn.verdict == 'loss').sum())} losses against random in {len(cnn)} selector × budget cells: with this "
                 "protocol's seed-to-seed noise the grid cannot separate the selectors. " + (noise_headline(*noise) if noise else "") +
                 " [The noise per protocol](results/README.md#the-cnns-noise-per-training-protocol-issue-15-beyond-the-paper).")
    if lownoise is not None:
        table, df = lownoise
        verdicts = lownoise_verdicts(table, paired_halfwidths(table))
        lines += [f"- {verdicts[m]}" for m in LOWNOISE_MODELS if m in verdicts]
        lines.append(f"- Low-noise grid: {_grid_progress(df)}. Tables: [results/README.md](results/README.md#both-models-under-the-low-noise-protocol-issue-15).")
    scale = BENCH / "selection_at_scale.csv"
    if scale.is_file():
        t = pd.read_csv(scale)
        for r in t[(t.selector == "hybrid") & (t.setting == "1%") & (t.phase >= 1_000_000)].itertuples():
            lines.append(f"- **Scale:** `hybrid` at 1% of one class of {r.phase:,} points: {r.seconds:.0f} s, {r.peak_gb:.2f} GB peak "
                         f"memory, loss {r.loss_ratio:.3f} × full FasterPAM's on a 20,000-point subsample.")
    return "\n".join(lines)


def _boards(grids: dict) -> dict:
    return {name: leaderboard(path) for name, path in grids.items() if (path / "results.csv").is_file()}


def _recommendation_line(rec: dict, what: str) -> str:
    per = rec["table"]
    if rec["method"] is None:
        return f"No {what} is the best or tied with the best at every budget of every table: choose by budget (bold cells)."
    m = rec["method"]
    return (f"Recommended {what}: **{PEERS.get(m, m)}** (`{m}`): never significantly below the best at any of the "
            f"{per.loc[m, 'budgets']} budgets, {per.loc[m, 'wins']} significant wins over random, mean rank "
            f"{per.loc[m, 'mean_rank']:.1f}. Also never below the best: {', '.join(f'`{p}`' for p in rec['passing'][1:]) or 'none'}.")


def _ours_vs_peers(rec: dict, boards: dict) -> str:
    "Plainly: whether the recommendation is a peer's method or the package's, and its margin over the best of the other side."
    m = rec["method"]
    if m is None: return ""
    other = "the package's own selectors" if m in PEERS else "the peers' methods"
    margins = []
    for name, b in boards.items():
        b = b[(b.method != "random") & (b.fraction <= 0.10)]
        rival = b[b.method.isin(PEERS) != (m in PEERS)].groupby("fraction")["mean"].max()
        mine = b[b.method == m].set_index("fraction")["mean"]
        margins += [(name, f, (mine[f] - rival[f]) * 100) for f in mine.index]
    text = ", ".join(f"{n} {f * 100:g}%: {d:+.1f}" for n, f, d in margins)
    diffs = [d for _, _, d in margins]
    verdict = (f"**A peer's method wins the rule: {PEERS[m]} is the recommendation.**" if m in PEERS
               else f"**The package's own `{m}` wins the rule.**")
    return (f"{verdict} Its mean accuracy minus the best of {other} at each budget, in points: {text} "
            f"(mean {np.mean(diffs):+.1f}, from {min(diffs):+.1f} to {max(diffs):+.1f}).")


def _similarity_line(rec: dict, default: str) -> str:
    "Whether the measurement supports the default similarity, by the same rule as the selectors."
    t, m = rec["table"], rec["method"]
    name = lambda v: default if v == "facility_location" else v.split("=", 1)[1].rstrip("]")  # noqa: E731
    if m is None: return "No similarity is the best or tied with the best at every budget of both tables."
    others = [name(v) for v in rec["passing"][1:]]
    return (f"By the rule above, the similarity to use is **{name(m)}**: never significantly below the best at any of the "
            f"{t.loc[m, 'budgets']} budgets, {t.loc[m, 'wins']} significant wins over random"
            + (f"; also never below the best: {', '.join(others)}." if others else "; it is the only similarity that is never below the best.")
            + (" It is the default." if m == "facility_location" else f" The default ({default}) is not: change it."))


def leaderboard_section() -> tuple:
    "results/leaderboard.md, and the README's shorter version of it."
    import pandas as pd
    boards, sims = _boards(LEADERBOARDS), _boards(SIMILARITY)
    if not boards: return "# Leaderboard\n\nNo leaderboard results yet (`make leaderboard`).\n", "No leaderboard results yet."
    rec = recommend_selector(boards, max_fraction=0.10)
    t = rec["table"]
    paper = (f"The paper's IS (`intelligent`) is significantly below the best at {t.loc['intelligent', 'below']} of "
             f"{t.loc['intelligent', 'budgets']} budgets (significant wins / losses against random: "
             f"{t.loc['intelligent', 'wins']} / {t.loc['intelligent', 'losses']}).") if "intelligent" in t.index else ""
    head = " ".join([_recommendation_line(rec, "selector"), _ours_vs_peers(rec, boards), paper])
    grids = [f"**{name}** (transfer model, test accuracy %, difference from random in points) — " + leaderboard_markdown(b)
             for name, b in boards.items()]
    body = [head, "", *sum(([g, ""] for g in grids), [])]
    reused = []
    for path in [*LEADERBOARDS.values(), *SIMILARITY.values()]:
        df = pd.read_csv(path / "results.csv") if (path / "results.csv").is_file() else None
        if df is not None and "reused_from" in df:
            for src, n in df["reused_from"].value_counts().items(): reused.append(f"{path.name}: {n} of {len(df)} rows from `{src}`")
    full = ["# Leaderboard: every selector at 0.5%-10%, paired by seed", "",
            "Made by `make results-tables` from `results/leaderboard-*/results.csv` (`make leaderboard` runs the grids). "
            "Per budget: mean test accuracy in %, (difference from random in points; **W** / **L** = paired t-test "
            "p < 0.05), the best method of the budget in **bold**, `↓` = significantly below the best (paired t-test "
            "against it, p < 0.05). Methods ordered by mean rank.", "",
            "Rows taken over from another committed grid with the same cell id (same data, split, selection and model "
            "settings; `coreset_nb experiment --reuse`): " + ("; ".join(reused) or "none") + ".", "", *body,
            "Per selector, over every budget of both tables:", "",
            rec["table"].reset_index().to_markdown(index=False, floatfmt=".2f"), ""]
    if sims:
        srec = recommend_selector(sims, max_fraction=0.10)
        import inspect
        from coreset_nb.selectors import SELECTORS
        default = inspect.signature(SELECTORS["facility_location"]).parameters["similarity"].default
        full += ["## Facility location: which similarity?", "",
                 f"`facility_location` is the selector with its default similarity (`{default}`: s = max d − d); the others "
                 "are its variants `facility_location[similarity=...]` (`sqeuclidean`: max d² − d², apricot's 'euclidean'; "
                 "`gaussian`: exp(−d² / 2σ²), σ the median d; `cosine`: (1 + cos) / 2). Same grid and pairing as above.", "",
                 _similarity_line(srec, default), "",
                 *sum(([f"**{name}** — " + leaderboard_markdown(b), ""] for name, b in sims.items()), [])]
    return "\n".join(full), "\n".join(body)


BENCH = ROOT / "benchmarks" / "results"


def scale_section() -> str:
    "The README's table of `benchmarks/bench_selection_at_scale.py` (its committed CSV)."
    import pandas as pd
    paths = [p for p in (BENCH / "selection_at_scale.csv", BENCH / "selection_at_scale_20k.csv") if p.is_file()]
    if not paths: return "Not measured yet (`.venv/bin/python benchmarks/bench_selection_at_scale.py`)."
    t = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    t["loss"] = [f"{r:.4f} × {'full FasterPAM on a 20,000-point subsample' if v.startswith('full') else 'the exact path'}"
                 if pd.notna(r) else "" for r, v in zip(t.loss_ratio, t.loss_vs)]
    t = t.rename(columns={"phase": "class size", "seconds": "time (s)", "peak_gb": "peak memory (GB)", "shared_items": "items shared with the exact path"})
    t["class size"] = [f"{int(n):,}" for n in t["class size"]]
    cols = ["class size", "selector", "setting", "path", "k", "time (s)", "peak memory (GB)", "loss", "items shared with the exact path"]
    return t[cols].astype(object).fillna("").to_markdown(index=False, disable_numparse=True) + _registry_table()


def _registry_table() -> str:
    "Every selector of the registry at 1% of the 1,000,000-point class (`--phases registry`), when measured."
    import pandas as pd
    path = BENCH / "selection_at_scale_registry.csv"
    if not path.is_file(): return ""
    t = pd.read_csv(path)
    from coreset_nb.selectors import SELECTORS
    wanted = [s for s in SELECTORS if not s.startswith("intelligent_")]  # the IS variants share IS's clustering and sampling cost
    missing = [s for s in wanted if s not in set(t.selector)]
    rows = t.rename(columns={"seconds": "time (s)", "peak_gb": "peak memory (GB)"})[["selector", "path", "time (s)", "peak memory (GB)"]]
    status = (f"all {len(wanted)} selectors" if not missing else
              f"{len(wanted) - len(missing)} of {len(wanted)} selectors so far; not yet measured: {', '.join(f'`{m}`' for m in missing)} "
              "(the command resumes with them)")
    return (f"\n\nThe registry at 1% of one class of {int(t.phase.iloc[0]):,} points (`--phases registry`: {status}; the IS variants "
            "share IS's clustering; peak memory includes the 0.7 GB of the data itself):\n\n"
            + rows.to_markdown(index=False, disable_numparse=True))


def dask_section() -> str:
    "The README's line of `benchmarks/bench_dask_grid.py` (its committed CSV)."
    import pandas as pd
    path = BENCH / "dask_grid.csv"
    if not path.is_file(): return "Not measured yet (`.venv/bin/python benchmarks/bench_dask_grid.py`)."
    r = pd.read_csv(path).iloc[0]
    return (f"{r.cells} transfer-model cells on `{r.data}`: one process {r.one_process_s:.0f} s, a {r.workers}-worker "
            f"LocalCluster {r.dask_s:.0f} s (**{r.speedup:.2f}×** on {r.cpu_count} cores); the two `results.csv` "
            f"{'are identical' if r.results_identical else 'DIFFER'} apart from the timing columns. Why the ratio is not "
            f"{r.workers}: the median epoch took {r.one_process_epoch_ms:.0f} ms in one process and {r.dask_epoch_ms:.0f} ms "
            f"on a worker, whose {r.workers} processes share the {r.cpu_count} cores with the scheduler and the parent; and "
            "the cluster's fixed costs (starting it; every worker importing TensorFlow, reading the inputs and tracing its "
            "models once) weigh more the cheaper the cells are. Cells of seconds, as here, run faster in one process; a cluster "
            "can only help when the cells cost much more than those fixed costs, or with more cores or machines (not measured "
            "here).")


NOISE = ROOT / "results" / "cnn-noise"
NOISE_THREADS = {ROOT / "results" / "pbc-cpu-selectors": "paper protocol, seeds 0-4 (pbc-cpu-selectors)",
                 ROOT / "results" / "cnn-noise-threads": "cnn_lownoise at 10%, seeds 0-1 (cnn-noise-threads)"}
PAPER_RUN = "cnn (pbc-cpu-selectors)"  # the paper protocol's earlier 5-seed run of the same cells
PROTOCOLS = {PAPER_RUN: "the paper's protocol: early stopping with best-weight restore on 10% of the coreset, constant learning "
                        "rate (the 5-seed run of pbc-cpu-selectors, TensorFlow's default threads)",
             "cnn": "the same protocol, one thread per process",
             "cnn_steps": "1,500 Adam steps at 1e-3, cosine to 0, seeded flips + 90° rotations, precise BatchNorm statistics, "
                          "no validation set",
             "cnn_steps_noaug": "`cnn_steps` without augmentation",
             "cnn_steps_no_precise_bn": "`cnn_steps` without precise BatchNorm statistics",
             "cnn_steps_3000": "`cnn_steps` with 3,000 steps",
             "cnn_lownoise": "**the chosen protocol**: `cnn_steps` at 3e-3, inputs standardised per channel with the coreset's "
                             "statistics, Listing 1's dropout layers at rate 0 (the paper gives no rates)",
             "cnn_lownoise_dropout": "`cnn_lownoise` with the other blocks' dropout rates (0.25 after each convolution block, 0.5 "
                                     "after the dense layer)",
             "cnn_lownoise_lr1e3": "`cnn_lownoise` at 1e-3",
             "cnn_lownoise_nostd": "`cnn_lownoise` without standardised inputs (1/255, as the paper's model)"}


def noise_rows():
    "Every run of a cell of the cnn-noise config (from results/cnn-noise, or the low-noise grid that shares its chosen cells), plus the paper protocol's earlier run."
    import pandas as pd
    from coreset_nb.experiments import grid_cells, load_config
    wanted = {(c.model, c.method, round(c.fraction, 10), c.seed) for c in grid_cells(load_config(ROOT / "coreset_nb" / "configs" / "cnn-noise.yaml"))}
    runs = [pd.read_csv(p / "results.csv") for p in (NOISE, LOWNOISE) if (p / "results.csv").is_file()]
    if not runs: return None
    df = pd.concat(runs).drop_duplicates("cell_id")
    df = df[[(m, me, round(f, 10), s) in wanted for m, me, f, s in zip(df.model, df.method, df.fraction, df.seed)]]
    before = pd.read_csv(GRID / "results.csv")  # the paper protocol's earlier run of the same cells (default threads)
    before = before[(before.model == "cnn") & before.method.isin(set(df.method)) & before.fraction.isin(set(df.fraction))]
    return df, before.assign(model=PAPER_RUN)


def _spread(rows, model: str, fraction: float, method: str = "random"):
    acc = 100 * rows[(rows.model == model) & np.isclose(rows.fraction, fraction) & (rows.method == method)].test_accuracy
    return (acc.std(ddof=1), len(acc)) if len(acc) > 1 else (np.nan, len(acc))


def noise_headline(df, before) -> str:
    "One line: random's seed-to-seed SD at 2 / 10 / 25% before (paper protocol) and after (the chosen protocol)."
    import pandas as pd
    rows = pd.concat([df, before])
    say = lambda m: " / ".join(f"{_spread(rows, m, f)[0]:.1f}".replace("nan", "–") for f in (0.02, 0.10, 0.25)) + f" points ({_spread(rows, m, 0.10)[1]} seeds at 10%)"  # noqa: E731
    after, n = _spread(rows, "cnn_lownoise", 0.10)
    goal = "not measured yet" if n < 2 else ("met" if after <= 2 else "not met")
    return (f"Random's seed-to-seed SD at 2 / 10 / 25%: paper protocol {say(PAPER_RUN)}; the chosen low-noise protocol "
            f"{say('cnn_lownoise')} (issue 15's goal, at most ~2 at 10%: {goal}).")


def noise_section(df, before) -> str:
    "The CNN's seed-to-seed spread per protocol (results/cnn-noise), and what changes between 1 and 2 TensorFlow threads."
    import pandas as pd
    from scipy import stats
    rows = []
    for (model, method, fraction), g in pd.concat([df, before]).groupby(["model", "method", "fraction"], sort=False):
        acc = 100 * g.test_accuracy
        half = stats.t.ppf(0.975, len(acc) - 1) * acc.std(ddof=1) / np.sqrt(len(acc)) if len(acc) > 1 else np.nan
        rows.append({"protocol": f"`{model}`", "selector": method, "budget": f"{fraction:.0%}",
                     "_order": (list(PROTOCOLS).index(model) if model in PROTOCOLS else 99, model, fraction, method),
                     "seeds": len(acc), "mean accuracy %": f"{acc.mean():.1f}", "seed-to-seed SD (points)": f"{acc.std(ddof=1):.1f}",
                     "95% CI of the mean (±)": f"{half:.1f}", "range": f"{acc.min():.1f}–{acc.max():.1f}"})
    table = pd.DataFrame(sorted(rows, key=lambda r: r["_order"])).drop(columns="_order")
    legend = [f"- `{name}`: {what}" for name, what in PROTOCOLS.items()]
    threads = []
    for other, what in NOISE_THREADS.items():  # the same cells (same cell ids) run with TensorFlow's default threads
        if not (other / "results.csv").is_file(): continue
        pair = df.merge(pd.read_csv(other / "results.csv")[["cell_id", "test_accuracy"]], on="cell_id", suffixes=("_1", "_2"))
        if len(pair):
            d = 100 * (pair.test_accuracy_1 - pair.test_accuracy_2).abs()
            threads.append(f"- {what}: {len(pair)} cells run with 1 and with 2 threads differ by {d.mean():.1f} points on "
                           f"average (at most {d.max():.1f}; {int((d == 0).sum())} identical).")
    cmd = ("Made by `make cnn-noise` (`coreset_nb experiment --config cnn-noise`, one TensorFlow thread per process, then "
           "`make results-tables`). Protocols:")
    needed = seeds_needed(df)
    return "\n".join([cmd, "", *legend, "", noise_headline(df, before), "", table.to_markdown(index=False), "",
                      "1 vs 2 TensorFlow threads, same cells:", *(threads or ["- not run yet (`make cnn-noise` runs cnn-noise-threads)"]), "",
                      "How many paired seeds a CNN grid needs for a 95% CI half-width of ±3 points on the paired difference "
                      "(issue 15's target), from the spread measured here (t-interval, the spread taken as known):", "",
                      needed.to_markdown(index=False, disable_numparse=True)]) + "\n"


def seeds_needed(df, target: float=3.0):
    "Per protocol and budget: the spread of the paired difference hybrid − random, and the seeds a ±`target`-point 95% CI needs."
    import pandas as pd
    from scipy import stats
    pairs = compare(df[df.method.isin(["random", "hybrid"])], baseline="random", metric="test_accuracy")
    rows = []
    for r in pairs[(pairs.method == "hybrid") & (pairs.n_pairs >= 3)].itertuples():
        sd = 100 * r.diff_std
        need = next((n for n in range(3, 1000) if stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) <= target), None)
        rows.append({"protocol": f"`{r.model}`", "budget": f"{r.fraction:.0%}", "seed pairs": r.n_pairs,
                     "hybrid − random (points)": f"{100 * r.diff_mean:+.1f}", "SD of the difference": f"{sd:.1f}",
                     "95% CI (±)": f"{100 * r.diff_t_halfwidth:.1f}", f"seeds for ±{target:g}": str(need or "> 1000")})
    return pd.DataFrame(rows)


LOWNOISE = ROOT / "results" / "cnn-selectors-lownoise"
LOWNOISE_MODELS = {"cnn_lownoise": "custom CNN", "transfer_lownoise": "transfer model"}
LOWNOISE_COMMAND = "coreset_nb compare results/cnn-selectors-lownoise --baseline random --out results/cnn-selectors-lownoise/compare.md"


def paired_halfwidths(table):
    "Per (model, method, fraction) of a `compare` table: seed pairs, mean paired difference and its 95% t-interval half-width, in points."
    return table.assign(diff=100 * table.diff_mean, half=100 * table.diff_t_halfwidth)[["model", "method", "fraction", "n_pairs", "diff", "half"]]


def _grid_progress(df) -> str:
    from coreset_nb.experiments import grid_cells, load_config
    cells = grid_cells(load_config(ROOT / "coreset_nb" / "configs" / "cnn-selectors-lownoise.yaml"))
    per_model = {m: sum(c.model == m for c in cells) for m in LOWNOISE_MODELS}
    done = ", ".join(f"{name}: {int((df.model == m).sum())} of {per_model[m]} cells" for m, name in LOWNOISE_MODELS.items())
    return done + ("" if len(df) == len(cells) else " (the run is not finished; `make cnn-grid` resumes it)")


def lownoise_verdicts(table, halves) -> dict:
    "Per model of the low-noise grid: its verdict line, computed from the paired comparison and the CI half-widths."
    out = {}
    for model, name in LOWNOISE_MODELS.items():
        t, h = table[table.model == model], halves[halves.model == model]
        if not len(t): continue
        pct = lambda f: f"{100 * f:g}%"  # noqa: E731
        wins, losses = t[t.verdict == "win"], t[t.verdict == "loss"]
        said = lambda rows: "; ".join(f"`{r.method}` at {pct(r.fraction)} ({100 * r.diff_mean:+.1f})" for r in rows.itertuples()) or "none"  # noqa: E731
        is_ = t[t.method == "intelligent"].sort_values("fraction")
        is_text = ", ".join(f"{pct(r.fraction)} {100 * r.diff_mean:+.1f} ({r.verdict})" for r in is_.itertuples())
        wide = h[h.fraction >= 0.02 - 1e-9]
        ok = int((wide.half <= 3).sum())
        worst = wide.loc[wide.half.idxmax()] if len(wide) and wide.half.notna().any() else None
        decides = (f"95% CI half-width (t-interval) at most 3 points in {ok} of {len(wide)} cells from 2% up" +
                   (f"; widest ±{worst.half:.1f} (`{worst.method}` at {pct(worst.fraction)})" if worst is not None else ""))
        if wide.half.notna().any():  # what the ties exclude: every effect outside these bounds
            decides += (f". Every 95% CI from 2% up lies within {(wide['diff'] - wide.half).min():+.1f} … "
                        f"{(wide['diff'] + wide.half).max():+.1f} points of random")
        tested = t[t.p_value.notna()]
        holm = holm_adjust(tested.p_value.to_numpy())
        kept = tested[(holm < 0.05) & tested.verdict.isin(["win", "loss"])]
        decides += (f". After Holm's correction over the {len(tested)} tested cells: " +
                    ("; ".join(f"`{r.method}` at {pct(r.fraction)} ({r.verdict})" for r in kept.itertuples()) or "no cell stays significant"))
        rec = recommend_lownoise(table, model)
        lo, hi = int(t.n_pairs.min()), int(t.n_pairs.max())
        out[model] = (f"**{name[0].upper() + name[1:]}, low-noise protocol ({lo if lo == hi else f'{lo}–{hi}'} seed pairs per cell):** significant wins over "
                      f"random: {said(wins)}. Losses: {said(losses)}. The paper's IS minus random: {is_text}. {decides}. "
                      f"Recommendation from these rows: {rec}.")
    return out


def recommend_lownoise(table, model: str) -> str:
    from coreset_nb.compare import recommend
    rec = recommend(table, model)
    t = table[table.model == model]
    if rec["overall"] is None and not (t.verdict == "win").any():
        return ("none: no selector is significantly better than random at any budget" +
                (" (too few seed pairs to test yet)" if (t.verdict == "no test").all() else ", so random sampling is as good as any here"))
    if rec["overall"] is None: return "none: every selector that wins somewhere also loses somewhere"
    wins = table[(table.model == model) & (table.method == rec["overall"]) & (table.verdict == "win")]
    return f"`{rec['overall']}` (never significantly below random, significant wins at {', '.join(f'{100 * f:g}%' for f in wins.fraction)})"


def transfer_survival(table, before) -> str:
    "Does the transfer model's ranking of the selectors survive the low-noise protocol? `before`: the paper-like grid's comparison."
    from scipy import stats
    old, new = before[before.model == "transfer"], table[table.model == "transfer_lownoise"]
    both = old.merge(new, on=["method", "fraction"], suffixes=("_old", "_new"))
    if len(both) < 3: return ""
    rho = stats.spearmanr(both.diff_mean_old, both.diff_mean_new).statistic
    same = int((both.verdict_old == both.verdict_new).sum())
    small = both[both.fraction <= 0.02 + 1e-9]
    order = lambda col: " > ".join(small.groupby("method")[col].mean().sort_values(ascending=False).index)  # noqa: E731
    return (f"**Does the transfer model's ranking survive?** Over the {len(both)} selector × budget cells both grids have, the "
            f"paired differences with random under the two protocols have a Spearman correlation of {rho:.2f}, and {same} of "
            f"{len(both)} verdicts (win / tie / loss) are the same. Mean difference at budgets ≤ 2%, best first: paper-like protocol "
            f"{order('diff_mean_old')}; low-noise protocol {order('diff_mean_new')}.")


def lownoise_section(table, df, before) -> str:
    "Both models under the low-noise protocol: the paired differences, their CI half-widths, and the verdict lines."
    halves = paired_halfwidths(table)
    parts = [f"Made by `make cnn-grid` (`coreset_nb experiment --config cnn-selectors-lownoise --dask --workers 2`, then "
             f"`make results-tables`; the paired table: `{LOWNOISE_COMMAND}`). Cells: {_grid_progress(df)}.", ""]
    full = df[df.method == "full"].groupby("model").test_accuracy
    for model, line in lownoise_verdicts(table, halves).items():
        grid = halves[halves.model == model].assign(text=lambda h: [f"±{v:.1f}" if v == v else "–" for v in h.half]).pivot(
            index="method", columns="fraction", values="text").fillna("")
        grid.columns = [f"{f:g}" for f in grid.columns]
        epochs = df[(df.method == "full") & (df.model == model)].epochs_run
        ref = (f" The 100% reference: {100 * full.mean()[model]:.1f}% ({full.count()[model]} seed{'s' if full.count()[model] > 1 else ''}), trained for the same step budget "
               f"({int(epochs.iloc[0])} passes over the full split)." if model in full.mean() else "")
        parts += [line + ref, "", guidance_markdown(table[table.model == model], "random", "test_accuracy").strip(), "",
                  "95% CI half-width of each difference above (t-interval, points):", "",
                  grid.reset_index().to_markdown(index=False, disable_numparse=True), ""]
    survival = transfer_survival(table, before)
    return "\n".join(parts + ([survival] if survival else [])) + "\n"


def table1_section() -> str:
    "Table 1 (100%, RS and IS at 25%, both models) from the same committed grid, beside the paper's values."
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):  # load_results reports completeness; the table itself says it too
        df, cells = load_results(GRID / "results.csv", ["cnn", "transfer"])
    return table1_markdown(table1(df, cells, ["cnn", "transfer"], 0.25), "macro", "results/pbc-cpu-selectors/results.csv")


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
