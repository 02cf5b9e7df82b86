"""The OCR extension point: one small protocol, a registry by settings name, one engine per process.

Scanned pages need words with boxes; which engine produces them is a deployment choice (fast
Tesseract by default, heavier engines where accuracy matters more than speed). The pipeline only
talks to ``OcrEngine``, looks engines up by the name in settings, and shares one loaded engine
per (name, options) in the process because loading language data costs far more than one page.

Engines are imported lazily inside their factory, so a worker configured for one engine never
imports (or pays the memory of) another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from docintake.errors import DocintakeError
from docintake.pipeline.model import Word

__all__ = ["OCR_ENGINES", "OcrEngine", "OcrOptions", "check_engine", "get_engine"]


class OcrEngine(Protocol):
    """What every OCR engine promises the pipeline.

    - ``recognize()`` SHALL return the words of an *upright* page image, each with a ``Box`` as
      fractions of the image (0..1, origin top-left), a confidence in 0..1, in reading order
      (top-to-bottom, and left-to-right within a line). A page without text gives ``[]``.
    - ``detect_orientation()`` tells how to make a page upright; callers rotate, then recognize.
    - An engine must not download anything (models ship with the installation: deployments are
      often offline, and a surprise download is a supply-chain and latency risk).
    - An instance may be called from one thread at a time; engines serialise calls internally
      with a lock, so sharing one instance between threads is safe but not parallel.
    - Engine failures raise ``ProcessingError(code="ocr_failed")``; a missing installation (no
      language data, missing library) raises ``DocintakeError`` when the engine is created.

    ``name`` and ``version`` are recorded with the OCR output, so results can be traced to (and
    re-run on) the engine that produced them.
    """

    name: str
    version: str

    def recognize(self, image: Image.Image) -> list[Word]:
        """The words of an upright page image, in reading order (see the class contract)."""
        ...

    def detect_orientation(self, image: Image.Image) -> tuple[int, float]:
        """(degrees clockwise the image must be rotated to be upright: 0/90/180/270, confidence).

        Confidence is 0..1; (0, 0.0) means "could not tell" (too little text), in which case the
        caller should leave the page as it is.
        """
        ...


@dataclass(frozen=True)
class OcrOptions:
    """Engine options that change results; frozen and hashable because they key the cache.

    ``languages`` are Tesseract-style codes (ISO 639-2/T: "eng", "deu", "fra", ...); engines
    that detect language themselves may ignore them.
    """

    languages: tuple[str, ...] = ("eng",)


def _tesseract(options: OcrOptions) -> OcrEngine:
    from docintake.pipeline.ocr.tesseract import TesseractEngine  # lazy: see module docstring

    return TesseractEngine(options)


def _rapidocr(options: OcrOptions) -> OcrEngine:
    from docintake.pipeline.ocr.rapid import RapidOcrEngine  # lazy: see module docstring

    return RapidOcrEngine(options)


def _rapidocr_fast(options: OcrOptions) -> OcrEngine:
    from docintake.pipeline.ocr.rapid import RapidOcrFastEngine  # lazy: see module docstring

    return RapidOcrFastEngine(options)


OCR_ENGINES: dict[str, Callable[[OcrOptions], OcrEngine]] = {
    "tesseract": _tesseract,
    "rapidocr": _rapidocr,
    "rapidocr-fast": _rapidocr_fast,
}
"""Engine factories by the name used in settings. Add an engine by adding a factory here."""

_engines: dict[tuple[str, OcrOptions], OcrEngine] = {}
_engines_lock = threading.Lock()


def get_engine(name: str, options: OcrOptions) -> OcrEngine:
    """The process's engine for ``name`` and ``options``, created on first use and then reused.

    Raises ``DocintakeError`` for an unknown name (listing the known ones) or when the engine
    cannot be created (e.g. no language data installed).
    """
    key = (name, options)
    engine = _engines.get(key)
    if engine is not None:
        return engine
    factory = OCR_ENGINES.get(name)
    if factory is None:
        known = ", ".join(sorted(OCR_ENGINES)) or "none"
        raise DocintakeError(f"unknown OCR engine {name!r}; known engines: {known}", code="ocr_unavailable")
    # Creation under the lock: two threads asking at once must not load the data twice.
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = factory(options)
            _engines[key] = engine
    return engine


def check_engine(name: str, options: OcrOptions) -> None:
    """Load the engine now and run it once on a blank image, so start-up fails with a clear
    message (missing language data, broken install) instead of the first scanned page."""
    engine = get_engine(name, options)
    words = engine.recognize(Image.new("L", (64, 64), 255))
    if words:  # a blank page with words means the engine is not usable as configured
        raise DocintakeError(f"OCR engine {name!r} read text on a blank image", code="ocr_unavailable")
