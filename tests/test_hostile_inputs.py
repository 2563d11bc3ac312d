"""Bad input and faults, as a hostile user would try them: each gives a clear one-line error that
names the file and what to do, or a documented, counted skip. Never a traceback, a hang or a silent wrong answer.

Everything here uses only what ships with the package (the demo zip and the MobileNet weights), so it runs on any clone.
"""
import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLI, coreset_nb, demo_subset, DEMO_WEIGHTS, DEMO_ZIP

def run(args, cache):
    "The command's entry point, in this process (`tests.conftest.coreset_nb`)."
    return coreset_nb(*args, env={"CORESET_NB_CACHE": cache})


def run_process(args, cache, timeout=300):
    "The installed command in a process of its own, as a user runs it (its own stderr filter on: no TF_CPP_MIN_LOG_LEVEL help)."
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["CORESET_NB_CACHE"] = str(cache)
    return subprocess.run(CLI + args, capture_output=True, text=True, env=env, timeout=timeout)


def one_line_error(res, *needles):
    "The run failed with exactly one `coreset_nb: error:` line holding every needle, and no traceback."
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    errors = [l for l in res.stderr.splitlines() if l.startswith("coreset_nb: error:")]
    assert len(errors) == 1, res.stderr[-2000:]
    for n in needles: assert n in errors[0], errors[0]
    return errors[0]


def sidecar(csv_path):
    return json.loads(Path(csv_path).with_suffix(".json").read_text())


def rows(path):
    with open(path, newline="") as f: return list(csv.DictReader(f))


def damage_middle(data: bytes) -> bytes:
    "A JPEG broken in the middle, its start (SOI) and end (EOI) markers intact."
    b = bytearray(data); mid = len(b) // 2; b[mid:mid + 50] = b"\xff" * 50
    assert bytes(b[:2]) == b"\xff\xd8" and bytes(b[-2:]) == b"\xff\xd9"
    return bytes(b)


def test_jpeg_damaged_in_the_middle_is_skipped_and_counted(tmp_path):
    first = {}
    def edit(name, data):
        if name.startswith("eosinophil/") and "eosinophil" not in first: first["eosinophil"] = name; return damage_middle(data)
        return data
    z = demo_subset(tmp_path / "d.zip", edit=edit)
    res = run(["select", "--data", str(z), "--method", "random", "--count", "10", "--out", str(tmp_path / "c.csv")], tmp_path)
    assert res.returncode == 0, res.stderr
    skipped = sidecar(tmp_path / "c.csv")["dataset"]["skipped"]
    assert [s["item"] for s in skipped] == [first["eosinophil"]] and "corrupt" in skipped[0]["reason"]
    assert sidecar(tmp_path / "c.csv")["dataset"]["n_skipped"] == 1


