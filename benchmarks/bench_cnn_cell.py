"""Cost of one custom-CNN cell of the demo preset, before and after, side by side in one run.

Three variants per coreset size, alternating:
- `feasible`: the cell the feasibility run of the demo redesign used (64 px, a fixed 600 steps, Keras `fit`);
- `fit`: the demo's cell (48 px, the step rule below) run through Keras `fit`;
- `loop`: the same cell through the compiled step loop of `coreset_nb.protocol.train_steps` (what the demo runs).

The `fit` variants run `train_steps(..., loop="fit")`: the same plan through Keras `fit`.

Both variants train the same model (same initial weights, same seeded batch stream, same cosine schedule, same number
of steps, precise BatchNorm after) on the demo sample's training images at the demo's CNN settings
(`configs/demo.yaml`: 48 px, standardised inputs, no dropout, Adam 3e-3, `step_budget` of 15 passes clipped to
[300, 1200] steps). A cell is timed from the model's build to its test accuracy, as `run_cell` does, at three coreset
sizes: 5% and 25% (both at the 300-step floor, 3 and 15 steps per pass) and 100% (855 steps). The variants alternate,
`--repeats` times each; medians are reported, with the ratios feasible / loop and fit / loop and the test accuracies
(`fit` and `loop` equal up to float rounding: the same training).

    .venv/bin/python benchmarks/bench_cnn_cell.py                # ~8 min here
    .venv/bin/python benchmarks/bench_cnn_cell.py --repeats 1 --fractions 0.05

Writes benchmarks/results/cnn_cell.csv.
"""
import argparse
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
from coreset_nb.data import ASSETS_DIR
from coreset_nb.experiments import CONFIGS_DIR, cached_images, load_config  # noqa: E402
from coreset_nb.models import custom_cnn, fit_standardize  # noqa: E402
from coreset_nb.protocol import step_budget, train_steps  # noqa: E402
from coreset_nb.train import evaluate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("feasible", "fit", "loop")


FEASIBLE = dict(image_size=64, steps=600)  # the feasibility run: 64 px, a fixed step count


def cell(variant, x, y, x_test, y_test, m, seed):
    "One cell, timed from the model's build to its test accuracy: (seconds, test accuracy, steps)."
    if variant == "feasible":
        steps, size = FEASIBLE["steps"], FEASIBLE["image_size"]
    else:
        steps, size = step_budget(len(y), m["batch_size"], m["steps"], m["step_epochs"], m["min_steps"]), m["image_size"]
    t = time.perf_counter()
    keras.backend.clear_session(free_memory=False)
    model = custom_cnn(8, (size, size, 3), 0.0, 0.0, seed=seed, standardize=True)
    loop = "compiled" if variant == "loop" else "fit"  # the feasibility run and `fit` went through Keras `fit`
    train_steps(model, x, y, steps=steps, batch_size=m["batch_size"], learning_rate=m["learning_rate"], seed=seed, loop=loop)
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
    sizes = {"feasible": FEASIBLE["image_size"], "fit": m["image_size"], "loop": m["image_size"]}
    images = {v: cached_images(ds, s, args.cache_dir, progress=False) for v, s in sizes.items()}
    y_train, y_test = ds.labels[split.train], ds.labels[split.test]
    for variant in VARIANTS:  # warm-up: the first cell of a process also loads and initialises TensorFlow
        cell(variant, images[variant][split.train][:64], y_train[:64], images[variant][split.test], y_test,
             dict(m, steps=20, min_steps=20), 0)
    rows = []
    for fraction in [float(f) for f in args.fractions.split(",")]:
        chosen = np.sort(np.random.default_rng(0).choice(len(split.train), round(fraction * len(split.train)), replace=False))
        runs = {v: [] for v in VARIANTS}
        for r in range(args.repeats):
            for v in VARIANTS:
                runs[v].append(cell(v, images[v][split.train][chosen], y_train[chosen], images[v][split.test], y_test, m, seed=0))
        secs = {v: statistics.median(s for s, _, _ in runs[v]) for v in VARIANTS}
        row = dict(fraction=fraction, n_coreset=len(chosen), feasible_steps=runs["feasible"][0][2], steps=runs["loop"][0][2],
                   **{f"{v}_cell_s": round(secs[v], 2) for v in VARIANTS},
                   feasible_over_loop=round(secs["feasible"] / secs["loop"], 2), fit_over_loop=round(secs["fit"] / secs["loop"], 2),
                   **{f"{v}_test_accuracy": round(runs[v][0][1], 4) for v in VARIANTS},
                   repeats=args.repeats, cpu_count=os.cpu_count(), machine=platform.machine())
        rows.append(row)
        print(f"{fraction:>5g}: {len(chosen):>5} images: feasible {secs['feasible']:.2f} s ({row['feasible_steps']} steps, 64 px), "
              f"fit {secs['fit']:.2f} s, loop {secs['loop']:.2f} s ({row['steps']} steps, {m['image_size']} px) per cell "
              f"-> {row['feasible_over_loop']:.2f}x and {row['fit_over_loop']:.2f}x; test accuracy "
              f"{row['feasible_test_accuracy']}, {row['fit_test_accuracy']}, {row['loop_test_accuracy']}", flush=True)
    print(f"wrote {write_rows(args.out, rows)}")


if __name__ == "__main__":
    main()
