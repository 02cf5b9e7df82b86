"""An invoice with nothing paid in advance is due in full; one with a deposit is not guessed."""

from __future__ import annotations

from pathlib import Path

from docintake.local import extract_one
from tests.pdfgen import GERMAN_INVOICE, text_pdf

HEADER = GERMAN_INVOICE


def _fields(tmp_path: Path, lines: list[str]) -> dict[str, str]:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(text_pdf([lines]))
    result = extract_one(str(path), path)
    assert result["documents"][0]["type"] == "invoice"
    return dict(result["fields"])


def test_an_invoice_without_a_prepayment_is_due_in_full(tmp_path: Path) -> None:
    fields = _fields(tmp_path, HEADER)
    assert fields["total_amount"] == "1190.00"
    assert fields["amount_due"] == "1190.00"


def test_an_invoice_with_a_deposit_does_not_get_the_total_as_amount_due(tmp_path: Path) -> None:
    fields = _fields(tmp_path, [*HEADER, "Anzahlung 500,00"])
    assert fields["total_amount"] == "1190.00"
    assert fields.get("amount_due") != "1190.00"
