"""Phrase matching for the document-type classifier, tolerant of accents, case and OCR noise.

A line holds a few words and the phrase lists hundreds of phrases in seven languages, so phrases
are indexed by the words that can start them (``PhraseIndex``) and only those are tried. Words are
compared as OCR skeletons (l/1/I/| read as one letter, 0 as o), and long words may be one edit
off ("lnvoice", "Rechnunq") where the caller asks for fuzzy matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FUZZY_MIN_LENGTH = 7  # title words this long may be one edit off
_OCR_MAP = str.maketrans({"1": "i", "l": "i", "|": "i", "!": "i", "0": "o"})
_TOKEN = re.compile(r"[^\W_]+(?:[|!][^\W_]+)*")


def fold(text: str) -> str:
    """Accents removed and case folded: "Nº Crédito" -> "no credito"."""
    if text.isascii():  # nothing to decompose, and casefold is lower
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _skeleton(token: str) -> str:
    return token.translate(_OCR_MAP) if any(c.isalpha() for c in token) else token


def tokens(text: str) -> list[str]:
    """The words of ``text`` as OCR-tolerant skeletons ("INVOlCE" and "lnvoice" -> "invoice")."""
    return [_skeleton(t) for t in _TOKEN.findall(fold(text))]


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] if len(a) == len(b) else a[i:] == b[i + 1 :]


def _same(token: str, word: str, fuzzy: bool) -> bool:
    return token == word or (fuzzy and len(word) >= FUZZY_MIN_LENGTH and _one_edit(token, word))


@dataclass(frozen=True)
class Phrase:
    type: str
    words: tuple[str, ...]
    weight: float = 0.0
    strict: bool = False
    joined: str = ""  # the words run together ("creditnote"); set by ``phrase_of``


def phrase_of(type_: str, text: str, weight: float = 0.0) -> Phrase:
    words = tuple(tokens(text.lstrip("=")))
    return Phrase(type_, words, weight, text.startswith("="), "".join(words))


def split_phrases(phrases: str) -> list[str]:
    return [p.strip() for p in phrases.split(",") if p.strip()]


def _substitutions(word: str) -> set[str]:
    """``word`` with each letter in turn replaced by a wildcard: two words of one length are one
    substitution apart exactly when they share one of these."""
    return {f"{word[:i]}\0{word[i + 1 :]}" for i in range(len(word))}


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class PhraseIndex:
    """A phrase list indexed for ``find``: a line holds a few words and the lists hundreds of
    phrases, so phrases are looked up by the words present (first word, or the words run together)
    instead of each phrase being tried against the line. Fuzzy lookups go through one-edit keys
    of the long targets (first word, or the words run together), computed once per phrase: a word
    is one edit from a target when they share a wildcard substitution, when the word is the target
    less one letter, or the target the word less one letter."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = tuple(phrases)
        self.exact: dict[str, set[int]] = {}  # first word or joined words -> phrase positions
        self.substituted: dict[str, set[int]] = {}  # a target with one letter wildcarded
        self.shortened: dict[str, set[int]] = {}  # a target less one letter
        self.targets: dict[str, set[int]] = {}
        for position, phrase in enumerate(self.phrases):
            for key in (phrase.words[0], phrase.joined):
                self.exact.setdefault(key, set()).add(position)
            if len(phrase.joined) < FUZZY_MIN_LENGTH:
                continue  # only a long word may match with one edit
            for target in (phrase.words[0], phrase.joined):
                if len(target) >= FUZZY_MIN_LENGTH:
                    self.targets.setdefault(target, set()).add(position)
                    for key in _substitutions(target):
                        self.substituted.setdefault(key, set()).add(position)
                    for key in _deletions(target):
                        self.shortened.setdefault(key, set()).add(position)

    def candidates(self, words: Sequence[str], fuzzy: bool) -> list[Phrase]:
        """The phrases that can match ``words``, in list order (the order ``find`` tries them)."""
        present = set(words)
        positions: set[int] = set()
        for word in present:
            positions.update(self.exact.get(word, ()))
            if fuzzy:
                positions.update(self.shortened.get(word, ()))
                if len(word) >= FUZZY_MIN_LENGTH:  # shorter words are no long target's neighbours
                    for key in _substitutions(word):
                        positions.update(self.substituted.get(key, ()))
                if len(word) > FUZZY_MIN_LENGTH:
                    for key in _deletions(word):
                        positions.update(self.targets.get(key, ()))
        return [self.phrases[p] for p in sorted(positions)]


def find(
    words: Sequence[str], phrases: Iterable[Phrase] | PhraseIndex, fuzzy: bool = False
) -> list[tuple[Phrase, int, int]]:
    """Non-overlapping phrase matches (phrase, first token, end token); longer phrases win an
    overlap ("facture d'avoir" over "facture"). A phrase also matches its words run together
    ("creditnote"), as OCR and compound spellings have them."""
    index = phrases if isinstance(phrases, PhraseIndex) else PhraseIndex(phrases)
    found: list[tuple[Phrase, int, int]] = []
    for phrase in index.candidates(words, fuzzy):
        size = len(phrase.words)
        for start in range(len(words)):
            if all(
                start + k < len(words) and _same(words[start + k], w, fuzzy)
                for k, w in enumerate(phrase.words)
            ):
                found.append((phrase, start, start + size))
            elif size > 1 and _same(words[start], phrase.joined, fuzzy):
                found.append((phrase, start, start + 1))
    found.sort(key=lambda m: (-len(m[0].words), -len(m[0].joined), m[1]))
    taken: set[int] = set()
    kept = []
    for match in found:
        span = set(range(match[1], match[2]))
        if not span & taken:
            taken |= span
            kept.append(match)
    return kept
