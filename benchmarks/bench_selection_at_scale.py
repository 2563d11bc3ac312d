"""The registry's selectors on one very large class: the scalable paths against full FasterPAM and the exact path.

Side by side in one command; every selection runs in a child process so that its peak memory
(`ru_maxrss`) is its own:

1. **At 1,000,000 × 64-d** (a mixture of 8 anisotropic Gaussians, `bench_scalable_selection.synthetic_embeddings`):
   `hybrid` at 1% (50 medoids + random), `medoids` with K = 1,000 and IS (`intelligent`, K by the silhouette) at 1%:
   wall time, peak memory and the path taken. Then the loss of each one's medoids on a random 20,000-point subsample S,
   against full FasterPAM on S for the same K (each point of S to its nearest medoid).
   Peak memory is the child's own high-water mark (`VmHWM`), data generation included.
2. **At 20,000 points**, the same selectors with the exact path (forced) against the scalable path (forced): time,
   peak memory, loss over all 20,000 points, and how many selected items the two share.
3. **Every selector of the registry** at 1% of the same 1,000,000-point class (`--phases registry`; a rerun adds only the
   selectors missing from `--out`): time, peak
   memory and path, to show that each runs at that size in bounded memory.

    .venv/bin/python benchmarks/bench_selection_at_scale.py --phases large   # phase 1 (~25 min here)
    .venv/bin/python benchmarks/bench_selection_at_scale.py --phases small   # phase 2, rows added to the same CSV
    .venv/bin/python benchmarks/bench_selection_at_scale.py --phases registry --out benchmarks/results/selection_at_scale_registry.csv
    .venv/bin/python benchmarks/bench_selection_at_scale.py --phases large --selectors intelligent   # one selector's row
    .venv/bin/python benchmarks/bench_selection_at_scale.py --n 200000 --small-n 5000 --ref-n 5000   # quicker

Writes benchmarks/results/selection_at_scale.csv (one row per selector, phase and path). Rows already in `--out` are
kept: a rerun replaces only the rows it measures again (same phase, selector and path).
"""
from _common import write_rows
import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench_scalable_selection import synthetic_embeddings

ROOT = Path(__file__).resolve().parents[1]
TARGET_S, TARGET_GB, TARGET_LOSS = 600.0, 4.0, 1.02  # hybrid at 1% on 1,000,000 points: the targets
SELECTORS = {"hybrid": "1%", "medoids": "K=1000", "intelligent": "1%"}


