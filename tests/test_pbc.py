"""The PBC release: verification against the shipped manifest on real originals (../shared/data), a tampered copy and a
missing file; `--data pbc` offline says where to put the file, and with the release in place it verifies and runs.
No network: downloads are faked or refused."""
import shutil
import urllib.error
import zipfile

import pytest

import coreset_nb.pbc as pbc
from coreset_nb.cli import main

SAMPLE = "pbc_native_sample_25perclass.zip"


@pytest.fixture
def sample(shared_file, tmp_path):
    "The 200 native PBC originals, unzipped as the release's folder, and the manifest's rows of them."
    folder = tmp_path / "PBC_dataset_normal_DIB"
    with zipfile.ZipFile(shared_file(SAMPLE)) as zf: zf.extractall(folder)
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg")}
    return folder, {k: v for k, v in pbc.pbc_manifest().items() if k in names}


def test_the_200_originals_are_the_release(sample, shared_file):
    folder, manifest = sample
    assert len(manifest) == 200  # every original of the sample is in the shipped manifest, byte for byte
    assert pbc.verify_pbc(folder, manifest=manifest, progress=False)["checked"] == 200
    assert pbc.verify_pbc(shared_file(SAMPLE), complete=False, progress=False)["checked"] == 200  # the zip, as a sample


def test_a_tampered_image_and_a_missing_one_are_named(sample):
    folder, manifest = sample
    first, second = sorted(manifest)[:2]
    raw = bytearray((folder / first).read_bytes()); raw[len(raw) // 2] ^= 0xFF
    (folder / first).write_bytes(bytes(raw))  # one flipped byte: same size, other md5
    (folder / second).unlink()
    with pytest.raises(ValueError) as e:
        pbc.verify_pbc(folder, manifest=manifest, progress=False)
    msg = str(e.value)
    assert f"1 images differ from the release (e.g. {first})" in msg and f"1 images missing (e.g. {second})" in msg
    assert len(msg.splitlines()) == 1


def test_reproduce_paper_with_data_pbc_offline_says_where_to_put_the_file(tmp_path, monkeypatch, capsys):
    def offline(*a, **k): raise urllib.error.URLError("no network")
    monkeypatch.setattr(pbc.urllib.request, "urlopen", offline)
    assert main(["reproduce", "--preset", "paper", "--data", "pbc", "--cache-dir", str(tmp_path), "--quiet"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"put {pbc.PBC_ARCHIVE} from {pbc.PBC_PAGE} at {tmp_path / 'pbc' / pbc.PBC_ARCHIVE}" in err


def test_with_the_release_in_the_cache_data_pbc_verifies_and_runs(sample, tmp_path, monkeypatch, capsys):
    "The sample stands in for the release (the manifest narrowed to it): `select --data pbc` verifies it once, then selects."
    folder, manifest = sample
    monkeypatch.setattr(pbc, "pbc_manifest", lambda: manifest)
    shutil.make_archive(str(tmp_path / "cache" / "pbc" / "PBC_dataset_normal_DIB"), "zip", folder.parent, folder.name)
    out = tmp_path / "coreset.csv"
    assert main(["select", "--data", "pbc", "--method", "random", "--count", "16", "--cache-dir", str(tmp_path / "cache"),
                 "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 17
    assert (tmp_path / "cache" / "pbc" / "PBC_dataset_normal_DIB.zip.verified.json").exists()
    (tmp_path / "cache" / "pbc" / "PBC_dataset_normal_DIB.zip").write_bytes(b"not a zip")  # changed after verification
    assert main(["select", "--data", "pbc", "--method", "random", "--count", "16", "--cache-dir", str(tmp_path / "cache"),
                 "--out", str(out), "--quiet"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a readable zip of the PBC release" in err, err
