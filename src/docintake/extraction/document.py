"""One logical document's pages in, its structured result out.

The order matters and is why this is one function rather than independent stages: document-wide
evidence comes first (language, country, decimal separator, day-first dates), because it decides
how every candidate is read; then the learned ranker picks the header fields, rules fill the
fields that have a checkable form (IBANs, VAT ids, e-mails, phones, times, currency), tables give
line items and tax lines, and validation checks the arithmetic and check digits and lowers the
confidence of values that fail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from docintake.extraction import identifiers as ident
from docintake.extraction import normalize as norm
from docintake.extraction.address import split_address
from docintake.extraction.candidates import Candidate, DocumentView, prepare_view
from docintake.extraction.classify import classify
from docintake.extraction.keywords import fold, groups_in
from docintake.extraction.layout import Line
from docintake.extraction.model import Extraction, Field
from docintake.extraction.names import clean_name
from docintake.extraction.ranker import FieldRanker, shared_ranker
from docintake.extraction.tables import extract_line_items
from docintake.extraction.taxlines import extract_tax_lines
from docintake.extraction.validate import apply_checks, validate
from docintake.pipeline.model import PageText

# Words that announce a bank account, on the line or the one above: "IBAN", or the payment
# sentence of a letter ("Bankverbindung:", "bank details", "coordonnées bancaires").
_BANK_LABEL = re.compile(
    r"\b(iban|bankverbindung|kontoverbindung|bank ?details|bank account|coordonnees bancaires|rib|"
    r"datos bancarios|coordinate bancarie|bankgegevens|rekeningnummer|dados bancarios|nib)\b"
)

TERMS_LABEL = re.compile(
    r"(payment terms|terms of payment|terms|zahlungsbedingungen|zahlungsziel|condiciones de pago|"
    r"forma de pago|conditions de paiement|conditions de reglement|termini di pagamento|"
    r"condizioni di pagamento|condicoes de pagamento|betalingsvoorwaarden|betalingstermijn)\s*:?\s*",
)
TERMS_PHRASE = re.compile(
    r"\b(net\s*\d{1,3}|due (?:on|upon) receipt|(?:payable|due|zahlbar|pagadero|payable|pagabile|"
    r"betaalbaar)\b[^.]{0,40}?\d{1,3}\s*(?:days|tagen|dias|jours|giorni|dagen)[^.]{0,20})",
    re.IGNORECASE,
)


def _field(candidate: Candidate, score: float) -> Field:
    confidence = score * (0.6 + 0.4 * candidate.confidence)
    return Field(candidate.value, candidate.text, confidence, candidate.page, candidate.box)


def _line_field(line: Line, start: int, end: int, value: str, confidence: float = 0.9) -> Field:
    return Field(
        value,
        line.text[start:end],
        confidence * (0.6 + 0.4 * line.span_confidence(start, end)),
        line.page,
        line.span_box(start, end),
    )


def _is_customer_context(view: DocumentView, line: Line) -> bool:
    above = view.above[line.index]
    context = groups_in(f"{view.left_text[line.index]} {line.text}")
    if above is not None:
        context |= view.groups[above]
    return "customer" in context


def _ids(view: DocumentView, fields: dict[str, Field]) -> None:
    tax_ids: list[tuple[Line, int, int, str]] = []
    for line in view.lines:
        above = view.above[line.index]
        label_groups = view.groups[line.index] | groups_in(view.left_text[line.index])
        labelled = "registration" in label_groups or (
            above is not None and "registration" in view.groups[above]
        )
        for start, end, compact, _country in ident.find_tax_ids(line.text, labelled=labelled):
            tax_ids.append((line, start, end, compact))
        if "supplier_iban" not in fields:
            printed = fold(f"{view.left_text[line.index]} {line.text}")
            iban_label = bool(_BANK_LABEL.search(printed)) or (
                above is not None and bool(_BANK_LABEL.search(fold(view.lines[above].text)))
            )
            for start, end, iban in ident.find_ibans(line.text, labelled=iban_label):
                fields["supplier_iban"] = _line_field(line, start, end, iban, 0.95)
                break
        if "supplier_email" not in fields:
            for start, end, email in ident.find_emails(line.text):
                if not _is_customer_context(view, line):
                    fields["supplier_email"] = _line_field(line, start, end, email.lower())
                    break
        if "supplier_phone" not in fields and "contact" in view.groups[line.index]:
            for start, end, phone in ident.find_phones(line.text):
                if not _is_customer_context(view, line):
                    fields["supplier_phone"] = _line_field(line, start, end, phone, 0.8)
                    break
    supplier = [item for item in tax_ids if not _is_customer_context(view, item[0])]
    customer = [item for item in tax_ids if _is_customer_context(view, item[0])]
    if supplier:
        line, start, end, compact = supplier[0]
        fields["supplier_tax_id"] = _line_field(line, start, end, compact, 0.9)
    others = customer or [item for item in tax_ids if supplier and item[3] != supplier[0][3]]
    if others:
        line, start, end, compact = others[0]
        fields["customer_tax_id"] = _line_field(line, start, end, compact, 0.8)


def _time(view: DocumentView, fields: dict[str, Field]) -> None:
    date_line = fields.get("issue_date")
    ordered = sorted(view.lines, key=lambda line: (date_line is None or line.page != date_line.page,))
    for line in ordered:
        for start, end, value in norm.find_times(line.text):
            fields["transaction_time"] = _line_field(line, start, end, value, 0.8)
            return


def _terms(view: DocumentView, fields: dict[str, Field]) -> None:
    for line in view.lines:
        folded = fold(line.text)
        label = TERMS_LABEL.search(folded)
        if label and label.end() < len(folded) and len(folded) - label.end() > 2:
            start = (
                len(line.text) - len(line.text.lstrip()) + _unfolded_offset(line.text, folded, label.end())
            )
            fields["payment_terms"] = _line_field(line, start, len(line.text), line.text[start:].strip(), 0.7)
            return
        phrase = TERMS_PHRASE.search(line.text)
        if phrase:
            fields["payment_terms"] = _line_field(
                line, phrase.start(), phrase.end(), phrase.group().strip(), 0.6
            )
            return


def _unfolded_offset(text: str, folded: str, position: int) -> int:
    """Map an offset in the folded text back to the printed text by counting word tokens."""
    words_before = len(folded[:position].split())
    matches = list(re.finditer(r"\S+", text))
    return matches[words_before].start() if words_before < len(matches) else len(text)


PREPAID = re.compile(
    r"\b(deposit|prepaid|prepayment|already paid|paid|anzahlung|bereits bezahlt|vorauszahlung|acompte|"
    r"deja regle|anticipo|a cuenta|acconto|adiantamento|sinal|aanbetaling|reeds betaald|voorschot)\b"
)


def _amount_due(view: DocumentView, fields: dict[str, Field], doc_type: str) -> None:
    """An invoice with nothing paid in advance is due in full: its amount due is its total.

    The total is the amount the customer pays; the services this replaces report the amount due
    only where it differs from the total (a deposit, an earlier payment), so a separate amount is
    looked for first and only an invoice that mentions no such payment gets the total."""
    total = fields.get("total_amount")
    if "amount_due" in fields or total is None or doc_type not in ("invoice", "creditNote"):
        return
    for line in view.lines:
        if PREPAID.search(fold(line.text)) and norm.find_amounts(line.text, view.decimal_hint):
            return
    fields["amount_due"] = Field(total.value, total.text, total.confidence * 0.8, total.page, total.box)


def _after_name(text: str, name: Field) -> int | None:
    """Where an address continues after the party's name printed at its start, if it is."""
    for printed in dict.fromkeys((name.value, " ".join(name.text.split()))):
        found = re.match(re.escape(printed) + r"(?:\s*[·•●|,]\s*|\s+)", text, re.IGNORECASE)
        if found and found.end() < len(text):
            return found.end()
    return None


