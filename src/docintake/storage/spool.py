"""The spool directory (DATA_DIR/tmp): uploads, downloads and zip entries in flight.

Every code path removes its own spool files, but a process killed mid-request (OOM, the watchdog,
`kill -9`) cannot: what is older than any request could run is swept away.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

log = logging.getLogger(__name__)
STALE_AFTER_SECONDS = 6 * 3600


def sweep(tmp_dir: Path, older_than_seconds: float = STALE_AFTER_SECONDS) -> int:
    """Delete spool files not touched for ``older_than_seconds``; return how many went."""
    if not tmp_dir.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in tmp_dir.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    if removed:
        log.info("removed %d stale spool files from %s", removed, tmp_dir)
    return removed
