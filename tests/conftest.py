"""Shared pytest setup: the `slow` marker (skipped unless --runslow) and paths to the offline data."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CORESET_NB_SHARED_DATA", REPO.parent / "shared" / "data"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: heavy test, skipped unless --runslow (CI skips it)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


ASSETS = REPO / "coreset_nb" / "assets"
DEMO_ZIP = ASSETS / "pbc_demo_64perclass_128px.zip"  # real PBC images shipped with the package
DEMO_WEIGHTS = ASSETS / "mobilenet_2_5_224_tf_no_top.h5"  # real ImageNet weights shipped with the package


def shared_path(name):
    """A file of ../shared/data (real data too large to ship). Absent on an ordinary clone: the test is skipped with a
    reason naming the file. On CI (CI set), which has ../shared, an absent file fails the test instead of skipping it."""
    path = SHARED_DATA / name
    if path.exists():
        return path
    reason = (f"needs {path}: the offline copy of {name} (see the README's 'Getting the data'; "
              "set CORESET_NB_SHARED_DATA to its folder)")
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the data tests, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_file():
    "`shared_file(name)`: the path of ../shared/data/<name>, or a skip (a failure on CI) naming it."
    return shared_path