def _addresses_by_name(fields: dict[str, Field]) -> None:
    """An address block that starts with the supplier's name is the supplier's.

    Letterheads print "Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld" on one line: the address
    is what follows the name. And a block headed "From: Das Company" that the ranker took for the
    customer's address (both parties' blocks look alike) belongs to the supplier."""
    name = fields.get("supplier_name")
    if name is None:
        return
    supplier, customer = fields.get("supplier_address"), fields.get("customer_address")
    if customer is not None and _after_name(customer.value, name) is not None:
        del fields["customer_address"]
        if supplier is None:
            fields["supplier_address"] = supplier = customer
    if supplier is not None:
        start = _after_name(supplier.value, name)
        if start is not None:
            supplier.value = supplier.value[start:]


def _address_parts(address: Field, fields: dict[str, Field], country: str | None) -> None:
    """Street, postcode, city and country of the supplier's address block (``address``)."""
    lines = [part.strip() for part in address.text.split("\n") if part.strip()]
    supplier_name = fields.get("supplier_name")
    start = _after_name(lines[0], supplier_name) if lines and supplier_name is not None else None
    if start is not None:  # "Kraxi GmbH · Flugzeugallee 17": the name is not the street
        lines[0] = lines[0][start:]
    parts = split_address(lines, country)
    found_country = parts.country
    if found_country is None:
        for name in ("supplier_tax_id", "supplier_iban"):
            known = fields.get(name)
            if known is not None and known.value[:2].isalpha():
                found_country = known.value[:2].upper().replace("EL", "GR")
                break
    for name, part in (
        ("supplier_street", parts.street),
        ("supplier_postcode", parts.postcode),
        ("supplier_city", parts.city),
        ("supplier_country", found_country),
    ):
        if part:
            fields[name] = Field(part, part, address.confidence * 0.9, address.page, address.box)


