"""Intake by URL over HTTP, with SSRF refusals. Traffic goes to loopback only: documents are served on
127.0.0.2 (allow-listed), and a canary on 127.0.0.1 (never allow-listed) must never be reached."""

from __future__ import annotations

import hashlib
import ipaddress
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import Service, make_pdf, make_png, make_zip
from tests.helpers import assert_problem, created, get

PDF = make_pdf(2, seed=21)
PNG = make_png("by url")
BUNDLE = make_zip({"inside.pdf": make_pdf(seed=22), "inside.png": make_png("zipped")})
UNICODE_NAME = "Rechnung_Müller.pdf"


@dataclass
class LoopbackServer:
    host: str
    server: ThreadingHTTPServer
    paths: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


def _serve(host: str, canary_port: int = 0) -> Iterator[LoopbackServer]:
    holder: list[LoopbackServer] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            holder[0].paths.append(self.path)
            path = self.path
            if path == "/files/report.pdf":
                self._send(200, PDF, {"Content-Type": "application/pdf"})
            elif path == "/files/scan.png":
                self._send(200, PNG, {"Content-Type": "application/octet-stream"})
            elif path.startswith("/download"):
                disposition = f"attachment; filename=\"fallback.pdf\"; filename*=UTF-8''{quote(UNICODE_NAME)}"
                self._send(200, PDF, {"Content-Type": "application/pdf", "Content-Disposition": disposition})
            elif path == "/files/bundle.zip":
                self._send(200, BUNDLE, {"Content-Type": "application/zip"})
            elif path == "/files/notes.txt":
                self._send(200, b"just text, not a document\n", {"Content-Type": "text/plain"})
            elif path.startswith("/hops/"):
                left = int(path.rsplit("/", 1)[1])
                target = "/files/report.pdf" if left <= 1 else f"/hops/{left - 1}"
                self._send(302, headers={"Location": target})
            elif path == "/busy.pdf":
                self._send(503, b"try later", {"Content-Type": "text/plain", "Retry-After": "1"})
            elif path == "/to-loopback":
                self._send(302, headers={"Location": f"http://127.0.0.1:{canary_port}/files/report.pdf"})
            else:
                self._send(404, b"not here", {"Content-Type": "text/plain"})

    server = ThreadingHTTPServer((host, 0), Handler)
    holder.append(LoopbackServer(host, server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def canary() -> Iterator[LoopbackServer]:
    """A server on 127.0.0.1: refused by the SSRF rules, so it must see no request at all."""
    yield from _serve("127.0.0.1")


@pytest.fixture(scope="module")
def remote(canary: LoopbackServer) -> Iterator[LoopbackServer]:
    """The "internet": a server on 127.0.0.2, which the settings allow-list."""
    yield from _serve("127.0.0.2", canary.port)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"url_allowlist": [ipaddress.ip_network("127.0.0.2/32")], "url_timeout_seconds": 5.0}


@pytest.fixture(autouse=True)
def _canary_untouched(canary: LoopbackServer) -> Iterator[None]:
    yield
    assert canary.paths == [], "a refused address was contacted"


def by_url(service: Service, payload: dict[str, Any], path: str = "/v1/ingest/by-url") -> Any:
    return service.client.post(path, json=payload, headers=service.tenant.headers)


def multipart_urls(urls: list[str]) -> tuple[bytes, dict[str, str]]:
    boundary = "url-boundary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="urls"\r\n\r\n{url}\r\n'.encode()
        for url in urls
    )
    return body + f"--{boundary}--\r\n".encode(), {
        "content-type": f"multipart/form-data; boundary={boundary}"
    }


# -- fetching --------------------------------------------------------------------------------


def test_by_url_fetches_and_processes_each_url(service: Service, remote: LoopbackServer) -> None:
    """GIVEN a PDF URL and a PNG URL served as octet-stream, with type, info and processingPref
    WHEN they are posted to /v1/ingest/by-url
    THEN 201 at once, and the worker's download is recorded with URL, hash, sniffed type and pages."""
    pdf_url, png_url = remote.url("/files/report.pdf"), remote.url("/files/scan.png")
    info = {"source": "mailbox", "n": 1}
    body = created(
        by_url(
            service,
            {"urls": [pdf_url, png_url], "type": "invoice", "info": info, "processingPref": "ACCURACY"},
        )
    )
    assert body["environmentId"] == service.tenant.environment_id
    assert body["errors"] == []
    assert [f["filename"] for f in body["files"]] == ["report.pdf", "scan.png"]
    assert all(f["documentId"] is None and f["status"] == "queued" for f in body["files"])

    for ref, url, content, media_type, pages in (
        (body["files"][0], pdf_url, PDF, "application/pdf", 2),
        (body["files"][1], png_url, PNG, "image/png", 1),
    ):
        file = get(service, f"/v1/ingest/files/{ref['id']}")
        assert file["source"] == "url"
        assert file["sourceUrl"] == url
        assert file["status"] == "processed"
        assert file["mediaType"] == media_type
        assert file["sha256"] == hashlib.sha256(content).hexdigest()
        assert file["size"] == len(content)
        assert file["pages"] == pages
        assert file["info"] == info
        assert len(file["documents"]) == 1
        document = get(service, f"/v1/documents/{file['documents'][0]['id']}")
        assert document["status"] == "processed"
        assert document["typeHint"] == "invoice"
        assert document["info"] == info
        response = service.client.get(f"/v1/ingest/files/{ref['id']}/content", headers=service.tenant.headers)
        assert response.content == content

    imported = get(service, f"/v1/imports/{body['importId']}")
    assert imported["kind"] == "url"
    assert imported["options"]["type"] == "invoice"
    assert imported["options"]["processingPref"] == "accuracy"
    assert imported["info"] == info
    assert imported["status"] == "completed"


