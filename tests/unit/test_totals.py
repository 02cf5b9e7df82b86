from __future__ import annotations

from collections.abc import Sequence

from docintake.extraction.model import LineItem, TaxLine
from docintake.extraction.totals import Value, reconcile_totals


def _row(amount: str, score: float, row: int) -> Value:
    """A ranked value printed on its own row (rows are 2% of the page apart)."""
    return Value(amount, score, page=1, top=0.5 + row * 0.02, bottom=0.51 + row * 0.02)


def _decide(
    ranked: dict[str, list[Value]],
    chosen: dict[str, int | None],
    tax_lines: Sequence[TaxLine] = (),
    items: Sequence[LineItem] = (),
) -> dict[str, int]:
    return reconcile_totals(ranked, tax_lines, items, chosen=chosen).chosen


def test_without_an_identity_the_rankers_choice_stands() -> None:
    ranked = {
        "subtotal_amount": [_row("10.00", 0.6, 0), _row("12.00", 0.2, 1)],
        "tax_amount": [_row("3.00", 0.3, 2)],
        "total_amount": [_row("20.00", 0.7, 3), _row("10.00", 0.1, 0)],
    }
    assert _decide(ranked, {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 0}) == {}


def test_amounts_that_add_up_across_rows_win_over_individually_better_ones() -> None:
    # "Net total 496.00 / VAT total 75.04 / Due payable 571.04": the ranker prefers the net amount
    # as total, but only the printed trio adds up.
    ranked = {
        "subtotal_amount": [_row("496.00", 0.5, 0)],
        "tax_amount": [_row("75.04", 0.5, 1)],
        "total_amount": [_row("496.00", 0.45, 0), _row("571.04", 0.35, 2)],
    }
    decision = _decide(ranked, {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 0})
    assert decision == {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 1}


def test_an_item_row_with_net_tax_and_gross_is_not_the_totals() -> None:
    # "CR-B'SCOTCH 21.84 1.31 23.15" on one row; "Total payable 50.60" further down.
    ranked = {
        "subtotal_amount": [_row("21.84", 0.4, 0)],
        "tax_amount": [_row("1.31", 0.4, 0)],
        "total_amount": [_row("50.60", 0.5, 4), _row("23.15", 0.3, 0)],
    }
    assert _decide(ranked, {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 0}) == {}


def test_a_confident_total_is_not_overruled_by_a_partial_sum() -> None:
    # Mixed-rate receipts print "Total 6% supplies (excl. GST) 21.84 / GST 1.31 / Total 6%
    # supplies (incl. GST) 23.15 / Total 0% supplies 27.45 / Total payable 50.60".
    ranked = {
        "subtotal_amount": [_row("21.84", 0.5, 0)],
        "tax_amount": [_row("1.31", 0.6, 1)],
        "total_amount": [_row("50.60", 0.9, 4), _row("23.15", 0.02, 2)],
    }
    assert _decide(ranked, {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 0}) == {}


def test_cash_rounding_still_adds_up_and_the_ranker_decides_between_the_totals() -> None:
    ranked = {
        "subtotal_amount": [_row("62.42", 0.5, 0)],
        "tax_amount": [_row("3.75", 0.5, 1)],
        "total_amount": [_row("66.15", 0.6, 3), _row("66.17", 0.3, 2)],  # paid (rounded), unrounded
    }
    decision = _decide(ranked, {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 0})
    assert decision == {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 0}


def test_a_vat_summary_table_confirms_base_and_tax() -> None:
    # "VAT 21.00 522.31 109.69 632.00 EUR": the tax line confirms base and tax, and then its gross
    # adds up on the row.
    tax_lines = [TaxLine(rate="21", base_amount="522.31", tax_amount="109.69")]
    ranked = {
        "subtotal_amount": [_row("21.00", 0.4, 0), _row("522.31", 0.3, 0)],
        "tax_amount": [_row("522.31", 0.4, 0), _row("109.69", 0.3, 0)],
        "total_amount": [_row("632.00", 0.8, 0)],
    }
    decision = _decide(ranked, {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 0}, tax_lines)
    assert decision == {"subtotal_amount": 1, "tax_amount": 1, "total_amount": 0}


def test_line_items_summing_to_a_value_confirm_it_as_subtotal() -> None:
    items = [LineItem(description="a", amount="40.00"), LineItem(description="b", amount="60.00")]
    ranked = {
        "subtotal_amount": [_row("19.00", 0.3, 0), _row("100.00", 0.25, 1)],
        "total_amount": [_row("119.00", 0.9, 2)],
    }
    decision = _decide(ranked, {"subtotal_amount": 0, "total_amount": 0}, items=items)
    assert decision["subtotal_amount"] == 1


def test_one_amount_is_never_both_tax_and_total() -> None:
    ranked = {
        "subtotal_amount": [_row("50.00", 0.3, 0)],
        "tax_amount": [_row("50.00", 0.3, 0), _row("9.50", 0.2, 1)],
        "total_amount": [_row("59.50", 0.8, 2)],
    }
    decision = _decide(ranked, {"subtotal_amount": 0, "tax_amount": 0, "total_amount": 0})
    assert decision == {"subtotal_amount": 0, "tax_amount": 1, "total_amount": 0}


def test_a_vat_summarys_totals_row_adds_up_on_one_row() -> None:
    # "VAT 6.00 16.98 1.02 / VAT 21.00 1136.36 238.64 / 1153.34 239.66 1393.00 EUR": the last row
    # is the summary's sum, so its net + tax = gross counts although printed on one row.
    tax_lines = [
        TaxLine(rate="6", base_amount="16.98", tax_amount="1.02"),
        TaxLine(rate="21", base_amount="1136.36", tax_amount="238.64"),
    ]
    ranked = {
        "subtotal_amount": [_row("21.00", 0.3, 0), _row("1153.34", 0.2, 3)],
        "tax_amount": [_row("1375.00", 0.3, 2), _row("239.66", 0.2, 3)],
        "total_amount": [_row("1375.00", 0.3, 2), _row("1393.00", 0.25, 3)],
    }
    decision = _decide(ranked, {"subtotal_amount": 0, "tax_amount": 0, "total_amount": None}, tax_lines)
    assert decision == {"subtotal_amount": 1, "tax_amount": 1, "total_amount": 1}


def test_a_value_ranked_low_is_still_considered_when_it_is_the_tax_lines_sum() -> None:
    tax_lines = [
        TaxLine(rate="7", base_amount="100.00", tax_amount="7.00"),
        TaxLine(rate="19", base_amount="200.00", tax_amount="38.00"),
    ]
    noise = [_row(f"{n}.50", 0.1 - n / 100, 5 + n) for n in range(1, 8)]  # five and more ahead of it
    ranked = {
        "subtotal_amount": [_row("300.00", 0.6, 0)],
        "tax_amount": [*noise, _row("45.00", 0.02, 1)],
        "total_amount": [_row("345.00", 0.9, 2)],
    }
    decision = _decide(ranked, {"subtotal_amount": 0, "tax_amount": None, "total_amount": 0}, tax_lines)
    assert decision["tax_amount"] == len(noise)