def extract_document(
    pages: Sequence[PageText], type_hint: str | None = None, ranker: FieldRanker | None = None
) -> dict[str, Any]:
    """The result of one logical document: type, language, extraction and validation."""
    ranker = ranker or shared_ranker()
    view, found = prepare_view(pages)
    lines, joined = view.lines, view.text
    extraction = Extraction()
    fields = extraction.fields
    extraction.line_items = extract_line_items(lines, view.decimal_hint)
    extraction.tax_lines = extract_tax_lines(lines, view.decimal_hint)
    for name, ranked in ranker.rank(found, extraction.tax_lines, extraction.line_items).items():
        fields[name] = _field(ranked.candidate, ranked.score)
    for name in ("supplier_name", "customer_name"):
        if name in fields:
            fields[name].value = clean_name(fields[name].value)
    _ids(view, fields)
    _time(view, fields)
    _terms(view, fields)
    _addresses_by_name(fields)
    if "supplier_address" in fields:
        _address_parts(fields["supplier_address"], fields, view.country)
    country = fields["supplier_country"].value if "supplier_country" in fields else view.country
    if "supplier_phone" in fields:
        fields["supplier_phone"].value = ident.normalize_phone(fields["supplier_phone"].value, country)
    currency = ident.detect_currency(joined, country)
    if currency:
        fields["currency"] = Field(currency, currency, 0.8 if re.search(re.escape(currency), joined) else 0.6)
    classification = classify(lines, type_hint)
    _amount_due(view, fields, classification.type)
    checks = validate(fields, extraction.line_items, extraction.tax_lines)
    apply_checks(fields, checks)
    return {
        "type": classification.type,
        "typeConfidence": round(classification.confidence, 3),
        "typeScores": {k: round(v, 3) for k, v in classification.scores.items()},
        "typeMismatch": classification.hint_mismatch,
        "language": view.language,
        "country": country,
        "extraction": extraction.as_dict(),
        "validation": [check.as_dict() for check in checks],
        "versions": {"model": ranker.version},
    }
