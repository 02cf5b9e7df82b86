"""The service with ``DOCINTAKE_BLOB_URL=s3://bucket/prefix`` on a real S3 server (SeaweedFS):
uploads, processing, content downloads and page images all go through the bucket, and an S3
outage is a retryable 503, not a crash."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from docintake.api.app import create_app
from docintake.services.container import Container
from docintake.settings import Settings
from docintake.storage.migrate import upgrade
from docintake.storage.s3 import S3BlobStore
from docintake.tasks import HueyQueue
from tests.conftest import Service, Tenant, make_pdf
from tests.s3_fixtures import s3_settings
from tests.servers import S3Server, free_port

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@contextmanager
def s3_service(tmp_path: Path, **overrides: object) -> Iterator[Service]:
    """Like the ``service`` fixture of tests/conftest.py (tasks run inline), with S3 blobs."""
    settings = Settings(data_dir=tmp_path / "data", **overrides)  # type: ignore[arg-type]
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    container = Container.from_settings(settings, queue=HueyQueue(settings, immediate=True))
    with TestClient(create_app(settings, container)) as client:
        svc = Service(client, container, settings, Tenant("", ""))
        svc.tenant = svc.new_tenant("acme", "production")
        yield svc
    container.close()


def _upload(service: Service, name: str, data: bytes) -> dict[str, Any]:
    answer = service.client.post(
        "/v1/ingest/uploads",
        files=[("files", (name, data, "application/pdf"))],
        headers=service.tenant.headers,
    )
    assert answer.status_code == 201, answer.text
    ref: dict[str, Any] = answer.json()["files"][0]
    return ref


def _keys(server: S3Server, bucket: str) -> set[str]:
    client: Any = server.client()
    return {item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_files_and_page_images_live_in_the_bucket(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    with s3_service(tmp_path, **s3_settings(s3_server, s3_bucket, "tenants")) as service:
        assert isinstance(service.container.blobs, S3BlobStore)
        env = service.tenant.environment_id
        data = make_pdf(2)
        sha = hashlib.sha256(data).hexdigest()
        ref = _upload(service, "invoice.pdf", data)

        state = service.client.get(f"/v1/ingest/files/{ref['id']}", headers=service.tenant.headers)
        assert state.json()["status"] == "processed", state.text
        original = f"tenants/{env}/{sha[:2]}/{sha}"
        assert original in _keys(s3_server, s3_bucket)
        assert not list((service.settings.data_dir / "blobs").rglob("*.*")), "bytes went to the disk"

        content = service.client.get(f"/v1/ingest/files/{ref['id']}/content", headers=service.tenant.headers)
        assert content.status_code == 200, content.text
        assert content.content == data

        page_url = f"/v1/documents/{ref['documentId']}/pages/2.png"
        page = service.client.get(page_url, headers=service.tenant.headers)
        assert page.status_code == 200, page.text
        assert page.content.startswith(PNG_SIGNATURE)
        width, height = Image.open(io.BytesIO(page.content)).size
        assert abs(width - 1240) <= 1 and abs(height - 1754) <= 1  # A4 at 150 dpi
        stored = f"tenants/{env}/pages/{sha}/2-150.png"
        assert stored in _keys(s3_server, s3_bucket)

        # The stored image is what later requests get: it is served even without the original.
        client: Any = s3_server.client()
        client.delete_object(Bucket=s3_bucket, Key=original)
        again = service.client.get(page_url, headers=service.tenant.headers)
        assert again.status_code == 200, again.text
        assert again.content == page.content
        other_page = service.client.get(
            f"/v1/documents/{ref['documentId']}/pages/1.png", headers=service.tenant.headers
        )
        assert other_page.status_code == 404  # not rendered before, and its original is gone


def test_an_unreachable_store_is_a_retryable_503(tmp_path: Path) -> None:
    nobody = S3Server(f"http://127.0.0.1:{free_port()}", "key", "secret")
    with s3_service(tmp_path, **s3_settings(nobody, "bucket")) as service:
        answer = service.client.post(
            "/v1/ingest/uploads",
            files=[("files", ("invoice.pdf", make_pdf(1), "application/pdf"))],
            headers=service.tenant.headers,
        )
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "storage_unavailable"

        ready = service.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["blobStore"].startswith("error")
        assert service.client.get("/healthz").status_code == 200  # the process itself is fine
