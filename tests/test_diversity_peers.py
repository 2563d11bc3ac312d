"""RepDiv and ZCore (nbs/04g_diversity_peers) by their definitions on tiny hand-checkable data, their edge cases, and
their paths for large classes."""
import math

import numpy as np
import pytest
from sklearn.datasets import make_blobs

import coreset_nb.diversity_peers as dp
from coreset_nb.diversity_peers import (RepDivSelector, ZCoreSelector, _zcore_subspace, diversify, n_representatives,
                                        repdiv, repdiv_similarity, triangular, zcore_coverage_redundancy)
from coreset_nb.peers import facility_location
from coreset_nb.selectors import SELECTORS, get_selector


def cosines(Z):
    U = Z / (np.linalg.norm(Z, axis=1, keepdims=True) + 1e-10)
    return U @ U.T


def benchmark_representatives(Z, m):
    "MedCAL-Bench's greedy as its code writes it: raw cosine, cover starting at 0, the first strictly larger gain."
    S, cover, chosen = cosines(Z), np.zeros(len(Z)), []
    for _ in range(m):
        best, best_j = -np.inf, -1
        for j in range(len(Z)):
            if j in chosen: continue
            if (gain := np.maximum(cover, S[j]).sum()) > best: best, best_j = gain, j
        chosen.append(best_j); cover = np.maximum(cover, S[best_j])
    return chosen


def reference_diversity(Z, chosen, m, rule):
    "The dissimilarity rule by brute force: argmax over the unchosen of max (or min) of 1 − cos to the chosen."
    D, chosen = 1 - cosines(Z), list(chosen)
    for _ in range(m):
        agg = D[:, chosen].max(axis=1) if rule == "max" else D[:, chosen].min(axis=1)
        agg[chosen] = -np.inf
        chosen.append(int(np.argmax(agg)))
    return chosen


def test_registered_from_their_module():
    assert {"repdiv", "zcore"} <= set(SELECTORS)
    assert SELECTORS["repdiv"].__module__ == SELECTORS["zcore"].__module__ == "coreset_nb.diversity_peers"


@pytest.mark.parametrize("rule", ["max", "min"])
@pytest.mark.parametrize("k", [1, 2, 3, 5, 10, 13, 29])
def test_repdiv_is_facility_location_then_the_dissimilarity_rule(k, rule):
    Z = np.random.default_rng(k).normal(size=(30, 5))
    m = n_representatives(k)
    assert m == max(1, math.floor(0.7 * k))
    got = repdiv(Z, k, diversity=rule)
    assert len(set(got.tolist())) == k
    np.testing.assert_array_equal(got[:m], facility_location(np.maximum(cosines(Z), 0), m)[0])
    assert got[:m].tolist() == benchmark_representatives(Z, m)  # the benchmark's greedy on raw cosines, same picks
    assert got.tolist() == reference_diversity(Z, got[:m], k - m, rule)


def repdiv_reading(Z, k, ratio=0.7):
    """RepDiv as we read MedCAL-Bench's code (HiLab-git/MedCAL-Bench 22b8611, FM-AL/select_samples.py, "RepDiv"):
    int(ratio·k) rounds of the first strictly largest Σ max(cover, cos) from a cover of 0, then rounds of the first
    strictly largest max over the chosen of 1 − cos."""
    U = Z / (np.linalg.norm(Z, axis=1, keepdims=True) + 1e-10); S = U @ U.T
    chosen, cover = [], np.zeros(len(Z))
    for _ in range(int(ratio * k)):
        gains = [np.maximum(cover, S[j]).sum() if j not in chosen else -np.inf for j in range(len(Z))]
        chosen.append(int(np.argmax(gains))); cover = np.maximum(cover, S[chosen[-1]])
    for _ in range(k - len(chosen)):
        far = [(1 - S[j, chosen]).max() if j not in chosen else -np.inf for j in range(len(Z))]
        chosen.append(int(np.argmax(far)))
    return chosen


