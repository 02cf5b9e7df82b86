"""Features every candidate kind shares: where a candidate is on the page, and which label words
are around it (left on its row, in the lines above and below, anywhere on its line).

Label words are keyword groups (``keywords.GROUPS``), one 0/1 feature per group and place; the
ranker learns which group in which place matters for which field. The row context of a line is
the same for every candidate starting on it, so it is cached on the ``DocumentView``.
"""

from __future__ import annotations

from docintake.extraction.keywords import GROUPS, fold, groups_in
from docintake.extraction.view import DocumentView
from docintake.pipeline.model import Box

KEY_GROUPS = tuple(sorted(GROUPS))

_GROUP_FEATURES: dict[tuple[str, frozenset[str]], dict[str, float]] = {}


def group_features(prefix: str, groups: frozenset[str], out: dict[str, float]) -> None:
    """One 0/1 feature per keyword group. A document has few distinct group sets, and every
    candidate asks for four of them, so the feature dicts are built once per (prefix, set)."""
    features = _GROUP_FEATURES.get((prefix, groups))
    if features is None:
        if len(_GROUP_FEATURES) > 4096:  # bounded: group sets are few, but not fixed
            _GROUP_FEATURES.clear()
        features = {f"{prefix}_{group}": 1.0 if group in groups else 0.0 for group in KEY_GROUPS}
        _GROUP_FEATURES[(prefix, groups)] = features
    out.update(features)


def position_features(view: DocumentView, box: Box, page: int, out: dict[str, float]) -> None:
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


def context_features(view: DocumentView, index: int, before: str, out: dict[str, float]) -> None:
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
    group_features("left", left, out)
    above = view.above[index]
    group_features("above", view.groups[above] if above is not None else frozenset(), out)
    group_features("line", view.groups[index], out)
    below = view.below[index]
    group_features("below", view.groups[below] if below is not None else frozenset(), out)
    out["rel_index"] = index / max(len(view.lines) - 1, 1)
    out["line_words"] = float(len(line.words))
    out["has_left_label"] = 1.0 if fold(before).strip() or view.left_text[index] else 0.0
    out["colon_before"] = 1.0 if before.rstrip().endswith((":", "#")) else 0.0
