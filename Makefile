# coreset_nb — every target creates and uses its own virtualenv, installed from this repo's files only.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SKX := .venv-skextra
STAMP := $(VENV)/.installed
SKX_STAMP := $(SKX)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED := 0
# Python writes the bytecode of what it imports, once: compiling all of a new venv ahead (uv --compile-bytecode) took 25 s,
# most of it TensorFlow modules nothing imports. A shell that sets PYTHONDONTWRITEBYTECODE would recompile in every process.
unexport PYTHONDONTWRITEBYTECODE
# glibc's malloc hands large buffers back to the kernel as soon as they are freed (mmap/trim), and TensorFlow frees and
# asks again for the same sizes at every batch: the pages are faulted in anew each time. These keep them in the heap, with
# the same results (benchmarks/bench_malloc_env.py measures both sides). Read by every process started here.
export MALLOC_MMAP_THRESHOLD_ ?= 33554432
export MALLOC_TRIM_THRESHOLD_ ?= 268435456
export MALLOC_TOP_PAD_ ?= 67108864

.PHONY: colab docs docs-check nbs gpu-check full-pbc-verdicts install venvs bench-apricot test test-export test-layers test-nbs test-py test-all test-skextra test-slow reproduce bench selectors leaderboard results-tables robustness readme cnn-noise cnn-grid ablations clean-venv

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv  # uv installs several times faster than pip here
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(STAMP)

# scikit-learn-extra 0.3.0 needs numpy<2: its parity test runs in a small venv of its own, without TensorFlow.
$(SKX_STAMP): settings.ini setup.py
	test -x $(SKX)/bin/python || $(PYTHON) -m venv $(SKX)
	$(SKX)/bin/python -m pip install -q uv
	$(SKX)/bin/uv pip install -q --python $(SKX)/bin/python 'numpy<2' 'scikit-learn<1.10' scikit-learn-extra==0.3.0 kmedoids scipy tqdm pyyaml joblib pillow pytest fastcore
	$(SKX)/bin/uv pip install -q --python $(SKX)/bin/python -e . --no-deps
	touch $@

# The exported library must be exactly what the notebooks produce.
test-export: $(STAMP)
	@tmp=$$(mktemp -d); cp -r settings.ini nbs $$tmp/; \
	(cd $$tmp && $(CURDIR)/$(BIN)/nbdev_export) || exit 1; \
	status=0; for f in $$(cd $$tmp && find coreset_nb -name '*.py' | sort); do \
	  cmp -s $$tmp/$$f $$f || { echo "out of sync with nbs/: $$f (run nbdev_export)"; status=1; }; done; \
	for f in $$(find coreset_nb -name '*.py' | sort); do \
	  test -f $$tmp/$$f || { echo "not produced by any notebook: $$f"; status=1; }; done; \
	rm -rf $$tmp; test $$status = 0 && echo "nbdev_export: library in sync with notebooks"

# Two test processes on two cores: one TensorFlow/BLAS thread each (tests/conftest.py does the same for pytest).
ONE_THREAD := TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1

# Every notebook runs in a fresh kernel (nbval) and each cell's output must equal its committed output: text exactly,
# after masking what a notebook marks as timing (nbs/nbval_sanitize.cfg); a figure by the plotted-values digest printed
# beside it (nbs/00f_plotted). Cells flagged `#| slow`/`#| notest` are skipped, and the kernels get IN_TEST (nbdev's flag:
# a notebook's closing `nbdev_export()` does not write the library while it is checked) and one thread (nbs/conftest.py).
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with nbs/nbval_sanitize.cfg -p no:cacheprovider
test-nbs: $(STAMP)
	$(ONE_THREAD) $(BIN)/python -m pytest $(NBVAL) nbs/ -q -n 2 --dist loadfile

# Run every notebook in place and commit the outputs it shows (one TensorFlow thread, as test-nbs checks them);
# NBS=nbs/03_cluster.ipynb runs one.
NBS ?=
nbs: $(STAMP)
	$(BIN)/python tools/run_notebooks.py $(NBS)

# Two workers, test by test; a file whose tests share a fixture stays on one worker (tests/conftest.py).
test-py: $(STAMP)
	$(ONE_THREAD) $(BIN)/python -m pytest tests/ -q -rs -n 2 -m "not browser"

# The notebooks' check and the tests in one session on two workers, so that neither waits for the other's last unit:
# a notebook, or a file of tests sharing a fixture, is one unit; the units are handed out in the order tests/conftest.py
# sorts them (longest first), not xdist's (most tests first).
test-all: $(STAMP)
	$(ONE_THREAD) $(BIN)/python -m pytest $(NBVAL) nbs/ tests/ -q -rs -n 2 -m "not browser" --no-loadscope-reorder

