"""Regenerate every table of `results/`, `results/README.md` and the README's summary from the committed results.

    python tools/make_tables.py          # or: make results-tables — writes every generated file
    python tools/make_tables.py --check  # exit 1 if any of them is stale (tests/test_results_tables.py)

Repository upkeep, not library: it knows this checkout's `results/` folders and writes its README files, so it lives
beside the other upkeep scripts and is not in the wheel. The analysis it runs is the library's: the paired comparison
(`coreset_nb.compare`), the leaderboard and its one recommendation rule (`coreset_nb.leaderboard`), one budget format.
"""


from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from coreset_nb.class_aware import NOISY_LABELS
from coreset_nb.compare import budget_label, compare, difference_grid, format_comparison, holm_adjust, verdict_counts
from coreset_nb.leaderboard import flipped_markdown, flipped_picks, leaderboard, leaderboard_markdown, recommend_selector


def replace_section(text: str, # a Markdown document
                    name: str, # the section's marker name
                    body: str, # the new text between the markers
                   ) -> str:
    "Replace what lies between `<!-- name:start -->` and `<!-- name:end -->` (both markers must be there once)."
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"need exactly one {start} before one {end}")
    head, rest = text.split(start)
    return f"{head}{start}\n{body.strip()}\n{end}{rest.split(end, 1)[1]}"


GRID = "pbc-cpu-selectors"  # every selector of the package, both models, paper protocol, 0.5%-50%: Table 1's cells
LEADERBOARDS = {"PBC": "leaderboard-lownoise-pbc", "BloodMNIST": "leaderboard-lownoise-bloodmnist"}  # every selector, the peers' too; low-noise protocol
SIMILARITY = {"PBC": "similarity-pbc", "BloodMNIST": "similarity-bloodmnist"}  # facility location's similarities
LOWNOISE = "cnn-selectors-lownoise"  # both models under the low-noise protocol, 8 seeds: the grid that decides IS vs RS
NOISE = "cnn-noise"  # the CNN's seed-to-seed spread per training protocol
CORRUPTIONS = {"noise10": "10% label noise", "noise30": "30% label noise", "lt10": "long tail 1:10", "lt50": "long tail 1:50"}
ROBUSTNESS = {f"{name}, {label}": f"robust-{key}-{name.lower()}" for key, label in CORRUPTIONS.items()
              for name in ("PBC", "BloodMNIST")}  # the leaderboard's robustness block (configs/robust-*.yaml)
RECOMMEND_MAX_FRACTION = 0.10  # the recommendation covers every budget up to 10% of both leaderboards, both models
PEERS = {"facility_location": "facility location (lazy greedy)", "typiclust": "TypiClust (Hacohen et al. 2022)",
         "probcover": "ProbCover (Yehuda et al. 2022)", "moderate": "Moderate coreset (Xia et al. 2023)",
         "graph_coverage": "graph coverage (Rustamov et al. 2026)", "subzerocore": "SubZeroCore (Moser et al. 2025)",
         "maxherding": "MaxHerding (Bae, Noh & Sutherland 2024)", "repdiv": "RepDiv (MedCAL-Bench 2025)",
         "zcore": "ZCore (WACV 2026)"}
OWN_SELECTOR = "class_aware_fl"  # the package's own answer to the peers (nbs/04h_class_aware.ipynb)
MODEL_NAMES = {"cnn": "custom CNN", "transfer": "transfer model", "cnn_lownoise": "custom CNN", "cnn_lownoise48": "custom CNN",
               "transfer_lownoise": "transfer model"}

def repo_root(start=None, # a folder inside the checkout (default: the current folder)
             )->Path: # the checkout's root: the folder with `settings.ini` and `results/`
    "The repository checkout that holds the committed results."
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "settings.ini").is_file() and (folder / "results").is_dir(): return folder
    raise FileNotFoundError(f"no checkout with settings.ini and results/ above {here}: the committed results are in the repository, not the package")

def budget_span(fractions, # the budgets to name (fractions)
                grid=None, # every budget of the grid, in order (default: `fractions`); consecutive ones become a range
               )->str: # e.g. '0.5%–5%', '10% and 25%', '1%, 5% and 25%'
    "Several budgets in words, through `budget_label`."
    grid = sorted(set(np.round(list(grid if grid is not None else fractions), 10)))
    pos = sorted(grid.index(f) for f in set(np.round(list(fractions), 10)))
    runs, start = [], None
    for i, p in enumerate(pos):
        if start is None: start = p
        if i + 1 == len(pos) or pos[i + 1] != p + 1:
            runs.append((start, p)); start = None
    words = [budget_label(grid[a]) if a == b else f"{budget_label(grid[a])} and {budget_label(grid[b])}" if b == a + 1
             else f"{budget_label(grid[a])}–{budget_label(grid[b])}" for a, b in runs]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]

def leaderboards(root, # the checkout (`repo_root`)
                 grids:dict=LEADERBOARDS, # {table name: folder under results/}
                )->dict: # {table name: `leaderboard` table}, for the grids that have results
    "The committed grids as leaderboards (every method paired with random and with the best of each budget)."
    return {name: leaderboard(Path(root) / "results" / folder) for name, folder in grids.items()
            if (Path(root) / "results" / folder / "results.csv").is_file()}

def recommendation(boards:dict, # `leaderboards(root)`
                  )->dict: # `recommend_selector`'s answer, plus `scope`: which tables, models and budgets it covers
    "The package's one recommendation: `recommend_selector` on every model of every board, budgets up to 10%."
    rec = recommend_selector(boards, model=None, max_fraction=RECOMMEND_MAX_FRACTION)
    scopes = {}  # model -> (budgets, tables)
    for name, b in boards.items():
        for model, g in b[b.fraction <= RECOMMEND_MAX_FRACTION + 1e-12].groupby("model", sort=False):
            budgets, tables = scopes.setdefault("CNN" if "cnn" in model else "transfer", (set(), []))
            budgets.update(g.fraction); tables.append(name)
    rec["scope"] = "; ".join(f"{model} {budget_span(sorted(budgets))} {'/'.join(tables)}"  # short: the README's summary lines
                             for model, (budgets, tables) in sorted(scopes.items(), key=lambda kv: kv[0] != "transfer"))
    return rec

def recommendation_sentence(rec:dict, # `recommendation(...)`
                           )->str: # one sentence, the same wherever the recommendation is stated
    "The recommendation in one sentence (bold name), or that there is none."
    if rec["method"] is None:
        return (f"**No single recommended selector** ({rec['scope']}): none is the best or tied with the best at every budget "
                "and beats random at one at least; choose by budget.")
    row = rec["table"].loc[rec["method"]]
    return (f"**Recommended selector: `{rec['method']}`**, best or tied with the best at {int(row['budgets'])} budgets "
            f"({rec['scope']}); {int(row['wins'])} wins over random.")

def rule_details(rec:dict, # `recommendation(...)` or `recommend_selector(...)`
                )->str:
    "The rule's numbers behind a recommendation: mean rank and the other selectors that are never below the best."
    if rec["method"] is None:
        tied = ", ".join(f"`{m}`" for m in rec["never_below"]) or "none"
        return f"Never below the best at any budget, but without a significant win over random: {tied}."
    t = rec["table"]
    others = ", ".join(f"`{m}`" for m in rec["passing"][1:]) or "none"
    return (f"Mean rank {t.loc[rec['method'], 'mean_rank']:.1f}, {int(t.loc[rec['method'], 'losses'])} losses to random; the other selectors that are never below the best and beat "
            f"random somewhere: {others}.")

