"""A Python client for the docintake API, on httpx and the same wire schemas as the server.

    from docintake.client import DocintakeClient

    with DocintakeClient("http://127.0.0.1:8000", api_key="dik_...") as client:
        answer = client.upload("invoice.pdf", "bundle.zip", type="invoice", info={"ref": "C-17"})
        final = client.wait_for_import(answer.import_id)

Errors come back as ``DocintakeAPIError`` carrying the server's problem details.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

import httpx
from pydantic import BaseModel

from docintake.schemas import DocumentOut, FileOut, ImportOut, IngestResponse, Page, Problem
from docintake.schemas.resources import ImportSummary
from docintake.schemas.webhooks import (
    WebhookDeliveryOut,
    WebhookEndpointOut,
    WebhookEndpointWithSecret,
    WebhookTestOut,
)

M = TypeVar("M", bound=BaseModel)
Upload = str | Path | tuple[str, bytes | IO[bytes]]


class DocintakeAPIError(Exception):
    """A non-2xx answer; ``problem`` holds the RFC 9457 details the server sent."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.status} {problem.code}: {problem.detail}")
        self.problem = problem
        self.status = problem.status


class DocintakeClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        timeout: float = 60.0,
        http: httpx.Client | None = None,
    ) -> None:
        headers = {"x-api-key": api_key} if api_key else {}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        self._owns_http = http is None
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.http.headers.update(headers)

    def __enter__(self) -> DocintakeClient:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    # -- plumbing --------------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.is_error:
            try:
                problem = Problem.model_validate(response.json())
            except (ValueError, TypeError):
                problem = Problem(
                    type="about:blank",
                    title=response.reason_phrase,
                    status=response.status_code,
                    detail=response.text[:500],
                    code="http_error",
                )
            raise DocintakeAPIError(problem)
        return response

    def _get(self, model: type[M], path: str, **params: Any) -> M:
        clean = {k: v for k, v in params.items() if v is not None}
        return model.model_validate(self._request("GET", path, params=clean).json())

    @staticmethod
    def _headers(idempotency_key: str | None) -> dict[str, str]:
        return {"Idempotency-Key": idempotency_key} if idempotency_key else {}

    # -- intake ----------------------------------------------------------------------------------

    def upload(
        self,
        *files: Upload,
        urls: Sequence[str] = (),
        type: str | None = None,
        info: dict[str, Any] | None = None,
        processing_pref: str | None = None,
        password: str | None = None,
        idempotency_key: str | None = None,
    ) -> IngestResponse:
        """Upload paths, ``(name, bytes or binary file)`` pairs and/or URLs as one import."""
        fields = {
            "type": type,
            "processing_pref": processing_pref,
            "password": password,
            "info": json.dumps(info) if info is not None else None,
        }
        return self._multipart("/v1/ingest/uploads", "files", files, fields, urls, idempotency_key)

    def batch(
        self,
        *files: Upload,
        idempotency_key: str | None = None,
        **options: str | bool | None,
    ) -> IngestResponse:
        """POST /v1/batches; ``options`` are the form fields (document_type, invoice_type, priority_flag,
        source_name, create_new_set, set_name, set_reference_number, processing_pref)."""
        fields = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in options.items()}
        return self._multipart("/v1/batches", "files", files, fields, (), idempotency_key)

    def _multipart(
        self,
        path: str,
        field: str,
        files: Sequence[Upload],
        fields: dict[str, Any],
        urls: Sequence[str],
        idempotency_key: str | None,
    ) -> IngestResponse:
        data: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
        if urls:
            data["urls"] = list(urls)
        with ExitStack() as stack:
            parts = []
            for item in files:
                if isinstance(item, tuple):
                    parts.append((field, item))
                else:
                    handle = stack.enter_context(Path(item).open("rb"))
                    parts.append((field, (Path(item).name, handle)))
            response = self._request(
                "POST", path, files=parts or None, data=data, headers=self._headers(idempotency_key)
            )
        return IngestResponse.model_validate(response.json())

    def upload_urls(
        self,
        urls: Sequence[str],
        *,
        type: str | None = None,
        info: dict[str, Any] | None = None,
        processing_pref: str | None = None,
        idempotency_key: str | None = None,
    ) -> IngestResponse:
        body = {"urls": list(urls), "type": type, "info": info, "processingPref": processing_pref}
        response = self._request(
            "POST", "/v1/ingest/by-url", json=body, headers=self._headers(idempotency_key)
        )
        return IngestResponse.model_validate(response.json())

    # -- following the work ------------------------------------------------------------------------

    def get_import(self, import_id: str) -> ImportOut:
        return self._get(ImportOut, f"/v1/imports/{import_id}")

    def iter_imports(self, page_size: int = 50) -> Iterator[ImportSummary]:
        cursor: str | None = None
        while True:
            page = self._get(Page[ImportSummary], "/v1/imports", limit=page_size, cursor=cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def wait_for_import(self, import_id: str, *, timeout: float = 300.0, interval: float = 0.5) -> ImportOut:
        """Poll until every file of the import is final; TimeoutError past ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.get_import(import_id)
            if current.status != "processing":
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(f"import {import_id} still processing after {timeout} s")
            time.sleep(interval)

    def cancel_import(self, import_id: str) -> ImportOut:
        return ImportOut.model_validate(self._request("POST", f"/v1/imports/{import_id}/cancel").json())

    def get_file(self, file_id: str) -> FileOut:
        return self._get(FileOut, f"/v1/ingest/files/{file_id}")

    def file_content(self, file_id: str) -> bytes:
        return self._request("GET", f"/v1/ingest/files/{file_id}/content").content

    def reprocess_file(self, file_id: str) -> FileOut:
        return FileOut.model_validate(self._request("POST", f"/v1/ingest/files/{file_id}/reprocess").json())

    def get_document(self, document_id: str) -> DocumentOut:
        return self._get(DocumentOut, f"/v1/documents/{document_id}")

    def list_documents(
        self, *, limit: int = 50, cursor: str | None = None, **filters: str | None
    ) -> Page[DocumentOut]:
        return self._get(Page[DocumentOut], "/v1/documents", limit=limit, cursor=cursor, **filters)

    # -- webhooks --------------------------------------------------------------------------------

    def create_webhook(
        self,
        url: str,
        *,
        events: Sequence[str] = (),
        description: str = "",
        enabled: bool = True,
        idempotency_key: str | None = None,
    ) -> WebhookEndpointWithSecret:
        """A webhook endpoint (``events`` empty: all); ``.secret`` is its signing secret, shown only here."""
        body = {"url": url, "events": list(events), "description": description, "enabled": enabled}
        response = self._request("POST", "/v1/webhooks", json=body, headers=self._headers(idempotency_key))
        return WebhookEndpointWithSecret.model_validate(response.json())

    def list_webhooks(self, *, limit: int = 50, cursor: str | None = None) -> Page[WebhookEndpointOut]:
        return self._get(Page[WebhookEndpointOut], "/v1/webhooks", limit=limit, cursor=cursor)

    def get_webhook(self, webhook_id: str) -> WebhookEndpointOut:
        return self._get(WebhookEndpointOut, f"/v1/webhooks/{webhook_id}")

    def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> WebhookEndpointOut:
        """Change the fields given (``events=[]``: all events; ``enabled=True`` re-enables)."""
        changes = {"url": url, "description": description, "enabled": enabled}
        body: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
        if events is not None:
            body["events"] = list(events)
        response = self._request("PATCH", f"/v1/webhooks/{webhook_id}", json=body)
        return WebhookEndpointOut.model_validate(response.json())

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", f"/v1/webhooks/{webhook_id}")

    def rotate_webhook_secret(
        self, webhook_id: str, *, grace_seconds: int | None = None
    ) -> WebhookEndpointWithSecret:
        """A new secret (``.secret``, shown only here); the old ones sign for ``grace_seconds`` more."""
        body = {} if grace_seconds is None else {"graceSeconds": grace_seconds}
        response = self._request("POST", f"/v1/webhooks/{webhook_id}/secret/rotate", json=body)
        return WebhookEndpointWithSecret.model_validate(response.json())

    def list_webhook_deliveries(
        self, webhook_id: str, *, status: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> Page[WebhookDeliveryOut]:
        return self._get(
            Page[WebhookDeliveryOut],
            f"/v1/webhooks/{webhook_id}/deliveries",
            status=status,
            limit=limit,
            cursor=cursor,
        )

    def replay_webhook_delivery(self, webhook_id: str, delivery_id: str) -> WebhookDeliveryOut:
        """A new delivery of the same event (``replayOf`` the original), queued at once."""
        path = f"/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay"
        return WebhookDeliveryOut.model_validate(self._request("POST", path).json())

    def test_webhook(self, webhook_id: str) -> WebhookTestOut:
        """Send a signed ping now; the answer says how the receiver took it."""
        return WebhookTestOut.model_validate(self._request("POST", f"/v1/webhooks/{webhook_id}/test").json())