def test_repdiv_reading_fixes_picks_on_directions():
    deg = np.r_[np.arange(0, 65, 5), 120, 220]  # the notebook's fifteen directions at lengths 1..3
    Z = np.c_[np.cos(np.radians(deg)), np.sin(np.radians(deg))] * np.linspace(1, 3, 15)[:, None]
    assert deg[repdiv_reading(Z, 4)].tolist() == deg[repdiv(Z, 4)].tolist() == [35, 220, 40, 45]
    # four directions, k = 3: int(2.1) = 2 representatives, 10° (the largest clipped-cosine sum, 2.97) and 180° (gain 1,
    # which nothing else covers, against 0.015 for 0°); then the point most unlike some chosen one: 0° (1 − cos 180° = 2)
    # before 20° (1 − cos 160° = 1.94)
    Z4 = np.c_[np.cos(np.radians([0, 10, 20, 180])), np.sin(np.radians([0, 10, 20, 180]))]
    assert repdiv_reading(Z4, 3) == repdiv(Z4, 3).tolist() == [1, 3, 0]


@pytest.mark.parametrize("seed", range(4))
def test_repdiv_equals_the_reading_where_int_and_floor_agree(seed):
    Z = np.random.default_rng(seed).normal(size=(40, 6))  # centred: many negative cosines
    for k in [2, 3, 5, 8, 13, 21, 34]:
        assert repdiv(Z, k).tolist() == repdiv_reading(Z, k)
    big = np.random.default_rng(seed).normal(size=(120, 6))
    assert int(0.7 * 90) == 62 and n_representatives(90) == 63  # floating point: the reference takes one fewer
    ours, ref = repdiv(big, 90).tolist(), repdiv_reading(big, 90)
    assert ours[:62] == ref[:62] and len(set(ours)) == len(set(ref)) == 90


def test_repdiv_ratio_and_settings():
    Z = np.random.default_rng(0).normal(size=(25, 4))
    np.testing.assert_array_equal(repdiv(Z, 6, ratio=1.0), facility_location(repdiv_similarity(Z), 6)[0])
    assert n_representatives(6, 0.0) == 1 and n_representatives(10, 0.7) == 7 and n_representatives(30) == 21
    np.testing.assert_array_equal(repdiv(Z, 5, similarity="cosine")[:3], facility_location((1 + cosines(Z)) / 2, 3)[0])
    for bad in [dict(ratio=-0.1), dict(ratio=2), dict(diversity="mean"), dict(similarity="manhattan")]:
        with pytest.raises(ValueError):
            RepDivSelector(**bad)


def test_zcore_coverage_goes_to_the_nearest_point_and_redundancy_to_its_neighbours(monkeypatch):
    Z = np.array([[0.0], [1.0], [2.5], [3.0], [100.0]])
    fixed = np.array([[0.4], [0.6], [2.9], [7.0], [60.0]])  # nearest: rows 0, 1, 3, 3, 4
    monkeypatch.setattr(dp, "triangular", lambda rng, lo, mode, hi, size: fixed)
    cov, red = zcore_coverage_redundancy(Z, np.random.default_rng(0), n_samples=5, n_subspaces=1, redundancy_nn=1)
    assert cov.tolist() == [1, 1, 0, 2, 1]
    assert red.tolist() == [1, 1, 2, 1, 0]  # each winner's nearest other row loses 1 per win
    cov, red = zcore_coverage_redundancy(Z, np.random.default_rng(0), n_samples=5, n_subspaces=1, redundancy_nn=2)
    share = lambda d: (np.array(d, float) ** -4) / (np.array(d, float) ** -4).sum()  # ∝ 1/distance⁴, summing to 1
    expected = np.zeros(5)
    for winner, wins, nbrs, dists in [(0, 1, [1, 2], [1, 2.5]), (1, 1, [0, 2], [1, 1.5]), (3, 2, [2, 1], [0.5, 2]),
                                      (4, 1, [3, 2], [97, 97.5])]:
        expected[nbrs] += wins * share(dists)
    np.testing.assert_allclose(red, expected)
    assert red.sum() == pytest.approx(5)


