"""FasterPAM (kmedoids) and PAM (scikit-learn-extra) must agree on well clustered data.

scikit-learn-extra is optional (its 0.3.0 wheels need numpy<2): the test skips without it, except when
CORESET_NB_REQUIRE_SKEXTRA=1 (the dedicated numpy<2 virtualenv), where a missing package must fail.
Nothing imported here may import TensorFlow.
"""
import os

import numpy as np
import pytest

if os.environ.get("CORESET_NB_REQUIRE_SKEXTRA") == "1":
    import sklearn_extra  # noqa: F401  (required: fail loudly rather than skip)
else:
    pytest.importorskip("sklearn_extra")

from sklearn.datasets import make_blobs

from coreset_nb import cluster_backends  # noqa: F401  registers the 'pam' and 'alternate' backends
from coreset_nb.cluster import cluster_class

K_RANGE = (2, 10)


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=300, n_features=5, centers=4, cluster_std=1.0, random_state=0)
    return X


@pytest.fixture(scope="module")
def fasterpam(blobs):
    return cluster_class(blobs, k_range=K_RANGE, backend="fasterpam", random_state=0)


@pytest.fixture(scope="module")
def pam(blobs):
    return cluster_class(blobs, k_range=K_RANGE, backend="pam", random_state=0)


def test_same_k_and_loss(fasterpam, pam):
    assert fasterpam.k == pam.k == 4
    assert pam.loss == pytest.approx(fasterpam.loss, rel=1e-3)


def test_losses_agree_for_every_k(fasterpam, pam):
    assert sorted(fasterpam.losses) == sorted(pam.losses) == list(range(K_RANGE[0], K_RANGE[1] + 1))
    for k in fasterpam.losses:
        assert pam.losses[k] == pytest.approx(fasterpam.losses[k], rel=1e-3), f"K={k}"


def test_alternate_backend_runs(blobs):
    res = cluster_class(blobs, k_range=K_RANGE, backend="alternate", random_state=0)
    assert K_RANGE[0] <= res.k <= K_RANGE[1]
    assert res.labels.shape == (len(blobs),)
    np.testing.assert_array_equal(res.labels[res.medoids], np.arange(res.k))
