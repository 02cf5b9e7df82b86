"""GET /v1/imports/{id}/events: an import's progress as Server-Sent Events, and its stream tokens.

The ``service`` fixture processes files inline (final when the POST returns), so the live tests
hold the queue instead: files stay `queued` until the test processes them itself, with the real
``processing.process_file``, while it reads the stream from a real server (uvicorn on a loopback
port, in a thread) with httpx.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from docintake.clock import utcnow
from docintake.pipeline.runner import PipelineContext, PipelineOutcome
from docintake.services import auth as auth_service
from docintake.services import processing, progress
from docintake.services.auth import revoke_api_key
from tests.api.test_auth import add_user, login
from tests.conftest import Service, Tenant, make_pdf
from tests.helpers import assert_problem, created
from tests.integration.live import free_port

POLL = 0.05


@dataclass
class Message:
    event: str = "message"
    id: str | None = None
    data: str = ""
    retry: int | None = None

    @property
    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.data)
        return body


@dataclass
class Stream:
    """What a client read: events, comments and ``retry`` hints, in order."""

    messages: list[Message] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retries: list[int] = field(default_factory=list)

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return [(m.json["fileId"], m.json["status"]) for m in self.messages if m.event == "file.status"]

    @property
    def events(self) -> list[str]:
        return [m.event for m in self.messages]


def parse_sse(lines: Iterator[str], stream: Stream) -> Iterator[Message]:
    """The text/event-stream format (WHATWG HTML, 9.2.6), as far as this API uses it."""
    current = Message()
    seen = False
    for line in lines:
        if line == "":
            if current.retry is not None:
                stream.retries.append(current.retry)
            if seen:
                stream.messages.append(current)
                yield current
            current, seen = Message(), False
            continue
        if line.startswith(":"):
            stream.comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            current.event, seen = value, True
        elif name == "data":
            current.data = f"{current.data}\n{value}" if current.data else value
            seen = True
        elif name == "id":
            current.id = value
        elif name == "retry":
            current.retry = int(value)


@pytest.fixture
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "POLL_SECONDS", POLL)


@pytest.fixture
def held(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Files are queued but not processed: the test processes them when it wants."""
    queued: list[str] = []
    monkeypatch.setattr(
        service.container.queue, "enqueue_file", lambda file_id, **_: queued.append(file_id), raising=False
    )
    return queued


