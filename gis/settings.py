"""Typed settings, read from ONEMAP_* environment variables once, by the app factory or the CLI."""

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Everything onemap can be configured with; every field has a working default."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_", extra="ignore", populate_by_name=True)

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
    cors_origins: str = Field(
        default="*", description="web origins whose pages may call onemap from the browser (CORS): `*` "
        "for any, a comma-separated list (https://map.city.gov.cn,…), or empty for none. Tokens travel in "
        "the Authorization header, never as cookies, so `*` gives a page no more than its token allows")
    registry_ttl_s: float = Field(
        default=2.0, description="how often (seconds) the OGC API and the tiles re-check the layer "
                                 "registry for new layers")
    feeds_retention_days: int = Field(
        default=90, ge=1, description="GPS fixes older than this many days are dropped (onemap feeds prune)")
    feeds_max_speed_kmh: float = Field(
        default=150.0, gt=0, description="a fix implying a faster jump from the last one is flagged")
    feeds_future_tolerance_s: float = Field(
        default=120.0, ge=0, description="fixes dated further ahead of the server clock are rejected")
    feeds_extent_margin_m: float = Field(
        default=3000.0, ge=0, description="fixes farther than this outside the city's counties are rejected")
    feeds_max_body_bytes: int = Field(
        default=2_000_000, gt=0, description="larger ingest request bodies are refused with 413")
    feeds_max_batch: int = Field(default=5000, gt=0, description="most fixes or reports in one request")
    feeds_stream_token_check_s: float = Field(
        default=5.0, gt=0, description="how often (seconds) an open event stream (GET /feeds/events) checks "
        "its caller's bearer token again; the stream of a revoked token ends within this time")
    tiles_cache_mb: float = Field(default=256.0, ge=0, description="in-process LRU of encoded tiles (MB)")
    tiles_cache_dir: Path | None = Field(default=None, description="optional shared disk tier of the "
                                         "tile cache (written by `onemap tiles seed` and the server)")
    tiles_live_ttl_s: float = Field(default=5.0, ge=0, description="cache lifetime of live layers "
                                    "(vehicles, cases) in tiles; 0 bypasses the cache for them")
    tiles_change_poll_s: float = Field(default=1.0, ge=0, description="how often (seconds) the tile "
                                       "cache reads the database's change log to invalidate tiles")
    tiles_render_concurrency: int = Field(
        default=4, ge=1, description="tiles one worker renders in PostgreSQL at once; more requests queue "
        "in the worker (a render is CPU work in PostgreSQL: past two per core, extra ones only lengthen "
        "every answer)")
    tiles_cluster_max_zoom: int = Field(default=15, ge=0, le=24, description="point layers are "
                                        "aggregated per grid cell up to this zoom")
    tiles_cluster_min_zoom: int = Field(default=10, ge=0, le=24, description="lowest zoom at which "
                                        "point layers appear (as aggregates)")
    geocode_jobs_max: int = Field(
        default=8, ge=1, description="batch geocoding jobs a server process keeps at once (waiting, running, "
        "or finished and not yet expired); one more is refused with 503 and Retry-After")
    geocode_jobs_concurrency: int = Field(
        default=1, ge=1, description="batch geocoding jobs a server process runs at once; the others wait "
        "their turn (a job is CPU work in Python, which holds the GIL: more at once would share one core "
        "with single geocoding; reasoned, not measured)")
    geocode_job_ttl_s: float = Field(
        default=1800.0, gt=0, description="seconds a finished batch geocoding job and its result are kept "
        "before they are forgotten")
    timezone: str = Field(
        default="Asia/Shanghai", validation_alias=AliasChoices("ONEMAP_TIMEZONE", "ONEMAP_CASE_TIMEZONE"),
        description="the city's local time: the case calendar, and every date or time given without an "
        "offset (OGC `datetime` and `as_of`, `onemap export --as-of`, the case commands). "
        "ONEMAP_CASE_TIMEZONE, its earlier name, is still read")
    case_work_periods: str = Field(default="09:00-12:00,14:00-18:00",
                                   description="working periods of a working day (case deadlines)")
    case_due_soon_fraction: float = Field(default=0.2, gt=0, lt=1, description="an open case is due "
                                          "soon when less than this fraction of its allowed time is left")
    pool_min_size: int = 1
    pool_max_size: int = 10
    ogc_threads: int = Field(
        default=2, ge=1, description="threads per server process that run the OGC API's GeoJSON items "
                                     "pages and single items; more than a few only queue for Python's "
                                     "GIL and hold up the event loop (measured: bench/ogc_threads.py)")
    connect_timeout_s: float = 5.0
    log_level: str = "info"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai") from None
        return name

    @property
    def zone(self) -> ZoneInfo:
        """The city's local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def log_dir(self) -> Path:
        return self.home / "log"
