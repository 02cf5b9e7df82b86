"""`docintake extract`: the same sniffing and pipeline as the worker, on local files, no database.

Inputs are files and folders (searched recursively; dot-files and dot-folders are skipped). A zip
is unpacked like an upload's, with the same safety rules and limits (``docintake.intake.zips``),
into a private temporary directory, and each member becomes its own result named
``<zip path>/<member name>``. Nothing is written to the working directory or the data directory.

Each file gives one result dict (one JSON line with ``--jsonl``): ``file``, ``mediaType``,
``pages``, ``fields`` (the first document's scalar field values), ``documents`` (full results:
page range, type, per-page text sources and word counts, errors, timings), ``timings``, and an
``error`` {code, message} when the file could not be processed. Files are processed in this
process or, with ``workers > 1``, in a pool of processes; results come out in input order.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

from docintake.domain import ZIP_MEDIA_TYPE, ProcessingPref
from docintake.errors import FileRejected
from docintake.intake.sniff import sniff_file, supported_formats
from docintake.intake.zips import UnpackBudget, ZipLimits, unpack_zip
from docintake.pipeline.ocr import OCR_ENGINES
from docintake.pipeline.runner import PipelineContext, PipelineOutcome, run_pipeline
from docintake.pipeline.stages import default_stages
from docintake.settings import Settings, get_settings

# -- finding the inputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One file to process; ``label`` is its path as given or as found under a given folder."""

    label: str
    path: Path
    missing: bool = False


def _display(text: str) -> str:
    """A path as printable text: undecodable bytes in file names become U+FFFD, not a crash."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def find_inputs(paths: Iterable[Path]) -> list[Input]:
    """Every file to process, in order: each argument, folders walked recursively (sorted, without
    dot-files or dot-folders below the given folder). A path that does not exist is kept, marked
    ``missing``, so it gets its own error result in its place."""
    found: list[Input] = []
    for given in paths:
        if given.is_dir():
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    path = Path(root) / name
                    if not name.startswith(".") and path.is_file():
                        found.append(Input(_display(str(path)), path))
        elif given.exists():
            found.append(Input(_display(str(given)), given))
        else:
            found.append(Input(_display(str(given)), given, missing=True))
    return found


# -- one file ----------------------------------------------------------------------------------


def error_line(label: str, code: str, message: str, media_type: str | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"file": label}
    if media_type is not None:
        line["mediaType"] = media_type
    line.update({"error": {"code": code, "message": message}, "fields": {}, "documents": []})
    return line


def _scalar(value: Any) -> Any:
    """A field's normalized value: ``{value, text, ...}`` gives ``value``; a plain scalar itself."""
    if isinstance(value, dict):
        return value.get("value")
    return None if isinstance(value, list) else value