def test_a_file_that_breaks_after_the_scan_is_named_and_the_process_exits(tmp_path):
    "Damaged between the scan and decoding (it changed on disk): a ValueError naming it, and no hang at exit."
    code = f"""
import shutil, zipfile
from pathlib import Path
from coreset_nb.data import load_dataset
from coreset_nb.images import load_images
root = Path({str(tmp_path)!r}) / "ds"
with zipfile.ZipFile({str(DEMO_ZIP)!r}) as z: z.extractall(root)
ds = load_dataset(root, progress=False)
bad = root / ds.items[57]
b = bytearray(bad.read_bytes()); m = len(b) // 2; b[m:m + 50] = b"\\xff" * 50; bad.write_bytes(bytes(b))
try: load_images(ds, None, 32, progress=False)
except ValueError as e: print("ERROR:", e)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)  # hung in 4 runs of 7
    assert res.returncode == 0, res.stderr[-2000:]
    line = [l for l in res.stdout.splitlines() if l.startswith("ERROR:")]
    assert len(line) == 1 and "cannot decode" in line[0] and "remove or replace it" in line[0], res.stdout


@pytest.mark.parametrize("n_labels", [130, 110])
def test_npz_with_labels_not_matching_images(tmp_path, n_labels):
    rng = np.random.default_rng(0)
    arrays = {f"{s}_images": rng.integers(0, 255, (n, 28, 28, 3), dtype=np.uint8) for s, n in [("train", 120), ("val", 10), ("test", 20)]}
    arrays |= {f"{s}_labels": rng.integers(0, 8, (n, 1)) for s, n in [("train", n_labels), ("val", 10), ("test", 20)]}
    np.savez(tmp_path / "bloodmnist.npz", **arrays)
    res = run(["select", "--data", str(tmp_path / "bloodmnist.npz"), "--method", "random", "--fraction", "0.1",
               "--out", str(tmp_path / "c.csv")], tmp_path)
    one_line_error(res, "bloodmnist.npz", f"train_labels has {n_labels} labels for 120 images", "re-download")


def test_damaged_caches_are_rebuilt_with_a_warning_naming_them(tmp_path):
    """A truncated feature cache and a damaged clustering cache: each rebuilt, named, same coreset. (A same-size garbage
    entry is caught by its checksum: checked in nbs/00a_cache.)"""
    z = demo_subset(tmp_path / "d.zip", per_class=12)
    args = ["select", "--data", str(z), "--method", "intelligent", "--fraction", "0.25", "--backbone", "mobilenet",
            "--weights", str(DEMO_WEIGHTS), "--image-size", "64", "--pooling", "avg"]
    first = run_process(args + ["--out", str(tmp_path / "a.csv")], tmp_path / "cache")
    assert first.returncode == 0, first.stderr
    assert "I0000" not in first.stderr and "oneDNN" not in first.stderr and "NodeDef" not in first.stderr  # quiet by default
    feats = next((tmp_path / "cache" / "features").glob("*.npy"))
    clustering = next(p for p in (tmp_path / "cache" / "clusterings").glob("*.json") if not p.name.endswith(".meta.json"))
    feats.write_bytes(feats.read_bytes()[:1000])  # truncated (a killed copy, a full disk)
    clustering.write_text('{"settings": ')  # cut short
    res = run(args + ["--out", str(tmp_path / "b.csv"), "--quiet"], tmp_path / "cache")
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr[-2000:]
    warned = [l for l in res.stderr.splitlines() if l.startswith("coreset_nb: warning: invalid cache file")]
    assert any(str(feats) in l for l in warned) and any(str(clustering) in l for l in warned), res.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert "%|" not in res.stderr  # --quiet: no progress bar


def test_small_budgets_share_remainders_by_seed_and_report_empty_classes(tmp_path):
    z = demo_subset(tmp_path / "d.zip", per_class=25)  # 8 classes of 25, as the native PBC sample
    dropped = set()
    for seed in range(4):
        out = tmp_path / f"s{seed}.csv"
        res = run(["select", "--data", str(z), "--method", "stratified", "--count", "7", "--seed", str(seed), "--out", str(out)], tmp_path)
        assert res.returncode == 0, res.stderr
        zero = sidecar(out)["selected"]["zero_classes"]
        assert len(zero) == 1 and f"coreset_nb: warning: 1 class(es) get no item at this budget: {zero[0]}" in res.stderr
        dropped |= set(zero)
    assert len(dropped) > 1, "the same class is always left out, whatever the seed"


def test_a_one_image_class_at_half_is_reported(tmp_path):
    keep = {}
    def edit(name, data):
        cls = name.split("/")[0]
        keep[cls] = keep.get(cls, 0) + 1
        return None if cls == "basophil" and keep[cls] > 1 else data
    z = demo_subset(tmp_path / "d.zip", per_class=3, edit=edit)  # basophil: 1 image; 7 classes of 3
    res = run(["select", "--data", str(z), "--method", "stratified", "--fraction", "0.5", "--out", str(tmp_path / "c.csv")], tmp_path)
    assert res.returncode == 0, res.stderr
    side = sidecar(tmp_path / "c.csv")
    assert side["dataset"]["class_counts"]["basophil"] == 1
    zero = side["selected"]["zero_classes"]
    assert side["selected"]["per_class"]["basophil"] == 0 and "basophil" in zero and "basophil" in res.stderr


def test_unwritable_out_is_found_before_any_work(tmp_path):
    (tmp_path / "ro").mkdir(); (tmp_path / "ro").chmod(0o500)
    if os.access(tmp_path / "ro", os.W_OK): pytest.skip("running as a user that can write anywhere (root)")
    res = run(["select", "--data", str(DEMO_ZIP), "--backbone", "mobilenet", "--weights", str(DEMO_WEIGHTS),
               "--out", str(tmp_path / "ro" / "c.csv")], tmp_path / "cache")
    one_line_error(res, "cannot write", "c.csv")
    assert not (tmp_path / "cache").exists()  # no features were extracted


def test_out_under_a_file_is_found_before_any_work(tmp_path):
    (tmp_path / "afile").write_text("x")
    res = run(["select", "--data", str(DEMO_ZIP), "--backbone", "mobilenet", "--weights", str(DEMO_WEIGHTS),
               "--out", str(tmp_path / "afile" / "c.csv")], tmp_path / "cache")
    one_line_error(res, "cannot write", "afile")
    assert not (tmp_path / "cache").exists()


def test_a_text_file_named_h5_as_weights(tmp_path):
    (tmp_path / "weights.h5").write_text("these are not weights")
    res = run(["select", "--data", str(DEMO_ZIP), "--backbone", "mobilenet", "--weights", str(tmp_path / "weights.h5"),
               "--out", str(tmp_path / "c.csv")], tmp_path)
    one_line_error(res, "weights.h5", "is not an HDF5 file")


def test_weights_of_another_architecture(tmp_path):
    res = run(["select", "--data", str(DEMO_ZIP), "--backbone", "vgg16", "--weights", str(DEMO_WEIGHTS), "--image-size", "32",
               "--out", str(tmp_path / "c.csv")], tmp_path)
    one_line_error(res, "could not load weights file", "vgg16")


def test_compare_on_a_single_seed_says_no_test_is_possible(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("model,method,fraction,seed,test_accuracy\n" + "".join(
        f"transfer,{m},{f},0,{0.5 + 0.1 * (m == 'medoids')}\n" for f in (0.01, 0.05) for m in ("random", "medoids")))
    res = coreset_nb("compare", path)
    assert res.returncode == 0, res.stderr
    assert "no test is possible" in res.stdout and " tie" not in res.stdout.split("verdict")[1].split("\n\n")[0]


def test_a_nested_folder_inside_a_class_is_skipped_and_named(tmp_path):
    with zipfile.ZipFile(DEMO_ZIP) as src: src.extractall(tmp_path / "ds")
    nested = tmp_path / "ds" / "monocyte" / "old copies"; nested.mkdir()
    one = next((tmp_path / "ds" / "monocyte").glob("*.jpg")); (nested / one.name).write_bytes(one.read_bytes())
    res = run(["select", "--data", str(tmp_path / "ds"), "--method", "random", "--count", "16", "--out", str(tmp_path / "c.csv")], tmp_path)
    assert res.returncode == 0, res.stderr
    side = sidecar(tmp_path / "c.csv")
    assert side["dataset"]["n_items"] == 2400  # the demo sample: 8 classes x 300
    assert [s["item"] for s in side["dataset"]["skipped"]] == [f"monocyte/old copies/{one.name}"]
    assert "nested folder monocyte/old copies" in side["dataset"]["skipped"][0]["reason"]
