"""Selection from a user's own embeddings (`select_embeddings`, `coreset_nb select --features`): every registered selector
on an .npz and a Parquet file gives the same coreset, the CSV names the file's ids, the sidecar records its checksum, and
each damaged file is refused with one line naming it."""
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from coreset_nb.embeddings import EmbeddingsError, read_embeddings, select_embeddings
from coreset_nb.selectors import SELECTORS

pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (make install adds it)")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    "The same 120 vectors (4 classes of 30, 6 dimensions) as an .npz and as a Parquet file."
    tmp = tmp_path_factory.mktemp("emb")
    rng = np.random.default_rng(0)
    labels = np.repeat(np.array(["a", "b", "c", "d"]), 30)
    X = rng.normal(size=(120, 6)) + np.repeat(np.eye(4, 6) * 4, 30, axis=0)
    ids = np.array([f"img{i:03d}" for i in range(120)])
    np.savez(tmp / "e.npz", features=X, ids=ids, labels=labels)
    pd.DataFrame({"id": ids, "label": labels, "features": list(X)}).to_parquet(tmp / "e.parquet")
    return tmp


@pytest.mark.parametrize("name", sorted(SELECTORS))
def test_every_selector_runs_on_npz_and_parquet_alike(files, name):
    results = {fmt: select_embeddings(files / f"e.{fmt}", 0.2, name, seed=0) for fmt in ("npz", "parquet")}
    npz, parquet = results["npz"], results["parquet"]
    np.testing.assert_array_equal(npz.indices, parquet.indices)
    assert len(npz.indices) == 24 and len(set(npz.indices.tolist())) == 24
    assert [r["item"] for r in npz.rows] == [f"img{i:03d}" for i in npz.indices]
    assert all(r["class"] == "abcd"[i // 30] for r, i in zip(npz.rows, npz.indices))  # each row keeps its own label
    assert npz.info["embeddings"]["sha256"] == hashlib.sha256((files / "e.npz").read_bytes()).hexdigest()


def test_the_csv_and_sidecar_are_written(files, tmp_path):
    csv, sidecar = select_embeddings(files / "e.npz", 0.1, "random", seed=1).write(tmp_path / "c.csv")
    table = pd.read_csv(csv)
    assert list(table.columns) == ["index", "item", "label", "class", "cluster", "is_medoid"] and len(table) == 12
    record = json.loads(sidecar.read_text())
    assert record["embeddings"]["n"] == 120 and record["embeddings"]["dim"] == 6 and "backbone" not in record["settings"]


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


GOOD = dict(features=np.eye(4), ids=np.array(["a", "b", "c", "d"]), labels=np.array(["x", "x", "y", "y"]))


@pytest.mark.parametrize("change, message", [
    (dict(features=np.ones(4)), "features must be a 2-D array"),
    (dict(features=np.array([[np.nan, 0], [0, 1], [1, 1], [np.inf, 2]])), "features of 2 rows are NaN or infinite (first: row 0)"),
    (dict(ids=np.array(["a", "b", "c"])), "ids must have one entry per feature row (4)"),
    (dict(ids=np.array(["a", "b", "a", "d"])), "ids must be unique: 1 ids appear more than once (e.g. 'a', 2 times)"),
    (dict(labels=np.array(["x", "", "y", "y"])), "1 labels are missing (first: row 1)"),
    (dict(labels=np.array([0.5, 1.5, 0.5, 1.5])), "labels must be class names or integer codes, got floating-point values"),
    (dict(labels=np.array([1, 2, 3, 4])), "every row has a label of its own"),
])
def test_a_damaged_npz_is_refused_in_one_line_naming_it(tmp_path, change, message):
    path = write_npz(tmp_path / "bad.npz", **{**GOOD, **change})
    with pytest.raises(EmbeddingsError) as e: read_embeddings(path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value) and "\n" not in str(e.value)


def test_missing_arrays_columns_and_formats_are_named(tmp_path):
    no_labels = write_npz(tmp_path / "n.npz", features=np.eye(2), ids=np.array(["a", "b"]))
    pd.DataFrame({"id": ["a", "b"], "f0": [1.0, 2.0]}).to_parquet(tmp_path / "n.parquet")
    pd.DataFrame({"id": ["a", "b"], "label": ["x", "y"], "f0": ["u", "v"]}).to_parquet(tmp_path / "s.parquet")
    (tmp_path / "e.csv").write_text("id,label\n")
    cases = {no_labels: "no 'labels' array", tmp_path / "n.parquet": "no column 'label'",
             tmp_path / "s.parquet": "feature columns must be numeric; not numeric: f0",
             tmp_path / "e.csv": "unknown format '.csv'", tmp_path / "absent.npz": "no such file"}
    for path, message in cases.items():
        with pytest.raises(EmbeddingsError, match=None) as e: read_embeddings(path)
        assert message in str(e.value) and str(path) in str(e.value)
