"""The coverage selectors of nbs/04f_coverage_peers: each method's definition on tiny hand-checkable data, and the scalable path."""
import numpy as np
import pytest
from scipy import sparse

from coreset_nb.coverage_peers import (GraphCoverageSelector, MaxHerdingSelector, SubZeroCoreSelector, coverage_neighbours,
                                       density_weights, knn_graph, maxherding, sparse_facility_location, subzerocore,
                                       two_hop_heat_kernel)
from coreset_nb.peers import facility_location
from coreset_nb.selectors import SELECTORS, get_selector


def test_registered():
    assert {"graph_coverage", "subzerocore", "maxherding"} <= set(SELECTORS)


def test_knn_graph_on_a_line_is_the_symmetrised_neighbour_relation():
    Z = np.array([[0.0], [1.0], [2.0], [10.0]])
    A = knn_graph(Z, 1).toarray()
    # nearest: 0->1, 1->0 (tie with 2: lower index), 2->1, 10->2; symmetrised
    np.testing.assert_array_equal(A, [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])


def test_two_hop_heat_kernel_is_the_truncated_series():
    A = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))  # a path 0-1-2
    P = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])
    for t in (0.5, 1.0, 2.0):
        S = two_hop_heat_kernel(A, t).toarray()
        np.testing.assert_allclose(S, np.exp(-t) * (np.eye(3) + t * P + t * t / 2 * P @ P))
        np.testing.assert_allclose(S.sum(axis=1), np.exp(-t) * (1 + t + t * t / 2))
    S = two_hop_heat_kernel(sparse.csr_matrix((2, 2)), 1.0).toarray()  # isolated points cover only themselves
    np.testing.assert_allclose(S, np.exp(-1) * np.eye(2))


def test_sparse_greedy_takes_the_largest_gain_first_and_matches_the_dense_greedy():
    rng = np.random.default_rng(0)
    S = two_hop_heat_kernel(knn_graph(rng.normal(size=(120, 4))), 1.0)
    chosen, value = sparse_facility_location(S, 10, np.random.default_rng(0))
    assert chosen[0] == int(np.argmax(np.asarray(S.sum(axis=0)).ravel()))
    dense, dvalue = facility_location(S.toarray(), 10)
    np.testing.assert_array_equal(chosen, dense)
    assert value == pytest.approx(dvalue)


def test_sparse_greedy_fills_with_seeded_random_picks_once_nothing_is_left_to_cover():
    S = sparse.identity(5, format="csr")  # every point covers only itself: gains stay 1 until all chosen
    np.testing.assert_array_equal(sparse_facility_location(S, 5, np.random.default_rng(0))[0], [0, 1, 2, 3, 4])
    S = sparse.csr_matrix(np.ones((4, 4)))  # one pick covers everything: the rest is random, seeded
    a = sparse_facility_location(S, 3, np.random.default_rng(1))[0]
    b = sparse_facility_location(S, 3, np.random.default_rng(1))[0]
    np.testing.assert_array_equal(a, b); assert a[0] == 0 and len(set(a)) == 3


def test_coverage_neighbours_is_the_hypergeometric_closed_form():
    from math import comb
    for n, m, g in [(100, 5, 0.6), (1000, 10, 0.6), (500, 112, 0.6), (50, 10, 0.9)]:
        K = coverage_neighbours(n, m, g)
        hit = lambda K: 1 - comb(n - 1 - K, m) / comb(n - 1, m)  # P(m random picks among the n - 1 others hit one of K)
        assert hit(K) >= g and (K == 1 or hit(K - 1) < g)
    assert coverage_neighbours(500, 112, 0.6) == 4
    assert coverage_neighbours(2, 1, 0.6) == 1 and coverage_neighbours(1, 1, 0.6) == 1
    with pytest.raises(ValueError, match="gamma"): coverage_neighbours(10, 2, 1.0)


