"""Issue 35: every setting is checked where it enters (declared constraints, one validator, one-line messages)."""
import dataclasses
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coreset_nb.constraints import Interval, ListOf, Options, declared_constraints
from coreset_nb.selectors import SELECTORS, parse_method, register_selector
from tests.conftest import coreset_nb

ROOT = Path(__file__).resolve().parents[1]
NOT_SETTINGS = {"clusterer"}  # an object to reuse, not a setting a user writes


def undeclared(cls) -> list:
    "The settings a user may write for selector `cls` (`name[key=value]`, configs) that declare no constraint."
    return sorted(set(inspect.signature(cls).parameters) - NOT_SETTINGS - set(declared_constraints(cls)))


def bad_values(allowed: list) -> list:
    "A wrong type and (where the constraint has one) an out-of-range value for a setting."
    out = ["abc"] if str not in allowed and not any(isinstance(a, Options) for a in allowed) else [123]
    for a in allowed:
        if isinstance(a, Interval) and a.low is not None: out.append(a.low - 1)
        elif isinstance(a, Interval) and a.high is not None: out.append(a.high + 1)
        elif isinstance(a, Options): out.append("no_such_option")
    return out


@pytest.mark.parametrize("name", sorted(SELECTORS))
def test_every_selector_setting_declares_a_constraint(name):
    assert undeclared(SELECTORS[name]) == []


@pytest.mark.parametrize("name", sorted(SELECTORS))
def test_every_selector_setting_refuses_a_wrong_type_and_an_out_of_range_value(name):
    constraints = declared_constraints(SELECTORS[name])
    settings = sorted(set(inspect.signature(SELECTORS[name]).parameters) - NOT_SETTINGS - {"budget", "random_state"})
    for key in settings:
        for value in bad_values(constraints[key]):
            with pytest.raises(ValueError) as e: parse_method(f"{name}[{key}={value}]")
            message = str(e.value)
            assert message.startswith(f"{name}: {key} must be ") and message.endswith(f"got {value!r}"), message
            assert "\n" not in message


def test_a_selector_without_declared_constraints_fails_the_registry_check():
    @register_selector("_undeclared_test_selector")
    @dataclasses.dataclass(eq=False)
    class Undeclared(SELECTORS["random"]):
        strength: float = 1.0  # no constraint declared
    try: assert undeclared(Undeclared) == ["strength"]
    finally: SELECTORS.pop("_undeclared_test_selector")


def test_valid_variants_still_parse():
    assert parse_method("graph_coverage[t=2]") == ("graph_coverage", {"t": 2})
    assert parse_method("probcover[alpha=0.9]") == ("probcover", {"alpha": 0.9})
    assert parse_method("maxherding[normalize=false]") == ("maxherding", {"normalize": False})


# --- from the command line: one line naming the setting, exit status 1, before any data is read --------------------
def cli(*args, tmp_path):
    return coreset_nb(*args, env={"CORESET_NB_CACHE": tmp_path / "cache"}, cwd=tmp_path)


def one_line_error(res) -> str:
    err = res.stderr.strip()
    assert res.returncode == 1 and len(err.splitlines()) == 1 and "Traceback" not in err, res.stderr
    return err


def test_select_checks_settings_before_reading_data_from_the_command_line(tmp_path):
    res = cli("select", "--data", str(tmp_path / "no_such.zip"), "--out", str(tmp_path / "o.csv"),
              "--method", "graph_coverage[t=abc]", tmp_path=tmp_path)
    assert one_line_error(res) == "coreset_nb: error: graph_coverage: t must be a number > 0, got 'abc'"  # checked before the data


@pytest.mark.parametrize("extra, says", [
    (["--method", "probcover[alpha=-1]"], "probcover: alpha must be a number in (0, 1], got -1"),
    (["--method", "typiclust[n_neighbors=0]"], "typiclust: n_neighbors must be a whole number >= 1, got 0"),
    (["--method", "zcore[n_subspaces=abc]"], "zcore: n_subspaces must be a whole number >= 1, got 'abc'"),
    (["--method", "class_aware_fl[difficulty=abc]"], "class_aware_fl: difficulty must be a number >= 0, got 'abc'"),
    (["--method", "class_aware_fl[max_confusion=1.5]"], "class_aware_fl: max_confusion must be a number in [0, 1], got 1.5"),
    (["--seed", "-1"], "seed must be a whole number >= 0, got -1")])
