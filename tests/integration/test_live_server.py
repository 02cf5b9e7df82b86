"""The real service over real HTTP: `docintake serve` as a subprocess, its worker, its limits.

Everything here talks to a live uvicorn on 127.0.0.1 through sockets, so it also covers what the
ASGI-level tests cannot: the CLI's start-up (migrations, first key), the embedded and standalone
workers, what uvicorn does with a body the app never reads, and the API process's real memory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_pdf, make_png, make_zip
from tests.integration.live import (
    LiveServer,
    children_of,
    group_members,
    live_server,
    many_page_tiff,
    memory_kib,
    png_bomb,
    reset_peak_rss,
    streamed_png_upload,
    wait_for_import,
)

pytestmark = pytest.mark.slow

MB = 1_000_000


def upload(client: httpx.Client, *files: tuple[str, bytes, str], **fields: str) -> dict[str, Any]:
    response = client.post(
        "/v1/ingest/uploads",
        files=[("files", (name, data, media)) for name, data, media in files],
        data=fields,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def final_import(server: LiveServer, client: httpx.Client, import_id: str) -> dict[str, Any]:
    try:
        found = wait_for_import(client, import_id, timeout=60)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{server.logs()}") from None
    assert found["status"] == "completed", found
    return found


# -- 1. the README's quick start -------------------------------------------------------------------


def test_quick_start_pdf_png_and_zip_reach_processed(live: LiveServer) -> None:
    pdf, png = make_pdf(2, seed=101), make_png("QUICK START 101")
    bundle = make_zip({"bundle/inner.pdf": pdf, "inner.png": png})
    with live.client() as client:
        answer = upload(
            client,
            ("invoice.pdf", pdf, "application/pdf"),
            ("scan.png", png, "image/png"),
            ("both.zip", bundle, "application/zip"),
            info=json.dumps({"ref": "quick-start"}),
        )
        assert answer["errors"] == []
        by_name = {f["filename"]: f for f in answer["files"]}
        # The answer lists the zip's children too (unpacked at intake), each with its document.
        assert set(by_name) == {"invoice.pdf", "scan.png", "both.zip", "bundle/inner.pdf", "inner.png"}
        assert all(f["status"] == "queued" for name, f in by_name.items() if name != "both.zip")
        assert by_name["both.zip"]["status"] == "processed"
        assert by_name["both.zip"]["documentId"] is None
        assert by_name["invoice.pdf"]["documentId"] and by_name["scan.png"]["documentId"]

        imp = final_import(live, client, answer["importId"])
        files = {f["id"]: f for f in imp["files"]}
        assert len(files) == 5, imp  # three uploads and the zip's two children, flat
        assert imp["counts"]["processed"] == 5, imp["counts"]
        assert imp["info"] == {"ref": "quick-start"}

        zip_id = by_name["both.zip"]["id"]
        assert files[zip_id]["status"] == "processed"
        assert files[zip_id]["documents"] == []
        children = [f for f in files.values() if f["parentFileId"] == zip_id]
        assert sorted(c["mediaType"] for c in children) == ["application/pdf", "image/png"]
        expected_bytes = {by_name["invoice.pdf"]["id"]: pdf, by_name["scan.png"]["id"]: png}
        for child in children:
            original = by_name["invoice.pdf" if child["mediaType"] == "application/pdf" else "scan.png"]
            assert child["duplicateOf"] == original["id"]  # informational: still processed
            expected_bytes[child["id"]] = pdf if child["mediaType"] == "application/pdf" else png

        for file_id, data in expected_bytes.items():
            file = client.get(f"/v1/ingest/files/{file_id}").json()
            assert file["status"] == "processed", file
            assert file["error"] is None
            assert file["size"] == len(data)
            assert file["info"] == {"ref": "quick-start"}
            assert file["pages"] == (2 if file["mediaType"] == "application/pdf" else 1)
            assert [d["status"] for d in file["documents"]] == ["processed"]
            document = client.get(f"/v1/documents/{file['documents'][0]['id']}").json()
            assert document["status"] == "processed", document
            assert document["fileId"] == file_id
            assert document["pages"] == {"start": 1, "end": file["pages"]}
            content = client.get(f"/v1/ingest/files/{file_id}/content")
            assert content.status_code == 200
            assert content.content == data
        zip_content = client.get(f"/v1/ingest/files/{zip_id}/content")
        assert zip_content.content == bundle


# -- 2. credentials and size before the body --------------------------------------------------------


def raw_post_headers(
    port: int, headers: dict[str, str], timeout: float = 5.0
) -> tuple[int, dict[str, str], bytes]:
    """Send only the head of a POST (the body is announced but never sent) and read the answer."""
    head = "POST /v1/ingest/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)  # socket.timeout fails the test: the server waited for a body
            if not chunk:
                break
            data += chunk
        raw_head, _, body = data.partition(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        answer = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(answer.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return status, answer, body


def spool_files(server: LiveServer) -> list[str]:
    tmp = server.data_dir / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({}, 401),
        ({"x-api-key": "dik_00000000_" + "0" * 64}, 401),
        ({"Authorization": "Bearer nope"}, 401),
        # curl sends this for big bodies: the final 401 must come instead of "100 Continue".
        ({"Expect": "100-continue"}, 401),
    ],
    ids=["no-credentials", "unknown-key", "bad-token", "expect-100-continue"],
)
def test_unauthenticated_200mb_upload_is_refused_from_its_headers(
    live: LiveServer, credentials: dict[str, str], expected: int
) -> None:
    spooled = spool_files(live)
    started = time.monotonic()
    status, headers, body = raw_post_headers(
        live.port,
        {
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Content-Length": str(200 * 1024 * 1024),
            **credentials,
        },
    )
    elapsed = time.monotonic() - started
    assert status == expected
    assert elapsed < 5, f"the answer took {elapsed:.1f} s"
    assert headers["content-type"].startswith("application/problem+json")
    assert headers.get("x-request-id")
    problem = json.loads(body)
    assert problem["status"] == 401
    assert spool_files(live) == spooled  # nothing was spooled to disk


@pytest.mark.parametrize("idempotent", [False, True], ids=["plain", "with-idempotency-key"])
def test_oversized_request_is_413_before_its_body(live: LiveServer, idempotent: bool) -> None:
    too_big = 512 * 1024 * 1024 + 1  # DOCINTAKE_MAX_REQUEST_BYTES defaults to 512 MiB
    extra = {"Idempotency-Key": "big-one"} if idempotent else {}
    started = time.monotonic()
    status, headers, body = raw_post_headers(
        live.port,
        {
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Content-Length": str(too_big),
            "x-api-key": live.api_key,
            **extra,
        },
    )
    assert status == 413, body
    assert time.monotonic() - started < 5
    assert headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["status"] == 413
    # The server is unharmed and still answers on new connections.
    assert httpx.get(f"{live.base_url}/healthz", timeout=5, trust_env=False).status_code == 200


# -- 3. a 200 MB upload streams to disk -------------------------------------------------------------


def test_200mb_streaming_upload_keeps_server_memory_bounded(
    live: LiveServer, record_property: pytest.RecordProperty
) -> None:
    big = streamed_png_upload(200 * MB, filename="big.png")
    peak_was_reset = reset_peak_rss(live.pid)
    before = memory_kib(live.pid)
    started = time.monotonic()
    with live.client(timeout=120) as client:
        response = client.post(
            "/v1/ingest/uploads",
            content=big.chunks,
            headers={"Content-Type": big.content_type, "Content-Length": str(big.content_length)},
        )
        elapsed = time.monotonic() - started
        after = memory_kib(live.pid)
        assert response.status_code == 201, response.text
        (ref,) = response.json()["files"]
        file = client.get(f"/v1/ingest/files/{ref['id']}").json()
        assert file["size"] == big.file_size
        assert file["sha256"] == big.sha256
        assert file["mediaType"] == "image/png"
        imp = final_import(live, client, response.json()["importId"])
        assert imp["files"][0]["status"] == "processed", imp

    growth_mb = (after["VmHWM"] - before["VmHWM"]) * 1024 / MB
    throughput = big.content_length / MB / elapsed
    summary = (
        f"serve pid {live.pid}: VmHWM {before['VmHWM'] / 1024:.1f} -> {after['VmHWM'] / 1024:.1f} MiB "
        f"(+{growth_mb:.1f} MB, peak reset: {peak_was_reset}); upload {elapsed:.1f} s, {throughput:.0f} MB/s"
    )
    print(summary)
    record_property("upload_memory", summary)
    assert growth_mb < 100, summary
    assert spool_files(live) == [], "the upload's spool file was not moved or removed"


def test_chunked_upload_without_content_length(live: LiveServer) -> None:
    big = streamed_png_upload(8 * MB, filename="chunked.png")
    with live.client() as client:
        # No Content-Length: httpx sends an iterator with Transfer-Encoding: chunked.
        response = client.post(
            "/v1/ingest/uploads", content=big.chunks, headers={"Content-Type": big.content_type}
        )
        assert response.status_code == 201, response.text
        assert response.request.headers.get("transfer-encoding") == "chunked"
        (ref,) = response.json()["files"]
        file = client.get(f"/v1/ingest/files/{ref['id']}").json()
        assert (file["size"], file["sha256"]) == (big.file_size, big.sha256)


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_client_that_disconnects_mid_upload_leaves_no_spool_file(live: LiveServer) -> None:
    big = streamed_png_upload(50 * MB, filename="abandoned.png")
    head = (
        "POST /v1/ingest/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"x-api-key: {live.api_key}\r\nContent-Type: {big.content_type}\r\n"
        f"Content-Length: {big.content_length}\r\n\r\n"
    )
    before = set(spool_files(live))
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        for _ in range(5):  # 5 MiB of the 50 MB, then hang up
            sock.sendall(next(big.chunks))
        assert wait_until(lambda: len(set(spool_files(live)) - before) > 0, 10), "no spool file appeared"
    assert wait_until(lambda: set(spool_files(live)) <= before, 10), f"spool files left: {spool_files(live)}"
    assert httpx.get(f"{live.base_url}/healthz", timeout=5, trust_env=False).status_code == 200


# -- 4. a broken file fails alone --------------------------------------------------------------------


def test_malformed_pdf_fails_with_a_code_and_the_worker_goes_on(live: LiveServer) -> None:
    broken = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n" + bytes(range(256)) * 40 + b"\ntrailer <<"
    with live.client() as client:
        answer = upload(client, ("broken.pdf", broken, "application/pdf"))
        assert answer["files"][0]["status"] == "queued"
        imp = final_import(live, client, answer["importId"])
        (file,) = imp["files"]
        assert file["status"] == "failed", file
        assert file["mediaType"] == "application/pdf"
        assert file["error"]["code"] in {"pdf_unreadable", "empty_document"}, file["error"]
        assert file["error"]["message"]
        (doc_ref,) = file["documents"]
        document = client.get(f"/v1/documents/{doc_ref['id']}").json()
        assert document["status"] == "failed"
        assert document["error"]["code"] == file["error"]["code"]

        good = upload(client, ("after.png", make_png("AFTER THE BROKEN ONE"), "image/png"))
        imp = final_import(live, client, good["importId"])
        assert [f["status"] for f in imp["files"]] == ["processed"]


# -- 5. `docintake worker` on its own ---------------------------------------------------------------


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`serve --no-embedded-worker` with a key made by `keys create` first; tests start the worker."""
    data_dir = tmp_path_factory.mktemp("standalone") / "data"
    with live_server(data_dir, embedded_worker=False, key_from_cli=True) as server:
        yield server
    assert not any(server.leftovers.values()), server.leftovers


