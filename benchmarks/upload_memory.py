"""Peak memory of the API process while a big upload streams through it, and the upload's speed.

Starts the real `docintake serve` (as the integration tests do) on a temporary data directory,
streams one multipart upload of ``--size-mb`` megabytes (10^6 bytes) built lazily in 1 MiB chunks,
and prints the serve process's VmRSS/VmHWM before and after, and the throughput:

    .venv/bin/python benchmarks/upload_memory.py --size-mb 200
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.live import (
    live_server,
    memory_kib,
    reset_peak_rss,
    streamed_png_upload,
    wait_for_import,
)

MB = 1_000_000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=200, help="upload size in MB (10^6 bytes)")
    parser.add_argument("--port", type=int, default=None, help="port for the server (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()

    size = args.size_mb * MB
    limits = {"max_file_bytes": size + MB, "max_request_bytes": size + 2 * MB}
    tmp = Path(tempfile.mkdtemp(prefix="docintake-bench-"))
    with live_server(tmp / "data", port=args.port, **limits) as server:
        print(f"serve pid {server.pid} on {server.base_url}, data dir {server.data_dir}")
        upload = streamed_png_upload(size, filename="bench.png")
        with server.client(timeout=600) as client:
            client.get("/v1/imports").raise_for_status()  # warm the app up before measuring
            peak_reset = reset_peak_rss(server.pid)
            before = memory_kib(server.pid)
            started = time.perf_counter()
            response = client.post(
                "/v1/ingest/uploads",
                content=upload.chunks,
                headers={"Content-Type": upload.content_type, "Content-Length": str(upload.content_length)},
            )
            elapsed = time.perf_counter() - started
            after = memory_kib(server.pid)
            if response.status_code != 201:
                print(f"upload failed: {response.status_code} {response.text}", file=sys.stderr)
                return 1
            file_id = response.json()["files"][0]["id"]
            stored = client.get(f"/v1/ingest/files/{file_id}").json()
            final = wait_for_import(client, response.json()["importId"], timeout=120)

    print(f"upload: {upload.content_length / MB:.1f} MB body, {upload.file_size / MB:.1f} MB file")
    print(f"stored: size {stored['size']}, sha256 matches: {stored['sha256'] == upload.sha256}")
    print(f"final status: {final['files'][0]['status']}")
    print(f"peak reset before the upload: {peak_reset}")
    print(f"VmRSS before {before['VmRSS'] / 1024:8.1f} MiB   after {after['VmRSS'] / 1024:8.1f} MiB")
    print(f"VmHWM before {before['VmHWM'] / 1024:8.1f} MiB   after {after['VmHWM'] / 1024:8.1f} MiB")
    growth = (after["VmHWM"] - before["VmHWM"]) * 1024 / MB
    print(f"peak growth: {growth:.1f} MB ({100 * growth * MB / upload.content_length:.2f}% of the body)")
    print(f"time {elapsed:.2f} s, throughput {upload.content_length / MB / elapsed:.1f} MB/s")
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
