"""Per-epoch cost of training Listing 2's head on cached pooled features vs. through the frozen backbone.

Both variants train the same head (same initial weights, dropout seed and batch order, see
`coreset_nb.train.head_training_equivalence`) on the same images; the cached variant first pays a one-time
forward pass of the backbone over all images (`feature_extraction_s`). Reported per-epoch figures are medians over
epochs 2..N (epoch 1 also traces the tf.functions and is reported separately as `first_epoch_s`).

    .venv/bin/python benchmarks/bench_head_training.py            # MobileNet-0.25 (ImageNet weights), 224 px
    .venv/bin/python benchmarks/bench_head_training.py --n-images 256 --epochs 4

Writes benchmarks/results/head_training.csv (one row per variant).
"""
import argparse
import csv
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from coreset_nb.models import copy_head_weights, transfer_head, transfer_model  # noqa: E402
from coreset_nb.train import pooled_features, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEIGHTS = ROOT.parent / "shared" / "data" / "mobilenet_2_5_224_tf_no_top.h5"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-images", type=int, default=512)
    p.add_argument("--size", type=int, default=224, help="image side in pixels")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--n-classes", type=int, default=8)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="MobileNet-0.25 no-top .h5, or 'none'")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "head_training.csv"))
    a = p.parse_args(argv)

    weights = None if a.weights.lower() == "none" or not Path(a.weights).exists() else a.weights
    rng = np.random.default_rng(a.seed)
    x = rng.integers(0, 256, size=(a.n_images, a.size, a.size, 3), dtype="uint8")
    y = np.arange(a.n_images) % a.n_classes
    backbone = keras.applications.MobileNet(alpha=0.25, include_top=False, weights=weights,
                                            input_shape=(a.size, a.size, 3))
    settings = dict(epochs=a.epochs, batch_size=a.batch_size, val_fraction=0.0, early_stopping_patience=None,
                    seed=a.seed, verbose=0)

    start = time.perf_counter()
    features = pooled_features(backbone, x, batch_size=a.batch_size)
    extraction = time.perf_counter() - start
    head = transfer_head(features.shape[1], a.n_classes, seed=a.seed)
    full = transfer_model(backbone, a.n_classes, seed=a.seed)
    copy_head_weights(head, full)
    runs = {"cached_features": train(head, features, y, **settings),
            "through_backbone": train(full, x, y, **settings)}

    def median_after_first(times): return statistics.median(times[1:] if len(times) > 1 else times)
    base = median_after_first(runs["through_backbone"].epoch_times)
    rows = []
    for method, r in runs.items():
        med = median_after_first(r.epoch_times)
        rows.append(dict(method=method, backbone="MobileNet-0.25", weights="imagenet" if weights else "random",
                         n_images=a.n_images, image_size=a.size, batch_size=a.batch_size, epochs=a.epochs,
                         first_epoch_s=round(r.epoch_times[0], 4), median_epoch_s=round(med, 4),
                         min_epoch_s=round(min(r.epoch_times), 4), max_epoch_s=round(max(r.epoch_times), 4),
                         total_fit_s=round(r.total_time, 3),
                         feature_extraction_s=round(extraction, 3) if method == "cached_features" else 0.0,
                         speedup_per_epoch=round(base / med, 2),
                         epoch_times_s=";".join(f"{t:.4f}" for t in r.epoch_times),
                         cpu_count=os.cpu_count(), machine=platform.machine()))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    cached, through = (next(r for r in rows if r["method"] == m) for m in ("cached_features", "through_backbone"))
    saved = through["median_epoch_s"] - cached["median_epoch_s"]
    print(f"{a.n_images} images {a.size}px, batch {a.batch_size}, {a.epochs} epochs, MobileNet-0.25 "
          f"({'ImageNet' if weights else 'random'} weights)")
    print(f"{'method':<18} {'median epoch s':>15} {'first epoch s':>14} {'fit total s':>12}")
    for r in rows:
        print(f"{r['method']:<18} {r['median_epoch_s']:>15.4f} {r['first_epoch_s']:>14.4f} {r['total_fit_s']:>12.3f}")
    print(f"one-time feature extraction: {extraction:.3f} s")
    print(f"per-epoch ratio through_backbone / cached_features: {through['median_epoch_s'] / cached['median_epoch_s']:.1f}x")
    if saved > 0:
        print(f"caching pays for itself after {extraction / saved:.1f} epochs")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
