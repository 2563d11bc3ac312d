"""Files a user hands over that are not what they should be: each is a one-line error naming the file, or a
documented repair (zip member names decoded as the zip says)."""
import io
import json
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
from PIL import Image

from coreset_nb.cli import main
from coreset_nb.data import load_dataset


def one_line_error(capsys, *args) -> str:
    assert main(list(args)) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("content, says", [(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "not a text file"), (b"", "empty file"),
                                           (b"a,b\n1,2,3,4\n5\n", "no column")])
def test_compare_and_reuse_name_a_file_that_is_not_a_results_table(tmp_path, capsys, content, says):
    bad = tmp_path / "results.csv"
    bad.write_bytes(content)
    err = one_line_error(capsys, "compare", str(bad))
    assert str(bad) in err and says in err
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps(dict(data=str(tmp_path / "imgs"), models=dict(cnn=dict(kind="cnn")))))
    (tmp_path / "imgs" / "a").mkdir(parents=True)
    for i in range(2): Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "imgs" / "a" / f"{i}.png")
    err = one_line_error(capsys, "experiment", "--config", str(cfg), "--reuse", str(bad), "--results-dir", str(tmp_path / "r"), "--quiet")
    assert str(bad) in err


def test_reproduce_out_naming_a_file_says_so(tmp_path, capsys):
    taken = tmp_path / "report.txt"
    taken.write_text("mine")
    err = one_line_error(capsys, "reproduce", "--out", str(taken), "--quiet")
    assert str(taken) in err and "is not a folder" in err
    assert taken.read_text() == "mine"


def test_zip_without_the_utf8_flag_keeps_non_ascii_class_names(tmp_path):
    "Info-ZIP's `zip` on Linux stores UTF-8 names without the flag; the class folder must still read 'basó phil'."
    path = tmp_path / "legacy.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for cls in ("basXX phil", "other"):
            for i in range(2):
                buf = io.BytesIO(); Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(buf, "PNG")
                zf.writestr(f"{cls}/{i}.png", buf.getvalue())
    path.write_bytes(path.read_bytes().replace(b"basXX", "basó".encode("utf-8")))  # same length: the headers stay valid
    ds = load_dataset(path, progress=False)
    assert ds.class_names == ["basó phil", "other"]
    assert ds.read_bytes(0)[:4] == b"\x89PNG"
    if shutil.which("unzip"):  # Info-ZIP's unzip writes the names' bytes as they are: the items exist after unzipping
        subprocess.run(["unzip", "-q", str(path), "-d", str(tmp_path / "out")], check=True)
        assert all((tmp_path / "out" / item).is_file() for item in ds.items)
