"""Every registered selector on a small uneven dataset: exact per-class budgets, no duplicates, only rows of the class,
deterministic for a seed; medoids are FasterPAM's; the IS variants and the paper's IS draw for draw."""
import inspect

import kmedoids
import numpy as np
import pytest
from sklearn.datasets import make_blobs

from coreset_nb.cluster import PerClassKMedoids, class_seed, dissimilarity_matrix
from coreset_nb.reduce import ClassPCA
from coreset_nb.budgets import allocate_class_budgets, resolve_budget, split_equally
from coreset_nb.more_selectors import herding, k_center_greedy
from coreset_nb.sample import IntelligentSelector, class_rngs, tie_rng
from coreset_nb.scale import class_medoids
from coreset_nb.selectors import SELECTORS, get_selector

NEW = ["medoids", "hybrid", "kcenter", "herding", "intelligent_proportional", "intelligent_medoid_first"]


@pytest.fixture(scope="module")
def data():
    "Uneven classes: 70 rows (3 blobs), 31 (2 blobs), 12, 4, 1, and 5 identical rows; 8 features; labels shuffled."
    rng = np.random.default_rng(0)
    parts = [make_blobs(70, n_features=8, centers=3, random_state=1)[0], make_blobs(31, n_features=8, centers=2, random_state=2)[0],
             rng.normal(20, 1, (12, 8)), rng.normal(-20, 1, (4, 8)), np.full((1, 8), 40.0), np.full((5, 8), -40.0)]
    X = np.vstack(parts)
    y = np.repeat(np.arange(6), [len(p) for p in parts])
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.fixture(scope="module")
def clustering(data):
    return PerClassKMedoids(progress=False, random_state=5).fit(*data)


def per_class(y, idx):
    return {int(c): int((y[idx] == c).sum()) for c in np.unique(y)}


def test_registry_has_the_new_keys():
    assert set(NEW) <= set(SELECTORS)


@pytest.mark.parametrize("name", sorted(SELECTORS))
@pytest.mark.parametrize("budget", [0.02, 0.1, 0.3, 0.75, 1.0, 1, 9])
@pytest.mark.parametrize("allocation", ["proportional", "equal"])
def test_every_selector_exact_class_budgets_no_duplicates_deterministic(data, clustering, name, budget, allocation):
    X, y = data
    kw = dict(clusterer=clustering) if "clusterer" in inspect.signature(SELECTORS[name]).parameters else {}  # fitted: fast
    runs = [get_selector(name, budget=budget, allocation=allocation, random_state=5, **kw).fit(X, y) for _ in range(2)]
    idx = runs[0].indices_
    total = resolve_budget(budget, len(y))
    assert len(idx) == total and idx.dtype == np.int64
    assert len(np.unique(idx)) == len(idx) and np.all(np.diff(idx) > 0)
    assert idx.min() >= 0 and idx.max() < len(y)
    np.testing.assert_array_equal(idx, runs[1].indices_)  # deterministic for a seed
    assert per_class(y, idx) == runs[0].class_budgets_  # the budgets are what was taken, class by class
    counts = {int(c): int((y == c).sum()) for c in np.unique(y)}
    assert all(runs[0].class_budgets_[c] <= counts[c] for c in counts)
    if name not in ("random", "class_aware_fl"):  # per class, with IS's class budgets (class_aware_fl moves budget on purpose)
        assert runs[0].class_budgets_ == allocate_class_budgets(counts, total, allocation, tie_rng(5))


@pytest.mark.parametrize("name", NEW)
def test_new_selectors_reject_bad_budgets(data, name):
    with pytest.raises(ValueError):
        get_selector(name, budget=1.5).fit(*data)


@pytest.mark.parametrize("name", ["medoids", "hybrid", "kcenter", "herding"])
def test_feature_selectors_need_features(data, name):
    with pytest.raises(ValueError, match="needs features"):
        get_selector(name).fit(None, data[1])


@pytest.mark.parametrize("seed", [0, 3])
def test_medoids_are_fasterpam_medoids_for_k_equal_budget(data, seed):
    X, y = data
    sel = get_selector("medoids", budget=0.2, random_state=seed).fit(X, y)
    for i, c in enumerate(np.unique(y)):
        rows = np.flatnonzero(y == c)
        k = sel.class_budgets_[int(c)]
        if not 1 < k < len(rows): continue
        D = dissimilarity_matrix(ClassPCA(0.95).fit_transform(X[rows]))
        ref = kmedoids.fasterpam(D, k, max_iter=100, init="build", random_state=class_seed(seed, i), n_cpu=1)
        np.testing.assert_array_equal(np.sort(rows[ref.medoids]), sel.indices_[y[sel.indices_] == c])


