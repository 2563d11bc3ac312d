"""Facility location: the package's lazy greedy against apricot's and submodlib's own implementations, side by side.

One class of 3,000, 20,000 and 100,000 points (the 64-d Gaussian mixture of `bench_scalable_selection`, reduced by the
class's own PCA keeping 95% of the variance, as `FacilityLocationSelector` sees it), a budget of 1% of the class.
Every side runs in a child process of its own virtualenv (apricot and submodlib are not dependencies of the package:
`make bench-apricot` makes `.venv-apricot` and `.venv-submodlib`), and reports its wall time and its peak memory
(`VmHWM`, the child's own high-water mark, the similarity it builds included).

The similarity is apricot's for metric='euclidean', max d² − d² (the package's `similarity="sqeuclidean"`):
- up to `--dense-max` points (default 20,000) every side builds the dense n×n similarity and runs lazy greedy:
  the package's `facility_location` (forced exact), apricot `FacilityLocationSelection(optimizer="lazy")`, submodlib
  `FacilityLocationFunction(mode="dense", sijs=...)` + `maximize(optimizer="LazyGreedy")`;
- above it a dense matrix does not fit (100,000² float64 is 80 GB): apricot and submodlib get the same sparse
  `--neighbors`-nearest-neighbour similarity (apricot's `n_neighbors`; submodlib's own sparse mode builds a dense
  matrix first, so it is given the sparse kernel, built in its child and timed);
- at every size, the package as a user runs it: `FacilityLocationSelector(similarity="sqeuclidean")`, which takes the
  exact path up to `EXACT_MAX_N` (10,000) rows and runs the exact greedy on random parts above.

Quality is compared on one number computable at every size: the coverage loss Σᵢ min_{j∈S} ‖zᵢ − z_j‖² over all points
(facility location with this similarity maximises n·max d² − that loss, so a lower loss is a higher objective).
`loss_ratio` = a side's loss / the package exact path's (or, where no exact path runs, the package default's);
`objective_ratio` = the dense objective F(S) = Σᵢ max_{j∈S} s_ij of the package's exact set / the side's (≤ 20,000).

    make bench-apricot      # or: .venv/bin/python benchmarks/bench_facility_location.py [--sizes 3000,20000,100000]

Writes benchmarks/results/facility_location.csv (one row per size and side).
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_rows  # noqa: E402
from bench_scalable_selection import synthetic_embeddings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

PEAK = """
def peak_bytes():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"): return int(line.split()[1]) * 1024
"""

# Each child: argv = Z.npy, k, mode ('dense' | 'sparse'), neighbors. Prints one JSON line: ranking, seconds, peak.
SPARSE_KERNEL = """
def sparse_similarity(Z, neighbors):
    "The neighbours' max d² − d² as a CSR matrix (each row: its `neighbors` nearest points, itself included)."
    from scipy import sparse
    from sklearn.neighbors import NearestNeighbors
    dist, ind = NearestNeighbors(n_neighbors=neighbors).fit(Z).kneighbors(Z)
    d2 = dist ** 2
    rows = np.repeat(np.arange(len(Z)), neighbors)
    return sparse.csr_matrix(((d2.max() - d2).ravel(), (rows, ind.ravel())), shape=(len(Z), len(Z)))
"""

CHILDREN = {
    "apricot": PEAK + """
