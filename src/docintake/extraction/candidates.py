"""Candidate values for each field, with the layout, text and keyword features the ranker scores.

Extraction is framed as ranking, the way document-AI systems that must work on unseen layouts
do it: every date on the page could be the issue date, every amount the total, every id-like
token the invoice number, every short line near the top the supplier's name. For each candidate
we describe *where* it is (page, position, size relative to the page's text), *what* it looks
like (digits, capitals, legal forms, postcodes) and *what is around it* (label words left of it
on its row, in the line above, anywhere on the line), and a model trained on labelled documents
decides which candidate is which field. Nothing here knows a vendor: only layout and language.

Candidates come in five kinds (``KIND_FIELDS``); one model per field ranks its kind's candidates.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from docintake.extraction import identifiers as ident
from docintake.extraction import normalize as norm
from docintake.extraction.keywords import GROUPS, fold, groups_in
from docintake.extraction.layout import Block, Line, build_blocks, build_lines, union
from docintake.extraction.normalize import find_amounts, find_dates, format_amount
from docintake.pipeline.model import Box, PageText

KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "amount": ("total_amount", "subtotal_amount", "tax_amount", "amount_due"),
    "date": ("issue_date", "due_date"),
    "id": ("invoice_number", "purchase_order_number"),
    "name": ("supplier_name", "customer_name"),
    "address": ("supplier_address", "customer_address"),
}
FIELD_KIND = {name: kind for kind, names in KIND_FIELDS.items() for name in names}
KEY_GROUPS = tuple(sorted(GROUPS))
MAX_SPAN_LINES = {"name": 3, "address": 6}
ROUNDING_STEP = Decimal("0.05")  # cash rounding (Malaysia, Switzerland, Nordic, ...): the total paid
SPAN_MAX_TOP = 0.7  # names and addresses start in the top 70% of the document's first page
CENTS = re.compile(r"\d[.,]\d{2}\b")
CENTS_ANYWHERE = re.compile(r"[.,]\d{2}\b")
CURRENCY_MARK = re.compile(r"[$€£¥]|\b[A-Z]{3}\b|RM")
MAX_SUM_VALUES = 150  # distinct amounts considered for "is a sum of two others" (quadratic)
ID_TOKEN = re.compile(r"(?<![\w/#-])[A-Za-z0-9][A-Za-z0-9/_.#-]{1,30}[A-Za-z0-9](?![\w/-])")
# A company registration number printed after the name ("ACME SDN BHD (123456-X)", "... 273500-U
# (KSB)"): the name without it is also a candidate.
REGISTRATION_SUFFIX = re.compile(
    r"\s*(?:[(\[]\s*)?(?:co\.?\s*)?(?:reg\.?\s*)?(?:no\.?\s*[:.]?\s*)?\d[\d\s]{3,}[\d\s-]*[A-Z]?\s*[)\]]?"
    r"(?:\s*\([A-Z]{2,5}\))?\s*$"
)
DOLLAR = re.compile(r"(?<![A-Z])\$\s?\d")  # "$12.50", not "S$", "A$", "US$"
POSTCODE = re.compile(r"\b(?:\d{4,6}|\d{4}\s?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b")


@dataclass
class Candidate:
    kind: str
    value: str  # normalised
    text: str  # as printed
    page: int
    box: Box
    confidence: float  # OCR confidence of the words
    lines: tuple[int, ...]  # indexes into the document's lines
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class DocumentView:
    """Per-document context shared by all candidates: lines, rows, neighbours, statistics."""

    lines: list[Line]
    median_height: float
    left_text: list[str]  # text of the same row left of each line
    above: list[int | None]  # index of the nearest line above that overlaps horizontally
    below: list[int | None]
    groups: list[frozenset[str]]  # keyword groups of each line
    aspect: float
    day_first: bool | None = None
    decimal_hint: str | None = None
    country: str | None = None  # from country names, VAT ids, IBANs, or "$" in English text
    language: str | None = None
    text: str = ""  # every line, joined with newlines
    page_first: dict[int, int] = field(default_factory=dict)  # page -> index of its first line
    last_page: int = 0
    _blocks: list[Block] | None = None
    # Features shared by many candidates, computed once per document: the row context of a line
    # (per text before the value) and everything about a run of lines but its joined value (names
    # and addresses are the same runs).
    _contexts: dict[tuple[int, str], dict[str, float]] = field(default_factory=dict, repr=False)
    _spans: dict[tuple[int, int], _Run] = field(default_factory=dict, repr=False)
    _char_counts: dict[int, tuple[int, int, int]] = field(default_factory=dict, repr=False)
    _folded_words: dict[int, list[str]] = field(default_factory=dict, repr=False)

    def blocks(self) -> list[Block]:
        if self._blocks is None:
            self._blocks = build_blocks(self.lines)
        return self._blocks

    def __post_init__(self) -> None:
        for line in reversed(self.lines):
            self.page_first[line.page] = line.index
        self.last_page = max((line.page for line in self.lines), default=0)

    @classmethod
    def build(cls, lines: list[Line]) -> DocumentView:
        """The view of ``lines``, with the document's reading conventions settled from all of it:
        language, country, decimal separator and day-first dates."""
        texts = [line.text for line in lines]
        joined = "\n".join(texts)
        language = ident.detect_language(joined)
        country = ident.country_from_text(joined)
        if country is None and language in (None, "en") and DOLLAR.search(joined):
            country = "US"  # plain "$" amounts in English: US conventions (month-first dates) are likeliest
        heights = sorted(line.height for line in lines) or [0.01]
        left_text, above, below = [], [], []
        for line in lines:
            row = [
                other
                for other in _nearby(lines, line)
                if other.box.x1 <= line.box.x0 + 1e-6
                and _v_overlap(other.box, line.box) > 0.5 * min(other.height, line.height)
            ]
            left_text.append(" ".join(other.text for other in sorted(row, key=lambda o: o.box.x0)))
            above.append(_neighbour(lines, line, -1))
            below.append(_neighbour(lines, line, 1))
        first = lines[0] if lines else None
        aspect = first.page_height / first.page_width if first and first.page_width else 1.414
        return cls(
            lines,
            heights[len(heights) // 2] or 0.01,
            left_text,
            above,
            below,
            [groups_in(line.text) for line in lines],
            aspect,
            norm.infer_day_first(texts, country, language),
            norm.guess_decimal_separator(texts),
            country,
            language,
            joined,
        )


def _nearby(lines: Sequence[Line], line: Line) -> list[Line]:
    """Lines of the same page whose tops are within two line heights of this one's: the only
    ones that can share its row. Lines are in reading order (by top edge), so this walks outwards
    from the line instead of scanning the page."""
    page, top = line.page, line.box.y0
    reach = 2 * max(line.height, 0.005)
    out = []
    for direction in (-1, 1):
        index = line.index + direction
        while 0 <= index < len(lines):
            other = lines[index]
            if other.page != page or abs(other.box.y0 - top) > reach + other.height:
                break
            out.append(other)
            index += direction
    return out


def _v_overlap(a: Box, b: Box) -> float:
    return min(a.y1, b.y1) - max(a.y0, b.y0)


def _neighbour(lines: Sequence[Line], line: Line, direction: int) -> int | None:
    """The nearest line above (direction -1) or below (+1) that overlaps ``line`` horizontally,
    within six line heights. Lines are in reading order (by top edge), so the scan walks outwards
    from the line and stops once tops are far beyond reach."""
    box, page = line.box, line.page  # locals: this runs for every line, twice
    height = box.y1 - box.y0
    reach = 6 * max(height, 0.005)
    best, best_gap = None, 0.0
    index = line.index + direction
    while 0 <= index < len(lines):
        other = lines[index]
        index += direction
        other_box = other.box
        if other.page != page or abs(other_box.y0 - box.y0) > reach + 2 * max(
            other_box.y1 - other_box.y0, height
        ):
            break
        if min(other_box.x1, box.x1) - max(other_box.x0, box.x0) <= 0:
            continue
        gap = (box.y0 - other_box.y1) if direction < 0 else (other_box.y0 - box.y1)
        if gap < -0.3 * height:
            continue
        if gap < reach and (best is None or gap < best_gap):
            best, best_gap = other.index, gap
    return best


_GROUP_FEATURES: dict[tuple[str, frozenset[str]], dict[str, float]] = {}


def _group_features(prefix: str, groups: frozenset[str], out: dict[str, float]) -> None:
    """One 0/1 feature per keyword group. A document has few distinct group sets, and every
    candidate asks for four of them, so the feature dicts are built once per (prefix, set)."""
    features = _GROUP_FEATURES.get((prefix, groups))
    if features is None:
        if len(_GROUP_FEATURES) > 4096:  # bounded: group sets are few, but not fixed
            _GROUP_FEATURES.clear()
        features = {f"{prefix}_{group}": 1.0 if group in groups else 0.0 for group in KEY_GROUPS}
        _GROUP_FEATURES[(prefix, groups)] = features
    out.update(features)


def _position(view: DocumentView, box: Box, page: int, out: dict[str, float]) -> None:
    out.update(
        page=float(page),
        first_page=1.0 if page == 1 else 0.0,
        last_page=1.0 if page == view.last_page else 0.0,
        x0=box.x0,
        x1=box.x1,
        y0=box.y0,
        y1=box.y1,
        xc=(box.x0 + box.x1) / 2,
        height_ratio=(box.y1 - box.y0) / view.median_height,
        aspect=view.aspect,
        n_lines=float(len(view.lines)),
    )


def _context(view: DocumentView, index: int, before: str, out: dict[str, float]) -> None:
    """Label words: left on the row (own line before the value, or a segment to its left), in
    the line above, anywhere on the line, and in the line below. Cached per line and ``before``:
    every run of lines starting on a line shares its context."""
    cached = view._contexts.get((index, before))
    if cached is None:
        cached = view._contexts[(index, before)] = {}
        _line_context(view, index, before, cached)
    out.update(cached)


def _line_context(view: DocumentView, index: int, before: str, out: dict[str, float]) -> None:
    line = view.lines[index]
    # Blank text before the value folds away: the label is the segments to the left alone (often
    # one line, whose groups are known).
    left = groups_in(f"{view.left_text[index]} {before}" if before.strip() else view.left_text[index])
    _group_features("left", left, out)
    above = view.above[index]
    _group_features("above", view.groups[above] if above is not None else frozenset(), out)
    _group_features("line", view.groups[index], out)
    below = view.below[index]
    _group_features("below", view.groups[below] if below is not None else frozenset(), out)
    out["rel_index"] = index / max(len(view.lines) - 1, 1)
    out["line_words"] = float(len(line.words))
    out["has_left_label"] = 1.0 if fold(before).strip() or view.left_text[index] else 0.0
    out["colon_before"] = 1.0 if before.rstrip().endswith((":", "#")) else 0.0


def _is_part(value: Decimal, counts: Counter[Decimal], distinct: list[Decimal]) -> bool:
    """Another amount and this one add up to an amount on the document."""
    return any(value + other in counts for other in distinct if other != value)


def _amount_value_features(
    value: Decimal,
    ranked: list[Decimal],
    rank_of: dict[Decimal, int],
    counts: Counter[Decimal],
    sums: dict[Decimal, set[Decimal]],
    distinct: list[Decimal],
    distinct_set: set[Decimal],
    parts: set[Decimal],
) -> dict[str, float]:
    """What an amount's value says, wherever it is printed: its rank among the document's
    amounts, whether it is the sum of two others or part of one, whether it rounds another."""
    round05 = value % ROUNDING_STEP == 0
    return {
        "value_log": math.log10(abs(float(value)) + 1),
        "negative": 1.0 if value < 0 else 0.0,
        "value_rank": rank_of[value] / max(len(ranked) - 1, 1),
        "is_max": 1.0 if value == ranked[0] else 0.0,
        "occurrences": float(counts[value]),
        "is_sum": 1.0 if sums.get(value, set()) - {value} else 0.0,
        "is_part": 1.0
        if (value in parts if value in distinct_set else _is_part(value, counts, distinct))
        else 0.0,
        "round05": 1.0 if round05 else 0.0,
        "rounds_other": 1.0 if round05 and any(0 < abs(value - v) < ROUNDING_STEP for v in distinct) else 0.0,
        "rounded_by_other": 1.0
        if not round05
        and any(v % ROUNDING_STEP == 0 and 0 < abs(value - v) < ROUNDING_STEP for v in distinct)
        else 0.0,
    }


def amount_candidates(view: DocumentView) -> list[Candidate]:
    found: list[tuple[int, int, int, Decimal]] = []
    for line in view.lines:
        for start, end, value in find_amounts(line.text, view.decimal_hint):
            found.append((line.index, start, end, value))
    values = [value for *_, value in found]
    counts = Counter(values)
    ranked = sorted(set(values), reverse=True)
    total_rows = [i for i, groups in enumerate(view.groups) if "total" in groups]
    distinct = ranked[:MAX_SUM_VALUES]
    sums: dict[Decimal, set[Decimal]] = {}  # a + b -> the a's and b's that make it (a != b)
    for i, a in enumerate(distinct):
        for b in distinct[i + 1 :]:
            sums.setdefault(a + b, set()).update((a, b))
    # The considered values that are part of a sum printed on the document (``_is_part`` of each).
    distinct_set = set(distinct)
    parts: set[Decimal] = set().union(*(pair for total, pair in sums.items() if total in counts))
    by_value: dict[Decimal, dict[str, float]] = {}  # features of the value alone, once per value
    rank_of = {value: position for position, value in enumerate(ranked)}
    below = Counter(index for index, *_ in found)  # amounts per line, then amounts below each line
    amounts_below, seen = {}, 0
    for index in sorted(below, reverse=True):
        amounts_below[index] = float(seen)
        seen += below[index]
    candidates = []
    for index, start, end, value in found:
        line = view.lines[index]
        text = line.text[start:end]
        box = line.span_box(start, end)
        features: dict[str, float] = {}
        _position(view, box, line.page, features)
        _context(view, index, line.text[:start], features)
        of_value = by_value.get(value)
        if of_value is None:
            of_value = by_value[value] = _amount_value_features(
                value, ranked, rank_of, counts, sums, distinct, distinct_set, parts
            )
        features.update(
            value_log=of_value["value_log"],
            negative=of_value["negative"],
            value_rank=of_value["value_rank"],
            is_max=of_value["is_max"],
            occurrences=of_value["occurrences"],
            has_cents=1.0 if CENTS_ANYWHERE.search(text) else 0.0,
            has_currency=1.0 if CURRENCY_MARK.search(text) else 0.0,
            rightmost=1.0 if end >= len(line.text.rstrip()) - 1 else 0.0,
            is_sum=of_value["is_sum"],
            is_part=of_value["is_part"],
            round05=of_value["round05"],
            rounds_other=of_value["rounds_other"],
            rounded_by_other=of_value["rounded_by_other"],
            after_last_total=1.0 if total_rows and index >= total_rows[-1] else 0.0,
            lines_from_end=float(len(view.lines) - index),
            amounts_below=amounts_below[index],
        )
        candidates.append(
            Candidate(
                "amount",
                format_amount(value),
                text,
                line.page,
                box,
                line.span_confidence(start, end),
                (index,),
                features,
            )
        )
    return candidates


def date_candidates(view: DocumentView) -> list[Candidate]:
    found = [(line.index, match) for line in view.lines for match in find_dates(line.text, view.day_first)]
    ordered = sorted({match.value for _, match in found})
    counts = Counter(match.value for _, match in found)
    candidates = []
    for order, (index, match) in enumerate(found):
        line = view.lines[index]
        features: dict[str, float] = {}
        box = line.span_box(match.start, match.end)
        _position(view, box, line.page, features)
        _context(view, index, line.text[: match.start], features)
        features.update(
            order=float(order),
            order_rel=order / max(len(found) - 1, 1),
            date_rank=ordered.index(match.value) / max(len(ordered) - 1, 1),
            is_earliest=1.0 if match.value == ordered[0] else 0.0,
            is_latest=1.0 if match.value == ordered[-1] else 0.0,
            n_dates=float(len(ordered)),
            occurrences=float(counts[match.value]),
            ambiguous=1.0 if match.ambiguous else 0.0,
            textual=1.0 if re.search(r"[A-Za-z]", line.text[match.start : match.end]) else 0.0,
            time_on_line=1.0 if re.search(r"\d{1,2}:\d{2}", line.text) else 0.0,
        )
        candidates.append(
            Candidate(
                "date",
                match.value.isoformat(),
                line.text[match.start : match.end],
                line.page,
                box,
                line.span_confidence(match.start, match.end),
                (index,),
                features,
            )
        )
    return candidates


def id_candidates(view: DocumentView) -> list[Candidate]:
    candidates = []
    for line in view.lines:
        taken = [(s, e) for s, e, _ in find_amounts(line.text, view.decimal_hint) if "." in line.text[s:e]]
        taken += [(m.start, m.end) for m in find_dates(line.text, view.day_first)]
        for match in ID_TOKEN.finditer(line.text):
            token = match.group().strip(".#-/")
            if not token or sum(ch.isdigit() for ch in token) < 1 or len(token) < 3:
                continue
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            features: dict[str, float] = {}
            box = line.span_box(match.start(), match.end())
            _position(view, box, line.page, features)
            _context(view, line.index, line.text[: match.start()], features)
            digits = sum(ch.isdigit() for ch in token)
            features.update(
                length=float(len(token)),
                digit_ratio=digits / len(token),
                letters=float(sum(ch.isalpha() for ch in token)),
                separators=float(sum(ch in "/-_." for ch in token)),
                leading_zero=1.0 if token[0] == "0" else 0.0,
                token_index=float(len(line.text[: match.start()].split())),
            )
            candidates.append(
                Candidate(
                    "id",
                    token,
                    match.group(),
                    line.page,
                    box,
                    line.span_confidence(match.start(), match.end()),
                    (line.index,),
                    features,
                )
            )
    return candidates


def _char_counts(view: DocumentView, line: Line) -> tuple[int, int, int]:
    """Digits, letters and capital letters of a line, counted once: a line is in up to a dozen
    runs, and the joining spaces are none of the three."""
    counts = view._char_counts.get(line.index)
    if counts is None:
        text = line.text
        counts = view._char_counts[line.index] = (
            sum(ch.isdigit() for ch in text),
            sum(ch.isalpha() for ch in text),
            sum(ch.isalpha() and ch.isupper() for ch in text),
        )
    return counts


def _phrase_tokens() -> int:
    """The most words in one folded keyword phrase: how far a phrase can reach across a line break."""
    global _PHRASE_TOKENS
    if _PHRASE_TOKENS is None:
        _PHRASE_TOKENS = max(len(fold(word).split()) for words in GROUPS.values() for word in words)
    return _PHRASE_TOKENS


_PHRASE_TOKENS: int | None = None


def _folded_words(view: DocumentView, line: Line) -> list[str]:
    words = view._folded_words.get(line.index)
    if words is None:
        words = view._folded_words[line.index] = fold(line.text).split()
    return words


@lru_cache(maxsize=4096)
def _fold_stable(text: str) -> bool:
    """Folding folded text changes nothing (true but for odd characters, such as "㎒" -> "MHz")."""
    return fold(text) == text


def _run_groups(view: DocumentView, lines: list[Line]) -> frozenset[str]:
    """``groups_in`` of the lines joined with spaces, without folding and searching each run's
    text (runs overlap, so every line is in many): the folded text of the run is the lines'
    folded texts joined with spaces, so a keyword phrase in it either lies within one line (the
    line's own groups) or crosses a line break, and then lies within the few words around it."""
    groups = frozenset().union(*(view.groups[line.index] for line in lines))
    words: list[str] = []
    breaks: list[int] = []
    for line in lines:
        folded = _folded_words(view, line)
        if folded:
            if words:
                breaks.append(len(words))
            words.extend(folded)
    reach = _phrase_tokens() - 1
    for position in breaks:
        window = " ".join(words[max(position - reach, 0) : position + reach])
        if not window.isascii() and not _fold_stable(window):
            return groups_in(" ".join(line.text for line in lines))
        groups |= groups_in(window)
    return groups


def _text_features(view: DocumentView, lines: list[Line], out: dict[str, float]) -> None:
    text = " ".join(line.text for line in lines)
    digits = letters = capitals = 0
    for line in lines:
        line_digits, line_letters, line_capitals = _char_counts(view, line)
        digits, letters, capitals = digits + line_digits, letters + line_letters, capitals + line_capitals
    groups = _run_groups(view, lines) if len(lines) > 1 else view.groups[lines[0].index]
    _group_features("span", groups, out)
    first = lines[0].index
    out.update(
        span_lines=float(len(lines)),
        chars=float(len(text)),
        digit_ratio=digits / max(len(text), 1),
        upper_ratio=capitals / max(letters, 1),
        postcode=1.0 if POSTCODE.search(text) else 0.0,
        commas=float(text.count(",")),
        first_index=float(first),
        top_rank=float(first - view.page_first[lines[0].page]),  # lines above it on its page
        ends_comma=1.0 if lines[-1].text.rstrip().endswith(",") else 0.0,
        next_contact=1.0
        if view.below[lines[-1].index] is not None
        and view.groups[view.below[lines[-1].index] or 0] & {"contact", "registration"}
        else 0.0,
        prev_is_block_end=1.0 if first == 0 or view.below[first - 1] != first else 0.0,
        max_height=max(line.height for line in lines) / view.median_height,
    )


class _Run(NamedTuple):
    """A run of consecutive lines of a block: all a name or address candidate needs but its value."""

    box: Box
    features: dict[str, float]
    printed: str
    confidence: float
    indexes: tuple[int, ...]


def _run(view: DocumentView, lines: list[Line], start: int, size: int) -> _Run:
    """The run ``lines[start : start + size]`` of a block: the same for names and addresses, so
    computed once per document (each candidate copies the features)."""
    key = (lines[start].index, size)
    cached = view._spans.get(key)
    if cached is None:
        span = lines[start : start + size]
        features: dict[str, float] = {}
        box = union(line.box for line in span)
        _position(view, box, span[0].page, features)
        _context(view, span[0].index, "", features)
        _text_features(view, span, features)
        features["block_start"] = 1.0 if start == 0 else 0.0
        features["block_end"] = 1.0 if start + size == len(lines) else 0.0
        features["block_lines"] = float(len(lines))
        printed = "\n".join(line.text for line in span)
        confidence = min(line.confidence for line in span)
        cached = view._spans[key] = _Run(
            box, features, printed, confidence, tuple(line.index for line in span)
        )
    return cached


def span_candidates(view: DocumentView, kind: str) -> list[Candidate]:
    """Runs of consecutive lines inside one block, starting on the top part of the first pages."""
    candidates = []
    first_page = view.lines[0].page if view.lines else 1
    for block in view.blocks():
        lines = block.lines
        if lines[0].page != first_page or lines[0].box.y0 > SPAN_MAX_TOP:
            continue
        if sum(1 for line in lines if CENTS.search(line.text)) > len(lines) / 2:
            continue  # a block of priced rows is a table, not a name or an address
        for start in range(len(lines)):
            for size in range(1, MAX_SPAN_LINES[kind] + 1):
                span = lines[start : start + size]
                if len(span) < size:
                    break
                box, shared, printed, confidence, indexes = _run(view, lines, start, size)
                features = dict(shared)
                value = join_lines([line.text for line in span], kind)
                candidates.append(
                    Candidate(kind, value, printed, span[0].page, box, confidence, indexes, features)
                )
                suffix = REGISTRATION_SUFFIX.search(value) if kind == "name" else None
                trimmed = value[: suffix.start()].rstrip(" ,-") if suffix and suffix.start() else value
                if trimmed != value and len(trimmed) >= 3:
                    variant = {**features, "trimmed_registration": 1.0}
                    candidates.append(
                        Candidate(kind, trimmed, printed, span[0].page, box, confidence, indexes, variant)
                    )
    return candidates


def join_lines(texts: Sequence[str], kind: str) -> str:
    """Names join their printed lines with spaces; addresses with ", " (no doubled commas)."""
    if kind == "name":
        return " ".join(text.strip() for text in texts)
    out = ""
    for text in texts:
        text = text.strip()
        if not out:
            out = text
        elif out.endswith((",", ";")):
            out = f"{out} {text}"
        else:
            out = f"{out}, {text}"
    return out


VALUE_KEYS = tuple(
    (f"value_{place}_{group}", f"{place}_{group}") for place in ("left", "above") for group in KEY_GROUPS
)


def _value_features(candidates: list[Candidate]) -> list[Candidate]:
    """Evidence about a value wherever it is printed: a total printed twice, once beside "Total"
    and once beside "Cash", is the total in both places. Each candidate gets, per keyword group,
    whether any occurrence of its value has that label on its left or above it."""
    by_value: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_value.setdefault(candidate.value, []).append(candidate)
    for same in by_value.values():
        if len(same) == 1:
            features = same[0].features
            merged = {merged_key: features.get(key, 0.0) for merged_key, key in VALUE_KEYS}
        else:
            merged = {
                merged_key: max(c.features.get(key, 0.0) for c in same) for merged_key, key in VALUE_KEYS
            }
        for candidate in same:
            candidate.features.update(merged)
    return candidates


def all_candidates(view: DocumentView) -> dict[str, list[Candidate]]:
    return {
        "amount": _value_features(amount_candidates(view)),
        "date": _value_features(date_candidates(view)),
        "id": id_candidates(view),
        "name": span_candidates(view, "name"),
        "address": span_candidates(view, "address"),
    }


def prepare_view(pages: Sequence[PageText]) -> tuple[DocumentView, dict[str, list[Candidate]]]:
    """The document's view (lines and reading conventions) and every field candidate."""
    view = DocumentView.build(build_lines(pages))
    return view, all_candidates(view)


def matrix(candidates: Sequence[Candidate], names: Sequence[str]) -> list[tuple[float, ...]]:
    """Rows of ``vector`` for many candidates at C speed (features a candidate lacks are 0)."""
    if len(names) < 2:  # itemgetter needs a name, and gives a bare value (not a tuple) for one
        return [tuple(candidate.features.get(name, 0.0) for name in names) for candidate in candidates]
    pick = itemgetter(*names)
    zeros = dict.fromkeys(names, 0.0)
    rows = []
    for candidate in candidates:
        try:  # most candidates have every feature: no merged copy needed
            rows.append(pick(candidate.features))
        except KeyError:
            rows.append(pick(zeros | candidate.features))
    return rows
