"""Synthetic business documents with exact ground truth, for training and golden-file tests.

Real labelled documents are few and skewed towards a handful of suppliers; a model trained on
them alone learns those templates. This package generates invoices, receipts, credit notes,
purchase orders, delivery notes and bank statements in seven languages, with many layouts,
fonts and number/date conventions, from a seed, so every document can be regenerated and its
labels are correct by construction.

``generate`` decides *what* is printed (and labels it), ``render_pdf`` / ``render_image`` decide
*how* it looks; the two use separate seeds so content and layout vary independently.
"""

from __future__ import annotations

from training.synthetic.content import (
    COUNTRIES,
    DOC_TYPES,
    LANGUAGES,
    Blocks,
    Column,
    Party,
    SyntheticDocument,
    generate,
)
from training.synthetic.render import (
    layout_family,
    page_count,
    pdf_text,
    render_image,
    render_multi_pdf,
    render_multi_pdf_with_ranges,
    render_pages,
    render_pdf,
    render_tiff,
)

__all__ = [
    "COUNTRIES",
    "DOC_TYPES",
    "LANGUAGES",
    "Blocks",
    "Column",
    "Party",
    "SyntheticDocument",
    "generate",
    "layout_family",
    "page_count",
    "pdf_text",
    "render_image",
    "render_multi_pdf",
    "render_multi_pdf_with_ranges",
    "render_pages",
    "render_pdf",
    "render_tiff",
]