def test_zcore_a_duplicate_takes_the_whole_penalty(monkeypatch):
    monkeypatch.setattr(dp, "triangular", lambda rng, lo, mode, hi, size: np.full(size, 1.1))
    Z = np.array([[0.0], [1.0], [1.0], [5.0]])
    cov, red = zcore_coverage_redundancy(Z, np.random.default_rng(0), n_samples=4, n_subspaces=1, redundancy_nn=3)
    winner = int(np.argmax(cov)); other = 3 - winner
    assert winner in (1, 2) and cov[winner] == 4
    assert red[other] == 4 and red.sum() == 4  # the duplicate loses everything its twin won
    score_with_twin = cov - red
    cov1, red1 = zcore_coverage_redundancy(np.array([[0.0], [1.0], [5.0]]), np.random.default_rng(0), n_samples=4,
                                           n_subspaces=1, redundancy_nn=2)
    assert score_with_twin[[1, 2]].min() == -4 < (cov1 - red1)[1] == 4  # without a twin the point keeps its wins


def test_zcore_takes_the_top_k_scores():
    Z = make_blobs(80, n_features=5, centers=3, random_state=0)[0]
    sel = ZCoreSelector(n_samples=2000, n_subspaces=20, redundancy_nn=30)
    scores = sel.scores(Z, np.random.default_rng(7))
    got = sel.select_class(Z, 12, np.random.default_rng(7), None)
    np.testing.assert_array_equal(got, np.argsort(-scores, kind="stable")[:12])
    assert scores[got].min() >= np.delete(scores, got).max()
    cov, red = zcore_coverage_redundancy(Z, np.random.default_rng(7), n_samples=10**6, n_subspaces=20)
    assert cov.sum() == pytest.approx(800) and red.sum() == pytest.approx(800)  # capped at 10 random points per row
    rng = np.random.default_rng(7); start = rng.random(len(Z))  # the random start is drawn first, then the scoring
    cov, red = zcore_coverage_redundancy(Z, rng, n_samples=2000, n_subspaces=20, redundancy_nn=30)
    np.testing.assert_allclose(scores, start + cov - red)
    np.testing.assert_allclose(ZCoreSelector(n_samples=2000, n_subspaces=20, redundancy_nn=30, random_init=False)
                               .scores(Z, np.random.default_rng(7)) + np.random.default_rng(7).random(len(Z)),
                               start + zcore_coverage_redundancy(Z, np.random.default_rng(7), 2000, 20, 2, 30)[0]
                               - zcore_coverage_redundancy(Z, np.random.default_rng(7), 2000, 20, 2, 30)[1])  # no start: same draws


def zcore_reading(Z, draws, redundancy_nn=1000, redundancy_exp=4.0):
    """ZCore's coverage and redundancy as we read the authors' code (voxel51/zcore 5fe8048 core/coreset/zcore.py;
    voxel51/zero-shot-coreset-selection 7fd2266 zcore.py), one random point at a time; `draws` holds (coordinates,
    point). The nearest row by L1 (the first on ties) gains 1; from it, L1 distances to the other rows; the nearest
    redundancy_nn lose 1 in all, ∝ 1/distance^exp, or a duplicate (distance 0) loses the whole 1."""
    coverage, redundancy = np.zeros(len(Z)), np.zeros(len(Z))
    r = min(redundancy_nn, len(Z) - 1)
    for dims, point in draws:
        P = Z[:, dims]
        winner = int(np.argmin(np.abs(P - point).sum(axis=1)))
        coverage[winner] += 1
        dist = np.abs(P - P[winner]).sum(axis=1)
        others = np.delete(np.arange(len(Z)), winner)
        nn = others[np.argsort(dist[others], kind="stable")[:r]]
        if dist[nn[0]] == 0: redundancy[nn[0]] += 1
        else: share = dist[nn] ** -redundancy_exp; redundancy[nn] += share / share.sum()
    return coverage, redundancy


