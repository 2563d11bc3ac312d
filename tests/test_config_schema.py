"""Configs are checked against one schema at every depth: a misspelled key, an empty list, a wrong type or unreadable
YAML is a one-line error of `coreset_nb experiment` that names the file and the key, never a default silently used."""
import pytest
import yaml

from coreset_nb.cli import main

GOOD = dict(name="t", data="imgs", seeds=[0], fractions=[0.5], methods=["random"],
            selection=dict(backbone="mobilenet", weights=None, image_size=32, pooling="avg"),
            models=dict(cnn=dict(kind="cnn", image_size=32, epochs=1)))


def edited(**changes):
    cfg = yaml.safe_load(yaml.safe_dump(GOOD))
    for path, value in changes.items():
        *parents, key = path.split("__")
        node = cfg
        for p in parents: node = node[p]
        node[key] = value
    return cfg


CASES = {  # file content -> what the one line must say
    "top-level misspelling": (edited(seedz=[0, 1]), ["seedz", "did you mean seeds", "allowed there"]),
    "another": (edited(fractons=[0.1]), ["fractons", "fractions"]),
    "nested in selection": (edited(selection__pca_varaince=0.5), ["selection.pca_varaince", "pca_variance"]),
    "nested in a model": (edited(models__cnn__epocs=5), ["models.cnn.epocs", "epochs"]),
    "weights in a cnn block": (edited(models__cnn__weights="imagenet"), ["models.cnn.weights", "allowed there"]),
    "empty seeds": (edited(seeds=[]), ["seeds must be a non-empty list"]),
    "empty methods": (edited(methods=[]), ["methods must be a non-empty list"]),
    "empty fractions": (edited(fractions=[]), ["fractions must be a non-empty list"]),
    "wrong type": (edited(models__cnn__epochs="five"), ["models.cnn.epochs must be a whole number"]),
    "bad selection value": (edited(selection__k_range=[5, 2]), ["selection", "k_range"]),
    "unknown kind": (edited(models__cnn__kind="rnn"), ["models.cnn.kind must be one of"]),
    "corruption misspelled": (edited(corruption=dict(label_nois=0.1)), ["corruption.label_nois", "did you mean label_noise"]),
    "noise of 100%": (edited(corruption=dict(label_noise=1.0)), ["corruption.label_noise must be a number in [0, 1)"]),
    "imbalance below 1": (edited(corruption=dict(imbalance=0.5)), ["corruption.imbalance must be"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_config_is_one_line_naming_file_and_key(case, tmp_path, capsys):
    content, expected = CASES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(content))
    assert main(["experiment", "--config", str(path), "--results-dir", str(tmp_path / "r")]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and str(path) in err, err
    for part in expected: assert part in err, (part, err)
    assert not (tmp_path / "r").exists()  # nothing ran


@pytest.mark.parametrize("text, expected", [("models: [a: 1\n", "not valid YAML"), ("- 1\n- 2\n", "got list"),
                                            ("", "got an empty file"), ("{}\n", "has no data")])
def test_unreadable_or_shapeless_yaml_is_one_line(text, expected, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["experiment", "--config", str(path)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err and str(path) in err, err


def test_a_set_that_breaks_the_schema_is_named(tmp_path, capsys):
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    assert main(["experiment", "--config", str(path), "--set", "seeds=[]"]) != 0
    err = capsys.readouterr().err.strip()
    assert "after --set" in err and "seeds must be a non-empty list" in err and len(err.splitlines()) == 1
