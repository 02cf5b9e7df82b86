"""Fixtures for tests against a real S3 server (SeaweedFS on loopback, from ``tests.servers``).

``tests/conftest.py`` registers them for every test as ``s3_server`` (one server for the whole
session: it takes seconds to start) and ``s3_bucket``. Each test gets its own bucket,
emptied and deleted afterwards: SeaweedFS gives every bucket its own volumes, and the test server
has room for only a few buckets at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import S3Server, seaweedfs


def _empty_and_delete(client: Any, bucket: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(scope="session", name="s3_server")
def s3_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        client: Any = server.client()
        # The start-up probe leaves a bucket behind; its volumes are better spent on tests.
        for bucket in client.list_buckets().get("Buckets", []):
            if bucket["Name"].startswith("probe-"):
                _empty_and_delete(client, bucket["Name"])
        yield server


@pytest.fixture(name="s3_bucket")
def s3_bucket_fixture(s3_server: S3Server) -> Iterator[str]:
    bucket = s3_server.new_bucket()
    yield bucket
    _empty_and_delete(s3_server.client(), bucket)


def s3_settings(
    server: S3Server, bucket: str, prefix: str = "blobs", **overrides: object
) -> dict[str, object]:
    """Settings overrides that put a service's blobs in ``bucket`` on ``server``."""
    values: dict[str, object] = {
        "blob_url": f"s3://{bucket}/{prefix}",
        "blob_s3_endpoint_url": server.endpoint,
        "blob_s3_region": server.region,
        "blob_s3_access_key_id": server.access_key,
        "blob_s3_secret_access_key": server.secret_key,
    }
    values.update(overrides)
    return values