def _best_of(b:pd.DataFrame, # a `leaderboard` table
             methods, # the methods to choose from
            )->pd.DataFrame:
    "Per (model, fraction): the method of highest mean among `methods`, and that mean."
    b = b[b.method.isin(list(methods))]
    return b.loc[b.groupby(["model", "fraction"])["mean"].idxmax(), ["model", "fraction", "method", "mean"]]

def _margins(m:str, # the recommended selector
             boards:dict, # `leaderboards(root)`
            )->list: # [(table, model, fraction, points)]
    "Per table, model and budget up to 10%: `m`'s mean minus the best of the other side (peers or the package's own), in points."
    margins = []
    for name, b in boards.items():
        b = b[(b.method != "random") & (b.fraction <= RECOMMEND_MAX_FRACTION + 1e-12)]
        rivals = {v for v in b.method.unique() if (v in PEERS) != (m in PEERS)}
        both = b[b.method == m].merge(_best_of(b, rivals), on=["model", "fraction"], suffixes=("", "_rival"))
        margins += [(name, r.model, r.fraction, (r["mean"] - r.mean_rival) * 100) for _, r in both.iterrows()]
    return margins

def ours_vs_peers(rec:dict, # `recommendation(...)`
                  boards:dict, # `leaderboards(root)`
                 )->str:
    "Whether the recommendation is a peer's method or the package's own, and its margin over the best of the other side."
    m = rec["method"]
    if m is None: return ""
    other = "the package's own selectors" if m in PEERS else "the peers' methods"
    margins = _margins(m, boards)
    text = ", ".join(f"{n}{' CNN' if 'cnn' in mo else ''} {budget_label(f)}: {d:+.1f}" for n, mo, f, d in margins)
    diffs = [d for *_, d in margins]
    verdict = (f"It is a peer's method: {PEERS[m]}." if m in PEERS else f"It is the package's own `{m}`.")
    return (f"{verdict} Its mean accuracy minus the best of {other} at each budget, in points: {text} "
            f"(mean {np.mean(diffs):+.1f}, from {min(diffs):+.1f} to {max(diffs):+.1f}).")

def _own_vs_peer(rows:pd.DataFrame, # the table's results.csv
                 r, # a row of `_best_of`: the best peer of one (model, fraction)
                 name:str, own:str, metric:str, # the table's name, the package's selector, the compared column
                )->str|None: # e.g. 'PBC 1%: +1.2 ± 0.8 W (vs `maxherding`)', None without pairs
    "One budget: `own` minus the best peer, paired by seed (`compare`), in points with its 95% t-interval."
    g = rows[(rows.model == r.model) & np.isclose(rows.fraction, r.fraction) & rows.method.isin([own, r.method])]
    t = compare(g, baseline=r.method, metric=metric)
    t = t[t.method == own]
    if not len(t): return None
    t = t.iloc[0]
    mark = " W" if t.verdict == "win" else " L" if t.verdict == "loss" else ""
    return (f"{name}{' CNN' if 'cnn' in r.model else ''} {budget_label(r.fraction)}: {100 * t.diff_mean:+.1f} "
            f"± {100 * t.diff_t_halfwidth:.1f}{mark} (vs `{r.method}`)")

@lru_cache(maxsize=None)
def grid_rows(path:Path, # a committed grid's results.csv
             )->pd.DataFrame: # its rows, read once per run (callers only read them)
    "A committed grid's results table; the margins and the flipped counts of one grid share one read."
    return pd.read_csv(path)

OWN_BUDGETS = (0.01, 0.02)  # the budgets at which the own selector's margin over random is stated with its interval

def own_vs_random(root, # the checkout
                  boards:dict, # `leaderboards(root, grids)`
                  own:str=OWN_SELECTOR, # the package's own selector
                  grids:dict=LEADERBOARDS, # {table name: folder under results/} of `boards`
                  fractions=OWN_BUDGETS, # the budgets stated
                 )->str:
    "The package's own selector minus random at 1% and 2%, every table and model: paired difference, 95% t-interval, verdict."
    parts = []
    for name, b in boards.items():
        rows = grid_rows(Path(root) / "results" / grids[name] / "results.csv")
        for model in sorted(b.model.unique(), key=lambda m: "cnn" in m):
            for f in fractions:
                if not len(b[(b.model == model) & np.isclose(b.fraction, f) & (b.method == own)]): continue
                r = pd.Series(dict(model=model, fraction=f, method="random"))
                if (p := _own_vs_peer(rows, r, name, own, "test_accuracy")) is not None: parts.append(p.replace(" (vs `random`)", ""))
    if not parts: return ""
    return (f"**The package's own `{own}` minus random** at {', '.join(budget_label(f) for f in fractions)} (points, mean over "
            "seed pairs ± 95% t-interval half-width; W / L = paired t-test p < 0.05): " + "; ".join(parts) + ".")

def own_vs_best_peer(root, # the checkout
                     boards:dict, # `leaderboards(root, grids)`
                     own:str=OWN_SELECTOR, # the package's own selector
                     metric:str="test_accuracy", # the compared column
                     grids:dict=LEADERBOARDS, # {table name: folder under results/} of `boards`
                    )->str:
    "The package's own selector against the best peer of every budget: paired difference, 95% t-interval, verdict."
    parts = []
    for name, b in boards.items():
        if own not in set(b.method): continue
        best = _best_of(b[b.fraction <= RECOMMEND_MAX_FRACTION + 1e-12], PEERS)
        rows = grid_rows(Path(root) / "results" / grids[name] / "results.csv")
        parts += [p for _, r in best.iterrows() if (p := _own_vs_peer(rows, r, name, own, metric)) is not None]
    if not parts: return ""
    return (f"**The package's own `{own}` minus the best peer of each budget** (points, mean over seed pairs ± 95% "
            f"t-interval half-width; W / L = paired t-test p < 0.05): " + "; ".join(parts) + ".")

def similarity_line(rec:dict, # `recommend_selector` on the similarity grids
                    default:str, # facility location's default similarity
                   )->str:
    "Which similarity facility location should use, by the same rule as the selectors."
    t, m = rec["table"], rec["method"]
    name = lambda v: default if v == "facility_location" else v.split("=", 1)[1].rstrip("]")
    if m is None: return "By the same rule, no similarity is the best or tied with the best at every budget of both tables and beats random."
    others = [name(v) for v in rec["passing"][1:]]
    return (f"By the same rule, the similarity to use is **{name(m)}**: never significantly below the best at any of the "
            f"{t.loc[m, 'budgets']} budgets, {t.loc[m, 'wins']} significant wins over random"
            + (f"; the others that pass: {', '.join(others)}." if others else "; no other similarity passes.")
            + (" It is the default." if m == "facility_location" else f" The default ({default}) is not: change it."))

def _paper_is_line(t:pd.DataFrame, # `recommend_selector`'s per-method table
                  )->str:
    "Where the paper's IS stands by the rule: budgets below the best, wins and losses against random."
    return (f"The paper's IS (`intelligent`) is significantly below the best at {t.loc['intelligent', 'below']} of "
            f"{t.loc['intelligent', 'budgets']} budgets (significant wins / losses against random: "
            f"{t.loc['intelligent', 'wins']} / {t.loc['intelligent', 'losses']}).") if "intelligent" in t.index else ""

