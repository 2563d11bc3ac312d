"""K-sweep (K=2..10) + silhouette on real PBC class features: kmedoids FasterPAM vs scikit-learn-extra PAM / alternate.

Real data: MobileNet-0.25 (ImageNet weights, 224 px, average pooling) features of the 17,092 PBC images, computed
by the package (a cache hit after the first run), then each class reduced by its own PCA keeping 95% of the variance
(`coreset_nb.reduce`), exactly what `PerClassKMedoids` clusters. The three backends are the package's own
(`coreset_nb.cluster.BACKENDS`: BUILD initialisation, max_iter=100) on the same precomputed matrix of each class;
FasterPAM's K-sweep is timed as the package runs it (`sweep_backend`: one BUILD for K=10 shared by every K, same
results as separate runs) and also K by K.

To finish in a few minutes, one class (`--full-class`, default neutrophil: the largest, 3,329 images) is measured at
full size and every other class on a seeded random subsample of `--max-n` points (default 1,000); the table says
which. Each (backend, K) is timed `--repeats` times, interleaved, and the median is kept; wall time and CPU time
(`time.process_time`, this process only) are both recorded: the machine may be shared, and all three backends run
single-threaded. "BUILD" is FasterPAM stopped after its BUILD initialisation (`max_iter=0`), and "FPrand" FasterPAM
from a random initialisation instead of BUILD (not a package backend), to show where FasterPAM's time goes.

One command (from the main venv; the sweep itself runs in `.venv-skextra`, which has scikit-learn-extra and numpy<2
but no TensorFlow):

    .venv/bin/python benchmarks/bench_kmedoids_ksweep.py
    .venv/bin/python benchmarks/bench_kmedoids_ksweep.py --max-n 500 --repeats 1      # quicker

Writes benchmarks/results/kmedoids_ksweep.csv (one row per class) and kmedoids_ksweep_detail.csv (per class, K,
backend). Targets: FasterPAM K-sweep >= 20x faster than PAM, loss within 0.1% of PAM's.
"""
import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SKX_PYTHON = ROOT / ".venv-skextra" / "bin" / "python"
TARGET_SPEEDUP, TARGET_LOSS = 20.0, 1.001
BACKEND_NAMES = ("fasterpam", "pam", "alternate")


def default_features_path():
    from coreset_nb.features import default_cache_dir  # noqa: the main venv only
    return default_cache_dir() / "benchmarks" / "pbc_mobilenet025_avg224_pca95.npz"


def prepare_features(a):
    "Main venv: package features of real PBC images (cache hit), PCA 95% per class, saved as one array per class."
    from coreset_nb.data import load_dataset
    from coreset_nb.features import extract_features
    from coreset_nb.reduce import reduce_per_class
    t0 = time.perf_counter()
    ds = load_dataset(a.data, progress=False)
    fs = extract_features(ds, "mobilenet", a.weights, image_size=224, pooling="avg", progress=not a.quiet)
    reduced = reduce_per_class(fs.X, ds.labels, 0.95)
    out = Path(a.features)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **{ds.class_names[k]: v for k, v in reduced.items()})
    print(f"features: {fs.X.shape} ({'cache hit' if fs.cache_hit else 'extracted'}), PCA 95% per class -> "
          + ", ".join(f"{ds.class_names[k]} {v.shape[0]}x{v.shape[1]}" for k, v in reduced.items())
          + f" ({time.perf_counter() - t0:.1f} s) -> {out}", flush=True)


def _timed(f, *args):
    w, c = time.perf_counter(), time.process_time()
    out = f(*args)
    return out, time.perf_counter() - w, time.process_time() - c


