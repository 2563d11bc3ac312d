"""`coreset_nb select` end to end through the command's entry point (in this process: `tests.conftest.coreset_nb`)."""
import csv
import json

import pytest

from tests.conftest import DEMO_WEIGHTS, DEMO_ZIP, coreset_nb
from tests.test_data import make_release_zip

def run(args, cache):
    return coreset_nb(*args, env={"CORESET_NB_CACHE": cache})


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow  # ~25 s; tests/test_product.py selects with the shipped weights on the demo (also `make test-slow`)
def test_select_intelligent_mobilenet_on_native_sample(shared_file, tmp_path):
    args = ["select", "--data", str(shared_file("pbc_native_sample_25perclass.zip")), "--fraction", "0.25",
            "--method", "intelligent", "--backbone", "mobilenet",
            "--weights", str(DEMO_WEIGHTS), "--quiet"]
    first = run(args + ["--out", str(tmp_path / "a.csv")], tmp_path / "cache")
    assert first.returncode == 0, first.stderr
    rows = read_rows(tmp_path / "a.csv")
    assert len(rows) == 50
    per_class = {}
    for r in rows:
        per_class[r["class"]] = per_class.get(r["class"], 0) + 1
    assert len(per_class) == 8 and set(per_class.values()) <= {6, 7}
    assert list(rows[0]) == ["index", "item", "label", "class", "cluster", "is_medoid"]
    side = json.loads((tmp_path / "a.json").read_text())
    assert set(side["clusters"]) == set(per_class)
    assert all(2 <= v["k"] <= 10 for v in side["clusters"].values())
    assert side["settings"]["seed"] == 0 and "tensorflow" in side["versions"]
    assert side["dataset"]["n_skipped"] == 0 and side["features"]["cache_hit"] is False
    # same seed → byte-identical CSV (second run also reuses the feature cache)
    second = run(args + ["--out", str(tmp_path / "b.csv")], tmp_path / "cache")
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert json.loads((tmp_path / "b.json").read_text())["features"]["cache_hit"] is True
    # another seed → another coreset
    third = run(args + ["--out", str(tmp_path / "c.csv"), "--seed", "1"], tmp_path / "cache")
    assert third.returncode == 0 and (tmp_path / "c.csv").read_bytes() != (tmp_path / "a.csv").read_bytes()


def test_skipped_files_and_empty_class_are_in_the_sidecar(shared_file, tmp_path):
    z = make_release_zip(shared_file("pbc_native_sample_25perclass.zip"), tmp_path / "pbc.zip")
    res = run(["select", "--data", str(z), "--fraction", "0.5", "--method", "random", "--out", str(tmp_path / "r.csv"), "--quiet"],
              tmp_path / "cache")
    assert res.returncode == 0, res.stderr
    assert len(read_rows(tmp_path / "r.csv")) == 16
    side = json.loads((tmp_path / "r.json").read_text())
    assert side["dataset"]["n_skipped"] == 2
    assert {s["item"] for s in side["dataset"]["skipped"]} == {"neutrophil/.DS_169665.jpg", "basophil/BA_truncated.jpg"}
    assert side["dataset"]["empty_classes"] == ["unused_empty_class"]


@pytest.mark.parametrize("fraction", ["0", "1.5", "-0.1"])
def test_bad_fraction_is_an_error(tmp_path, fraction):
    res = run(["select", "--data", str(DEMO_ZIP), "--fraction", fraction,
               "--out", str(tmp_path / "x.csv")], tmp_path)
    assert res.returncode != 0 and "fraction must be in (0, 1]" in res.stderr
    assert not (tmp_path / "x.csv").exists()


def test_bad_inputs_give_one_line_reasons(tmp_path):
    (tmp_path / "notes.md").write_text("not a dataset")
    cases = [
        (["--data", str(tmp_path / "missing.zip")], "dataset not found"),
        (["--data", str(DEMO_ZIP), "--method", "magic"], "unknown method"),
        (["--data", str(DEMO_ZIP), "--count", "5000"], "count"),
        (["--data", str(tmp_path / "notes.md")], "not a directory or a zip"),
    ]
    for extra, reason in cases:
        res = run(["select", "--out", str(tmp_path / "x.csv"), "--quiet"] + extra, tmp_path)
        assert res.returncode == 1, (extra, res.stderr)
        last = res.stderr.strip().splitlines()[-1]
        assert last.startswith("coreset_nb: error:") and reason in last, last
        assert not (tmp_path / "x.csv").exists()


def test_imagenet_weights_offline_message(tmp_path):
    res = run(["select", "--data", str(DEMO_ZIP), "--backbone", "vgg16",
               "--weights", "imagenet", "--out", str(tmp_path / "x.csv"), "--quiet"], tmp_path)
    if res.returncode == 0:
        pytest.skip("ImageNet weights reachable (online): nothing to check")
    last = res.stderr.strip().splitlines()[-1]
    assert "could not download ImageNet weights for vgg16" in last and "--weights /path/to/file.h5" in last


def test_medmnist_name_is_accepted_and_offline_download_says_how_to_pass_a_path(tmp_path):
    "`--data bloodmnist` (a name) is not refused as a missing path: it downloads, or fails saying how to pass a file."
    res = run(["select", "--data", "bloodmnist", "--method", "random", "--fraction", "0.01",
               "--out", str(tmp_path / "x.csv"), "--quiet"], tmp_path / "cache")
    if res.returncode == 0:
        pytest.skip("MedMNIST reachable (online): the download worked")
    last = res.stderr.strip().splitlines()[-1]
    assert "dataset not found" not in last
    assert "could not download bloodmnist.npz" in last and "--data /path/to/bloodmnist.npz" in last, last