def peak_rss_bytes() -> int:
    """This process's peak resident memory. Linux: VmHWM of /proc/self/status, the high-water mark of this program's own
    memory. (`ru_maxrss` is not: across fork + exec it keeps the parent's peak, so a child of a large parent reads large.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"): return int(line.split()[1]) * 1024
    except OSError: pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, kilobytes elsewhere


def _budget(name, n, registry=False):
    return 1000 if name == "medoids" and not registry else max(1, round(0.01 * n))


def run_child(a):
    "One selection (child process): prints one JSON line with time, peak memory, path, medoids and selected rows."
    from coreset_nb.cluster import PerClassKMedoids, class_seed
    from coreset_nb.reduce import ClassPCA
    from coreset_nb.selectors import get_selector
    from coreset_nb.scale import scalable_medoids
    X = synthetic_embeddings(a.n, a.d, seed=a.seed)
    y = np.zeros(len(X), dtype=np.int64)
    t0 = time.perf_counter()
    kw = {}
    if a.child == "intelligent":
        kw["clusterer"] = PerClassKMedoids(random_state=a.seed, progress=False, n_jobs=1,
                                           method={"auto": "auto", "exact": "exact", "scalable": "scalable"}[a.path])
    sel = get_selector(a.child, budget=_budget(a.child, a.n, a.registry), random_state=a.seed, **kw)
    if a.child != "intelligent":  # IS: its clusterer's `method` forces the path
        if a.path == "exact": sel.exact_max_n = 10**12
        if a.path == "scalable": sel.exact_max_n = min(sel.exact_max_n, a.n - 1)
    sel.fit(X, y)
    seconds = time.perf_counter() - t0
    peak = peak_rss_bytes()
    if a.registry:
        medoids, path = [], (sel.paths_[0] if hasattr(sel, "paths_") else getattr(getattr(sel, "clustering_", None), "method_", {0: "exact"})[0])
    elif a.child == "intelligent":
        res = sel.clustering_.results_[0]
        medoids, path = res.medoids, res.method
    elif a.child == "medoids":
        medoids, path = sel.indices_, sel.paths_[0]
    else:  # hybrid: its medoids are what `select_large_class` / `select_class` computed first; recompute them (not timed)
        from coreset_nb.scale import class_medoids
        Z = ClassPCA(sel.pca_variance).fit_transform(X)
        m, seed = min(sel.cap, _budget("hybrid", a.n)), class_seed(a.seed, 0)
        medoids = (class_medoids(Z, m, seed) if sel.paths_[0] == "exact" else scalable_medoids(Z, m, seed, exact_max_n=sel.exact_max_n)[0])
        assert set(medoids.tolist()) <= set(sel.indices_.tolist()), "hybrid's medoids are not in its coreset"
        path = sel.paths_[0]
    print(json.dumps(dict(seconds=seconds, peak_rss_bytes=peak, path=path, k=len(medoids), medoids=np.asarray(medoids).tolist(),
                          selected=np.asarray(sel.indices_).tolist())))


def child(a, name, n, path, registry=False):
    cmd = [sys.executable, __file__, "--child", name, "--path", path, "--n", str(n), "--d", str(a.d), "--seed", str(a.seed)]
    if registry: cmd.append("--registry")
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, cwd=Path(__file__).parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def large_phase(a, rows):
    from coreset_nb.reduce import ClassPCA
    from coreset_nb.scale import class_medoids
    Z = ClassPCA(0.95).fit_transform(synthetic_embeddings(a.n, a.d, seed=a.seed))  # what the selectors work on
    S = Z[np.sort(np.random.default_rng(a.seed + 1).choice(len(Z), min(a.ref_n, len(Z)), replace=False))]
    for name in a.selectors:
        print(f"[1] {name} ({SELECTORS[name]}) on one class of {a.n:,} × {a.d} ...", flush=True)
        r = child(a, name, a.n, "auto")
        t0 = time.perf_counter()
        ref = class_medoids(S, r["k"], a.seed)  # full FasterPAM on S (BUILD up to K=100, seeded random above)
        ref_s = time.perf_counter() - t0
        ratio = float(min_dist_sum(S, Z[np.asarray(r["medoids"])])) / float(min_dist_sum(S, S[ref]))
        rows.append(dict(phase=f"{a.n}", selector=name, setting=SELECTORS[name], path=r["path"], k=r["k"],
                         seconds=round(r["seconds"], 1), peak_gb=round(r["peak_rss_bytes"] / 1e9, 3),
                         loss_vs=f"full FasterPAM on {len(S):,}-point subsample ({ref_s:.0f} s)", loss_ratio=round(ratio, 4),
                         shared_items=""))
        print(f"    {r['path']} path, K={r['k']}: {r['seconds']:.1f} s, peak {r['peak_rss_bytes'] / 1e9:.2f} GB; "
              f"loss on S / full FasterPAM's: {ratio:.4f}", flush=True)


def min_dist_sum(S, M, batch=20000):
    from sklearn.metrics import pairwise_distances
    return sum(pairwise_distances(S[i:i + batch], M).min(axis=1).sum() for i in range(0, len(S), batch))


def small_phase(a, rows):
    from coreset_nb.reduce import ClassPCA
    Z = ClassPCA(0.95).fit_transform(synthetic_embeddings(a.small_n, a.d, seed=a.seed))
    for name in a.selectors:
        print(f"[2] {name} on {a.small_n:,} points: exact path vs scalable path ...", flush=True)
        ex, sc = child(a, name, a.small_n, "exact"), child(a, name, a.small_n, "scalable")
        loss_ex, loss_sc = min_dist_sum(Z, Z[np.asarray(ex["medoids"])]), min_dist_sum(Z, Z[np.asarray(sc["medoids"])])
        shared = len(set(ex["selected"]) & set(sc["selected"]))
        for r, loss in ((ex, loss_ex), (sc, loss_sc)):
            rows.append(dict(phase=f"{a.small_n}", selector=name, setting=SELECTORS[name], path=r["path"], k=r["k"],
                             seconds=round(r["seconds"], 1), peak_gb=round(r["peak_rss_bytes"] / 1e9, 3),
                             loss_vs="the exact path, over all points", loss_ratio=round(loss / loss_ex, 4),
                             shared_items=f"{shared}/{len(ex['selected'])}"))
        print(f"    exact {ex['seconds']:.1f} s / {ex['peak_rss_bytes'] / 1e9:.2f} GB; scalable ({sc['path']}) {sc['seconds']:.1f} s / "
              f"{sc['peak_rss_bytes'] / 1e9:.2f} GB; loss ratio {loss_sc / loss_ex:.4f}; shared {shared}/{len(ex['selected'])}", flush=True)


def registry_phase(a, rows):
    from coreset_nb.selectors import SELECTORS
    done = {r["selector"] for r in rows if str(r["phase"]) == str(a.n)}  # a rerun measures only the selectors still missing
    for name in SELECTORS:
        if name in done or name in a.skip: continue
        print(f"[3] {name} at 1% of {a.n:,} points ...", flush=True)
        r = child(a, name, a.n, "auto", registry=True)
        rows.append(dict(phase=f"{a.n}", selector=name, setting="1%", path=r["path"], k="", seconds=round(r["seconds"], 1),
                         peak_gb=round(r["peak_rss_bytes"] / 1e9, 3), loss_vs="", loss_ratio="", shared_items=""))
        print(f"    {r['path']} path: {r['seconds']:.1f} s, peak {r['peak_rss_bytes'] / 1e9:.2f} GB", flush=True)


class Rows(list):
    """The result rows, rewritten to the CSV after every row (a long run that is stopped keeps what it measured).
    Starts from the rows already in the CSV; a new row replaces an old one of the same phase, selector and path."""
    def __init__(self, path):
        super().__init__(); self.path = Path(path)
        if self.path.exists():
            with self.path.open(newline="") as f: super().extend(csv.DictReader(f))

    def append(self, row):
        key = lambda r: (str(r["phase"]), r["selector"], r["path"])  # noqa: E731
        self[:] = [r for r in self if key(r) != key(row)]
        super().append(row); write_rows(self.path, self)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="points in the large class")
    p.add_argument("--small-n", type=int, default=20_000, help="points in the class of the exact-vs-scalable phase")
    p.add_argument("--d", type=int, default=64, help="embedding dimension")
    p.add_argument("--ref-n", type=int, default=20_000, help="subsample for the full-FasterPAM reference")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--phases", default="large,small", help="comma-separated phases: large, small, registry")
    p.add_argument("--selectors", default=",".join(SELECTORS),
                   help="comma-separated selectors of the large and small phases (default: %(default)s)")
    p.add_argument("--skip", default="", help="registry phase: comma-separated selectors left out")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--registry", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--path", choices=["auto", "exact", "scalable"], default="auto", help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "selection_at_scale.csv"))
    a = p.parse_args(argv)
    a.selectors, a.skip = [s for s in a.selectors.split(",") if s], [s for s in a.skip.split(",") if s]
    if unknown := set(a.selectors) - set(SELECTORS): p.error(f"--selectors: unknown {sorted(unknown)}; choose from {list(SELECTORS)}")
    if a.child: return run_child(a)
    rows = Rows(a.out)
    if "large" in a.phases: large_phase(a, rows)
    if "small" in a.phases: small_phase(a, rows)
    if "registry" in a.phases: registry_phase(a, rows)
    print(f"wrote {write_rows(a.out, rows)}")
    hy = [r for r in rows if str(r["phase"]) == str(a.n) and r["selector"] == "hybrid" and r["loss_ratio"] != ""]
    if hy:
        h = hy[0]; ok = lambda b: "met" if b else "NOT MET"  # noqa: E731
        sec, gb, ratio = float(h["seconds"]), float(h["peak_gb"]), float(h["loss_ratio"])
        print(f"hybrid 1% at {a.n:,}: {sec} s (<= {TARGET_S:.0f} s: {ok(sec <= TARGET_S)}), "
              f"{gb} GB (<= {TARGET_GB:.0f} GB: {ok(gb <= TARGET_GB)}), "
              f"loss ratio {ratio} (<= {TARGET_LOSS}: {ok(ratio <= TARGET_LOSS)})")


if __name__ == "__main__":
    main()