def test_zcore_reading_fixes_a_line_case_and_ours_gives_it():
    Z, points = np.array([[0.0], [1.0], [3.0], [7.0]]), np.array([[0.4], [2.5], [6.0], [100.0]])
    # 0.4 -> 0 (neighbours 1, 3 at distances 1, 3: 81 : 1); 2.5 -> 3 (1, 0 at 2, 3: 81 : 16); 6 and 100 -> 7 (3, 1 at 4, 6: 81 : 16)
    expected_cov = [1, 0, 1, 2]
    expected_red = [16 / 97, 81 / 82 + 81 / 97 + 2 * 16 / 97, 1 / 82 + 2 * 81 / 97, 0]
    cov, red = zcore_reading(Z, [([0], p) for p in points], 2)
    assert cov.tolist() == expected_cov and np.allclose(red, expected_red, atol=1e-12)
    cov, red = np.zeros(4), np.zeros(4)
    _zcore_subspace(cov, red, Z, points, 2, 4.0)
    assert cov.tolist() == expected_cov and np.allclose(red, expected_red, atol=1e-12)
    assert red.sum() == pytest.approx(4)
    # the scores (coverage − redundancy, no random start) and the top 2 the reference would keep
    scores = np.array(expected_cov) - np.array(expected_red)
    assert np.argsort(-scores, kind="stable")[:2].tolist() == [3, 0]


def test_zcore_distances_are_l1_as_in_the_reference():
    Z = np.array([[1.2, 0.0], [0.75, 0.75], [3.0, 3.0]])  # from the origin: L1 1.2 < 1.5, L2 1.2 > 1.06
    cov, red = np.zeros(3), np.zeros(3)
    _zcore_subspace(cov, red, Z, np.zeros((1, 2)), 1, 4.0)
    assert cov.tolist() == [1, 0, 0] and red.tolist() == [0, 1, 0]
    assert [a.tolist() for a in zcore_reading(Z, [([0, 1], np.zeros(2))], 1)] == [[1, 0, 0], [0, 1, 0]]


@pytest.mark.parametrize("seed,subspace_dim,r", [(0, 2, 10), (1, 1, 3), (2, 3, 39), (3, 2, 1000)])
def test_zcore_equals_the_reading_on_the_draws_it_makes(seed, subspace_dim, r):
    "One subspace per random point (the reference's scheme): every score equals the reading's on the same draws."
    Z = np.random.default_rng(10 + seed).normal(size=(40, 5))
    lo, mode, hi = Z.min(axis=0), np.median(Z, axis=0), Z.max(axis=0)
    replay, draws = np.random.default_rng(seed), []
    for _ in range(250):  # zcore_coverage_redundancy's order of draws: the coordinates, then the point
        dims = np.sort(replay.choice(5, subspace_dim, replace=False))
        draws.append((dims, triangular(replay, lo[dims], mode[dims], hi[dims], (1, subspace_dim))[0]))
    cov_r, red_r = zcore_reading(Z, draws, r)
    cov, red = zcore_coverage_redundancy(Z, np.random.default_rng(seed), n_samples=250, n_subspaces=250,
                                         subspace_dim=subspace_dim, redundancy_nn=r)
    np.testing.assert_array_equal(cov, cov_r)
    np.testing.assert_allclose(red, red_r, atol=1e-12)
    picks = ZCoreSelector(n_samples=250, n_subspaces=250, subspace_dim=subspace_dim, redundancy_nn=r,
                          random_init=False).select_class(Z, 6, np.random.default_rng(seed), None)
    np.testing.assert_array_equal(picks, np.argsort(-(cov_r - red_r), kind="stable")[:6])  # the reference's top 6


def test_zcore_settings_and_one_subspace_per_random_point():
    for bad in [dict(n_samples=0), dict(n_subspaces=0), dict(subspace_dim=0), dict(redundancy_nn=-1)]:
        with pytest.raises(ValueError):
            ZCoreSelector(**bad)
    Z = np.random.default_rng(1).normal(size=(50, 6))
    cov, red = zcore_coverage_redundancy(Z, np.random.default_rng(0), n_samples=300, n_subspaces=300, subspace_dim=3)
    assert cov.sum() == 300 and red.sum() == pytest.approx(300)  # the paper's scheme: a fresh subspace per point


