"""Cost of one custom-CNN cell of the demo preset: the step protocol run through Keras' `fit` (before) vs the compiled
step loop of `coreset_nb.protocol.train_steps` (after), side by side in one run.

Both variants train the same model (same initial weights, same seeded batch stream, same cosine schedule, same number
of steps, precise BatchNorm after) on the demo sample's training images at the demo's CNN settings
(`configs/demo.yaml`: 48 px, standardised inputs, no dropout, Adam 3e-3, `step_budget` of 15 passes clipped to
[300, 1200] steps). A cell is timed from the model's build to its test accuracy, as `run_cell` does, at three coreset
sizes: 5% and 25% (both at the 300-step floor, 3 and 15 steps per pass) and 100% (855 steps). The variants alternate,
`--repeats` times each; medians are reported, with the ratio before / after and the two test accuracies (equal up to
float rounding: the same training).

    .venv/bin/python benchmarks/bench_cnn_cell.py                # ~3 min here
    .venv/bin/python benchmarks/bench_cnn_cell.py --repeats 1 --fractions 0.05

Writes benchmarks/results/cnn_cell.csv.
"""
import argparse
import math
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from _common import write_rows  # noqa: E402
from coreset_nb.data import load_dataset, stratified_split  # noqa: E402
from coreset_nb.experiments import ASSETS_DIR, CONFIGS_DIR, cached_images, load_config  # noqa: E402
from coreset_nb.models import custom_cnn, fit_standardize  # noqa: E402
from coreset_nb.protocol import precise_bn, step_batches, step_budget, train_steps  # noqa: E402
from coreset_nb.train import evaluate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def fit_steps(model, x, y, steps, batch_size, learning_rate, seed):
    "The step protocol as it ran before: the same plan, schedule and stream, through `model.fit` epoch by epoch."
    keras.utils.set_random_seed(seed)
    fit_standardize(model, x)
    per_epoch = min(steps, math.ceil(len(y) / batch_size))  # epochs of one pass, as train_steps groups its steps
    epochs = math.ceil(steps / per_epoch)
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, epochs * per_epoch)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(step_batches(x, y, batch_size, seed, True), epochs=epochs, steps_per_epoch=per_epoch, verbose=0, shuffle=False)
    precise_bn(model, x)


def cell(variant, x, y, x_test, y_test, m, seed):
    "One cell, timed from the model's build to its test accuracy: (seconds, test accuracy, steps)."
    steps = step_budget(len(y), m["batch_size"], m["steps"], m["step_epochs"], m["min_steps"])
    t = time.perf_counter()
    keras.backend.clear_session(free_memory=False)
    model = custom_cnn(8, (m["image_size"], m["image_size"], 3), 0.0, 0.0, seed=seed, standardize=True)
    if variant == "fit":
        fit_steps(model, x, y, steps, m["batch_size"], m["learning_rate"], seed)
    else:
        train_steps(model, x, y, steps=steps, batch_size=m["batch_size"], learning_rate=m["learning_rate"], seed=seed)
    accuracy = evaluate(model, x_test, y_test)["accuracy"]
    return time.perf_counter() - t, accuracy, steps


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fractions", default="0.05,0.25,1.0", help="coreset fractions of the training split")
    p.add_argument("--repeats", type=int, default=3, help="timed cells per variant and fraction (alternating)")
    p.add_argument("--cache-dir", default=str(ROOT / ".bench_cache"), help="decoded-image cache")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "cnn_cell.csv"))
    args = p.parse_args()
    cfg = load_config(CONFIGS_DIR / "demo.yaml")
    m = cfg["models"]["cnn"]
    ds = load_dataset(ASSETS_DIR / "pbc_demo_300perclass_96px.zip", progress=False)
    split = stratified_split(ds, test_size=cfg["split"]["test_size"], seed=cfg["split"]["seed"])
    images = cached_images(ds, m["image_size"], args.cache_dir, progress=False)
    x_test, y_test = images[split.test], ds.labels[split.test]
    for variant in ("fit", "loop"):  # warm-up: the first cell of a process also loads and initialises TensorFlow
        cell(variant, images[split.train][:64], ds.labels[split.train][:64], x_test, y_test, dict(m, steps=20, min_steps=20), 0)
    rows = []
    for fraction in [float(f) for f in args.fractions.split(",")]:
        chosen = np.sort(np.random.default_rng(0).choice(len(split.train), round(fraction * len(split.train)), replace=False))
        x, y = images[split.train][chosen], ds.labels[split.train][chosen]
        runs = {"fit": [], "loop": []}
        for r in range(args.repeats):
            for variant in ("fit", "loop"):
                runs[variant].append(cell(variant, x, y, x_test, y_test, m, seed=0))
        before, after = (statistics.median(s for s, _, _ in runs[v]) for v in ("fit", "loop"))
        row = dict(fraction=fraction, n_coreset=len(y), steps=runs["loop"][0][2], fit_cell_s=round(before, 2),
                   loop_cell_s=round(after, 2), fit_over_loop=round(before / after, 2),
                   fit_test_accuracy=round(runs["fit"][0][1], 4), loop_test_accuracy=round(runs["loop"][0][1], 4),
                   repeats=args.repeats, cpu_count=os.cpu_count(), machine=platform.machine())
        rows.append(row)
        print(f"{fraction:>5g}: {len(y):>5} images, {row['steps']} steps: fit {before:.2f} s, loop {after:.2f} s per cell "
              f"-> {row['fit_over_loop']:.2f}x; test accuracy {row['fit_test_accuracy']} vs {row['loop_test_accuracy']}", flush=True)
    print(f"wrote {write_rows(args.out, rows)}")


if __name__ == "__main__":
    main()
