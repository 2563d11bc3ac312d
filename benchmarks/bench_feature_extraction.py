"""Feature extraction throughput: the package's pipeline vs bare `model.predict` on images already in memory.

- pipeline: `coreset_nb.features.extract_features` on real PBC JPEGs with a fresh (empty) cache directory, i.e. zip
  read + JPEG decode + resize (tf.data, parallel, prefetched) + model construction + batched forward passes + cache
  write (.npy + .json).
- bare: the same feature extractor (`feature_extractor`, built and warmed up beforehand) and `model.predict` on
  the same images, already decoded and resized to 224 px, as one float32 array in memory.

Same images, same batch size (32, the package's default), same model; repeats are interleaved and the median
throughput of each side is kept. Diagnostics (one run each) say where the pipeline's time goes: model construction,
decode + resize alone, the per-batch forward loop `extract_features` runs (eager preprocessing layer + the network
compiled once by `tf.function`) on in-memory images, the same loop with the whole call eager (what
`extract_features` did before) and with the whole call compiled, and the cache write. `max_abs_feature_diff` is
between the two sides; `pipeline_vs_eager_max_diff` checks that the pipeline's features are bit-identical to the
eager model call's (i.e. to caches written before the forward pass was compiled).

    .venv/bin/python benchmarks/bench_feature_extraction.py            # 1,024 PBC images, MobileNet-0.25, 224 px
    .venv/bin/python benchmarks/bench_feature_extraction.py --n-images 256 --repeats 1

Writes benchmarks/results/feature_extraction.csv (one row).
"""
from _common import write_rows
import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TARGET = 0.90


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DATA / "pbc_224_q80.zip"))
    p.add_argument("--weights", default=str(DATA / "mobilenet_2_5_224_tf_no_top.h5"))
    p.add_argument("--n-images", type=int, default=1024)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "feature_extraction.csv"))
    a = p.parse_args(argv)

    import keras
    import tensorflow as tf
    from coreset_nb.data import load_dataset
    from coreset_nb.images import image_pipeline
    from coreset_nb.features import extract_features, feature_extractor

    ds = load_dataset(a.data, progress=False)
    rows = np.sort(np.random.default_rng(a.seed).choice(len(ds), min(a.n_images, len(ds)), replace=False))
    ds = ds.subset(rows)
    n = len(ds)
    kw = dict(image_size=a.size, pooling="avg")

    # the bare side's inputs: every image decoded and resized once, held in memory as float32 0..255
    images = np.concatenate([b.numpy() for b, _ in image_pipeline(ds, image_size=a.size, batch_size=a.batch_size)])
    model = feature_extractor("mobilenet", a.weights, **kw)
    model.predict(images[:a.batch_size], batch_size=a.batch_size, verbose=0)  # warm-up: trace predict once

    def pipeline():
        cache = Path(tempfile.mkdtemp(prefix="coreset_nb_bench_"))
        try:
            t = time.perf_counter()
            fs = extract_features(ds, "mobilenet", a.weights, batch_size=a.batch_size, cache_dir=cache,
                                  progress=False, **kw)
            assert not fs.cache_hit
            return time.perf_counter() - t, fs.X
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def bare():
        t = time.perf_counter()
        X = model.predict(images, batch_size=a.batch_size, verbose=0)
        return time.perf_counter() - t, X

    def build():
        t = time.perf_counter()
        feature_extractor("mobilenet", a.weights, **kw)
        return time.perf_counter() - t

    def decode_only():
        t = time.perf_counter()
        for _ in image_pipeline(ds, image_size=a.size, batch_size=a.batch_size): pass
        return time.perf_counter() - t

    def eager_calls():  # what extract_features did per batch before it compiled the network, on in-memory tensors
        t = time.perf_counter()
        for start in range(0, n, a.batch_size):
            np.asarray(model(tf.constant(images[start:start + a.batch_size]), training=False))
        return time.perf_counter() - t

    compiled = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    compiled(tf.constant(images[:a.batch_size]))  # trace

    def compiled_calls():  # the same per-batch loop with the call compiled once (what predict does inside)
        t = time.perf_counter()
        for start in range(0, n, a.batch_size):
            np.asarray(compiled(tf.constant(images[start:start + a.batch_size])))
        return time.perf_counter() - t

    # what extract_features does now: the preprocessing layer eager, the rest compiled once
    from coreset_nb.features import PreprocessInput
    pre = next(l for l in model.layers if isinstance(l, PreprocessInput))
    net = keras.Model(pre.output, model.output)
    net_compiled = tf.function(lambda x: net(x, training=False),
                               input_signature=[tf.TensorSpec((None, *net.input.shape[1:]), tf.float32)])
    net_compiled(pre(tf.constant(images[:a.batch_size])))  # trace

    def pipeline_calls():
        t = time.perf_counter()
        for start in range(0, n, a.batch_size):
            net_compiled(pre(tf.constant(images[start:start + a.batch_size]))).numpy()
        return time.perf_counter() - t

    def eager_features():
        return np.concatenate([np.asarray(model(tf.constant(images[s:s + a.batch_size]), training=False))
                               for s in range(0, n, a.batch_size)])

    def cache_write(X):
        d = Path(tempfile.mkdtemp(prefix="coreset_nb_bench_"))
        try:
            t = time.perf_counter()
            np.save(d / "x.npy", X)
            return time.perf_counter() - t
        finally:
            shutil.rmtree(d, ignore_errors=True)

    pipeline()  # warm-up of the pipeline side too (first tf.data / decode graph construction of the process)
    times = {k: [] for k in ("pipeline", "bare")}
    X_pipe = X_bare = None
    for r in range(a.repeats):
        for side in (("pipeline", "bare") if r % 2 == 0 else ("bare", "pipeline")):
            t, X = pipeline() if side == "pipeline" else bare()
            times[side].append(t)
            if side == "pipeline": X_pipe = X
            else: X_bare = X
    # diagnostics, once each (same process, right after the comparison)
    times.update(build=[build()], decode=[decode_only()], eager=[eager_calls()], compiled=[compiled_calls()],
                 forward=[pipeline_calls()], write=[cache_write(X_pipe)])
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["bare"] / med["pipeline"]  # = pipeline throughput / bare throughput
    max_diff = float(np.abs(np.asarray(X_pipe) - np.asarray(X_bare)).max())
    eager_diff = float(np.abs(np.asarray(X_pipe) - eager_features()).max())
    row = dict(n_images=n, image_size=a.size, batch_size=a.batch_size, repeats=a.repeats, backbone="MobileNet-0.25",
               pipeline_s=round(med["pipeline"], 3), bare_predict_s=round(med["bare"], 3),
               pipeline_img_per_s=round(n / med["pipeline"], 1), bare_img_per_s=round(n / med["bare"], 1),
               throughput_ratio=round(ratio, 3), target=TARGET, met=ratio >= TARGET,
               model_build_s=round(med["build"], 3), decode_resize_only_s=round(med["decode"], 3),
               eager_batch_calls_s=round(med["eager"], 3), compiled_batch_calls_s=round(med["compiled"], 3),
               pipeline_forward_calls_s=round(med["forward"], 3), cache_write_s=round(med["write"], 4),
               max_abs_feature_diff=max_diff, pipeline_vs_eager_max_diff=eager_diff,
               pipeline_runs_s=";".join(f"{t:.3f}" for t in times["pipeline"]),
               bare_runs_s=";".join(f"{t:.3f}" for t in times["bare"]),
               cpu_count=os.cpu_count(), machine=platform.machine())
    out = write_rows(a.out, [row])
    print(f"{n} PBC images, {a.size} px, batch {a.batch_size}, MobileNet-0.25 avg-pooled, median of {a.repeats}")
    print(f"pipeline (zip + decode + resize + predict + cache write): {med['pipeline']:.2f} s = {n / med['pipeline']:.0f} img/s")
    print(f"bare model.predict on in-memory images:                   {med['bare']:.2f} s = {n / med['bare']:.0f} img/s")
    print(f"throughput ratio pipeline / bare: {ratio:.3f} (target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT MET'})")
    print(f"where the pipeline's time goes: model construction {med['build']:.2f} s, decode + resize alone "
          f"{med['decode']:.2f} s (overlapped with compute by tf.data), its per-batch forward loop (eager "
          f"preprocessing + compiled network) on in-memory images {med['forward']:.2f} s; the same loop with the whole "
          f"call eager (before) {med['eager']:.2f} s, with the whole call compiled {med['compiled']:.2f} s "
          f"(predict {med['bare']:.2f} s); cache write {med['write']:.3f} s")
    print(f"same features: max |pipeline - bare| = {max_diff:.2e}; max |pipeline - eager model call| = {eager_diff:.2e}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
