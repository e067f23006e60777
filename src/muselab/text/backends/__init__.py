"""Text backends: llama.cpp in this process, or an OpenAI-compatible server. A recipe names a model, not a library."""

from __future__ import annotations

from muselab.models import ModelInfo, Registry
from muselab.text.backends.base import Backend, BackendError, Candidate, GenStats, TokenInfo

__all__ = ["Backend", "BackendError", "Candidate", "GenStats", "TokenInfo", "backend_for"]


def backend_for(model: str | None, registry: Registry | None = None) -> tuple[Backend, ModelInfo]:
    """The backend serving a registered model (joined and verified first when local). Raises ModelError."""
    registry = registry or Registry()
    info = registry.get(model)
    if info.kind == "remote":
        from muselab.text.backends.openai_remote import OpenAIRemoteBackend

        return OpenAIRemoteBackend(info.base_url or "", info.remote_model or "", api_key=info.key(),
                                   context_length=info.context_length, label=info.name), info
    info = registry.ensure_local(info.name)
    from muselab.text.backends.llamacpp import LlamaCppBackend

    return LlamaCppBackend(info.path or ""), info