def _leaderboard_body(root, rec:dict, boards:dict, # the checkout, `recommendation(...)`, `leaderboards(root)`
                     )->list: # lines: the recommendation, the rule's numbers, own vs peers, one grid per table and model
    "The part of results/leaderboard.md that results/README.md repeats."
    head = " ".join(s for s in [recommendation_sentence(rec), rule_details(rec), ours_vs_peers(rec, boards), _paper_is_line(rec["table"])] if s)
    own = "\n\n".join(t for t in (own_vs_random(root, boards), own_vs_best_peer(root, boards)) if t)
    grids = [f"**{name}, {MODEL_NAMES.get(model, model)}** (test accuracy %, difference from random in points) — "
             + leaderboard_markdown(b, model) for name, b in boards.items()
             for model in sorted(b.model.unique(), key=lambda m: "cnn" in m)]  # the transfer model first
    return [head, "", *([own, ""] if own else []), *sum(([g, ""] for g in grids), [])]

def _reused_rows(root, # the checkout
                )->list: # e.g. 'leaderboard-lownoise-pbc: 60 of 685 rows from `cnn-selectors-lownoise`'
    "Per leaderboard and similarity grid: how many of its rows were taken over from another grid (`--reuse`)."
    reused = []
    for folder in [*LEADERBOARDS.values(), *SIMILARITY.values()]:
        path = Path(root) / "results" / folder / "results.csv"
        df = pd.read_csv(path) if path.is_file() else None
        if df is not None and "reused_from" in df:
            for src, n in df["reused_from"].value_counts().items(): reused.append(f"{folder}: {n} of {len(df)} rows from `{src}`")
    return reused

def _leaderboard_intro(boards:dict, # `leaderboards(root)`
                       reused:list, # `_reused_rows(root)`
                      )->list: # the page's title and paragraphs, up to its body
    "The title of results/leaderboard.md, how it is made, the protocol, how to read it, and the reused rows."
    budgets = sorted({f for b in boards.values() for f in b.fraction})
    return [f"# Leaderboard: every selector at {budget_label(budgets[0])}–{budget_label(budgets[-1])}, paired by seed", "",
            "Made by `make results-tables` from `results/leaderboard-lownoise-*/results.csv` (`make leaderboard` runs the grids: "
            "`configs/leaderboard-lownoise-pbc.yaml`, `configs/leaderboard-lownoise-bloodmnist.yaml`). Low-noise protocol: "
            "1,500 Adam steps, cosine decay, precise BatchNorm statistics, no early stopping (the transfer head on cached "
            "MobileNet-0.25 features; the custom CNN at 48 px with flips and 90° rotations, 15 passes over the coreset "
            "clipped to 600–1,200 steps). "
            "Per budget: mean test accuracy in %, (difference from random in points; **W** / **L** = paired t-test "
            "p < 0.05), the best method of the budget in **bold**, `↓` = significantly below the best (paired t-test "
            "against it, p < 0.05). Methods ordered by mean rank. The recommendation rule: "
            "[`nbs/10b_leaderboard.ipynb`](../nbs/10b_leaderboard.ipynb).", "",
            "Rows taken over from another committed grid with the same cell id (same data, split, selection and model "
            "settings; `coreset_nb experiment --reuse`): " + ("; ".join(reused) or "none") + ".", ""]

def _similarity_part(root, # the checkout
                    )->list: # the section's lines ([] without the similarity grids)
    "The facility-location similarity study of results/leaderboard.md: the variants, the rule's answer, one grid per table."
    sims = leaderboards(root, SIMILARITY)
    if not sims: return []
    srec = recommend_selector(sims, max_fraction=RECOMMEND_MAX_FRACTION)
    from coreset_nb.selectors import SELECTORS
    default = inspect.signature(SELECTORS["facility_location"]).parameters["similarity"].default
    return ["## Facility location: which similarity?", "",
            f"`facility_location` is the selector with its default similarity (`{default}`: s = max d − d); the others "
            "are its variants `facility_location[similarity=...]` (`sqeuclidean`: max d² − d², apricot's 'euclidean'; "
            "`gaussian`: exp(−d² / 2σ²), σ the median d; `cosine`: (1 + cos) / 2). Transfer model under the paper-like "
            "protocol (early stopping on a validation tenth: configs/similarity-*.yaml), 0.5%–10%, 5 seeds, paired as above.", "",
            similarity_line(srec, default), "",
            *sum(([f"**{name}** — " + leaderboard_markdown(b), ""] for name, b in sims.items()), [])]

def most_often_best(rec:dict, # `recommend_selector(...)` on one block
                   )->tuple: # (method, budgets where it is the best, budgets of the block)
    "The selector with the best mean at the most budgets of a block (ties: the rule's order)."
    t = rec["table"]
    return t["best"].idxmax(), int(t["best"].max()), int(t["budgets"].max())

def robustness_verdict(name:str, # the block, e.g. 'PBC, 30% label noise'
                       rec:dict, # `recommend_selector` on the block's grid
                       clean:str|None, # the recommendation on the clean leaderboards
                      )->str:
    "One line: whether the one rule's choice changes in this block, said plainly when another selector is better there."
    if rec["method"] == clean: return f"{name}: the rule still recommends `{clean}`."
    if rec["method"] is None:
        tied = ", ".join(f"`{m}`" for m in rec["never_below"]) or "none"
        top, n, of = most_often_best(rec)
        return (f"{name}: no selector passes the rule here (never below the best and a win over random; never below the "
                f"best: {tied}); the best mean at the most budgets: `{top}` ({n} of {of}).")
    return f"{name}: **the rule recommends `{rec['method']}` here, not `{clean}`**: `{rec['method']}` is the better choice under this corruption."

def _robustness_part(root, # the checkout
                     clean:str|None, # the recommendation on the clean leaderboards
                    )->tuple: # (the section's lines, its verdict lines, {block: the rule's answer there})
    "The robustness block of results/leaderboard.md: per corrupted grid, the rule's verdict, the leaderboard, flipped images picked."
    head = ["## Robustness: label noise and long tails", "",
            "The training pool corrupted, the test set clean (`make robustness`: `configs/robust-*.yaml`, "
            "[`nbs/00g_corruption.ipynb`](../nbs/00g_corruption.ipynb)): symmetric label noise (10% or 30% of the pool's labels "
            "flipped, each to a uniformly drawn other class; the flips are recorded in each grid's `corruption.json`) and long "
            "tails (the largest class kept whole, the smallest 10 or 50 times smaller). The top selectors of the clean "
            "leaderboard, the paper's IS, random, and the selectors that claim robustness (`subzerocore`, `moderate`); "
            "transfer model, low-noise protocol, read as the leaderboard above.", ""]
    boards = leaderboards(root, ROBUSTNESS)
    if not boards: return head + ["No robustness results yet (`make robustness`).", ""], [], {}
    recs = {name: recommend_selector(b, model=None, max_fraction=RECOMMEND_MAX_FRACTION) for name, b in boards.items()}
    verdicts = [robustness_verdict(name, r, clean) for name, r in recs.items()]
    missing = [name for name in ROBUSTNESS if name not in boards]
    lines = [*head, "**The recommendation rule in each block** (the clean leaderboards recommend "
             f"`{clean}`):", "", *(f"- {v}" for v in verdicts), *([f"- Not run yet: {', '.join(missing)}."] if missing else []), ""]
    own = [t for o in (OWN_SELECTOR, NOISY_LABELS)  # the default, and the setting for noisy labels (nbs/04h_class_aware)
           for t in (own_vs_random(root, boards, own=o, grids=ROBUSTNESS), own_vs_best_peer(root, boards, own=o, grids=ROBUSTNESS)) if t]
    lines += sum(([t, ""] for t in own), [])
    for name, b in boards.items():
        model = sorted(b.model.unique())[0]
        order = list(b[b.model == model].groupby("method")["rank"].mean().sort_values(kind="stable").index)
        lines += [f"**{name}, {MODEL_NAMES.get(model, model)}** (test accuracy %, difference from random in points) — "
                  + leaderboard_markdown(b, model), ""]
        rows = grid_rows(Path(root) / "results" / ROBUSTNESS[name] / "results.csv")
        if "n_flipped" in rows:
            lines += [f"Flipped images in the coreset, {name}: their share of the coreset, and that share as a multiple of the "
                      "pool's (random sampling draws 1.00× on average; above 1, a selector favours mislabeled images):", "",
                      flipped_markdown(flipped_picks(rows), order), ""]
    return lines, verdicts, recs

