"""Table cells: a header row's columns, and the tokens of a later row placed in them.

Design choices:

* A header owns its cell from its left edge to the next header. A token (an amount, a bare
  number, or a run of words) that lies under exactly one header belongs to it; otherwise a
  number goes where its right edge falls (numbers are right-aligned, often under a left-aligned
  header) and words where their left edge does. Reading by column, not by position in the text,
  is what tells a quantity from a unit price when a cell is empty.
* A run of words is split where it crosses into another column, unless it started in the
  description column (a long description may overflow under its neighbour): "WG-733 Cartouche"
  is a code and a description, "7,5 días Gestión" a quantity, a unit and a description.
* Amounts are read with ``space_groups=False``: "1 599,54" is two cells (a quantity and a price)
  unless both parts fall in one amount column, where they are joined back into "1 599,54".
* A minus sign printed before a currency symbol ("-£632.32") still makes the amount negative;
  a currency symbol or code standing alone next to a number is not text of the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from docintake.extraction.layout import Line, union
from docintake.extraction.normalize import find_amounts, parse_amount
from docintake.extraction.rows import _fold_tokens, _plain, _Row, _totalish
from docintake.pipeline.model import Box, Word

NUMBER_WORD = re.compile(r"[-+(]?\d[\d.,'’]*\)?-?%?")
QUANTITY = re.compile(r"(?P<num>[-+]?\d[\d.,'’]*)\s*(?P<unit>[^\W\d_][^\d]{0,10})?")
CURRENCY_WORD = re.compile(
    r"[$€£¥₹]|US\$|EUR|USD|GBP|CHF|SGD|AUD|CAD|NZD|HKD|MYR|SEK|NOK|DKK|PLN|CZK|BRL|MXN|R\$|RM", re.I
)
SIGN_BEFORE = re.compile(r"[-−–]\s?(?:[$€£¥₹]|EUR|USD|GBP|CHF)?\s?$")
NET_HEADERS = frozenset(("subtotal", "sub", "net", "netto", "ht", "excl", "nettobetrag"))  # net amount wins
GROUP_HEAD = re.compile(r"[-+]?(?:[$€£]\s?)?\d{1,3}")
UNIT_WORD = re.compile(r"[^\W\d_]{1,6}\.?")
GROUP_TAIL = re.compile(r"\d{3}(?:[.,]\d{1,2})?-?")


@dataclass
class _Token:
    text: str
    box: Box
    value: Decimal | None = None  # an amount or a bare number
    numeric: bool = False


@dataclass
class _Column:
    kind: str
    box: Box
    net: bool = False  # the header says net ("Subtotal", "Netto"): preferred among amount columns


def _limit(line: Line) -> float:
    """About a text height, as a width fraction of the page: the widest gap inside one cell."""
    return 0.8 * line.height * (line.page_height / line.page_width if line.page_width else 1.0)


def _amount_tokens(line: Line, hint: str | None, used: set[int]) -> list[_Token]:
    out: list[_Token] = []
    limit = _limit(line)
    for start, end, value in find_amounts(line.text, hint, space_groups=False):
        idx = [i for i, o in enumerate(line.offsets) if o < end and o + len(line.words[i].text) > start]
        words = [line.words[i] for i in idx]
        if not idx or used & set(idx) or any(b.box.x0 - a.box.x1 > limit for a, b in pairwise(words)):
            continue
        sign = SIGN_BEFORE.search(line.text[:start])
        if sign and value > 0 and (sign.start() == 0 or line.text[sign.start() - 1] == " "):
            value = -value  # "-£632.32": the sign before the currency
            idx = sorted({*idx, *(i for i, o in enumerate(line.offsets) if sign.start() <= o < start)})
            words = [line.words[i] for i in idx]
        used.update(idx)
        out.append(_Token(" ".join(w.text for w in words), union(w.box for w in words), value, True))
    return out


def _tokens(row: _Row, hint: str | None, columns: list[_Column] | None = None) -> list[_Token]:
    """Amounts (never across a gap wider than a space), bare numbers, and runs of words; a run
    ends at a gap, a number, or (given the columns) where it crosses into another column."""
    out: list[_Token] = []
    for line in row.lines:
        limit = _limit(line)
        used: set[int] = set()
        mine = _amount_tokens(line, hint, used)
        run: list[Word] = []
        home: _Column | None = None
        for i, word in enumerate([*line.words, None]):
            number = word is not None and i not in used and NUMBER_WORD.fullmatch(word.text) is not None
            where = _column(_Token(word.text, word.box), columns) if word is not None and columns else None
            crossed = where is not home and home is not None and home.kind != "description"
            if run and (
                word is None or i in used or number or crossed or word.box.x0 - run[-1].box.x1 > 1.25 * limit
            ):
                nxt = word is not None and (i in used or number)
                while run and CURRENCY_WORD.fullmatch(run[-1].text) and (nxt or len(run) == 1):
                    run.pop()  # "EUR" / "$" printed before the amount: a currency column
                if run:
                    mine.append(_Token(" ".join(w.text for w in run), union(w.box for w in run)))
                run = []
            if word is not None and number:
                mine.append(_Token(word.text, word.box, parse_amount(word.text, hint), True))
            elif word is not None and i not in used:
                if not run:
                    home = where
                run.append(word)
        out.extend(_join_groups(mine, columns, limit, hint))
    return sorted(out, key=lambda t: t.box.x0)


def _without_totals(lines: list[Line]) -> list[Line]:
    """The segments of a header row less a totals label printed on its baseline with its amount
    ("Tarief Excl. BTW Incl. ... Totaal excl. BTW EUR 46905,10"): that label is not columns."""
    out: list[Line] = []
    skip = False
    for line, after in zip(lines, [*lines[1:], None], strict=True):
        if skip and not re.search(r"[^\W\d_]{4}", line.text):
            skip = False
            continue  # the amount of the label before
        label = _totalish(_fold_tokens(line.text), start_only=True)
        if label and re.search(r"\d", f"{line.text} {after.text if after else ''}"):
            skip = not re.search(r"\d", line.text)
            continue
        skip = False
        out.append(line)
    return out


def _header(row: _Row, phrases: dict[tuple[str, ...], str], right: frozenset[str]) -> list[_Column]:
    """Columns of a header row (longest phrase first, within one segment), or [] if it is not one.
    A segment with no column word ("Discount" in a language we lack) still takes its x-range."""
    columns: list[_Column] = []
    total = matched = digits = 0
    for line in _without_totals(row.lines):
        words = [w for w in line.words if not any(c.isdigit() for c in w.text)]
        digits += len(line.words) - len(words)
        total += len(line.words)
        entries = [(tok, w) for w in words for tok in _fold_tokens(w.text)]
        toks = [tok for tok, _ in entries]
        found, i = 0, 0
        while i < len(entries):
            for n in (3, 2, 1):
                key = tuple(toks[i : i + n])
                if len(key) == n and key in phrases:
                    hit = list({id(w): w for _, w in entries[i : i + n]}.values())
                    box, kind = union(w.box for w in hit), phrases[key]
                    last = columns[-1] if columns and found else None
                    if last and last.kind == kind and box.x0 - last.box.x1 < 3 * (box.y1 - box.y0):
                        last.box = union([last.box, box])  # "Item Description": one column
                    else:
                        columns.append(_Column(kind, box, net=bool(NET_HEADERS & set(key))))
                    found, matched, i = found + 1, matched + len(hit), i + n
                    break
            else:
                i += 1
        if not found:
            columns.append(_Column("other", line.box))
    kinds = {c.kind for c in columns} - {"position", "gross", "other"}
    if matched < 0.5 * total or digits > 1 or len(kinds) < 2:
        return []
    columns.sort(key=lambda c: c.box.x0)
    for kind in kinds:  # one column per kind; the others keep their x-range
        same = [c for c in columns if c.kind == kind]
        keep = next((c for c in same if c.net), same[-1]) if kind in right else same[0]
        for col in same:
            col.kind = kind if col is keep else "other"
    return columns


def _column(token: _Token, columns: list[_Column]) -> _Column:
    """The one header the token lies under; else numbers belong where their right edge falls
    (they are right-aligned, often under a left-aligned header), words where their left edge does."""
    under = [c for c in columns if _overlap(c.box, token.box) > 0]
    if len(under) == 1:
        return under[0]
    slack = min((token.box.x1 - token.box.x0) / 2, 0.03)
    edge = token.box.x1 - slack if token.numeric else token.box.x0 + slack
    return next((c for c in reversed(columns) if c.box.x0 <= edge), columns[0])


def _join_groups(
    tokens: list[_Token], columns: list[_Column] | None, gap: float, hint: str | None
) -> list[_Token]:
    """ "2" and "416,89" a space apart: the amount "2 416,89", unless the "2" lies under a header
    of its own ("1 599,54" under "Qty" and "Price" is a quantity and a price)."""
    out: list[_Token] = []
    for token in sorted(tokens, key=lambda t: t.box.x0):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.numeric
            and token.numeric
            and GROUP_HEAD.fullmatch(prev.text)
            and GROUP_TAIL.fullmatch(token.text)
            and 0 <= token.box.x0 - prev.box.x1 <= gap
        ):
            text = f"{prev.text} {token.text}"
            joined = _Token(text, union([prev.box, token.box]), parse_amount(text, hint), True)
            if joined.value is not None and (not columns or _same_cell(prev, token, joined, columns)):
                out[-1] = joined
                continue
        out.append(token)
    return out


def _same_cell(head: _Token, tail: _Token, joined: _Token, columns: list[_Column]) -> bool:
    """Both parts in one column, or a head under no header whose joined amount ends in the tail's."""
    column = _column(tail, columns)
    if _column(head, columns) is column:
        return True
    return not any(_overlap(c.box, head.box) > 0 for c in columns) and _column(joined, columns) is column