def test_select_checks_settings_before_reading_data(extra, says, tmp_path, capsys):
    from coreset_nb.cli import main
    assert main(["select", "--data", str(tmp_path / "no_such.zip"), "--out", str(tmp_path / "o.csv"), *extra]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"coreset_nb: error: {says}", err  # the data does not exist: the setting was checked first


# --- --set and YAML values ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("assignment, says", [
    ("seeds=[0,1", "--set 'seeds=[0,1': the value of seeds is not valid YAML"),
    ("seeds=", "seeds has no value"), ("methods=", "methods has no value"),
    ("models.transfer.steps=", "write none where none is a meaning"),
    ("models.transfer.batch_size=0", "models.transfer.batch_size must be a whole number >= 1, got 0"),
    ("seeds=[-1]", "seeds must be a non-empty list, each a whole number >= 0, got [-1]"),
    ("seeds=[1.5]", "got [1.5]"), ("models.transfer.learning_rate=-1", "models.transfer.learning_rate must be a number > 0")])
def test_set_values_are_checked(assignment, says, tmp_path, capsys):
    from coreset_nb.cli import main
    assert main(["experiment", "--config", "demo", "--results-dir", str(tmp_path / "r"), "--set", assignment]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err, err
    assert not (tmp_path / "r").exists()


def test_set_none_is_null_where_null_is_a_meaning():
    from coreset_nb.experiments import load_config
    cfg = load_config("demo", sets=["models.transfer.steps=none", "models.transfer.step_epochs=none"]) if Path("demo").exists() else \
        load_config(str(ROOT / "configs" / "demo.yaml"), sets=["models.transfer.steps=none", "models.transfer.step_epochs=none"])
    assert cfg["models"]["transfer"]["steps"] is None


def test_a_config_file_value_out_of_range_is_named(tmp_path, capsys):
    from coreset_nb.cli import main
    (tmp_path / "c.yaml").write_text("data: x\nseeds: [0, -2]\n")
    assert main(["experiment", "--config", str(tmp_path / "c.yaml")]) == 1
    err = capsys.readouterr().err.strip()
    assert str(tmp_path / "c.yaml") in err and "seeds must be a non-empty list, each a whole number >= 0, got [0, -2]" in err


# --- claims ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "garbled", f"{__import__('socket').gethostname()} 1 0", f"{__import__('socket').gethostname()} 1"])
def test_a_claim_no_process_holds_is_named_and_taken_over(text, tmp_path):
    from coreset_nb.grid_sharing import claim_cell, release_cell
    (tmp_path / "c1.claim").write_text(text)  # empty, garbled, or naming a live but unrelated process (PID 1)
    with pytest.warns(UserWarning, match="a claim no process holds"): assert claim_cell(tmp_path, "c1")
    assert str(os.getpid()) in (tmp_path / "c1.claim").read_text()
    release_cell(tmp_path, "c1"); assert not (tmp_path / "c1.claim").exists()


def test_a_claim_a_live_process_holds_is_respected(tmp_path):
    from coreset_nb.grid_sharing import claim_cell, claim_held
    code = f"from coreset_nb.grid_sharing import claim_cell; import sys, time; print(claim_cell({str(tmp_path)!r}, 'c2'), flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "True"
        assert claim_held(tmp_path / "c2.claim") and not claim_cell(tmp_path, "c2")
    finally: holder.kill(); holder.wait()
    assert not claim_held(tmp_path / "c2.claim")  # its process is gone: the kernel released the lock
    with pytest.warns(UserWarning, match="taken over"): assert claim_cell(tmp_path, "c2")


def test_a_damaged_split_or_grid_file_is_named(tmp_path):
    from coreset_nb.data import load_image_folder, load_or_make_split
    from coreset_nb.experiments import read_grid
    (tmp_path / "grid.json").write_text('{"cells": [{"cell_id": "a", "mod')
    with pytest.raises(ValueError, match=r"grid.json is damaged .*delete it"): read_grid(tmp_path)
    (tmp_path / "split.json").write_text('{"seed": 0, "content_key": "ab')
    ds = _tiny_dataset(tmp_path / "imgs")
    with pytest.raises(ValueError, match=r"split.json is damaged .*delete it"): load_or_make_split(ds, tmp_path / "split.json", test_size=0.5, seed=0)


# --- compare --------------------------------------------------------------------------------------------------------
def _results(path, values, baseline_fractions=(0.1,)):
    import pandas as pd
    rows = [dict(model="cnn", method=m, fraction=f, seed=s, test_accuracy=0.5 + 0.01 * s + 0.02 * (m == "kcenter"))
            for s in range(3) for m in ("random", "kcenter") for f in (0.1, 0.2) if m == "kcenter" or f in baseline_fractions]
    df = pd.DataFrame(rows); df["test_accuracy"] = df["test_accuracy"].astype(object)
    for i, v in values.items(): df.loc[i, "test_accuracy"] = v
    df.to_csv(path, index=False)
    return path


def test_compare_names_cells_without_a_baseline(tmp_path, capsys):
    from coreset_nb.cli import main
    assert main(["compare", str(_results(tmp_path / "r.csv", {}))]) == 0
    out = capsys.readouterr().out
    assert "no baseline for 1 of 2 cells" in out and "single seed pair" not in out


def test_compare_names_and_leaves_out_unusable_accuracies(tmp_path, capsys):
    from coreset_nb.cli import main
    path = _results(tmp_path / "r.csv", {1: "n/a", 3: "inf", 4: "abc"})
    from coreset_nb.compare import ResultsWarning
    with pytest.warns(ResultsWarning) as record: assert main(["compare", str(path)]) == 0
    message = str(record[0].message)
    assert f"{path}: 3 of 9 rows have a test_accuracy that is missing, not a number or infinite" in message and "line 5: 'inf'" in message


def test_compare_with_no_usable_accuracy_says_so(tmp_path, capsys):
    from coreset_nb.cli import main
    assert main(["compare", str(_results(tmp_path / "r.csv", {i: float("nan") for i in range(9)}))]) == 1
    assert "no row of the results has a test_accuracy that is a finite number" in capsys.readouterr().err


# --- paths ----------------------------------------------------------------------------------------------------------
def _png() -> bytes:
    import io
    from PIL import Image
    buf = io.BytesIO(); Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def _tiny_dataset(folder):
    from coreset_nb.data import load_image_folder
    for c in ("a", "b"):
        (folder / c).mkdir(parents=True, exist_ok=True)
        for i in range(2): (folder / c / f"{i}.png").write_bytes(_png())
    return load_image_folder(folder, progress=False)


def test_zip_slip_members_are_skipped_and_counted(tmp_path):
    import zipfile
    from coreset_nb.data import load_image_folder
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as zf:
        for name in ("a/0.png", "a/1.png", "b/0.png", "../evil.png", "a/../../evil2.png", "/abs/x.png", "C:/d/x.png"):
            zf.writestr(name, _png())
    ds = load_image_folder(tmp_path / "d.zip", progress=False)
    assert ds.class_names == ["a", "b"] and not any(".." in i for i in ds.items)
    unsafe = [s for s in ds.skipped if s["reason"].startswith("unsafe path")]
    assert len(unsafe) == 4, ds.skipped


def test_a_non_utf8_file_name_is_named_and_skipped(tmp_path):
    folder = tmp_path / "imgs"
    ds = _tiny_dataset(folder)
    with open(os.fsencode(folder / "a") + b"/caf\xe9.png", "wb") as f: f.write(_png())
    from coreset_nb.data import load_image_folder
    ds = load_image_folder(folder, progress=False)
    assert len(ds) == 4 and [s["item"] for s in ds.skipped] == ["a/caf\\xe9.png"] and "not valid UTF-8" in ds.skipped[0]["reason"]


# --- select writes its CSV and JSON as one pair ---------------------------------------------------------------------
@pytest.mark.slow
def test_concurrent_selects_to_one_out_never_mix():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_concurrent_select import run
    rows = run(3)
    assert all(r["csv_matches_json_seed"] and r["exit_codes"] == "0 0" for r in rows), rows
