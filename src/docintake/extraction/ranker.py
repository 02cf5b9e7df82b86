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
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from docintake.extraction.candidates import FIELD_KIND, Candidate, vector

MODEL_PATH = Path(__file__).parent / "models" / "fields.json.gz"
MODEL_VERSION = "fields-2026.11.22"
MIN_SCORE = 0.3
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
        return data

    @property
    def version(self) -> str:
        return str(self.bundle.get("version", MODEL_VERSION))

    def score(self, field: str, candidates: list[Candidate]) -> list[float]:
        booster = self.bundle["boosters"].get(field)
        if booster is None or not candidates:
            return [0.0] * len(candidates)
        names = booster.feature_name()
        matrix = np.array([vector(candidate, names) for candidate in candidates], dtype=float)
        return [float(value) for value in booster.predict(matrix)]

    def rank(self, found: dict[str, list[Candidate]]) -> dict[str, Ranked]:
        best: dict[str, list[Ranked]] = {}
        for field, kind in FIELD_KIND.items():
            items = found.get(kind, [])
            scored = sorted(
                (Ranked(c, s) for c, s in zip(items, self.score(field, items), strict=True)),
                key=lambda r: r.score,
                reverse=True,
            )
            best[field] = scored[:5]
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
        return chosen


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
