"""Facility location: the package's lazy greedy (`coreset_nb.peers.facility_location`) vs apricot's
`FacilityLocationSelection(optimizer="lazy")` on the same real class features, side by side in one run.

Real data: MobileNet-0.25 (ImageNet weights, 224 px, average pooling) features of full PBC, computed by the package
(a cache hit after the first run), one class (default neutrophil, the largest) reduced by its own PCA keeping 95% of
the variance: what `FacilityLocationSelector` selects on. Both sides use apricot's similarity for metric='euclidean',
max(d²) − d² (the package's `similarity="sqeuclidean"`); the objective F(S) = Σᵢ max_{j∈S} sim(i, j) of both sets is
computed by the same function. apricot is not a dependency of the package: it runs in its own virtualenv
(`make bench-apricot` makes `.venv-apricot`: apricot-select, numba), called as a subprocess on the saved features.

    make bench-apricot     # or: .venv/bin/python benchmarks/bench_facility_location.py --apricot-python .venv-apricot/bin/python

Writes benchmarks/results/facility_location.csv. Target: the same objective within 0.1% (or the same set).
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

APRICOT = """
import json, sys, time
import numpy as np
from apricot import FacilityLocationSelection
Z, ks, repeats = np.load(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
FacilityLocationSelection(2, metric="euclidean", optimizer="lazy").fit(Z[:50])  # numba compilation, not timed
out = {}
for k in ks:
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); sel = FacilityLocationSelection(k, metric="euclidean", optimizer="lazy").fit(Z)
        times.append(time.perf_counter() - t)
    out[k] = dict(ranking=[int(i) for i in sel.ranking], seconds=sorted(times)[len(times) // 2])
print(json.dumps(out))
"""


def class_features(a):
    "One class's PCA-reduced package features (real PBC, MobileNet-0.25 ImageNet)."
    from coreset_nb.data import load_dataset
    from coreset_nb.features import extract_features
    from coreset_nb.reduce import ClassPCA
    ds = load_dataset(a.data, progress=False)
    fs = extract_features(ds, "mobilenet", a.weights, image_size=224, pooling="avg", progress=not a.quiet)
    rows = np.flatnonzero(ds.labels == ds.class_names.index(a.class_name))
    return ClassPCA(0.95).fit_transform(fs.X[rows]).astype(np.float64)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DATA / "pbc_224_q80.zip"))
    p.add_argument("--weights", default=str(ROOT / "coreset_nb" / "assets" / "mobilenet_2_5_224_tf_no_top.h5"))
    p.add_argument("--class-name", default="neutrophil")
    p.add_argument("--fractions", default="0.01,0.05,0.1", help="budgets as fractions of the class")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per side and budget (median kept)")
    p.add_argument("--apricot-python", default=str(ROOT / ".venv-apricot" / "bin" / "python"))
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "facility_location.csv"))
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    from coreset_nb.peers import facility_location, similarity_matrix
    Z = class_features(a)
    ks = [max(1, round(float(f) * len(Z))) for f in a.fractions.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "Z.npy", Z)
        res = subprocess.run([a.apricot_python, "-c", APRICOT, str(Path(tmp) / "Z.npy"), json.dumps(ks), str(a.repeats)],
                             capture_output=True, text=True)
        if res.returncode != 0: sys.exit(f"apricot run failed ({a.apricot_python}): {res.stderr.strip().splitlines()[-1:]}")
        theirs = {int(k): v for k, v in json.loads(res.stdout).items()}
    S = similarity_matrix(Z, "sqeuclidean")
    objective = lambda idx: float(S[:, np.asarray(idx)].max(axis=1).sum())
    rows = []
    for k in ks:
        times = []
        for _ in range(a.repeats):  # the similarity matrix is part of the package's time, as apricot's includes its own
            t = time.perf_counter(); ours = facility_location(similarity_matrix(Z, "sqeuclidean"), k)[0]
            times.append(time.perf_counter() - t)
        ours_s, theirs_s = sorted(times)[len(times) // 2], theirs[k]["seconds"]
        f_ours, f_theirs = objective(ours), objective(theirs[k]["ranking"])
        rows.append(dict(class_name=a.class_name, n=len(Z), d=Z.shape[1], k=k, objective_ours=round(f_ours, 4),
                         objective_apricot=round(f_theirs, 4), objective_ratio=round(f_ours / f_theirs, 6),
                         same_set=set(ours.tolist()) == set(theirs[k]["ranking"]), shared=len(set(ours.tolist()) & set(theirs[k]["ranking"])),
                         seconds_ours=round(ours_s, 4), seconds_apricot=round(theirs_s, 4), speed_ratio=round(theirs_s / ours_s, 2)))
        r = rows[-1]
        print(f"{a.class_name} n={r['n']} d={r['d']} k={k}: objective ours/apricot {r['objective_ratio']:.6f} "
              f"(same set: {r['same_set']}, {r['shared']}/{k} shared); time {r['seconds_ours']:.3f} s vs "
              f"{r['seconds_apricot']:.3f} s (apricot/ours {r['speed_ratio']:.2f}x)", flush=True)
    write_rows(a.out, rows)
    ok = all(abs(r["objective_ratio"] - 1) <= 1e-3 or r["same_set"] for r in rows)
    print(f"objective within 0.1% of apricot's (or the same set) at every budget: {'yes' if ok else 'NO'} -> {a.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