def test_standalone_worker_processes_what_serve_queued(standalone: LiveServer) -> None:
    assert group_members(standalone.pid) == [standalone.pid], "serve --no-embedded-worker started a child"
    with standalone.client() as client:
        answer = upload(client, ("alone.pdf", make_pdf(1, seed=505), "application/pdf"))
        time.sleep(1.5)  # with no worker running nothing may pick the file up
        waiting = client.get(f"/v1/imports/{answer['importId']}").json()
        assert waiting["status"] == "processing"
        assert [f["status"] for f in waiting["files"]] == ["queued"]

        worker = standalone.start_worker(workers=1)
        imp = final_import(standalone, client, answer["importId"])
        assert [f["status"] for f in imp["files"]] == ["processed"]
        assert worker.popen.poll() is None, standalone.logs()


# -- a file that exhausts the worker's memory or time fails alone -----------------------------------

WORKER_MEMORY_MB = 1024  # the pipeline (numpy, scipy, LightGBM, Tesseract) maps ~400 MB before a file
TASK_TIMEOUT_SECONDS = 3  # room for the memory bomb to exhaust memory first on a loaded machine


@pytest.fixture(scope="module")
def constrained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """serve with a small worker address space and a short task timeout, its worker warmed up."""
    data_dir = tmp_path_factory.mktemp("constrained") / "data"
    limits = {"worker_memory_mb": WORKER_MEMORY_MB, "task_timeout_seconds": TASK_TIMEOUT_SECONDS}
    with live_server(data_dir, **limits) as server:
        with server.client() as client:  # the first task imports the pipeline: not part of any test
            warm = upload(client, ("warm.png", make_png("WARM UP"), "image/png"))
            assert final_import(server, client, warm["importId"])["counts"]["processed"] == 1
        yield server
    assert not any(server.leftovers.values()), server.leftovers


