"""deploy/docker-compose.yml: no Docker engine runs here, so read it and check what can go wrong
without one: settings names that do not exist, URLs docintake cannot open, services missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from sqlalchemy.engine import make_url

from docintake.settings import Settings
from docintake.storage.blobs import BLOB_STORES
from docintake.tasks import QUEUE_BACKENDS

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
DOCINTAKE_SERVICES = ("migrate", "api", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return loaded


def environment(compose: dict[str, Any], service: str) -> dict[str, str]:
    env = compose["services"][service].get("environment", {})
    if isinstance(env, list):  # the KEY=value form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def settings_of(compose: dict[str, Any], service: str) -> Settings:
    """The Settings a service's container builds from its DOCINTAKE_* variables."""
    env = environment(compose, service)
    values = {key.removeprefix("DOCINTAKE_").lower(): value for key, value in env.items()}
    return Settings.model_validate({k: v for k, v in values.items() if k in Settings.model_fields})


def test_every_docintake_variable_is_a_setting(compose: dict[str, Any]) -> None:
    unknown = {
        f"{service}: {key}"
        for service in compose["services"]
        for key in environment(compose, service)
        if key.startswith("DOCINTAKE_")
        and key.removeprefix("DOCINTAKE_").lower() not in Settings.model_fields
    }
    assert not unknown, f"not fields of Settings: {sorted(unknown)}"
    for service in DOCINTAKE_SERVICES:
        settings_of(compose, service)  # and every value parses as its field's type


def test_the_services_of_a_scaled_out_setup(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"api", "worker", "migrate", "postgres", "redis", "seaweedfs"} <= services.keys()
    assert "serve" in services["api"]["command"]
    assert settings_of(compose, "api").embedded_worker is False
    assert "worker" in services["worker"]["command"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert "migrate" in services["migrate"]["command"]
    for service in ("api", "worker"):
        assert services[service]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "-s3" in services["seaweedfs"]["command"]
    assert services["seaweedfs"]["image"].startswith("chrislusf/seaweedfs")


def test_urls_use_the_schemes_docintake_opens(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for service in DOCINTAKE_SERVICES:
        settings = settings_of(compose, service)
        database = make_url(settings.database_url)
        assert database.drivername == "postgresql+psycopg"
        database.get_dialect()  # the driver is installed
        assert database.host in services
        queue = urlparse(settings.queue_url)
        assert queue.scheme == "redis" and queue.scheme in QUEUE_BACKENDS
        assert queue.hostname in services
        blobs = urlparse(settings.blob_url)
        assert blobs.scheme == "s3" and blobs.scheme in BLOB_STORES
        assert blobs.netloc, "s3://bucket/prefix names a bucket"
        assert urlparse(settings.blob_s3_endpoint_url).hostname == "seaweedfs"


def test_credentials_agree_between_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    settings = settings_of(compose, "api")
    postgres = environment(compose, "postgres")
    database = make_url(settings.database_url)
    assert (database.username, database.password, database.database) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    identities = json.loads((DEPLOY / "seaweedfs-s3.json").read_text())["identities"]
    pairs = {(c["accessKey"], c["secretKey"]) for identity in identities for c in identity["credentials"]}
    assert (settings.blob_s3_access_key_id, settings.blob_s3_secret_access_key.get_secret_value()) in pairs
    bucket = environment(compose, "create-bucket")
    assert (bucket["AWS_ACCESS_KEY_ID"], bucket["AWS_SECRET_ACCESS_KEY"]) in pairs
    assert f"s3://{urlparse(settings.blob_url).netloc}" in " ".join(services["create-bucket"]["command"])


def test_api_and_workers_share_the_metrics_directory(compose: dict[str, Any]) -> None:
    """Workers' stage timings reach the API's /metrics only through one directory (one machine)."""
    services = compose["services"]
    directory = settings_of(compose, "api").metrics_dir
    assert directory and settings_of(compose, "worker").metrics_dir == directory
    for service in ("api", "worker"):
        mounts = [volume.split(":") for volume in services[service]["volumes"]]
        assert ["metrics", directory] in mounts
