"""Loaders on real PBC files and on the kinds of mess the real PBC release contains."""
import zipfile

import numpy as np
import pytest

from tests.conftest import DEMO_ZIP
from coreset_nb.data import load_dataset, load_image_folder, stratified_split, load_or_make_split
from coreset_nb.medmnist import load_medmnist


def make_release_zip(src_zip, dst, n_per_class=4, mess=True):
    """The PBC release layout (PBC_dataset_normal_DIB/<class>/*.jpg) from real native PBC originals, plus mess."""
    src = zipfile.ZipFile(src_zip)
    by_class = {}
    for name in sorted(src.namelist()):
        by_class.setdefault(name.split("/")[0], []).append(name)
    with zipfile.ZipFile(dst, "w") as out:
        for cls, names in by_class.items():
            for name in names[:n_per_class]:
                out.writestr(f"PBC_dataset_normal_DIB/{name}", src.read(name))
        if mess:
            # the real release's macOS metadata file named like an image
            out.writestr("PBC_dataset_normal_DIB/neutrophil/.DS_169665.jpg", b"\x00\x00\x00\x01Bud1" + bytes(2000))
            good = src.read(by_class["basophil"][-1])
            out.writestr("PBC_dataset_normal_DIB/basophil/BA_truncated.jpg", good[: len(good) // 2])
            out.writestr("PBC_dataset_normal_DIB/unused_empty_class/", b"")
    return dst


def test_native_pbc_sample(shared_file):
    ds = load_dataset(shared_file("pbc_native_sample_25perclass.zip"), progress=False)
    assert len(ds) == 200 and ds.skipped == []
    assert ds.class_names == ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]
    assert set(ds.class_counts().values()) == {25}
    img = ds.load_image(0)
    assert img.ndim == 3 and img.shape[2] == 3 and img.shape[0] > 300  # native ~360x363


def test_release_layout_with_mess_is_skipped_and_counted(shared_file, tmp_path):
    z = make_release_zip(shared_file("pbc_native_sample_25perclass.zip"), tmp_path / "pbc.zip")
    ds = load_image_folder(z, progress=False)
    assert ds.root == "PBC_dataset_normal_DIB"
    assert len(ds) == 32
    reasons = {s["item"]: s["reason"] for s in ds.skipped}
    assert reasons["neutrophil/.DS_169665.jpg"].startswith("not an image")
    assert reasons["basophil/BA_truncated.jpg"].startswith("corrupt or truncated jpeg")
    assert ds.empty_classes == ["unused_empty_class"]
    assert "unused_empty_class" not in ds.class_names
    # the same tree extracted to a directory loads identically
    zipfile.ZipFile(z).extractall(tmp_path / "dir")
    ds_dir = load_image_folder(tmp_path / "dir", progress=False)
    assert ds_dir.items == ds.items and ds_dir.content_key() == ds.content_key()
    assert ds_dir.empty_classes == ["unused_empty_class"] and len(ds_dir.skipped) == 2


def test_full_pbc_zip_counts(shared_file):
    ds = load_dataset(shared_file("pbc_224_q80.zip"), progress=False)
    assert len(ds) == 17092 and ds.skipped == []
    assert ds.class_counts() == {"basophil": 1218, "eosinophil": 3117, "erythroblast": 1551, "ig": 2895,
                                 "lymphocyte": 1214, "monocyte": 1420, "neutrophil": 3329, "platelet": 2348}


def test_bloodmnist_official_splits(shared_file):
    ds = load_medmnist(shared_file("bloodmnist.npz"))
    split = stratified_split(ds)
    assert (len(split.train), len(split.val), len(split.test)) == (11959, 1712, 3421)
    assert np.bincount(ds.labels[split.test]).tolist() == [244, 624, 311, 579, 243, 284, 666, 470]
    assert ds.arrays.shape[1:] == (28, 28, 3)


def test_split_is_deterministic_saved_and_guarded(tmp_path):
    ds = load_dataset(DEMO_ZIP, progress=False)
    a = load_or_make_split(ds, tmp_path / "split.json", test_size=0.2, val_size=0.1, seed=3)
    b = stratified_split(ds, test_size=0.2, val_size=0.1, seed=3)
    assert a.test.tolist() == b.test.tolist() and a.val.tolist() == b.val.tolist()
    assert set(np.bincount(ds.labels[a.test]).tolist()) == {60}  # stratified: 20% of 300 per class
    assert stratified_split(ds, test_size=0.2, seed=4).test.tolist() != a.test.tolist()
    other = ds.subset(range(100))
    with pytest.raises(ValueError, match="made for other data"):
        load_or_make_split(other, tmp_path / "split.json", test_size=0.2, seed=3)


def test_image_pipeline_on_native_sizes(shared_file):
    from coreset_nb.images import load_images
    ds = load_dataset(shared_file("pbc_native_sample_25perclass.zip"), progress=False)
    imgs = load_images(ds, [0, 1, 199], image_size=64, progress=False)
    assert imgs.shape == (3, 64, 64, 3) and imgs.dtype == np.uint8
    ref = np.asarray(ds.load_image(0, size=64), dtype=float)
    assert np.abs(imgs[0].astype(float) - ref).mean() < 6  # TF and PIL bilinear resizes agree closely