def robustness_line(recs:dict, # `_robustness_part(...)[2]`
                    clean:str|None, # the recommendation on the clean leaderboards
                   )->str|None: # one README bullet, None before any robustness grid ran
    "The README's line on the robustness block: in how many blocks the rule keeps its choice, and who is better elsewhere."
    if not recs: return None
    kept = sum(r["method"] == clean for r in recs.values())
    better = pd.Series([r["method"] or most_often_best(r)[0] for r in recs.values() if r["method"] != clean]).value_counts()
    where = f"({len(recs)} of {len(ROBUSTNESS)} blocks)"
    if better.empty: return f"- **Noise, long tails** {where}: the rule keeps `{clean}` in every block."
    names = [f"`{m}` ({n})" for m, n in better.items()]
    line = lambda shown: f"- **Noise, long tails** {where}: `{clean}` kept in {kept}; elsewhere best most often: " + ", ".join(shown) + "."
    while len(line(names)) > SUMMARY_MAX_CHARS and len(names) > 1: names = names[:-2] + ["…"]  # the summary's width
    return line(names)

def leaderboard_section(root, # the checkout
                        rec:dict, # `recommendation(...)`
                        boards:dict, # `leaderboards(root)`
                        robust:tuple=None, # `_robustness_part(root, rec["method"])`, if already made
                       )->tuple: # (results/leaderboard.md, the section of results/README.md)
    "results/leaderboard.md, and the shorter version of it in results/README.md."
    if not boards: return "# Leaderboard\n\nNo leaderboard results yet (`make leaderboard`).\n", "No leaderboard results yet."
    body = _leaderboard_body(root, rec, boards)
    robust, verdicts, _ = _robustness_part(root, rec["method"]) if robust is None else robust
    full = [*_leaderboard_intro(boards, _reused_rows(root)), *body,
            "Per selector, over every budget of every table (a selector outside the CNN block has fewer budgets, and the rule "
            "asks for all of them):", "",
            rec["table"].reset_index().to_markdown(index=False, floatfmt=".2f"), "", *robust, *_similarity_part(root)]
    short = [*body, *(["**Under label noise and long tails** (results/leaderboard.md, robustness block):", "",
                       *(f"- {v}" for v in verdicts), ""] if verdicts else [])]
    return "\n".join(full), "\n".join(short)

def rule_on_grid(results, # one grid's results (table, results.csv or folder)
                 model:str, # which model's rows
                 board=None, # its `leaderboard` table, if already made
                )->str:
    "One line: the recommendation rule on this grid's selectors alone, for one model."
    board = leaderboard(results) if board is None else board
    rec = recommend_selector(board, model=model)
    t = rec["table"]
    below = ", ".join(f"`{m}` at {t.loc[m, 'below']}" for m in t.index if t.loc[m, "below"] > 0) or "none"
    passing = ", ".join(f"`{m}` ({t.loc[m, 'wins']} win{'s' if t.loc[m, 'wins'] != 1 else ''})" for m in rec["passing"]) or "none"
    quiet = [m for m in rec["never_below"] if m not in rec["passing"]]
    return (f"The recommendation rule on this grid's selectors alone ({t['budgets'].max()} budgets): never below the best "
            f"and beating random somewhere: {passing}" + (f"; never below the best but never beating random: "
            f"{', '.join(f'`{m}`' for m in quiet)}" if quiet else "") + f". Significantly below the best (budgets): {below}.")

def guidance_markdown(table:pd.DataFrame, # `compare`'s output for the grid
                      results, # the grid's results (for the rule, which pairs with the best too)
                      baseline:str="random", # the baseline's name, for the captions
                      metric:str="test_accuracy", # the compared metric, for the captions
                     )->str:
    "Per model: the rule on this grid, and the difference grid in points (W / L = significant win / loss), budgets in %."
    out, board = [], leaderboard(results, baseline=baseline, metric=metric)
    for model in sorted(set(table["model"])):
        t = table[table["model"] == model]
        grid = difference_grid(table, model)
        grid.columns = [budget_label(float(c)) for c in grid.columns]
        lo, hi = int(t["n_pairs"].min()), int(t["n_pairs"].max())
        base = t.groupby("fraction")["baseline_mean"].first()
        grid.loc[f"*{baseline} ({metric})*"] = [f"{base[f] * 100:.1f}" for f in base.index]
        out += [f"**{model}** — {lo if lo == hi else f'{lo}–{hi}'} seed pairs per cell. " + rule_on_grid(results, model, board), "",
                grid.reset_index().rename(columns={"index": "method"}).to_markdown(index=False, disable_numparse=True), ""]
    return "\n".join(out)

def comparison_files(folder:Path, # the grid's folder
                     table:pd.DataFrame, # `compare`'s output
                     metric:str, # the compared metric
                     stem:str, # output file name without extension
                     command:str, # the command that makes the same table
                    )->dict: # {path: text}
    "A grid's paired comparison as `<stem>.csv` (numbers) and `<stem>.md` (the table with budgets in %, then the verdict counts)."
    readable = format_comparison(table).rename(columns={"fraction": "budget"})
    readable["budget"] = table["fraction"].map(budget_label)
    counts = verdict_counts(table)
    return {folder / f"{stem}.csv": table.to_csv(index=False),
            folder / f"{stem}.md": (f"# {metric}: paired comparison with `random`\n\nMade by `{command}` (or `make results-tables`).\n\n"
                                    f"{readable.to_markdown(index=False)}\n\n{counts.reset_index().to_markdown(index=False)}\n")}

