"""Name and address candidates: runs of consecutive lines of a text block near the top of the
first page, with features of the run as a whole.

Names and addresses are not single tokens but runs of one to six lines, and the same runs are
candidates for both (a block's first line may be a name, its next three an address), so what a
run's features are is computed once per document and shared; only the joined value differs
(names join lines with spaces, addresses with commas).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from docintake.extraction.features import context_features, group_features, position_features
from docintake.extraction.keywords import GROUPS, fold, groups_in
from docintake.extraction.layout import Line, union
from docintake.extraction.view import Candidate, DocumentView
from docintake.pipeline.model import Box

MAX_SPAN_LINES = {"name": 3, "address": 6}
SPAN_MAX_TOP = 0.7  # names and addresses start in the top 70% of the document's first page
CENTS = re.compile(r"\d[.,]\d{2}\b")
# A company registration number printed after the name ("ACME SDN BHD (123456-X)", "... 273500-U
# (KSB)"): the name without it is also a candidate.
REGISTRATION_SUFFIX = re.compile(
    r"\s*(?:[(\[]\s*)?(?:co\.?\s*)?(?:reg\.?\s*)?(?:no\.?\s*[:.]?\s*)?\d[\d\s]{3,}[\d\s-]*[A-Z]?\s*[)\]]?"
    r"(?:\s*\([A-Z]{2,5}\))?\s*$"
)
POSTCODE = re.compile(r"\b(?:\d{4,6}|\d{4}\s?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b")


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
    group_features("span", groups, out)
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


class Run(NamedTuple):
    """A run of consecutive lines of a block: all a name or address candidate needs but its value."""

    box: Box
    features: dict[str, float]
    printed: str
    confidence: float
    indexes: tuple[int, ...]


def _run(view: DocumentView, lines: list[Line], start: int, size: int) -> Run:
    """The run ``lines[start : start + size]`` of a block: the same for names and addresses, so
    computed once per document (each candidate copies the features)."""
    key = (lines[start].index, size)
    cached = view._spans.get(key)
    if cached is None:
        span = lines[start : start + size]
        features: dict[str, float] = {}
        box = union(line.box for line in span)
        position_features(view, box, span[0].page, features)
        context_features(view, span[0].index, "", features)
        _text_features(view, span, features)
        features["block_start"] = 1.0 if start == 0 else 0.0
        features["block_end"] = 1.0 if start + size == len(lines) else 0.0
        features["block_lines"] = float(len(lines))
        printed = "\n".join(line.text for line in span)
        confidence = min(line.confidence for line in span)
        cached = view._spans[key] = Run(
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
