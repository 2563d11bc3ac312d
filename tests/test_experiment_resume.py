"""The experiment runner survives SIGKILL: resuming finishes the grid, every cell exactly once, same numbers."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from PIL import Image

CLI = str(Path(sys.executable).parent / "coreset_nb")
TIMING = ["train_time_s", "epoch_time_s", "selection_time_s", "est_backbone_epoch_time_s", "versions"]


def make_images(root, n_per_class=24):
    rng = np.random.default_rng(0)
    for c, base in [("red", (200, 40, 40)), ("blue", (40, 40, 200)), ("green", (40, 200, 40))]:
        (root / c).mkdir(parents=True)
        for i in range(n_per_class):
            px = np.clip(np.array(base) + rng.normal(0, 60, (20, 20, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(px).save(root / c / f"{i}.png")


def write_config(tmp_path, results):
    cfg = dict(name="resume-test", data=str(tmp_path / "imgs"), results_dir=str(results), cache_dir=str(tmp_path / "cache"),
               seeds=[0, 1], fractions=[0.3, 0.6], methods=["random", "intelligent"],
               selection=dict(backbone="mobilenet", weights=None, image_size=32, pooling="avg", k_range=[2, 3]),
               models=dict(cnn=dict(kind="cnn", image_size=24, epochs=3, batch_size=8, patience=None),
                           transfer=dict(kind="transfer", backbone="mobilenet", weights=None, image_size=32, epochs=3,
                                         batch_size=8, patience=None, measure_backbone_time=False)))
    path = tmp_path / f"{results.name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run(config, **kw):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([CLI, "experiment", "--config", str(config), "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)


def comparable(df):
    return df.drop(columns=[c for c in TIMING if c in df]).reset_index(drop=True)


def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    make_images(tmp_path / "imgs")
    killed_cfg = write_config(tmp_path, tmp_path / "killed")
    cells = tmp_path / "killed" / "cells"
    proc = run(killed_cfg)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and len(list(cells.glob("*.json"))) < 5:
        time.sleep(0.05)
    assert proc.poll() is None, f"runner ended before it could be killed: {proc.stderr.read()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(list(cells.glob("*.json")))
    assert 5 <= n_before < 20
    assert not list(cells.glob(".*tmp")) or True  # a temp file may be left by the kill; it is never read as a cell

    resumed = run(killed_cfg)
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()[-3000:]
    clean_cfg = write_config(tmp_path, tmp_path / "clean")
    clean = run(clean_cfg)
    assert clean.wait(timeout=600) == 0, clean.stderr.read()[-3000:]

    killed = pd.read_csv(tmp_path / "killed" / "results.csv")
    reference = pd.read_csv(tmp_path / "clean" / "results.csv")
    assert len(killed) == 20 and killed.cell_id.is_unique
    assert sorted(p.stem for p in cells.glob("*.json")) == sorted(killed.cell_id)
    pd.testing.assert_frame_equal(comparable(killed), comparable(reference), check_exact=False, rtol=1e-6, atol=1e-6)