def is_vs_rs(table:pd.DataFrame, # `compare`'s output against random
             method:str="intelligent", # the paper's IS
            )->str: # e.g. 'custom CNN: tie at every budget (0.5%–25%); transfer model: tie at 0.5%–5%, loss at 10% and 25%'
    "Per model, IS's verdict against RS at each budget, in words."
    parts = []
    for model in sorted(set(table["model"])):
        t = table[(table["model"] == model) & (table["method"] == method)].sort_values("fraction")
        if not len(t): continue
        grid = list(t["fraction"])
        verdicts = list(dict.fromkeys(t["verdict"]))
        if len(verdicts) == 1:
            words = f"{verdicts[0]} at every budget ({budget_span(grid)})"
        else:
            words = ", ".join(f"{v} at {budget_span(t.loc[t.verdict == v, 'fraction'], grid)}" for v in verdicts)
        parts.append(f"{MODEL_NAMES.get(model, model)}: {words}")
    return "; ".join(parts)

NOISE_THREADS = {"pbc-cpu-selectors": "paper protocol, seeds 0-4 (pbc-cpu-selectors)",
                 "cnn-noise-threads": "cnn_lownoise at 10%, seeds 0-1 (cnn-noise-threads)"}  # same cells, TensorFlow's default threads
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

def noise_rows(root, # the checkout
              )->tuple|None: # (the runs of the cnn-noise cells, the paper protocol's earlier runs of them), or None
    "Every run of a cell of the cnn-noise config (from results/cnn-noise, or the low-noise grid that shares its chosen cells), plus the paper protocol's earlier run."
    from coreset_nb.experiments import CONFIGS_DIR, grid_cells, load_config
    results = Path(root) / "results"
    wanted = {(c.model, c.method, round(c.fraction, 10), c.seed) for c in grid_cells(load_config(CONFIGS_DIR / "cnn-noise.yaml"))}
    runs = [pd.read_csv(results / f / "results.csv") for f in (NOISE, LOWNOISE) if (results / f / "results.csv").is_file()]
    if not runs: return None
    df = pd.concat(runs).drop_duplicates("cell_id")
    df = df[[(m, me, round(f, 10), s) in wanted for m, me, f, s in zip(df.model, df.method, df.fraction, df.seed)]]
    before = pd.read_csv(results / GRID / "results.csv")
    before = before[(before.model == "cnn") & before.method.isin(set(df.method)) & before.fraction.isin(set(df.fraction))]
    return df, before.assign(model=PAPER_RUN)

def spread(rows:pd.DataFrame, # results rows
           model:str, fraction:float, # the cell
           method:str="random", # the selector
          )->tuple: # (seed-to-seed SD in points, seeds)
    "The seed-to-seed standard deviation of one cell's test accuracy, in points."
    acc = 100 * rows[(rows.model == model) & np.isclose(rows.fraction, fraction) & (rows.method == method)].test_accuracy
    return (acc.std(ddof=1), len(acc)) if len(acc) > 1 else (np.nan, len(acc))

def noise_headline(df:pd.DataFrame, before:pd.DataFrame, # `noise_rows(root)`
                  )->str:
    "One line: random's seed-to-seed SD at 2 / 10 / 25% under the paper protocol and the chosen low-noise protocol."
    rows = pd.concat([df, before])
    fr = (0.02, 0.10, 0.25)
    say = lambda m: " / ".join(f"{spread(rows, m, f)[0]:.1f}".replace("nan", "–") for f in fr) + f" points ({spread(rows, m, 0.10)[1]} seeds at 10%)"
    after, n = spread(rows, "cnn_lownoise", 0.10)
    goal = "not measured yet" if n < 2 else ("met" if after <= 2 else "not met")
    return (f"Random's seed-to-seed SD at {' / '.join(budget_label(f) for f in fr)}: paper protocol {say(PAPER_RUN)}; the chosen "
            f"low-noise protocol {say('cnn_lownoise')} (the goal, at most ~2 points at 10%: {goal}).")

def seeds_needed(df:pd.DataFrame, # runs of the CNN's protocols (random and hybrid at least)
                 target:float=3.0, # the wanted 95% CI half-width, in points
                )->pd.DataFrame: # per protocol and budget
    "Per protocol and budget: the spread of the paired difference hybrid − random, and the seeds a ±`target`-point 95% CI needs."
    pairs = compare(df[df.method.isin(["random", "hybrid"])], baseline="random", metric="test_accuracy")
    rows = []
    for r in pairs[(pairs.method == "hybrid") & (pairs.n_pairs >= 3)].itertuples():
        sd = 100 * r.diff_std
        need = next((n for n in range(3, 1000) if stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) <= target), None)
        rows.append({"protocol": f"`{r.model}`", "budget": budget_label(r.fraction), "seed pairs": r.n_pairs,
                     "hybrid − random (points)": f"{100 * r.diff_mean:+.1f}", "SD of the difference": f"{sd:.1f}",
                     "95% CI (±)": f"{100 * r.diff_t_halfwidth:.1f}", f"seeds for ±{target:g}": str(need or "> 1000")})
    return pd.DataFrame(rows)

def _noise_table(df:pd.DataFrame, before:pd.DataFrame, # `noise_rows(root)`
                )->pd.DataFrame: # per protocol, selector and budget: seeds, mean, SD, 95% CI of the mean, range
    "The seed-to-seed spread of every cell of every protocol, ordered as `PROTOCOLS`."
    rows = []
    for (model, method, fraction), g in pd.concat([df, before]).groupby(["model", "method", "fraction"], sort=False):
        acc = 100 * g.test_accuracy
        half = stats.t.ppf(0.975, len(acc) - 1) * acc.std(ddof=1) / np.sqrt(len(acc)) if len(acc) > 1 else np.nan
        rows.append({"protocol": f"`{model}`", "selector": method, "budget": budget_label(fraction),
                     "_order": (list(PROTOCOLS).index(model) if model in PROTOCOLS else 99, model, fraction, method),
                     "seeds": len(acc), "mean accuracy %": f"{acc.mean():.1f}", "seed-to-seed SD (points)": f"{acc.std(ddof=1):.1f}",
                     "95% CI of the mean (±)": f"{half:.1f}", "range": f"{acc.min():.1f}–{acc.max():.1f}"})
    return pd.DataFrame(sorted(rows, key=lambda r: r["_order"])).drop(columns="_order")

def _thread_lines(root, # the checkout
                  df:pd.DataFrame, # `noise_rows(root)[0]`
                 )->list: # one Markdown bullet per grid of `NOISE_THREADS` that shares cells with `df`
    "The same cells (same cell ids) run with one and with TensorFlow's default threads: how far their accuracies are apart."
    threads = []
    for other, what in NOISE_THREADS.items():
        path = Path(root) / "results" / other / "results.csv"
        if not path.is_file(): continue
        pair = df.merge(pd.read_csv(path)[["cell_id", "test_accuracy"]], on="cell_id", suffixes=("_1", "_2"))
        if len(pair):
            d = 100 * (pair.test_accuracy_1 - pair.test_accuracy_2).abs()
            threads.append(f"- {what}: {len(pair)} cells run with 1 and with 2 threads differ by {d.mean():.1f} points on "
                           f"average (at most {d.max():.1f}; {int((d == 0).sum())} identical).")
    return threads

