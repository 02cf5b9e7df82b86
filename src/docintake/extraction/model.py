"""The values extraction produces, with the evidence a reviewer needs to trust or fix them.

Every value carries where it was printed (page and a page-relative 0..1 box) and how sure the
extractor is, so a review screen can highlight it and an integration can route low-confidence
documents to a person. Values are normalised (ISO dates, decimal strings, ISO codes); ``text`` is
what the page says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from docintake.pipeline.model import Box

# The canonical scalar fields, shared with the CLI, the API and the datasets' labels.
FIELD_NAMES = (
    "supplier_name",
    "supplier_address",
    "supplier_street",
    "supplier_postcode",
    "supplier_city",
    "supplier_country",
    "supplier_tax_id",
    "supplier_iban",
    "supplier_email",
    "supplier_phone",
    "customer_name",
    "customer_address",
    "customer_tax_id",
    "invoice_number",
    "purchase_order_number",
    "issue_date",
    "due_date",
    "transaction_time",
    "payment_terms",
    "currency",
    "subtotal_amount",
    "tax_amount",
    "total_amount",
    "amount_due",
)

CheckStatus = Literal["pass", "fail", "skipped"]


def _box(box: Box | None) -> list[float] | None:
    return box.as_list() if box is not None else None


@dataclass
class Field:
    value: str
    text: str
    confidence: float
    page: int | None = None
    box: Box | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "text": self.text,
            "confidence": round(self.confidence, 3),
            "page": self.page,
            "box": _box(self.box),
        }


@dataclass
class LineItem:
    """One row of the items table; amounts as decimal strings, ``tax_rate`` in percent ("19")."""

    description: str | None = None
    product_code: str | None = None
    quantity: str | None = None
    unit: str | None = None
    unit_price: str | None = None
    tax_rate: str | None = None
    amount: str | None = None
    text: str = ""  # the printed row(s), joined with "\n"
    confidence: float = 0.0
    page: int | None = None
    box: Box | None = None

    VALUE_KEYS = ("description", "product_code", "quantity", "unit", "unit_price", "tax_rate", "amount")

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: getattr(self, key) for key in self.VALUE_KEYS}
        out.update(text=self.text, confidence=round(self.confidence, 3), page=self.page, box=_box(self.box))
        return out


@dataclass
class TaxLine:
    rate: str | None = None  # percent, e.g. "21" or "7.7"
    base_amount: str | None = None
    tax_amount: str | None = None
    text: str = ""
    confidence: float = 0.0
    page: int | None = None
    box: Box | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "base_amount": self.base_amount,
            "tax_amount": self.tax_amount,
            "text": self.text,
            "confidence": round(self.confidence, 3),
            "page": self.page,
            "box": _box(self.box),
        }


@dataclass
class Check:
    """One validation rule's verdict; ``fields`` names the values it involves (their confidence
    is lowered when it fails)."""

    name: str
    status: CheckStatus
    reason: str
    fields: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status, "reason": self.reason, "fields": list(self.fields)}


@dataclass
class Extraction:
    fields: dict[str, Field] = field(default_factory=dict)
    line_items: list[LineItem] = field(default_factory=list)
    tax_lines: list[TaxLine] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fields": {name: f.as_dict() for name, f in self.fields.items()},
            "line_items": [item.as_dict() for item in self.line_items],
            "tax_lines": [line.as_dict() for line in self.tax_lines],
        }
