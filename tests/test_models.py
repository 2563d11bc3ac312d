"""Parameter counts of the paper's two classifiers (Listings 1 and 2) and of the MobileNet-0.25 head."""
import keras
import pytest

from coreset_nb.models import (count_params, custom_cnn, transfer_head, transfer_model, copy_head_weights,
                               pooled_feature_model)


def test_custom_cnn_matches_paper_at_256():
    assert count_params(custom_cnn(n_classes=8, input_shape=(256, 256, 3))) == (237_504, 237_440)


def test_custom_cnn_count_follows_input_size():
    # only the dense layer after Flatten depends on the input size: 7,104 + 32 * 8 * side**2
    assert count_params(custom_cnn(input_shape=(64, 64, 3))) == (16_320, 16_256)
    assert count_params(custom_cnn(input_shape=(224, 224, 3))) == (180_160, 180_096)


def test_resnet101v2_transfer_model_matches_paper():
    backbone = keras.applications.ResNet101V2(include_top=False, weights=None, input_shape=(256, 256, 3))
    model = transfer_model(backbone, n_classes=8)
    assert model.get_layer("avg_pool").pool_size == (8, 8)
    assert count_params(model) == (42_651_144, 20_488)


def test_mobilenet_head_counts():
    backbone = keras.applications.MobileNet(alpha=0.25, include_top=False, weights=None, input_shape=(224, 224, 3))
    model = transfer_model(backbone, n_classes=8)
    # head: BatchNormalization over 256 channels (2*256 trainable + 2*256 moving stats) + Dense 256*8 + 8
    assert count_params(model) == (backbone.count_params() + 4 * 256 + 256 * 8 + 8, 2_568)
    assert backbone.trainable_weights == []
    head = transfer_head(256, n_classes=8)
    assert count_params(head) == (4 * 256 + 256 * 8 + 8, 2_568)
    copy_head_weights(head, model)  # same layer structure: set_weights works both ways
    copy_head_weights(model, head)
    assert pooled_feature_model(backbone).output.shape == (None, 256)


def test_transfer_model_rejects_unsized_backbone():
    backbone = keras.applications.MobileNet(alpha=0.25, include_top=False, weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="fixed input size"):
        transfer_model(backbone)


def test_seeded_models_do_not_depend_on_the_global_python_rng():
    "A Dask worker's event loop draws from Python's global `random`; a seeded model's weights must not move with it."
    import random
    import numpy as np
    def weights(build, disturb):
        keras.backend.clear_session(); keras.utils.set_random_seed(3)
        if disturb: random.random()
        return build().get_weights()
    for build in (lambda: custom_cnn(8, (64, 64, 3), seed=3), lambda: transfer_head(32, 8, seed=3)):
        quiet, disturbed = weights(build, False), weights(build, True)
        assert all(np.array_equal(a, b) for a, b in zip(quiet, disturbed))
