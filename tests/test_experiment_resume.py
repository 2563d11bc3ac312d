"""The experiment runner survives SIGKILL, and several processes can share one grid: every cell exactly once, same numbers."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
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
               seeds=[0, 1], fractions=[0.3, 0.6], methods=["random", "intelligent"], include_full=False,  # 8 cells
               selection=dict(backbone="mobilenet", weights=None, image_size=32, pooling="avg", k_range=[2, 3]),
               models=dict(transfer=dict(kind="transfer", backbone="mobilenet", weights=None, image_size=32, epochs=3,
                                         batch_size=8, patience=None, measure_backbone_time=False)))
    path = tmp_path / f"{results.name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run(config, quiet=True):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([CLI, "experiment", "--config", str(config)] + (["--quiet"] if quiet else []), env=env,
                            stdout=subprocess.DEVNULL if quiet else subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def comparable(df):
    return df.drop(columns=[c for c in TIMING if c in df]).reset_index(drop=True)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    "The images and an uninterrupted single-process run of the grid (the reference)."
    tmp_path = tmp_path_factory.mktemp("grid")
    make_images(tmp_path / "imgs")
    clean = run(write_config(tmp_path, tmp_path / "clean"))
    assert clean.wait(timeout=600) == 0, clean.stderr.read()[-3000:]
    return tmp_path, pd.read_csv(tmp_path / "clean" / "results.csv")


def test_sigkill_then_resume_equals_uninterrupted(grid):
    tmp_path, reference = grid
    killed_cfg = write_config(tmp_path, tmp_path / "killed")
    cells = tmp_path / "killed" / "cells"
    proc = run(killed_cfg)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and len(list(cells.glob("*.json"))) < 3:
        time.sleep(0.05)
    assert proc.poll() is None, f"runner ended before it could be killed: {proc.stderr.read()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(list(cells.glob("*.json")))
    assert 3 <= n_before < 8
    claims = list(cells.glob("*.claim"))
    assert len(claims) <= 1  # the cell it was running when killed (if any) stays claimed by a dead process
    if not claims:  # killed between two cells: leave a dead process's claim on an unfinished cell, as a crash would
        missing = sorted(set(reference.cell_id) - {p.stem for p in cells.glob("*.json")})
        (cells / f"{missing[0]}.claim").write_text(f"{socket.gethostname()} 999999999")

    resumed = run(killed_cfg)
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()[-3000:]

    killed = pd.read_csv(tmp_path / "killed" / "results.csv")
    assert len(killed) == 8 and killed.cell_id.is_unique
    assert sorted(p.stem for p in cells.glob("*.json")) == sorted(killed.cell_id)  # a leftover temp file is no cell
    assert not list(cells.glob("*.claim"))  # the dead process's claim was taken over
    pd.testing.assert_frame_equal(comparable(killed), comparable(reference), check_exact=False, rtol=1e-6, atol=1e-6)


@pytest.mark.slow  # three more runs of the grid; the claim files it checks are to be replaced by Dask (issue 14)
def test_two_processes_share_one_grid(grid):
    tmp_path, reference = grid
    config = write_config(tmp_path, tmp_path / "shared")
    procs = [run(config, quiet=False) for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        outs.append(out)
    ran = [int(re.search(r"\((\d+) run by this process", out).group(1)) for out in outs]
    assert sum(ran) == 8, (ran, outs)  # every cell run by exactly one of them
    shared = pd.read_csv(tmp_path / "shared" / "results.csv")
    assert len(shared) == 8 and shared.cell_id.is_unique  # the last results.csv written sees every cell
    assert not list((tmp_path / "shared" / "cells").glob("*.claim"))
    pd.testing.assert_frame_equal(comparable(shared), comparable(reference), check_exact=False, rtol=1e-6, atol=1e-6)
