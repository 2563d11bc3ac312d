"""Backbones, feature shapes, real pretrained MobileNet features, the cache, and the offline message."""
import numpy as np
import pytest

from tests.conftest import DEMO_WEIGHTS
from coreset_nb.data import load_dataset


def test_vgg16_block5_pool_flatten_is_32768d_at_256px():
    from coreset_nb.features import feature_extractor
    model = feature_extractor("vgg16", weights=None, image_size=256, pooling="flatten")
    assert tuple(model.output.shape) == (None, 32768)
    x = np.random.default_rng(0).uniform(0, 255, (2, 256, 256, 3)).astype("float32")
    assert model(x).shape == (2, 32768)


def test_mobilenet_shared_weights_give_distinct_256d_features_and_cache(shared_file, tmp_path):
    from coreset_nb.features import extract_features
    ds = load_dataset(shared_file("pbc_native_sample_25perclass.zip"), progress=False).subset(range(0, 200, 25))
    w = DEMO_WEIGHTS  # the shipped copy of ../shared/data/mobilenet_2_5_224_tf_no_top.h5
    first = extract_features(ds, "mobilenet", w, image_size=224, pooling="avg", cache_dir=tmp_path, progress=False)
    assert first.X.shape == (8, 256) and not first.cache_hit
    assert np.isfinite(first.X).all() and first.X.std(axis=0).mean() > 1e-3
    # every pair of images has different features
    d = np.linalg.norm(first.X[:, None] - first.X[None], axis=-1)
    assert (d[np.triu_indices(8, 1)] > 1e-3).all()
    second = extract_features(ds, "mobilenet", w, image_size=224, pooling="avg", cache_dir=tmp_path, progress=False)
    assert second.cache_hit and np.array_equal(first.X, second.X)
    # a different image size, data or pooling is a different cache entry
    other = extract_features(ds.subset(range(4)), "mobilenet", w, image_size=224, pooling="avg", cache_dir=tmp_path, progress=False)
    assert not other.cache_hit and other.key != first.key
    np.testing.assert_allclose(other.X, first.X[:4], rtol=1e-4, atol=1e-5)


def test_imagenet_without_internet_says_how_to_pass_a_file():
    from coreset_nb.features import build_backbone, WeightsUnavailableError
    try:
        build_backbone("vgg16", weights="imagenet", image_size=64)
    except WeightsUnavailableError as e:
        msg = str(e)
        assert "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in msg and "--weights /path/to/file.h5" in msg
    else:
        pytest.skip("ImageNet weights are reachable here (online or cached): nothing to check")


def test_a_cache_hit_imports_no_tensorflow(tmp_path):
    "Features read back from the cache need no TensorFlow: a notebook or a command that finds them does not pay its import."
    import subprocess, sys
    from coreset_nb.features import extract_features
    from tests.conftest import DEMO_ZIP
    ds = load_dataset(DEMO_ZIP, progress=False).subset(range(0, 2400, 300))
    extract_features(ds, "mobilenet", DEMO_WEIGHTS, image_size=32, pooling="avg", cache_dir=tmp_path, progress=False)
    code = (f"import sys; from coreset_nb.data import load_dataset; from coreset_nb.features import extract_features; "
            f"ds = load_dataset({str(DEMO_ZIP)!r}, progress=False).subset(range(0, 2400, 300)); "
            f"f = extract_features(ds, 'mobilenet', {str(DEMO_WEIGHTS)!r}, image_size=32, pooling='avg', cache_dir={str(tmp_path)!r}, progress=False); "
            "assert f.cache_hit and f.X.shape == (8, 256), f; assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_demo_features_the_notebooks_read():
    """The shipped sample's MobileNet features at 224 px, as `index`, most notebooks and `make reproduce` read them from the
    user cache: one row of 256 finite values per image, distinct images apart, read back exactly. `make test` hands this
    test out first (tests/conftest.py): on an empty cache one process extracts them (35 s here) while the other runs
    work that does not need them, instead of two notebooks extracting them at once."""
    from coreset_nb.features import extract_features
    from tests.conftest import DEMO_ZIP
    ds = load_dataset(DEMO_ZIP, progress=False)
    demo = lambda: extract_features(ds, "mobilenet", DEMO_WEIGHTS, image_size=224, pooling="avg", alpha=0.25, progress=False)
    features, again = demo(), demo()
    assert features.X.shape == (2400, 256) and features.X.dtype == np.float32 and np.isfinite(features.X).all()
    assert len(np.unique(features.X.round(4), axis=0)) == 2400
    assert again.cache_hit and np.array_equal(again.X, features.X)
