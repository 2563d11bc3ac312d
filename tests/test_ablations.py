"""The ablation notebooks of paper_figures/ run with papermill on tiny data and write their outputs.

PBC ablations run on the demo sample shipped with the package (512 images) with an untrained MobileNet at 32 px, one
fraction, one seed and a short head training; they share one cell store and one feature cache (as the real runs do),
so random sampling and the reference variants are trained once. The second-dataset ablation runs on a generated
MedMNIST-style `.npz` (the keys `load_medmnist` reads: `{train,val,test}_{images,labels}`).
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

papermill = pytest.importorskip("papermill")
# Each notebook trains its variants (about a minute in all): run with `make test-slow`; `make ablations` runs them for real.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
FIGS = REPO / "paper_figures"
DEMO = REPO / "coreset_nb" / "assets" / "pbc_demo_300perclass_96px.zip"
QUICK = dict(fractions=[0.25], seeds=[0], selection={"weights": None, "image_size": 32},
             model_overrides={"weights": None, "image_size": 32, "epochs": 10, "patience": None, "measure_backbone_time": False})


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    "One cache and one cell store per dataset, shared by the notebooks (as in the real runs)."
    tmp = tmp_path_factory.mktemp("ablations")
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in [("train", 20), ("val", 3), ("test", 6)]:  # per class
        imgs, labels = [], []
        for c, base in enumerate([(200, 60, 60), (60, 60, 200), (60, 180, 60)]):
            for i in range(n):
                shade = np.array(base) * (0.6 if i % 2 else 1.0)
                imgs.append(np.clip(shade + rng.normal(0, 25, (28, 28, 3)), 0, 255).astype(np.uint8)); labels.append(c)
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = np.stack(imgs), np.array(labels, dtype=np.uint8)[:, None]
    np.savez(tmp / "tinymnist.npz", **arrays)
    return dict(tmp=tmp, cache_dir=str(tmp / "cache"), npz=str(tmp / "tinymnist.npz"))


def run(nb, shared, out_dir, **params):
    "Execute paper_figures/<nb>.ipynb with papermill (from the repository root, like `make ablations`)."
    store = shared["tmp"] / "runs" / Path(params.get("data", DEMO)).stem
    p = dict(data=str(DEMO), results_dir=str(store), out_dir=str(out_dir), cache_dir=shared["cache_dir"], **QUICK)
    p.update(params)
    executed = Path(out_dir) / f"{nb}.executed.ipynb"
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(str(FIGS / f"{nb}.ipynb"), str(executed), parameters=p, kernel_name="python3",
                               progress_bar=False, cwd=str(REPO))
    return executed


def check_outputs(out_dir, name, variants):
    "The figure and the tables exist, the table has exactly `variants` (+ random, 100%) with sane values."
    out = Path(out_dir)
    for f in [f"{name}.png", f"{name}.pdf", f"{name}.csv", f"{name}.md", f"{name}_results.csv"]:
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f"{f} missing or empty"
    table = pd.read_csv(out / f"{name}.csv")
    assert list(table.variant) == ["random", *variants, "100%"]
    assert table.accuracy_mean.between(0, 1).all() and table.f1_macro_mean.between(0, 1).all()
    assert (table.n_seeds == 1).all()
    sized = table[~table.variant.isin(["random", "100%"])]
    assert sized.accuracy_diff.notna().all() and sized.f1_macro_diff.notna().all()
    assert table.loc[table.variant == "random", "accuracy_diff"].isna().all()
    res = pd.read_csv(out / f"{name}_results.csv")
    assert set(res.variant) == set(table.variant) and len(res) == len(table)
    return table


def test_every_ablation_notebook_is_tested():
    assert sorted(p.stem for p in FIGS.glob("ablation_*.ipynb")) == sorted(
        ["ablation_k_choice", "ablation_pca_variance", "ablation_backbone", "ablation_allocation", "ablation_second_dataset"])


def test_k_choice(shared, tmp_path):
    executed = run("ablation_k_choice", shared, tmp_path, fixed_ks=[2, 5])
    check_outputs(tmp_path, "ablation_k_choice",
                  ["IS, K by silhouette 2–10 (paper)", "IS, K = 2", "IS, K = 5", "medoids (K = budget)"])
    res = pd.read_csv(tmp_path / "ablation_k_choice_results.csv")
    ks = res[res.variant == "IS, K = 5"].k_per_class.map(eval).iloc[0]
    assert set(ks.values()) == {5}  # fixed K: k_range [5, 5] is honoured in every class
    assert "significant win(s)" in executed.read_text()  # the findings were printed


def test_pca_variance(shared, tmp_path):
    run("ablation_pca_variance", shared, tmp_path, variances=[0.9, None])
    check_outputs(tmp_path, "ablation_pca_variance", ["IS, PCA 90%", "IS, no PCA", "medoids, PCA 90%", "medoids, no PCA"])
    dims = pd.read_csv(tmp_path / "ablation_pca_variance_components.csv", index_col=0)
    assert (dims["PCA 90%"] <= dims["no PCA"]).all() and (dims["no PCA"] == 256).all()


def test_backbone(shared, tmp_path):
    run("ablation_backbone", shared, tmp_path, methods=["intelligent"], vgg16_image_size=32, raw_image_size=8)
    check_outputs(tmp_path, "ablation_backbone", ["IS, MobileNet-0.25 random init (32 px, avg)",
                                                  "IS, VGG16 random init (32 px, flatten)", "IS, raw pixels (8 px)"])


def test_allocation(shared, tmp_path):
    run("ablation_allocation", shared, tmp_path)
    names = [f"{m}, {a}" for m in ["IS", "medoids", "stratified"] for a in ["proportional", "equal"]]
    check_outputs(tmp_path, "ablation_allocation", names)
    res = pd.read_csv(tmp_path / "ablation_allocation_results.csv").set_index("variant")
    equal, prop = eval(res.loc["stratified, equal", "class_counts"]), eval(res.loc["stratified, proportional", "class_counts"])
    assert max(equal) - min(equal) <= 1  # equal budgets really are equal
    assert res.loc["stratified, equal", "config_hash"] != res.loc["stratified, proportional", "config_hash"]  # not the cached proportional runs
    pairs = pd.read_csv(tmp_path / "ablation_allocation_equal_vs_proportional.csv")
    assert list(pairs.comparison) == [f"{m}, equal − {m}, proportional" for m in ["IS", "medoids", "stratified"]]
    assert (tmp_path / "ablation_allocation_per_class_f1.csv").is_file()


def test_second_dataset(shared, tmp_path):
    executed = run("ablation_second_dataset", shared, tmp_path, data=shared["npz"])
    check_outputs(tmp_path, "ablation_second_dataset", ["IS (paper)", "medoids (K = budget)"])
    res = pd.read_csv(tmp_path / "ablation_second_dataset_results.csv")
    assert (res.n_test == 18).all()  # the .npz's own test split
    assert "train 60 / test 18 / unused validation 9" in executed.read_text()