def test_filename_comes_from_content_disposition_filename_star(
    service: Service, remote: LoopbackServer
) -> None:
    body = created(by_url(service, {"urls": [remote.url("/download?id=7")]}))
    ref = body["files"][0]
    assert ref["filename"] == "download"  # what the URL says, until the server has answered
    file = get(service, f"/v1/ingest/files/{ref['id']}")
    assert file["filename"] == UNICODE_NAME
    assert file["status"] == "processed"
    response = service.client.get(f"/v1/ingest/files/{ref['id']}/content", headers=service.tenant.headers)
    assert (
        response.headers["content-disposition"]
        == f"attachment; filename*=UTF-8''{quote(UNICODE_NAME, safe='')}"
    )


def test_url_serving_a_zip_is_unpacked_into_children(service: Service, remote: LoopbackServer) -> None:
    body = created(by_url(service, {"urls": [remote.url("/files/bundle.zip")]}))
    container_id = body["files"][0]["id"]
    container = get(service, f"/v1/ingest/files/{container_id}")
    assert container["status"] == "processed"
    assert container["mediaType"] == "application/zip"
    assert container["documents"] == []
    files = get(service, f"/v1/imports/{body['importId']}")["files"]
    children = {f["filename"]: f for f in files if f["id"] != container_id}
    assert set(children) == {"inside.pdf", "inside.png"}
    for child in children.values():
        assert child["parentFileId"] == container_id
        assert child["status"] == "processed"
        assert len(child["documents"]) == 1


def test_url_serving_unsupported_content_is_rejected(service: Service, remote: LoopbackServer) -> None:
    body = created(
        by_url(service, {"urls": [remote.url("/files/notes.txt"), remote.url("/files/report.pdf")]})
    )
    text, pdf = (get(service, f"/v1/ingest/files/{f['id']}") for f in body["files"])
    assert text["status"] == "rejected"
    assert text["error"]["code"] == "unsupported_type"
    assert text["documents"] == []
    assert pdf["status"] == "processed"


def test_urls_field_of_a_multipart_upload(service: Service, remote: LoopbackServer) -> None:
    content, headers = multipart_urls([remote.url("/files/report.pdf"), remote.url("/files/scan.png")])
    body = created(
        service.client.post(
            "/v1/ingest/uploads", content=content, headers={**headers, **service.tenant.headers}
        )
    )
    assert [f["filename"] for f in body["files"]] == ["report.pdf", "scan.png"]
    assert [get(service, f"/v1/ingest/files/{f['id']}")["status"] for f in body["files"]] == [
        "processed",
        "processed",
    ]
    # Files and URLs in one request: one import.
    mixed = created(
        service.client.post(
            "/v1/ingest/uploads",
            files=[("files", ("local.png", make_png("local"), "image/png"))],
            data={"urls": [remote.url("/files/report.pdf")], "type": "receipt"},
            headers=service.tenant.headers,
        )
    )
    assert [f["filename"] for f in mixed["files"]] == ["local.png", "report.pdf"]
    sources = [get(service, f"/v1/ingest/files/{f['id']}")["source"] for f in mixed["files"]]
    assert sources == ["upload", "url"]
    assert get(service, f"/v1/imports/{mixed['importId']}")["options"]["type"] == "receipt"


def test_document_by_url_takes_one_url(service: Service, remote: LoopbackServer) -> None:
    body = created(
        by_url(
            service, {"url": remote.url("/files/report.pdf"), "info": {"a": 1}}, "/v1/ingest/document/by-url"
        )
    )
    assert len(body["files"]) == 1
    file = get(service, f"/v1/ingest/files/{body['files'][0]['id']}")
    assert (file["status"], file["pages"], file["info"]) == ("processed", 2, {"a": 1})
    assert_problem(
        by_url(service, {"urls": [remote.url("/files/report.pdf")]}, "/v1/ingest/document/by-url"), 400
    )
    assert_problem(by_url(service, {}, "/v1/ingest/document/by-url"), 400)


