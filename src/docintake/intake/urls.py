"""Fetching a user-supplied URL without letting it reach our own network (SSRF protection).

A URL given to docintake is fetched from inside the deployment, next to databases, metadata
services and admin ports. So every hop is resolved once, *every* address it resolves to must be
public (or explicitly allow-listed), and the connection then goes to that checked IP itself with
the name only in ``Host``/SNI: a second lookup by the HTTP client could return another address
(DNS rebinding). Redirects are followed by hand so each target gets the same checks.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import re
import socket
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value
from pathlib import Path
from urllib.parse import unquote

import httpx

from docintake.errors import FileRejected, ProcessingError, TransientError
from docintake.intake.incoming import clean_filename
from docintake.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2048
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_HOST_RE = re.compile(r"[A-Za-z0-9._-]+")
_NUMERIC_V4_RE = re.compile(r"[0-9A-Fa-fXx.]+")
# Not covered (fully) by ipaddress's flags on Python 3.11: CGNAT, and the IPv6 ranges that embed
# an IPv4 address a gateway would connect to for us.
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64): where packets really go."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_forbidden_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is internal (loopback, private, link-local, CGNAT, multicast, reserved ...)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_forbidden_address(inner)
        if ip.is_site_local or ip in _NAT64_LOCAL:
            return True
    elif ip in _CGNAT:
        return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or not ip.is_global
    )


def check_address(ip: IPAddress, allowlist: Sequence[IPNetwork]) -> None:
    """Raise ``url_forbidden`` unless ``ip`` is public or inside an operator-allowed network."""
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        candidates.append(inner)
    if any(c in net for c in candidates for net in allowlist) or not is_forbidden_address(ip):
        return
    raise FileRejected(f"URL points to a non-public address ({ip}).", code="url_forbidden")


def validate_url(url: str) -> str:
    """Syntax check at intake (no DNS), so hopeless URLs are refused before anything is queued."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise FileRejected(f"URL is longer than {MAX_URL_LENGTH} characters.", code="invalid_url")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise FileRejected("URL is malformed.", code="invalid_url") from None
    if parsed.scheme not in ("http", "https"):
        raise FileRejected("Only http and https URLs can be fetched.", code="invalid_url")
    if parsed.userinfo:
        # Credentials would end up in logs and records; the message must not repeat them.
        raise FileRejected("URLs with user name or password are not accepted.", code="invalid_url")
    host = parsed.raw_host.decode("ascii", "replace")
    if not host or not (_HOST_RE.fullmatch(host) or _literal_host_ip(host) is not None):
        raise FileRejected("URL has no valid host.", code="invalid_url")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FileRejected("URL has an invalid port.", code="invalid_url")
    return url


def _literal_host_ip(host: str) -> IPAddress | None:
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host)
    if _NUMERIC_V4_RE.fullmatch(host):
        # "127.1", "0x7f000001", "2130706433": the resolver reads these as IPv4 literals too.
        with contextlib.suppress(OSError):
            return ipaddress.IPv4Address(socket.inet_aton(host))
    return None


def literal_ip(url: str) -> IPAddress | None:
    """The IP if the URL's host is an IP literal (any notation the resolver accepts), else None."""
    try:
        return _literal_host_ip(httpx.URL(url.strip()).raw_host.decode("ascii", "replace"))
    except (httpx.InvalidURL, ValueError):
        return None


@dataclass(frozen=True)
class FetchedFile:
    path: Path
    filename: str
    size: int
    sha256: str
    final_url: str
    content_type: str | None


