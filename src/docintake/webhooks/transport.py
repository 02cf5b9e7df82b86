"""One webhook request, sent the way URL intake fetches: through the same SSRF checks.

A webhook URL is user input pointing our workers at any address, so the rules of URL intake apply
at every attempt (DNS can change between attempts): the name is resolved once, every address must
be public unless allow-listed (``DOCINTAKE_URL_ALLOWLIST``), and the request goes to that checked
address with the name only in ``Host``/SNI. Redirects are not followed: a receiver answering 3xx
has failed the attempt (following it would bypass the checks and re-send the signed body
elsewhere). Only the start of the answer is read; receivers need not be well-behaved.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import httpx

from docintake.errors import DocintakeError
from docintake.intake.urls import resolve_checked, validate_url
from docintake.settings import Settings
from docintake.webhooks.schedule import parse_retry_after

RESPONSE_BODY_BYTES = 2048
USER_AGENT = "docintake-webhooks/1"


@dataclass(frozen=True)
class AttemptResult:
    """How one request went, as the delivery log shows it. ``status_code`` is None when no answer
    came (refused address, connection error, timeout); ``error`` then says why."""

    status_code: int | None
    latency_ms: int | None
    error: str | None = None
    response_body: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and self.error is None


def post(settings: Settings, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST ``body`` to ``url``; never raises for anything the receiver or the network does."""
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        target = httpx.URL(validate_url(url))
        ip = resolve_checked(target, settings.url_allowlist)
    except DocintakeError as exc:
        return AttemptResult(None, None, f"refused: {exc.message}")
    host = target.raw_host.decode("ascii")
    netloc = f"[{host}]" if ":" in host else host
    request_headers = {
        **headers,
        "Host": netloc if target.port is None else f"{netloc}:{target.port}",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
    }
    timeout = settings.webhook_timeout_seconds
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    # trust_env=False: a proxy from the environment would connect by name, undoing the pinning.
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=timeout) as client:
        request = client.build_request(
            "POST",
            target.copy_with(host=str(ip)),
            content=body,
            headers=request_headers,
            extensions=extensions,
        )
        try:
            response = client.send(request, stream=True)
        except httpx.TimeoutException:
            return AttemptResult(None, elapsed(), f"timed out after {timeout:g} s")
        except httpx.HTTPError as exc:
            return AttemptResult(
                None, elapsed(), f"could not connect: {str(exc)[:200] or type(exc).__name__}"
            )
        latency = elapsed()  # the time to the answer's status line: what the receiver made us wait
        try:
            head = _read_head(response)
        finally:
            response.close()
    status = response.status_code
    error = None
    if 300 <= status < 400:
        error = f"HTTP {status}: redirects are not followed"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    return AttemptResult(
        status,
        latency,
        error,
        head.decode("utf-8", "replace"),
        parse_retry_after(response.headers.get("retry-after")),
    )


def _read_head(response: httpx.Response) -> bytes:
    """The first ``RESPONSE_BODY_BYTES`` of the answer; the rest is never downloaded."""
    head = b""
    # The status decided the attempt; a body cut short (timeout, reset) is only less to show.
    with contextlib.suppress(httpx.HTTPError):
        for chunk in response.iter_raw():
            head += chunk
            if len(head) >= RESPONSE_BODY_BYTES:
                break
    return head[:RESPONSE_BODY_BYTES]
