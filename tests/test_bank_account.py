"""A bank account printed after a "bank details" sentence is the supplier's, even when the sample's
check digits are wrong; one printed with no bank wording needs valid check digits."""

from __future__ import annotations

from pathlib import Path

import pytest

from docintake.local import extract_one
from tests.pdfgen import GERMAN_INVOICE, text_pdf

BODY = [*GERMAN_INVOICE, ""]
WRONG_CHECK_DIGITS = "DE75123456780000001234"  # the form of a German IBAN, check digits wrong


def _iban(tmp_path: Path, lines: list[str]) -> str | None:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(text_pdf([BODY + lines]))
    return extract_one(str(path), path)["fields"].get("supplier_iban")


@pytest.mark.parametrize(
    "lines",
    [
        [
            "Bitte überweisen Sie den Betrag auf folgende Bankverbindung:",
            f"{WRONG_CHECK_DIGITS}, BIC WELADED1MST",
        ],
        [f"Bank details: {WRONG_CHECK_DIGITS}"],
        [f"Coordonnées bancaires : {WRONG_CHECK_DIGITS}"],
    ],
)
def test_a_bank_details_label_announces_the_account(tmp_path: Path, lines: list[str]) -> None:
    assert _iban(tmp_path, lines) == WRONG_CHECK_DIGITS


def test_an_unlabelled_number_needs_valid_check_digits(tmp_path: Path) -> None:
    assert _iban(tmp_path, [f"Referenz {WRONG_CHECK_DIGITS}"]) is None
    assert _iban(tmp_path, ["Referenz DE89370400440532013000"]) == "DE89370400440532013000"