def noise_section(root, # the checkout
                  df:pd.DataFrame, before:pd.DataFrame, # `noise_rows(root)`
                 )->str:
    "The CNN's seed-to-seed spread per protocol, what changes between 1 and 2 TensorFlow threads, and the seeds a grid needs."
    legend = [f"- `{name}`: {what}" for name, what in PROTOCOLS.items()]
    cmd = ("Made by `make cnn-noise` (`coreset_nb experiment --config cnn-noise`, one TensorFlow thread per process, then "
           "`make results-tables`). Protocols:")
    return "\n".join([cmd, "", *legend, "", noise_headline(df, before), "", _noise_table(df, before).to_markdown(index=False), "",
                      "1 vs 2 TensorFlow threads, same cells:", *(_thread_lines(root, df) or ["- not run yet (`make cnn-noise` runs cnn-noise-threads)"]), "",
                      "How many paired seeds a CNN grid needs for a 95% CI half-width of ±3 points on the paired difference, "
                      "from the spread measured here (t-interval, the spread taken as known):", "",
                      seeds_needed(df).to_markdown(index=False, disable_numparse=True)]) + "\n"

LOWNOISE_MODELS = {"cnn_lownoise": "custom CNN", "transfer_lownoise": "transfer model"}
LOWNOISE_COMMAND = "coreset_nb compare results/cnn-selectors-lownoise --baseline random --out results/cnn-selectors-lownoise/compare.md"

def paired_halfwidths(table:pd.DataFrame, # `compare`'s output
                     )->pd.DataFrame: # model, method, fraction, n_pairs, diff and half (points)
    "Per (model, method, fraction): seed pairs, mean paired difference and its 95% t-interval half-width, in points."
    return table.assign(diff=100 * table.diff_mean, half=100 * table.diff_t_halfwidth)[["model", "method", "fraction", "n_pairs", "diff", "half"]]

def grid_progress(df:pd.DataFrame, # the low-noise grid's results
                 )->str:
    "How many of the config's cells each model has run."
    from coreset_nb.experiments import CONFIGS_DIR, grid_cells, load_config
    cells = grid_cells(load_config(CONFIGS_DIR / f"{LOWNOISE}.yaml"))
    per_model = {m: sum(c.model == m for c in cells) for m in LOWNOISE_MODELS}
    done = ", ".join(f"{name}: {int((df.model == m).sum())} of {per_model[m]} cells" for m, name in LOWNOISE_MODELS.items())
    return done + ("" if len(df) == len(cells) else " (the run is not finished; `make cnn-grid` resumes it)")

def _ci_words(h:pd.DataFrame, # one model's `paired_halfwidths`
             )->str:
    "How many 95% CIs from 2% up are at most 3 points wide, the widest, and the range all of them lie in."
    wide = h[h.fraction >= 0.02 - 1e-9]
    ok = int((wide.half <= 3).sum())
    worst = wide.loc[wide.half.idxmax()] if len(wide) and wide.half.notna().any() else None
    decides = (f"95% CI half-width (t-interval) at most 3 points in {ok} of {len(wide)} cells from 2% up" +
               (f"; widest ±{worst.half:.1f} (`{worst.method}` at {budget_label(worst.fraction)})" if worst is not None else ""))
    if wide.half.notna().any():  # what the ties exclude: every effect outside these bounds
        decides += (f". Every 95% CI from 2% up lies within {(wide['diff'] - wide.half).min():+.1f} … "
                    f"{(wide['diff'] + wide.half).max():+.1f} points of random")
    return decides

def _holm_words(t:pd.DataFrame, # one model's rows of `compare`'s output
               )->str:
    "The cells whose win or loss stays significant after Holm's correction over the model's tested cells."
    tested = t[t.p_value.notna()]
    holm = holm_adjust(tested.p_value.to_numpy())
    kept = tested[(holm < 0.05) & tested.verdict.isin(["win", "loss"])]
    return (f". After Holm's correction over the {len(tested)} tested cells: " +
            ("; ".join(f"`{r.method}` at {budget_label(r.fraction)} ({r.verdict})" for r in kept.itertuples()) or "no cell stays significant"))

def lownoise_verdicts(table:pd.DataFrame, # `compare`'s output for the low-noise grid
                      df:pd.DataFrame, # its results (for the rule)
                     )->dict: # {model: its verdict paragraph}
    "Per model of the low-noise grid: its verdict, computed from the paired comparison and the CI half-widths."
    out, halves, board = {}, paired_halfwidths(table), leaderboard(df)
    for model, name in LOWNOISE_MODELS.items():
        t, h = table[table.model == model], halves[halves.model == model]
        if not len(t): continue
        wins, losses = t[t.verdict == "win"], t[t.verdict == "loss"]
        said = lambda rows: "; ".join(f"`{r.method}` at {budget_label(r.fraction)} ({100 * r.diff_mean:+.1f})" for r in rows.itertuples()) or "none"
        is_ = t[t.method == "intelligent"].sort_values("fraction")
        is_text = ", ".join(f"{budget_label(r.fraction)} {100 * r.diff_mean:+.1f} ({r.verdict})" for r in is_.itertuples())
        decides = _ci_words(h) + _holm_words(t)
        lo, hi = int(t.n_pairs.min()), int(t.n_pairs.max())
        out[model] = (f"**{name[0].upper() + name[1:]}, low-noise protocol ({lo if lo == hi else f'{lo}–{hi}'} seed pairs per cell):** significant wins over "
                      f"random: {said(wins)}. Losses: {said(losses)}. The paper's IS minus random: {is_text}. {decides}. "
                      + rule_on_grid(df, model, board))
    return out

def transfer_survival(table:pd.DataFrame, # `compare`'s output for the low-noise grid
                      before:pd.DataFrame, # `compare`'s output for the paper-protocol grid
                     )->str:
    "Does the transfer model's ranking of the selectors survive the low-noise protocol?"
    old, new = before[before.model == "transfer"], table[table.model == "transfer_lownoise"]
    both = old.merge(new, on=["method", "fraction"], suffixes=("_old", "_new"))
    if len(both) < 3: return ""
    rho = stats.spearmanr(both.diff_mean_old, both.diff_mean_new).statistic
    same = int((both.verdict_old == both.verdict_new).sum())
    small = both[both.fraction <= 0.02 + 1e-9]
    order = lambda col: " > ".join(small.groupby("method")[col].mean().sort_values(ascending=False).index)
    return (f"**Does the transfer model's ranking survive?** Over the {len(both)} selector × budget cells both grids have, the "
            f"paired differences with random under the two protocols have a Spearman correlation of {rho:.2f}, and {same} of "
            f"{len(both)} verdicts (win / tie / loss) are the same. Mean difference at budgets ≤ 2%, best first: paper-like protocol "
            f"{order('diff_mean_old')}; low-noise protocol {order('diff_mean_new')}.")

def _lownoise_part(table:pd.DataFrame, df:pd.DataFrame, # `compare`'s output for the low-noise grid, its results
                   model:str, line:str, # one model, and its verdict (`lownoise_verdicts`)
                  )->list: # lines: the verdict with the 100% reference, the difference grid, the half-width grid
    "One model of the low-noise section: its verdict and 100% reference, the paired differences, their CI half-widths."
    full, halves = df[df.method == "full"].groupby("model").test_accuracy, paired_halfwidths(table)
    grid = halves[halves.model == model].assign(text=lambda h: [f"±{v:.1f}" if v == v else "–" for v in h.half]).pivot(
        index="method", columns="fraction", values="text").fillna("")
    grid.columns = [budget_label(f) for f in grid.columns]
    epochs = df[(df.method == "full") & (df.model == model)].epochs_run
    n = full.count().get(model, 0)
    ref = (f" The 100% reference: {100 * full.mean()[model]:.1f}% ({n} seed{'s' if n > 1 else ''}), trained for the same step budget "
           f"({int(epochs.iloc[0])} passes over the full split)." if n else "")
    diff = difference_grid(table, model)
    diff.columns = [budget_label(float(c)) for c in diff.columns]
    return [line + ref, "", diff.reset_index().rename(columns={"index": "method"}).to_markdown(index=False, disable_numparse=True), "",
            "95% CI half-width of each difference above (t-interval, points):", "",
            grid.reset_index().to_markdown(index=False, disable_numparse=True), ""]

