"""Shared fixtures: a fresh data directory, an app wired to it, and files generated on the fly."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from docintake.api.app import create_app
from docintake.services.auth import create_api_key, ensure_environment
from docintake.services.container import Container
from docintake.settings import Settings
from docintake.storage.migrate import upgrade
from docintake.tasks import HueyQueue
from tests.pdfgen import text_pdf
from tests.s3_fixtures import s3_bucket_fixture, s3_server_fixture, s3_settings  # noqa: F401 - registered for every test
from tests.servers import postgres_database, postgres_template, require_redis


def make_pdf(pages: int = 1, *, seed: int = 0) -> bytes:
    """A real PDF with ``pages`` pages and a text layer; every call gives new bytes (a random
    reference is printed on the first page), ``seed`` changes the printed invoice number."""
    token = uuid.uuid4().hex[:12].upper()
    content = [
        [f"INVOICE No 2024-{seed:04d}", f"Reference {token}", f"Page {n + 1} of {pages}", "Total 19.98 EUR"]
        for n in range(pages)
    ]
    return text_pdf(content)


def make_scanned_pdf(pages: int = 1) -> bytes:
    """A PDF of blank pages: no text layer, so the pipeline must render and OCR it."""
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def make_png(text: str = "INVOICE 42", size: tuple[int, int] = (400, 200)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((20, 80), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_tiff(pages: int = 2) -> bytes:
    frames = [Image.new("L", (300, 400), 255 - 20 * i) for i in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def make_zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Tenant:
    key: str
    environment_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}


@dataclass
class Service:
    client: TestClient
    container: Container
    settings: Settings
    tenant: Tenant

    def new_tenant(self, account: str, environment: str) -> Tenant:
        with self.container.db.session() as session:
            env = ensure_environment(session, account, environment)
            _, key = create_api_key(session, env.id, "test", "dik_")
            return Tenant(key, env.id)


def build_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", **overrides)  # type: ignore[arg-type]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change settings for its service."""
    return {}


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """One migrated PostgreSQL database per session, copied for each test (much faster than migrating)."""
    with postgres_template() as name:
        yield name


@pytest.fixture(params=["embedded", pytest.param("scaled", marks=pytest.mark.scaled)])
def backend(request: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """Where the service keeps its state. Every test of the ``service`` fixture runs twice: on the
    embedded defaults (SQLite, the SQLite queue, local blobs) and scaled out (PostgreSQL, Redis and
    an S3 server), skipping the second with the reason where a server is absent."""
    if request.param == "embedded":
        yield {}
        return
    redis_url = require_redis()
    template = request.getfixturevalue("pg_template")
    s3 = s3_settings(request.getfixturevalue("s3_server"), request.getfixturevalue("s3_bucket"))
    with postgres_database(template) as database_url:
        queue = {"queue_url": redis_url, "queue_name": f"test-{uuid.uuid4().hex[:8]}"}
        yield {"database_url": database_url, **queue, **s3}


@pytest.fixture
def service(
    tmp_path: Path, backend: dict[str, object], settings_overrides: dict[str, object]
) -> Iterator[Service]:
    """The app over HTTP (ASGI), with tasks run inline so statuses are final when a POST returns."""
    settings = build_settings(tmp_path, **{**backend, **settings_overrides})
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    container = Container.from_settings(settings, queue=HueyQueue(settings, immediate=True))
    app = create_app(settings, container)
    with TestClient(app) as client:
        svc = Service(client, container, settings, Tenant("", ""))
        svc.tenant = svc.new_tenant("acme", "production")
        yield svc
    container.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*.json from the current pipeline output",
    )
