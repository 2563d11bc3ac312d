"""Shared pytest setup: the `slow` marker (skipped unless --runslow) and paths to the offline data."""
import os
import sys
import zipfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# `make test` runs two test processes on two cores: one TensorFlow/BLAS thread each (inherited by every command a test
# runs) instead of two processes each spinning a pool of threads over the same two cores. Results depend on the
# thread count, so no test compares against numbers made with another setting.
for _var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"): os.environ.setdefault(_var, "1")
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CORESET_NB_SHARED_DATA", REPO.parent / "shared" / "data"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: heavy test, skipped unless --runslow (CI skips it)")
    config.addinivalue_line("markers", "browser: the docs site in headless Chromium; `make docs-check` runs them, `make test` deselects them")


# The files whose tests share a module or session fixture (a reproduction, a reference run of a grid): each runs whole on
# one xdist worker, so that its fixture is made once. Every other test is sent on its own to whichever worker is free.
# (test_selectors and test_more_selectors share cheap fixtures: their 450 short tests are better spread one by one.)
SHARED_FIXTURE_FILES = {"test_product", "test_experiment_resume", "test_train_equivalence", "test_scalable_cluster",
                        "test_backend_parity", "test_ablations"}


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown where xdist is not installed (the skextra venv)
def pytest_xdist_make_scheduler(config, log):
    "`-n 2`: test by test, each file of `SHARED_FIXTURE_FILES` and each notebook as one unit (xdist's `--dist loadgroup` marks do not apply here)."
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::")[0]  # a notebook's cells (nbval) run in order in one kernel: one unit too
            return path if Path(path).stem in SHARED_FIXTURE_FILES or path.endswith(".ipynb") else nodeid

    return SharedFixtureScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    # The longest units first (`make test` hands them out in this order, --no-loadscope-reorder): the product tests'
    # reproduction with its other tests (~4 min here, `make test-slow`), the grids of test_experiment_resume (~35 s),
    # the demo's features (on an empty user cache one worker extracts them while the other runs the grids and the first
    # notebooks, which need none), the notebooks (nbs/, up to 40 s each), the files with tests of 5-20 s (a CNN trained,
    # processes started, the committed tables remade, shared-fixture files run whole), then the rest one by one: the
    # last units handed out are short and both workers finish together.
    first = ["tests/test_product.py", "tests/test_experiment_resume.py",
             "tests/test_features.py::test_the_demo_features_the_notebooks_read", "nbs/", "tests/test_hostile_inputs.py",
             "tests/test_demo_cnn.py", "tests/test_train_equivalence.py", "tests/test_scalable_cluster.py",
             "tests/test_results_tables.py", "tests/test_protocol.py"]
    rank = lambda nodeid: next((i for i, p in enumerate(first) if nodeid.startswith(p)), len(first))
    items.sort(key=lambda item: rank(item.nodeid))
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def load_tool(name):
    """`tools/<name>.py` (repository upkeep, not in the wheel) as a module, loaded once per process and registered under its
    name: a tool that imports another (`make_readme` imports `make_tables`) finds the same module."""
    if name not in sys.modules:
        import importlib.util
        spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try: spec.loader.exec_module(module)
        except BaseException: del sys.modules[name]; raise
    return sys.modules[name]


