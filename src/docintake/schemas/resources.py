"""Wire shapes of docintake's resources: ingest answers, files, imports, documents, keys, usage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from docintake.domain import ReviewStatus
from docintake.schemas.common import WireModel


class FileRef(WireModel):
    filename: str
    id: str
    document_id: str | None
    status: str


class FileProblemOut(WireModel):
    file: str
    code: str
    message: str


class IngestResponse(WireModel):
    account_id: str
    environment_id: str
    import_id: str
    files: list[FileRef]
    errors: list[FileProblemOut] = Field(default_factory=list)
    batch_id: str | None = None
    set_reference_number: str | None = None


class FileErrorOut(WireModel):
    code: str
    message: str


class DocumentSummary(WireModel):
    id: str
    index: int
    status: str
    type: str | None


class FileOut(WireModel):
    id: str
    import_id: str
    filename: str
    source: str
    source_url: str | None
    size: int | None
    sha256: str | None
    media_type: str | None
    pages: int | None
    status: str
    error: FileErrorOut | None
    parent_file_id: str | None
    duplicate_of: str | None
    info: dict[str, Any] | None
    documents: list[DocumentSummary]
    created_at: datetime
    updated_at: datetime
    processed_at: datetime | None


class ImportOptionsOut(WireModel):
    type: str | None
    processing_pref: str
    invoice_type: str | None = None
    priority_flag: bool = False
    source_name: str | None = None
    pdf_password_given: bool = False


class ImportOut(WireModel):
    id: str
    kind: str
    status: str
    options: ImportOptionsOut
    info: dict[str, Any] | None
    set_reference_number: str | None
    counts: dict[str, int]
    files: list[FileOut]
    created_at: datetime
    cancelled_at: datetime | None


class ImportSummary(WireModel):
    id: str
    kind: str
    status: str
    counts: dict[str, int]
    created_at: datetime


class PageRange(WireModel):
    start: int
    end: int


class FieldOut(BaseModel):
    """One extracted value. Extraction shapes keep snake_case keys: they are the canonical field
    names shared with the CLI and the datasets."""

    value: str | None = Field(
        description="normalised: ISO 8601 dates, decimal strings, ISO codes; null only when a "
        "reviewer said the document has no such value"
    )
    text: str | None = Field(description="as printed; null for a value a reviewer added")
    confidence: float = Field(description="1.0 for a reviewed value")
    page: int | None
    box: list[float] | None = Field(description="[x0, y0, x1, y1] as fractions of the page")
    reviewed: bool = Field(False, description="set by a person (PATCH /v1/documents/{id})")
    extracted_value: str | None = Field(
        None, description="the value extraction found, kept when a reviewer changed it"
    )


class LineItemOut(BaseModel):
    description: str | None
    product_code: str | None
    quantity: str | None
    unit: str | None
    unit_price: str | None
    tax_rate: str | None = Field(description='percent, e.g. "19"')
    amount: str | None
    text: str
    confidence: float
    page: int | None
    box: list[float] | None


class TaxLineOut(BaseModel):
    rate: str | None
    base_amount: str | None
    tax_amount: str | None
    text: str
    confidence: float
    page: int | None
    box: list[float] | None


class ExtractionOut(BaseModel):
    fields: dict[str, FieldOut]
    line_items: list[LineItemOut]
    tax_lines: list[TaxLineOut]


class CheckOut(WireModel):
    check: str
    status: str = Field(description="pass, fail or skipped")
    reason: str
    fields: list[str]


class StageErrorOut(WireModel):
    stage: str
    code: str
    message: str


class DocumentOut(WireModel):
    id: str
    file_id: str
    import_id: str
    index: int
    status: str
    review_status: str | None
    type: str | None
    type_hint: str | None
    pages: PageRange | None
    info: dict[str, Any] | None
    set_reference_number: str | None
    error: FileErrorOut | None
    type_confidence: float | None = None
    type_scores: dict[str, float] = Field(
        default_factory=dict, description="confidence for each document type the classifier knows"
    )
    type_mismatch: str | None = Field(
        None, description="set when the upload's type hint disagrees with the content"
    )
    language: str | None = None
    country: str | None = Field(None, description="ISO 3166 alpha-2 the document is from, when evident")
    extraction: ExtractionOut | None = None
    validation: list[CheckOut] = Field(default_factory=list)
    versions: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict, description="milliseconds per pipeline stage")
    errors: list[StageErrorOut] = Field(
        default_factory=list, description="stages that failed; the rest is kept"
    )
    created_at: datetime
    updated_at: datetime


class OcrWord(WireModel):
    text: str
    confidence: float
    box: list[float] = Field(description="[x0, y0, x1, y1] as fractions of the page, origin top-left")


class OcrPage(WireModel):
    number: int
    source: str = Field(description="text_layer (read from the PDF) or ocr")
    engine: str | None
    rotation: int = Field(description="degrees clockwise the page was turned to read it upright")
    width: float
    height: float
    words: list[OcrWord]


class DocumentOcrOut(WireModel):
    document_id: str
    pages: list[OcrPage]


class DocumentTypeIn(WireModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    description: str = Field(default="", max_length=2000)
    keywords: list[str] = Field(default_factory=list, max_length=200)


class DocumentTypeOut(WireModel):
    id: str
    name: str
    description: str
    keywords: list[str]
    created_at: datetime


class ByUrlRequest(WireModel):
    urls: list[str] = Field(min_length=1, max_length=500)
    type: str | None = None
    info: dict[str, Any] | None = None
    processing_pref: str | None = None
    password: str | None = Field(default=None, max_length=500)


class OneUrlRequest(WireModel):
    url: str
    type: str | None = None
    info: dict[str, Any] | None = None
    processing_pref: str | None = None
    password: str | None = Field(default=None, max_length=500)


class ApiKeyCreate(WireModel):
    name: str = Field(default="", max_length=200)


class ApiKeyOut(WireModel):
    id: str
    prefix: str
    name: str
    environment_id: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key. Shown once; only its hash is stored.")


class TokenRequest(WireModel):
    username: str
    password: str


class TokenOut(WireModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    expires_in: int


class SetOut(WireModel):
    reference: str
    name: str
    created_at: datetime
    items: list[DocumentOut]
    next_cursor: str | None = None


class UsageDay(WireModel):
    date: date
    files_ingested: int
    pages_ingested: int
    files_processed: int
    pages_processed: int


class UsageOut(WireModel):
    environment_id: str
    items: list[UsageDay]


class DocumentReviewIn(WireModel):
    """A person's review of a document: its review status and corrected field values."""

    model_config = ConfigDict(extra="forbid")

    review_status: ReviewStatus | None = None
    fields: dict[str, str | None] = Field(
        default_factory=dict,
        description="canonical field name -> corrected value (null: the document has no such value)",
    )


class StreamTokenOut(WireModel):
    token: str = Field(description="Opens this import's event stream as ?token=; shown once, never stored.")
    expires_at: datetime
