"""Selection on one class of 200,000 synthetic 64-d embeddings with the scalable (CLARA-style) K-Medoids path.

Two phases, side by side in one command:

1. `select` (a child process, so its peak memory is its own): per-class PCA (95%) + K-Medoids for K=2..10 with the
   silhouette estimated on a sample (`PerClassKMedoids`, method="auto": the class is far above `EXACT_MAX_N`, so it
   takes the scalable path) + Intelligent Sampling of 10% of the rows. Wall time and peak RSS (`ru_maxrss`).
2. `reference` (this process): on a random 20,000-point subsample S of the same PCA-reduced features, full
   FasterPAM (BUILD init, whole 20,000×20,000 float32 matrix) for the K the selection chose, against the loss of the
   selection's medoids on S (each point of S to its nearest selected medoid). Ratio = scalable loss / FasterPAM loss.

The data: a mixture of 8 anisotropic Gaussians (random centres, Dirichlet weights, variances decaying like
1/sqrt(i), randomly rotated), float32 like real backbone features; PCA 95% keeps most of the 64 dimensions.

    .venv/bin/python benchmarks/bench_scalable_selection.py            # n=200,000, d=64, reference on 20,000
    .venv/bin/python benchmarks/bench_scalable_selection.py --n 50000 --ref-n 5000   # quicker

Writes benchmarks/results/scalable_selection.csv (one row).
"""
from _common import write_rows
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_S, TARGET_GB, TARGET_LOSS = 60.0, 4.0, 1.02


def synthetic_embeddings(n=200_000, d=64, n_components=8, seed=0):
    "n×d float32 rows from a mixture of anisotropic, randomly rotated Gaussians."
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(n_components, 2.0))
    sizes = rng.multinomial(n, weights)
    spectrum = np.arange(1, d + 1) ** -0.25  # standard deviations along the principal axes (variance ~ 1/sqrt(i))
    X = np.empty((n, d), dtype=np.float32)
    start = 0
    for size in sizes:
        centre = rng.normal(0, 1.0, d)
        rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
        X[start:start + size] = (rng.normal(size=(size, d)) * spectrum) @ rotation.T + centre
        start += size
    return X[rng.permutation(n)]


def run_select(a):
    "Phase 1 (child process): the timed selection; prints one JSON line."
    from coreset_nb.cluster import EXACT_MAX_N, PerClassKMedoids
    from coreset_nb.selectors import get_selector
    X = synthetic_embeddings(a.n, a.d, seed=a.seed)
    y = np.zeros(len(X), dtype=np.int64)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0, c0 = time.perf_counter(), time.process_time()
    clusterer = PerClassKMedoids(random_state=a.seed, progress=not a.quiet, n_jobs=1)
    clusterer.fit(X, y)
    t_cluster = time.perf_counter() - t0
    selector = get_selector("intelligent", budget=a.budget, random_state=a.seed, clusterer=clusterer).fit(X, y)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    res = clusterer.results_[0]
    print(json.dumps(dict(
        seconds=seconds, cpu_seconds=cpu, cluster_seconds=t_cluster, peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        rss_after_data_bytes=rss_data, method=res.method, k=res.k, exact_max_n=EXACT_MAX_N,
        medoids=res.medoids.tolist(), loss=res.loss, silhouette=res.silhouette, n_selected=len(selector.indices_),
        n_components=clusterer.n_components_[0])))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200_000, help="points in the class")
    p.add_argument("--d", type=int, default=64, help="embedding dimension")
    p.add_argument("--ref-n", type=int, default=20_000, help="subsample for the full-FasterPAM reference")
    p.add_argument("--budget", type=float, default=0.10, help="fraction selected by Intelligent Sampling")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--phase", choices=["all", "select"], default="all", help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "scalable_selection.csv"))
    a = p.parse_args(argv)
    if a.phase == "select":
        return run_select(a)

    print(f"[1/2] selection on one class of {a.n:,} synthetic {a.d}-d embeddings (child process) ...", flush=True)
    cmd = [sys.executable, __file__, "--phase", "select", "--n", str(a.n), "--d", str(a.d), "--budget", str(a.budget),
           "--seed", str(a.seed)] + (["--quiet"] if a.quiet else [])
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    sel = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"      {sel['method']} path, K={sel['k']}, PCA dims={sel['n_components']}, {sel['seconds']:.1f} s "
          f"(clustering {sel['cluster_seconds']:.1f} s; CPU time {sel['cpu_seconds']:.1f} s), peak RSS {sel['peak_rss_bytes'] / 1e9:.2f} GB "
          f"({sel['rss_after_data_bytes'] / 1e9:.2f} GB after making the data)", flush=True)

    import kmedoids
    from sklearn.metrics import pairwise_distances
    from coreset_nb.reduce import ClassPCA
    print(f"[2/2] reference: full FasterPAM (K={sel['k']}) on a {a.ref_n:,}-point subsample ...", flush=True)
    Z = ClassPCA(0.95).fit_transform(synthetic_embeddings(a.n, a.d, seed=a.seed))  # what the selection clustered
    rows = np.sort(np.random.default_rng(a.seed + 1).choice(len(Z), min(a.ref_n, len(Z)), replace=False))
    S = Z[rows]
    t0 = time.perf_counter()
    D = pairwise_distances(S).astype(np.float32, copy=False)
    np.fill_diagonal(D, 0)
    ref = kmedoids.fasterpam(D, sel["k"], max_iter=100, init="build", random_state=a.seed, n_cpu=1)
    ref_seconds = time.perf_counter() - t0
    del D
    ours = float(pairwise_distances(S, Z[sel["medoids"]]).min(axis=1).sum())
    ratio = ours / float(ref.loss)
    row = dict(n=a.n, d=a.d, pca_dims=sel["n_components"], method=sel["method"], exact_max_n=sel["exact_max_n"],
               k=sel["k"], selection_s=round(sel["seconds"], 2), selection_cpu_s=round(sel["cpu_seconds"], 2), clustering_s=round(sel["cluster_seconds"], 2),
               peak_rss_gb=round(sel["peak_rss_bytes"] / 1e9, 3), rss_after_data_gb=round(sel["rss_after_data_bytes"] / 1e9, 3),
               ref_n=len(rows), ref_fasterpam_s=round(ref_seconds, 1), ref_fasterpam_loss=round(float(ref.loss), 3),
               scalable_loss_on_ref=round(ours, 3), loss_ratio=round(ratio, 5),
               target_s=TARGET_S, target_gb=TARGET_GB, target_loss_ratio=TARGET_LOSS,
               met=sel["seconds"] <= TARGET_S and sel["peak_rss_bytes"] / 1e9 <= TARGET_GB and ratio <= TARGET_LOSS,
               cpu_count=os.cpu_count(), machine=platform.machine())
    outp = write_rows(a.out, [row])
    ok = lambda b: "met" if b else "NOT MET"  # noqa: E731
    print(f"selection time: {sel['seconds']:.1f} s (target <= {TARGET_S:.0f} s: {ok(sel['seconds'] <= TARGET_S)})")
    print(f"peak memory: {row['peak_rss_gb']:.2f} GB (target <= {TARGET_GB:.0f} GB: {ok(row['peak_rss_gb'] <= TARGET_GB)})")
    print(f"loss ratio scalable / full FasterPAM on {len(rows):,} points: {ratio:.4f} "
          f"(target <= {TARGET_LOSS}: {ok(ratio <= TARGET_LOSS)}); reference FasterPAM took {ref_seconds:.1f} s")
    print(f"wrote {outp}")


if __name__ == "__main__":
    main()
