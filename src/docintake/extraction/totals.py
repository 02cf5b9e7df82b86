"""Subtotal, tax and total chosen together, because together they must add up.

The ranker scores each amount field on its own: "Net total 496.00 / VAT total 75.04 / Due payable
571.04" gives it three labels it has rarely seen, and each field alone may fall below the bar or
go to a neighbour (the VAT rate "21.00" as subtotal, the base as tax). The page itself says which
reading is right: 496.00 + 75.04 = 571.04 on three rows, and a VAT summary table or the line items
may add up to the same subtotal and tax.

``reconcile_totals`` compares two readings of the page by their joint probability under the
ranker: each field's own best value (or "not printed"), and the best combination that an identity
confirms, whose probability is multiplied by a likelihood ratio per identity. "Not printed" has the
probability the ranker leaves over (one minus its scores for the field's values), so filling a
field the ranker thinks absent costs. Only confirmed fields change: the rest keep the ranker's
choice, with its bar.

Coincidences are common on receipts, where every item row may print net, tax and gross
("21.84 1.31 23.15"), so subtotal + tax = total counts only across rows. It never invents a
number: every value it picks is printed and was scored by the ranker for that field.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from docintake.extraction.model import LineItem, TaxLine
from docintake.extraction.validate import decimal_of

FIELDS = ("subtotal_amount", "tax_amount", "total_amount")
TOP = 5  # values per field considered; the rest score too low to matter...
DEEP = 20  # ...unless a value further down equals a column sum: that evidence can outweigh rank
FLOOR = 0.005  # the least probability a value (or "not printed") is given
SUM_RATIO = 10.0  # subtotal + tax = total across rows by chance is rare (5-20 scored the same)
TABLE_RATIO = 8.0  # the value equals the sum of the tax lines' (or line items') column
CONFIRMED = 0.85
TOLERANCE = Decimal("0.02")
ROUNDING = Decimal("0.05")


@dataclass(frozen=True)
class Value:
    """One ranked value of a field: the normalised amount, the ranker's score, and where it is
    printed (page and vertical extent, 0..1) to tell rows apart."""

    amount: str
    score: float
    page: int = 1
    top: float = 0.0
    bottom: float = 0.0


@dataclass(frozen=True)
class _Option:
    number: Decimal | None  # None: the field is not printed
    probability: float
    index: int | None  # position in the field's ranked list
    where: Value | None


@dataclass(frozen=True)
class Decision:
    """Indexes into each field's ranked list for the fields an identity confirmed; the other
    fields keep the ranker's own choice."""

    chosen: dict[str, int]


def _options(values: Sequence[Value], sums: set[Decimal]) -> list[_Option]:
    options = []
    for index, value in enumerate(values[:DEEP]):
        number = decimal_of(value.amount)
        if number is not None and (index < TOP or _matches(number, sums)):
            options.append(_Option(number, max(value.score, FLOOR), index, value))
    absent = max(FLOOR, 1.0 - sum(option.probability for option in options))
    return [_Option(None, absent, None, None), *options]


def _column_sums(
    tax_lines: Sequence[TaxLine], items: Sequence[LineItem]
) -> tuple[dict[str, set[Decimal]], dict[str, set[Decimal]]]:
    """Sums printed elsewhere on the page that a field may equal: all of them, and those of the
    tax lines alone."""
    sums: dict[str, set[Decimal]] = {name: set() for name in FIELDS}

    def add(name: str, values: Sequence[str | None]) -> None:
        numbers = [decimal_of(v) for v in values]
        if numbers and all(n is not None for n in numbers):
            sums[name].add(sum((n for n in numbers if n is not None), Decimal(0)))

    if tax_lines:
        add("tax_amount", [line.tax_amount for line in tax_lines])
        add("subtotal_amount", [line.base_amount for line in tax_lines])
    positive = {name: {v for v in values if v > 0} for name, values in sums.items()}
    taxed = {name: set(values) for name, values in positive.items()}
    if len(items) >= 2:  # not the total: receipts print item amounts with and without tax
        add("subtotal_amount", [item.amount for item in items])
        positive["subtotal_amount"] |= {v for v in sums["subtotal_amount"] if v > 0}
    return positive, taxed


def _same_row(a: Value, b: Value) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return a.page == b.page and overlap > 0.5 * min(a.bottom - a.top, b.bottom - b.top)


def _adds_up(combo: Sequence[_Option], summary_row: bool = False) -> bool:
    """subtotal + tax = total, printed on different rows; or on one row (``summary_row``) when
    that row is a VAT summary's totals row: its net and tax are the sums of the tax lines above."""
    subtotal, tax, total = (option.number for option in combo)
    if subtotal is None or tax is None or total is None or min(subtotal, tax, total) <= 0:
        return False
    if tax >= total or subtotal >= total or abs(subtotal + tax - total) > ROUNDING:
        return False
    if summary_row:
        return True
    wheres = [option.where for option in combo if option.where is not None]
    return not any(_same_row(a, b) for a, b in itertools.combinations(wheres, 2))


def _matches(number: Decimal | None, sums: set[Decimal]) -> bool:
    return number is not None and any(abs(number - s) <= TOLERANCE for s in sums)


def _duplicate(combo: Sequence[_Option]) -> bool:
    """Tax never equals subtotal or total when both are printed: that is one amount read twice."""
    subtotal, tax, total = (option.number for option in combo)
    return tax is not None and tax != 0 and tax in (subtotal, total)


def reconcile_totals(
    ranked: Mapping[str, Sequence[Value]],
    tax_lines: Sequence[TaxLine] = (),
    items: Sequence[LineItem] = (),
    *,
    chosen: Mapping[str, int | None],
) -> Decision:
    """The fields of subtotal, tax and total that an identity confirms with a better joint
    probability than the ranker's own choice (``chosen``: index per field, None for none)."""
    sums, taxed = _column_sums(tax_lines, items)
    options = {name: _options(ranked.get(name, ()), sums[name]) for name in FIELDS}

    def own(name: str) -> _Option:
        index = chosen.get(name)
        return next((o for o in options[name] if o.index == index), options[name][0])

    def joint(combo: Sequence[_Option]) -> float:
        return sum(math.log(option.probability) for option in combo)

    baseline = joint([own(name) for name in FIELDS])
    best: tuple[float, dict[str, int]] = (baseline, {})
    for combo in itertools.product(*(options[name] for name in FIELDS)):
        if _duplicate(combo):
            continue
        score = joint(combo)
        confirmed: set[str] = set()
        summary_row = _matches(combo[0].number, taxed["subtotal_amount"]) and _matches(
            combo[1].number, taxed["tax_amount"]
        )
        if _adds_up(combo, summary_row):
            score += math.log(SUM_RATIO)
            confirmed.update(FIELDS)
        for name, option in zip(FIELDS, combo, strict=True):
            if _matches(option.number, sums[name]):
                score += math.log(TABLE_RATIO)
                confirmed.add(name)
        if confirmed and score > best[0]:
            picks = {
                name: option.index
                for name, option in zip(FIELDS, combo, strict=True)
                if name in confirmed and option.index is not None
            }
            best = (score, picks)
    return Decision(best[1])


def confirmed_score(score: float) -> float:
    return max(score, CONFIRMED)


__all__ = ["FIELDS", "Decision", "Value", "confirmed_score", "reconcile_totals"]
