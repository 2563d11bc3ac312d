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
    weighted, plain = s * G.sum(axis=0), G.sum(axis=0)  # F's first gain: s_j · Σᵢ cos(xᵢ, x_j)
    assert subzerocore(Z, 1)[0] == int(np.argmax(weighted)) != int(np.argmax(plain))
    assert s[:20].max() < s[20:].max()  # the near-duplicates are discounted


def subzerocore_reading(Z, m, gamma=0.6):
    """SubZeroCore as we read the public re-implementation `SubZeroCore/core/subzerocore.py` ("SubZeroCore Core
    Algorithm"): K by the coverage-probability loop, the K-th nearest cosine distance, Gaussian weights on it, then the
    greedy on W = s_j·cos (negative entries kept; first pick the largest column sum; ties to the smallest index)."""
    U = Z / np.linalg.norm(Z, axis=1, keepdims=True); S = np.clip(U @ U.T, -1, 1); n = len(Z)
    K, miss = 0, 1.0
    while 1 - miss < gamma and K < n - m - 1:
        K += 1; miss *= (n - m - K) / (n - K)
    dist = np.clip(1 - S, 0, 2); np.fill_diagonal(dist, np.inf)
    r = np.sort(dist, axis=1)[:, K - 1]
    s = np.ones(n) if r.std() < 1e-12 else np.exp(-(r - r.mean()) ** 2 / (2 * r.std() ** 2))
    W, picks, cover = S * s[None, :], [], None
    for _ in range(m):
        gain = W.sum(axis=0) if cover is None else (np.maximum(cover[:, None], W) - cover[:, None]).sum(axis=0)
        gain[picks] = -np.inf; picks.append(int(np.argmax(gain)))
        cover = W[:, picks[-1]].copy() if cover is None else np.maximum(cover, W[:, picks[-1]])
    return picks, K, s


def test_subzerocore_reading_fixes_a_four_direction_case():
    a = np.radians([0, 10, 20, 180]); Z = np.c_[np.cos(a), np.sin(a)]
    picks, K, s = subzerocore_reading(Z, 1)
    assert K == coverage_neighbours(4, 1, 0.6) == 2  # one neighbour: hit probability 1/3; two: 2/3
    np.testing.assert_allclose(s, [0.8552, 0.8287, 0.8552, 0.2233], atol=1e-4)  # radii 1 − cos 20°, 10°, 20°, 170°
    assert picks == [2] == subzerocore(Z, 1).tolist()  # 10° and 20° tie in Σ cos (1 + cos 10°); the weight picks 20°


@pytest.mark.parametrize("seed", range(5))
def test_subzerocore_equals_the_reading(seed):
    Z = np.random.default_rng(seed).normal(size=(50, 5))  # centred: many negative cosines
    for m in (1, 2, 5, 10, 20):
        assert subzerocore(Z, m).tolist() == subzerocore_reading(Z, m)[0]


def test_maxherding_kernel_greedy_and_coverage():
    Z = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 0.0], [-1.0, 0.0], [0.1, 1.0]])
    U = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    Kern = np.exp(-((U[:, None] - U[None]) ** 2).sum(-1))  # h = 1
    chosen, value = maxherding(Z, 2)
    assert chosen[0] == int(np.argmax(Kern.sum(axis=0)))  # rows 0 and 1 are one direction: the pick covers both fully
    assert value == pytest.approx(Kern[:, chosen].max(axis=1).mean())
    # without normalisation rows 0 and 1 differ, and a wide bandwidth makes every kernel value close to 1
    assert maxherding(Z, 1, bandwidth=100.0, normalize=False)[1] == pytest.approx(1.0, abs=1e-3)


def maxherding_reading(Z, b, h=1.0, order=None):
    """MaxHerding as we read the authors' code (wkgong/uncertainty_herding 620ff74, deep-al/pycls/al/herding.py, rbf
    kernel, delta 1.0): unit rows, k = exp(−(‖x − y‖/h)²), cover 0, each round the first (in the pool's order) largest
    mean of max(k − cover, 0), cover += max(k_s − cover, 0). Returns (picks, mean cover)."""
    order = np.arange(len(Z)) if order is None else np.asarray(order)
    U = Z[order] / np.linalg.norm(Z[order], axis=1, keepdims=True)
    D = np.sqrt(np.maximum(((U[:, None] - U[None]) ** 2).sum(-1), 0))
    K, cover, picks = np.exp(-(D / h) ** 2), np.zeros(len(Z)), []
    for _ in range(b):
        gain = np.maximum(K - cover[None, :], 0).mean(axis=1)
        gain[picks] = -np.inf
        picks.append(int(np.argmax(gain))); cover = cover + np.maximum(K[picks[-1]] - cover, 0)
    return order[picks].tolist(), cover.mean()


def test_maxherding_reading_fixes_a_three_direction_case():
    a = np.radians([0, 60, 180])  # k = e^-1 (0-60), e^-3 (60-180), e^-4 (0-180)
    Z = np.c_[np.cos(a), np.sin(a)] * [[1], [2], [0.5]]
    picks, value = maxherding_reading(Z, 2)
    assert picks == [1, 2] and value == pytest.approx((np.exp(-1) + 2) / 3)  # gains then: 0.211 (0°) < 0.317 (180°)
    ours, c = maxherding(Z, 3)
    assert ours.tolist() == [1, 2, 0] and c == pytest.approx(1.0)
    assert maxherding(Z, 2)[1] == pytest.approx(value)


@pytest.mark.parametrize("seed", range(4))
def test_maxherding_equals_the_reading(seed):
    Z = np.random.default_rng(seed).normal(size=(60, 5))
    for b in (1, 4, 12):
        picks, value = maxherding_reading(Z, b)
        ours, c = maxherding(Z, b)
        assert ours.tolist() == picks and c == pytest.approx(value)


def test_maxherding_ties_go_to_the_lower_index_the_reference_to_its_pool_order():
    Z = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # four symmetric directions: every first gain ties
    assert maxherding(Z, 1)[0].tolist() == maxherding_reading(Z, 1)[0] == [0]
    assert maxherding_reading(Z, 1, order=[2, 0, 1, 3])[0] == [2]  # the reference's random order picks another tie


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
