"""The paper's Figure 2: one class made of three clusters of very different sizes.

Selecting 40 of 200 images, intelligent sampling (IS) takes about the same number from every cluster (13-14), while
random sampling (RS) takes them in proportion to the cluster sizes (on average 24/10/6).
"""
import numpy as np
import pytest

from coreset_nb.cluster import PerClassKMedoids
from coreset_nb.sample import IntelligentSelector, RandomSelector

BLOB_SIZES = (120, 50, 30)
BUDGET = 40


def figure2_class(seed=0):
    "One class of 200 2-D points: three well separated Gaussian blobs of 120, 50 and 30 points."
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.vstack([rng.normal(c, 1.0, size=(n, 2)) for c, n in zip(centers, BLOB_SIZES)])
    blob = np.repeat(np.arange(3), BLOB_SIZES)
    return X, np.zeros(len(X), dtype=np.int64), blob


def taken_per_blob(indices, blob):
    return np.bincount(blob[indices], minlength=3)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_intelligent_sampling_takes_equal_shares(seed):
    X, y, blob = figure2_class(seed)
    clusterer = PerClassKMedoids(random_state=seed, progress=False)
    selector = IntelligentSelector(budget=BUDGET, random_state=seed, clusterer=clusterer).fit(X, y)
    assert selector.clustering_.k_ == {0: 3}
    # the clusters found are the blobs (one-to-one), so per-cluster takes are per-blob takes
    assert len(set(zip(selector.clusters_, blob))) == 3
    taken = taken_per_blob(selector.indices_, blob)
    assert taken.sum() == BUDGET
    assert sorted(taken) == [13, 13, 14]


def test_random_sampling_follows_cluster_sizes():
    X, y, blob = figure2_class(0)
    taken = np.array([taken_per_blob(RandomSelector(budget=BUDGET, random_state=s).fit(X, y).indices_, blob)
                      for s in range(200)])
    assert (taken.sum(axis=1) == BUDGET).all()
    np.testing.assert_allclose(taken.mean(axis=0), [24, 10, 6], atol=1.0)
