"""Visual rows, folded tokens and item drafts shared by the items table, receipt items and tax lines.

Design choices:

* Rows, not lines. Layout splits a wide gap into separate ``Line`` segments (right for fields:
  a label keeps its value), but a table row is all the segments on one baseline, so lines are
  regrouped into visual rows first (by centre line, so a skewed photo does not chain rows).
* Labels are matched on folded tokens (accent-stripped, case-folded, dots and dashes inside words
  dropped, so "Art.-Nr." is "artnr" and "Q.tà" is "qta"), so one phrase list covers the spellings.
* A totals row ends an items table, a receipt's items and a tax summary alike, so the totals
  vocabulary (German compounds such as "Rechnungssumme" included) lives here once.
* Arithmetic is evidence: qty x price = amount raises an item's confidence, a mismatch lowers
  it (a discount column can explain it, so the item is kept).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache

from docintake.extraction.layout import Line, union
from docintake.extraction.model import LineItem
from docintake.pipeline.model import Box

# fmt: off
TOTALS = (  # a row starting with one of these ends an items table
    "subtotal", "sub total", "total", "totals", "grand total", "net total", "net", "netto", "nettobetrag",
    "zwischensumme", "summe", "gesamt", "gesamtbetrag", "gesamtsumme", "rechnungsbetrag", "endbetrag",
    "base imponible", "importe total", "suma", "total ht", "montant ht", "sous total", "sous-total",
    "somme", "imponibile", "totale", "subtotaal", "totaal", "soma", "valor total", "amount due",
    "balance due", "zuzuglich", "zzgl", "plus vat", "importe neto", "importe a pagar", "pendiente de pago",
    "total ilíquido", "valor líquido", "base tributável", "valor a pagar", "a pagar", "subtotale", "net à payer",
    "reste à payer", "zu zahlen", "zahlbetrag", "bruttobetrag", "da pagare", "netto a pagare", "te betalen",
    "nog te betalen", "factuurbedrag", "amount before tax", "amount payable", "total payable", "invoice amount",
    "invoice total", "total due", "due payable", "payment due", "tax amount", "vat amount", "vat total", "tax total",
    "montant total", "total à payer", "total hors taxes", "montant de la tva", "warenwert", "nettosumme",
    "steuerbetrag", "mwst betrag", "total general", "totale netto", "totaal bedrag", "te betalen bedrag",
)
TOTAL_PREFIXES, TOTAL_SUFFIXES = ("gesamt", "rechnungs", "endbetrag", "nettobetrag"), ("summe", "steuer")
# fmt: on
TIMES = re.compile(  # "2 x 3.50", "2pc @ 9,89", "2 Stk x 1,29", "3 X RM1.20"; also "Qty: 2"
    r"(?<![\w.,])(?P<q>\d{1,4}(?:[.,]\d{1,3})?)\s*(?P<u>[^\W\d_]{1,5}\.?)?\s*[xX×*@]\s*"
    r"(?:[^\W\d_]{1,3}\.?\s*|[$€£]\s*)?(?P<p>\d[\d.,]*\d)(?![\w.,])|\bqty\.?\s*:?\s*(?P<n>\d+(?:[.,]\d+)?)\b",
    re.IGNORECASE,
)
CENTS = re.compile(r"\d[.,]\d{2}\)?-?$")
_TOKENS = re.compile(r"[^\W_]+|%|#")
_INNER_MARKS = re.compile(r"[.\-/'’°]")


def _fold_tokens(text: str) -> list[str]:
    """Lower-case, accent-free word tokens; dots, dashes and slashes inside words are dropped so
    "Art.-Nr." is "artnr" and "Q.tà" is "qta"; "%" and "#" are tokens of their own."""
    return list(_folded(text))


@lru_cache(maxsize=8192)
def _folded(text: str) -> tuple[str, ...]:
    """``_fold_tokens``, cached: items, tax lines, receipts and table headers all fold the same
    row and word texts, several times each."""
    s = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return tuple(_TOKENS.findall(_INNER_MARKS.sub("", s)))


def _phrases(table: dict[str, tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    return {tuple(_fold_tokens(p)): kind for kind, phrases in table.items() for p in phrases}


@dataclass(frozen=True)
class _Keys:
    """Folded phrases, looked up by slices of a row's tokens (one set lookup per start and
    length) instead of each phrase being compared at each start."""

    keys: frozenset[tuple[str, ...]]
    lengths: tuple[int, ...]


def _keys(phrases: Iterable[str]) -> _Keys:
    keys = frozenset(tuple(_fold_tokens(p)) for p in phrases)
    return _Keys(keys, tuple(sorted({len(k) for k in keys})))


TOTAL_KEYS = _keys(TOTALS)


def _has_phrase(tokens: list[str], keys: _Keys, start_only: bool = False) -> bool:
    starts = [0] if start_only else range(len(tokens))
    return any(tuple(tokens[i : i + n]) in keys.keys for n in keys.lengths for i in starts)


def _totalish(tokens: list[str], start_only: bool = False) -> bool:
    """A totals label, German compounds included ("Rechnungssumme", "Gesamtbeitrag")."""
    heads = tokens[:1] if start_only else tokens
    compound = any(t.startswith(TOTAL_PREFIXES) or t.endswith(TOTAL_SUFFIXES) for t in heads)
    return compound or _has_phrase(tokens, TOTAL_KEYS, start_only)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass
class _Row:
    """All line segments of one page on one centre line: one printed table row. Its lines are
    final once built, so the box, height, text and confidence (read many times by the items,
    tax-line and receipt readers) are computed once."""

    lines: list[Line]

    @property
    def page(self) -> int:
        return self.lines[0].page

    @cached_property
    def box(self) -> Box:
        return union(line.box for line in self.lines)

    @cached_property
    def height(self) -> float:
        return _median([line.height for line in self.lines])

    @cached_property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)

    @cached_property
    def confidence(self) -> float:
        return min(line.confidence for line in self.lines)


def _mean(values: list[float]) -> float:
    """``statistics.mean`` (the correctly rounded mean), without its exact fractions for one or
    two values, where plain float arithmetic gives the same number (halving is exact)."""
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return (values[0] + values[1]) / 2
    return statistics.mean(values)


def _median(values: list[float]) -> float:
    return values[0] if len(values) == 1 else statistics.median(values)


def _visual_rows(lines: Sequence[Line]) -> list[_Row]:
    groups: list[list[Line]] = []
    centres: list[float] = []  # centre line of each line of the last group
    for line in sorted(lines, key=lambda ln: (ln.page, (ln.box.y0 + ln.box.y1) / 2)):
        if groups and groups[-1][0].page == line.page:  # centre lines, not the growing box: no chaining
            last = groups[-1]
            centre = _mean(centres)
            if abs((line.box.y0 + line.box.y1) / 2 - centre) <= 0.5 * min(
                line.height, _median([ln.height for ln in last])
            ):
                last.append(line)
                centres.append((line.box.y0 + line.box.y1) / 2)
                continue
        groups.append([line])
        centres = [(line.box.y0 + line.box.y1) / 2]
    return [_Row(sorted(group, key=lambda ln: ln.box.x0)) for group in groups]


def _adjacent(upper: _Row, lower: _Row, factor: float = 1.2) -> bool:
    gap = lower.box.y0 - upper.box.y1
    return upper.page == lower.page and gap <= factor * max(upper.height, lower.height)


@dataclass
class _Draft:
    item: LineItem
    rows: list[_Row] = field(default_factory=list)


def _finish(drafts: list[_Draft], base: float) -> list[LineItem]:
    out = []
    for draft in drafts:
        item = draft.item
        score = base + (0.15 if item.description else 0.0)
        if item.quantity and item.unit_price and item.amount:
            expected = Decimal(item.quantity) * Decimal(item.unit_price)
            actual = Decimal(item.amount)
            ok = abs(expected - actual) <= max(Decimal("0.011"), abs(actual) / 100)
            score += 0.2 if ok else -0.35
        ocr = min(row.confidence for row in draft.rows)
        item.confidence = max(0.0, min(1.0, score * (0.5 + 0.5 * ocr)))
        item.page = draft.rows[0].page
        item.box = union(row.box for row in draft.rows)
        item.text = "\n".join(row.text for row in draft.rows)
        out.append(item)
    return out