ASSETS = REPO / "coreset_nb" / "assets"
DEMO_ZIP = ASSETS / "pbc_demo_300perclass_96px.zip"  # real PBC images shipped with the package
DEMO_WEIGHTS = ASSETS / "mobilenet_2_5_224_tf_no_top.h5"  # real ImageNet weights shipped with the package
DEMO_CONFIG = ASSETS.parent / "configs" / "demo.yaml"  # the preset `make reproduce` runs
CHANCE = 1 / 8  # PBC's eight classes
LEARNED = CHANCE + 0.30  # the floor of every RS/IS cell at 5% or above in the demo: 30 points above chance


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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The package as users get it: a wheel built from this repository, unpacked into its own folder (only what the
    wheel ships: code, assets, configs and the paper_figures notebooks). Commands run from it put it first on PYTHONPATH."""
    import shutil, subprocess, sys, zipfile
    tmp = tmp_path_factory.mktemp("wheel")
    (tmp / "src").mkdir()
    for name in ("settings.ini", "setup.py", "README.md", "coreset_nb", "paper_figures"):  # build from a copy: no build/ here
        if (REPO / name).is_dir(): shutil.copytree(REPO / name, tmp / "src" / name, ignore=shutil.ignore_patterns("__pycache__"))
        else: shutil.copy(REPO / name, tmp / "src" / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"),
                    str(tmp / "src")], check=True, capture_output=True)
    whl = next((tmp / "dist").glob("coreset_nb-*.whl"))
    site = tmp / "site"; zipfile.ZipFile(whl).extractall(site)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # the command must be quiet on its own
    env["PYTHONPATH"] = str(site)
    return dict(path=whl, site=site, env=env, cli=[sys.executable, "-c", "import sys; from coreset_nb.cli import main; sys.exit(main())"])


# `make test-slow` reproduces the demo at one of its four budgets (25%: Table 1's), with every seed, selector and model
# and the 100% rows, every figure notebook and the report: everything a user reads, from the wheel. Only the custom
# CNN's step budget is cut (20 steps instead of 300-1200): its training is 90% of the demo's time on 2 CPU cores. That
# the shipped CNN settings learn is checked by tests/test_demo_cnn.py (one cell with demo.yaml's settings unchanged, in
# `make test`), and the whole demo as shipped by `test_full_demo_as_make_reproduce_runs_it`.
SHORT_CNN = ["models.cnn.steps=20", "models.cnn.min_steps=20"]
DEMO_SETS = ["fractions=[0.25]", *SHORT_CNN]


def reproduce_from_wheel(tmp_path_factory, wheel, sets):
    "`coreset_nb reproduce` from the wheel, in an empty folder outside any clone, with an empty cache."
    import subprocess, time
    cwd = tmp_path_factory.mktemp("user")
    env = dict(wheel["env"], CORESET_NB_CACHE=str(cwd / "cache"))
    t = time.perf_counter()
    res = subprocess.run(wheel["cli"] + ["reproduce"] + [a for s in sets for a in ("--set", s)], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stderr[-3000:]
    return dict(out=cwd / "reproduce_out" / "demo", stderr=res.stderr, stdout=res.stdout, cwd=cwd, env=env, cli=wheel["cli"],
                seconds=time.perf_counter() - t, sets=sets)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, wheel):
    """`coreset_nb reproduce` as `make reproduce` runs it (the demo preset: shipped data, shipped weights, its settings)
    at two of its budgets (`DEMO_SETS`), from the wheel. Shared by the product tests."""
    return reproduce_from_wheel(tmp_path_factory, wheel, DEMO_SETS)


def demo_subset(dst, per_class=6, edit=None):
    "A zip of the first `per_class` demo images of every class; `edit(name, data)` may change or drop (None) an entry."
    src = zipfile.ZipFile(DEMO_ZIP)
    by_class = {}
    for n in sorted(src.namelist()): by_class.setdefault(n.split("/")[0], []).append(n)
    with zipfile.ZipFile(dst, "w") as out:
        for names in by_class.values():
            for n in names[:per_class]:
                data = src.read(n) if edit is None else edit(n, src.read(n))
                if data is not None: out.writestr(n, data)
    return dst


# The installed console script, exactly what a user runs: for the tests of the real process (its exit on a broken file,
# its stderr filter, a kill). Everything else calls `coreset_nb(...)` below.
CLI = [str(Path(sys.executable).parent / "coreset_nb")]


def coreset_nb(*args, env=None, cwd=None):
    """`coreset_nb ARGS` run in this test process (`coreset_nb.cli.main(argv)`), returned as `subprocess.run(...,
    capture_output=True, text=True)` would return it: exit status, stdout, stderr. Same entry point and the same
    one-line errors as the command; what it saves is a new interpreter importing TensorFlow (~7 CPU-s) per call, ~60
    calls in `make test`. `env` adds variables for the call (CORESET_NB_CACHE, ...); `cwd` is the folder it runs in.
    TensorFlow's C++ log lines go to descriptor 2, not into the captured stderr (the command's own filter drops them)."""
    import contextlib, io, subprocess, warnings
    from coreset_nb.cli import main
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd, saved_format = dict(os.environ), os.getcwd(), warnings.formatwarning
    os.environ.update({k: str(v) for k, v in (env or {}).items()})
    try:
        if cwd is not None: os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            # printed as the command prints them, not recorded by pytest's own warning capture
            warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: \
                sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))
            try: code = main([str(a) for a in args])
            except SystemExit as e: code = e.code if isinstance(e.code, int) else int(e.code is not None)  # argparse: 2
    finally:
        os.environ.clear(); os.environ.update(saved_env); os.chdir(saved_cwd); warnings.formatwarning = saved_format
    return subprocess.CompletedProcess(["coreset_nb", *map(str, args)], code, out.getvalue(), err.getvalue())