def test_file_that_exhausts_worker_memory_fails_alone(constrained: LiveServer) -> None:
    bomb = png_bomb(13000, 13000)  # 2 MB on the wire, 507 MB decoded + a grey copy: over the 1 GiB limit
    with constrained.client() as client:
        answer = upload(client, ("bomb.png", bomb, "image/png"))
        (file,) = final_import(constrained, client, answer["importId"])["files"]
        assert file["status"] == "failed", file
        assert file["error"]["code"] == "out_of_memory", file["error"]
        assert [d["status"] for d in file["documents"]] == ["failed"]

        after = upload(client, ("after-bomb.png", make_png("STILL HERE"), "image/png"))
        imp = final_import(constrained, client, after["importId"])
        assert [f["status"] for f in imp["files"]] == ["processed"]


def test_file_that_exhausts_task_timeout_fails_with_timeout(constrained: LiveServer) -> None:
    slow = many_page_tiff(30_000)  # ~15 s of page reading, far past the timeout
    with constrained.client() as client:
        started = time.monotonic()
        answer = upload(client, ("slow.tiff", slow, "image/tiff"))
        (file,) = final_import(constrained, client, answer["importId"])["files"]
        assert file["status"] == "failed", file
        assert file["error"]["code"] == "timeout", file["error"]
        assert time.monotonic() - started < TASK_TIMEOUT_SECONDS + 4, "the timeout did not stop the work"
        document = client.get(f"/v1/documents/{file['documents'][0]['id']}").json()
        assert (document["status"], document["error"]["code"]) == ("failed", "timeout")

        after = upload(client, ("after-slow.png", make_png("NEXT ONE"), "image/png"))
        imp = final_import(constrained, client, after["importId"])
        assert [f["status"] for f in imp["files"]] == ["processed"]


