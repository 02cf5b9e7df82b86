"""The `docintake` command: migrate, keys, users and extract, against a real data directory."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from docintake.api.app import create_app
from docintake.cli import app as cli_app
from docintake.settings import Settings, get_settings
from tests.conftest import make_pdf
from tests.s3_fixtures import s3_settings
from tests.servers import S3Server

KEY = re.compile(r"^dik_[0-9a-f]{8}_[0-9a-f]{64}$")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "data"
    monkeypatch.setenv("DOCINTAKE_DATA_DIR", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> Result:
    get_settings.cache_clear()  # every invocation reads the environment afresh, like a new process
    return CliRunner().invoke(cli_app, list(args), input=input)


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    """The API over the same data directory the CLI writes to."""
    assert run("migrate").exit_code == 0
    with TestClient(create_app(Settings(data_dir=data_dir))) as test_client:
        yield test_client


def create_key(*extra: str) -> str:
    result = run("keys", "create", *extra)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert KEY.match(lines[0]), lines[0]
    return lines[0]


def test_migrate_creates_the_database(data_dir: Path) -> None:
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    database = data_dir / "docintake.db"
    assert database.is_file()
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type='table'")}
    assert {"accounts", "environments", "api_keys", "users", "files", "imports"} <= tables
    # running it again is harmless
    assert run("migrate").exit_code == 0


def test_keys_create_prints_only_the_key_and_it_authenticates(data_dir: Path, client: TestClient) -> None:
    key = create_key("--account", "a", "--environment", "e", "--name", "erp")
    response = client.get("/v1/imports", headers={"x-api-key": key})
    assert response.status_code == 200, response.text
    # it belongs to account a / environment e: an upload answers with ids of that environment
    upload = client.post(
        "/v1/ingest/uploads",
        headers={"x-api-key": key},
        files={"files": ("a.pdf", make_pdf(), "application/pdf")},
    )
    assert upload.status_code == 201
    env_id = upload.json()["environmentId"]
    with sqlite3.connect(data_dir / "docintake.db") as connection:
        row = connection.execute(
            "select a.name, e.name from environments e join accounts a on a.id = e.account_id where e.id = ?",
            (env_id,),
        ).fetchone()
        hashes = [r[0] for r in connection.execute("select key_hash from api_keys")]
    assert row == ("a", "e")
    assert key not in hashes
    assert all(key.rsplit("_", 1)[1] not in h for h in hashes)


def test_keys_for_two_environments_are_separate(data_dir: Path, client: TestClient) -> None:
    first = create_key("--account", "a", "--environment", "e")
    second = create_key("--account", "a", "--environment", "sandbox")
    same_env = create_key("--account", "a", "--environment", "e")
    upload = client.post(
        "/v1/ingest/uploads",
        headers={"x-api-key": first},
        files={"files": ("a.pdf", make_pdf(), "application/pdf")},
    )
    import_id = upload.json()["importId"]
    assert client.get(f"/v1/imports/{import_id}", headers={"x-api-key": same_env}).status_code == 200
    assert client.get(f"/v1/imports/{import_id}", headers={"x-api-key": second}).status_code == 404


def test_keys_create_defaults_to_the_bootstrap_environment(data_dir: Path) -> None:
    create_key()
    listing = run("keys", "list")
    assert listing.exit_code == 0
    assert "default/production" in listing.stdout


def test_keys_list_shows_prefixes_never_keys(data_dir: Path, client: TestClient) -> None:
    key = create_key("--account", "a", "--environment", "e", "--name", "billing")
    prefix = key.rsplit("_", 1)[0]
    listing = run("keys", "list")
    assert listing.exit_code == 0, listing.output
    assert prefix in listing.stdout
    assert "a/e" in listing.stdout
    assert "billing" in listing.stdout
    assert key not in listing.output
    assert key.rsplit("_", 1)[1] not in listing.output
    line = next(line for line in listing.stdout.splitlines() if line.startswith(prefix))
    assert "never" in line
    # after a use, the last use is shown
    assert client.get("/v1/imports", headers={"x-api-key": key}).status_code == 200
    used = next(line for line in run("keys", "list").stdout.splitlines() if line.startswith(prefix))
    assert "never" not in used


def test_keys_revoke_then_the_key_is_refused(data_dir: Path, client: TestClient) -> None:
    key = create_key("--account", "a", "--environment", "e")
    keep = create_key("--account", "a", "--environment", "e")
    assert client.get("/v1/imports", headers={"x-api-key": key}).status_code == 200
    prefix = key.rsplit("_", 1)[0]
    result = run("keys", "revoke", prefix)
    assert result.exit_code == 0, result.output
    response = client.get("/v1/imports", headers={"x-api-key": key})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/imports", headers={"x-api-key": keep}).status_code == 200
    line = next(line for line in run("keys", "list").stdout.splitlines() if line.startswith(prefix))
    assert not line.endswith("\t-")


def test_keys_revoke_unknown_prefix_fails(data_dir: Path) -> None:
    create_key()
    result = run("keys", "revoke", "dik_00000000")
    assert result.exit_code == 1
    assert "dik_00000000" in result.stderr


def test_users_create_then_log_in(data_dir: Path, client: TestClient) -> None:
    result = run("users", "create", "bob", "--environment", "e", "--password-stdin", input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output
    token = client.post("/v1/auth/token", json={"username": "bob", "password": "s3cret-pass"})
    assert token.status_code == 200, token.text
    access = token.json()["accessToken"]
    assert client.get("/v1/imports", headers={"Authorization": f"Bearer {access}"}).status_code == 200
    # the user belongs to environment e of the default account; a key there sees the same data
    key = create_key("--account", "default", "--environment", "e")
    upload = client.post(
        "/v1/ingest/uploads",
        headers={"x-api-key": key},
        files={"files": ("a.pdf", make_pdf(), "application/pdf")},
    )
    items = client.get("/v1/imports", headers={"x-access-token": access}).json()["items"]
    assert [i["id"] for i in items] == [upload.json()["importId"]]
    # the trailing newline is not part of the password
    wrong = client.post("/v1/auth/token", json={"username": "bob", "password": "s3cret-pass\n"})
    assert wrong.status_code == 401
    with sqlite3.connect(data_dir / "docintake.db") as connection:
        (stored,) = connection.execute("select password_hash from users where username='bob'").fetchone()
    assert stored.startswith("$argon2id$")


def test_users_create_rejects_a_short_password(data_dir: Path, client: TestClient) -> None:
    result = run("users", "create", "eve", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert result.stderr.strip()
    response = client.post("/v1/auth/token", json={"username": "eve", "password": "short"})
    assert response.status_code == 401


def test_users_create_twice_fails(data_dir: Path) -> None:
    assert run("users", "create", "bob", "--password-stdin", input="long-enough\n").exit_code == 0
    again = run("users", "create", "bob", "--password-stdin", input="long-enough\n")
    assert again.exit_code == 1
    assert "bob" in again.stderr


def test_extract_prints_json_with_pages(tmp_path: Path, data_dir: Path) -> None:
    pdf = tmp_path / "three.pdf"
    pdf.write_bytes(make_pdf(3))
    result = run("extract", "--jsonl", str(pdf))
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert line["file"] == str(pdf)
    assert line["mediaType"] == "application/pdf"
    assert line["pages"] == 3
    assert "error" not in line
    # nothing was written to the data directory: extract needs no server or database
    assert not (data_dir / "docintake.db").exists()


def test_extract_jsonl_over_a_folder(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.pdf").write_bytes(make_pdf(1))
    (folder / "two.pdf").write_bytes(make_pdf(2, seed=1))
    (folder / "notes.txt").write_bytes(b"\x00\x01 not a document")
    result = run("extract", "--jsonl", str(folder))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(line["file"]).name: line for line in lines}
    assert by_name["one.pdf"]["pages"] == 1
    assert by_name["two.pdf"]["pages"] == 2
    assert by_name["notes.txt"]["error"]["code"] == "unsupported_type"


def test_console_script_prints_only_the_key(tmp_path: Path) -> None:
    """The installed `docintake` entry point, in its own process: stdout is the key alone."""
    script = Path(sys.executable).with_name("docintake")
    if not script.exists():
        pytest.skip("the docintake console script is not installed beside this interpreter")
    env = {**os.environ, "DOCINTAKE_DATA_DIR": str(tmp_path / "proc")}
    completed = subprocess.run(
        [str(script), "keys", "create", "--account", "a", "--environment", "e"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert KEY.match(completed.stdout.rstrip("\n")), completed.stdout
    assert completed.stdout.count("\n") == 1


def test_worker_stops_at_start_on_a_bucket_that_does_not_exist(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, s3_server: S3Server
) -> None:
    for name, value in s3_settings(s3_server, f"missing-{uuid.uuid4().hex[:8]}").items():
        monkeypatch.setenv(f"DOCINTAKE_{name.upper()}", str(value))
    result = run("worker", "--workers", "1")
    assert result.exit_code == 1
    assert "blob store is not usable" in result.stderr and "missing-" in result.stderr
    assert s3_server.secret_key not in result.output