def test_medoids_budget_one_is_the_single_medoid_and_large_k_uses_random_init():
    Z = make_blobs(300, n_features=5, centers=4, random_state=0)[0]
    D = dissimilarity_matrix(Z)
    assert class_medoids(Z, 1).tolist() == [int(np.argmin(D.sum(axis=1)))]
    got = class_medoids(Z, 150, random_state=7, build_max_k=100)  # above the bound: seeded random initialisation
    ref = kmedoids.fasterpam(D, 150, max_iter=100, init="random", random_state=7, n_cpu=1)
    np.testing.assert_array_equal(np.sort(got), np.sort(ref.medoids))
    got = class_medoids(Z, 20, random_state=7)  # below: BUILD
    ref = kmedoids.fasterpam(D, 20, max_iter=100, init="build", random_state=7, n_cpu=1)
    np.testing.assert_array_equal(np.sort(got), np.sort(ref.medoids))


def test_medoids_with_fewer_distinct_points_than_k():
    Z = np.repeat([[0.0, 0.0], [5.0, 5.0]], 6, axis=0)
    m = class_medoids(Z, 7, random_state=0)
    assert len(set(m.tolist())) == 7
    assert {int(i) // 6 for i in m[:2]} == {0, 1}  # the two real medoids come first


def test_hybrid_is_medoids_up_to_cap_then_random(data):
    X, y = data
    med = get_selector("medoids", budget=0.2, random_state=1).fit(X, y)
    assert np.array_equal(get_selector("hybrid", budget=0.2, cap=1000, random_state=1).fit(X, y).indices_, med.indices_)
    strat_like = get_selector("hybrid", budget=0.2, cap=0, random_state=1).fit(X, y)
    assert strat_like.class_budgets_ == med.class_budgets_
    hyb = get_selector("hybrid", budget=0.3, cap=2, random_state=1).fit(X, y)
    for i, c in enumerate(np.unique(y)):
        rows = np.flatnonzero(y == c)
        k = hyb.class_budgets_[int(c)]
        if not 2 < k < len(rows): continue
        two = rows[class_medoids(ClassPCA(0.95).fit_transform(X[rows]), 2, class_seed(1, i))]
        assert set(two) <= set(hyb.indices_)
    assert not np.array_equal(hyb.indices_, get_selector("hybrid", budget=0.3, cap=2, random_state=2).fit(X, y).indices_)
    for bad in [-1, 1.5, True]:
        with pytest.raises(ValueError):
            get_selector("hybrid", cap=bad)


def test_kcenter_and_herding_definitions():
    Z = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    assert k_center_greedy(Z, 3, start=0).tolist() == [0, 4, 3]
    assert herding(Z, 2).tolist() == [3, 2]  # mean 3.2: 3.0 first; then the point nearest 2·3.2 − 3 = 3.4 among the rest
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 6))
    h = herding(Z, 25)
    assert np.linalg.norm(Z[h].mean(0) - Z.mean(0)) < 0.5 * np.mean(
        [np.linalg.norm(Z[rng.choice(200, 25, replace=False)].mean(0) - Z.mean(0)) for _ in range(50)])
    kc = k_center_greedy(Z, 25, start=0)
    radius = lambda idx: np.sqrt(((Z[:, None] - Z[idx][None]) ** 2).sum(-1)).min(1).max()
    assert radius(kc) < np.mean([radius(rng.choice(200, 25, replace=False)) for _ in range(20)])


def test_kcenter_start(data):
    X, y = data
    a, b = (get_selector("kcenter", budget=0.2, random_state=s).fit(X, y).indices_ for s in (0, 1))
    np.testing.assert_array_equal(a, b)  # start="mean": the seed does not matter
    a, b = (get_selector("kcenter", budget=0.2, random_state=s, start="random").fit(X, y).indices_ for s in (0, 1))
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError):
        get_selector("kcenter", start="median")


def paper_is(y, clusters, budget, seed):
    "The paper's IS exactly as first implemented (before the variants), to check that the default is unchanged."
    classes = np.unique(y)
    rows = [np.flatnonzero(y == c) for c in classes]
    budgets = allocate_class_budgets({c.item(): len(r) for c, r in zip(classes, rows)}, resolve_budget(budget, len(y)))
    picks = []
    for c, r, rng in zip(classes, rows, class_rngs(seed, len(classes))):
        _, member_of = np.unique(clusters[r], return_inverse=True)
        take = split_equally(np.bincount(member_of), budgets[c.item()], rng)
        picks += [rng.choice(r[member_of == j], size=t, replace=False) for j, t in enumerate(take)]
    return np.sort(np.concatenate(picks))


@pytest.mark.parametrize("budget", [0.05, 0.3, 1.0])
def test_default_is_is_the_paper_draw_for_draw(data, budget):
    X, y = data
    clu = PerClassKMedoids(progress=False, random_state=2).fit(X, y)
    got = IntelligentSelector(budget=budget, random_state=2, clusterer=clu).fit(X, y)
    np.testing.assert_array_equal(got.indices_, paper_is(y, clu.labels_, budget, 2))


