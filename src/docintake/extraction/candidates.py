"""Candidate values for each field, with the layout, text and keyword features the ranker scores.

Extraction is framed as ranking, the way document-AI systems that must work on unseen layouts
do it: every date on the page could be the issue date, every amount the total, every id-like
token the invoice number, every short line near the top the supplier's name. For each candidate
we describe *where* it is (page, position, size relative to the page's text), *what* it looks
like (digits, capitals, legal forms, postcodes) and *what is around it* (label words left of it
on its row, in the line above, anywhere on the line), and a model trained on labelled documents
decides which candidate is which field. Nothing here knows a vendor: only layout and language.

Candidates come in five kinds (``KIND_FIELDS``); one model per field ranks its kind's candidates.
This module makes the single-token kinds (amounts, dates, ids) and the feature matrix; the
document view lives in ``view``, the features every kind shares in ``features``, and the
multi-line name and address runs in ``spans``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from operator import itemgetter

from docintake.extraction.features import KEY_GROUPS, context_features, position_features
from docintake.extraction.layout import build_lines
from docintake.extraction.normalize import find_amounts, find_dates, format_amount
from docintake.extraction.spans import join_lines, span_candidates
from docintake.extraction.view import Candidate, DocumentView
from docintake.pipeline.model import PageText

__all__ = [
    "FIELD_KIND",
    "KEY_GROUPS",
    "KIND_FIELDS",
    "Candidate",
    "DocumentView",
    "all_candidates",
    "amount_candidates",
    "date_candidates",
    "id_candidates",
    "join_lines",
    "matrix",
    "prepare_view",
    "span_candidates",
]

KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "amount": ("total_amount", "subtotal_amount", "tax_amount", "amount_due"),
    "date": ("issue_date", "due_date"),
    "id": ("invoice_number", "purchase_order_number"),
    "name": ("supplier_name", "customer_name"),
    "address": ("supplier_address", "customer_address"),
}
FIELD_KIND = {name: kind for kind, names in KIND_FIELDS.items() for name in names}
ROUNDING_STEP = Decimal("0.05")  # cash rounding (Malaysia, Switzerland, Nordic, ...): the total paid
CENTS_ANYWHERE = re.compile(r"[.,]\d{2}\b")
CURRENCY_MARK = re.compile(r"[$€£¥]|\b[A-Z]{3}\b|RM")
MAX_SUM_VALUES = 150  # distinct amounts considered for "is a sum of two others" (quadratic)
ID_TOKEN = re.compile(r"(?<![\w/#-])[A-Za-z0-9][A-Za-z0-9/_.#-]{1,30}[A-Za-z0-9](?![\w/-])")


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
        position_features(view, box, line.page, features)
        context_features(view, index, line.text[:start], features)
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
        position_features(view, box, line.page, features)
        context_features(view, index, line.text[: match.start], features)
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
            position_features(view, box, line.page, features)
            context_features(view, line.index, line.text[: match.start()], features)
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
