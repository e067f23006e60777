"""Model registry: bundled models from installed packages, user-added GGUF files, remote servers."""

from muselab.models.registry import BUNDLED, DEFAULT_MODEL, TEST_MODEL, ModelError, ModelInfo, Registry

__all__ = ["BUNDLED", "DEFAULT_MODEL", "TEST_MODEL", "ModelError", "ModelInfo", "Registry"]
