"""Two `coreset_nb select` runs writing the same --out at once (seeds 1 and 2), N rounds: every CSV must be the one
of the seed its JSON sidecar names (issue 35: the CSV and JSON land as one pair, never one run's CSV beside the other's JSON).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_concurrent_select.py [ROUNDS]   # default 50

Uses the shipped demo data and `--method random` (the cheapest selection: the race is in writing, not selecting).
Writes benchmarks/results/concurrent_select.csv (one row per round) and prints the summary. A run stopped early is
checked from its work folder: `bench_concurrent_select.py --check-folder /tmp/concurrent_select_XXXX`."""
import json, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_rows

BIN = Path(sys.executable).parent / "coreset_nb"
ARGS = ["select", "--data", "pbc_demo_300perclass_96px.zip", "--method", "random", "--fraction", "0.05", "--quiet"]


def select(seed: int, out: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN), *ARGS, "--seed", str(seed), "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run(rounds: int = 50) -> list:
    work = Path(tempfile.mkdtemp(prefix="concurrent_select_"))
    expected = {}
    for seed in (1, 2):  # each seed's CSV, written alone
        p = select(seed, work / f"alone{seed}.csv"); assert p.wait() == 0, p.stderr.read()
        expected[seed] = (work / f"alone{seed}.csv").read_text()
    assert expected[1] != expected[2]
    rows = []
    for r in range(rounds):
        out = work / f"round{r}" / "out.csv"
        t = time.perf_counter()
        procs = [select(seed, out) for seed in (1, 2)]
        codes = [p.wait() for p in procs]
        seed = json.loads(out.with_suffix(".json").read_text())["settings"]["seed"]
        rows.append(dict(round=r, exit_codes=" ".join(map(str, codes)), json_seed=seed,
                         csv_matches_json_seed=out.read_text() == expected[seed], seconds=round(time.perf_counter() - t, 1)))
    return rows


def check_folder(work: Path) -> list:
    "The rounds already written in a work folder of `run` (e.g. one stopped early), the round in flight left out."
    expected = {seed: (work / f"alone{seed}.csv").read_text() for seed in (1, 2)}
    done = sorted((int(p.name[5:]) for p in work.glob("round*")))[:-1]
    rows = []
    for r in done:
        out = work / f"round{r}" / "out.csv"
        seed = json.loads(out.with_suffix(".json").read_text())["settings"]["seed"]
        rows.append(dict(round=r, exit_codes="not recorded", json_seed=seed, csv_matches_json_seed=out.read_text() == expected[seed], seconds=""))
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--check-folder": rows = check_folder(Path(sys.argv[2]))
    else: rows = run(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
    path = write_rows(Path(__file__).resolve().parent / "results" / "concurrent_select.csv", rows)
    ok = sum(r["csv_matches_json_seed"] and r["exit_codes"] in ("0 0", "not recorded") for r in rows)
    print(f"{ok}/{len(rows)} rounds: both runs exit 0 and the CSV is the one of the seed its JSON names -> {path}")
    sys.exit(0 if ok == len(rows) else 1)
