"""The synthetic document generator: deterministic, arithmetically exact, and its labels are on the page."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import pypdfium2 as pdfium
import pytest
from PIL import Image
from stdnum import iban

from training.synthetic import (
    COUNTRIES,
    DOC_TYPES,
    LANGUAGES,
    draw,
    generate,
    layout_family,
    page_count,
    pdf_text,
    render_image,
    render_multi_pdf_with_ranges,
    render_pdf,
    render_tiff,
)
from training.synthetic.cli import main as cli_main
from training.synthetic.formats import Formats, text_date
from training.synthetic.ids import valid_tax_id

FIELD_NAMES = {
    "supplier_name", "supplier_address", "supplier_street", "supplier_postcode", "supplier_city",
    "supplier_country", "supplier_tax_id", "supplier_iban", "supplier_email", "supplier_phone", "customer_name",
    "customer_address", "customer_tax_id", "invoice_number", "purchase_order_number", "issue_date", "due_date",
    "transaction_time", "payment_terms", "currency", "subtotal_amount", "tax_amount", "total_amount", "amount_due",
}  # fmt: skip
ITEM_KEYS = {"description", "product_code", "quantity", "unit", "unit_price", "tax_rate", "amount"}
SEEDS = range(150)
CENT = Decimal("0.01")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_same_seed_gives_the_same_document_and_bytes() -> None:
    first, second = generate(42), generate(42)
    assert first.label("a.pdf") == second.label("a.pdf")
    assert render_pdf(first, 42) == render_pdf(second, 42)
    assert render_image(first, 42, dpi=40) == render_image(second, 42, dpi=40)
    assert generate(43).label("a.pdf") != first.label("a.pdf")


def test_every_doc_type_and_language_is_generated() -> None:
    docs = [generate(seed) for seed in range(150)]
    seen = Counter((doc.doc_type, doc.language) for doc in docs)
    assert {doc_type for doc_type, _ in seen} == set(DOC_TYPES)
    assert {language for _, language in seen} == set(LANGUAGES)
    for doc_type in DOC_TYPES:
        for language in LANGUAGES:
            doc = generate(7, doc_type=doc_type, language=language)
            assert (doc.doc_type, doc.language) == (doc_type, language)
            assert doc.country in COUNTRIES[language]
            assert set(doc.fields) <= FIELD_NAMES
            assert set(doc.fields) == set(doc.printed)
            assert all(set(item) == ITEM_KEYS for item in doc.line_items)
    with pytest.raises(ValueError):
        generate(1, doc_type="memo")


def test_amounts_add_up() -> None:
    checked = Counter()
    for seed in SEEDS:
        doc = generate(seed)
        f = doc.fields
        rounding = Decimal(doc.extras.get("rounding", "0"))
        if {"subtotal_amount", "tax_amount", "total_amount"} <= set(f):
            assert Decimal(f["subtotal_amount"]) + Decimal(f["tax_amount"]) + rounding == Decimal(
                f["total_amount"]
            )
            checked["total"] += 1
        if "amount_due" in f:
            deposit = Decimal(doc.extras.get("deposit", "0"))
            assert Decimal(f["amount_due"]) == Decimal(f["total_amount"]) - deposit
        if doc.tax_lines and "tax_amount" in f:
            assert sum(Decimal(str(line["tax_amount"])) for line in doc.tax_lines) == Decimal(f["tax_amount"])
        for item in doc.line_items:
            if item["quantity"] and item["unit_price"] and item["amount"]:
                expected = (Decimal(item["quantity"]) * Decimal(item["unit_price"])).quantize(
                    CENT, ROUND_HALF_UP
                )
                assert Decimal(item["amount"]) == expected
                checked["items"] += 1
        if doc.doc_type != "receipt" and "subtotal_amount" in f and doc.line_items:
            assert sum(Decimal(str(i["amount"])) for i in doc.line_items) == Decimal(f["subtotal_amount"])
        for key in ("issue_date", "due_date"):
            if key in f:
                date.fromisoformat(f[key])
        if "transaction_time" in f:
            assert re.fullmatch(r"\d\d:\d\d:\d\d", f["transaction_time"])
    assert checked["total"] > 30 and checked["items"] > 100


def test_tax_ids_and_ibans_are_valid() -> None:
    counts = Counter()
    for seed in SEEDS:
        doc = generate(seed)
        if "supplier_tax_id" in doc.fields:
            assert valid_tax_id(doc.country, doc.fields["supplier_tax_id"]), doc.fields
            counts["tax"] += 1
        if "customer_tax_id" in doc.fields:
            value = doc.fields["customer_tax_id"]
            assert valid_tax_id(value[:2] if value[:2].isalpha() else doc.country, value)
        if "supplier_iban" in doc.fields:
            assert iban.is_valid(doc.fields["supplier_iban"])
            assert doc.fields["supplier_iban"] == iban.compact(doc.fields["supplier_iban"])
            counts["iban"] += 1
    assert counts["tax"] > 30 and counts["iban"] > 20


def test_text_layer_contains_every_printed_value() -> None:
    families = Counter()
    for seed in range(40):
        doc = generate(seed)
        pdf = render_pdf(doc, seed)
        families[layout_family(doc, seed)] += 1
        text = _flat(pdf_text(pdf))
        for name, printed in doc.printed.items():
            for line in printed.split("\n"):
                assert _flat(line) in text, (seed, name, line)
        if "total_amount" in doc.fields:
            assert _flat(doc.printed["total_amount"]) in text
    assert set(families) == {"classic", "modern", "compact", "letterhead", "till"}


def test_euro_and_accents_survive_standard_fonts() -> None:
    for seed in range(200):
        doc = generate(seed, doc_type="invoice", language="fr")
        printed = doc.printed.get("total_amount", "")
        if "€" in printed:
            break
    text = pdf_text(render_pdf(doc, seed))
    assert "€" in text and printed in text
    assert any(ch in text for ch in "éèàçû")


def test_renders_without_dejavu_fonts(monkeypatch, tmp_path) -> None:
    if (draw.DEJAVU_DIR / "DejaVuSans.ttf").is_file():  # the TrueType path is exercised where it exists
        assert any("DejaVu" in pdf_fonts(render_pdf(generate(seed), seed)) for seed in range(12))
    monkeypatch.setattr(draw, "DEJAVU_DIR", tmp_path)
    draw.ttf_available.cache_clear()
    try:
        for seed in range(12):
            doc = generate(seed)
            text = pdf_text(render_pdf(doc, seed))
            assert "DejaVu" not in pdf_fonts(render_pdf(doc, seed))
            for printed in doc.printed.values():
                assert _flat(printed.split("\n")[0]) in _flat(text)
    finally:
        draw.ttf_available.cache_clear()


def pdf_fonts(pdf: bytes) -> str:
    return " ".join(re.findall(r"/BaseFont\s*/(\S+)", pdf.decode("latin-1")))


def test_long_documents_continue_on_further_pages_with_totals_last() -> None:
    for seed in range(400):
        doc = generate(seed, doc_type="invoice")
        if len(doc.blocks.rows) >= 30:
            break
    pdf = render_pdf(doc, seed)
    pages = page_count(pdf)
    assert pages >= 2
    document = pdfium.PdfDocument(pdf)
    last = document[pages - 1].get_textpage().get_text_range()
    assert _flat(doc.printed["total_amount"]) in _flat(last)


def test_image_rendering_sizes_and_rotation() -> None:
    seed = next(s for s in range(50) if len(generate(s, doc_type="invoice").blocks.rows) < 8)
    doc = generate(seed, doc_type="invoice")
    width, height = pdfium.PdfDocument(render_pdf(doc, seed))[0].get_size()
    data = render_image(doc, seed, dpi=60)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert image.mode == "L"
    assert abs(image.size[0] - width * 60 / 72) <= 1 and abs(image.size[1] - height * 60 / 72) <= 1
    turned = Image.open(io.BytesIO(render_image(doc, seed, dpi=60, rotate=90, noise=False)))
    assert turned.size == (image.size[1], image.size[0])
    tiff = Image.open(io.BytesIO(render_tiff(doc, seed, dpi=30)))
    assert tiff.format == "TIFF" and tiff.n_frames == page_count(render_pdf(doc, seed))


def test_multi_document_pdf_knows_its_page_ranges() -> None:
    docs = [generate(seed) for seed in (1, 2, 3)]
    pdf, ranges = render_multi_pdf_with_ranges(docs, 9)
    assert ranges[0][0] == 1 and ranges[-1][1] == page_count(pdf)
    assert all(b[0] == a[1] + 1 for a, b in pairwise(ranges))
    assert [end - start + 1 for start, end in ranges] == [
        page_count(render_pdf(doc, 9 * 1000 + i)) for i, doc in enumerate(docs)
    ]


def test_formats_follow_the_country() -> None:
    de = Formats("de", "DE", "EUR", ",", ".", "{v} €", "%d.%m.%Y", True, "{r}%")
    assert de.number(Decimal("1234.5")) == "1.234,50"
    assert de.money(Decimal("-1234567.891")) == "-1.234.567,89 €"
    assert de.date(date(2024, 3, 5)) == "05.03.2024"
    assert de.quantity(Decimal("2.50")) == "2,5" and de.quantity(Decimal("3")) == "3"
    fr = Formats("fr", "FR", "EUR", ",", " ", "{v} €", "%d/%m/%Y", True, "{r} %")
    assert fr.number(Decimal("1234.56")) == "1 234,56" and fr.rate(Decimal("5.5")) == "5,5 %"
    us = Formats("en", "US", "USD", ".", ",", "${v}", "%m/%d/%Y", True, "{r}%")
    assert us.date(date(2024, 3, 5)) == "03/05/2024" and us.money(Decimal("1234.5")) == "$1,234.50"
    assert text_date(date(2024, 3, 5), "en", "US") == "March 5, 2024"
    assert text_date(date(2024, 3, 5), "de", "DE") == "5. März 2024"


def test_cli_writes_pdfs_images_and_labels(tmp_path) -> None:
    assert cli_main(["--out", str(tmp_path), "--count", "4", "--seed", "3", "--images", "1"]) == 0
    records = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert len(records) == 5
    for record in records:
        assert (tmp_path / record["file"]).is_file()
        assert record["source"] == "synthetic" and record["doc_type"] in DOC_TYPES
        assert set(record) == {"file", "source", "doc_type", "language", "fields", "line_items", "tax_lines"}
    assert sum(record["file"].startswith("img/") for record in records) == 1
