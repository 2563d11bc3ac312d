"""ZCore at small budgets on full PBC: where its picks lie, and a linear probe (the evidence of nbs/04g's "Why ZCore
loses to random"). Inputs: an .npz with X_train, y_train, X_test, y_test: the MobileNet-0.25 features (224 px, avg
pooling, the shipped weights) of ../shared/data/pbc_224_q80.zip on results/leaderboard-lownoise-pbc/split.json.
Run: python studies/zcore_small_budgets.py 0,1 pbc_feats.npz   (about 4 minutes a seed on one core; writes the CSVs)."""
import sys, time, json
import numpy as np, pandas as pd
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.neighbors import NearestNeighbors
from coreset_nb.selectors import get_selector
from coreset_nb.reduce import ClassPCA
from coreset_nb.sample import class_rngs
from coreset_nb.diversity_peers import ZCoreSelector, zcore_coverage_redundancy

d = np.load(sys.argv[2] if len(sys.argv) > 2 else "pbc_feats.npz")
Xtr, ytr, Xte, yte = d["X_train"].astype(np.float64), d["y_train"], d["X_test"].astype(np.float64), d["y_test"]
classes = np.unique(ytr); rows_of = [np.flatnonzero(ytr == c) for c in classes]
pct_centre, pct_knn = np.empty(len(ytr)), np.empty(len(ytr))
for r in rows_of:
    Xc = Xtr[r]; dc = np.linalg.norm(Xc - Xc.mean(0), axis=1)
    pct_centre[r] = dc.argsort().argsort() / (len(r) - 1)
    kd = NearestNeighbors(n_neighbors=11).fit(Xc).kneighbors(Xc)[0][:, -1]
    pct_knn[r] = kd.argsort().argsort() / (len(r) - 1)

def probe(idx):
    s = StandardScaler().fit(Xtr[idx])
    p = LogisticRegression(max_iter=2000).fit(s.transform(Xtr[idx]), ytr[idx]).predict(s.transform(Xte))
    return (p == yte).mean()

def per_class_scores(seed, pca):
    out = np.empty(len(ytr))
    for r, rng in zip(rows_of, class_rngs(seed, len(classes))):
        Z = Xtr[r] if pca is None else ClassPCA(pca).fit_transform(Xtr[r])
        out[r] = ZCoreSelector().scores(np.asarray(Z, dtype=np.float64), rng)
    return out

def top_per_class(scores, budgets):
    return np.sort(np.concatenate([r[np.argsort(-scores[r], kind="stable")[:budgets[c]]] for c, r in zip(classes, rows_of)]))

rows, rho = [], []
fractions = [0.005, 0.01, 0.02, 0.05, 0.10]
seeds = [int(s) for s in sys.argv[1].split(",")]
for seed in seeds:
    t = time.time()
    s_pca, s_raw = per_class_scores(seed, 0.95), per_class_scores(seed, None)
    rng = np.random.default_rng(seed); start = rng.random(len(Xtr))
    cov, red = zcore_coverage_redundancy(Xtr, rng, n_samples=10 * len(Xtr), n_subspaces=400)
    s_glob = start + cov - red  # the reference's setting: one label-free ranking of the whole training set, raw features
    for r in rows_of:
        rho.append(dict(seed=seed, spearman_pca=spearmanr(s_pca[r], pct_centre[r])[0], spearman_raw=spearmanr(s_raw[r], pct_centre[r])[0],
                        spearman_global=spearmanr(s_glob[r], pct_centre[r])[0]))
    print("scores", round(time.time() - t, 1), "s", flush=True)
    for frac in fractions:
        _, _, budgets = ZCoreSelector(budget=frac)._class_budgets(Xtr, ytr)
        k = sum(budgets.values())
        sels = dict(random=get_selector("random", budget=frac, random_state=seed).fit(Xtr, ytr).indices_,
                    stratified=get_selector("stratified", budget=frac, random_state=seed).fit(Xtr, ytr).indices_,
                    zcore=top_per_class(s_pca, budgets), zcore_raw_per_class=top_per_class(s_raw, budgets),
                    zcore_reference_global=np.argsort(-s_glob, kind="stable")[:k],
                    farthest_from_mean=top_per_class(pct_centre, budgets), nearest_to_mean=top_per_class(-pct_centre, budgets))
        if seed == seeds[0] and frac == 0.005:
            assert (sels["zcore"] == get_selector("zcore", budget=frac, random_state=seed).fit(Xtr, ytr).indices_).all()
        for name, idx in sels.items():
            counts = np.bincount(ytr[idx], minlength=len(classes))
            rows.append(dict(seed=seed, fraction=frac, method=name, n=len(idx), probe_accuracy=probe(idx),
                             centre_pct_mean=pct_centre[idx].mean(), centre_pct_top10=(pct_centre[idx] >= 0.9).mean(),
                             knn_pct_mean=pct_knn[idx].mean(), classes_hit=int((counts > 0).sum()),
                             class_counts=json.dumps(counts.tolist())))
        print(seed, frac, {r["method"]: round(r["probe_accuracy"], 3) for r in rows[-len(sels):]}, flush=True)
    pd.DataFrame(rows).to_csv("zcore_small_budgets.csv", index=False); pd.DataFrame(rho).to_csv("zcore_rank_correlation.csv", index=False)
df = pd.DataFrame(rows)
print(df.groupby(["method", "fraction"])[["probe_accuracy", "centre_pct_mean", "centre_pct_top10", "knn_pct_mean", "classes_hit"]].mean().round(3).to_string())
print(pd.DataFrame(rho).mean().round(3))