def lownoise_section(table:pd.DataFrame, # `compare`'s output for the low-noise grid
                     df:pd.DataFrame, # its results
                     before:pd.DataFrame, # `compare`'s output for the paper-protocol grid
                    )->str:
    "Both models under the low-noise protocol: the verdict paragraphs, the paired differences and their CI half-widths."
    parts = [f"Made by `make cnn-grid` (`coreset_nb experiment --config cnn-selectors-lownoise --dask --workers 2`, then "
             f"`make results-tables`; the paired table: `{LOWNOISE_COMMAND}`). Cells: {grid_progress(df)}.", ""]
    for model, line in lownoise_verdicts(table, df).items(): parts += _lownoise_part(table, df, model, line)
    survival = transfer_survival(table, before)
    return "\n".join(parts + ([survival] if survival else [])) + "\n"

def table1_section(root, # the checkout
                  )->str:
    "Table 1 (100%, RS and IS at 25%, both models) from the committed selector grid, beside the paper's values."
    from coreset_nb.figures import load_results
    from coreset_nb.table1 import table1, table1_markdown
    with contextlib.redirect_stdout(io.StringIO()):  # load_results reports completeness; the table itself says it too
        df, cells = load_results(Path(root) / "results" / GRID / "results.csv", ["cnn", "transfer"])
    return table1_markdown(table1(df, cells, ["cnn", "transfer"], 0.25), "macro", f"results/{GRID}/results.csv")

def registry_table(bench:Path, # benchmarks/results
                  )->str:
    "Every selector of the registry at 1% of the 1,000,000-point class (`--phases registry`), when measured."
    path = bench / "selection_at_scale_registry.csv"
    if not path.is_file(): return ""
    t = pd.read_csv(path)
    from coreset_nb.selectors import SELECTORS
    wanted = list(SELECTORS)
    missing = [s for s in wanted if s not in set(t.selector)]
    rows = t.rename(columns={"seconds": "time (s)", "peak_gb": "peak memory (GB)"})[["selector", "path", "time (s)", "peak memory (GB)"]]
    status = (f"all {len(wanted)} selectors" if not missing else
              f"{len(wanted) - len(missing)} of {len(wanted)} selectors so far; not yet measured: {', '.join(f'`{m}`' for m in missing)} "
              "(the command resumes with them)")
    return (f"\n\nThe registry at 1% of one class of {int(t.phase.iloc[0]):,} points (`--phases registry`: {status}; each in a "
            "child process, one thread; peak memory includes the 0.7 GB of the data itself and its PCA):\n\n"
            + rows.to_markdown(index=False, disable_numparse=True))

def scale_section(root, # the checkout
                 )->str:
    "The table of `benchmarks/bench_selection_at_scale.py` (its committed CSVs)."
    bench = Path(root) / "benchmarks" / "results"
    paths = [p for p in (bench / "selection_at_scale.csv", bench / "selection_at_scale_20k.csv") if p.is_file()]
    if not paths: return "Not measured yet (`.venv/bin/python benchmarks/bench_selection_at_scale.py`)."
    t = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    t["loss"] = [f"{r:.4f} × {'full FasterPAM on a 20,000-point subsample' if v.startswith('full') else 'the exact path'}"
                 if pd.notna(r) else "" for r, v in zip(t.loss_ratio, t.loss_vs)]
    t = t.rename(columns={"phase": "class size", "seconds": "time (s)", "peak_gb": "peak memory (GB)", "shared_items": "items shared with the exact path"})
    t["class size"] = [f"{int(n):,}" for n in t["class size"]]
    cols = ["class size", "selector", "setting", "path", "k", "time (s)", "peak memory (GB)", "loss", "items shared with the exact path"]
    return t[cols].astype(object).fillna("").to_markdown(index=False, disable_numparse=True) + registry_table(bench)

def dask_section(root, # the checkout
                )->str:
    "The line of `benchmarks/bench_dask_grid.py` (its committed CSV)."
    path = Path(root) / "benchmarks" / "results" / "dask_grid.csv"
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

SUMMARY_MAX_LINES, SUMMARY_MAX_CHARS = 6, 160

def _table1_line(accuracy:pd.DataFrame, # `compare` of the paper-protocol grid (test accuracy)
                )->str:
    "IS − RS at 25% per model under the paper's protocol, beside the paper's Table 1."
    from coreset_nb.table1 import paper_table1
    paper = paper_table1().set_index(["model_kind", "setting"])["accuracy"]
    is25 = accuracy[(accuracy.method == "intelligent") & np.isclose(accuracy.fraction, 0.25)].set_index("model")
    said = [f"{100 * r.diff_mean:+.1f} ({MODEL_NAMES.get(m, m)}, {r.verdict})" for m, r in is25.iterrows()]
    reported = sorted({f"{100 * (paper[m, 'IS'] - paper[m, 'RS']):+.1f}" for m in is25.index})
    return (f"- **Table 1, 25%** (paper protocol, {int(is25.n_pairs.min())} seed pairs): IS − RS = {', '.join(said)} points; "
            f"the paper's: {' / '.join(reported)}.")

def _wins_losses_line(lownoise:pd.DataFrame, # `compare` of the low-noise grid
                     )->str:
    "Every selector's significant wins / losses against RS on the low-noise grid, most wins first."
    counts = lownoise.groupby("method").verdict.agg(wins=lambda v: int((v == "win").sum()), losses=lambda v: int((v == "loss").sum()))
    counts = counts.sort_values(["wins", "losses"], ascending=[False, True])
    budgets, models = lownoise.groupby(["method", "model"]).size().max(), lownoise.model.nunique()
    return (f"- **Low-noise grid, wins / losses against RS** ({models} models × {budgets} budgets): "
            + ", ".join(f"`{m}` {r.wins} / {r.losses}" for m, r in counts.iterrows()) + ".")

def _noise_line(noise:tuple, # `noise_rows(root)`
               )->str:
    "Random's seed-to-seed SD at 10% under the paper's and the low-noise protocol."
    rows = pd.concat(noise)
    (old, n_old), (new, n_new) = spread(rows, PAPER_RUN, 0.10), spread(rows, "cnn_lownoise", 0.10)
    return (f"- **The CNN's seed-to-seed SD at 10%** (random): {old:.1f} points under the paper's protocol ({n_old} seeds), "
            f"{new:.1f} under the low-noise one ({n_new} seeds).")

def _scale_lines(root, # the checkout
                )->list: # one line, or none before the benchmark is committed
    "`hybrid` at 1% of the 1,000,000-point class: time and peak memory."
    scale = Path(root) / "benchmarks" / "results" / "selection_at_scale.csv"
    if not scale.is_file(): return []
    t = pd.read_csv(scale)
    return [f"- **Scale:** `hybrid` at 1% of a {r.phase:,}-point class: {r.seconds:.0f} s, {r.peak_gb:.2f} GB peak memory."
            for r in t[(t.selector == "hybrid") & (t.setting == "1%") & (t.phase >= 1_000_000)].head(1).itertuples()]

