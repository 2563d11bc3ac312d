"""The scalable (CLARA-style) K-Medoids path: agreement with the exact path, the auto switch, bounded matrices."""
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import coreset_nb.cluster as cl
import coreset_nb.cluster_scalable  # registers the scalable path
from coreset_nb.cluster import EXACT_MAX_N, PerClassKMedoids, cluster_class, resolve_method

SMALL = dict(clara_sample_size=300, silhouette_sample_size=600)


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(2000, n_features=8, centers=4, cluster_std=1.0, center_box=(-10, 10), random_state=7)
    return X


@pytest.fixture(scope="module")
def exact(blobs):
    return cluster_class(blobs, method="exact")


def test_scalable_agrees_with_exact_on_blobs(blobs, exact):
    res = cluster_class(blobs, method="scalable", **SMALL)
    assert (exact.method, res.method) == ("exact", "scalable")
    assert res.k == exact.k == 4
    assert res.loss <= 1.02 * exact.loss
    assert adjusted_rand_score(exact.labels, res.labels) > 0.99
    np.testing.assert_array_equal(res.labels[res.medoids], np.arange(res.k))
    dist = np.linalg.norm(blobs - blobs[res.medoids[res.labels]], axis=1)
    assert res.loss == pytest.approx(dist.sum(), rel=1e-9)  # the loss is the full assignment's
    assert set(res.silhouette) == set(exact.silhouette)  # every K scored on both paths
    assert abs(res.silhouette[4] - exact.silhouette[4]) < 0.05  # sampled silhouette ~ exact one


def test_scalable_is_deterministic(blobs):
    a, b = (cluster_class(blobs, method="scalable", random_state=3, **SMALL) for _ in range(2))
    np.testing.assert_array_equal(a.medoids, b.medoids)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.silhouette == b.silhouette


def test_switch_at_documented_threshold():
    assert EXACT_MAX_N == 10_000  # the value README/notebook document
    assert resolve_method("auto", EXACT_MAX_N) == "exact"
    assert resolve_method("auto", EXACT_MAX_N + 1) == "scalable"
    assert resolve_method("auto", EXACT_MAX_N + 1, metric="precomputed") == "exact"
    assert resolve_method("exact", 10 * EXACT_MAX_N) == "exact"
    assert resolve_method("scalable", 10) == "scalable"
    with pytest.raises(ValueError):
        resolve_method("scalable", 10, metric="precomputed")
    with pytest.raises(ValueError):
        resolve_method("fast", 10)


@pytest.mark.parametrize("n, expected", [(EXACT_MAX_N, "exact"), (EXACT_MAX_N + 1, "scalable")])
def test_cluster_class_default_switch(monkeypatch, n, expected):
    "With the default `exact_max_n`, cluster_class takes the exact path up to EXACT_MAX_N rows, scalable above."
    called = []
    monkeypatch.setattr(cl, "_cluster_matrix", lambda *a, **k: called.append("exact"))
    monkeypatch.setitem(cl.CLUSTERING_PATHS, "scalable", (lambda *a, **k: called.append("scalable"), ()))
    monkeypatch.setattr(cl, "dissimilarity_matrix", lambda X, metric="euclidean": None)  # no 10k×10k matrix here
    cluster_class(np.zeros((n, 2)))
    assert called == [expected]


def test_switch_with_small_threshold(blobs, exact):
    X = blobs[:500]
    assert cluster_class(X, exact_max_n=500).method == "exact"
    res = cluster_class(X, exact_max_n=499, **SMALL)
    assert res.method == "scalable"
    assert res.k == cluster_class(X).k
    forced = cluster_class(blobs, method="exact", exact_max_n=10)
    assert forced.method == "exact" and forced.k == exact.k


def test_scalable_never_builds_a_full_matrix(monkeypatch, blobs):
    sizes = []
    real = cl.dissimilarity_matrix

    def spy(X, metric="euclidean", dtype=np.float64):
        sizes.append(len(X))
        return real(X, metric, dtype)
    monkeypatch.setattr(cl, "dissimilarity_matrix", spy)
    monkeypatch.setattr(coreset_nb.cluster_scalable, "dissimilarity_matrix", spy)  # the scalable path's own reference
    cluster_class(blobs, method="scalable", **SMALL)
    assert sizes and max(sizes) <= max(SMALL.values()) < len(blobs)


def test_per_class_mixes_paths(blobs):
    X = np.vstack([blobs, blobs[:300] + 100.0])
    y = np.repeat(["big", "small"], [len(blobs), 300])
    pkm = PerClassKMedoids(progress=False, pca_variance=None, exact_max_n=1000, **SMALL).fit(X, y)
    assert pkm.method_ == {"big": "scalable", "small": "exact"}
    assert pkm.k_["big"] == 4
    rows = pkm.class_indices_["big"]
    np.testing.assert_array_equal(pkm.labels_[rows[pkm.results_["big"].medoids]], np.arange(4))


def test_large_class_without_the_scalable_path_says_what_to_import(monkeypatch):
    monkeypatch.delitem(cl.CLUSTERING_PATHS, "scalable")
    with pytest.raises(ValueError, match="import coreset_nb.cluster_scalable"):
        cluster_class(np.zeros((30, 2)), method="scalable")


def test_worker_processes_see_the_registered_paths_and_backends():
    "Classes fitted in other processes (joblib's loky, Dask) run with the options and backends the caller registered."
    import coreset_nb.selectors  # noqa: F401  registers the scalable path (its options) and FasterPAM's sweep, here only
    X, y = make_blobs(n_samples=[60, 50], centers=[[0, 0], [8, 8]], random_state=0)
    one = PerClassKMedoids(progress=False, pca_variance=None).fit(X, y)
    two = PerClassKMedoids(progress=False, pca_variance=None, n_jobs=2).fit(X, y)  # fresh worker processes
    np.testing.assert_array_equal(one.labels_, two.labels_)
    assert one.k_ == two.k_


def test_a_fresh_process_imports_the_modules_that_registered(tmp_path):
    "`_fit_class` in a process that imported only the paper's module: the caller's registering modules are imported first."
    import subprocess, sys
    code = ("import numpy as np; from coreset_nb.cluster import _fit_class, CLUSTERING_PATHS\n"
            "X = np.random.default_rng(0).normal(size=(40, 3))\n"
            "res, _ = _fit_class(X, None, (2, 3), 'fasterpam', 'euclidean', 100, 0, {'clara_samples': 2}, ('coreset_nb.cluster_scalable',))\n"
            "print(sorted(CLUSTERING_PATHS), res.method)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["['scalable']", "exact"]