import json, sys, time
import numpy as np
""" + SPARSE_KERNEL + """
from apricot import FacilityLocationSelection
Z, k, mode, neighbors = np.load(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
FacilityLocationSelection(2, metric="euclidean", optimizer="lazy").fit(Z[:50])  # numba compilation, not timed
t = time.perf_counter()
if mode == "dense": sel = FacilityLocationSelection(k, metric="euclidean", optimizer="lazy").fit(Z)
else:  # its own n_neighbors path fails with int64 kNN indices (numba signature): the same sparse kernel, int32 indices
    S = sparse_similarity(Z, neighbors); S.indices, S.indptr = S.indices.astype(np.int32), S.indptr.astype(np.int32)
    sel = FacilityLocationSelection(k, metric="precomputed", optimizer="lazy").fit(S)
print(json.dumps(dict(ranking=[int(i) for i in sel.ranking], seconds=time.perf_counter() - t, peak=peak_bytes())))
""",
    "submodlib": PEAK + """
import json, sys, time
import numpy as np
""" + SPARSE_KERNEL + """
from submodlib import FacilityLocationFunction
Z, k, mode, neighbors = np.load(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
t = time.perf_counter()
if mode == "dense":
    from sklearn.metrics import pairwise_distances
    D2 = pairwise_distances(Z, squared=True)
    f = FacilityLocationFunction(n=len(Z), mode="dense", sijs=D2.max() - D2, separate_rep=False)
else:
    f = FacilityLocationFunction(n=len(Z), mode="sparse", sijs=sparse_similarity(Z, neighbors), num_neighbors=neighbors)
picks = f.maximize(budget=k, optimizer="LazyGreedy", stopIfZeroGain=False, stopIfNegativeGain=False, verbose=False,
                   show_progress=False)
print(json.dumps(dict(ranking=[int(i) for i, _ in picks], seconds=time.perf_counter() - t, peak=peak_bytes())))
""",
    "coreset_nb exact": PEAK + """
import json, sys, time
import numpy as np
from coreset_nb.peers import facility_location, similarity_matrix
Z, k = np.load(sys.argv[1]).astype(np.float64), int(sys.argv[2])
t = time.perf_counter()
ranking = facility_location(similarity_matrix(Z, "sqeuclidean"), k)[0]
print(json.dumps(dict(ranking=[int(i) for i in ranking], seconds=time.perf_counter() - t, peak=peak_bytes())))
""",
    "coreset_nb default": PEAK + """
import json, sys, time
import numpy as np
from coreset_nb.peers import FacilityLocationSelector
Z, k = np.load(sys.argv[1]).astype(np.float64), int(sys.argv[2])
t = time.perf_counter()
sel = FacilityLocationSelector(budget=k, similarity="sqeuclidean", pca_variance=None, random_state=0).fit(Z, np.zeros(len(Z), int))
print(json.dumps(dict(ranking=[int(i) for i in sel.indices_], seconds=time.perf_counter() - t, peak=peak_bytes(),
                      path=sel.paths_[0])))
""",
}


def kept_rows(path, sizes, sides) -> list:
    "The rows of `path` this run does not measure again: other class sizes, and the sides it skips (`--skip`)."
    import csv
    if not Path(path).is_file(): return []
    with open(path, newline="") as f: return [r for r in csv.DictReader(f) if int(r["n"]) not in sizes or r["side"] in sides]


def coverage_loss(Z, picks, batch=8192) -> float:
    "Σᵢ min_{j∈S} ‖zᵢ − z_j‖² over every point, in batches."
    from sklearn.metrics import pairwise_distances
    C = Z[np.asarray(picks)]
    return float(sum(pairwise_distances(Z[i:i + batch], C, squared=True).min(axis=1).sum() for i in range(0, len(Z), batch)))


def run_side(python, side, path, k, mode, neighbors, timeout):
    cmd = [python, "-c", CHILDREN[side], str(path), str(k), mode, str(neighbors)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return dict(error=f"did not finish in {timeout} s")
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["killed"])[-1]
        return dict(error=f"exit {res.returncode}: {last[:160]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="3000,20000,100000", help="points in the class")
    p.add_argument("--fraction", type=float, default=0.01, help="budget as a fraction of the class")
    p.add_argument("--d", type=int, default=64, help="dimension before the class PCA")
    p.add_argument("--dense-max", type=int, default=20_000, help="largest class given a dense similarity")
    p.add_argument("--neighbors", type=int, default=100, help="nearest neighbours of the sparse similarity")
    p.add_argument("--timeout", type=int, default=1800, help="seconds before a side counts as not finished")
    p.add_argument("--apricot-python", default=str(ROOT / ".venv-apricot" / "bin" / "python"))
    p.add_argument("--submodlib-python", default=str(ROOT / ".venv-submodlib" / "bin" / "python"))
    p.add_argument("--skip", action="append", default=[], help="a side not run again: its rows in --out are kept (repeatable)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "facility_location.csv"))
    a = p.parse_args(argv)
    from coreset_nb.reduce import ClassPCA
    pythons = {"coreset_nb exact": sys.executable, "coreset_nb default": sys.executable,
               "apricot": a.apricot_python, "submodlib": a.submodlib_python}
    for side, py in pythons.items():
        if not Path(py).is_file(): sys.exit(f"no python for {side} at {py}: run `make bench-apricot` (it makes the venvs)")
    sizes = [int(s) for s in a.sizes.split(",")]
    rows, kept = [], kept_rows(a.out, sizes, a.skip)
    for n in sizes:
        Z = ClassPCA(0.95).fit_transform(synthetic_embeddings(n, a.d, seed=0)).astype(np.float64)
        k, dense = max(1, round(a.fraction * n)), n <= a.dense_max
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "Z.npy"; np.save(path, Z)
            for side in [s for s in (["coreset_nb exact"] if dense else []) + ["coreset_nb default", "apricot", "submodlib"] if s not in a.skip]:
                mode = "default" if side == "coreset_nb default" else "dense" if dense else "sparse"
                print(f"n={n:,} k={k}: {side} ({mode}) ...", flush=True)
                results[side] = dict(mode=mode, **run_side(pythons[side], side, path, k, mode, a.neighbors, a.timeout))
        ref_side = "coreset_nb exact" if dense else "coreset_nb default"
        losses = {s: coverage_loss(Z, r["ranking"]) for s, r in results.items() if "ranking" in r}
        if dense:
            from coreset_nb.peers import similarity_matrix
            S = similarity_matrix(Z, "sqeuclidean")
            objective = {s: float(S[:, np.asarray(r["ranking"])].max(axis=1).sum()) for s, r in results.items() if "ranking" in r}
            del S
        for side, r in results.items():
            mode = r["mode"] + (f" ({r['path']} path)" if "path" in r else "") + (f", {a.neighbors}-NN" if r["mode"] == "sparse" else "")
            ok = "ranking" in r
            rows.append(dict(n=n, d=Z.shape[1], k=k, side=side, mode=mode,
                             seconds=round(r["seconds"], 2) if ok else "", peak_gb=round(r["peak"] / 1e9, 3) if ok else "",
                             coverage_loss=round(losses[side], 2) if ok else "",
                             loss_ratio=round(losses[side] / losses[ref_side], 5) if ok and ref_side in losses else "",
                             objective_ratio=round(objective[ref_side] / objective[side], 6) if ok and dense else "",
                             shared_with_exact=len(set(r["ranking"]) & set(results[ref_side]["ranking"])) if ok and ref_side in losses else "",
                             note=r.get("error", "")))
            x = rows[-1]
            print(f"    {side:18s} {x['mode']:28s} {x['seconds'] or '-':>8} s  {x['peak_gb'] or '-':>6} GB  loss ratio "
                  f"{x['loss_ratio'] or '-'}  {x['note']}", flush=True)
        write_rows(a.out, sorted(rows + kept, key=lambda r: int(r["n"])))  # after every size: a stopped run keeps what it measured
    print(f"wrote {a.out}\n\n{markdown_table(sorted(rows + kept, key=lambda r: int(r['n'])))}")
    return 0


def markdown_table(rows) -> str:
    "The CSV as the table of benchmarks/README.md."
    head = "| n | k | side | mode | time (s) | peak memory (GB) | coverage loss / reference | objective ratio (reference / side) | picks shared with the reference | note |"
    lines = [head, "|---" * 10 + "|"]
    for r in rows:
        lines.append(f"| {int(r['n']):,} | {r['k']} | {r['side']} | {r['mode']} | {r['seconds']} | {r['peak_gb']} | {r['loss_ratio']} | "
                     f"{r['objective_ratio']} | {r['shared_with_exact']} | {r['note']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