def test_triangular_draws():
    rng = np.random.default_rng(0)
    x = triangular(rng, np.array([0.0, 2.0]), np.array([1.0, 2.0]), np.array([4.0, 2.0]), (20000, 2))
    assert (x[:, 1] == 2).all()  # lo == hi: numpy's would fail
    assert 0 <= x[:, 0].min() and x[:, 0].max() <= 4 and abs(x[:, 0].mean() - 5 / 3) < 0.03


@pytest.mark.parametrize("name", ["repdiv", "repdiv[diversity=min]", "zcore"])
@pytest.mark.parametrize("Z", [np.array([[0.0, 1.0], [2.0, 0.0]]), np.array([[1.0], [2.0], [3.0]]), np.zeros((5, 3)),
                               np.ones((4, 2)), np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])], ids=["two", "three", "zeros", "same", "twins"])
def test_tiny_and_identical_classes(name, Z):
    sel = get_selector(name)
    for k in range(1, len(Z)):
        a = sel.select_class(Z, k, np.random.default_rng(0), 0)
        b = sel.select_class(Z, k, np.random.default_rng(0), 0)
        assert len(a) == k == len(set(np.asarray(a).tolist())) and set(np.asarray(a).tolist()) <= set(range(len(Z)))
        np.testing.assert_array_equal(a, b)


def test_tiny_classes_through_fit():
    X = np.vstack([np.full((1, 3), 9.0), [[0, 0, 1], [0, 1, 0]], np.zeros((5, 3)), np.random.default_rng(0).normal(size=(12, 3))])
    y = np.repeat([0, 1, 2, 3], [1, 2, 5, 12])
    for name in ("repdiv", "zcore"):
        for budget in [4, 0.5, 0.9]:
            sel = get_selector(name, budget=budget, random_state=2).fit(X, y)
            assert {c: int((y[sel.indices_] == c).sum()) for c in range(4)} == sel.class_budgets_
            assert len(np.unique(sel.indices_)) == len(sel.indices_)


@pytest.fixture(scope="module")
def large():
    X, _ = make_blobs(3600, n_features=6, centers=4, random_state=1)
    return X, np.repeat([0, 1, 2], [2400, 900, 300])


@pytest.mark.parametrize("name", ["repdiv", "zcore"])
def test_the_large_class_path_keeps_every_guarantee(large, name):
    X, y = large
    def fit():
        sel = get_selector(name, budget=0.04, random_state=3, n_samples=20000, redundancy_nn=50) if name == "zcore" else get_selector(name, budget=0.04, random_state=3)
        sel.exact_max_n = 1000 if name == "repdiv" else sel.exact_max_n  # zcore: exact at any size
        return sel.fit(X, y)
    a, b = fit(), fit()
    np.testing.assert_array_equal(a.indices_, b.indices_)
    assert len(np.unique(a.indices_)) == len(a.indices_) == 144
    assert {c: int((y[a.indices_] == c).sum()) for c in (0, 1, 2)} == a.class_budgets_ == {0: 96, 1: 36, 2: 12}
    if name == "repdiv": assert a.paths_ == {0: "parts", 1: "exact", 2: "exact"}
    else: assert ZCoreSelector.exact_max_n == math.inf and a.paths_ == {0: "exact", 1: "exact", 2: "exact"}


@pytest.mark.parametrize("rule", ["max", "min"])
def test_repdiv_large_class_diversifies_over_the_whole_class(large, rule):
    Z = large[0][:2400]
    sel = RepDivSelector(diversity=rule); sel.exact_max_n = 1000
    rows, path = sel.select_large_class(Z, 50, np.random.default_rng(0), 0)
    m = n_representatives(50)
    assert path == "parts" and len(set(rows.tolist())) == 50
    np.testing.assert_array_equal(rows[m:], diversify(Z, rows[:m], 50 - m, rule))
    assert rows.tolist() == reference_diversity(Z, rows[:m], 50 - m, rule)
