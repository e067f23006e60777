"""Settings, read from the environment (MUSELAB_*) with embedded defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUSELAB_", extra="ignore")

    data_dir: Path = Field(default=Path.home() / ".muselab", description="Where the library, blobs and models live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir.")
    api_key: str | None = Field(default=None, description="Bearer token required by the HTTP API when set.")
    workers: int = Field(default=2, ge=1, le=64, description="Jobs run at once by the in-process worker pool.")
    max_upload_mb: int = Field(default=200, ge=1, description="Largest upload accepted by the HTTP API.")
    host: str = "127.0.0.1"
    port: int = 8000

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
