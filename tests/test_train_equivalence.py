"""Training Listing 2's head on cached pooled features == training the transfer model through the frozen backbone."""
import json
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

from coreset_nb.models import custom_cnn
from coreset_nb.train import SCALAR_METRICS, evaluate, head_training_equivalence, train, validation_split

MOBILENET_WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "mobilenet_2_5_224_tf_no_top.h5"


def _mobilenet(size):
    weights = str(MOBILENET_WEIGHTS) if MOBILENET_WEIGHTS.exists() else None  # real features when the file is there
    return keras.applications.MobileNet(alpha=0.25, include_top=False, weights=weights, input_shape=(size, size, 3))


@pytest.fixture(scope="module")
def images_labels():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(64, 96, 96, 3), dtype="uint8"), np.repeat(np.arange(8), 8)


def test_cached_features_match_end_to_end(images_labels):
    x, y = images_labels
    check = head_training_equivalence(_mobilenet(96), x, y, n_classes=8, epochs=2, batch_size=16, seed=0)
    assert check["backbone_unchanged"]  # frozen weights and BN moving statistics untouched by fit
    assert check["max_abs_prediction_diff"] <= 1e-4
    assert check["max_abs_head_weight_diff"] <= 1e-4
    assert check["max_abs_loss_diff"] <= 1e-4
    assert check["equivalent"]
    assert check["cached"].epochs_run == check["end_to_end"].epochs_run == 2


@pytest.mark.slow  # nbs/06_train checks the same equivalence with a validation split (`head_training_equivalence`) in `make test`
def test_equivalence_with_validation_split(images_labels):
    x, y = images_labels
    check = head_training_equivalence(_mobilenet(64), x[:, :64, :64], y, epochs=2, batch_size=16, val_fraction=0.25,
                                      seed=1)
    assert check["equivalent"]
    np.testing.assert_allclose(check["cached"].history["val_loss"], check["end_to_end"].history["val_loss"], atol=1e-4)
    assert check["cached"].val_indices == check["end_to_end"].val_indices


def test_train_result_and_evaluate_keys(images_labels):
    x, y = images_labels
    keras.utils.set_random_seed(0)
    result = train(custom_cnn(input_shape=(96, 96, 3)), x, y, epochs=3, batch_size=16, val_fraction=0.125,
                   early_stopping_patience=1, verbose=0)
    assert 1 <= result.epochs_run <= 3 and len(result.epoch_times) == result.epochs_run
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert (result.n_train, result.n_val) == (56, 8) and result.monitor == "val_loss"
    assert 0 <= result.best_epoch < result.epochs_run
    json.dumps(result.to_dict())

    names = [f"c{i}" for i in range(8)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = evaluate(result.model, x, y, class_names=names, batch_size=32)
    assert set(scores) == {*SCALAR_METRICS, "n_samples", "class_names", "per_class", "confusion_matrix"}
    for key in SCALAR_METRICS:
        assert isinstance(scores[key], float) and 0.0 <= scores[key] <= 1.0, key
    assert scores["n_samples"] == 64 and scores["class_names"] == names
    assert np.array(scores["confusion_matrix"]).shape == (8, 8) and np.array(scores["confusion_matrix"]).sum() == 64
    assert all(name in scores["per_class"] for name in names)
    assert json.loads(json.dumps(scores)) == scores


def test_validation_split_is_stratified_and_seeded():
    y = np.repeat(np.arange(8), 10)
    train_idx, val_idx = validation_split(y, 0.1, seed=3)
    assert len(val_idx) == 8 and sorted(y[val_idx]) == list(range(8))
    assert len(np.union1d(train_idx, val_idx)) == 80
    np.testing.assert_array_equal(validation_split(y, 0.1, seed=3)[1], val_idx)
