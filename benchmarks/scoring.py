"""Scoring extracted fields against labels in the ``../shared/datasets`` format.

Pure functions: nothing here reads or writes files. The rules are the datasets README's
("How predictions are scored"):

* Per labelled scalar field: a missing or empty prediction is a miss (FN); a correct one a TP; a
  wrong one both a FP and a FN. Predicted fields the label does not have are ignored, and so are
  ``line_items`` and label fields the service does not claim (``buyer_reference``).
* Correct means, after normalisation: amounts equal to the cent (numbers, or strings such as
  ``"RM 1,234.50"``, ``"1.234,56"``, ``"1 234,56 €"`` are parsed); dates equal, the prediction
  written as ISO ``YYYY-MM-DD``; any other text equal after case-folding and collapsing whitespace.
* Also reported: a loose text match (letters and digits only, case-folded) and a fuzzy score,
  ``1 - edit distance / max length`` of the case-folded, whitespace-collapsed texts.
* Per-field precision, recall, F1, and micro-F1 over all fields (``2TP / (2TP + FP + FN)``).

Label field names are mapped to the service's canonical ones (``supplier_vat`` ->
``supplier_tax_id``, ``iban`` -> ``supplier_iban``, ``supplier_zip`` -> ``supplier_postcode``);
predictions may use either name.

For the sources in ``loose_sources`` the listed fields are judged loosely for the *primary*
numbers (WildReceipt transcriptions have their spaces removed; Parsee writes names without a final
dot). Every field also carries its exact-rule and loose-rule counts and its mean fuzzy score, so
the README's strict number is always shown next to the primary one. For amounts and dates the loose
match is the exact match, and the fuzzy score is 1 for a match, 0 otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from docintake.extraction.model import FIELD_NAMES

# -- field names -------------------------------------------------------------------------------

LABEL_TO_CANONICAL: dict[str, str] = {
    "supplier_vat": "supplier_tax_id",
    "iban": "supplier_iban",
    "supplier_zip": "supplier_postcode",
}

AMOUNT_FIELDS = frozenset({"subtotal_amount", "tax_amount", "total_amount", "amount_due"})
DATE_FIELDS = frozenset({"issue_date", "due_date"})

# The service's scalar fields (issue 3, "Extraction"); label fields outside this set are not scored.
SCORED_FIELDS = frozenset(FIELD_NAMES)

# WildReceipt's text fields and Parsee's supplier names are compared loosely (datasets README).
DEFAULT_LOOSE_SOURCES: dict[str, frozenset[str]] = {
    "wildreceipt_dev": frozenset({"supplier_name", "supplier_address"}),
    "parsee_invoices_dev": frozenset({"supplier_name"}),
}


def canonical_name(name: str) -> str:
    """The service's name for a label (or prediction) field name."""
    return LABEL_TO_CANONICAL.get(name, name)


