"""The one settings class: every knob of docintake, read from ``DOCINTAKE_*`` environment variables.

Nothing else in the code base reads ``os.environ``. The deployment URLs (data dir, database,
queue, blob store) are flat at the top level because they are what an operator sets first; the
limits below them have safe defaults and are documented in the README (a test keeps the two in
step).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """docintake's configuration. Field descriptions double as the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="DOCINTAKE_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"),
        description="Directory for the embedded database, queue and blobs.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the database; empty means SQLite at DATA_DIR/docintake.db.",
    )
    queue_url: str = Field(
        default="",
        description="Task queue URL; empty means a SQLite queue at DATA_DIR/queue.db.",
    )
    blob_url: str = Field(
        default="",
        description="Where file bytes live; empty means the local directory DATA_DIR/blobs.",
    )
    blob_s3_endpoint_url: str = Field(
        default="",
        description="Endpoint of the S3-compatible store of an s3:// BLOB_URL (e.g. http://seaweedfs:8333); "
        "empty means AWS S3.",
    )
    blob_s3_region: str = Field(default="us-east-1", description="Region of the s3:// blob store.")
    blob_s3_access_key_id: str = Field(
        default="", description="Access key id for the s3:// blob store; empty means boto3's own chain."
    )
    blob_s3_secret_access_key: SecretStr = Field(
        default=SecretStr(""), description="Secret key for the s3:// blob store (never logged)."
    )
    blob_s3_part_mb: int = Field(
        default=16, description="Files larger than this go to S3 as a multipart upload of parts this size."
    )
    queue_name: str = Field(
        default="docintake",
        description="Name of the task queue (its Redis key prefix): deployments sharing one Redis need "
        "different names.",
    )
    max_queue_depth: int = Field(
        default=10000,
        description="Intake answers 503 with Retry-After while more tasks than this wait; 0 means no limit.",
    )
    database_pool_size: int = Field(
        default=5, description="Database connections each process keeps open (PostgreSQL)."
    )
    database_max_overflow: int = Field(
        default=5, description="Extra database connections a process may open at peaks (PostgreSQL)."
    )
    metrics_dir: str = Field(
        default="",
        description="Directory where API and worker processes of one machine share their Prometheus "
        "samples; empty means DATA_DIR/metrics.",
    )
    url_allowlist: Annotated[list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated CIDRs that URL fetching and webhooks may reach although they are "
            "private, loopback or link-local (e.g. 10.0.0.0/8,127.0.0.2/32)."
        ),
    )

    host: str = Field(default="127.0.0.1", description="Address `docintake serve` binds to.")
    port: int = Field(default=8000, description="Port `docintake serve` listens on.")
    workers: int = Field(default=1, description="Worker processes the embedded or standalone worker runs.")
    embedded_worker: bool = Field(
        default=True, description="Whether `docintake serve` starts a worker process beside the API."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")

    max_request_bytes: int = Field(
        default=512 * 1024 * 1024, description="Largest accepted request body (413 above it)."
    )
    max_file_bytes: int = Field(
        default=200 * 1024 * 1024, description="Largest accepted single file, uploaded, fetched or unzipped."
    )
    max_files_per_request: int = Field(default=500, description="Most files one upload request may carry.")
    zip_max_entries: int = Field(
        default=1000, description="Most zip entries one request may unpack, nested zips included."
    )
    zip_max_total_bytes: int = Field(
        default=1024 * 1024 * 1024,
        description="Most uncompressed bytes the zips of one request may expand to, nested zips included.",
    )
    zip_max_ratio: int = Field(
        default=200, description="Highest compression ratio of a zip entry before it counts as a zip bomb."
    )
    zip_max_depth: int = Field(
        default=2, description="Levels of zips unpacked: 2 = an uploaded zip and the zips directly inside it."
    )

    url_timeout_seconds: float = Field(default=30.0, description="Timeout for each URL fetch step.")
    url_max_redirects: int = Field(default=5, description="Most redirects followed when fetching a URL.")

    api_key_prefix: str = Field(default="dik_", description="Prefix of generated API keys.")
    token_ttl_seconds: int = Field(default=12 * 3600, description="Lifetime of web access tokens.")
    idempotency_ttl_seconds: int = Field(
        default=24 * 3600, description="How long Idempotency-Key answers are kept."
    )

    task_timeout_seconds: int = Field(default=300, description="Processing time allowed for one file.")
    processing_lease_seconds: int = Field(
        default=900,
        description="A file still `processing` this long after its last update is re-queued (its worker died).",
    )
    worker_memory_mb: int = Field(
        default=4096,
        description="Address-space (virtual memory) limit of each worker process in MiB; 0 disables it.",
    )
    ocr_engine_speed: str = Field(default="tesseract", description="OCR engine for `speed` files.")
    ocr_engine_accuracy: str = Field(
        default="rapidocr-fast",
        description="OCR engine for `accuracy` files (RapidOCR, text found on a 960 px copy: slower than "
        "Tesseract, reads accents and worn receipts; `rapidocr` finds text at 1600 px).",
    )
    ocr_languages: str = Field(
        default="eng",
        description="Tesseract languages, joined by + (e.g. eng+deu+fra); each one slows recognition down.",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        description="Timeout of each step (connect, send, each read) of one webhook request; a receiver "
        "slower than this counts as a failed attempt.",
    )
    webhook_retry_schedule: str = Field(
        default="5s,5m,30m,2h,5h,10h,10h",
        description="Waits before each retry of a failed webhook delivery (s, m, h suffixes); after the "
        "last the delivery is `failed`. The default spreads 8 attempts over about 28 hours.",
    )
    webhook_retry_jitter: float = Field(
        default=0.2,
        description="Each retry wait is randomised by up to this fraction either way, so the retries "
        "of many deliveries do not hit a recovering receiver at once.",
    )
    webhook_retry_after_max_seconds: float = Field(
        default=21600.0,
        description="Longest `Retry-After` a receiver can ask for; a retry never goes out sooner than "
        "a receiver asked, up to this.",
    )
    webhook_disable_after_failures: int = Field(
        default=20,
        description="An endpoint is disabled (with the reason) once this many requests in a row have "
        "failed, over at least WEBHOOK_DISABLE_AFTER_SECONDS; its pending deliveries wait for re-enabling.",
    )
    webhook_disable_after_seconds: float = Field(
        default=86400.0,
        description="How long an endpoint must have been failing, without one success, before it is "
        "disabled (see WEBHOOK_DISABLE_AFTER_FAILURES).",
    )
    webhook_secret_grace_seconds: int = Field(
        default=86400,
        description="After a secret rotation, how long the old secret still signs deliveries beside the new one.",
    )

    bootstrap_account: str = Field(default="default", description="Account created on first start.")
    bootstrap_environment: str = Field(
        default="production", description="Environment created on first start."
    )

    @field_validator("url_allowlist", mode="before")
    @classmethod
    def _split_cidrs(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        parse_durations(value)
        return value

    @property
    def webhook_retry_delays(self) -> list[float]:
        """The retry schedule in seconds: wait ``[n]`` after the attempt number ``n + 1`` failed."""
        return parse_durations(self.webhook_retry_schedule)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'docintake.db'}"

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{self.data_dir.resolve() / 'queue.db'}"

    @property
    def resolved_blob_url(self) -> str:
        return self.blob_url or f"file://{self.data_dir.resolve() / 'blobs'}"

    @property
    def resolved_metrics_dir(self) -> Path:
        return Path(self.metrics_dir) if self.metrics_dir else self.data_dir.resolve() / "metrics"

    @property
    def tmp_dir(self) -> Path:
        """Spool directory for uploads in flight; on the data volume so a finished spool is a rename."""
        return self.data_dir.resolve() / "tmp"


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?")


def parse_durations(text: str) -> list[float]:
    """``"5s,5m,2h"`` -> ``[5.0, 300.0, 7200.0]`` (a bare number is seconds); raises ValueError on
    anything else, so a mistyped schedule stops the process at start-up, not at the first retry."""
    delays: list[float] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = _DURATION_RE.fullmatch(part)
        if match is None:
            raise ValueError(f"{part!r} is not a duration (e.g. 30s, 5m, 2h)")
        delays.append(float(match.group(1)) * _UNITS[match.group(2) or "s"])
    return delays


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_markdown() -> str:
    """The README's settings table, generated from the fields above (a test keeps them equal)."""
    lines = ["| Variable | Default | What it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, list):
            default = ",".join(str(item) for item in default)
        if isinstance(default, SecretStr):
            default = default.get_secret_value()
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        lines.append(f"| `DOCINTAKE_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines)
