"""The /v1/webhooks API: endpoints and their secrets, SSRF refusals, tenancy, the delivery log,
replay, and a signed test ping received by a real HTTP server on loopback."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from docintake.client import DocintakeAPIError, DocintakeClient
from docintake.clock import utcnow
from docintake.services.events import EVENT_TYPES, record_event
from docintake.storage.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret
from docintake.webhooks import queue_delivery
from tests.conftest import Service, Tenant, make_pdf
from tests.helpers import assert_problem, created, get

LOOPBACK = {"url_allowlist": ["127.0.0.1/32"]}


# -- a receiver on loopback ----------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    answer: bytes = b"ok"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 in a thread that records what it gets and answers ``status``."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("content-length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/docintake"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def verified(secret: str, request: Received) -> Any:
    """What a receiver does: the reference library checks signature and timestamp, then parses."""
    return Webhook(secret).verify(request.body, request.headers)


# -- helpers -------------------------------------------------------------------------------------


def create_webhook(service: Service, tenant: Tenant | None = None, **body: Any) -> dict[str, Any]:
    payload = {"url": "https://hooks.example.com/docintake", **body}
    response = service.client.post("/v1/webhooks", json=payload, headers=(tenant or service.tenant).headers)
    return created(response)


def add_event(service: Service, environment_id: str, type: str = "file.processed") -> tuple[str, list[str]]:
    """An event as processing records it (outbox row + one delivery per endpoint that wants it)."""
    with service.container.db.session() as session:
        event, deliveries = record_event(
            session,
            type=type,
            environment_id=environment_id,
            payload={"id": "file-1", "status": "processed"},
            file_id="file-1",
        )
        return event.id, [d.id for d in deliveries]


def add_attempt(service: Service, delivery_id: str, **values: Any) -> None:
    with service.container.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        delivery.attempts += 1
        session.add(WebhookAttempt(delivery_id=delivery_id, attempt=delivery.attempts, **values))


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- endpoints -----------------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_never_logs_it(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        body = create_webhook(service, description="ERP", events=["file.processed", "import.completed"])
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24
    assert body["url"] == "https://hooks.example.com/docintake"
    assert body["events"] == ["file.processed", "import.completed"]
    assert body["description"] == "ERP"
    assert body["enabled"] is True
    assert body["disabledReason"] is None and body["disabledAt"] is None
    assert len(body["secrets"]) == 1
    assert body["secrets"][0].keys() == {"id", "createdAt", "expiresAt"}
    assert body["secrets"][0]["expiresAt"] is None
    assert body.keys() >= {"id", "createdAt", "updatedAt"}
    assert secret not in caplog.text

    one = service.client.get(f"/v1/webhooks/{body['id']}", headers=service.tenant.headers)
    listed = service.client.get("/v1/webhooks", headers=service.tenant.headers)
    for response in (one, listed):
        assert response.status_code == 200
        assert secret not in response.text
        assert 'secret"' not in response.text.replace('"secrets"', "")
    assert one.json() == {k: v for k, v in body.items() if k != "secret"}
    assert [w["id"] for w in listed.json()["items"]] == [body["id"]]
    # and the value is the one stored for signing
    with service.container.db.session() as session:
        assert session.get(WebhookSecret, body["secrets"][0]["id"]).secret == secret  # type: ignore[union-attr]


def test_events_default_to_all_and_unknown_ones_are_refused_by_name(service: Service) -> None:
    assert create_webhook(service)["events"] == []
    assert create_webhook(service, events=[])["events"] == []
    assert create_webhook(service, events=["file.failed", "file.failed"])["events"] == ["file.failed"]
    response = service.client.post(
        "/v1/webhooks",
        headers=service.tenant.headers,
        json={"url": "https://hooks.example.com/x", "events": ["file.processed", "file.exploded"]},
    )
    problem = assert_problem(response, 400, "unknown_event_type")
    assert "'file.exploded'" in problem["detail"]
    assert "file.processed'" not in problem["detail"].split(";")[0]
    hook = create_webhook(service)
    patched = service.client.patch(
        f"/v1/webhooks/{hook['id']}", headers=service.tenant.headers, json={"events": ["nope"]}
    )
    assert "'nope'" in assert_problem(patched, 400, "unknown_event_type")["detail"]


def test_list_pages_newest_first(service: Service) -> None:
    ids = [create_webhook(service, description=str(n))["id"] for n in range(3)]
    first = get(service, "/v1/webhooks", limit=2)
    assert [w["id"] for w in first["items"]] == ids[::-1][:2]
    assert first["nextCursor"]
    second = get(service, "/v1/webhooks", limit=2, cursor=first["nextCursor"])
    assert [w["id"] for w in second["items"]] == [ids[0]]
    assert second["nextCursor"] is None
    assert_problem(service.client.get("/v1/webhooks?limit=0", headers=service.tenant.headers), 400)


def test_patch_changes_what_is_sent_and_keeps_the_rest(service: Service) -> None:
    hook = create_webhook(service, description="old", events=["file.processed"])
    path, headers = f"/v1/webhooks/{hook['id']}", service.tenant.headers
    response = service.client.patch(path, headers=headers, json={"url": "https://other.example.org/h"})
    assert response.status_code == 200, response.text
    assert response.json()["url"] == "https://other.example.org/h"
    assert response.json()["description"] == "old"
    assert response.json()["events"] == ["file.processed"]
    changed = service.client.patch(path, headers=headers, json={"description": "new", "events": []}).json()
    assert (changed["description"], changed["events"], changed["url"]) == (
        "new",
        [],
        "https://other.example.org/h",
    )
    assert parse_time(changed["updatedAt"]) >= parse_time(hook["updatedAt"])
    assert "secret" not in changed
    assert changed["secrets"] == hook["secrets"]
    assert_problem(service.client.patch(path, headers=headers, json={"url": None}), 400, "validation_error")
    assert_problem(service.client.patch(path, headers=headers, json={"enabled": "maybe"}), 400)


def test_disabling_and_re_enabling_clears_the_failure_state(service: Service) -> None:
    hook = create_webhook(service)
    path, headers = f"/v1/webhooks/{hook['id']}", service.tenant.headers
    off = service.client.patch(path, headers=headers, json={"enabled": False}).json()
    assert off["enabled"] is False and off["disabledAt"] and off["disabledReason"]
    # the delivery engine disabled it after failures
    with service.container.db.session() as session:
        row = session.get(WebhookEndpoint, hook["id"])
        assert row is not None
        row.disabled_reason, row.disabled_at, row.consecutive_failures = "HTTP 410 Gone", utcnow(), 17
    assert get(service, path)["disabledReason"] == "HTTP 410 Gone"
    on = service.client.patch(path, headers=headers, json={"enabled": True}).json()
    assert (on["enabled"], on["disabledReason"], on["disabledAt"]) == (True, None, None)
    with service.container.db.session() as session:
        row = session.get(WebhookEndpoint, hook["id"])
        assert row is not None and row.consecutive_failures == 0
    created_off = create_webhook(service, enabled=False)
    assert created_off["enabled"] is False and created_off["disabledAt"]


def test_delete_removes_the_endpoint_and_its_log(service: Service) -> None:
    hook = create_webhook(service)
    _, deliveries = add_event(service, service.tenant.environment_id)
    assert len(deliveries) == 1
    add_attempt(service, deliveries[0], status_code=500, latency_ms=12)
    path, headers = f"/v1/webhooks/{hook['id']}", service.tenant.headers
    assert service.client.delete(path, headers=headers).status_code == 204
    assert_problem(service.client.get(path, headers=headers), 404, "not_found")
    assert_problem(service.client.delete(path, headers=headers), 404, "not_found")
    assert get(service, "/v1/webhooks")["items"] == []
    with service.container.db.session() as session:
        assert session.get(WebhookDelivery, deliveries[0]) is None
        assert session.query(WebhookSecret).count() == 0
        assert session.query(WebhookAttempt).count() == 0


# -- SSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code", "reason"),
    [
        ("http://127.0.0.1/", "url_forbidden", "non-public address (127.0.0.1)"),
        ("http://10.1.2.3:8080/hook", "url_forbidden", "non-public address (10.1.2.3)"),
        ("http://169.254.169.254/latest/meta-data", "url_forbidden", "non-public"),
        ("http://[::1]/hook", "url_forbidden", "non-public"),
        ("http://[::ffff:192.168.0.1]/hook", "url_forbidden", "non-public"),
        ("http://0x7f000001/hook", "url_forbidden", "non-public address (127.0.0.1)"),
        ("http://2130706433/hook", "url_forbidden", "non-public address (127.0.0.1)"),
        ("file:///etc/passwd", "invalid_url", "Only http and https"),
        ("ftp://hooks.example.com/x", "invalid_url", "Only http and https"),
        ("gopher://hooks.example.com/x", "invalid_url", "Only http and https"),
        ("https://", "invalid_url", ""),
        ("not a url", "invalid_url", ""),
    ],
)
def test_private_and_non_http_urls_are_refused(service: Service, url: str, code: str, reason: str) -> None:
    response = service.client.post("/v1/webhooks", headers=service.tenant.headers, json={"url": url})
    problem = assert_problem(response, 400, code)
    assert url.strip() in problem["detail"]
    assert reason in problem["detail"]
    assert get(service, "/v1/webhooks")["items"] == []
    # the same on a change of URL
    hook = create_webhook(service)
    patched = service.client.patch(
        f"/v1/webhooks/{hook['id']}", headers=service.tenant.headers, json={"url": url}
    )
    assert_problem(patched, 400, code)
    assert get(service, f"/v1/webhooks/{hook['id']}")["url"] == hook["url"]


def test_credentials_in_the_url_are_refused_without_being_repeated(service: Service) -> None:
    url = "https://admin:hunter2@hooks.example.com/x"
    response = service.client.post("/v1/webhooks", headers=service.tenant.headers, json={"url": url})
    problem = assert_problem(response, 400, "invalid_url")
    assert "hunter2" not in response.text
    assert "hooks.example.com" in problem["detail"]


@pytest.mark.parametrize("settings_overrides", [LOOPBACK])
def test_the_allowlist_admits_a_private_address(service: Service) -> None:
    assert create_webhook(service, url="http://127.0.0.1:9/hook")["url"] == "http://127.0.0.1:9/hook"
    # only what is listed
    response = service.client.post(
        "/v1/webhooks", headers=service.tenant.headers, json={"url": "http://127.0.0.2/"}
    )
    assert_problem(response, 400, "url_forbidden")


# -- secrets -------------------------------------------------------------------------------------


def test_rotation_returns_a_new_secret_and_the_old_one_expires_after_the_grace(service: Service) -> None:
    hook = create_webhook(service)
    path, headers = f"/v1/webhooks/{hook['id']}/secret/rotate", service.tenant.headers
    before = utcnow()
    rotated = service.client.post(path, headers=headers)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != hook["secret"]
    shown = get(service, f"/v1/webhooks/{hook['id']}")
    assert hook["secret"] not in json.dumps(shown) and body["secret"] not in json.dumps(shown)
    assert [s["id"] for s in shown["secrets"]][1] == hook["secrets"][0]["id"]
    new, old = shown["secrets"]
    assert new["expiresAt"] is None
    expires = parse_time(old["expiresAt"])
    assert before + timedelta(hours=24) <= expires <= utcnow() + timedelta(hours=24)

    # a shorter grace shortens it; an old secret never lives longer by rotating again
    again = service.client.post(path, headers=headers, json={"graceSeconds": 60}).json()
    secrets = get(service, f"/v1/webhooks/{hook['id']}")["secrets"]
    assert len(secrets) == 3
    assert secrets[0]["expiresAt"] is None
    assert all(parse_time(s["expiresAt"]) <= utcnow() + timedelta(seconds=60) for s in secrets[1:])
    # expired ones are dropped at the next rotation
    service.client.post(path, headers=headers, json={"graceSeconds": 0})
    final = service.client.post(path, headers=headers, json={"graceSeconds": 0}).json()
    assert [s["expiresAt"] is None for s in final["secrets"]] == [True, False]
    assert again["secret"] != final["secret"]
    bad = service.client.post(path, headers=headers, json={"graceSeconds": -1})
    assert_problem(bad, 400, "validation_error")


# -- tenancy -------------------------------------------------------------------------------------


@pytest.fixture(params=["other-account", "own-sandbox"])
def stranger(request: pytest.FixtureRequest, service: Service) -> Tenant:
    if request.param == "other-account":
        return service.new_tenant("other", "production")
    return service.new_tenant("acme", "sandbox")


def test_another_environments_ids_are_404(service: Service, stranger: Tenant) -> None:
    hook = create_webhook(service)
    _, deliveries = add_event(service, service.tenant.environment_id)
    delivery = deliveries[0]
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/v1/webhooks/{hook['id']}", None),
        ("PATCH", f"/v1/webhooks/{hook['id']}", {"description": "mine now"}),
        ("DELETE", f"/v1/webhooks/{hook['id']}", None),
        ("POST", f"/v1/webhooks/{hook['id']}/secret/rotate", {}),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries", None),
        ("POST", f"/v1/webhooks/{hook['id']}/deliveries/{delivery}/replay", None),
        ("POST", f"/v1/webhooks/{hook['id']}/test", None),
    ]
    for method, path, body in calls:
        response = service.client.request(method, path, headers=stranger.headers, json=body)
        assert_problem(response, 404, "not_found")
        never = service.client.request(
            method, path.replace(hook["id"], "does-not-exist"), headers=stranger.headers, json=body
        )
        assert never.json()["title"] == response.json()["title"]
    # their own endpoint with the owner's delivery id: still 404
    theirs = create_webhook(service, stranger)
    response = service.client.post(
        f"/v1/webhooks/{theirs['id']}/deliveries/{delivery}/replay", headers=stranger.headers
    )
    assert_problem(response, 404, "not_found")
    assert [w["id"] for w in get(service, "/v1/webhooks", tenant=stranger)["items"]] == [theirs["id"]]
    # nothing of the owner's changed
    mine = get(service, f"/v1/webhooks/{hook['id']}")
    assert mine["description"] == "" and len(mine["secrets"]) == 1
    assert [w["id"] for w in get(service, "/v1/webhooks")["items"]] == [hook["id"]]
    assert [d["id"] for d in get(service, f"/v1/webhooks/{hook['id']}/deliveries")["items"]] == [delivery]


def test_a_delivery_of_another_endpoint_is_404(service: Service) -> None:
    first = create_webhook(service)
    _, deliveries = add_event(service, service.tenant.environment_id)
    second = create_webhook(service)
    response = service.client.post(
        f"/v1/webhooks/{second['id']}/deliveries/{deliveries[0]}/replay", headers=service.tenant.headers
    )
    assert_problem(response, 404, "not_found")
    assert get(service, f"/v1/webhooks/{second['id']}/deliveries")["items"] == []
    assert len(get(service, f"/v1/webhooks/{first['id']}/deliveries")["items"]) == 1


# -- the delivery log ----------------------------------------------------------------------------


def test_deliveries_list_the_attempts_newest_first(service: Service) -> None:
    hook = create_webhook(service, events=["file.processed", "file.failed"])
    env = service.tenant.environment_id
    first_event, (first,) = add_event(service, env, "file.failed")
    add_attempt(service, first, status_code=503, latency_ms=40, error="HTTP 503", response_body="x" * 5000)
    add_attempt(service, first, error="timed out after 10 s")
    add_attempt(service, first, status_code=200, latency_ms=7, response_body="ok")
    _, none = add_event(service, env, "document.processed")  # not wanted by the endpoint
    assert none == []
    second_event, (second,) = add_event(service, env, "file.processed")

    page = get(service, f"/v1/webhooks/{hook['id']}/deliveries")
    assert [d["id"] for d in page["items"]] == [second, first]
    newest, oldest = page["items"]
    assert (newest["eventId"], newest["eventType"], newest["status"]) == (
        second_event,
        "file.processed",
        "pending",
    )
    assert newest["attempts"] == [] and newest["attemptCount"] == 0 and newest["replayOf"] is None
    assert newest["nextAttemptAt"] and newest["createdAt"] and newest["endpointId"] == hook["id"]
    assert (oldest["eventId"], oldest["eventType"], oldest["attemptCount"]) == (first_event, "file.failed", 3)
    assert [a["attempt"] for a in oldest["attempts"]] == [1, 2, 3]
    one, two, three = oldest["attempts"]
    assert (one["statusCode"], one["latencyMs"], one["error"]) == (503, 40, "HTTP 503")
    assert len(one["responseBody"]) == 2048
    assert (two["statusCode"], two["error"]) == (None, "timed out after 10 s")
    assert (three["statusCode"], three["responseBody"]) == (200, "ok")
    assert three.keys() == {"attempt", "statusCode", "latencyMs", "error", "responseBody", "createdAt"}

    paged = get(service, f"/v1/webhooks/{hook['id']}/deliveries", limit=1)
    assert [d["id"] for d in paged["items"]] == [second]
    rest = get(service, f"/v1/webhooks/{hook['id']}/deliveries", limit=1, cursor=paged["nextCursor"])
    assert [d["id"] for d in rest["items"]] == [first] and rest["nextCursor"] is None
    pending = get(service, f"/v1/webhooks/{hook['id']}/deliveries", status="pending")
    assert [d["id"] for d in pending["items"]] == [second, first]
    bad = service.client.get(
        f"/v1/webhooks/{hook['id']}/deliveries?status=lost", headers=service.tenant.headers
    )
    assert_problem(bad, 400, "validation_error")


@pytest.mark.parametrize("settings_overrides", [LOOPBACK])
def test_an_upload_fills_the_log_with_what_was_sent(service: Service, receiver: Receiver) -> None:
    hook = create_webhook(service, url=receiver.url, events=["file.processed", "import.completed"])
    upload = service.client.post(
        "/v1/ingest/uploads",
        headers=service.tenant.headers,
        files={"files": ("hook.pdf", make_pdf(seed=5), "application/pdf")},
    )
    file_id = created(upload)["files"][0]["id"]
    log = get(service, f"/v1/webhooks/{hook['id']}/deliveries")["items"]
    assert sorted(d["eventType"] for d in log) == ["file.processed", "import.completed"]
    assert all(d["status"] == "succeeded" and d["attemptCount"] == 1 for d in log), log
    assert all([a["statusCode"] for a in d["attempts"]] == [200] for d in log)
    assert all(d["attempts"][0]["responseBody"] == "ok" for d in log)
    received = {verified(hook["secret"], r)["type"]: verified(hook["secret"], r) for r in receiver.requests}
    assert received.keys() == {"file.processed", "import.completed"}
    by_type = {d["eventType"]: d for d in log}
    assert received["file.processed"]["id"] == by_type["file.processed"]["eventId"]
    assert received["file.processed"]["data"]["id"] == file_id
    assert received["file.processed"]["data"]["status"] == "processed"


def test_every_event_type_is_accepted(service: Service) -> None:
    hook = create_webhook(service, events=list(EVENT_TYPES))
    assert hook["events"] == list(EVENT_TYPES)


# -- replay and ping (the delivery engine sends) -------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [LOOPBACK])
def test_replay_is_a_new_delivery_of_the_same_event_sent_at_once(
    service: Service, receiver: Receiver
) -> None:
    hook = create_webhook(service, url=receiver.url)
    event_id, (original,) = add_event(service, service.tenant.environment_id)
    queue_delivery(service.container, original)  # what processing does after its commit (inline here)
    assert len(receiver.requests) == 1
    first = receiver.requests[0]
    assert verified(hook["secret"], first)["id"] == event_id

    path = f"/v1/webhooks/{hook['id']}/deliveries/{original}/replay"
    response = service.client.post(path, headers=service.tenant.headers)
    assert response.status_code == 202, response.text
    replay = response.json()
    assert replay["id"] != original
    assert (replay["replayOf"], replay["eventId"], replay["eventType"]) == (
        original,
        event_id,
        "file.processed",
    )
    # queued at once: with inline tasks the receiver already has it, signed, with the same event id
    # and the same body, so a receiver that has it can drop it
    assert len(receiver.requests) == 2, "the replay was not sent"
    again = receiver.requests[1]
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == event_id
    assert again.body == first.body
    verified(hook["secret"], again)
    log = get(service, f"/v1/webhooks/{hook['id']}/deliveries")["items"]
    assert [d["id"] for d in log] == [replay["id"], original]
    assert [d["replayOf"] for d in log] == [original, None]
    assert [d["status"] for d in log] == ["succeeded", "succeeded"]
    assert [[a["statusCode"] for a in d["attempts"]] for d in log] == [[200], [200]]

    # a disabled endpoint is not sent to
    service.client.patch(
        f"/v1/webhooks/{hook['id']}", headers=service.tenant.headers, json={"enabled": False}
    )
    assert_problem(service.client.post(path, headers=service.tenant.headers), 409, "conflict")


@pytest.mark.parametrize("settings_overrides", [LOOPBACK])
def test_the_test_ping_arrives_signed(service: Service, receiver: Receiver) -> None:
    hook = create_webhook(service, url=receiver.url)
    response = service.client.post(f"/v1/webhooks/{hook['id']}/test", headers=service.tenant.headers)
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["success"] is True
    assert outcome["statusCode"] == 200
    assert isinstance(outcome["latencyMs"], int) and outcome["latencyMs"] >= 0
    assert outcome["error"] is None
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks/docintake"
    assert request.headers["webhook-id"] and request.headers["webhook-timestamp"]
    assert request.headers["webhook-signature"].startswith("v1,")
    payload = verified(hook["secret"], request)
    assert payload["type"] == "webhook.test"
    assert payload["data"] == {"webhookId": hook["id"]}
    with pytest.raises(WebhookVerificationError):
        verified("whsec_" + base64.b64encode(b"x" * 32).decode(), request)
    # a ping is not a delivery
    assert get(service, f"/v1/webhooks/{hook['id']}/deliveries")["items"] == []


@pytest.mark.parametrize("settings_overrides", [LOOPBACK])
def test_after_rotation_both_secrets_verify_the_ping(service: Service, receiver: Receiver) -> None:
    hook = create_webhook(service, url=receiver.url)
    rotated = created_or_ok(
        service.client.post(f"/v1/webhooks/{hook['id']}/secret/rotate", headers=service.tenant.headers)
    )
    response = service.client.post(f"/v1/webhooks/{hook['id']}/test", headers=service.tenant.headers)
    assert response.json()["success"] is True, response.text
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    verified(hook["secret"], request)
    verified(rotated["secret"], request)


@pytest.mark.parametrize("settings_overrides", [LOOPBACK])
def test_the_test_ping_reports_a_failing_receiver(service: Service, receiver: Receiver) -> None:
    receiver.status, receiver.answer = 500, b"database on fire"
    hook = create_webhook(service, url=receiver.url)
    outcome = service.client.post(f"/v1/webhooks/{hook['id']}/test", headers=service.tenant.headers).json()
    assert (outcome["success"], outcome["statusCode"]) == (False, 500)
    assert outcome["responseBody"] == "database on fire"
    # nobody listening
    closed = create_webhook(service, url="http://127.0.0.1:9/nothing")
    outcome = service.client.post(f"/v1/webhooks/{closed['id']}/test", headers=service.tenant.headers).json()
    assert outcome["success"] is False
    assert outcome["statusCode"] is None
    assert outcome["error"]


def created_or_ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- the Python client ---------------------------------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [LOOPBACK])
def test_the_client_speaks_webhooks(service: Service, receiver: Receiver) -> None:
    service.client.headers.update(service.tenant.headers)
    client = DocintakeClient(http=service.client)
    hook = client.create_webhook(receiver.url, events=["file.processed"], description="via client")
    assert hook.secret.startswith("whsec_")
    assert client.get_webhook(hook.id).description == "via client"
    assert [w.id for w in client.list_webhooks().items] == [hook.id]
    assert client.update_webhook(hook.id, events=[], enabled=False).enabled is False
    client.update_webhook(hook.id, enabled=True)
    rotated = client.rotate_webhook_secret(hook.id, grace_seconds=30)
    assert rotated.secret != hook.secret and len(rotated.secrets) == 2
    _, (delivery,) = add_event(service, service.tenant.environment_id)
    replay = client.replay_webhook_delivery(hook.id, delivery)
    assert replay.replay_of == delivery
    assert [d.id for d in client.list_webhook_deliveries(hook.id).items] == [replay.id, delivery]
    assert client.test_webhook(hook.id).success is True
    client.delete_webhook(hook.id)
    with pytest.raises(DocintakeAPIError) as error:
        client.get_webhook(hook.id)
    assert error.value.status == 404