@contextmanager
def live(service: Service) -> Iterator[str]:
    """The service's app on a real HTTP server on a loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        service.client.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        assert not thread.is_alive()


def upload(service: Service, count: int, *, tenant: Tenant | None = None) -> tuple[str, list[str]]:
    files = [("files", (f"doc-{n}.pdf", make_pdf(seed=n), "application/pdf")) for n in range(count)]
    body = created(
        service.client.post("/v1/ingest/uploads", headers=(tenant or service.tenant).headers, files=files)
    )
    return body["importId"], [f["id"] for f in body["files"]]


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def read_all(response: Any) -> Stream:
    stream = Stream()
    for _ in parse_sse(response.iter_lines(), stream):
        pass
    return stream


# -- the stream of an import, from the first file to completion ----------------------------------


def test_stream_shows_every_file_from_queued_to_processed_then_completes(
    service: Service, held: list[str], fast_polls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id, file_ids = upload(service, 3)
    assert sorted(held) == sorted(file_ids)
    by_name = {f"doc-{n}.pdf": file_id for n, file_id in enumerate(file_ids)}

    # Each file stays `processing` until the stream has shown it so (a text PDF takes milliseconds,
    # less than a poll), then the real pipeline runs.
    shown = {file_id: threading.Event() for file_id in file_ids}
    real_pipeline = processing.run_pipeline

    def gated(stages: Any, ctx: PipelineContext) -> PipelineOutcome:
        assert shown[by_name[ctx.filename]].wait(10), f"the stream never showed {ctx.filename} processing"
        return real_pipeline(stages, ctx)

    monkeypatch.setattr(processing, "run_pipeline", gated)
    failures: list[BaseException] = []

    def drive() -> None:
        try:
            for file_id in file_ids:
                processing.process_file(service.container, file_id)
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    driver = threading.Thread(target=drive, name="driver")
    stream = Stream()
    with live(service) as base, httpx.Client(base_url=base, timeout=30) as client:
        url = f"/v1/imports/{import_id}/events"
        with client.stream("GET", url, headers=service.tenant.headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            for message in parse_sse(response.iter_lines(), stream):
                if message.event != "file.status":
                    continue
                data = message.json
                if len(stream.statuses) == len(file_ids):  # everything as it was: start working
                    assert {status for _, status in stream.statuses} == {"queued"}
                    driver.start()
                if data["status"] == "processing":
                    shown[data["fileId"]].set()
        # the server ended the stream after import.completed
    driver.join(30)
    assert not failures, failures

    for file_id in file_ids:
        assert [status for fid, status in stream.statuses if fid == file_id] == [
            "queued",
            "processing",
            "processed",
        ]
    # one file at a time: the driver processes them in order
    assert [s for _, s in stream.statuses[len(file_ids) :]] == ["processing", "processed"] * 3
    assert stream.events.count("import.completed") == 1
    assert stream.events[-1] == "import.completed"
    completed = stream.messages[-1].json
    assert completed["id"] == import_id
    assert completed["status"] == "completed"
    assert completed["counts"] == {"queued": 0, "processing": 0, "processed": 3, "failed": 0, "rejected": 0}
    first = next(m for m in stream.messages if m.event == "file.status").json
    assert first.keys() == {"fileId", "filename", "status", "errorCode"}
    assert first["filename"] == "doc-0.pdf" and first["errorCode"] is None
    # every event has an id; a retry hint comes first
    assert all(m.id for m in stream.messages)
    assert len({m.id for m in stream.messages}) == len(stream.messages)
    assert stream.retries == [progress.RETRY_MILLISECONDS]
    # the API says the same
    imp = service.client.get(f"/v1/imports/{import_id}", headers=service.tenant.headers).json()
    assert imp["status"] == "completed"
    assert progress.active_streams() == 0


def test_failed_and_cancelled_files_are_final_too(
    service: Service, held: list[str], fast_polls: None
) -> None:
    import_id, file_ids = upload(service, 2)
    processing.fail_file(service.container, file_ids[0], "pdf_unreadable", "broken")
    cancel = service.client.post(f"/v1/imports/{import_id}/cancel", headers=service.tenant.headers)
    assert cancel.status_code == 200
    response = service.client.get(f"/v1/imports/{import_id}/events", headers=service.tenant.headers)
    assert response.status_code == 200
    stream = read_all(response)
    assert [(m.json["status"], m.json["errorCode"]) for m in stream.messages[:2]] == [
        ("failed", "pdf_unreadable"),
        ("failed", "cancelled"),
    ]
    assert stream.events == ["file.status", "file.status", "import.completed"]
    assert stream.messages[-1].json["status"] == "cancelled"


def test_keepalive_comments_while_nothing_changes(
    service: Service, held: list[str], fast_polls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "KEEPALIVE_SECONDS", 0.2)
    import_id, file_ids = upload(service, 1)
    stream = Stream()
    with live(service) as base, httpx.Client(base_url=base, timeout=30) as client:
        url = f"/v1/imports/{import_id}/events"
        with client.stream("GET", url, headers=service.tenant.headers) as response:
            lines = response.iter_lines()
            next(parse_sse(lines, stream))
            while len(stream.comments) < 2:
                for line in lines:
                    if line.startswith(":"):
                        stream.comments.append(line[1:].strip())
                        break
            processing.process_file(service.container, file_ids[0])
            for _ in parse_sse(lines, stream):
                pass
    assert stream.comments[:2] == ["keepalive", "keepalive"]
    assert stream.statuses[0] == (file_ids[0], "queued")
    assert stream.statuses[-1] == (file_ids[0], "processed")
    assert stream.events[-1] == "import.completed"


def test_the_stream_ends_when_the_client_goes_away(
    service: Service, held: list[str], fast_polls: None
) -> None:
    import_id, _ = upload(service, 1)
    with live(service) as base, httpx.Client(base_url=base, timeout=30) as client:
        url = f"/v1/imports/{import_id}/events"
        with client.stream("GET", url, headers=service.tenant.headers) as response:
            messages = parse_sse(response.iter_lines(), Stream())  # (a reference keeps it open)
            next(messages)
            time.sleep(3 * POLL)
            assert progress.active_streams() == 1
        # the server notices the closed connection and stops polling for it
        wait_until(lambda: progress.active_streams() == 0, timeout=5)


# -- resuming with Last-Event-ID -------------------------------------------------------------------


def test_last_event_id_resumes_without_repeats(service: Service, held: list[str], fast_polls: None) -> None:
    import_id, (first, second) = upload(service, 2)
    url = f"/v1/imports/{import_id}/events"
    with live(service) as base, httpx.Client(base_url=base, timeout=30) as client:
        before = Stream()
        with client.stream("GET", url, headers=service.tenant.headers) as response:
            for _ in parse_sse(response.iter_lines(), before):
                if len(before.messages) == 2:
                    break
        assert before.statuses == [(first, "queued"), (second, "queued")]
        seen = before.messages[-1].id
        assert seen

        # while the client is away, the first file is processed
        processing.process_file(service.container, first)
        after = Stream()
        headers = {**service.tenant.headers, "Last-Event-ID": seen}
        with client.stream("GET", url, headers=headers) as response:
            lines = parse_sse(response.iter_lines(), after)
            next(lines)
            assert after.statuses == [(first, "processed")]  # nothing it had already
            processing.process_file(service.container, second)
            for _ in lines:
                pass
        # (the second file's `processing` may or may not fall between two polls)
        assert [s for s in after.statuses if s[1] != "processing"] == [
            (first, "processed"),
            (second, "processed"),
        ]
        assert after.events[-1] == "import.completed"
        assert after.retries == [progress.RETRY_MILLISECONDS]

        # reconnecting from the middle sends only what came after it
        middle = {**service.tenant.headers, "Last-Event-ID": after.messages[0].id}
        again = read_all(client.get(url, headers=middle))
        assert again.statuses == [(second, "processed")]
        assert again.events == ["file.status", "import.completed"]

        # a client that saw the completion is told to stop reconnecting (204)
        done = client.get(url, headers={**service.tenant.headers, "Last-Event-ID": after.messages[-1].id})
        assert done.status_code == 204
        assert done.content == b""

        # an id that is not ours (or garbage) is no id: everything again
        for bogus in ("nonsense", "1.2.abc.def", "1.99.0000000000000000.eJwrBAAAcwBz", seen + "x"):
            fresh = read_all(client.get(url, headers={**service.tenant.headers, "Last-Event-ID": bogus}))
            assert fresh.statuses == [(first, "processed"), (second, "processed")]
            assert fresh.events[-1] == "import.completed"


def test_a_file_added_later_is_sent_on_resume(service: Service, held: list[str]) -> None:
    """A zip fetched from a URL adds files to the import after the stream started; cursor ids
    cover the files they knew, and the new ones are sent."""
    import_id, (first,) = upload(service, 1)
    processing.fail_file(service.container, first, "x", "y")
    stream = read_all(service.client.get(f"/v1/imports/{import_id}/events", headers=service.tenant.headers))
    cursor = next(m.id for m in stream.messages if m.event == "file.status")
    assert cursor
    # the same cursor against the same files is exact; with one more file appended it still lines up
    known, done = progress.decode_cursor(cursor, [first])
    assert (known, done) == ({first: "f"}, False)
    known, _ = progress.decode_cursor(cursor, [first, "ffffffff-ffff-7fff-bfff-ffffffffffff"])
    assert known == {first: "f"}
    known, _ = progress.decode_cursor(cursor, ["00000000-0000-7000-8000-000000000000", first])
    assert known == {}
    assert progress.decode_cursor(cursor + "x" * 20_000, [first]) == ({}, False)


# -- authentication and tenancy ----------------------------------------------------------------------


def stream_token(
    service: Service, import_id: str, *, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = service.client.post(
        f"/v1/imports/{import_id}/events/token", headers=headers or service.tenant.headers
    )
    return created(response)


def test_stream_token_opens_only_its_import_stream(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    import_id, _ = upload(service, 1)
    other_id, _ = upload(service, 1)
    answer = stream_token(service, import_id)
    token = answer["token"]
    assert token.startswith("dis_")
    expires = datetime.fromisoformat(answer["expiresAt"])
    assert timedelta(minutes=4) < expires - utcnow() <= timedelta(minutes=5)

    # no headers at all: the query token is enough, on this import's stream
    response = service.client.get(f"/v1/imports/{import_id}/events", params={"token": token})
    assert response.status_code == 200, response.text
    stream = read_all(response)
    assert stream.events == ["file.status", "import.completed"]

    # not for another import of the same environment
    assert_problem(service.client.get(f"/v1/imports/{other_id}/events", params={"token": token}), 401)
    # and nowhere else: not the import itself, nor its token endpoint, nor any list
    for method, path in [
        ("GET", f"/v1/imports/{import_id}"),
        ("GET", "/v1/imports"),
        ("GET", f"/v1/imports/{import_id}/events/token"),
        ("POST", f"/v1/imports/{import_id}/events/token"),
        ("POST", f"/v1/imports/{import_id}/cancel"),
        ("GET", f"/v1/documents?import_id={import_id}"),
    ]:
        assert_problem(service.client.request(method, path, params={"token": token}), 401)
    # an access-token or API key in the query is not accepted either (they would end up in URLs)
    assert_problem(
        service.client.get(f"/v1/imports/{import_id}/events", params={"token": service.tenant.key}), 401
    )
    # the token never reaches a log line of the service (httpx, the test's client, logs its URLs)
    server_lines = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "/events" in server_lines
    assert token.split(".")[-1] not in server_lines


def test_invalid_expired_and_revoked_stream_tokens_are_401(service: Service) -> None:
    import_id, _ = upload(service, 1)
    url = f"/v1/imports/{import_id}/events"
    token = stream_token(service, import_id)["token"]
    body, _, mac = token.partition(".")
    tampered_mac = mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB")
    for bad in ("", "dis_", "dis_x.y", "garbage", f"{body}.{tampered_mac}", token + "x", "dis_" + "A" * 500):
        body401 = assert_problem(service.client.get(url, params={"token": bad}), 401, "unauthorized")
        assert "token" in body401["detail"]
    # another import's id swapped into a genuine token's body breaks the signature
    other_id, _ = upload(service, 1)
    assert_problem(service.client.get(f"/v1/imports/{other_id}/events", params={"token": token}), 401)

    # expired
    with service.container.db.session() as session:
        principal = auth_service.authenticate_api_key(session, service.tenant.key)
        expired, _ = auth_service.issue_stream_token(session, principal, import_id, ttl_seconds=-1)
    problem = assert_problem(service.client.get(url, params={"token": expired}), 401)
    assert "expired" in problem["detail"]

    # revoking the key that asked for the token voids it
    assert service.client.get(url, params={"token": token}).status_code == 200
    with service.container.db.session() as session:
        revoke_api_key(session, service.tenant.key.rpartition("_")[0])
    assert_problem(service.client.get(url, params={"token": token}), 401)


def test_stream_token_for_a_user_access_token(service: Service) -> None:
    add_user(service)
    headers = {"Authorization": f"Bearer {login(service)}"}
    import_id, _ = upload(service, 1)
    assert service.client.get(f"/v1/imports/{import_id}/events", headers=headers).status_code == 200
    token = stream_token(service, import_id, headers=headers)["token"]
    response = service.client.get(f"/v1/imports/{import_id}/events", params={"token": token})
    assert response.status_code == 200
    assert read_all(response).events[-1] == "import.completed"


def test_headers_work_and_win_over_a_query_token(service: Service) -> None:
    import_id, _ = upload(service, 1)
    url = f"/v1/imports/{import_id}/events"
    ok = service.client.get(url, headers={"Authorization": "Bearer nope"}, params={"token": "whatever"})
    assert_problem(ok, 401)  # the header is the credential, and it is wrong
    assert service.client.get(url, headers=service.tenant.headers, params={"token": "x"}).status_code == 200


@pytest.fixture(params=["other-account", "own-sandbox"])
def stranger(request: pytest.FixtureRequest, service: Service) -> Tenant:
    if request.param == "other-account":
        return service.new_tenant("other", "production")
    return service.new_tenant("acme", "sandbox")


def test_another_environments_import_is_404(service: Service, stranger: Tenant) -> None:
    import_id, _ = upload(service, 1)
    for method, path in [
        ("GET", f"/v1/imports/{import_id}/events"),
        ("POST", f"/v1/imports/{import_id}/events/token"),
    ]:
        foreign = service.client.request(method, path, headers=stranger.headers)
        assert_problem(foreign, 404, "not_found")
        never = service.client.request(
            method, path.replace(import_id, "does-not-exist"), headers=stranger.headers
        )
        assert_problem(never, 404, "not_found")
    # a token of the stranger's own import does not open the owner's
    theirs, _ = upload(service, 1, tenant=stranger)
    token = stream_token(service, theirs, headers=stranger.headers)["token"]
    assert_problem(service.client.get(f"/v1/imports/{import_id}/events", params={"token": token}), 401)


def test_openapi_describes_the_stream(service: Service) -> None:
    schema = service.client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/imports/{import_id}/events"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"import_id", "last-event-id", "token"}