def summary_lines(root, # the checkout
                  rec:dict, # `recommendation(...)`
                  accuracy:pd.DataFrame, # `compare` of the paper-protocol grid (test accuracy)
                  lownoise:pd.DataFrame|None=None, # `compare` of the low-noise grid
                  noise:tuple|None=None, # `noise_rows(root)`
                  robust_recs:dict|None=None, # `_robustness_part(...)[2]`: the rule's answer in each robustness block
                 )->list: # at most `SUMMARY_MAX_LINES` Markdown bullets
    "The README's summary: a few short lines, each computed from the tables of results/README.md."
    lines, paired = [], lownoise is not None and len(lownoise)
    if paired:
        n = int(lownoise[lownoise.method == "intelligent"].n_pairs.min())
        lines.append(f"- **IS vs RS, full PBC** (low-noise protocol, {n} seed pairs): {is_vs_rs(lownoise)}.")
    lines += [_table1_line(accuracy), f"- {recommendation_sentence(rec)}"]
    if (robust := robustness_line(robust_recs or {}, rec["method"])): lines.append(robust)
    if paired: lines.append(_wins_losses_line(lownoise))
    if noise is not None: lines.append(_noise_line(noise))
    return (lines + _scale_lines(root))[:SUMMARY_MAX_LINES]

def index_findings(rec:dict, # `recommendation(...)`
                   lownoise:pd.DataFrame, # `compare` of the low-noise grid
                  )->list: # sentences the index notebook must hold word for word
    "What `nbs/index.ipynb` states about the committed results, from the same functions as the summary."
    return [f"There, IS against RS — {is_vs_rs(lownoise)}.", recommendation_sentence(rec)]

METRICS = {"test_accuracy": "compare", "test_f1_macro": "compare_f1"}  # metric -> output file stem
COMMAND = ("coreset_nb compare results/pbc-cpu-selectors --baseline random --metric {metric} "
           "--out results/pbc-cpu-selectors/{stem}.md")

def _selector_grid_files(root:Path, # the checkout
                        )->tuple: # ({path: text}, results/README.md with its `selectors` section, `compare` of test accuracy)
    "The paper-protocol grid: its paired comparison per metric, and its section of results/README.md."
    grid, files, page = root / "results" / GRID, {}, (root / "results" / "README.md").read_text()
    for metric, stem in METRICS.items():
        table = compare(grid, baseline="random", metric=metric)  # seeded bootstrap: the same text every time
        files.update(comparison_files(grid, table, metric, stem, COMMAND.format(metric=metric, stem=stem)))
        if metric == "test_accuracy":
            page, accuracy = replace_section(page, "selectors", guidance_markdown(table, grid, "random", metric)), table
    return files, page, accuracy

def _lownoise_files(root:Path, # the checkout
                    page:str, # results/README.md so far
                    accuracy:pd.DataFrame, # `compare` of the paper-protocol grid
                   )->tuple: # ({path: text}, the page with its `lownoise` section, `compare` of the low-noise grid or None)
    "The low-noise grid: its paired comparison, and its section of results/README.md (or that it has no paired cells yet)."
    low_path, lownoise, files = root / "results" / LOWNOISE, None, {}
    if (low_path / "results.csv").is_file() and (rows := pd.read_csv(low_path / "results.csv")).method.eq("random").any():
        lownoise = compare(rows, baseline="random", metric="test_accuracy")
        files.update(comparison_files(low_path, lownoise, "test_accuracy", "compare", LOWNOISE_COMMAND))
        page = replace_section(page, "lownoise", lownoise_section(lownoise, rows, accuracy))
    else: page = replace_section(page, "lownoise", "No paired cells yet: `make cnn-grid` runs them.")
    return files, page, lownoise

def outputs(root, # the checkout
           )->dict: # {path: text} of every generated file
    "Every generated file's path and text, from the committed results."
    root = Path(root)
    grid, page_path = root / "results" / GRID, root / "results" / "README.md"
    files, page, accuracy = _selector_grid_files(root)
    more, page, lownoise = _lownoise_files(root, page, accuracy)
    files.update(more)
    boards = leaderboards(root)
    rec = recommendation(boards)
    robust = _robustness_part(root, rec["method"])  # made once: leaderboard.md, results/README.md and the summary use it
    files[root / "results" / "leaderboard.md"], short = leaderboard_section(root, rec, boards, robust)
    page = replace_section(page, "leaderboard", short)
    page = replace_section(page, "scale", scale_section(root))
    page = replace_section(page, "dask", dask_section(root))
    noise = noise_rows(root)
    if noise is not None:
        section = noise_section(root, *noise)
        files[root / "results" / NOISE / "noise.md"] = f"# The custom CNN's seed-to-seed noise, per training protocol\n\n{section}"
        page = replace_section(page, "cnn-noise", section)
    files[grid / "table1.md"] = table1_section(root)
    files[page_path] = replace_section(page, "table1", files[grid / "table1.md"])
    files[root / "README.md"] = replace_section((root / "README.md").read_text(), "summary",
                                                "\n".join(summary_lines(root, rec, accuracy, lownoise, noise, robust[2])))
    return files

REFERENCE_GRIDS = ("cnn-selectors-lownoise", "leaderboard-pbc")  # committed full-PBC grids a `reproduce` run is read against


def write_reference_verdicts(results_root, # the repository's committed results
                             out, # the table the package ships (`coreset_nb.reproduce.REFERENCE_VERDICTS`)
                            ) -> Path:
    "The verdicts of the committed full-PBC grids (every selector against random), as the package ships them."
    from coreset_nb.cache import atomic_write_text
    from coreset_nb.compare import reference_verdicts
    table = pd.concat([reference_verdicts(Path(results_root) / g) for g in REFERENCE_GRIDS], ignore_index=True)
    atomic_write_text(out, table.to_csv(index=False))
    return Path(out)


def main(argv=None, # command-line arguments (default: sys.argv[1:])
        )->int: # 0, or 1 when `--check` finds a stale file
    "Regenerate the committed tables, results/README.md and the README's summary (or, with --check, name the stale ones)."
    p = argparse.ArgumentParser(description="Regenerate the committed tables, results/README.md and the README's summary from the committed results.")
    p.add_argument("--check", action="store_true", help="do not write; exit 1 if a generated file differs")
    p.add_argument("--root", default=None, help="the repository checkout (default: found from the current folder)")
    p.add_argument("--verdicts", action="store_true", help="write coreset_nb/assets/full_pbc_verdicts.csv from the committed grids")
    args = p.parse_args(argv)
    root = repo_root(args.root)
    if args.verdicts:
        from coreset_nb.reproduce import REFERENCE_VERDICTS
        print(f"-> {write_reference_verdicts(root / 'results', REFERENCE_VERDICTS)}"); return 0
    stale = []
    for path, text in outputs(root).items():
        if args.check:
            if not path.is_file() or path.read_text() != text: stale.append(path.relative_to(root))
        else:
            path.write_text(text)
            print(f"-> {path.relative_to(root)}")
    if stale: print(f"stale (run `make results-tables`): {', '.join(map(str, stale))}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main([*sys.argv[1:], "--root", str(Path(__file__).resolve().parent.parent)]))
