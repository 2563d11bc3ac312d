"""One experiment cell trained twice, with TensorFlow's default CPU threads and with one thread: the same seed and
data give different numbers, because the thread count changes the order of floating-point sums in training.

    python benchmarks/thread_effect.py                       # cnn random 15% seed 0 of configs/pbc-cpu-selectors.yaml
    python benchmarks/thread_effect.py --method medoids --fraction 0.05 --seed 1 --model cnn

Each run is deterministic for its thread setting (rerun either and it repeats to the last digit).
"""
import argparse
import json
import os
import subprocess
import sys

CHILD = """
import json, sys, tempfile
from coreset_nb.experiments import load_config, run_experiment
config, method, fraction, seed, model = sys.argv[1:]
cfg = load_config(config)
with tempfile.TemporaryDirectory() as store:  # same cell id as in the grid, in a fresh store
    one_cell = dict(cfg, methods=[method], fractions=[float(fraction)], seeds=[int(seed)], include_full=False,
                    models={model: cfg["models"][model]}, results_dir=store)
    row = run_experiment(one_cell, progress=False).iloc[0]
print(json.dumps({k: row[k].item() for k in ("tf_threads", "test_accuracy", "test_f1_macro", "epochs_run", "best_epoch", "train_loss")}))
"""


def run(args, threads):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_NUM_INTRAOP_THREADS", None)
    if threads: env.update(TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", CHILD, args.config, args.method, str(args.fraction), str(args.seed), args.model],
                         env=env, capture_output=True, text=True)
    if out.returncode: sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="configs/pbc-cpu-selectors.yaml")
    p.add_argument("--method", default="random")
    p.add_argument("--fraction", type=float, default=0.15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default="cnn")
    args = p.parse_args(argv)
    rows = {label: run(args, threads) for label, threads in (("default threads", 0), ("1 thread", 1))}
    for label, r in rows.items(): print(f"{label:>16}: {json.dumps(r)}")
    a, b = (rows[k]["test_accuracy"] for k in rows)
    print(f"test accuracy difference (1 thread - default): {100 * (b - a):+.1f} points; cpu count {os.cpu_count()}")


if __name__ == "__main__":
    main()
