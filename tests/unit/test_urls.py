"""SSRF-safe URL fetching. Live tests talk only to a server on 127.0.0.2 (loopback)."""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from docintake.errors import FileRejected, ProcessingError, TransientError
from docintake.intake.urls import (
    check_address,
    fetch_url,
    is_forbidden_address,
    literal_ip,
    validate_url,
)
from docintake.settings import Settings

ALLOW = [ipaddress.ip_network("127.0.0.2/32")]
BODY = b"%PDF-1.4 hello\n" * 1000


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "10.255.255.255",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "127.0.0.1",
        "127.0.0.2",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::1",
        "2002:7f00:1::",
        "2002:a00:1::1",
    ],
)
def test_internal_addresses_are_forbidden(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert is_forbidden_address(ip)
    with pytest.raises(FileRejected) as info:
        check_address(ip, [])
    assert info.value.code == "url_forbidden"
    assert str(ip) in info.value.message


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert not is_forbidden_address(ip)
    check_address(ip, [])


def test_allowlist_overrides_only_its_networks() -> None:
    allow = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.2/32")]
    check_address(ipaddress.ip_address("10.1.2.3"), allow)
    check_address(ipaddress.ip_address("127.0.0.2"), allow)
    check_address(ipaddress.ip_address("::ffff:127.0.0.2"), allow)
    for address in ("127.0.0.1", "192.168.0.1", "::1"):
        with pytest.raises(FileRejected):
            check_address(ipaddress.ip_address(address), allow)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file.pdf",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http:///nohost",
        "https://alice:s3cret@example.com/x.pdf",
        "https://alice@example.com/x.pdf",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_validate_url_rejects(url: str) -> None:
    with pytest.raises(FileRejected) as info:
        validate_url(url)
    assert info.value.code == "invalid_url"
    assert "s3cret" not in info.value.message and "alice" not in info.value.message


def test_validate_url_strips_and_accepts() -> None:
    assert validate_url("  https://example.com/a.pdf?x=1 \n") == "https://example.com/a.pdf?x=1"
    assert validate_url("http://[2001:db8::1]:8080/") == "http://[2001:db8::1]:8080/"


def test_literal_ip() -> None:
    assert literal_ip("http://127.0.0.1/x") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("http://127.1/x") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("http://0x7f000001/") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("http://[::1]:80/") == ipaddress.ip_address("::1")
    assert literal_ip("https://example.com/") is None
    assert literal_ip("https://cafe.be/") is None


# --- live tests against a loopback server ----------------------------------------------------


GZIP_BOMB = gzip.compress(bytes(50 * 1024 * 1024), compresslevel=9)  # ~50 KB on the wire


class _Handler(BaseHTTPRequestHandler):
    hosts_seen: list[str] = []  # noqa: RUF012 - shared on purpose: tests read what arrived

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "no-length" not in self.path:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        self.hosts_seen.append(self.headers["Host"])
        path = self.path.split("?")[0]
        if path.startswith("/files/"):
            self._send(200, BODY, {"Content-Type": "application/pdf"})
        elif path == "/cd":
            disposition = "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%E2%82%AC%20rechnung.pdf"
            self._send(200, BODY, {"Content-Disposition": disposition})
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            target = f"/hop/{left - 1}" if left > 1 else "../files/end%20result.pdf"
            self._send(302 if left % 2 else 307, headers={"Location": target})
        elif path == "/to-other":
            self._send(302, headers={"Location": f"http://127.0.0.1:{port}/files/x.pdf"})
        elif path == "/ftp":
            self._send(301, headers={"Location": "ftp://127.0.0.2/x"})
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), b"nope")
        elif path.startswith("/big"):
            self._send(200, b"x" * 10_000)
        elif path == "/gzip-bomb":
            self._send(200, GZIP_BOMB, {"Content-Encoding": "gzip"})
        elif path == "/gzip-ok":
            self._send(200, gzip.compress(BODY), {"Content-Encoding": "gzip"})
        elif path == "/brotli":
            self._send(200, b"whatever", {"Content-Encoding": "br"})
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, BODY)
        else:
            self._send(404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.2", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path, "url_allowlist": ALLOW, "url_timeout_seconds": 5}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    path = tmp_path / "spool"
    path.mkdir()
    return path


def test_plain_fetch(server: str, tmp_path: Path, dest: Path) -> None:
    fetched = fetch_url(
        f"{server}/files/r%C3%A9sum%C3%A9.pdf?x=1", settings=_settings(tmp_path), dest_dir=dest
    )
    assert fetched.path.parent == dest
    assert fetched.path.read_bytes() == BODY
    assert fetched.size == len(BODY)
    assert fetched.sha256 == hashlib.sha256(BODY).hexdigest()
    assert fetched.filename == "résumé.pdf"
    assert fetched.content_type == "application/pdf"
    assert fetched.final_url.startswith(server)


def test_content_disposition_filename_star_wins(server: str, tmp_path: Path, dest: Path) -> None:
    fetched = fetch_url(f"{server}/cd", settings=_settings(tmp_path), dest_dir=dest)
    assert fetched.filename == "€ rechnung.pdf"


def test_connects_to_checked_ip_with_original_host(
    server: str, tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name is resolved once by us; the request goes to that IP with the name in Host."""
    real = socket.getaddrinfo
    port = int(server.rsplit(":", 1)[1])
    looked_up: list[str] = []

    def fake(host: str, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        return real("127.0.0.2" if host == "docs.example.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    fetched = fetch_url(
        f"http://docs.example.test:{port}/files/a.pdf", settings=_settings(tmp_path), dest_dir=dest
    )
    assert fetched.path.read_bytes() == BODY
    assert looked_up.count("docs.example.test") == 1
    assert _Handler.hosts_seen[-1] == f"docs.example.test:{port}"
    assert fetched.final_url == f"http://docs.example.test:{port}/files/a.pdf"


def test_any_forbidden_record_refuses(tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(FileRejected) as info:
        fetch_url("http://rebind.example.test/x", settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "url_forbidden"
    assert "10.0.0.1" in info.value.message


def test_unresolvable(tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(ProcessingError) as info:
        fetch_url("http://nowhere.example.test/x", settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "url_unresolvable"
    assert not isinstance(info.value, TransientError)


def test_redirect_chain(server: str, tmp_path: Path, dest: Path) -> None:
    fetched = fetch_url(f"{server}/hop/5", settings=_settings(tmp_path), dest_dir=dest)
    assert fetched.path.read_bytes() == BODY
    assert fetched.final_url == f"{server}/files/end%20result.pdf"
    assert fetched.filename == "end result.pdf"


def test_too_many_redirects(server: str, tmp_path: Path, dest: Path) -> None:
    with pytest.raises(ProcessingError) as info:
        fetch_url(f"{server}/hop/6", settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "url_too_many_redirects"


def test_redirect_to_other_loopback_refused(server: str, tmp_path: Path, dest: Path) -> None:
    with pytest.raises(FileRejected) as info:
        fetch_url(f"{server}/to-other", settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "url_forbidden"
    assert "127.0.0.1" in info.value.message


def test_redirect_to_other_scheme_refused(server: str, tmp_path: Path, dest: Path) -> None:
    with pytest.raises(FileRejected) as info:
        fetch_url(f"{server}/ftp", settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "invalid_url"


def test_http_404(server: str, tmp_path: Path, dest: Path) -> None:
    with pytest.raises(ProcessingError) as info:
        fetch_url(f"{server}/status/404", settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "url_http_error"
    assert not isinstance(info.value, TransientError)
    assert "404" in info.value.message
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("status", [503, 429])
def test_http_transient(server: str, tmp_path: Path, dest: Path, status: int) -> None:
    with pytest.raises(TransientError) as info:
        fetch_url(f"{server}/status/{status}", settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "url_unreachable"
    assert str(status) in info.value.message


@pytest.mark.parametrize("path", ["/big", "/big/no-length"])
def test_oversize_body(server: str, tmp_path: Path, dest: Path, path: str) -> None:
    with pytest.raises(ProcessingError) as info:
        fetch_url(f"{server}{path}", settings=_settings(tmp_path, max_file_bytes=4096), dest_dir=dest)
    assert info.value.code == "file_too_large"
    assert list(dest.iterdir()) == []


def test_read_timeout(server: str, tmp_path: Path, dest: Path) -> None:
    with pytest.raises(TransientError) as info:
        fetch_url(f"{server}/slow", settings=_settings(tmp_path, url_timeout_seconds=0.3), dest_dir=dest)
    assert info.value.code == "url_timeout"
    assert list(dest.iterdir()) == []


def test_connection_refused(tmp_path: Path, dest: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransientError) as info:
        fetch_url(f"http://127.0.0.2:{port}/x", settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "url_unreachable"
    assert "127.0.0.2" in info.value.message


def test_literal_loopback_refused_without_allowlist(server: str, tmp_path: Path, dest: Path) -> None:
    url = server.replace("127.0.0.2", "127.0.0.1") + "/files/a.pdf"
    ip = literal_ip(url)
    assert ip is not None
    with pytest.raises(FileRejected):
        check_address(ip, [])
    with pytest.raises(FileRejected) as info:
        fetch_url(url, settings=_settings(tmp_path, url_allowlist=[]), dest_dir=dest)
    assert info.value.code == "url_forbidden"
    with pytest.raises(FileRejected):
        fetch_url(server + "/files/a.pdf", settings=_settings(tmp_path, url_allowlist=[]), dest_dir=dest)


@pytest.mark.parametrize("url", ["ftp://127.0.0.2/x", "http://user:pass@127.0.0.2/x"])
def test_fetch_validates_first(tmp_path: Path, dest: Path, url: str) -> None:
    with pytest.raises(FileRejected) as info:
        fetch_url(url, settings=_settings(tmp_path), dest_dir=dest)
    assert info.value.code == "invalid_url"


def test_gzip_body_is_decoded_within_limits(server: str, tmp_path: Path, dest: Path) -> None:
    """A server that gzips despite `Accept-Encoding: identity` still delivers the right bytes."""
    fetched = fetch_url(f"{server}/gzip-ok", settings=_settings(tmp_path), dest_dir=dest)
    assert fetched.path.read_bytes() == BODY
    assert fetched.sha256 == hashlib.sha256(BODY).hexdigest()


def test_gzip_bomb_stops_at_the_size_limit_in_bounded_memory(server: str, tmp_path: Path, dest: Path) -> None:
    """GIVEN 50 KB of gzip that inflate to 50 MB WHEN fetched with a 1 MB limit
    THEN file_too_large, nothing left on disk, and memory never held the inflated body."""
    tracemalloc.start()
    try:
        with pytest.raises(ProcessingError) as caught:
            fetch_url(
                f"{server}/gzip-bomb", settings=_settings(tmp_path, max_file_bytes=1_000_000), dest_dir=dest
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "file_too_large"
    assert list(dest.iterdir()) == []
    assert peak < 8 * 1024 * 1024


def test_unknown_content_encoding_is_refused(server: str, tmp_path: Path, dest: Path) -> None:
    with pytest.raises(ProcessingError) as caught:
        fetch_url(f"{server}/brotli", settings=_settings(tmp_path), dest_dir=dest)
    assert caught.value.code == "url_encoding_unsupported"
    assert list(dest.iterdir()) == []
