"""Execute notebooks in place, so that each is committed with the outputs of a run on the shipped data (`make nbs`).

    python tools/run_notebooks.py                 # every notebook of nbs/, two at a time
    python tools/run_notebooks.py nbs/03_cluster.ipynb nbs/04_sample.ipynb

Each notebook runs in a fresh kernel started in `nbs/`, with one TensorFlow/BLAS thread (as `make test` runs them,
so that the committed outputs are the ones the check reproduces). Cells that nbdev's test skips (`#| slow`,
`#| notest`, `#| eval: false`) are not run and keep no output; nbs/conftest.py skips the same cells in the check.
Where a fresh output differs from the committed one only in what the check masks (a timing after "⏱", per
nbs/nbval_sanitize.cfg), the committed output is kept, so that rerunning an unchanged notebook leaves `git status` clean.
Then `nbdev_clean` strips execution counts and metadata and keeps the outputs.
"""
import argparse
import configparser
import copy
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
SKIP_FLAGS = ("#| slow", "#| notest", "#| eval: false", "#|eval: false")
# IN_TEST: nbdev's own flag, set by nbdev_test too; the notebooks' last cell (`nbdev_export()`) then does nothing.
ONE_THREAD = dict(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED="0",
                  TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="module://matplotlib_inline.backend_inline", IN_TEST="1")


KERNEL_CONFIG = """\
# The kernels that run the notebooks for `make nbs` and `make test-nbs` (tools/run_notebooks.py writes this file).
# TensorFlow's C++ log lines (with time stamps and process ids) go to the terminal, not into the notebooks' outputs.
c.IPKernelApp.capture_fd_output = False
# tqdm.auto warns, with the path of the installed package, when ipywidgets is absent; the notebooks show no progress bars.
c.InteractiveShellApp.exec_lines = ["import warnings; warnings.filterwarnings('ignore', message='IProgress not found')"]
"""


def kernel_environment() -> dict:
    "The environment of a notebook's kernel: one thread, nbdev's IN_TEST, and an IPython profile with KERNEL_CONFIG."
    import tempfile
    ipython_dir = Path(tempfile.gettempdir()) / "coreset_nb-ipython"
    config = ipython_dir / "profile_default" / "ipython_kernel_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    if not config.is_file() or config.read_text() != KERNEL_CONFIG: config.write_text(KERNEL_CONFIG)
    return {**ONE_THREAD, "IPYTHONDIR": str(ipython_dir)}


def skipped(cell) -> bool:
    "Whether nbdev's test (and so the check) skips this code cell."
    return any(line.strip().startswith(SKIP_FLAGS) for line in cell.source.splitlines())


def coalesce_streams(nb):
    "Join each cell's consecutive stdout (or stderr) chunks into one output: how a stream was chunked varies from run to run."
    for cell in nb.cells:
        if cell.cell_type != "code": continue
        merged = []
        for out in cell.outputs:
            if merged and out.get("output_type") == "stream" and merged[-1].get("output_type") == "stream" \
                    and merged[-1].get("name") == out.get("name"):
                merged[-1]["text"] = "".join(merged[-1]["text"]) + "".join(out["text"])
            else: merged.append(out)
        cell.outputs = merged
    return nb


def sanitizers() -> list:
    "The (pattern, replacement) pairs of nbs/nbval_sanitize.cfg: what the check masks in an output."
    cfg = configparser.ConfigParser()
    cfg.read(NBS / "nbval_sanitize.cfg")
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def keep_committed_timings(committed, fresh, subs=None):
    "In `fresh`, put back each committed output that differs from the fresh one only in what the check masks."
    subs = sanitizers() if subs is None else subs
    def masked(out):
        text = json.dumps(out, sort_keys=True, ensure_ascii=False)
        for pattern, replacement in subs: text = pattern.sub(replacement, text)
        return text
    before = {c.get("id"): c for c in committed.cells if c.cell_type == "code"}
    for cell in fresh.cells:
        old = before.get(cell.get("id"))
        if cell.cell_type != "code" or old is None or len(old.outputs) != len(cell.outputs): continue
        cell.outputs = [copy.deepcopy(o) if o != n and masked(o) == masked(n) else n for o, n in zip(old.outputs, cell.outputs)]
    return fresh


def execute(path: Path) -> float:
    "Run `path` in place in a fresh kernel, cell by cell (skipped cells lose their outputs); return the seconds taken."
    import nbformat
    from nbclient import NotebookClient
    start = time.time()
    nb = nbformat.read(path, as_version=4)
    committed = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    try:
        with client.setup_kernel(env={**os.environ, **kernel_environment()}):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code": continue
                if skipped(cell): cell.outputs, cell.execution_count = [], None
                else: client.execute_cell(cell, index)
    finally:
        nbformat.write(keep_committed_timings(committed, coalesce_streams(nb)), path)  # a failed run too: its traceback shows
    subprocess.run([str(Path(sys.executable).parent / "nbdev_clean"), "--fname", str(path)], check=True, cwd=ROOT)
    return time.time() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: every notebook of nbs/)")
    parser.add_argument("--workers", type=int, default=2, help="notebooks run at once (one kernel each)")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted(NBS.glob("*.ipynb"))
    failed = []

    def run(path):
        try: print(f"{path.name}: {execute(path):.0f} s", flush=True)
        except Exception as e:  # one notebook's failure must not stop the others; all are named at the end
            failed.append(path.name); print(f"{path.name}: FAILED: {str(e).strip().splitlines()[-1] if str(e).strip() else e!r}", flush=True)

    with ThreadPoolExecutor(args.workers) as pool: list(pool.map(run, paths))
    if failed: sys.exit(f"failed: {', '.join(sorted(failed))}")


if __name__ == "__main__":
    main()