test-skextra: $(SKX_STAMP)
	CORESET_NB_REQUIRE_SKEXTRA=1 $(SKX)/bin/python -m pytest tests/test_backend_parity.py -q -p no:cacheprovider

# Both virtualenvs are made side by side (pip mostly waits on the disk), then the checks run one after the other.
venvs:
	@$(MAKE) --no-print-directory -j2 $(STAMP) $(SKX_STAMP)

# The layers of the library (.importlinter): each module imports only from the layers below it.
test-layers: $(STAMP)
	$(BIN)/lint-imports --no-cache

test: venvs test-export test-layers test-all test-skextra

# The main job: every figure and table of the paper on the embedded offline sample (see README for presets).
reproduce: $(STAMP)
	$(BIN)/coreset_nb reproduce --preset demo

# Heavy checks that `make test` (and so CI) skips: the notebooks' `#| slow` cells (real data, when ../shared is there)
# and the tests marked slow (the demo reproduced from a wheel and checked as a user reads it, the ablation notebooks, the
# grids on Dask and in two processes, the paper preset). Developers run them before a release, and after changing the main job.
test-slow: $(STAMP)
	$(BIN)/nbdev_test --n_workers 2 --flags slow
	$(BIN)/python -m pytest tests/ -q -rs --runslow -m slow

# The paper preset on a GPU (Colab's T4, say): device, seconds per stage, peak GPU memory; refuses to run on a CPU.
gpu-check: $(STAMP)
	$(BIN)/python tools/gpu_check.py --data pbc

# Benchmarks (performance and scale): each script prints its ratios measured side by side and writes
# benchmarks/results/*.csv; commands, targets and the latest figures are in benchmarks/README.md (~15 min here).
bench: $(STAMP) $(SKX_STAMP)
	$(BIN)/python benchmarks/bench_kmedoids_ksweep.py --quiet
	$(BIN)/python benchmarks/bench_feature_extraction.py
	$(BIN)/python benchmarks/bench_head_training.py
	$(BIN)/python benchmarks/bench_scalable_selection.py --quiet
	$(BIN)/python benchmarks/bench_reproduce_demo.py
	$(BIN)/python benchmarks/bench_cnn_cell.py

# Facility location vs apricot's and submodlib's own implementations (each library only in its own venv).
APRICOT := .venv-apricot
SUBMODLIB := .venv-submodlib
$(APRICOT)/.installed:
	test -x $(APRICOT)/bin/python || $(PYTHON) -m venv $(APRICOT)
	$(APRICOT)/bin/python -m pip install -q apricot-select==0.6.1 numpy scikit-learn
	touch $@

$(SUBMODLIB)/.installed:
	test -x $(SUBMODLIB)/bin/python || $(PYTHON) -m venv $(SUBMODLIB)
	$(SUBMODLIB)/bin/python -m pip install -q submodlib-py==0.0.3 numpy scikit-learn
	touch $@

bench-apricot: $(STAMP) $(APRICOT)/.installed $(SUBMODLIB)/.installed
	$(BIN)/python benchmarks/bench_facility_location.py --apricot-python $(APRICOT)/bin/python --submodlib-python $(SUBMODLIB)/bin/python

# Every selector vs random on full PBC (hours on 2 CPU cores; resumable), then the committed tables.
# WORKERS=2 runs the cells as tasks of a 2-worker Dask LocalCluster (one thread per worker). A cell's numbers depend
# on TensorFlow's thread count (benchmarks/thread_effect.py), so keep one setting per grid column.
WORKERS ?= 1
selectors: $(STAMP)
	@if [ "$(WORKERS)" = 1 ]; then $(BIN)/coreset_nb experiment --config configs/pbc-cpu-selectors.yaml || exit 1; \
	else $(BIN)/coreset_nb experiment --config configs/pbc-cpu-selectors.yaml --dask --workers $(WORKERS) || exit 1; fi
	$(MAKE) results-tables

# The leaderboard under the low-noise protocol: every selector (the peers' too) on the transfer model, PBC and
# BloodMNIST, 0.5-10%, and the custom CNN (48 px) for the best of the transfer leaderboard plus random and IS on PBC,
# 0.5-5%; 5 seeds (~3 h here from nothing, resumable). Rows already in the committed results.csv files (same cell ids) are reused, not rerun.
# Then facility location's similarity study (transfer model, paper-like protocol).
leaderboard: $(STAMP)
	$(BIN)/coreset_nb experiment --config leaderboard-lownoise-pbc --reuse results/leaderboard-lownoise-pbc --reuse results/cnn-selectors-lownoise --dask --workers 2
	$(BIN)/coreset_nb experiment --config leaderboard-lownoise-bloodmnist --reuse results/leaderboard-lownoise-bloodmnist
	$(BIN)/coreset_nb experiment --config similarity-pbc --reuse results/similarity-pbc --reuse results/leaderboard-pbc
	$(BIN)/coreset_nb experiment --config similarity-bloodmnist --reuse results/similarity-bloodmnist --reuse results/leaderboard-bloodmnist
	$(MAKE) results-tables