def first_fields(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The first document's scalar field values (lists such as line items are left out)."""
    if not documents:
        return {}
    result = documents[0]
    extraction = result.get("extraction")
    fields = extraction.get("fields") if isinstance(extraction, dict) else result.get("fields")
    if not isinstance(fields, dict):
        return {}
    values = {name: _scalar(value) for name, value in fields.items()}
    return {name: value for name, value in values.items() if value is not None}


def result_line(label: str, media_type: str, outcome: PipelineOutcome) -> dict[str, Any]:
    """The result of one processed file, shaped like a worker's stored documents."""
    errors = [{"stage": e.stage, "code": e.code, "message": e.message} for e in outcome.errors]
    documents: list[dict[str, Any]] = []
    for part in outcome.documents:
        texts = [
            {
                "number": page.number,
                "source": page.source,
                "engine": page.engine,
                "rotation": page.rotation,
                "wordCount": len(page.words),
            }
            for page in outcome.pages
            if part.page_start <= page.number <= part.page_end
        ]
        documents.append(
            {
                "pages": {"start": part.page_start, "end": part.page_end},
                "type": part.type,
                **part.result,
                "pageTexts": texts,
                "errors": errors,
                "timings": outcome.timings,
            }
        )
    line: dict[str, Any] = {"file": label, "mediaType": media_type, "pages": outcome.page_count}
    if outcome.fatal is not None:
        line["error"] = {"code": outcome.fatal.code, "message": outcome.fatal.message}
    line["fields"] = first_fields(documents)
    line["documents"] = documents
    line["timings"] = outcome.timings
    return line


class _Extractor:
    """Processes one input (a zip: each of its members) with one settings and mode."""

    def __init__(self, settings: Settings, mode: str) -> None:
        self.settings, self.mode = settings, mode
        self.limits = ZipLimits(settings.zip_max_ratio, settings.max_file_bytes)

    def file(
        self, label: str, path: Path, filename: str, depth: int, budget: UnpackBudget | None
    ) -> list[dict[str, Any]]:
        verdict = sniff_file(path, filename)
        if verdict.kind == "bundle":
            return self.zip(label, path, depth, budget)
        if verdict.kind != "document" or verdict.media_type is None:
            message = f"{verdict.reason or 'unsupported file'}; send {supported_formats()}"
            return [error_line(label, verdict.code, message, verdict.media_type)]
        ctx = PipelineContext(
            path=path, media_type=verdict.media_type, filename=filename, processing_pref=self.mode
        )
        try:
            outcome = run_pipeline(default_stages(self.settings), ctx)
        except MemoryError:
            return [error_line(label, "out_of_memory", "processing ran out of memory", verdict.media_type)]
        return [result_line(label, verdict.media_type, outcome)]

    def zip(self, label: str, path: Path, depth: int, budget: UnpackBudget | None) -> list[dict[str, Any]]:
        max_depth = self.settings.zip_max_depth
        if depth >= max_depth:
            message = f"zips nested deeper than {max_depth} levels are not unpacked"
            return [error_line(label, "zip_too_deep", message, ZIP_MEDIA_TYPE)]
        if budget is None:  # a zip given directly: its own budget, like one upload request
            budget = UnpackBudget(self.settings.zip_max_total_bytes, self.settings.zip_max_entries)
        with tempfile.TemporaryDirectory(prefix="docintake-extract-") as tmp:
            try:
                members = unpack_zip(path, limits=self.limits, budget=budget, tmp_dir=Path(tmp))
            except FileRejected as exc:
                return [error_line(label, exc.code, exc.message, ZIP_MEDIA_TYPE)]
            lines: list[dict[str, Any]] = []
            for member in members:
                member_label = f"{label}/{_display(member.name)}"
                if member.problem is not None or member.spool is None:
                    code, message = member.problem or ("zip_entry_corrupt", "the entry could not be read")
                    lines.append(error_line(member_label, code, message))
                    continue
                try:
                    name = member.name.rsplit("/", 1)[-1]
                    lines.extend(self.file(member_label, member.spool, name, depth + 1, budget))
                except Exception as exc:  # one bad member must not lose its siblings' results
                    lines.append(_failure(member_label, exc))
                finally:
                    member.spool.unlink(missing_ok=True)
        if not lines:
            return [error_line(label, "zip_empty", "the zip holds no files to process", ZIP_MEDIA_TYPE)]
        return lines


def extract_input(item: Input, mode: str = ProcessingPref.speed.value) -> list[dict[str, Any]]:
    """The result lines of one input: one for a file, one per member for a zip. Never raises for
    a bad file: whatever goes wrong becomes an error line, so a run over many files goes on."""
    if item.missing:
        return [error_line(item.label, "not_found", "no such file or directory")]
    try:
        return _Extractor(get_settings(), mode).file(item.label, item.path, item.path.name, 0, None)
    except Exception as exc:  # a bug must not end a run over thousands of files
        return [_failure(item.label, exc)]


def _failure(label: str, exc: Exception) -> dict[str, Any]:
    if isinstance(exc, OSError):
        return error_line(label, "file_unreadable", f"the file cannot be read ({exc.strerror or exc})")
    return error_line(label, "internal_error", f"{type(exc).__name__}: {exc}")


def extract_one(label: str, path: Path, mode: str = ProcessingPref.speed.value) -> dict[str, Any]:
    """The first result line of one file (kept for callers that process a single file)."""
    return extract_input(Input(label, path, missing=not path.exists()), mode)[0]


def extract_paths(paths: Iterable[Path], mode: str = ProcessingPref.speed.value) -> Iterator[dict[str, Any]]:
    """Result lines for files and folders, in order, in this process."""
    for item in find_inputs(paths):
        yield from extract_input(item, mode)


# -- many files --------------------------------------------------------------------------------


def _run_in_pool(items: list[Input], mode: str, workers: int) -> Iterator[list[dict[str, Any]]]:
    """Results per input, in input order, from ``workers`` processes ("spawn": no inherited
    threads or locks). A worker that dies (a library crashing on a hostile file) breaks the pool:
    a new pool takes over, the input being waited for is tried once more, and if it breaks the
    pool again it gets an error line."""
    context = multiprocessing.get_context("spawn")
    start, retried = 0, False
    while start < len(items):
        pool = ProcessPoolExecutor(max_workers=min(workers, len(items) - start), mp_context=context)
        try:
            futures = [pool.submit(extract_input, item, mode) for item in items[start:]]
            for future in futures:
                lines = future.result()
                yield lines
                start, retried = start + 1, False
        except BrokenProcessPool:
            if retried:
                message = "the process working on this file died (crash or out of memory)"
                yield [error_line(items[start].label, "worker_crashed", message)]
                start, retried = start + 1, False
            else:
                retried = True
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def run_inputs(items: list[Input], mode: str, workers: int) -> Iterator[list[dict[str, Any]]]:
    if workers > 1 and len(items) > 1:
        yield from _run_in_pool(items, mode, workers)
    else:
        for item in items:
            yield extract_input(item, mode)


# -- output ------------------------------------------------------------------------------------


def summary(line: dict[str, Any]) -> str:
    """One readable line: path, media type, pages, where the words came from, the document types
    and key fields (supplier, date, total), the error if any."""
    parts = [str(line["file"]), line.get("mediaType") or "-"]
    if "pages" in line:
        pages = int(line["pages"])
        parts.append(f"{pages} page" + ("" if pages == 1 else "s"))
    sources: Counter[str] = Counter()
    for document in line.get("documents", []):
        for page in document.get("pageTexts", []):
            label = page["source"] if page.get("engine") is None else f"{page['source']} ({page['engine']})"
            sources[label] += 1
    if sources:
        parts.append(", ".join(f"{name} x{count}" for name, count in sources.items()))
    documents = line.get("documents", [])
    if any(d.get("type") for d in documents) and "error" not in line:
        kinds = ", ".join(str(d.get("type") or "unknown") for d in documents)
        parts.append(kinds if len(documents) == 1 else f"{len(documents)} documents: {kinds}")
        fields = line.get("fields", {})
        key = [fields.get("supplier_name"), fields.get("issue_date")]
        if fields.get("total_amount"):
            key.append(f"total {fields['total_amount']} {fields.get('currency') or ''}".rstrip())
        parts.extend(str(value) for value in key if value)
    failed = sorted({e["code"] for d in documents for e in d.get("errors", [])})
    if failed and "error" not in line:
        parts.append("partial: " + ", ".join(failed))
    if "error" in line:
        parts.append(f"ERROR {line['error']['code']}: {line['error']['message']}")
    return "  ".join(parts)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _same_terminal(first: TextIO, second: TextIO) -> bool:
    try:
        return os.path.samestat(os.fstat(first.fileno()), os.fstat(second.fileno()))
    except (AttributeError, OSError, ValueError):
        return False


class _Progress:
    """Progress on stderr: a rich bar on a terminal, else a counter line rewritten with "\\r".
    ``emit`` prints one output line without the bar tearing it when both share one terminal."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self._bar: Any = None
        self._through_bar = False
        if _is_terminal(sys.stderr):
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("extract"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._task = self._bar.add_task("extract", total=total)
            self._bar.start()
            self._through_bar = _same_terminal(sys.stdout, sys.stderr)

    def emit(self, text: str) -> None:
        if self._through_bar:
            self._bar.console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)
        else:
            click.echo(text)

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
        else:
            sys.stderr.write(f"\r{self.done}/{self.total} files")
            sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.done:
            sys.stderr.write("\n")
            sys.stderr.flush()


def check_mode(settings: Settings, mode: str) -> str | None:
    """A clear message when the mode's configured OCR engine does not exist, else None."""
    name = (
        settings.ocr_engine_accuracy if mode == ProcessingPref.accuracy.value else settings.ocr_engine_speed
    )
    if name in OCR_ENGINES:
        return None
    setting = "ocr_engine_accuracy" if mode == ProcessingPref.accuracy.value else "ocr_engine_speed"
    known = ", ".join(sorted(OCR_ENGINES))
    return f"OCR engine {name!r} (setting DOCINTAKE_{setting.upper()}) is unknown; known engines: {known}"


def _json_line(line: dict[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False)


def run_extract(paths: list[Path], *, mode: str, jsonl: bool, workers: int) -> int:
    """Process ``paths`` and print results on stdout; return the exit code: 0, or 2 when an
    argument does not exist (the others are still processed)."""
    problem = check_mode(get_settings(), mode)
    if problem is not None:
        click.echo(problem, err=True)
        return 1
    items = find_inputs(paths)
    render: Callable[[dict[str, Any]], str] = _json_line if jsonl else summary
    progress = _Progress(len(items)) if len(items) > 1 else None
    try:
        for lines in run_inputs(items, mode, workers):
            for line in lines:
                text = render(line)
                if progress is not None:
                    progress.emit(text)
                else:
                    click.echo(text)
            if progress is not None:
                progress.advance()
    finally:
        if progress is not None:
            progress.close()
    return 2 if any(item.missing for item in items) else 0
