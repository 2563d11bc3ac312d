"""Run the paper preset on a GPU and record what it costs: the device, the wall time of each stage and the peak GPU memory.

    python tools/gpu_check.py --data pbc            # or: make gpu-check — on a machine with a GPU (e.g. Colab's T4)
    python tools/gpu_check.py --data pbc --set seeds=[0] --set fractions=[0.25]   # a shorter run

It refuses to run without a GPU visible to TensorFlow (one line, exit 2): its numbers would say nothing about a GPU.
Writes `<out>/gpu_check.json` (device, TensorFlow version, seconds per stage from the run's report, peak GPU memory)
and prints it. Everything else is `coreset_nb reproduce --preset paper`, with the same options.
"""
import argparse
import json
import sys
import time
from pathlib import Path


def gpu_devices() -> list:
    "The GPUs TensorFlow sees (an empty list on a CPU-only machine)."
    import tensorflow as tf
    return tf.config.list_physical_devices("GPU")


def stage_seconds(report: Path) -> dict:
    "The per-stage wall times a reproduce report records ('- wall time: experiments 311 s, selection 0 s, ...')."
    line = next((l for l in report.read_text().splitlines() if l.startswith("- wall time:")), "")
    return {part.split()[0]: float(part.split()[1]) for part in line.split(":", 1)[-1].split(",") if len(part.split()) >= 2}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="pbc", help="the PBC release (default: pbc, fetched into the cache and verified)")
    p.add_argument("--out", default="reproduce_out/paper-gpu", help="output folder")
    p.add_argument("--set", action="append", default=[], dest="sets", metavar="KEY=VALUE", help="as reproduce --set")
    args = p.parse_args(argv)
    gpus = gpu_devices()
    if not gpus:
        print("gpu_check: no GPU visible to TensorFlow; this recipe measures the paper preset on a GPU (e.g. Colab: "
              "Runtime > Change runtime type > T4 GPU) and does not run on a CPU", file=sys.stderr)
        return 2
    import tensorflow as tf
    from coreset_nb.cli import main as cli
    for gpu in gpus: tf.config.experimental.set_memory_growth(gpu, True)  # the peak is then what the run needed
    start = time.perf_counter()
    code = cli(["reproduce", "--preset", "paper", "--data", args.data, "--out", args.out,
                *[x for s in args.sets for x in ("--set", s)]])
    out = Path(args.out)
    record = dict(device=tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name),
                  tensorflow=tf.__version__, exit_code=code, total_s=round(time.perf_counter() - start, 1),
                  stages_s=stage_seconds(out / "report.md") if (out / "report.md").exists() else {},
                  peak_gpu_memory_gb=round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 1e9, 2), sets=args.sets)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(record, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
