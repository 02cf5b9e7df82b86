"""Unpacking zip bundles without trusting them.

A zip from the internet may be a bomb (a few KB that inflate to terabytes), may name entries
``../../etc/passwd`` or ``/abs/path``, may hold symlinks, and may lie about its sizes in the
headers. So: entry counts and declared sizes are checked before anything is inflated, inflated
bytes are counted for real while streaming to spool files, and names are only ever strings.
"""

from __future__ import annotations

import hashlib
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from docintake.errors import FileRejected

CHUNK = 1024 * 1024
# Entries smaller than this cannot do harm whatever their ratio (an empty file has an infinite one).
RATIO_FLOOR_BYTES = 64 * 1024


@dataclass(frozen=True)
class ZipLimits:
    max_ratio: int
    max_file_bytes: int


@dataclass
class UnpackBudget:
    """What the zips of one request may still expand to, shared by every zip and nested zip in it:
    a per-archive limit alone would let nested zips multiply it."""

    bytes_left: int
    entries_left: int

    def take_entries(self, count: int) -> None:
        if count > self.entries_left:
            raise FileRejected(
                f"the zip holds {count} entries, more than the {self.entries_left} still allowed for this "
                "request (nested zips count too)",
                code="zip_too_many_entries",
            )
        self.entries_left -= count

    def check_declared(self, declared: int) -> None:
        if declared > self.bytes_left:
            raise FileRejected(
                f"the zip declares {declared} uncompressed bytes, more than the {self.bytes_left} still "
                "allowed for this request's zips",
                code="zip_too_large",
            )

    def take_bytes(self, amount: int) -> None:
        self.bytes_left -= amount
        if self.bytes_left < 0:
            raise FileRejected(
                "the zip expands to more than the allowed total size (zip bomb?)", code="zip_too_large"
            )


@dataclass
class ZipMember:
    """One entry worth recording: with a spool file of its bytes, or with the reason it was refused."""

    name: str
    size: int
    spool: Path | None = None
    sha256: str | None = None
    problem: tuple[str, str] | None = None


def _is_skipped(parts: list[str]) -> bool:
    return parts[0] == "__MACOSX" or any(part.startswith(".") and part not in (".", "..") for part in parts)


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    raw = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "the entry is a symbolic link"
    if raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":"):
        return "the entry has an absolute path"
    if ".." in raw.replace("\\", "/").split("/"):
        return "the entry path climbs out of the archive ('..')"
    if "\x00" in raw:
        return "the entry name holds a NUL byte"
    return None


def _inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits, budget: UnpackBudget, tmp_dir: Path
) -> tuple[Path, int, str]:
    """Stream one entry to a spool file, counting real bytes against every limit."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=tmp_dir, delete=False, prefix="zip-") as spool:
        spool_path = Path(spool.name)
        try:
            with archive.open(info) as source:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    budget.take_bytes(len(chunk))
                    if size > limits.max_file_bytes:
                        raise FileRejected(
                            f"the entry is larger than {limits.max_file_bytes} bytes", code="file_too_large"
                        )
                    if size > max(info.compress_size, 1) * limits.max_ratio and size > RATIO_FLOOR_BYTES:
                        raise FileRejected(
                            "the entry's compression ratio is too high (zip bomb)", code="zip_bomb"
                        )
                    digest.update(chunk)
                    spool.write(chunk)
        except BaseException:
            spool_path.unlink(missing_ok=True)
            raise
    return spool_path, size, digest.hexdigest()


def unpack_zip(path: Path, *, limits: ZipLimits, budget: UnpackBudget, tmp_dir: Path) -> list[ZipMember]:
    """Return the members of the zip at ``path``; a whole-archive problem raises ``FileRejected``.

    Members that are refused on their own (unsafe path, too large, encrypted, corrupt) come back
    with ``problem`` set, so their siblings go on and the refusal is recorded.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(f"not a readable zip archive: {exc}", code="zip_invalid") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        budget.take_entries(len(infos))
        budget.check_declared(sum(info.file_size for info in infos))
        for info in infos:
            too_dense = info.file_size > max(info.compress_size, 1) * limits.max_ratio
            if too_dense and info.file_size > RATIO_FLOOR_BYTES:
                raise FileRejected(
                    f"entry {info.filename!r} has a compression ratio over {limits.max_ratio} (zip bomb)",
                    code="zip_bomb",
                )
        members: list[ZipMember] = []
        for info in infos:
            name = unicodedata.normalize("NFC", info.filename)
            parts = [part for part in name.replace("\\", "/").split("/") if part]
            if not parts or _is_skipped(parts):
                continue
            reason = _unsafe_reason(info)
            if reason:
                members.append(ZipMember(name, info.file_size, problem=("unsafe_path", reason)))
                continue
            if info.flag_bits & 0x1:
                members.append(
                    ZipMember(name, info.file_size, problem=("encrypted", "the entry is encrypted"))
                )
                continue
            try:
                spool, size, sha = _inflate(archive, info, limits, budget, tmp_dir)
            except FileRejected as exc:
                if exc.code in ("zip_too_large", "zip_bomb"):
                    for member in members:
                        if member.spool:
                            member.spool.unlink(missing_ok=True)
                    raise
                members.append(ZipMember(name, info.file_size, problem=(exc.code, exc.message)))
                continue
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                members.append(ZipMember(name, info.file_size, problem=("zip_entry_corrupt", str(exc))))
                continue
            members.append(ZipMember(name, size, spool=spool, sha256=sha))
        return members
