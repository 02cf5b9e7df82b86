"""Documents per minute with one and with two worker processes, in each processing mode.

Starts the real `docintake serve --no-embedded-worker` and separate `docintake worker` processes
(as a scaled-out deployment runs them), uploads ``--docs`` generated documents per run, starts the
workers and times from the first worker's start until every file is final. Each run uses a fresh
data directory, and its workers are warmed on one document first (loading the pipeline and the
OCR engine is a start-up cost, not a per-document one).

    .venv/bin/python benchmarks/throughput.py [--docs 30] [--backend embedded|scaled]

``--backend scaled`` runs on PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) as the
integration tests do; ``embedded`` (the default) on SQLite and the SQLite queue. Documents: for
`speed`, synthetic text-layer invoices and synthetic receipt scans (half each); for `accuracy`, the
same. On this 2-core machine OCR cannot scale past two processes, so the table stops at two.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from tests.integration.live import LiveServer, live_server, spawn
from training.synthetic import generate, render_image, render_pdf


def documents(count: int) -> list[tuple[str, bytes, str]]:
    out = []
    for seed in range(count):
        if seed % 2 == 0:
            pdf = render_pdf(generate(seed, doc_type="invoice"), seed)
            out.append((f"invoice-{seed}.pdf", pdf, "application/pdf"))
        else:
            png = render_image(generate(seed, doc_type="receipt"), seed, dpi=200, noise=True)
            out.append((f"receipt-{seed}.png", png, "image/png"))
    return out


@contextlib.contextmanager
def backend_settings(name: str) -> Iterator[dict[str, Any]]:
    if name == "embedded":
        yield {}
        return
    from tests.servers import REDIS_URL, postgres_database, redis_available

    reason = redis_available()
    if reason:
        raise SystemExit(reason)
    with postgres_database() as database_url:
        yield {
            "database_url": database_url,
            "queue_url": REDIS_URL,
            "queue_name": f"bench-{uuid.uuid4().hex[:8]}",
        }


def final_count(client: httpx.Client, import_ids: list[str]) -> int:
    done = 0
    for import_id in import_ids:
        body = client.get(f"/v1/imports/{import_id}").json()
        done += sum(1 for f in body["files"] if f["status"] in ("processed", "failed", "rejected"))
    return done


def upload(client: httpx.Client, docs: list[tuple[str, bytes, str]], mode: str) -> list[str]:
    ids = []
    for start in range(0, len(docs), 10):
        files = [("files", (n, d, m)) for n, d, m in docs[start : start + 10]]
        answer = client.post("/v1/ingest/uploads", files=files, data={"processing_pref": mode})
        answer.raise_for_status()
        ids.append(answer.json()["importId"])
    return ids


def run(mode: str, workers: int, docs: list[tuple[str, bytes, str]], backend: str) -> float:
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="docintake-tput-"))
        settings = stack.enter_context(backend_settings(backend))
        server = stack.enter_context(live_server(Path(tmp) / "data", embedded_worker=False, **settings))
        procs = [_worker(server, n) for n in range(workers)]
        try:
            with server.client(timeout=300) as client:
                warm = upload(client, docs[:1], mode)  # every worker loads its engines on its first file
                for _ in range(workers - 1):
                    warm += upload(client, docs[1:2], mode)
                _wait(client, warm, len(warm), 300)
                started = time.perf_counter()  # workers start on the first files while the rest upload
                ids = upload(client, docs, mode)
                _wait(client, ids, len(docs), 1800)
                elapsed = time.perf_counter() - started
        finally:
            for proc in procs:
                proc.stop()
    return len(docs) / elapsed * 60


def _worker(server: LiveServer, number: int) -> Any:
    return spawn(
        f"worker{number}", ["worker", "--workers", "1"], server.env, server.data_dir / f"w{number}.log"
    )


def _wait(client: httpx.Client, ids: list[str], expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while final_count(client, ids) < expected:
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {expected} files")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--backend", choices=["embedded", "scaled"], default="embedded")
    parser.add_argument("--modes", default="speed,accuracy")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    docs = documents(args.docs)
    print(f"{args.docs} documents (half text-layer invoices, half receipt scans), backend {args.backend}")
    print("| mode | worker processes | documents per minute |\n|---|---|---|")
    for mode in args.modes.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            rate = run(mode, workers, docs, args.backend)
            print(f"| {mode} | {workers} | {rate:.0f} |", flush=True)


if __name__ == "__main__":
    main()
