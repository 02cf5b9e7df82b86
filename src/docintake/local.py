"""`docintake extract`: the same sniffing and pipeline as the worker, on local files, no database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from docintake.intake.sniff import sniff_file, supported_formats
from docintake.pipeline import default_stages
from docintake.pipeline.runner import PipelineContext, run_pipeline
from docintake.settings import get_settings


def _walk(paths: Iterable[Path]) -> Iterator[tuple[str, Path]]:
    for given in paths:
        if given.is_dir():
            for path in sorted(p for p in given.rglob("*") if p.is_file() and not p.name.startswith(".")):
                yield str(path), path
        else:
            yield str(given), given


def extract_one(label: str, path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {"file": label, "error": {"code": "not_found", "message": "no such file"}}
    verdict = sniff_file(path, path.name)
    if verdict.kind != "document" or verdict.media_type is None:
        reason = verdict.reason or "zip bundles are not unpacked by extract; unzip them first"
        return {
            "file": label,
            "error": {"code": verdict.code, "message": f"{reason}; send {supported_formats()}"},
        }
    outcome = run_pipeline(
        default_stages(get_settings()),
        PipelineContext(path=path, media_type=verdict.media_type, filename=path.name),
    )
    line: dict[str, Any] = {"file": label, "mediaType": verdict.media_type, "pages": outcome.page_count}
    if outcome.fatal is not None:
        line["error"] = {"code": outcome.fatal.code, "message": outcome.fatal.message}
    documents = [
        {"pages": {"start": d.page_start, "end": d.page_end}, "type": d.type, **d.result}
        for d in outcome.documents
    ]
    first = documents[0] if documents else {}
    line["fields"] = dict(first.get("fields", {}))
    line["documents"] = documents
    line["timings"] = outcome.timings
    return line


def extract_paths(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for label, path in _walk(paths):
        yield extract_one(label, path)