def test_is_variants(data):
    X, y = data
    clu = PerClassKMedoids(progress=False, random_state=0).fit(X, y)
    prop = get_selector("intelligent_proportional", budget=0.3, clusterer=clu).fit(X, y)
    for c, takes in prop.cluster_budgets_.items():
        sizes = np.bincount(clu.labels_[y == c])
        exact = sizes * prop.class_budgets_[c] / sizes.sum()
        assert np.all(np.abs(takes - exact) < 1) and takes.sum() == prop.class_budgets_[c]
    mf = get_selector("intelligent_medoid_first", budget=0.3, clusterer=clu).fit(X, y)
    plain = get_selector("intelligent", budget=0.3, clusterer=clu).fit(X, y)
    for c in mf.cluster_budgets_:
        np.testing.assert_array_equal(mf.cluster_budgets_[c], plain.cluster_budgets_[c])
    for m in clu.medoid_indices_:  # every cluster that gets a row gives its medoid
        c = int(y[m])
        if mf.cluster_budgets_[c][clu.labels_[m]] > 0: assert m in set(mf.indices_)
    with pytest.raises(TypeError, match="cluster_allocation"):  # a variant is a registered subclass, not a setting of IS
        IntelligentSelector(cluster_allocation="proportional", clusterer=clu)


def test_pipeline_passes_each_selector_its_settings():
    from coreset_nb.selectors import MethodSpec
    spec = MethodSpec.parse
    assert "clusterer" in spec("intelligent_proportional").params and "clusterer" in spec("intelligent_medoid_first").params
    assert "clusterer" not in spec("medoids").params and "pca_variance" in spec("medoids").params
    sel = spec("hybrid").build(budget=0.1, allocation="equal", random_state=3, pca_variance=0.9, k_range=(2, 5), backend="fasterpam")
    assert (sel.budget, sel.allocation, sel.random_state, sel.pca_variance, sel.cap) == (0.1, "equal", 3, 0.9, 50)


@pytest.mark.parametrize("name", sorted(SELECTORS))
def test_each_selector_declares_what_it_needs(name):
    from coreset_nb.pipeline import needs_clustering, needs_features
    cls = SELECTORS[name]
    assert needs_clustering(name) == ("clusterer" in inspect.signature(cls).parameters)  # the declaration is true
    assert needs_features(name) == (name not in ("random", "stratified"))


def test_a_spec_is_a_name_plus_changed_defaults():
    from coreset_nb.pipeline import needs_features
    from coreset_nb.selectors import MethodSpec
    sel = MethodSpec.parse("facility_location[similarity=cosine]").build(budget=0.1, random_state=3, pca_variance=0.9)
    assert (type(sel), sel.similarity, sel.pca_variance, sel.random_state) == (SELECTORS["facility_location"], "cosine", 0.9, 3)
    assert needs_features("facility_location[similarity=cosine]")
    with pytest.raises(ValueError, match="facility_location has no setting \\['simlarity'\\]"):
        MethodSpec.parse("facility_location[simlarity=cosine]")
    with pytest.raises(ValueError, match="must be one of"):  # a bad value fails when the spec is parsed
        MethodSpec.parse("facility_location[similarity=manhattan]")


def _per_class_feature_selectors():
    from coreset_nb.more_selectors import PerClassFeatureSelector
    return sorted(n for n, c in SELECTORS.items() if issubclass(c, PerClassFeatureSelector))


@pytest.mark.parametrize("name", _per_class_feature_selectors())
def test_the_scalable_path_keeps_every_guarantee(name):
    "Above `exact_max_n` (lowered here): exact class budgets, no duplicates, only its own class, deterministic, path recorded."
    from sklearn.datasets import make_blobs
    X, _ = make_blobs(3600, n_features=6, centers=4, random_state=1)
    y = np.repeat([0, 1, 2], [2400, 900, 300])
    cheap = dict(n_samples=5000, redundancy_nn=50) if name == "zcore" else {}  # its guarantees do not depend on these
    def fit():
        sel = get_selector(name, budget=0.04, random_state=3, **cheap); sel.exact_max_n = 1000
        return sel.fit(X, y)
    a, b = fit(), fit()
    np.testing.assert_array_equal(a.indices_, b.indices_)
    assert len(np.unique(a.indices_)) == len(a.indices_) == 144
    assert {c: int((y[a.indices_] == c).sum()) for c in (0, 1, 2)} == a.class_budgets_
    if name != "class_aware_fl":  # it moves budget between classes on purpose (nbs/04h_class_aware.ipynb)
        assert a.class_budgets_ == {0: 96, 1: 36, 2: 12}
    assert a.paths_[0] != "exact" and a.paths_[1] == a.paths_[2] == "exact"  # only the class above 1,000 rows
