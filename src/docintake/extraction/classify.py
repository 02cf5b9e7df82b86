"""Which kind of document this is: weighted keyword and layout evidence, a softmax, the user's hint.

Why hand-weighted evidence and not a trained model: business documents announce their type in a
few printed words ("Rechnung", "Lieferschein", "Kontoauszug"), in seven languages, and no labelled
corpus of every type ships with the service. A sum of weights is cheap, needs no model file, and a
reviewer can be told why a document was typed the way it was.

Evidence, strongest first:
- a title in the top third of page 1: its weight grows with the text height (titles are printed
  large) and shrinks when the line holds more than the title and a number ("Invoice No 12" is a
  title, "Please pay this invoice within 30 days" is not). Only the best title per type counts, and
  the single most prominent title on the page gets a lead bonus, so a header reference such as
  "Purchase Order: 4500123" on an invoice loses to the large "INVOICE" above it;
- layout: a till-shaped page (height/width > 2, or text in a narrow tall column) and many short
  rows ending in one price mean a receipt; a debit/credit/balance column header means a bank
  statement; a delivery note prints quantities and no prices;
- body keywords (due date, IBAN, bill to -> invoice; cash, change, cashier -> receipt; ...), each
  counted once and capped per type so that a long document cannot out-shout its own title.

Receipts in Malaysia, Singapore and Australia must be titled "TAX INVOICE" (or "SIMPLIFIED TAX
INVOICE"), so on a till-shaped page an invoice title is damped and "simplified tax invoice" is a
receipt phrase: the page shape and cash/change words decide.

Scores become probabilities with a softmax; "other" has a fixed pseudo-score, so it wins when no
type collects enough evidence. The hint from the upload is respected: when given, it is the
returned ``type`` (the user is in charge of their own upload). When the evidence clearly says
another type, the hinted type is still returned, with its (low) probability as the confidence so
that the document is routed to review, and a ``hint_mismatch`` sentence; ``scores`` keeps the
evidence's own verdict. A hint naming a type this module does not know (a custom type) is taken as
is: there is no evidence to contradict it.

Matching is accent- and case-insensitive and tolerant of OCR noise: l/1/I/| read as one letter,
0 as o, and title words of 7+ letters may be one edit off ("lnvoice", "Rechnunq"). Body keywords
match exactly (after that mapping): fuzzy short words collide with ordinary ones ("contant" and
"contact"). The phrase lists are in ``doctype_phrases``, the matching in ``phrases``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from docintake.extraction.doctype_phrases import BODY, LABEL_WORDS, NAMES, STATEMENT_COLUMNS, TITLES, TYPES
from docintake.extraction.layout import Line
from docintake.extraction.phrases import (
    FUZZY_MIN_LENGTH,
    Phrase,
    PhraseIndex,
    find,
    fold,
    phrase_of,
    split_phrases,
    tokens,
)

__all__ = [
    "FUZZY_MIN_LENGTH",
    "NAMES",
    "TYPES",
    "Classification",
    "classify",
    "evidence",
    "find",
    "fold",
    "probabilities",
    "rows",
    "title_of",
    "tokens",
]

# Weights are in log-odds units (TEMPERATURE 1: one point multiplies a type's odds by e). They were
# set by hand on typical layouts per type and language, then checked on the cases in
# tests/unit/test_classify.py: a title alone at body-text size gives ~0.85, printed twice as large
# ~0.95, with two or three body words > 0.98; two body words alone ~0.35 (just ahead of "other"); one
# stray word, or a title word inside a sentence, stays below "other".
TEMPERATURE = 1.0
OTHER_BASELINE = 1.5  # the pseudo-score of "other": a type needs more than this to win
TITLE_WEIGHT = 3.0  # a title in the title zone, at the page's median text height, alone on its line
TITLE_LEAD = 1.0  # bonus for the single most prominent title of page 1
TITLE_ZONE = 1 / 3  # titles are looked for above this fraction of page 1
TITLE_ELSEWHERE = 0.6  # a title phrase anywhere else (once per type): "as per our invoice ..."
NARROW_INVOICE_DAMPING = 0.4  # an invoice title on a till-shaped page ("TAX INVOICE" receipts)
NARROW_WEIGHT = 2.5  # till-shaped page -> receipt
NARROW_ASPECT = 2.0  # height/width above which a page or its text column is till-shaped
TILL_ROWS_WEIGHT = 1.0  # most rows are "item  price" -> receipt
STATEMENT_COLUMNS_WEIGHT = 2.0  # a row with two of debit/credit/balance -> bank statement
NO_PRICES_WEIGHT = 1.2  # delivery-note evidence and not one price on the document
BODY_CAP = 3.2  # most body evidence one type can collect
HINT_FLOOR = 0.5  # confidence of a hinted type the evidence does not contradict
MISMATCH_PROBABILITY = 0.8  # the evidence's type must be at least this sure ...
MISMATCH_MARGIN = 0.4  # ... and this far ahead of the hinted type to report a mismatch
TITLE_EXTRA_WORDS = 3  # a title line holds at most this many other words (numbers and "No" aside)

AMOUNT = re.compile(r"(?<![\d.,])-?\d{1,3}(?:[.,']?\d{3})*[.,]\d{2}(?![\d.,%])")
_ENDS_IN_PRICE = re.compile(AMOUNT.pattern + r"\s*[A-Z*€$£]{0,3}\s*$")

_TITLE_PHRASES = PhraseIndex(phrase_of(t, p) for t, phrases in TITLES.items() for p in split_phrases(phrases))
_BODY_PHRASES = PhraseIndex(
    phrase_of(t, p, w) for (t, w), phrases in BODY.items() for p in split_phrases(phrases)
)
_LABELS = frozenset(tokens(" ".join(LABEL_WORDS)))
_COLUMNS = [frozenset(w for p in split_phrases(group) for w in tokens(p)) for group in STATEMENT_COLUMNS]


def title_of(line: Line, fuzzy: bool = True) -> tuple[str, float] | None:
    """The document type a line announces as a title, and how prominent it is: 1.0 for the title and
    at most a number, 0.7 with a few more words; a longer line is a sentence, not a title."""
    return _title(tokens(line.text), fuzzy)


def _title(words: list[str], fuzzy: bool) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for phrase, start, end in find(words, _TITLE_PHRASES, fuzzy):
        rest = [
            w
            for i, w in enumerate(words)
            if not start <= i < end and w not in _LABELS and len(w) > 1 and not any(c.isdigit() for c in w)
        ]
        if (phrase.strict and rest) or len(rest) > TITLE_EXTRA_WORDS:
            continue
        prominence = 0.7 if rest else 1.0
        if best is None or prominence > best[1]:
            best = (phrase.type, prominence)
    return best


def rows(lines: Iterable[Line]) -> list[list[Line]]:
    """Lines of one page on one baseline, left to right (layout splits a row at wide gaps)."""
    out: list[list[Line]] = []
    for line in sorted(lines, key=lambda item: (item.page, (item.box.y0 + item.box.y1) / 2)):
        if out and out[-1][-1].page == line.page:
            last = out[-1][-1]
            limit = 0.5 * min(max(last.height, 1e-6), max(line.height, 1e-6))
            if abs((last.box.y0 + last.box.y1) - (line.box.y0 + line.box.y1)) / 2 <= limit:
                out[-1].append(line)
                continue
        out.append([line])
    return [sorted(row, key=lambda item: item.box.x0) for row in out]


def _narrow(lines: Sequence[Line]) -> bool:
    first = lines[0]
    if first.page_width and first.page_height / first.page_width > NARROW_ASPECT:
        return True
    if len(lines) < 8:
        return False
    width = (max(x.box.x1 for x in lines) - min(x.box.x0 for x in lines)) * first.page_width
    height = (max(x.box.y1 for x in lines) - min(x.box.y0 for x in lines)) * first.page_height
    return width > 0 and height / width > NARROW_ASPECT


@dataclass(frozen=True)
class Classification:
    type: str
    confidence: float
    scores: dict[str, float]  # the evidence's probability per type (the hint plays no part)
    hint_mismatch: str | None


def evidence(lines: Sequence[Line]) -> dict[str, float]:
    """The summed evidence weight per type ("other" excluded)."""
    score = dict.fromkeys(TYPES[:-1], 0.0)
    if not lines:
        return score
    first_page = min(line.page for line in lines)
    page_one = [line for line in lines if line.page == first_page]
    typical = median(max(line.height, 1e-6) for line in page_one)
    narrow = _narrow(page_one)

    titles: dict[str, float] = {}
    elsewhere: set[str] = set()
    body: dict[str, float] = dict.fromkeys(score, 0.0)
    seen: set[Phrase] = set()
    for line in lines:
        in_zone = line.page == first_page and line.box.y0 < TITLE_ZONE
        words = tokens(line.text)
        title = _title(words, fuzzy=in_zone)
        if title and in_zone:
            size = min(max(line.height / typical, 0.8), 2.5) ** 0.5
            titles[title[0]] = max(titles.get(title[0], 0.0), TITLE_WEIGHT * size * title[1])
        elif title:
            elsewhere.add(title[0])
        for phrase, _, _ in find(words, _BODY_PHRASES):
            if phrase not in seen:
                seen.add(phrase)
                body[phrase.type] += phrase.weight
    if titles:
        lead = max(titles, key=lambda t: titles[t])
        titles[lead] += TITLE_LEAD
    if narrow and "invoice" in titles:
        titles["invoice"] *= NARROW_INVOICE_DAMPING
    for type_ in score:
        score[type_] = titles.get(type_, 0.0) + (TITLE_ELSEWHERE if type_ in elsewhere else 0.0)
        score[type_] += min(body[type_], BODY_CAP)

    texts = [" ".join(line.text for line in row) for row in rows(lines)]
    till = sum(
        1
        for text in texts
        if len(text.split()) <= 6 and len(AMOUNT.findall(text)) == 1 and _ENDS_IN_PRICE.search(text)
    )
    if narrow:
        score["receipt"] += NARROW_WEIGHT
    if till >= 4 and till >= 0.4 * len(texts):
        score["receipt"] += TILL_ROWS_WEIGHT
    if any(_column_groups(set(tokens(text))) >= 2 for text in texts):
        score["bankStatement"] += STATEMENT_COLUMNS_WEIGHT
    if score["deliveryNote"] > 0 and not any(AMOUNT.search(text) for text in texts):
        score["deliveryNote"] += NO_PRICES_WEIGHT
    return score


def _column_groups(words: set[str]) -> int:
    return sum(1 for group in _COLUMNS if group & words)


def _bare(type_: str) -> str:
    return NAMES[type_].split(" ", 1)[1] if type_ != "other" else "other"


def probabilities(score: dict[str, float]) -> dict[str, float]:
    logits = {**score, "other": OTHER_BASELINE}
    top = max(logits.values())
    exps = {t: math.exp((v - top) / TEMPERATURE) for t, v in logits.items()}
    total = sum(exps.values())
    return {t: exps[t] / total for t in TYPES}


def classify(lines: Sequence[Line], type_hint: str | None = None) -> Classification:
    """The document type of ``lines`` (one logical document, in reading order)."""
    probs = probabilities(evidence(lines))
    found = max(probs, key=lambda t: probs[t])
    if type_hint is None:
        return Classification(found, probs[found], probs, None)
    if type_hint not in probs:
        return Classification(type_hint, HINT_FLOOR, probs, None)
    hinted = probs[type_hint]
    clear = (
        found not in (type_hint, "other")
        and probs[found] >= MISMATCH_PROBABILITY
        and probs[found] - hinted >= MISMATCH_MARGIN
    )
    if clear:
        sentence = (
            f"the upload said {_bare(type_hint)}, but the document reads as "
            f"{NAMES[found]} ({probs[found]:.2f})"
        )
        return Classification(type_hint, hinted, probs, sentence)
    return Classification(type_hint, max(hinted, HINT_FLOOR), probs, None)