# The leaderboard's robustness block: label noise (10%, 30%) and long tails (ratio 10, 50) of the training pool, PBC and
# BloodMNIST, the transfer model at 0.5-10%, 5 seeds (configs/robust-*.yaml; eight grids of 200 cells, resumable).
ROBUST_GRIDS := $(foreach c,noise10 noise30 lt10 lt50,$(foreach d,pbc bloodmnist,robust-$(c)-$(d)))
robustness: $(STAMP)
	@for grid in $(ROBUST_GRIDS); do $(BIN)/coreset_nb experiment --config $$grid --dask --workers 2 || exit 1; done
	$(MAKE) results-tables

# The CNN's seed-to-seed noise per training protocol (results/cnn-noise; ~2.5 h on 2 cores from nothing), and
# the same cells with TensorFlow's default threads (results/cnn-noise-threads), then the tables (results/cnn-noise/noise.md).
# Resumes from the committed results (--reuse): only the cells it lacks are run. The chosen protocol's cells are cells of
# the low-noise selector grid too (the same cell ids), so that grid's committed rows count.
cnn-noise: $(STAMP)
	$(BIN)/coreset_nb experiment --config cnn-noise $(if $(wildcard results/cnn-noise/results.csv),--reuse results/cnn-noise) $(if $(wildcard results/cnn-selectors-lownoise/results.csv),--reuse results/cnn-selectors-lownoise) --dask --workers 2 --quiet
	$(BIN)/coreset_nb experiment --config cnn-noise-threads $(if $(wildcard results/cnn-noise-threads/results.csv),--reuse results/cnn-noise-threads) --quiet
	$(BIN)/python tools/make_tables.py

# Both models on every selector and budget under the low-noise protocol (results/cnn-selectors-lownoise;
# ~3.5 h on 2 cores from nothing, resumable), then the tables and the README's verdict lines.
cnn-grid: $(STAMP)
	$(BIN)/coreset_nb experiment --config cnn-selectors-lownoise $(if $(wildcard results/cnn-selectors-lownoise/results.csv),--reuse results/cnn-selectors-lownoise) --dask --workers 2 --quiet
	$(BIN)/python tools/make_tables.py

# README's one-page walk-through, from nbs/index.ipynb (executed; figures in nbs/index_files/).
readme: $(STAMP)
	$(BIN)/python tools/make_readme.py

# Every notebook's Open-in-Colab badge and Colab install cell, generated from settings.ini (git_url, user, repo, branch).
colab: $(STAMP)
	$(BIN)/python tools/colab_cells.py

# The docs site from the notebooks and their committed outputs (MkDocs + mkdocs-jupyter; nbs/sidebar.yml's order, the
# paper's notebooks first) into _site/; nothing is executed. The docs requirements (settings.ini) are installed once.
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP) settings.ini
	$(BIN)/uv pip install -q --python $(BIN)/python $$(sed -n 's/^docs_requirements *= *//p' settings.ini)
	touch $@

docs: $(DOCS_STAMP)
	$(BIN)/python tools/make_docs.py

# The built site in headless Chromium (tests/test_docs.py, marked browser): every page's title, no traceback, the paper's
# pages' figures load. Installs Debian's chromium and chromium-driver when missing (CI runs this after `make test`).
docs-check: $(DOCS_STAMP)
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	CORESET_NB_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/test_docs.py -q -rs -m browser -p no:cacheprovider

results-tables: $(STAMP)
	$(BIN)/python tools/make_tables.py

# The committed full-PBC grids' verdicts that `reproduce` prints beside its own (coreset_nb/assets/full_pbc_verdicts.csv).
full-pbc-verdicts: $(STAMP)
	$(BIN)/python tools/make_tables.py --verdicts

# The ablation notebooks of paper_figures/ on full PBC and BloodMNIST (../shared/data; ~1-2 h on 2 CPU
# cores, resumable: finished runs are cell files under results/ablations/runs/). Executed notebooks, figures and
# tables go to results/ablations/<name>/. One ablation: make ablations ABLATIONS=k_choice
ABLATIONS ?= k_choice allocation pca_variance backbone second_dataset
ablations: $(STAMP)
	@for n in $(ABLATIONS); do mkdir -p results/ablations/$$n; \
	  echo "== ablation_$$n"; \
	  $(BIN)/papermill -k python3 --cwd $(CURDIR) --log-output paper_figures/ablation_$$n.ipynb \
	    results/ablations/$$n/ablation_$$n.ipynb -p out_dir results/ablations/$$n || exit 1; done

clean-venv:
	rm -rf $(VENV) $(SKX)
