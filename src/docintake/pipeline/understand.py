"""Stages 3 and 4: split the file into logical documents, then understand each one.

Splitting needs the words (titles, "page 1 of 2", document numbers), so it runs after the text
stage; when the text stage failed there is nothing to split on and the file stays one document.
Understanding (classification, extraction, validation) is optional: if it fails on one document,
the others keep their results and the failure is recorded with the stage's name.
"""

from __future__ import annotations

from docintake.extraction.document import extract_document
from docintake.extraction.split import split_pages
from docintake.pipeline.runner import DocumentPart, PipelineContext

PIPELINE_VERSION = "2026.11.22"


class SplitDocuments:
    name = "split"
    required = True

    def __call__(self, ctx: PipelineContext) -> None:
        if ctx.documents:
            return
        ranges = split_pages(ctx.pages) if len(ctx.pages) > 1 else [(1, ctx.page_count)]
        if not ranges or ranges[-1][1] != ctx.page_count:
            ranges = [(1, ctx.page_count)]
        ctx.documents.extend(DocumentPart(start, end, type=ctx.type_hint) for start, end in ranges)


class Understand:
    name = "extract"
    required = False

    def __call__(self, ctx: PipelineContext) -> None:
        if not ctx.pages:
            return
        for part in ctx.documents:
            pages = [page for page in ctx.pages if part.page_start <= page.number <= part.page_end]
            result = extract_document(pages, ctx.type_hint)
            engines = sorted({page.engine for page in pages if page.engine})
            result["versions"] = {"pipeline": PIPELINE_VERSION, "ocr": engines, **result["versions"]}
            part.type = result["type"]
            part.result = result
