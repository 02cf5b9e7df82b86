"""IncomingFile: the one value object every intake path produces before anything is queued.

A multipart part, a zip entry, a fetched URL and (later) a base64 attachment all end up as one of
these: where the bytes are (a local spool file the intake service moves into the blob store),
what the file is called, where it came from, and, if it was already refused on the way in, why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from docintake.domain import FileSource

MAX_NAME = 255


def clean_filename(name: str, fallback: str = "upload", *, keep_path: bool = False) -> str:
    """The one filename cleaner: NFC, no control characters, the last path component (unless
    ``keep_path``, for names inside a zip), at most 255 characters with the extension kept.
    The result is a label to show, never a path to open."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc")
    if not keep_path:
        name = re.split(r"[/\\]", name)[-1]
    name = name.strip()
    if name in ("", ".", ".."):
        return fallback
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = stem[: MAX_NAME - 1 - len(ext)] + dot + ext if dot and len(ext) <= 16 else name[:MAX_NAME]
    return name


@dataclass
class IncomingFile:
    filename: str
    source: FileSource
    spool: Path | None = None
    size: int = 0
    sha256: str | None = None
    source_url: str | None = None
    problem: tuple[str, str] | None = None

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.unlink(missing_ok=True)
            self.spool = None
