from __future__ import annotations

import pytest

from docintake.extraction.model import Check, Field, LineItem, TaxLine
from docintake.extraction.validate import apply_checks, validate

RULES = [
    "line_items_sum",
    "subtotal_plus_tax",
    "tax_lines_consistent",
    "supplier_tax_id",
    "customer_tax_id",
    "supplier_iban",
    "due_after_issue",
    "amount_due_le_total",
]


def _fields(**values: str) -> dict[str, Field]:
    return {name: Field(value=value, text=value, confidence=0.9) for name, value in values.items()}


def _items(*amounts: str | None) -> list[LineItem]:
    return [LineItem(description=f"item {i}", amount=a) for i, a in enumerate(amounts)]


def _check(
    name: str,
    fields: dict[str, Field],
    items: list[LineItem] | None = None,
    taxes: list[TaxLine] | None = None,
) -> Check:
    checks = {c.name: c for c in validate(fields, items or [], taxes or [])}
    return checks[name]


def test_one_verdict_per_rule_in_order() -> None:
    checks = validate({}, [], [])
    assert [c.name for c in checks] == RULES
    assert {c.status for c in checks} == {"skipped"}


# --- line_items_sum --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "amounts", "status", "reason_part", "involved"),
    [
        (
            {"subtotal_amount": "100.00"},
            ["60.00", "40.00"],
            "pass",
            "sum to 100.00, subtotal is 100.00",
            ("subtotal_amount",),
        ),
        (
            {"subtotal_amount": "100.00"},
            ["55.00", "40.00"],
            "fail",
            "sum to 95.00, subtotal is 100.00",
            ("subtotal_amount",),
        ),
        (
            {"subtotal_amount": "100.02"},
            ["60.01", "40.00"],
            "pass",
            "sum to 100.01",
            ("subtotal_amount",),
        ),  # 1 cent per line
        (
            {"subtotal_amount": "100.03"},
            ["60.00", "40.00"],
            "fail",
            "subtotal is 100.03",
            ("subtotal_amount",),
        ),
        (
            {"total_amount": "25.00"},
            ["20.00", "5.00"],
            "pass",
            "total is 25.00 (no subtotal or tax)",
            ("total_amount",),
        ),
        ({"total_amount": "30.00"}, ["20.00", "5.00"], "fail", "total is 30.00", ("total_amount",)),
        (
            {"total_amount": "106.00", "tax_amount": "6.00"},
            ["106.00"],
            "pass",
            "including tax",
            ("total_amount",),
        ),
        (
            {"total_amount": "106.00", "tax_amount": "6.00"},
            ["100.00"],
            "pass",
            "less tax 6.00",
            ("total_amount", "tax_amount"),
        ),
        (
            {"total_amount": "106.00", "tax_amount": "6.00"},
            ["90.00"],
            "fail",
            "total less tax is 100.00",
            ("total_amount", "tax_amount"),
        ),
        ({"subtotal_amount": "-5.00"}, ["10.00", "-15.00"], "pass", "sum to -5.00", ("subtotal_amount",)),
    ],
)
def test_line_items_sum(
    fields: dict[str, str], amounts: list[str], status: str, reason_part: str, involved: tuple[str, ...]
) -> None:
    check = _check("line_items_sum", _fields(**fields), _items(*amounts))
    assert check.status == status
    assert reason_part in check.reason
    assert check.fields == involved


@pytest.mark.parametrize(
    ("fields", "amounts", "reason"),
    [
        ({"subtotal_amount": "100.00"}, [], "no line items"),
        ({"subtotal_amount": "100.00"}, ["60.00", None], "a line item has no amount"),
        ({"subtotal_amount": "100.00"}, ["60.00", "abc"], "a line item has no amount"),
        ({}, ["60.00"], "1 line item sum to 60.00, but there is no subtotal or total"),
    ],
)
def test_line_items_sum_skipped(fields: dict[str, str], amounts: list[str | None], reason: str) -> None:
    check = _check("line_items_sum", _fields(**fields), _items(*amounts))
    assert (check.status, check.reason) == ("skipped", reason)


# --- subtotal_plus_tax -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subtotal", "tax", "total", "status", "reason"),
    [
        ("100.00", "19.00", "119.00", "pass", "subtotal 100.00 + tax 19.00 = 119.00, total is 119.00"),
        ("100.00", "19.00", "119.02", "pass", "subtotal 100.00 + tax 19.00 = 119.00, total is 119.02"),
        (
            "100.00",
            "19.00",
            "119.05",
            "pass",
            "subtotal 100.00 + tax 19.00 = 119.00, total is 119.05 (rounding adjustment of 0.05)",
        ),
        (
            "10.03",
            "0.60",
            "10.60",
            "pass",
            "subtotal 10.03 + tax 0.60 = 10.63, total is 10.60 (rounding adjustment of -0.03)",
        ),
        ("100.00", "19.00", "120.00", "fail", "subtotal 100.00 + tax 19.00 = 119.00, total is 120.00"),
    ],
)
def test_subtotal_plus_tax(subtotal: str, tax: str, total: str, status: str, reason: str) -> None:
    fields = _fields(subtotal_amount=subtotal, tax_amount=tax, total_amount=total)
    check = _check("subtotal_plus_tax", fields)
    assert (check.status, check.reason) == (status, reason)
    assert check.fields == ("subtotal_amount", "tax_amount", "total_amount")


