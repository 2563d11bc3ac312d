"""Selection settings have one definition, `SelectionSettings`: the `select` options, a config's `selection` keys and
`DEFAULT_CONFIG` are made from it, and a method spec is parsed once."""
from dataclasses import fields

import pytest
import yaml

from coreset_nb.cli import build_parser
from coreset_nb.experiments import CONFIGS_DIR, DEFAULT_CONFIG, load_config
from coreset_nb.pipeline import SelectionSettings

NOT_SETTINGS = {"data", "features", "split", "fraction", "count", "cache_dir", "out", "dask", "workers", "quiet", "verbose", "func", "command"}


def select_parser():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices["select"]


def test_select_options_are_the_fields_with_their_defaults():
    actions = {a.dest: a for a in select_parser()._actions if a.dest != "help"}
    settings = {f.name: f.default for f in fields(SelectionSettings)}
    assert set(actions) - NOT_SETTINGS == set(settings)
    assert {name: actions[name].default for name in settings} == settings


def test_config_keys_and_defaults_come_from_the_fields():
    keys = SelectionSettings.config_keys()
    assert set(keys) == {f.name for f in fields(SelectionSettings)} - {"method", "seed"}
    assert DEFAULT_CONFIG["selection"] == {k: list(v) if isinstance(v, tuple) else v
                                           for k, v in ((f.name, f.default) for f in fields(SelectionSettings)) if k in keys}


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS_DIR.glob("*.yaml")))
def test_every_shipped_config_uses_only_known_selection_keys(config):
    selection = (yaml.safe_load((CONFIGS_DIR / config).read_text()) or {}).get("selection", {})
    assert set(selection) <= set(SelectionSettings.config_keys())
    SelectionSettings.from_config(load_config(CONFIGS_DIR / config, data="x")["selection"], "intelligent", 0)  # and valid


def test_a_misspelled_selection_key_is_named():
    with pytest.raises(ValueError, match="pca_varaince.*allowed: backbone"):
        SelectionSettings.from_config({**DEFAULT_CONFIG["selection"], "pca_varaince": 0.5}, "random", 0)


def test_the_cli_checks_settings_before_any_work(tmp_path, capsys):
    from coreset_nb.cli import main
    for args, message in [(["--image-size", "8"], "at least 32"), (["--k-range", "5", "2"], "k_range"),
                          (["--method", "hybrid[cap=-1]"], "cap"), (["--pca-variance", "0"], "pca_variance")]:
        code = main(["select", "--data", str(tmp_path), "--out", str(tmp_path / "c.csv"), *args])
        err = capsys.readouterr().err
        assert code != 0 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_method_is_parsed_once_into_a_spec():
    s = SelectionSettings(method="facility_location[similarity=cosine]")
    assert (s.spec.name, s.spec.changes) == ("facility_location", {"similarity": "cosine"})
    assert s.spec.build(budget=0.1, k_range=(2, 5), pca_variance=0.9).similarity == "cosine"  # k_range is not its setting
