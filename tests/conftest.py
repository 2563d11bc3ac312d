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


@pytest.fixture(scope="session")
def shared_data():
    """../shared/data with the real PBC/BloodMNIST files and MobileNet weights; tests needing it fail loudly if absent."""
    if not SHARED_DATA.exists():
        pytest.fail(f"offline data folder not found: {SHARED_DATA} (set CORESET_NB_SHARED_DATA)")
    return SHARED_DATA