def test_density_weights_peak_at_the_typical_radius():
    Z = np.array([[1.0, 0.0], [np.cos(0.1), np.sin(0.1)], [np.cos(0.3), np.sin(0.3)], [np.cos(0.6), np.sin(0.6)]])
    s, r = density_weights(Z @ Z.T, 1)
    np.testing.assert_allclose(r, 1 - np.cos([0.1, 0.1, 0.2, 0.3]))
    np.testing.assert_allclose(s, np.exp(-(r - r.mean()) ** 2 / (2 * r.std() ** 2)))
    np.testing.assert_array_equal(density_weights(np.ones((3, 3)), 1)[0], np.ones(3))  # identical points: no weighting


def test_density_weights_change_the_first_pick_as_documented():
    ang = np.concatenate([np.linspace(-0.001, 0.001, 20), np.linspace(-0.6, 0.6, 41)])
    Z = np.c_[np.cos(ang), np.sin(ang)]
    G = Z @ Z.T
    s, _ = density_weights(G.copy(), coverage_neighbours(61, 1, 0.6))
    weighted, plain = s * ((1 + G) / 2).sum(axis=0), ((1 + G) / 2).sum(axis=0)
    assert subzerocore(Z, 1)[0] == int(np.argmax(weighted)) != int(np.argmax(plain))
    assert s[:20].max() < s[20:].max()  # the near-duplicates are discounted


def test_maxherding_kernel_greedy_and_coverage():
    Z = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 0.0], [-1.0, 0.0], [0.1, 1.0]])
    U = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    Kern = np.exp(-((U[:, None] - U[None]) ** 2).sum(-1))  # h = 1
    chosen, value = maxherding(Z, 2)
    assert chosen[0] == int(np.argmax(Kern.sum(axis=0)))  # rows 0 and 1 are one direction: the pick covers both fully
    assert value == pytest.approx(Kern[:, chosen].max(axis=1).mean())
    # without normalisation rows 0 and 1 differ, and a wide bandwidth makes every kernel value close to 1
    assert maxherding(Z, 1, bandwidth=100.0, normalize=False)[1] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("name", ["graph_coverage", "subzerocore", "maxherding"])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_tiny_classes_and_identical_points(name, n):
    sel = get_selector(name, random_state=0)
    for Z in (np.zeros((n, 3)), np.random.default_rng(n).normal(size=(n, 3))):
        for k in range(1, n + 1):
            rows = sel.select_class(Z, k, np.random.default_rng(0), 0)
            assert len(rows) == k and len(set(np.asarray(rows).tolist())) == k and set(np.asarray(rows).tolist()) <= set(range(n))
    y = np.zeros(n, dtype=np.int64)
    for budget in range(1, n + 1):
        s = get_selector(name, budget=budget, random_state=0, pca_variance=None).fit(np.ones((n, 3)), y)
        assert len(np.unique(s.indices_)) == budget


def test_settings_are_checked():
    with pytest.raises(ValueError, match="t must be"): GraphCoverageSelector(t=-1)
    with pytest.raises(ValueError, match="n_neighbors"): GraphCoverageSelector(n_neighbors=0)
    with pytest.raises(ValueError, match="gamma"): SubZeroCoreSelector(gamma=0)
    with pytest.raises(ValueError, match="bandwidth"): MaxHerdingSelector(bandwidth=0)


@pytest.mark.parametrize("name", ["graph_coverage", "subzerocore", "maxherding"])
def test_scalable_path_parts(name):
    X = np.random.default_rng(0).normal(size=(900, 6))
    y = np.zeros(900, dtype=np.int64)
    def fit():
        s = get_selector(name, budget=30, random_state=5, pca_variance=None); s.exact_max_n = 250
        return s.fit(X, y)
    a, b = fit(), fit()
    assert a.paths_[0] == "parts" and len(np.unique(a.indices_)) == 30
    np.testing.assert_array_equal(a.indices_, b.indices_)


def test_graph_coverage_takes_larger_classes_exactly_than_the_dense_selectors():
    from coreset_nb.cluster import EXACT_MAX_N
    assert GraphCoverageSelector.exact_max_n == 2 * EXACT_MAX_N
    assert SubZeroCoreSelector.exact_max_n == MaxHerdingSelector.exact_max_n == EXACT_MAX_N