def test_subtotal_plus_tax_skipped_names_missing() -> None:
    check = _check("subtotal_plus_tax", _fields(subtotal_amount="100.00"))
    assert (check.status, check.reason) == ("skipped", "missing tax_amount, total_amount")


# --- tax_lines_consistent --------------------------------------------------------------------------


def test_tax_lines_consistent_pass() -> None:
    taxes = [
        TaxLine(rate="19", base_amount="100.00", tax_amount="19.00"),
        TaxLine(rate="7", base_amount="10.00", tax_amount="0.70"),
    ]
    check = _check("tax_lines_consistent", _fields(tax_amount="19.70"), taxes=taxes)
    assert (check.status, check.fields) == ("pass", ("tax_amount",))
    assert check.reason == "2 tax line(s) consistent"


def test_tax_lines_consistent_rate_mismatch() -> None:
    taxes = [TaxLine(rate="21", base_amount="100.00", tax_amount="19.00")]
    check = _check("tax_lines_consistent", {}, taxes=taxes)
    assert (check.status, check.reason, check.fields) == ("fail", "21% of 100.00 is 21.00, not 19.00", ())


def test_tax_lines_consistent_tolerates_one_percent() -> None:
    # 7.7% of 1234.56 = 95.06: 96.50 is off by 1.44 (> 1% of it), 95.50 by 0.44 (< 1%, > 2 cents)
    ok = _check(
        "tax_lines_consistent", {}, taxes=[TaxLine(rate="7.7", base_amount="1234.56", tax_amount="95.50")]
    )
    bad = _check(
        "tax_lines_consistent", {}, taxes=[TaxLine(rate="7.7", base_amount="1234.56", tax_amount="96.50")]
    )
    assert (ok.status, bad.status) == ("pass", "fail")
    assert bad.reason == "7.7% of 1234.56 is 95.06, not 96.50"


def test_tax_lines_consistent_sum_mismatch() -> None:
    taxes = [TaxLine(rate=None, base_amount=None, tax_amount="5.00"), TaxLine(tax_amount="2.00")]
    check = _check("tax_lines_consistent", _fields(tax_amount="8.00"), taxes=taxes)
    assert (check.status, check.reason, check.fields) == (
        "fail",
        "tax lines sum to 7.00, tax amount is 8.00",
        ("tax_amount",),
    )


@pytest.mark.parametrize(
    ("fields", "taxes", "reason"),
    [
        ({}, [], "no tax lines"),
        (
            {},
            [TaxLine(rate="19", tax_amount="19.00")],
            "no tax line has rate, base and tax, and no tax total to compare",
        ),
    ],
)
def test_tax_lines_consistent_skipped(fields: dict[str, str], taxes: list[TaxLine], reason: str) -> None:
    check = _check("tax_lines_consistent", _fields(**fields), taxes=taxes)
    assert (check.status, check.reason) == ("skipped", reason)


# --- tax ids and IBAN ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "reason_part"),
    [
        ({"supplier_tax_id": "DE136695976"}, "pass", "DE136695976: valid DE VAT number"),
        ({"supplier_tax_id": "DE 136 695 976"}, "pass", "DE136695976: valid DE VAT number"),
        (
            {"supplier_tax_id": "DE136695978"},
            "fail",
            "DE136695978: The number's checksum or check digit is invalid.",
        ),
        ({"supplier_tax_id": "DE13669597"}, "fail", "DE13669597: "),
        (
            {"supplier_tax_id": "136695976", "supplier_country": "DE"},
            "pass",
            "136695976: valid DE VAT number",
        ),
        ({"supplier_tax_id": "136695978", "supplier_country": "DE"}, "fail", "checksum"),
        ({"supplier_tax_id": "GB980780684"}, "pass", "valid GB VAT number"),
        ({"supplier_tax_id": "GB123456789"}, "fail", "GB123456789: "),
        ({"supplier_tax_id": "CHE-116.281.710 MWST"}, "pass", "CHE116281710: valid Swiss UID"),
        ({"supplier_tax_id": "CHE-116.281.711"}, "fail", "CHE116281711: "),
        ({"supplier_tax_id": "EL094259216"}, "pass", "valid EL VAT number"),
        ({"supplier_tax_id": "136695976"}, "skipped", "no country prefix and no supplier country"),
        (
            {"supplier_tax_id": "C12345678", "supplier_country": "MY"},
            "skipped",
            "no check-digit scheme for MY",
        ),
        ({}, "skipped", "no tax id"),
    ],
)
def test_supplier_tax_id(fields: dict[str, str], status: str, reason_part: str) -> None:
    check = _check("supplier_tax_id", _fields(**fields))
    assert check.status == status
    assert reason_part in check.reason
    assert check.fields == (() if status == "skipped" else ("supplier_tax_id",))