def test_sigterm_stops_serve_and_its_embedded_worker(tmp_path: Path) -> None:
    """What `docker stop` and systemd send: serve must take its worker child down with it."""
    with live_server(tmp_path / "data") as server:
        deadline = time.monotonic() + 10
        while len(group_members(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(group_members(server.pid)) >= 2, "no embedded worker was started"
        server.server.popen.send_signal(signal.SIGTERM)
        server.server.popen.wait(timeout=30)
        deadline = time.monotonic() + 15
        while group_members(server.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(server.pid) == [], f"left behind after SIGTERM:\n{server.logs()}"
        assert server.server.popen.returncode == 128 + signal.SIGTERM
    assert server.leftovers == {"serve": []}


# -- 6. readiness ------------------------------------------------------------------------------------


def test_readyz_reports_every_dependency_ok(live: LiveServer) -> None:
    response = httpx.get(f"{live.base_url}/readyz", timeout=10, trust_env=False)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "blobStore": "ok", "queue": "ok"}
    assert httpx.get(f"{live.base_url}/healthz", timeout=5, trust_env=False).json() == {"status": "ok"}


def test_embedded_worker_that_dies_is_restarted(tmp_path: Path) -> None:
    """GIVEN serve with its embedded worker WHEN the worker is killed -9
    THEN serve starts a new one, the old one's processes are gone, and uploads still get processed."""
    with live_server(tmp_path / "data") as server:
        deadline = time.monotonic() + 10
        while not children_of(server.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        (first,) = children_of(server.pid)
        old_workers = children_of(first)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and [p for p in children_of(server.pid) if p != first] == []:
            time.sleep(0.2)
        replacement = [p for p in children_of(server.pid) if p != first]
        assert replacement, f"no new worker was started:\n{server.logs()}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and set(old_workers) & set(group_members(server.pid)):
            time.sleep(0.2)
        lingering = set(old_workers) & set(group_members(server.pid))
        assert not lingering, f"worker processes of the killed consumer linger: {lingering}"
        with server.client() as client:
            answer = upload(client, ("after-restart.png", make_png("AFTER"), "image/png"))
            imp = final_import(server, client, answer["importId"])
            assert [f["status"] for f in imp["files"]] == ["processed"]
