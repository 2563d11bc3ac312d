"""An experiment grid of transfer-model cells run by one process and by a 2-worker Dask LocalCluster, side by side.

Both runs use one TensorFlow thread per process (`coreset_nb.dask_grid.ONE_THREAD_ENV`: a LocalCluster worker's setting),
so their numbers must be identical; the benchmark checks that the two results.csv files agree on every column except
the timing ones, and reports the wall-time ratio. Each run starts from an empty results folder; the caches (features, each
seed's clustering) are filled before either run and both read them, so the ratio is about running cells.

    .venv/bin/python benchmarks/bench_dask_grid.py                         # 24 cells on the shipped demo data (~3 min)
    .venv/bin/python benchmarks/bench_dask_grid.py --data ../shared/data/pbc_224_q80.zip --image-size 224   # full PBC

Writes benchmarks/results/dask_grid.csv (one row).
"""
from _common import write_rows
from coreset_nb.experiments import without_timings
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "coreset_nb")


def config(a, tmp, results, **grid):
    weights = "{assets}/mobilenet_2_5_224_tf_no_top.h5"
    cfg = dict(name="bench-dask-grid", data=a.data, results_dir=str(results), cache_dir=str(tmp / "cache"),
               split=dict(test_size=0.25, seed=0), methods=["random", "intelligent", "medoids", "hybrid"],
               fractions=[0.1, 0.25, 0.5], seeds=[0, 1], include_full=False,
               selection=dict(backbone="mobilenet", weights=weights, alpha=0.25, image_size=a.image_size, pooling="avg",
                              pca_variance=0.95, k_range=[2, 10], backend="fasterpam", allocation="proportional"),
               models=dict(transfer=dict(kind="transfer", backbone="mobilenet", weights=weights, alpha=0.25, image_size=a.image_size,
                                         dropout=0.2, epochs=60, batch_size=32, learning_rate=0.001, patience=10, val_fraction=0.1,
                                         measure_backbone_time=False)))
    cfg.update(grid)
    path = tmp / f"{results.name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run(cfg, extra=()):
    from coreset_nb.dask_grid import ONE_THREAD_ENV
    t0 = time.perf_counter()
    subprocess.run([CLI, "experiment", "--config", str(cfg), "--quiet", *extra], check=True, env=dict(os.environ, **ONE_THREAD_ENV),
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT / "coreset_nb" / "assets" / "pbc_demo_300perclass_96px.zip"))
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "dask_grid.csv"))
    a = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    print("filling the feature cache (not timed) ...", flush=True)
    run(config(a, tmp, tmp / "warm", methods=["intelligent"], fractions=[0.1]))  # features, and each seed's clustering
    one = run(config(a, tmp, tmp / "one-process"))
    print(f"one process: {one:.1f} s", flush=True)
    dask = run(config(a, tmp, tmp / "dask"), ["--dask", "--workers", str(a.workers)])
    print(f"{a.workers}-worker LocalCluster: {dask:.1f} s", flush=True)
    r1, r2 = (pd.read_csv(tmp / n / "results.csv") for n in ("one-process", "dask"))
    c1, c2 = without_timings(r1), without_timings(r2)
    identical = len(r1) == len(r2) and c1.equals(c2)
    differing = int((c1.ne(c2) & ~(c1.isna() & c2.isna())).any(axis=1).sum()) if len(r1) == len(r2) else len(r1)
    row = dict(data=Path(a.data).name, cells=len(r1), one_process_s=round(one, 1), dask_s=round(dask, 1), workers=a.workers,
               speedup=round(one / dask, 2), results_identical=identical, cells_differing=differing, cpu_count=os.cpu_count(),
               one_process_epoch_ms=round(1000 * r1.epoch_time_s.median(), 1), dask_epoch_ms=round(1000 * r2.epoch_time_s.median(), 1))
    print(f"{len(r1)} cells: one process {one:.1f} s, {a.workers}-worker LocalCluster {dask:.1f} s: {one / dask:.2f}x; "
          f"results.csv identical (timing columns aside): {identical} ({differing} cells differ)")
    print(f"wrote {write_rows(a.out, [row])}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