@pytest.mark.parametrize("method", ["facility_location", "typiclust", "probcover", "moderate"])
def test_the_peers_selectors_are_selectable_by_name(method, tmp_path_factory):
    "`select --method NAME` for each selector from the literature, on the shipped data and weights (in-process: one TF import)."
    from coreset_nb.cli import main
    cache = tmp_path_factory.getbasetemp() / "peers-cache"  # shared: the features are extracted once
    out = tmp_path_factory.mktemp(method) / "c.csv"
    args = ["select", "--data", str(DEMO_ZIP), "--method", method, "--backbone", "mobilenet", "--weights", str(DEMO_WEIGHTS),
            "--image-size", "32", "--pooling", "avg", "--count", "40", "--seed", "1", "--out", str(out), "--cache-dir", str(cache), "--quiet"]
    assert main(args) == 0
    rows = read_rows(out)
    side = json.loads(out.with_suffix(".json").read_text())
    assert len(rows) == 40 == len({r["index"] for r in rows}) and side["selector"]["name"] == method
    assert set(side["selected"]["per_class"].values()) == {5}  # 8 classes of 64 (train = all): 5 each


def test_select_on_bloodmnist_takes_training_items_only(shared_file, tmp_path):
    "A coreset is a training set: on a MedMNIST file, `select` draws from the official training split unless told otherwise."
    npz = str(shared_file("bloodmnist.npz"))
    res = run(["select", "--data", npz, "--fraction", "0.05", "--method", "random", "--out", str(tmp_path / "c.csv"), "--quiet"], tmp_path)
    assert res.returncode == 0, res.stderr
    rows = read_rows(tmp_path / "c.csv")
    assert len(rows) == 598 and {r["item"].split("/")[0] for r in rows} == {"train"}  # 5% of the 11,959 training images
    side = json.loads((tmp_path / "c.json").read_text())
    assert side["settings"]["split"] == "train" and side["settings"]["n_candidates"] == 11959
    res = run(["select", "--data", npz, "--count", "100", "--method", "random", "--split", "all", "--out", str(tmp_path / "a.csv"),
               "--quiet"], tmp_path)
    assert res.returncode == 0 and {r["item"].split("/")[0] for r in read_rows(tmp_path / "a.csv")} == {"train", "val", "test"}


def embeddings_file(path, layout="npz"):
    "60 vectors (3 classes of 20, 5 dimensions) with ids 'cell00'..'cell59', in one of the layouts of `select --features`."
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(0)
    labels = np.repeat(np.array(["a", "b", "c"]), 20)
    X = rng.normal(size=(60, 5)) + np.repeat(np.eye(3, 5) * 4, 20, axis=0)
    ids = np.array([f"cell{i:02d}" for i in range(60)])
    if layout == "npz": np.savez(path, features=X, ids=ids, labels=labels)
    elif layout == "parquet-list": pd.DataFrame({"id": ids, "label": labels, "features": list(X)}).to_parquet(path)
    else: pd.DataFrame({"id": ids, "label": labels, **{f"f{j}": X[:, j] for j in range(5)}}).to_parquet(path)
    return path, ids


@pytest.mark.parametrize("layout", ["npz", "parquet-list", "parquet-columns"])
def test_select_features_writes_the_files_ids_and_its_checksum(tmp_path, layout):
    import hashlib
    if layout != "npz": pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (make install adds it)")
    path, ids = embeddings_file(tmp_path / ("e.npz" if layout == "npz" else "e.parquet"), layout)
    out = tmp_path / "c.csv"
    res = run(["select", "--features", str(path), "--method", "intelligent", "--fraction", "0.25", "--seed", "0",
               "--out", str(out), "--quiet"], tmp_path)
    assert res.returncode == 0, res.stderr
    rows = read_rows(out)
    assert len(rows) == 15 and all(r["item"] == ids[int(r["index"])] for r in rows)  # the file's ids, row by row
    assert {r["class"] for r in rows} == {"a", "b", "c"}
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["embeddings"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert side["embeddings"]["n"] == 60 and "backbone" not in side["settings"]
    assert "selected 15 of 60 candidate items" in res.stdout


def test_bad_features_files_give_one_line_errors_naming_the_file(tmp_path):
    import numpy as np
    np.savez(tmp_path / "no_labels.npz", features=np.eye(3), ids=np.array(["a", "b", "c"]))
    np.savez(tmp_path / "nan.npz", features=np.array([[0.0, 1], [np.nan, 2], [1, 1], [2, 2]]), ids=np.array(["a", "b", "c", "d"]),
             labels=np.array(["x", "x", "y", "y"]))
    (tmp_path / "table.csv").write_text("id,label,f0\na,x,1\n")
    cases = {"no_labels.npz": "no 'labels' array", "nan.npz": "features of 1 rows are NaN or infinite",
             "table.csv": "unknown format '.csv'"}
    for name, reason in cases.items():
        res = run(["select", "--features", str(tmp_path / name), "--fraction", "0.5", "--out", str(tmp_path / "x.csv"), "--quiet"], tmp_path)
        assert res.returncode != 0 and "Traceback" not in res.stderr, (name, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"coreset_nb: error: {tmp_path / name}: ") and reason in lines[0], lines
        assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.json").exists()


def test_data_and_features_exclude_each_other(tmp_path):
    res = run(["select", "--data", str(DEMO_ZIP), "--features", str(tmp_path / "e.npz"), "--out", str(tmp_path / "x.csv")], tmp_path)
    assert res.returncode == 2 and "not allowed with argument --data" in res.stderr
    res = run(["select", "--help"], tmp_path)
    assert "an .npz with arrays features (n, d), ids (n,), labels (n,); or a Parquet file with columns id, label and either one list" in " ".join(res.stdout.split())
