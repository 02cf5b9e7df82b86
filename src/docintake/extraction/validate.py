"""Arithmetic and check-digit rules over an extraction, as evidence for reviewers and confidence.

An invoice is internally redundant: line items add up to the subtotal, subtotal plus tax makes the
total, tax ids and IBANs carry check digits. A rule that fails says some value involved is wrong,
though not which, so failures lower the confidence of every field named (``apply_checks``) instead
of "fixing" a value; a human or a re-ranker decides. Each rule always yields one verdict, with
``skipped`` when its inputs are missing, so an integration can tell "not checked" from "passed".

Tolerances are absolute cents because printed amounts are rounded per line: n lines may drift by
n cents, and totals may carry a cash-rounding adjustment of a few cents (reported as a pass whose
reason says so). Check digits come from python-stdnum rather than home-grown tables.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, MutableMapping, Sequence
from decimal import Decimal, InvalidOperation

from stdnum import get_cc_module
from stdnum import iban as stdnum_iban
from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from docintake.extraction.model import Check, CheckStatus, Field, LineItem, TaxLine
from docintake.extraction.normalize import format_amount

CENT = Decimal("0.01")
TOTAL_TOLERANCE = Decimal("0.02")
ROUNDING_TOLERANCE = Decimal("0.05")
_EU_PREFIXES = {cc.upper() for cc in eu_vat.MEMBER_STATES} | {"EL", "XI"}


def decimal_of(value: str | None) -> Decimal | None:
    """A normalised amount string as a Decimal; None for missing, empty or non-finite values."""
    if value is None or not value.strip():
        return None
    try:
        d = Decimal(value.strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _field_dec(fields: Mapping[str, Field], name: str) -> Decimal | None:
    f = fields.get(name)
    return decimal_of(f.value) if f is not None else None


def _fmt(d: Decimal) -> str:
    return format_amount(d)


def _line_items_sum(fields: Mapping[str, Field], items: Sequence[LineItem]) -> Check:
    name = "line_items_sum"
    if not items:
        return Check(name, "skipped", "no line items")
    amounts = [decimal_of(item.amount) for item in items]
    if any(a is None for a in amounts):
        return Check(name, "skipped", "a line item has no amount")
    total_items = sum((a for a in amounts if a is not None), Decimal(0))
    tol = CENT * len(items)
    subtotal = _field_dec(fields, "subtotal_amount")
    total = _field_dec(fields, "total_amount")
    tax = _field_dec(fields, "tax_amount")
    n = f"{len(items)} line item{'s' if len(items) != 1 else ''} sum to {_fmt(total_items)}"
    if subtotal is not None:
        if abs(total_items - subtotal) <= tol:
            return Check(name, "pass", f"{n}, subtotal is {_fmt(subtotal)}", ("subtotal_amount",))
        return Check(name, "fail", f"{n}, subtotal is {_fmt(subtotal)}", ("subtotal_amount",))
    if total is None:
        return Check(name, "skipped", f"{n}, but there is no subtotal or total")
    if tax is None:
        status: CheckStatus = "pass" if abs(total_items - total) <= tol else "fail"
        return Check(name, status, f"{n}, total is {_fmt(total)} (no subtotal or tax)", ("total_amount",))
    # No subtotal but a tax amount: items may be printed gross (receipts) or net.
    if abs(total_items - total) <= tol:
        return Check(name, "pass", f"{n}, the total including tax", ("total_amount",))
    if abs(total_items - (total - tax)) <= tol:
        return Check(
            name, "pass", f"{n}, total {_fmt(total)} less tax {_fmt(tax)}", ("total_amount", "tax_amount")
        )
    return Check(
        name,
        "fail",
        f"{n}, total is {_fmt(total)} and total less tax is {_fmt(total - tax)}",
        ("total_amount", "tax_amount"),
    )


def _subtotal_plus_tax(fields: Mapping[str, Field]) -> Check:
    name = "subtotal_plus_tax"
    involved = ("subtotal_amount", "tax_amount", "total_amount")
    subtotal, tax, total = (_field_dec(fields, n) for n in involved)
    missing = [n for n, v in zip(involved, (subtotal, tax, total), strict=True) if v is None]
    if missing or subtotal is None or tax is None or total is None:
        return Check(name, "skipped", f"missing {', '.join(missing)}")
    expected = subtotal + tax
    diff = total - expected
    said = f"subtotal {_fmt(subtotal)} + tax {_fmt(tax)} = {_fmt(expected)}, total is {_fmt(total)}"
    if abs(diff) <= TOTAL_TOLERANCE:
        return Check(name, "pass", said, involved)
    if abs(diff) <= ROUNDING_TOLERANCE:
        return Check(name, "pass", f"{said} (rounding adjustment of {_fmt(diff)})", involved)
    return Check(name, "fail", said, involved)


def _tax_lines_consistent(fields: Mapping[str, Field], tax_lines: Sequence[TaxLine]) -> Check:
    name = "tax_lines_consistent"
    if not tax_lines:
        return Check(name, "skipped", "no tax lines")
    problems: list[str] = []
    checked = 0
    for line in tax_lines:
        rate, base, tax = decimal_of(line.rate), decimal_of(line.base_amount), decimal_of(line.tax_amount)
        if rate is None or base is None or tax is None:
            continue
        checked += 1
        expected = base * rate / 100
        if abs(expected - tax) > max(TOTAL_TOLERANCE, abs(tax) * CENT):
            problems.append(
                f"{rate.normalize():f}% of {_fmt(base)} is {_fmt(expected.quantize(CENT))}, not {_fmt(tax)}"
            )
    involved: tuple[str, ...] = ()
    taxes = [decimal_of(line.tax_amount) for line in tax_lines]
    tax_total = _field_dec(fields, "tax_amount")
    if tax_total is not None and all(t is not None for t in taxes):
        checked += 1
        summed = sum((t for t in taxes if t is not None), Decimal(0))
        if abs(summed - tax_total) > max(TOTAL_TOLERANCE, CENT * len(taxes)):
            problems.append(f"tax lines sum to {_fmt(summed)}, tax amount is {_fmt(tax_total)}")
            involved = ("tax_amount",)
    if not checked:
        return Check(name, "skipped", "no tax line has rate, base and tax, and no tax total to compare")
    if problems:
        return Check(name, "fail", "; ".join(problems), involved)
    return Check(
        name,
        "pass",
        f"{len(tax_lines)} tax line(s) consistent",
        ("tax_amount",) if tax_total is not None else (),
    )


def _compact_id(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


def _tax_id(fields: Mapping[str, Field], which: str) -> Check:
    name = f"{which}_tax_id"
    f = fields.get(name)
    if f is None or not f.value.strip():
        return Check(name, "skipped", "no tax id")
    compact = _compact_id(f.value)
    prefix = compact[:2] if compact[:2].isalpha() else ""
    country_field = fields.get("supplier_country")
    try:
        if compact.startswith("CHE"):
            for suffix in ("MWST", "TVA", "IVA"):
                compact = compact.removesuffix(suffix)
            ch_uid.validate(compact)
            return Check(name, "pass", f"{compact}: valid Swiss UID", (name,))
        if prefix in _EU_PREFIXES:
            eu_vat.validate(compact)
            return Check(name, "pass", f"{compact}: valid {prefix} VAT number", (name,))
        cc = prefix or (country_field.value.strip().upper() if country_field else "")
        if not cc:
            return Check(name, "skipped", f"{compact}: no country prefix and no supplier country")
        module = get_cc_module(cc.lower(), "vat") if cc.isalpha() and len(cc) == 2 else None
        if module is None:
            return Check(name, "skipped", f"{compact}: no check-digit scheme for {cc}")
        module.validate(compact)
        return Check(name, "pass", f"{compact}: valid {cc} VAT number", (name,))
    except ValidationError as exc:
        return Check(name, "fail", f"{compact}: {exc}", (name,))


def _supplier_iban(fields: Mapping[str, Field]) -> Check:
    name = "supplier_iban"
    f = fields.get(name)
    if f is None or not f.value.strip():
        return Check(name, "skipped", "no IBAN")
    compact = stdnum_iban.compact(f.value)
    try:
        stdnum_iban.validate(compact)
    except ValidationError as exc:
        return Check(name, "fail", f"{compact}: {exc}", (name,))
    return Check(name, "pass", f"{compact}: valid IBAN", (name,))


def _iso_date(fields: Mapping[str, Field], name: str) -> datetime.date | None:
    f = fields.get(name)
    if f is None:
        return None
    try:
        return datetime.date.fromisoformat(f.value.strip())
    except ValueError:
        return None


def _due_after_issue(fields: Mapping[str, Field]) -> Check:
    name = "due_after_issue"
    issue, due = _iso_date(fields, "issue_date"), _iso_date(fields, "due_date")
    if issue is None or due is None:
        return Check(name, "skipped", "missing issue or due date")
    said = f"due {due.isoformat()}, issued {issue.isoformat()}"
    return Check(name, "pass" if due >= issue else "fail", said, ("issue_date", "due_date"))


def _amount_due_le_total(fields: Mapping[str, Field]) -> Check:
    name = "amount_due_le_total"
    due, total = _field_dec(fields, "amount_due"), _field_dec(fields, "total_amount")
    if due is None or total is None:
        return Check(name, "skipped", "missing amount due or total")
    said = f"amount due {_fmt(due)}, total {_fmt(total)}"
    return Check(name, "pass" if due <= total + CENT else "fail", said, ("amount_due", "total_amount"))


def validate(
    fields: Mapping[str, Field], line_items: Sequence[LineItem], tax_lines: Sequence[TaxLine]
) -> list[Check]:
    """One verdict per rule, always in the same order."""
    return [
        _line_items_sum(fields, line_items),
        _subtotal_plus_tax(fields),
        _tax_lines_consistent(fields, tax_lines),
        _tax_id(fields, "supplier"),
        _tax_id(fields, "customer"),
        _supplier_iban(fields),
        _due_after_issue(fields),
        _amount_due_le_total(fields),
    ]


def apply_checks(fields: MutableMapping[str, Field], checks: Sequence[Check], factor: float = 0.5) -> None:
    """Multiply the confidence of each field named by a failed check by ``factor``, once per field
    however many checks fail on it: one wrong value usually breaks several sums."""
    names = {n for check in checks if check.status == "fail" for n in check.fields}
    for n in names:
        f = fields.get(n)
        if f is not None:
            f.confidence *= factor
