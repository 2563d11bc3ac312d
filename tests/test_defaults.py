"""Each selection default is written once (issue 33): the literals live in one module constant each, and no shipped
config restates a default (so changing a default changes every config that does not say otherwise)."""
from pathlib import Path

import pytest
import yaml

from coreset_nb.experiments import CONFIGS_DIR, DEFAULT_CONFIG

PKG = Path(__file__).resolve().parents[1] / "coreset_nb"


def library_sources() -> str:
    return "\n".join(p.read_text() for p in sorted(PKG.glob("*.py")) if p.name != "_modidx.py")


@pytest.mark.parametrize("literal, where", [("(2, 10)", "K_RANGE = (2, 10)"), ('"fasterpam"', 'BACKEND = "fasterpam"'),
                                            ("=0.95", None), ("= 0.95", None)])
def test_each_default_literal_is_written_once(literal, where):
    text = library_sources()
    if where is None:  # the PCA variance: only as the constant (other 0.95s are confidence levels and the peers' alpha)
        assert not [l for l in text.splitlines() if literal in l and "variance" in l and "PCA_VARIANCE =" not in l]
        assert text.count("PCA_VARIANCE = 0.95") == 1
    else:
        assert text.count(literal) == 1 and where in text


def restated(raw: dict) -> list:
    "The keys of a raw config whose value equals its default (a model's keys against its kind's defaults)."
    out, kinds = [], {m["kind"]: m for m in DEFAULT_CONFIG["models"].values()}
    for key, value in raw.items():
        if key == "models":
            out += [f"models.{n}.{k}" for n, m in value.items() for k, v in m.items()
                    if k != "kind" and k in kinds.get(m.get("kind"), {}) and kinds[m["kind"]][k] == v]
        elif isinstance(value, dict) and isinstance(DEFAULT_CONFIG.get(key), dict):
            defaults = {k: list(v) if isinstance(v, tuple) else v for k, v in DEFAULT_CONFIG[key].items()}
            out += [f"{key}.{k}" for k, v in value.items() if k in defaults and defaults[k] == v]
        elif key in DEFAULT_CONFIG and DEFAULT_CONFIG[key] == value:
            out.append(key)
    return out


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS_DIR.glob("*.yaml")))
def test_no_shipped_config_restates_a_default(config):
    assert restated(yaml.safe_load((CONFIGS_DIR / config).read_text())) == []


def test_the_check_sees_a_restated_default():
    assert restated({"selection": {"k_range": [2, 10], "backend": "fasterpam", "pooling": "avg"}, "seeds": [0, 1, 2],
                     "models": {"m": {"kind": "cnn", "batch_size": 32, "epochs": 3}}}) == [
        "selection.k_range", "selection.backend", "seeds", "models.m.batch_size"]