def canonical_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` under canonical names. When both a label name and its canonical name are present,
    the canonical one wins."""
    result: dict[str, Any] = {}
    for name, value in fields.items():
        target = canonical_name(name)
        if target in result and name != target:
            continue
        result[target] = value
    return result


# -- normalisers -------------------------------------------------------------------------------

_CENT = Decimal("0.01")
_PLAIN_DECIMAL = re.compile(r"[+-]?\d+(?:\.\d{1,2})?")
# A space, no-break space, thin space or apostrophe between digit groups: "1 234,56", "1'234.50".
_GROUP_GAP = re.compile(r"(?<=\d)[\s\u00a0\u202f\u2009'’](?=\d{3}(?!\d))")
_NUMBER = re.compile(r"\d(?:[\d.,]*\d)?")


def _to_cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _number_from_digits(token: str) -> Decimal | None:
    """``token`` is digits with ``.``/``,`` separators. The last separator is the decimal one
    unless it is followed by exactly three digits and is the only one of its kind ("1,234",
    "1.234.567" are thousands); with both kinds present the last one is decimal."""
    seps = [(i, ch) for i, ch in enumerate(token) if ch in ".,"]
    if not seps:
        return Decimal(token)
    last_index, last = seps[-1]
    tail = token[last_index + 1 :]
    other = "," if last == "." else "."
    same_kind = sum(1 for _, ch in seps if ch == last)
    has_other = any(ch == other for _, ch in seps)
    if has_other:
        decimal_sep: str | None = last
    elif same_kind > 1 or (len(tail) == 3 and token[:last_index].lstrip("0") != ""):
        decimal_sep = None  # "1,234,567" / "1.234": grouping only
    else:
        decimal_sep = last
    if decimal_sep is None:
        whole = _ungroup(token, last)
        return None if whole is None else Decimal(whole)
    integer, fraction = token[:last_index], tail
    if decimal_sep in integer:
        return None  # "1.234.56"
    grouped = _ungroup(integer, other) if integer else "0"
    return None if grouped is None else Decimal(f"{grouped}.{fraction}")


def _ungroup(integer: str, sep: str) -> str | None:
    """Digits grouped by ``sep``: thousands ("1,234,567") or Indian lakhs ("12,34,567");
    None for anything else ("1,23")."""
    groups = integer.split(sep)
    if len(groups) == 1:
        return integer
    if not groups[0] or len(groups[0]) > 3 or len(groups[-1]) != 3:
        return None
    if any(len(g) not in (2, 3) for g in groups[1:-1]):
        return None
    return "".join(groups)


def parse_amount(value: Any) -> Decimal | None:
    """An amount to the cent, or None when ``value`` holds no single readable amount.

    Accepts numbers and strings with a currency symbol or code and either decimal convention:
    ``"RM 1,234.50"``, ``"1.234,56"``, ``"1 234,56 €"``, ``"$1,234.56"``, ``"-12.50"``,
    ``"(12.50)"`` and ``"12.50-"`` (negative)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return _to_cents(value) if value.is_finite() else None
    if isinstance(value, int):
        return _to_cents(Decimal(value))
    if isinstance(value, float):
        return _to_cents(Decimal(repr(value))) if value == value and abs(value) != float("inf") else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _PLAIN_DECIMAL.fullmatch(text):  # the normalised form: "1234.50", "-3", "4.5"
        return _to_cents(Decimal(text))
    compact = _GROUP_GAP.sub("", text)
    numbers = _NUMBER.findall(compact)
    if len(numbers) != 1:
        return None
    token = numbers[0]
    try:
        amount = _number_from_digits(token)
    except InvalidOperation:
        return None
    if amount is None:
        return None
    start = compact.index(token)
    before, after = compact[:start], compact[start + len(token) :]
    negative = (
        "-" in before
        or "\u2212" in before
        or after.strip().startswith(("-", "\u2212"))
        or ("(" in before and ")" in after)
    )
    return _to_cents(-amount if negative else amount)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_iso_date(value: Any) -> dt.date | None:
    """The date when ``value`` is written as ISO ``YYYY-MM-DD`` (a ``date`` object is taken as it
    is); anything else, other date formats included, gives None."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def normalize_text(value: Any) -> str:
    """Case-folded, whitespace collapsed to single spaces, trimmed."""
    return " ".join(str(value).casefold().split())


def loose_text(value: Any) -> str:
    """Letters and digits only, case-folded: ``"SUE'S HALLMARK"`` and ``"SUE'SHALLMARK"`` agree."""
    return "".join(ch for ch in str(value).casefold() if ch.isalnum())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions of one character each)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def fuzzy_score(a: str, b: str) -> float:
    """``1 - levenshtein / max length``: 1.0 for equal strings (two empty ones too), 0.0 for
    nothing in common."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1.0 - levenshtein(a, b) / longest


# -- judging one field -------------------------------------------------------------------------


def field_value(value: Any) -> Any:
    """A prediction's value: a full field result ``{value, text, ...}`` gives its ``value``."""
    if isinstance(value, Mapping):
        return value.get("value")
    return value


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Judgement:
    """One labelled field against its prediction: ``None`` when the prediction is missing."""

    exact: bool | None
    loose: bool | None
    fuzzy: float


def judge(name: str, label: Any, prediction: Any) -> Judgement:
    """Compare one labelled field with its prediction under the exact and loose rules."""
    prediction = field_value(prediction)
    if is_empty(prediction):
        return Judgement(None, None, 0.0)
    if name in AMOUNT_FIELDS:
        expected = parse_amount(label)
        same = expected is not None and parse_amount(prediction) == expected
        return Judgement(same, same, 1.0 if same else 0.0)
    if name in DATE_FIELDS:
        expected_date = parse_iso_date(label)
        same = expected_date is not None and parse_iso_date(prediction) == expected_date
        return Judgement(same, same, 1.0 if same else 0.0)
    exact = normalize_text(label) == normalize_text(prediction)
    loose = loose_text(label) == loose_text(prediction)
    return Judgement(exact, loose, fuzzy_score(normalize_text(label), normalize_text(prediction)))


# -- counting ----------------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, correct: bool | None) -> None:
        """Count one labelled field: None = missing (FN), True = TP, False = wrong (FP + FN)."""
        if correct is None:
            self.fn += 1
        elif correct:
            self.tp += 1
        else:
            self.fp += 1
            self.fn += 1

    def merge(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0


@dataclass
class FieldScore:
    """One field in one source (or overall). ``primary`` is the headline: loose for the fields a
    source is judged loosely on, exact otherwise."""

    primary: Counts = field(default_factory=Counts)
    exact: Counts = field(default_factory=Counts)
    loose: Counts = field(default_factory=Counts)
    fuzzy_total: float = 0.0
    support: int = 0
    predicted: int = 0
    loose_primary: bool = False

    @property
    def fuzzy(self) -> float:
        """Mean fuzzy score over the labelled instances (a missing prediction scores 0)."""
        return self.fuzzy_total / self.support if self.support else 0.0

    def merge(self, other: FieldScore) -> None:
        self.primary.merge(other.primary)
        self.exact.merge(other.exact)
        self.loose.merge(other.loose)
        self.fuzzy_total += other.fuzzy_total
        self.support += other.support
        self.predicted += other.predicted
        self.loose_primary = self.loose_primary or other.loose_primary


@dataclass
class SourceScore:
    documents: int = 0
    fields: dict[str, FieldScore] = field(default_factory=dict)

    def _micro(self, kind: str) -> Counts:
        total = Counts()
        for score in self.fields.values():
            total.merge(getattr(score, kind))
        return total

    @property
    def micro(self) -> Counts:
        return self._micro("primary")

    @property
    def micro_exact(self) -> Counts:
        return self._micro("exact")

    @property
    def micro_loose(self) -> Counts:
        return self._micro("loose")

    @property
    def micro_f1(self) -> float:
        return self.micro.f1

    @property
    def fuzzy(self) -> float:
        support = sum(s.support for s in self.fields.values())
        return sum(s.fuzzy_total for s in self.fields.values()) / support if support else 0.0

    @property
    def support(self) -> int:
        return sum(s.support for s in self.fields.values())

    @property
    def predicted(self) -> int:
        return sum(s.predicted for s in self.fields.values())

    def merge(self, other: SourceScore) -> None:
        self.documents += other.documents
        for name, score in other.fields.items():
            self.fields.setdefault(name, FieldScore()).merge(score)


@dataclass
class Report:
    sources: dict[str, SourceScore]
    overall: SourceScore
    unmatched_predictions: list[str]


def scored_label_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A label's fields that are scored, under canonical names: scalar, non-empty, claimed by the
    service (``line_items``, ``buyer_reference`` and the like are left out)."""
    result: dict[str, Any] = {}
    for name, value in canonical_fields(fields).items():
        if name not in SCORED_FIELDS or isinstance(value, list | dict) or is_empty(value):
            continue
        result[name] = value
    return result


def _predictions_by_file(
    predictions: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
) -> dict[str, Mapping[str, Any]]:
    if isinstance(predictions, Mapping):
        return {str(file): fields or {} for file, fields in predictions.items()}
    by_file: dict[str, Mapping[str, Any]] = {}
    for line in predictions:
        fields = line.get("fields")
        by_file[str(line["file"])] = fields if isinstance(fields, Mapping) else {}
    return by_file


def score(
    labels: Iterable[Mapping[str, Any]],
    predictions: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
    loose_sources: Mapping[str, Iterable[str]] | None = None,
) -> Report:
    """Score ``predictions`` against ``labels`` (label lines: ``file``, ``source``, ``fields``).

    ``predictions`` maps a label's ``file`` to its predicted fields, or is an iterable of
    prediction lines ``{"file", "fields"}``. A labelled file without a prediction counts every
    field as missed. ``loose_sources`` maps a source to the fields judged loosely for its primary
    numbers (default: :data:`DEFAULT_LOOSE_SOURCES`); names are canonicalised."""
    loose_map = DEFAULT_LOOSE_SOURCES if loose_sources is None else loose_sources
    loose_fields = {source: {canonical_name(n) for n in names} for source, names in loose_map.items()}
    by_file = _predictions_by_file(predictions)
    sources: dict[str, SourceScore] = {}
    seen: set[str] = set()
    for label in labels:
        file = str(label["file"])
        seen.add(file)
        source = str(label.get("source") or "unknown")
        source_score = sources.setdefault(source, SourceScore())
        source_score.documents += 1
        predicted = canonical_fields(by_file.get(file, {}))
        for name, expected in scored_label_fields(label.get("fields") or {}).items():
            verdict = judge(name, expected, predicted.get(name))
            is_loose = name in loose_fields.get(source, set())
            stats = source_score.fields.setdefault(name, FieldScore())
            stats.loose_primary = stats.loose_primary or is_loose
            stats.primary.add(verdict.loose if is_loose else verdict.exact)
            stats.exact.add(verdict.exact)
            stats.loose.add(verdict.loose)
            stats.fuzzy_total += verdict.fuzzy
            stats.support += 1
            stats.predicted += verdict.exact is not None
    overall = SourceScore()
    for source_score in sources.values():
        overall.merge(source_score)
    unmatched = sorted(set(by_file) - seen)
    return Report(sources, overall, unmatched)
