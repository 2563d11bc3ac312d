"""`coreset_nb reproduce --preset demo`: cold (empty output and cache folders) vs warm (the same again, every cache present).

Cold: fresh `--out` and `--cache-dir` folders, so features, decoded images, experiment cells, selection artifacts
and executed figure notebooks are all computed. Warm: the same command again on the same folders, so everything is
reused. Each cold run is followed by `--warm-repeats` warm runs; with several `--cold-repeats` the median of each
side is kept. The ratio is warm / cold wall time (target <= 20%).

    .venv/bin/python benchmarks/bench_reproduce_demo.py                      # 1 cold + 3 warm runs (~4 min here)
    .venv/bin/python benchmarks/bench_reproduce_demo.py --cold-repeats 3     # median of 3 cold runs

Writes benchmarks/results/reproduce_demo.csv (one row).
"""
from _common import write_rows
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.20


def run(cmd, env):
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-4000:]}")
    return seconds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cold-repeats", type=int, default=1)
    p.add_argument("--warm-repeats", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep the output and cache folders")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "reproduce_demo.csv"))
    a = p.parse_args(argv)

    exe = Path(sys.executable).with_name("coreset_nb")
    cold, warm = [], []
    for r in range(a.cold_repeats):
        work = Path(tempfile.mkdtemp(prefix="coreset_nb_bench_reproduce_"))
        out, cache = work / "out", work / "cache"
        env = {**os.environ, "CORESET_NB_CACHE": str(cache), "TF_CPP_MIN_LOG_LEVEL": "2"}
        cmd = [str(exe), "reproduce", "--preset", "demo", "--out", str(out), "--cache-dir", str(cache), "--quiet"]
        try:
            print(f"cold run {r + 1}/{a.cold_repeats} ...", flush=True)
            cold.append(run(cmd, env))
            print(f"  {cold[-1]:.1f} s", flush=True)
            for w in range(a.warm_repeats):
                warm.append(run(cmd, env))
                print(f"  warm run {w + 1}/{a.warm_repeats}: {warm[-1]:.1f} s", flush=True)
        finally:
            if a.keep: print(f"kept {work}")
            else: shutil.rmtree(work, ignore_errors=True)
    c, w = statistics.median(cold), statistics.median(warm)
    ratio = w / c
    row = dict(preset="demo", cold_s=round(c, 1), warm_s=round(w, 2), warm_over_cold=round(ratio, 4), target=TARGET,
               met=ratio <= TARGET, cold_runs_s=";".join(f"{t:.1f}" for t in cold),
               warm_runs_s=";".join(f"{t:.2f}" for t in warm), cpu_count=os.cpu_count(), machine=platform.machine())
    outp = write_rows(a.out, [row])
    print(f"reproduce --preset demo: cold {c:.1f} s (median of {len(cold)}), warm {w:.1f} s (median of {len(warm)})")
    print(f"warm / cold: {100 * ratio:.1f}% (target <= {100 * TARGET:.0f}%: {'met' if ratio <= TARGET else 'NOT MET'})")
    print(f"wrote {outp}")


if __name__ == "__main__":
    main()