def resolve_checked(url: httpx.URL, allowlist: Sequence[IPNetwork]) -> IPAddress:
    """Resolve once and check every address: one bad record means the name is not trusted."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        cls = TransientError if exc.errno == socket.EAI_AGAIN else ProcessingError
        raise cls(f"Could not resolve host {host}.", code="url_unresolvable") from None
    except (OSError, UnicodeError):
        raise ProcessingError(f"Could not resolve host {host}.", code="url_unresolvable") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise ProcessingError(f"Could not resolve host {host}.", code="url_unresolvable")
    for ip in addresses:
        check_address(ip, allowlist)
    return addresses[0]


@contextlib.contextmanager
def _network_errors(host: str) -> Iterator[None]:
    """Translate httpx failures; messages name only the host, never the URL (credentials, tokens)."""
    try:
        yield
    except httpx.TimeoutException:
        raise TransientError(f"Timed out fetching from {host}.", code="url_timeout") from None
    except httpx.DecodingError:
        raise ProcessingError(f"{host} sent an undecodable body.", code="url_http_error") from None
    except httpx.HTTPError:
        raise TransientError(f"Could not fetch from {host}.", code="url_unreachable") from None


def _filename(response: httpx.Response, url: httpx.URL) -> str:
    """Content-Disposition (``filename*`` beats ``filename``), else the URL's last path segment."""
    disposition = response.headers.get("content-disposition")
    if disposition:
        message = Message()
        message["content-disposition"] = disposition
        params = message.get_params(header="content-disposition", failobj=[])[1:]
        extended = [v for k, v in params if k.lower() == "filename" and isinstance(v, tuple)]
        plain = [v for k, v in params if k.lower() == "filename" and isinstance(v, str)]
        for value in extended[:1] or plain[:1]:
            if name := clean_filename(collapse_rfc2231_value(value, errors="replace"), ""):
                return name
    segments = [s for s in url.raw_path.split(b"?")[0].decode("ascii", "replace").split("/") if s]
    if segments and (name := clean_filename(unquote(segments[-1], errors="replace"), "")):
        return name
    return "download"


def _decoded(response: httpx.Response, host: str) -> Iterator[bytes]:
    """The body, decompressed here in bounded steps: servers may gzip despite `identity`, and
    httpx would inflate each network chunk whole, with no cap, before any size check ran."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    raw = response.iter_raw(_CHUNK)
    if encoding in ("", "identity"):
        yield from raw
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise ProcessingError(
            f"{host} sent the file with Content-Encoding {encoding!r}, which is not accepted.",
            code="url_encoding_unsupported",
        )
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
    try:
        for chunk in raw:
            data = chunk
            while data:
                yield inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error:
        raise ProcessingError(f"{host} sent a corrupt compressed body.", code="url_http_error") from None


def _save(response: httpx.Response, url: httpx.URL, limit: int, deadline: float, dest: Path) -> FetchedFile:
    """Stream the body to a temp file in ``dest``, hashing as it goes; remove it on any failure."""
    host = url.host
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"{host} answered HTTP {response.status_code}.", code="url_unreachable")
    if not 200 <= response.status_code < 300:
        raise ProcessingError(f"{host} answered HTTP {response.status_code}.", code="url_http_error")
    too_large = ProcessingError(f"File from {host} exceeds {limit} bytes.", code="file_too_large")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=".fetch-", suffix=".part")
    path, digest, size = Path(tmp), hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out, _network_errors(host):
            for chunk in _decoded(response, host):
                size += len(chunk)
                if size > limit:
                    raise too_large
                if time.monotonic() > deadline:
                    raise TransientError(f"Timed out fetching from {host}.", code="url_timeout")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    content_type = response.headers.get("content-type")
    return FetchedFile(path, _filename(response, url), size, digest.hexdigest(), str(url), content_type)


def fetch_url(url: str, *, settings: Settings, dest_dir: Path) -> FetchedFile:
    """Download ``url`` into ``dest_dir``, checking the address of every hop (see module doc)."""
    current = httpx.URL(validate_url(url))
    step = settings.url_timeout_seconds
    deadline = time.monotonic() + 4 * step
    # trust_env=False: a proxy from the environment would connect by name, undoing the IP pinning.
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=step) as client:
        for _hop in range(settings.url_max_redirects + 1):
            ip = resolve_checked(current, settings.url_allowlist)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransientError(f"Timed out fetching from {current.host}.", code="url_timeout")
            host = current.raw_host.decode("ascii")
            netloc = f"[{host}]" if ":" in host else host
            headers = {
                "Host": netloc if current.port is None else f"{netloc}:{current.port}",
                "Accept-Encoding": "identity",  # ask for plain bytes; _decoded copes with servers that ignore it
            }
            extensions = {"sni_hostname": host} if current.scheme == "https" else {}
            request = client.build_request(
                "GET",
                current.copy_with(host=str(ip)),
                headers=headers,
                extensions=extensions,
                timeout=httpx.Timeout(min(step, remaining)),
            )
            client.cookies.clear()  # nothing from one hop travels to the next
            with _network_errors(current.host):
                response = client.send(request, stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    try:
                        current = httpx.URL(validate_url(str(current.join(location))))
                    except httpx.InvalidURL:
                        raise FileRejected("Redirect target is malformed.", code="invalid_url") from None
                    continue
                return _save(response, current, settings.max_file_bytes, deadline, dest_dir)
            finally:
                response.close()
    raise ProcessingError(f"More than {settings.url_max_redirects} redirects.", code="url_too_many_redirects")
