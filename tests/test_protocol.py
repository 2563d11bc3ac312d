"""The low-noise training protocol as an experiment uses it: its settings are checked when a config is read, and a cell
of a model block with `steps` trains for that budget (no validation set, last weights) and writes the usual row."""
import json

import numpy as np
import pytest
from coreset_nb.images import colour_squares

from coreset_nb.data import load_dataset
from coreset_nb.experiments import cell_id, grid_cells, load_config, run_experiment


def _config(tmp_path, **model):
    colour_squares(tmp_path / "imgs", {"red": 20, "blue": 20}, size=32, noise=60)
    return dict(name="protocol-test", data=str(tmp_path / "imgs"), results_dir=str(tmp_path / "res"), cache_dir=str(tmp_path / "cache"),
                seeds=[0], fractions=[0.5], methods=["random"], include_full=False,
                models=dict(cnn=dict(kind="cnn", image_size=32, batch_size=8, **model)))


@pytest.mark.parametrize("model, message", [(dict(steps=0), "models.cnn.steps must be a whole number >= 1 or none, got 0"),
                                             (dict(steps=1.5), "models.cnn.steps must be a whole number")])
def test_bad_protocol_settings_name_the_model(tmp_path, model, message):
    with pytest.raises(ValueError, match=message): load_config(_config(tmp_path, **model))


def test_augmenting_cached_features_is_refused(tmp_path):
    cfg = _config(tmp_path)
    cfg["models"] = dict(head=dict(kind="transfer", backbone="mobilenet", weights=None, image_size=32, steps=10, augment=True))
    with pytest.raises(ValueError, match="model 'head': augment needs images"): load_config(cfg)


def test_a_cell_with_a_step_budget(tmp_path):
    df = run_experiment(_config(tmp_path, steps=7, lr_schedule="cosine", augment=True), progress=False)
    row = df.iloc[0]
    # half of the 32 training images in batches of 8: epochs of 2 steps, so a budget of 7 steps is run as 4 epochs (8 steps)
    assert (row.n_coreset, row.n_train, row.n_val, row.epochs_run, row.best_epoch) == (16, 16, 0, 4, 3)
    assert np.isnan(row.val_accuracy) and 0 <= row.test_accuracy <= 1
    again = run_experiment({**_config(tmp_path, steps=7, lr_schedule="cosine", augment=True), "results_dir": str(tmp_path / "again")},
                           progress=False)
    assert again.test_accuracy.iloc[0] == row.test_accuracy and again.train_loss.iloc[0] == row.train_loss  # seeded: it repeats
    key = load_dataset(tmp_path / "imgs", progress=False).content_key()
    steps, paper = (load_config(_config(tmp_path, **m)) for m in (dict(steps=7, lr_schedule="cosine", augment=True), {}))
    cell = grid_cells(steps)[0]
    assert row.cell_id == cell_id(steps, cell, key) != cell_id(paper, cell, key)  # the protocol is part of the cell's settings
    assert json.loads(row.class_counts) == [8, 8]


def test_standardizing_cached_features_is_refused(tmp_path):
    cfg = _config(tmp_path)
    cfg["models"] = dict(head=dict(kind="transfer", backbone="mobilenet", weights=None, image_size=32, steps=10, standardize=True))
    with pytest.raises(ValueError, match="model 'head': standardize is a setting of the custom CNN"): load_config(cfg)


def test_a_cell_with_standardized_inputs(tmp_path):
    "`standardize: true` is part of the cell's settings, repeats with its seed, and the CNN's first layer holds the coreset's statistics."
    from coreset_nb.experiments import _KEPT_MODELS
    plain = run_experiment(_config(tmp_path, steps=6), progress=False).iloc[0]
    cfg = {**_config(tmp_path, steps=6, standardize=True), "results_dir": str(tmp_path / "std")}
    row = run_experiment(cfg, progress=False).iloc[0]
    assert row.cell_id != plain.cell_id and row.n_coreset == plain.n_coreset == 16 and 0 <= row.test_accuracy <= 1
    again = run_experiment({**cfg, "results_dir": str(tmp_path / "again")}, progress=False).iloc[0]
    assert (again.test_accuracy, again.train_loss) == (row.test_accuracy, row.train_loss)
    kept = [m for key, m in _KEPT_MODELS.items() if ("standardize", True) in key and key[2] == (32, 32, 3)]
    assert len(kept) == 1  # its own kept model: never the plain CNN's
    mean = kept[0].get_layer("standardize").mean.numpy()
    assert np.all((mean > 30) & (mean < 230)) and not np.allclose(mean, 0)  # pixel units of the coreset, not the initial zeros