def test_customer_tax_id_uses_its_own_value() -> None:
    fields = _fields(supplier_tax_id="DE136695976", customer_tax_id="ATU13585628")
    checks = {c.name: c for c in validate(fields, [], [])}
    assert checks["supplier_tax_id"].status == "pass"
    assert (checks["customer_tax_id"].status, checks["customer_tax_id"].fields) == (
        "fail",
        ("customer_tax_id",),
    )
    assert _check("customer_tax_id", _fields(customer_tax_id="ATU13585627")).status == "pass"


@pytest.mark.parametrize(
    ("iban", "status", "reason"),
    [
        ("DE89 3704 0044 0532 0130 00", "pass", "DE89370400440532013000: valid IBAN"),
        ("GB82WEST12345698765432", "pass", "GB82WEST12345698765432: valid IBAN"),
        (
            "DE89370400440532013001",
            "fail",
            "DE89370400440532013001: The number's checksum or check digit is invalid.",
        ),
        ("DE8937040044053201300", "fail", "DE8937040044053201300: "),
    ],
)
def test_supplier_iban(iban: str, status: str, reason: str) -> None:
    check = _check("supplier_iban", _fields(supplier_iban=iban))
    assert check.status == status
    assert check.reason.startswith(reason)
    assert check.fields == ("supplier_iban",)


def test_supplier_iban_skipped() -> None:
    assert _check("supplier_iban", _fields(supplier_iban=" ")).status == "skipped"


# --- dates and amount due --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issue", "due", "status"),
    [
        ("2024-03-05", "2024-04-04", "pass"),
        ("2024-03-05", "2024-03-05", "pass"),
        ("2024-03-05", "2024-03-04", "fail"),
    ],
)
def test_due_after_issue(issue: str, due: str, status: str) -> None:
    check = _check("due_after_issue", _fields(issue_date=issue, due_date=due))
    assert (check.status, check.reason) == (status, f"due {due}, issued {issue}")
    assert check.fields == ("issue_date", "due_date")


@pytest.mark.parametrize(
    "fields", [{"issue_date": "2024-03-05"}, {"issue_date": "2024-03-05", "due_date": "05/04/2024"}]
)
def test_due_after_issue_skipped(fields: dict[str, str]) -> None:
    assert _check("due_after_issue", _fields(**fields)).status == "skipped"


@pytest.mark.parametrize(
    ("due", "total", "status"),
    [
        ("50.00", "119.00", "pass"),
        ("119.01", "119.00", "pass"),
        ("119.02", "119.00", "fail"),
        ("0.00", "119.00", "pass"),
    ],
)
def test_amount_due_le_total(due: str, total: str, status: str) -> None:
    check = _check("amount_due_le_total", _fields(amount_due=due, total_amount=total))
    assert (check.status, check.reason) == (status, f"amount due {due}, total {total}")
    assert check.fields == ("amount_due", "total_amount")


def test_amount_due_le_total_skipped() -> None:
    assert _check("amount_due_le_total", _fields(amount_due="5.00")).status == "skipped"


# --- apply_checks ---------------------------------------------------------------------------------


def test_apply_checks_lowers_failed_fields_once() -> None:
    fields = _fields(subtotal_amount="100.00", tax_amount="19.00", total_amount="120.00", amount_due="121.00")
    fields["supplier_name"] = Field(value="ACME", text="ACME", confidence=0.8)
    checks = validate(fields, _items("90.00"), [])
    failed = sorted(c.name for c in checks if c.status == "fail")
    assert failed == ["amount_due_le_total", "line_items_sum", "subtotal_plus_tax"]
    apply_checks(fields, checks, factor=0.5)
    # total_amount fails two checks but is lowered once
    assert fields["total_amount"].confidence == pytest.approx(0.45)
    assert fields["subtotal_amount"].confidence == pytest.approx(0.45)
    assert fields["amount_due"].confidence == pytest.approx(0.45)
    assert fields["supplier_name"].confidence == pytest.approx(0.8)


def test_apply_checks_ignores_passes_and_absent_fields() -> None:
    fields = _fields(total_amount="10.00")
    checks = [
        Check("x", "pass", "", ("total_amount",)),
        Check("y", "skipped", "", ("total_amount",)),
        Check("z", "fail", "", ("missing_field",)),
    ]
    apply_checks(fields, checks, factor=0.1)
    assert fields["total_amount"].confidence == pytest.approx(0.9)
    assert "missing_field" not in fields
