"""Selectors and clustering on edge cases: bad budgets, tiny classes, identical points, exact budgets, determinism."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from coreset_nb.cluster import PerClassKMedoids, cluster_class
from coreset_nb.budgets import allocate_class_budgets, resolve_budget, split_equally
from coreset_nb.selectors import SELECTORS, get_selector


@pytest.fixture(scope="module")
def dataset():
    "Class 0: 3 blobs (90 rows); class 1: 2 blobs (40); class 2: one row; class 3: two rows; class 4: 6 identical rows."
    X0, _ = make_blobs(90, n_features=6, centers=3, random_state=0)
    X1, _ = make_blobs(40, n_features=6, centers=2, random_state=1)
    X = np.vstack([X0, X1, np.full((1, 6), 50.0), [[60.0] * 6, [61.0] * 6], np.full((6, 6), -40.0)])
    y = np.repeat([0, 1, 2, 3, 4], [90, 40, 1, 2, 6])
    return X, y


@pytest.fixture(scope="module")
def clustering(dataset):
    return PerClassKMedoids(progress=False).fit(*dataset)


def make_selector(name, clustering, **kwargs):
    if name == "intelligent": kwargs["clusterer"] = clustering  # fitted: reused, keeps the tests fast
    return get_selector(name, **kwargs)


@pytest.mark.parametrize("bad", [0, 0.0, 1.5, -1, -0.5, 140, True, float("nan")])
def test_bad_budget_raises(bad):
    with pytest.raises(ValueError):
        resolve_budget(bad, 139)


@pytest.mark.parametrize("name", sorted(SELECTORS))
@pytest.mark.parametrize("bad", [0, 1.5, -1, 140])
def test_selectors_reject_bad_budgets(dataset, clustering, name, bad):
    with pytest.raises(ValueError):
        make_selector(name, clustering, budget=bad).fit(*dataset)


def test_unknown_selector_lists_known_names():
    with pytest.raises(ValueError, match="stratified"):
        get_selector("no-such-selector")


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_class_is_one_cluster(n):
    res = cluster_class(np.arange(n * 3, dtype=float).reshape(n, 3))
    assert res.k == 1 and res.labels.tolist() == [0] * n and len(res.medoids) == 1
    assert res.silhouette == {}


def test_identical_points_do_not_crash():
    res = cluster_class(np.ones((8, 4)))
    assert res.k == 1 and res.loss == 0.0
    two_values = cluster_class(np.repeat([[0.0, 0.0], [3.0, 3.0]], 5, axis=0))  # only K=2 can be scored
    assert two_values.k == 2 and sorted(two_values.silhouette) == [2]


def test_per_class_kmedoids_on_edge_classes(dataset, clustering):
    X, y = dataset
    assert clustering.k_ == {0: 3, 1: 2, 2: 1, 3: 1, 4: 1}
    assert clustering.n_components_[4] == 1  # identical rows: one PCA component of zeros
    assert clustering.labels_.shape == (len(y),)
    assert clustering.is_medoid_.sum() == len(clustering.medoid_indices_) == 3 + 2 + 1 + 1 + 1
    assert np.all(np.diff(clustering.medoid_indices_) > 0)


@pytest.mark.parametrize("name", sorted(SELECTORS))
@pytest.mark.parametrize("budget", [0.1, 0.5, 1.0, 1, 37, 139])
@pytest.mark.parametrize("allocation", ["proportional", "equal"])
def test_exact_budget_no_duplicates_deterministic(dataset, clustering, name, budget, allocation):
    X, y = dataset
    runs = [make_selector(name, clustering, budget=budget, allocation=allocation, random_state=3).fit(X, y)
            for _ in range(2)]
    idx = runs[0].indices_
    assert len(idx) == resolve_budget(budget, len(y))
    assert len(np.unique(idx)) == len(idx) and idx.dtype == np.int64
    assert np.all(np.diff(idx) > 0) and idx.min() >= 0 and idx.max() < len(y)
    np.testing.assert_array_equal(idx, runs[1].indices_)
    assert sum(runs[0].class_budgets_.values()) == len(idx)
    for c, b in runs[0].class_budgets_.items():
        assert (y[idx] == c).sum() == b <= (y == c).sum()


def test_intelligent_takes_only_from_each_class_and_cluster(dataset, clustering):
    X, y = dataset
    sel = make_selector("intelligent", clustering, budget=40).fit(X, y)
    for c, takes in sel.cluster_budgets_.items():
        picked = sel.indices_[y[sel.indices_] == c]
        assert len(picked) == sel.class_budgets_[c] == takes.sum()
        np.testing.assert_array_equal(np.bincount(sel.clusters_[picked], minlength=len(takes)), takes)
        if c in (0, 1):  # every cluster here holds more than its share: equal split, leftovers of at most 1
            assert takes.max() - takes.min() <= 1


def test_allocation_and_split_helpers():
    counts = {"a": 500, "b": 7, "c": 93}
    for total in range(0, 601, 37):
        for mode in ("proportional", "equal"):
            alloc = allocate_class_budgets(counts, total, mode)
            assert sum(alloc.values()) == total and all(alloc[c] <= counts[c] for c in counts)
    assert allocate_class_budgets(counts, 60, "equal") == {"a": 27, "b": 7, "c": 26}
    take = split_equally([120, 50, 30], 40, np.random.default_rng(0))
    assert sorted(take) == [13, 13, 14]
    np.testing.assert_array_equal(split_equally([9, 1, 9], 7, 5), split_equally([9, 1, 9], 7, 5))
