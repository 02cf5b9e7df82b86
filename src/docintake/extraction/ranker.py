"""The learned part of extraction: one gradient-boosted model per field scores its candidates.

The models ship inside the package (``models/fields.json.gz``: LightGBM text models, a few
hundred KiB) and are trained by ``training/train_fields.py``; ``models/MODEL_CARD.md`` says on
what. A field is reported when its best candidate scores at least ``MIN_SCORE``: a missing value
costs a reviewer one entry, a wrong one costs a wrong payment, so the bar is set to keep
precision high (``benchmarks/accuracy.py`` measures both).

One candidate is one printed thing: when the same span wins two fields (a name as supplier and
customer, an amount as total and amount due is fine), exclusive fields keep their best claim.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from docintake.extraction.candidates import FIELD_KIND, Candidate
from docintake.extraction.candidates import matrix as rows_of
from docintake.extraction.model import LineItem, TaxLine
from docintake.extraction.totals import DEEP, Value, confirmed_score, reconcile_totals
from docintake.extraction.totals import FIELDS as TOTAL_FIELDS

MODEL_PATH = Path(__file__).parent / "models" / "fields.json.gz"
MODEL_VERSION = "fields-2026.11.22.2"
MIN_SCORE = 0.05
VALUE_KINDS = frozenset({"amount", "date", "id"})
# Fields that may not share one printed span (an amount may be both total and amount due).
EXCLUSIVE = (
    ("supplier_name", "customer_name"),
    ("supplier_address", "customer_address"),
    ("issue_date", "due_date"),
    ("invoice_number", "purchase_order_number"),
)


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float


class FieldRanker:
    """Loads the shipped models once per process; thread-safe for prediction."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        self.path = path
        self._lock = threading.Lock()

    @cached_property
    def bundle(self) -> dict[str, Any]:
        import lightgbm as lgb  # imported on first use: a text-layer-only worker still pays once

        with self._lock:
            data: dict[str, Any] = json.loads(gzip.decompress(self.path.read_bytes()))
            data["boosters"] = {name: lgb.Booster(model_str=text) for name, text in data["fields"].items()}
            # Feature names never change, and LightGBM builds them anew (through C) on each call.
            data["names"] = {
                name: tuple(booster.feature_name()) for name, booster in data["boosters"].items()
            }
        return data

    @property
    def version(self) -> str:
        return str(self.bundle.get("version", MODEL_VERSION))

    def score(self, field: str, candidates: list[Candidate], matrix: np.ndarray | None = None) -> list[float]:
        booster = self.bundle["boosters"].get(field)
        if booster is None or not candidates:
            return [0.0] * len(candidates)
        if matrix is None:
            matrix = self.matrix(field, candidates)
        return [float(value) for value in booster.predict(matrix, num_threads=1)]

    def matrix(self, field: str, candidates: list[Candidate]) -> np.ndarray:
        names = self.bundle["names"][field]
        return np.array(rows_of(candidates, names), dtype=float)

    def rank(
        self,
        found: dict[str, list[Candidate]],
        tax_lines: Sequence[TaxLine] = (),
        line_items: Sequence[LineItem] = (),
    ) -> dict[str, Ranked]:
        """The chosen candidate of every field found; subtotal, tax and total are chosen together
        with the tax lines and line items (``totals``)."""
        best: dict[str, list[Ranked]] = {}
        matrices: dict[tuple[str, ...], np.ndarray] = {}  # the fields of one kind share columns
        for field, kind in FIELD_KIND.items():
            items = found.get(kind, [])
            booster = self.bundle["boosters"].get(field)
            matrix = None
            if booster is not None and items:
                key = (kind, *self.bundle["names"][field])
                matrix = matrices.get(key)
                if matrix is None:
                    matrix = matrices[key] = self.matrix(field, items)
            best[field] = _by_value(items, self.score(field, items, matrix))[:DEEP]
        chosen = {
            field: ranked[0] for field, ranked in best.items() if ranked and ranked[0].score >= MIN_SCORE
        }
        for first, second in EXCLUSIVE:
            a, b = chosen.get(first), chosen.get(second)
            if a is None or b is None or not _same(a.candidate, b.candidate):
                continue
            loser = second if a.score >= b.score else first
            winner_span = (a if loser == second else b).candidate
            alternatives = [r for r in best[loser][1:] if not _same(r.candidate, winner_span)]
            if alternatives and alternatives[0].score >= MIN_SCORE:
                chosen[loser] = alternatives[0]
            else:
                chosen.pop(loser)
        _reconcile(best, chosen, tax_lines, line_items)
        return chosen


def _reconcile(
    best: dict[str, list[Ranked]],
    chosen: dict[str, Ranked],
    tax_lines: Sequence[TaxLine],
    line_items: Sequence[LineItem],
) -> None:
    ranked = {
        name: [
            Value(r.candidate.value, r.score, r.candidate.page, r.candidate.box.y0, r.candidate.box.y1)
            for r in best.get(name, [])
        ]
        for name in TOTAL_FIELDS
    }
    own = {
        name: next((i for i, r in enumerate(best.get(name, [])) if r is chosen.get(name)), None)
        for name in TOTAL_FIELDS
    }
    decision = reconcile_totals(ranked, tax_lines, line_items, chosen=own)
    for name, index in decision.chosen.items():
        pick = best[name][index]
        chosen[name] = Ranked(pick.candidate, confirmed_score(pick.score))


def _by_value(items: list[Candidate], scores: list[float]) -> list[Ranked]:
    """Candidates ranked by the evidence for their *value*: occurrences of one value combine
    (noisy-or), and the value is shown where it scored best."""
    if all(candidate.kind not in VALUE_KINDS for candidate in items):  # each span stands alone
        alone = [
            Ranked(candidate, 1.0 - (1.0 - score)) for candidate, score in zip(items, scores, strict=True)
        ]
        return sorted(alone, key=lambda r: r.score, reverse=True)
    groups: dict[str, list[tuple[float, Candidate]]] = {}
    for candidate, score in zip(items, scores, strict=True):
        groups.setdefault(
            candidate.value if candidate.kind in VALUE_KINDS else str(id(candidate)), []
        ).append((score, candidate))
    ranked = []
    for members in groups.values():
        members.sort(key=lambda member: member[0], reverse=True)
        miss = 1.0
        for score, _ in members:
            miss *= 1.0 - score
        ranked.append(Ranked(members[0][1], 1.0 - miss))
    return sorted(ranked, key=lambda r: r.score, reverse=True)


def _same(a: Candidate, b: Candidate) -> bool:
    return a.page == b.page and (
        a.box == b.box or (bool(set(a.lines) & set(b.lines)) and a.kind in {"name", "address"})
    )


_shared: FieldRanker | None = None


def shared_ranker() -> FieldRanker:
    global _shared
    if _shared is None:
        _shared = FieldRanker()
    return _shared