def _overlap(a: Box, b: Box) -> float:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def _cells(tokens: list[_Token], columns: list[_Column]) -> dict[str, list[_Token]]:
    """Tokens by column kind. A number followed by a short word ("5 ea", "7,5 días") is one
    quantity cell when the pair ends under a quantity or unit header."""
    cells: dict[str, list[_Token]] = {}
    followers: list[_Token | None] = [*tokens[1:], None] if tokens else []
    for token, after in zip(tokens, followers, strict=True):
        column = _column(token, columns)
        height = token.box.y1 - token.box.y0
        if (
            after is not None
            and token.numeric
            and not after.numeric
            and UNIT_WORD.fullmatch(after.text)
            and 0 <= after.box.x0 - token.box.x1 <= height
        ):
            pair = _column(_Token(after.text, union([token.box, after.box]), None, True), columns)
            if pair.kind in ("quantity", "unit"):  # "2 dias" under "Unid.": the number is the quantity
                column = next((c for c in columns if c.kind == "quantity"), pair)
        cells.setdefault(column.kind, []).append(token)
    return cells


def _cell_text(cells: dict[str, list[_Token]], kind: str) -> str | None:
    text = " ".join(t.text for t in cells.get(kind, [])).strip()
    return text or None


def _cell_amount(cells: dict[str, list[_Token]], kind: str) -> Decimal | None:
    values = [t.value for t in cells.get(kind, []) if t.value is not None]
    return values[-1] if values else None


def _parse_quantity(text: str | None, hint: str | None) -> tuple[str | None, str | None]:
    match = QUANTITY.fullmatch(text.strip()) if text else None
    value = parse_amount(match["num"], hint) if match else None
    if match is None or value is None:
        return None, None
    return _plain(value), (match["unit"].strip() or None) if match["unit"] else None


def _parse_rate(text: str | None) -> str | None:
    match = re.search(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)(?![\d.,]*\d{3})", text or "")
    if match is None:
        return None
    try:
        return _plain(Decimal(match[1].replace(",", ".")))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None
