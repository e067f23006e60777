"""Settings, read from the environment (MUSELAB_*) with embedded defaults."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUSELAB_", extra="ignore")

    data_dir: Path = Field(default=Path.home() / ".muselab", description="Where the library, blobs and models live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir.")
    api_key: str | None = Field(default=None, description="Bearer token required by the HTTP API when set.")
    workers: int = Field(default=2, ge=1, le=64, description="Jobs run at once by the in-process worker pool.")
    max_upload_mb: int = Field(default=200, ge=1, description="Largest upload accepted by the HTTP API.")
    max_import_mb: int = Field(default=2048, ge=1, description="Largest library archive (zip) the HTTP API imports.")
    max_request_mb: int = Field(default=16, ge=1, description="Largest JSON request body the HTTP API reads.")
    max_video_mb: int = Field(default=4096, ge=1, description="Largest video the HTTP API imports.")
    max_video_minutes: float = Field(default=180, gt=0, description="Longest video the studio imports.")
    host: str = "127.0.0.1"
    port: int = 8000
    # Who may name what: web and API callers reach server files only inside these folders (the CLI
    # runs as the owner and may name any file). Separated like PATH: /srv/corpora:/srv/fonts
    allowed_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Folders whose files web and API recipes may name (os.pathsep-separated).")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Extra Host names the server answers to (comma-separated), e.g. "
        "studio.example.org; loopback names are always accepted.")
    # Resource ceilings belong to the owner, not to whoever writes a recipe.
    max_train_memory_gb: float = Field(default=8.0, gt=0, description="Training runs estimated above this refuse.")
    max_input_notes: int = Field(default=20_000, ge=100, description="Most notes read from a user's MIDI file.")
    max_image_megapixels: float = Field(default=50.0, gt=0, description="Largest picture (in megapixels) accepted.")

    @field_validator("allowed_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value):
        if isinstance(value, str):
            return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value):
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'muselab.db'}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


@lru_cache
def get_settings() -> Settings:
    return Settings()