@pytest.mark.parametrize(
    "payload",
    [
        {"urls": []},
        {},
        {"urls": "http://127.0.0.2/x.pdf"},
        {"urls": ["http://127.0.0.2/x.pdf"], "info": "not an object"},
        {"urls": ["http://127.0.0.2/x.pdf"], "processingPref": "turbo"},
        {"urls": ["http://127.0.0.2/x.pdf"], "type": "banana"},
    ],
)
def test_invalid_by_url_bodies_are_400(service: Service, payload: dict[str, Any]) -> None:
    assert_problem(by_url(service, payload), 400)
    assert get(service, "/v1/imports")["items"] == []


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "127.1", "[::1]", "169.254.169.254", "10.0.0.1"])
def test_literal_internal_address_is_refused_at_intake(
    service: Service, canary: LoopbackServer, host: str
) -> None:
    url = f"http://{host}:{canary.port}/files/report.pdf"
    problem = assert_problem(by_url(service, {"urls": [url]}), 400)
    assert [e["code"] for e in problem["errors"]] == ["url_forbidden"]
    assert get(service, "/v1/imports")["items"] == []


def test_forbidden_url_beside_a_good_one_is_rejected_with_a_record(
    service: Service, remote: LoopbackServer, canary: LoopbackServer
) -> None:
    body = created(
        by_url(service, {"urls": [remote.url("/files/report.pdf"), f"http://127.0.0.1:{canary.port}/x.pdf"]})
    )
    good, bad = body["files"]
    assert bad["status"] == "rejected"
    assert [(e["code"]) for e in body["errors"]] == ["url_forbidden"]
    assert get(service, f"/v1/ingest/files/{bad['id']}")["error"]["code"] == "url_forbidden"
    assert get(service, f"/v1/ingest/files/{good['id']}")["status"] == "processed"


def test_redirect_to_a_refused_address_is_rejected_without_contacting_it(
    service: Service, remote: LoopbackServer
) -> None:
    body = created(by_url(service, {"urls": [remote.url("/to-loopback")]}))
    file = get(service, f"/v1/ingest/files/{body['files'][0]['id']}")
    assert file["status"] == "rejected"
    assert file["error"]["code"] == "url_forbidden"
    assert "/to-loopback" in remote.paths
    # the autouse fixture checks the canary on 127.0.0.1 saw nothing


def test_hostname_resolving_to_loopback_is_rejected(service: Service, canary: LoopbackServer) -> None:
    body = created(by_url(service, {"urls": [f"http://localhost:{canary.port}/files/report.pdf"]}))
    file = get(service, f"/v1/ingest/files/{body['files'][0]['id']}")
    assert (file["status"], file["error"]["code"]) == ("rejected", "url_forbidden")


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.2/file.pdf", "file:///etc/passwd", "http://user:pw@127.0.0.2/a.pdf", "not a url"]
)
def test_non_http_urls_are_400_invalid_url(service: Service, url: str) -> None:
    problem = assert_problem(by_url(service, {"urls": [url]}), 400)
    assert [e["code"] for e in problem["errors"]] == ["invalid_url"]
    assert "pw" not in problem["detail"]


def test_unavailable_server_is_retried_then_the_file_fails(service: Service, remote: LoopbackServer) -> None:
    """GIVEN a URL whose server answers 503 WHEN it is imported THEN the worker tries again (3
    attempts in all; the inline test queue skips the backoff delay) and then fails the file."""
    before = remote.paths.count("/busy.pdf")
    body = created(by_url(service, {"urls": [remote.url("/busy.pdf")]}))
    file = get(service, f"/v1/ingest/files/{body['files'][0]['id']}")
    assert (file["status"], file["error"]["code"]) == ("failed", "url_unreachable")
    assert "gave up after 3 attempts" in file["error"]["message"]
    assert remote.paths.count("/busy.pdf") - before == 3


def test_http_error_fails_the_file(service: Service, remote: LoopbackServer) -> None:
    body = created(by_url(service, {"urls": [remote.url("/missing.pdf")]}))
    file = get(service, f"/v1/ingest/files/{body['files'][0]['id']}")
    assert (file["status"], file["error"]["code"]) == ("failed", "url_http_error")
    assert "404" in file["error"]["message"]
    assert file["sha256"] is None


def test_five_redirects_are_followed_six_are_too_many(service: Service, remote: LoopbackServer) -> None:
    body = created(by_url(service, {"urls": [remote.url("/hops/5"), remote.url("/hops/6")]}))
    five, six = (get(service, f"/v1/ingest/files/{f['id']}") for f in body["files"])
    assert five["status"] == "processed"
    assert five["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (six["status"], six["error"]["code"]) == ("failed", "url_too_many_redirects")
