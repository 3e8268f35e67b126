"""Typed settings, read from ONEMAP_* environment variables once, by the app factory or the CLI."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Everything onemap can be configured with; every field has a working default."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL of an external PostGIS; when unset onemap runs its own cluster",
    )
    home: Path = Field(
        default=REPOSITORY_ROOT / ".onemap",
        description="where the project-local cluster, logs and caches live",
    )
    database_name: str = Field(default="onemap", description="database of the project-local cluster")
    pg_bin: Path | None = Field(
        default=None, description="PostgreSQL server binaries (initdb, pg_ctl); found when unset"
    )
    pg_port: int = Field(default=54329, description="preferred port of the project-local cluster")
    data_dir: Path = Field(default=REPOSITORY_ROOT / "data", description="the shipped demo data")
    assets_dir: Path = Field(default=REPOSITORY_ROOT / "node_modules",
                             description="npm assets of the web page (MapLibre GL JS)")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None, description="base URL clients reach onemap at (behind a proxy); links in OGC API "
                                  "responses use it. Unset: the URL of each request")
    registry_ttl_s: float = Field(
        default=2.0, description="how often (seconds) the OGC API and the tiles re-check the layer "
                                 "registry for new layers")
    pool_min_size: int = 1
    pool_max_size: int = 10
    connect_timeout_s: float = 5.0
    log_level: str = "info"

    @property
    def log_dir(self) -> Path:
        return self.home / "log"
