"""glibc's malloc settings that the Makefile exports: the same experiment with and without them, side by side in one run.

glibc hands a freed buffer above its mmap threshold back to the kernel at once, and trims the heap's top when it is
freed; TensorFlow frees and asks again for buffers of the same sizes at every step, so their pages are faulted in anew
each time. The Makefile sets `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_` and `MALLOC_TOP_PAD_` (glibc's
environment settings, read when a process starts) so that freed buffers stay in the heap.

The workload: `coreset_nb experiment` on the demo preset at its shipped settings, one seed, RS at 25% and the 100%
rows, both models (4 cells), from an empty cache folder: the MobileNet features of the 2,400 images at 224 px are
extracted in every run (their batches are the large buffers), the images decoded at 48 px. The two sides alternate,
`--repeats` times each, one TensorFlow thread as in `make test`; reported: median wall, user and system seconds and
minor page faults of the process, the ratios default / settings, and whether both sides wrote the same results (every
column but the timings). The settings are read from the Makefile, so the benchmark measures what `make` uses.

    .venv/bin/python benchmarks/bench_malloc_env.py              # ~10 min here
    .venv/bin/python benchmarks/bench_malloc_env.py --repeats 1

Writes benchmarks/results/malloc_env.csv (one row per side).
"""
import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from _common import write_rows
from coreset_nb.experiments import without_timings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = dict(re.findall(r"^export (MALLOC_\w+) \?= (\d+)$", (ROOT / "Makefile").read_text(), re.M))  # what `make` exports
GRID = ["seeds=[0]", "fractions=[0.25]", "methods=[random]"]


def run(results_dir, cache_dir, malloc: bool) -> dict:
    "One run of the workload: its wall, user and system seconds and minor page faults (the child's own)."
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2",
               **(SETTINGS if malloc else {}))
    cmd = [str(Path(sys.executable).with_name("coreset_nb")), "experiment", "--config", "demo", "--results-dir", str(results_dir),
           "--cache-dir", str(cache_dir), "--quiet", *[a for s in GRID for a in ("--set", s)]]
    before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, after = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0: sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return dict(wall_s=wall, user_s=after.ru_utime - before.ru_utime, sys_s=after.ru_stime - before.ru_stime,
                minor_faults=after.ru_minflt - before.ru_minflt)


def results_of(results_dir) -> pd.DataFrame:
    return without_timings(pd.read_csv(Path(results_dir) / "results.csv").sort_values("cell_id"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "malloc_env.csv"))
    a = p.parse_args(argv)
    if len(SETTINGS) != 3: sys.exit(f"expected the three MALLOC_*_ settings in {ROOT / 'Makefile'}, found {sorted(SETTINGS)}")
    work = Path(tempfile.mkdtemp(prefix="coreset_nb_bench_malloc_"))
    try:
        runs = {False: [], True: []}
        for r in range(a.repeats):
            for malloc in (False, True):
                side = "settings" if malloc else "default"
                runs[malloc].append(run(work / f"{side}-{r}", work / f"cache-{side}-{r}", malloc))  # an empty cache: features extracted
                print(f"repeat {r + 1}/{a.repeats} {side:8s}: "
                      + ", ".join(f"{k} {v:,.1f}" for k, v in runs[malloc][-1].items()), flush=True)
        same = all(results_of(work / f"settings-{r}").equals(results_of(work / f"default-{r}")) for r in range(a.repeats))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {m: {k: statistics.median(x[k] for x in runs[m]) for k in runs[m][0]} for m in runs}
    rows = [dict(side="settings" if m else "default", repeats=a.repeats, **{k: round(v, 2) for k, v in med[m].items()},
                 same_results=same, host=platform.node(), cpus=os.cpu_count()) for m in (False, True)]
    write_rows(a.out, rows)
    for k in ("wall_s", "user_s", "sys_s", "minor_faults"):
        print(f"{k:>12}: default {med[False][k]:,.1f}, settings {med[True][k]:,.1f}, ratio default/settings "
              f"{med[False][k] / max(med[True][k], 1e-9):.2f}")
    print("same results (every column but the timings):", same, "->", a.out)


if __name__ == "__main__":
    main()
