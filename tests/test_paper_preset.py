"""The `paper` preset (VGG16 block5_pool flattened for selection, ResNet101V2 + Listing 2 head, the custom CNN): its
wiring at a small image size and the whole `reproduce` at its real 256 px, both in `make test-slow`.
Both use real PBC images (a few per class of the shipped sample) and `weights: none` (no ImageNet weights offline)."""
import json

import pandas as pd
import pytest

from tests.conftest import coreset_nb, demo_subset, load_tool
from coreset_nb.experiments import CONFIGS_DIR

OFFLINE = ["selection.weights=none", "models.transfer.weights=none", "seeds=[0]", "split.test_size=0.34"]


def run(args, cwd):
    return coreset_nb(*args, "--quiet", cwd=cwd)


def sets(*assignments): return [a for s in assignments for a in ("--set", s)]


def test_the_paper_preset_is_the_papers_setup():
    from coreset_nb.experiments import load_config
    cfg = load_config(CONFIGS_DIR / "paper.yaml", data="x")  # the paper's setup is the defaults: the config restates none of them
    assert (cfg["selection"]["backbone"], cfg["selection"]["pooling"], cfg["selection"]["image_size"]) == ("vgg16", "flatten", 256)
    assert (cfg["models"]["transfer"]["backbone"], cfg["models"]["transfer"]["image_size"], cfg["models"]["cnn"]["image_size"]) == (
        "resnet101v2", 256, 256)


@pytest.mark.slow  # ~22 s (VGG16 and ResNet101V2 built and run); the preset's settings are checked above in `make test`
def test_paper_preset_wiring_at_32px(tmp_path):
    "Every cell of the preset's grid runs through its real backbones and models, at 32 px and one epoch."
    data = demo_subset(tmp_path / "pbc3.zip", per_class=3)
    small = ["selection.image_size=32", "models.transfer.image_size=32", "models.cnn.image_size=32", "models.cnn.epochs=1",
             "models.transfer.epochs=1", "models.cnn.min_steps=0", "fractions=[0.5]"]
    done = run(["experiment", "--config", "paper", "--data", str(data), "--results-dir", "r", "--cache-dir", "c",
                *sets(*OFFLINE, *small)], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = pd.read_csv(tmp_path / "r" / "results.csv")
    assert sorted(zip(rows.model, rows.method)) == sorted((m, s) for m in ("cnn", "transfer") for s in ("full", "intelligent", "random"))
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert (config["selection"]["backbone"], config["selection"]["pooling"], config["models"]["transfer"]["backbone"]) == (
        "vgg16", "flatten", "resnet101v2")
    cached = {p.name.split("-")[0] for p in (tmp_path / "c" / "features").glob("*.npy")}
    assert cached == {"vgg16", "resnet101v2"}  # the selection's and the transfer model's backbone features, cached


@pytest.mark.slow
def test_paper_preset_reproduces_end_to_end_at_256px(tmp_path):
    "`coreset_nb reproduce --preset paper` at its real settings: every figure and Table 1, one epoch, weights none."
    data = demo_subset(tmp_path / "pbc5.zip", per_class=5)
    done = run(["reproduce", "--preset", "paper", "--data", str(data), "--out", "out", "--cache-dir", "c",
                *sets(*OFFLINE, "models.cnn.epochs=1", "models.transfer.epochs=1", "models.cnn.min_steps=0", "fractions=[0.25]")],
               tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = (tmp_path / "out" / "report.md").read_text()
    assert report.startswith("# coreset_nb reproduction: preset `paper`") and "## Table 1" in report
    assert (tmp_path / "out" / "figures" / "table1.md").exists()


def test_gpu_recipe_refuses_without_a_gpu(tmp_path, capsys):
    "No machine here has a GPU with TensorFlow: the recipe must say so in one line and run nothing."
    gpu_check = load_tool("gpu_check")  # a script of tools/, not part of the package
    if gpu_check.gpu_devices(): pytest.skip("this machine has a GPU: the recipe would run")
    assert gpu_check.main(["--out", str(tmp_path / "out")]) == 2 and not (tmp_path / "out").exists()
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("gpu_check:")]
    assert len(lines) == 1 and "no GPU visible to TensorFlow" in lines[0]


def test_gpu_recipe_reads_the_stage_times_of_a_report(tmp_path):
    gpu_check = load_tool("gpu_check")  # a script of tools/, not part of the package
    (tmp_path / "report.md").write_text("# x\n\n- wall time: experiments 311 s, selection 0 s, figures 23 s, total 335 s\n")
    assert gpu_check.stage_seconds(tmp_path / "report.md") == dict(experiments=311.0, selection=0.0, figures=23.0, total=335.0)
