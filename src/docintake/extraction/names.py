"""A party name as a value: the printed line with OCR's typical slips in names undone.

Names are printed in capitals on most receipts, where OCR confuses a letter with the digit of the
same shape ("GARDEN1A", "S0ON") and drops the space at a bracket ("(KL)SDN BHD",
"ENTERPRISE(SETIA"). A company name almost never has a lone digit inside a word of capitals, so
such a digit is read as its letter; the printed ``text`` of the field keeps what OCR read.
"""

from __future__ import annotations

import re

_DIGIT_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B"}
_WORD = re.compile(r"[A-Z0-9]{3,}")


def _letters_for_digits(match: re.Match[str]) -> str:
    word = match.group(0)
    digits = [ch for ch in word if ch.isdigit()]
    if len(digits) != 1 or digits[0] not in _DIGIT_LETTER or sum(ch.isalpha() for ch in word) < 3:
        return word
    if word[0].isdigit() or word[-1].isdigit():  # "7ELEVEN", "MART2": a number joined to a word
        return word
    return word.replace(digits[0], _DIGIT_LETTER[digits[0]])


def clean_name(value: str) -> str:
    """The name with brackets spaced as words and lone look-alike digits in capitals read as
    letters; whitespace collapsed."""
    value = re.sub(r"\(([^(){}\[\]]*)[}\]]", r"(\1)", value)  # "(SP}": one bracket misread
    value = re.sub(r"(?<=[\w.])\(", " (", value)
    value = re.sub(r"\)(?=\w)", ") ", value)
    value = _WORD.sub(_letters_for_digits, value)
    return re.sub(r"\s+", " ", value).strip()