def sweep(a):
    "Skextra venv: time and compare the three backends' K-sweeps on every class."
    import kmedoids
    from sklearn.metrics import silhouette_score as _silhouette
    silhouette_score = lambda D, labels: _silhouette(D, labels, metric="precomputed")  # noqa: E731
    from coreset_nb.cluster import BACKENDS, dissimilarity_matrix, sweep_backend
    from coreset_nb.cluster_backends import _import_skextra_kmedoids  # registers 'pam', 'alternate' and the FasterPAM sweep
    from importlib.metadata import version
    _import_skextra_kmedoids()
    feats = np.load(a.features)
    ks = list(range(2, 11))
    detail, summary = [], []

    def build_only(D, k, seed, max_iter):
        res = kmedoids.fasterpam(D, k, max_iter=0, init="build", random_state=seed, n_cpu=1)
        return None, None, float(res.loss)
    def random_init(D, k, seed, max_iter):
        res = kmedoids.fasterpam(D, k, max_iter=max_iter, init="random", random_state=seed, n_cpu=1)
        return None, None, float(res.loss)
    fits = {**{b: BACKENDS[b] for b in BACKEND_NAMES}, "build": build_only, "fasterpam_random": random_init}

    print(f"K-sweep K=2..10, median of {a.repeats} interleaved repeats; kmedoids {version('kmedoids')}, "
          f"scikit-learn-extra {version('scikit-learn-extra')}, numpy {np.__version__}", flush=True)
    head = (f"{'class':<13}{'n':>6}{'d':>4}  {'FP sweep s':>10}{'PAM s':>8}{'altern. s':>10}  {'PAM/FP':>7}"
            f"{'PAM/FP cpu':>11}{'+silh.':>7}{'alt/FP':>7}  {'FP per-K s':>10}{'PAM/FPperK':>11}{'BUILD %':>8}"
            f"  {'loss FP/PAM max':>15}  K FP/PAM/alt  {'PAM/FPrand':>10} {'loss FPrand/PAM max':>19}")
    print(head)
    for cls in feats.files:
        Z = feats[cls]
        full = cls == a.full_class or len(Z) <= a.max_n
        if not full:
            Z = Z[np.sort(np.random.default_rng(a.seed).choice(len(Z), a.max_n, replace=False))]
        D = dissimilarity_matrix(Z)
        wall = {(b, k): [] for b in fits for k in ks}
        cpu = {(b, k): [] for b in fits for k in ks}
        sil_wall = {(b, k): [] for b in BACKEND_NAMES for k in ks}
        loss, sil = {}, {}
        sweep_wall, sweep_cpu = [], []

        def package_sweep():  # the package's FasterPAM K-sweep: one shared BUILD (`sweep_backend`)
            fits_all, w, c = _timed(sweep_backend, D, ks, "fasterpam", a.seed, 100)
            sweep_wall.append(w); sweep_cpu.append(c)
            return fits_all
        for r in range(a.repeats):
            if r % 2 == 0: sweep_fits = package_sweep()
            for k in ks:
                order = list(fits)[r % len(fits):] + list(fits)[:r % len(fits)]  # rotate who goes first
                for b in order:
                    (labels, _, l), w, c = _timed(fits[b], D, k, a.seed, 100)
                    wall[b, k].append(w); cpu[b, k].append(c); loss[b, k] = l
                    if b not in BACKEND_NAMES: continue
                    s, w, _ = _timed(silhouette_score, D, labels)
                    sil_wall[b, k].append(w); sil[b, k] = float(s)
            if r % 2 == 1: sweep_fits = package_sweep()
        for k in ks:
            loss["sweep", k] = sweep_fits[k][2]
        med = lambda d, b, k: statistics.median(d[b, k])  # noqa: E731
        tot = {b: sum(med(wall, b, k) for k in ks) for b in fits}
        tot_cpu = {b: sum(med(cpu, b, k) for k in ks) for b in fits}
        tot["sweep"], tot_cpu["sweep"] = statistics.median(sweep_wall), statistics.median(sweep_cpu)
        tot_sil = {b: tot[b] + sum(med(sil_wall, b, k) for k in ks) for b in BACKEND_NAMES}
        tot_sil["sweep"] = tot["sweep"] + sum(med(sil_wall, "fasterpam", k) for k in ks)  # same labels as per-K FasterPAM
        loss_ratio = {k: loss["sweep", k] / loss["pam", k] for k in ks}
        chosen = {b: max(ks, key=lambda k: (sil[b, k], -k)) for b in BACKEND_NAMES}
        for k in ks:
            for b in fits:
                detail.append(dict(cls=cls, n=len(Z), d=Z.shape[1], full_class=full, k=k, backend=b,
                                   median_wall_s=round(med(wall, b, k), 5), median_cpu_s=round(med(cpu, b, k), 5),
                                   loss=round(loss[b, k], 4), loss_vs_pam=round(loss[b, k] / loss["pam", k], 6),
                                   silhouette=round(sil.get((b, k), float("nan")), 5),
                                   silhouette_wall_s=round(med(sil_wall, b, k), 5) if b in BACKEND_NAMES else ""))
        row = dict(cls=cls, n=len(Z), d=Z.shape[1], full_class=full, repeats=a.repeats,
                   fasterpam_sweep_s=round(tot["sweep"], 4), pam_s=round(tot["pam"], 4), alternate_s=round(tot["alternate"], 4),
                   pam_over_fasterpam=round(tot["pam"] / tot["sweep"], 2),
                   pam_over_fasterpam_cpu=round(tot_cpu["pam"] / tot_cpu["sweep"], 2),
                   pam_over_fasterpam_with_silhouette=round(tot_sil["pam"] / tot_sil["sweep"], 2),
                   alternate_over_fasterpam=round(tot["alternate"] / tot["sweep"], 2),
                   fasterpam_per_k_s=round(tot["fasterpam"], 4),
                   pam_over_fasterpam_per_k=round(tot["pam"] / tot["fasterpam"], 2),
                   fasterpam_build_s=round(tot["build"], 4), build_share_per_k=round(tot["build"] / tot["fasterpam"], 3),
                   fasterpam_random_s=round(tot["fasterpam_random"], 4),
                   pam_over_fasterpam_random=round(tot["pam"] / tot["fasterpam_random"], 2),
                   max_loss_ratio_fasterpam_random_over_pam=round(max(loss["fasterpam_random", k] / loss["pam", k] for k in ks), 6),
                   max_loss_ratio_fasterpam_over_pam=round(max(loss_ratio.values()), 6),
                   loss_ratio_at_chosen_k=round(loss_ratio[chosen["fasterpam"]], 6),
                   max_loss_ratio_fasterpam_over_alternate=round(max(loss["fasterpam", k] / loss["alternate", k] for k in ks), 6),
                   k_fasterpam=chosen["fasterpam"], k_pam=chosen["pam"], k_alternate=chosen["alternate"],
                   speedup_target=TARGET_SPEEDUP, loss_target=TARGET_LOSS,
                   speedup_met=tot["pam"] / tot["sweep"] >= TARGET_SPEEDUP,
                   loss_met=max(loss_ratio.values()) <= TARGET_LOSS)
        summary.append(row)
        print(f"{cls + ('' if full else '*'):<13}{len(Z):>6}{Z.shape[1]:>4}  {tot['sweep']:>10.3f}{tot['pam']:>8.3f}"
              f"{tot['alternate']:>10.3f}  {row['pam_over_fasterpam']:>6.1f}x{row['pam_over_fasterpam_cpu']:>10.1f}x"
              f"{row['pam_over_fasterpam_with_silhouette']:>6.1f}x{row['alternate_over_fasterpam']:>6.2f}x  "
              f"{tot['fasterpam']:>10.3f}{row['pam_over_fasterpam_per_k']:>10.1f}x{100 * row['build_share_per_k']:>7.0f}%  "
              f"{row['max_loss_ratio_fasterpam_over_pam']:>15.6f}  "
              f"{chosen['fasterpam']}/{chosen['pam']}/{chosen['alternate']}       "
              f"{row['pam_over_fasterpam_random']:>9.1f}x {row['max_loss_ratio_fasterpam_random_over_pam']:>19.6f}",
              flush=True)
    print("* = seeded random subsample of the class; FP sweep = the package's FasterPAM K-sweep (one shared BUILD); "
          "PAM/FP = PAM K-sweep time / FP sweep time (wall), cpu = same in CPU time, +silh. = including the silhouette "
          "of every K; FP per-K = FasterPAM run separately for each K (one BUILD per K, as before), BUILD % = BUILD's "
          "share of that; FPrand = FasterPAM per K from a random initialisation (not a package backend)")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path, rows in ((out, summary), (out.with_name(out.stem + "_detail.csv"), detail)):
        with path.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    ratios = [r["pam_over_fasterpam"] for r in summary]
    worst_loss = max(r["max_loss_ratio_fasterpam_over_pam"] for r in summary)
    ok = lambda b: "met" if b else "NOT MET"  # noqa: E731
    print(f"FasterPAM vs PAM K-sweep time ratio: median over classes {statistics.median(ratios):.1f}x "
          f"(range {min(ratios):.1f}-{max(ratios):.1f}x; target >= {TARGET_SPEEDUP:.0f}x: "
          f"{ok(min(ratios) >= TARGET_SPEEDUP)}); with one BUILD per K instead: median "
          f"{statistics.median(r['pam_over_fasterpam_per_k'] for r in summary):.1f}x, BUILD being "
          f"{100 * statistics.median(r['build_share_per_k'] for r in summary):.0f}% of that FasterPAM time")
    print(f"FasterPAM / PAM loss: worst over classes and K {worst_loss:.6f} (target <= {TARGET_LOSS}: "
          f"{ok(worst_loss <= TARGET_LOSS)})")
    print(f"wrote {out} and {out.with_name(out.stem + '_detail.csv')} ({platform.machine()}, {os.cpu_count()} CPUs)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DATA / "pbc_224_q80.zip"), help="PBC zip or folder")
    p.add_argument("--weights", default=str(DATA / "mobilenet_2_5_224_tf_no_top.h5"), help="MobileNet-0.25 no-top .h5")
    p.add_argument("--features", default=None, help="use this per-class reduced features .npz (default: remake it)")
    p.add_argument("--full-class", default="neutrophil", help="class measured at full size")
    p.add_argument("--max-n", type=int, default=1000, help="subsample size of every other class")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skextra-python", default=str(SKX_PYTHON), help="python of the venv with scikit-learn-extra")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--phase", choices=["all", "prepare", "sweep"], default="all", help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "kmedoids_ksweep.csv"))
    a = p.parse_args(argv)
    if a.phase == "sweep":
        return sweep(a)
    if a.features is None or not Path(a.features).exists() or a.phase == "prepare":
        a.features = a.features or str(default_features_path())
        prepare_features(a)  # always remade by default: a few seconds (features come from the package's cache)
    if a.phase == "prepare":
        return
    if not Path(a.skextra_python).exists():
        sys.exit(f"{a.skextra_python} not found: create the scikit-learn-extra venv first (make .venv-skextra/.installed"
                 " or make test-skextra)")
    cmd = [a.skextra_python, __file__, "--phase", "sweep", "--features", a.features, "--full-class", a.full_class,
           "--max-n", str(a.max_n), "--repeats", str(a.repeats), "--seed", str(a.seed), "--out", a.out]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
