"""The experiment runner survives SIGKILL, runs on a Dask LocalCluster (also when a worker is killed mid-grid), and several
processes can share one grid: every cell exactly once, the same numbers as one uninterrupted process."""
import json
import os
import shutil
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from coreset_nb.experiments import without_timings
from coreset_nb.images import colour_squares
from tests.conftest import CLI, coreset_nb


def make_images(root, n_per_class=24):
    colour_squares(root, dict.fromkeys(["red", "blue", "green"], n_per_class), size=20, noise=60)


def write_config(tmp_path, results):
    cfg = dict(name="resume-test", data=str(tmp_path / "imgs"), results_dir=str(results), cache_dir=str(tmp_path / "cache"),
               seeds=[0, 1], fractions=[0.3, 0.6], methods=["random", "intelligent"], include_full=False,  # 8 cells
               selection=dict(backbone="mobilenet", weights=None, image_size=32, pooling="avg", k_range=[2, 3]),
               models=dict(transfer=dict(kind="transfer", backbone="mobilenet", weights=None, image_size=32, epochs=3,
                                         batch_size=8, patience=None, measure_backbone_time=False)))
    path = tmp_path / f"{results.name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run(config, quiet=True, extra=()):
    from coreset_nb.dask_grid import ONE_THREAD_ENV
    env = dict(os.environ, **ONE_THREAD_ENV)  # the thread setting of a Dask worker, so every run here gives the same numbers
    return subprocess.Popen([*CLI, "experiment", "--config", str(config), *extra] + (["--quiet"] if quiet else []), env=env,
                            stdout=subprocess.DEVNULL if quiet else subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_here(config):
    "The same command in this test process (tests/conftest.py `coreset_nb`): where no process is killed, none is started."
    from coreset_nb.dask_grid import ONE_THREAD_ENV
    return coreset_nb("experiment", "--config", config, env=ONE_THREAD_ENV)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    "The images and an uninterrupted single-process run of the grid (the reference)."
    tmp_path = tmp_path_factory.mktemp("grid")
    make_images(tmp_path / "imgs")
    clean = run_here(write_config(tmp_path, tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr[-3000:]
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

    resumed = run_here(killed_cfg)  # resumed in this process: only the killed run needs one of its own
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    killed = pd.read_csv(tmp_path / "killed" / "results.csv")
    assert len(killed) == 8 and killed.cell_id.is_unique
    assert sorted(p.stem for p in cells.glob("*.json")) == sorted(killed.cell_id)  # a leftover temp file is no cell
    assert not list(cells.glob("*.claim"))  # the dead process's claim was taken over
    pd.testing.assert_frame_equal(without_timings(killed), without_timings(reference), check_exact=False, rtol=1e-6, atol=1e-6)


@pytest.mark.slow  # `make test-slow`, beside the same grid with a worker killed (next test)
def test_a_local_dask_cluster_runs_the_same_cells_as_one_process(grid):
    tmp_path, reference = grid
    proc = run(write_config(tmp_path, tmp_path / "dask"), extra=["--dask", "--workers", "2"])
    assert proc.wait(timeout=600) == 0, proc.stderr.read()[-3000:]
    on_dask = pd.read_csv(tmp_path / "dask" / "results.csv")
    assert len(on_dask) == 8 and on_dask.cell_id.is_unique and set(on_dask.tf_threads) == {1}
    assert_same_cells(on_dask, reference)


def assert_same_cells(done, reference):
    "The same cells with the same numbers as the one-process run: everything but the timings."
    pd.testing.assert_frame_equal(without_timings(done.drop(columns="tf_threads")), without_timings(reference.drop(columns="tf_threads")),
                                  check_exact=False, rtol=1e-6, atol=1e-6)
    assert set(done.tf_threads) == set(reference.tf_threads) == {1}


def _workers_of(pid):
    "The Dask worker processes a LocalCluster started under `pid` (its nannies' children)."
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout.splitlines()[1:]
    procs = [(int(p), int(pp), a) for p, pp, a in (l.split(None, 2) for l in out)]
    return [p for p, pp, a in procs if pp == pid and "multiprocessing" in a and "resource_tracker" not in a]


@pytest.mark.slow  # ~30 s: three processes import TensorFlow; `make test` checks a LocalCluster's workers in 07b_dask_grid
def test_a_dask_worker_killed_mid_grid_loses_only_its_cell(grid):
    tmp_path, reference = grid
    cells = tmp_path / "killed-worker" / "cells"
    proc = run(write_config(tmp_path, tmp_path / "killed-worker"), extra=["--dask", "--workers", "2"])
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and len(list(cells.glob("*.json"))) < 2:
        time.sleep(0.05)
    victims = _workers_of(proc.pid)
    assert proc.poll() is None and victims, f"no worker to kill: {proc.stderr.read()[-2000:] if proc.poll() is not None else victims}"
    os.kill(victims[0], signal.SIGKILL)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()[-3000:]
    done = pd.read_csv(tmp_path / "killed-worker" / "results.csv")
    assert len(done) == 8 and done.cell_id.is_unique  # every cell, exactly once
    assert sorted(p.stem for p in cells.glob("*.json")) == sorted(done.cell_id) and not list(cells.glob("*.claim"))
    assert_same_cells(done, reference)


@pytest.mark.slow  # three more runs of the grid; claim files serve independent processes without a Dask scheduler
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
    pd.testing.assert_frame_equal(without_timings(shared), without_timings(reference), check_exact=False, rtol=1e-6, atol=1e-6)


@pytest.mark.slow  # the shards are checked inline in 01_features (`make test`)
def test_select_on_a_local_dask_cluster_gives_the_same_coreset(tmp_path):
    "Features by shards of the dataset and the per-class clustering as Dask tasks: the same coreset as in one process."
    from tests.conftest import DEMO_WEIGHTS, demo_subset
    from coreset_nb.dask_grid import ONE_THREAD_ENV
    args = ["select", "--data", str(demo_subset(tmp_path / "d.zip", per_class=16)), "--weights", str(DEMO_WEIGHTS), "--backbone", "mobilenet", "--image-size", "96",
            "--pooling", "avg", "--fraction", "0.2", "--quiet"]
    env = dict(os.environ, **ONE_THREAD_ENV)
    for name, extra in (("here", []), ("dask", ["--dask", "--workers", "2"])):  # separate caches: both extract
        res = subprocess.run([*CLI, *args, "--cache-dir", str(tmp_path / f"cache-{name}"), "--out", str(tmp_path / f"{name}.csv"), *extra],
                             capture_output=True, text=True, env=env, timeout=600)
        assert res.returncode == 0, res.stderr[-3000:]
    here, on_dask = pd.read_csv(tmp_path / "here.csv"), pd.read_csv(tmp_path / "dask.csv")
    assert len(here) == 26 and here.equals(on_dask)
    feats = [np.load(next((tmp_path / f"cache-{n}" / "features").glob("*.npy"))) for n in ("here", "dask")]
    np.testing.assert_allclose(feats[0], feats[1], rtol=1e-4, atol=1e-5)


def test_damaged_cell_files_are_named_set_aside_and_recomputed(grid):
    tmp_path, reference = grid
    damaged = tmp_path / "damaged"
    shutil.copytree(tmp_path / "clean", damaged)
    files = sorted((damaged / "cells").glob("*.json"))
    truncated, emptied, garbage = files[0], files[1], files[2]
    truncated.write_text(truncated.read_text()[:40])
    emptied.write_text("")
    garbage.write_text(json.dumps({"cell_id": "nonsense", "test_accuracy": "high", "seed": 1.5}))
    pd.DataFrame({"garbage": [1]}).to_csv(damaged / "results.csv", index=False)  # results.csv is rebuilt from sound cells only
    proc = run_here(write_config(tmp_path, damaged))
    err = proc.stderr
    assert proc.returncode == 0, err[-3000:]
    warned = [line for line in err.splitlines() if line.startswith("coreset_nb: warning:") and ".damaged" in line]
    assert sorted(Path(line.split("warning: ", 1)[1].split(": ")[0]).name for line in warned) == sorted(
        p.name for p in (truncated, emptied, garbage))
    assert all((p.parent / f"{p.name}.damaged").exists() and p.exists() for p in (truncated, emptied, garbage))
    again = pd.read_csv(damaged / "results.csv")
    assert list(again.dtypes) == list(reference.dtypes)
    pd.testing.assert_frame_equal(without_timings(again), without_timings(reference))
