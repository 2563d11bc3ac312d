"""Every notebook in paper_figures/ runs with papermill on a tiny experiment and writes its files.

The fixture (built once per session): three classes of generated images named like PBC classes, a
`run_experiment` grid (2 seeds × {full, RS, IS} × fractions {0.25, 0.5} × {custom CNN, transfer model with an
untrained MobileNet}), and an intelligent `select_coreset` on the same images with its assignments file.
"""
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

papermill = pytest.importorskip("papermill")

REPO = Path(__file__).resolve().parents[1]
FIGS = REPO / "paper_figures"
CLASSES = {"eosinophil": (200, 60, 60), "lymphocyte": (60, 60, 200), "neutrophil": (60, 180, 60)}


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory):
    "A tiny results.csv (+ config.json), a selection sidecar + assignments CSV, and the dataset they come from."
    from PIL import Image
    from coreset_nb.experiments import run_experiment
    from coreset_nb.pipeline import select_coreset

    tmp = tmp_path_factory.mktemp("paper_figures")
    rng = np.random.default_rng(0)
    for name, base in CLASSES.items():
        (tmp / "imgs" / name).mkdir(parents=True)
        for i in range(24):  # two looks per class, so that each class has real clusters
            shade = np.array(base) * (0.6 if i % 2 else 1.0)
            px = np.clip(shade + rng.normal(0, 25, (24, 24, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(px).save(tmp / "imgs" / name / f"{i}.png")
    data, cache = str(tmp / "imgs"), str(tmp / "cache")
    cfg = dict(data=data, results_dir=str(tmp / "runs"), cache_dir=cache, seeds=[0, 1], fractions=[0.25, 0.5],
               methods=["random", "intelligent"],
               selection=dict(backbone="mobilenet", weights=None, image_size=32, pooling="avg", k_range=[2, 3]),
               models=dict(cnn=dict(kind="cnn", image_size=32, epochs=2, batch_size=8, patience=None),
                           transfer=dict(kind="transfer", backbone="mobilenet", weights=None, image_size=32,
                                         epochs=2, batch_size=8, patience=None, measure_backbone_time=False)))
    df = run_experiment(cfg, progress=False)
    assert len(df) == 2 * 2 * (1 + 2 * 2)
    res = select_coreset(data, 0.25, "intelligent", backbone="mobilenet", weights=None, image_size=32, pooling="avg",
                         k_range=(2, 3), seed=0, cache_dir=cache, progress=False)
    sel = tmp / "selection"; sel.mkdir()
    res.write(sel / "coreset.csv", sel / "assignments.csv")
    # a partial run: no config.json beside it, one model's seed 1 and one IS cell missing
    partial = tmp / "partial"; partial.mkdir()
    keep = ~((df.model == "cnn") & (df.seed == 1)) & ~((df.method == "intelligent") & (df.fraction == 0.5) & (df.seed == 0))
    df[keep].to_csv(partial / "results.csv", index=False)
    # a row left by an older config of the same experiment (another config hash): must be ignored, not averaged in
    stale = tmp / "stale"; stale.mkdir()
    for f in ("config.json", "split.json"): shutil.copy(tmp / "runs" / f, stale / f)
    old = df[(df.model == "cnn") & (df.method == "intelligent") & (df.fraction == 0.25)].iloc[:1]
    old = old.assign(cell_id=old.cell_id.str.rsplit("-", n=1).str[0] + "-000000000000", test_f1_macro=0.0)
    pd.concat([df, old]).to_csv(stale / "results.csv", index=False)
    return dict(tmp=tmp, data=data, results_csv=str(tmp / "runs" / "results.csv"), partial_csv=str(partial / "results.csv"),
                stale_csv=str(stale / "results.csv"),
                selection_json=str(sel / "coreset.json"), assignments_csv=str(sel / "assignments.csv"))


def run(nb, out_dir, **params):
    "Execute paper_figures/<nb>.ipynb with papermill; return the executed notebook's path."
    out_dir = Path(out_dir); out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{nb}.executed.ipynb"
    papermill.execute_notebook(str(FIGS / f"{nb}.ipynb"), str(executed), parameters=dict(out_dir=str(out_dir), **params),
                               kernel_name="python3", progress_bar=False, cwd=str(REPO))
    return executed


def assert_written(out_dir, *names):
    for name in names:
        files = [Path(out_dir) / name] if "." in name else [Path(out_dir) / f"{name}.png", Path(out_dir) / f"{name}.pdf"]
        for f in files: assert f.is_file() and f.stat().st_size > 0, f"{f} missing or empty"


FIG9 = ["fig09a_cnn_train_accuracy", "fig09b_cnn_val_accuracy", "fig09c_transfer_train_accuracy",
        "fig09d_transfer_val_accuracy", "fig09_accuracy"]
CASES = {  # notebook: (parameters from the artifacts, expected outputs)
    "fig02_rs_vs_is": ([], ["fig02_rs_vs_is"]),
    "fig03_sample_images": (["data"], ["fig03_sample_images"]),
    "fig04_class_histogram": (["selection_json"], ["fig04_class_histogram"]),
    "fig05_class_clusters": (["selection_json", "assignments_csv"], ["fig05_clusters_lymphocyte"]),
    "fig06_cluster_members": (["selection_json", "assignments_csv"], ["fig06_cluster_members_lymphocyte"]),
    "fig07_cnn_training_time": (["results_csv"], ["fig07_training_time_cnn"]),
    "fig08_transfer_epoch_time": (["results_csv"], ["fig08_epoch_time_transfer"]),
    "fig09_accuracy_vs_size": (["results_csv"], FIG9),
    "table1_metrics": (["results_csv"], ["table1.csv", "table1.md"]),
    "fig10_11_metric_bars": (["results_csv"], ["fig10_metrics_cnn", "fig11_metrics_transfer"]),
}


def test_every_notebook_has_a_case():
    "Every figure notebook is tested here; the ablation notebooks (which train) in tests/test_ablations.py."
    assert sorted(p.stem for p in FIGS.glob("*.ipynb") if not p.stem.startswith("ablation_")) == sorted(CASES)


@pytest.mark.parametrize("nb", sorted(CASES))
def test_notebook_writes_its_figures(nb, artifacts, tmp_path):
    keys, outputs = CASES[nb]
    run(nb, tmp_path, **{k: artifacts[k] for k in keys})
    assert_written(tmp_path, *outputs)


def test_table1_values_are_the_measured_means(artifacts, tmp_path):
    run("table1_metrics", tmp_path, results_csv=artifacts["results_csv"])
    table = pd.read_csv(tmp_path / "table1.csv")
    df = pd.read_csv(artifacts["results_csv"])
    want = df[(df.model == "transfer") & (df.method == "intelligent") & (df.fraction == 0.25)].test_f1_macro
    got = table[(table.model == "transfer") & (table.setting == "IS 25%") & (table.metric == "f1")].iloc[0]
    assert got["n_seeds"] == 2 and np.isclose(got["mean"], want.mean()) and np.isclose(got["std"], want.std())
    md = (tmp_path / "table1.md").read_text()
    assert "| Transfer model | IS 25% | 2 |" in md and "0.8130" in md and "identical to the last digit" in md  # the paper beside ours


def test_fig05_any_class_and_unknown_class(artifacts, tmp_path):
    keys = dict(selection_json=artifacts["selection_json"], assignments_csv=artifacts["assignments_csv"])
    run("fig05_class_clusters", tmp_path, class_name="eosinophil", **keys)
    assert_written(tmp_path, "fig05_clusters_eosinophil")
    with pytest.raises(papermill.PapermillExecutionError, match="eosinophil, lymphocyte, neutrophil"):
        run("fig05_class_clusters", tmp_path / "bad", class_name="monocyte", **keys)


def test_partial_results_are_plotted_and_reported(artifacts, tmp_path):
    executed = run("fig09_accuracy_vs_size", tmp_path, results_csv=artifacts["partial_csv"])
    assert_written(tmp_path, *FIG9)
    assert "PARTIAL RESULTS" in executed.read_text()
    executed = run("table1_metrics", tmp_path, results_csv=artifacts["partial_csv"])
    assert "seeds [1] missing" in (tmp_path / "table1.md").read_text()


def test_missing_fraction_is_a_clear_error(artifacts, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError, match=r"fraction 0.3 is not in .*\[0.25, 0.5\]"):
        run("fig10_11_metric_bars", tmp_path, results_csv=artifacts["results_csv"], fraction=0.3)


def test_rows_of_an_older_config_are_ignored(artifacts, tmp_path):
    executed = run("table1_metrics", tmp_path / "stale", results_csv=artifacts["stale_csv"])
    assert "ignored 1 row(s) of cells run with older settings" in executed.read_text()
    run("table1_metrics", tmp_path / "clean", results_csv=artifacts["results_csv"])
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "stale" / "table1.csv"), pd.read_csv(tmp_path / "clean" / "table1.csv"))
