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
