"""RapidOCR (PaddleOCR's PP-OCRv6 small models on onnxruntime): the accurate, slower OCR engine.

Why these choices:
- The models ship inside the ``rapidocr`` wheel (``rapidocr/models/``: text detection, a 0/180
  degree line classifier, recognition). They are passed to RapidOCR by path: with its default
  configuration RapidOCR resolves a download URL for every model and hashes the local copy
  before each start, and it would download any file it does not find. With explicit paths that
  code is never reached, so the engine cannot download anything.
- One onnxruntime thread per session (``intra_op_num_threads=1``): a worker process uses one
  core, and throughput comes from running more workers (two single-threaded processes gave
  1.7-1.85x the throughput of one on two vCPUs).
- The page is shrunk so its long side is at most ``MAX_LONG_SIDE`` px (area averaging) before
  recognition. Text detection works on every pixel it is given, while recognition resizes each
  line to 48 px high anyway. Measured on one thread: an A4 page at 300 dpi took 13.0 s at full
  size and 6.8 s at 2000 px with the same text; 40 SROIE receipt scans 5.75 s/page at full size
  and 4.3 s at 2000 px, with as many supplier names, dates and totals found verbatim (30/36/40
  against 28/36/40). 1600 px was 13% faster again and equal on those 40 (so it is the limit), 1280 px lost two
  names; RapidOCR's own limit is also 2000 px, resampled bilinearly without this step.
- Words, not lines: RapidOCR returns text lines with quadrilaterals; with ``return_word_box`` it
  also places every word using the recogniser's character columns, which is more exact than
  spreading the line's width over its characters. Its words are regrouped on the line's
  whitespace (it also splits at wide letter gaps), and the line is spread over its characters
  when that does not line up. A word's confidence is its line's: RapidOCR pairs per-character
  scores with words by position, which is not a per-word score.
- ``recognize()`` runs without the line classifier. The pipeline reads a page as it is and asks
  for its orientation only when the page reads poorly; with the classifier, an upside-down page
  reads well line by line (each line flipped) and would keep its upside-down reading order and
  boxes. Likewise, lines that run vertically are dropped when they outnumber horizontal ones:
  a sideways page then reads as (almost) nothing, which sends it to orientation detection.
- ``detect_orientation()`` finds the text lines on a reduced copy (``ORIENTATION_LONG_SIDE``),
  takes the horizontal ones (or, when most lines are vertical, the vertical ones turned a
  quarter counter-clockwise) and lets the 0/180 line classifier vote, each line weighted by its
  length. The classifier thus answers all four turns. Tesseract's orientation detection was
  the other candidate for 90/270. On 50 SROIE receipts, each turned 0/90/180/270 degrees, the
  classifier found the turn 200 times of 200, 196 with a confidence of 0.4 or more (the least the
  pipeline acts on), in 0.9 s a page; Tesseract's found it 166 times, 68 with 0.4 or more.
- onnxruntime 1.31 on Linux collects usage telemetry and looks up its collector
  (mobile.events.data.microsoft.com) seconds after the first session, and it writes a device id
  and an event queue under ~/.cache/Microsoft. Only ``ORT_DISABLE_TELEMETRY=1`` in the
  environment *before onnxruntime is first imported* stops it (its ``disable_telemetry_events()``
  afterwards did not stop the lookups), so importing this module sets it unless the operator
  set it, and warns when onnxruntime was imported before.
- ``OcrOptions.languages`` is ignored: the recognition model reads Latin-script languages
  (accents included), Chinese and Japanese alike and detects nothing per language.

``rapidocr-fast`` (``RapidOcrFastEngine``): the same models, text *detection* on a smaller image.
- Where the time goes (40 SROIE receipt scans, CPU seconds on one thread, page at 1600 px):
  detection 2.1 s/page median, recognition 2.5 s, everything else (crops, post-processing,
  word boxes) under 0.1 s. RapidOCR's detection default ("short side at least 736 px") never
  shrinks and *enlarges* narrow receipts: a 459x1600 page was detected at 736x2560 px; its cost
  is 1.7 s per million pixels. Recognition costs ~18 ms per line plus ~0.09 ms per pixel of line
  width at 48 px high, so it depends on how much text there is, not on the page size.
- So detection runs on the page shrunk to ``FAST_DET_LONG_SIDE`` (RapidOCR's ``limit_type: max``),
  while the line crops for recognition still come from the 1600 px page and the boxes are
  mapped back to it. Same 40 scans (supplier name / issue date / total found verbatim, CPU s
  median and p90 in one process, pages interleaved; names compared without spaces): default
  4.75 / 6.84 s, 38/38/38 of 40; detection at 960 px 2.96 / 3.92 s, 38/39/38; with one line
  per recognition batch 2.92 / 3.86 s (mean 2.91 against 3.11), same hits. This engine as
  built, interleaved with the others: 2.78 / 3.63 s, 35/39/38 (exact names), against ``rapidocr`` 4.70 / 6.37 s, 35/38/38 and
  ``tesseract`` 0.96 / 1.49 s, 30/31/30. 25 WildReceipt phone photos: 2.00 / 2.69 s against
  2.96 / 3.99 s, the same 22/4/15 hits. Detection at 1280 px was 4.0 s with 33/38/39, at
  800 px 2.85 s with 34/38/37, at 640 px 2.63 s with 32/38/37: 960 px is where names start to go.
- Recognition batches of one line: RapidOCR pads every line of a batch to the widest one; six
  lines a batch (its default) spent time on padding, and 16 changed what was read (two dates
  lost), so a line's text should not depend on its neighbours.
- Narrow pages are detected at 960 px too. A floor on the short side (320 px, so a 459x1600
  receipt was detected at 1115 px) lost that receipt's supplier name ("S0ON" for "SOON"), and
  on a rendered 1:5 till roll detection still found letters 5 px high at 960 px.
- Orientation detection of this engine also finds lines at that size (``ORIENTATION_LONG_SIDE``
  pages are shrunk to ``FAST_DET_LONG_SIDE`` for detection; the classifier still sees crops of
  the larger page).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from docintake.errors import DocintakeError, ProcessingError
from docintake.pipeline.model import Box, Word
from docintake.pipeline.ocr import OcrOptions

if TYPE_CHECKING:
    from rapidocr import RapidOCR

log = logging.getLogger(__name__)

# Before anything imports onnxruntime (module docstring): no telemetry, no network.
_TELEMETRY_UNSTOPPABLE = "onnxruntime" in sys.modules and "ORT_DISABLE_TELEMETRY" not in os.environ
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}
MAX_LONG_SIDE = 1600  # px; larger pages are shrunk before recognition (see module docstring)
ORIENTATION_LONG_SIDE = 1280  # px; line finding for orientation does not need fine detail
ORIENTATION_MAX_LINES = 40  # the longest lines vote; more only costs time
CLS_ASPECT = 4.0  # the line classifier's input shape (192 x 48 px)
CLS_PIECES = 3  # pieces of one line the classifier looks at
ELONGATED = 2.0  # a line box this many times longer than thick has a direction
THREADS = 1
FAST_DET_LONG_SIDE = 960  # px; rapidocr-fast detects lines on this (see module docstring)
FAST_REC_BATCH = 1  # lines per recognition batch: no padding to a wider neighbour


@dataclass
class _Line:
    text: str
    score: float
    left: float
    top: float
    right: float
    bottom: float
    pieces: list[tuple[str, tuple[float, float, float, float]]] | None  # RapidOCR's word boxes

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def vertical(self) -> bool:
        return self.height >= ELONGATED * self.width and len(self.text.strip()) >= 3

    @property
    def horizontal(self) -> bool:
        return self.width >= ELONGATED * self.height


def _rect(quad: Any) -> tuple[float, float, float, float]:
    """The axis-aligned rectangle around a quadrilateral ([[x, y] x 4])."""
    xs = [float(point[0]) for point in quad]
    ys = [float(point[1]) for point in quad]
    return min(xs), min(ys), max(xs), max(ys)


def _paper(image: Image.Image) -> Image.Image:
    """An 8-bit "L" or "RGB" image; transparency is put on white paper, as printed."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        paper = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I;16"):  # 16-bit scans: scale to 8 bits rather than clip at 255
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def _shrink(image: Image.Image, long_side: int) -> Image.Image:
    scale = long_side / max(image.size)
    if scale >= 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BOX)  # area average: keeps thin strokes


def _pieces(found: Any) -> list[tuple[str, tuple[float, float, float, float]]] | None:
    """RapidOCR's word boxes of one line, ((text, score, quad), ...), or None if not that shape."""
    try:
        pieces = [(piece[0], _rect(piece[2])) for piece in found]
    except (TypeError, IndexError, ValueError):
        return None
    if not pieces or not all(isinstance(text, str) for text, _ in pieces):
        return None
    return pieces


def _split_evenly(line: _Line) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Words of a line without usable word boxes: the line's extent shared out by characters
    (a space counts as one character, which stands in for the gap between words)."""
    text = line.text.strip()
    tokens = text.split()
    if len(tokens) == 1 or line.vertical:  # a vertical line's words all get its whole box
        return [(token, (line.left, line.top, line.right, line.bottom)) for token in tokens]
    per_char = line.width / len(text)
    words = []
    position = 0
    for token in tokens:
        start = text.index(token, position)
        position = start + len(token)
        words.append(
            (token, (line.left + start * per_char, line.top, line.left + position * per_char, line.bottom))
        )
    return words


def _regroup(line: _Line) -> list[tuple[str, tuple[float, float, float, float]]] | None:
    """RapidOCR's word pieces joined back into the line's whitespace-separated words (it also
    splits a word at a wide gap between letters); None when the pieces do not spell the line."""
    if not line.pieces:
        return None
    pieces = iter(line.pieces)
    words = []
    for token in line.text.split():
        spelled = ""
        left, top, right, bottom = float("inf"), float("inf"), float("-inf"), float("-inf")
        while spelled != token:
            piece = next(pieces, None)
            if piece is None or not token.startswith(spelled + piece[0]):
                return None
            spelled += piece[0]
            x0, y0, x1, y1 = piece[1]
            left, top, right, bottom = min(left, x0), min(top, y0), max(right, x1), max(bottom, y1)
        words.append((token, (left, top, right, bottom)))
    if next(pieces, None) is not None:
        return None
    return words


def _reading_order(lines: list[_Line]) -> list[_Line]:
    """Rows top to bottom (a line joins the row whose middle it overlaps), left to right within
    a row: a label and its right-aligned amount are separate RapidOCR lines on one row."""
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda item: item.top + item.bottom):
        middle = (line.top + line.bottom) / 2
        if rows:
            row = rows[-1]
            top = sum(item.top for item in row) / len(row)
            bottom = sum(item.bottom for item in row) / len(row)
            if top < middle < bottom and line.top < (top + bottom) / 2 < line.bottom:
                row.append(line)
                continue
        rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.left)]


def _models() -> tuple[Path, dict[str, Path]]:
    """The installed RapidOCR package folder and its shipped model files, or DocintakeError."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise DocintakeError(
            "RapidOCR is not installed (pip install rapidocr onnxruntime)", code="ocr_unavailable"
        )
    if importlib.util.find_spec("onnxruntime") is None:
        raise DocintakeError("onnxruntime is not installed (pip install onnxruntime)", code="ocr_unavailable")
    package = Path(next(iter(spec.submodule_search_locations)))
    models = {task: package / "models" / name for task, name in MODEL_FILES.items()}
    missing = [str(path) for path in models.values() if not path.is_file()]
    if missing:
        raise DocintakeError(
            f"RapidOCR model files missing: {', '.join(missing)} (reinstall the rapidocr wheel; "
            "models are never downloaded)",
            code="ocr_unavailable",
        )
    return package, models


class RapidOcrEngine:
    """``OcrEngine`` on RapidOCR. The shipped model files are located now (so a broken install
    fails at start-up); the onnxruntime sessions are created on first use and kept."""

    name = "rapidocr"

    def __init__(
        self, options: OcrOptions, *, max_long_side: int = MAX_LONG_SIDE, threads: int = THREADS
    ) -> None:
        self.options = options  # languages are not used: see module docstring
        self.package, self.models = _models()
        self.max_long_side = max_long_side
        self.threads = threads
        self.version = (
            f"rapidocr {metadata.version('rapidocr')} PP-OCRv6-small "
            f"onnxruntime {metadata.version('onnxruntime')}"
        )
        self._ocr: RapidOCR | None = None
        self._lock = threading.Lock()  # RapidOCR keeps per-call settings on the instance
        if _TELEMETRY_UNSTOPPABLE:
            log.warning(
                "onnxruntime was imported before docintake could disable its telemetry; "
                "set ORT_DISABLE_TELEMETRY=1 in the environment of the workers"
            )

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "Global.log_level": "error",  # it warns on every page without text
            "Global.model_root_dir": str(self.package / "models"),
            "Global.max_side_len": max(self.max_long_side, 2000),  # we shrink before it does
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        for task, path in self.models.items():
            params[f"{task}.model_path"] = str(path)  # by path: never resolved to a download URL
        return params

    def _engine(self) -> RapidOCR:
        """The loaded RapidOCR (call with the lock held): all three models load on first use,
        so a model that onnxruntime cannot open fails here, not halfway through a page."""
        if self._ocr is None:
            try:
                from rapidocr import RapidOCR

                ocr = RapidOCR(params=self._params())
                blank = Image.new("L", (32, 32), 255)  # square: detection enlarges it to 736 px
                ocr(blank, use_det=True, use_cls=False, use_rec=False)
                ocr(blank, use_det=False, use_cls=True, use_rec=True)
            except Exception as exc:
                raise DocintakeError(
                    f"RapidOCR could not load its models: {exc}", code="ocr_unavailable"
                ) from exc
            self._ocr = ocr
        return self._ocr

    def recognize(self, image: Image.Image) -> list[Word]:
        if image.width == 0 or image.height == 0:
            return []
        page = _shrink(_paper(image), self.max_long_side)
        with self._lock:
            ocr = self._engine()
            try:
                result = ocr(page, use_det=True, use_cls=False, use_rec=True, return_word_box=True)
            except IndexError:
                # RapidOCR's word-box bookkeeping can lose a line; the line boxes are still fine.
                log.debug("RapidOCR word boxes failed; spreading lines over their characters")
                try:
                    result = ocr(page, use_det=True, use_cls=False, use_rec=True, return_word_box=False)
                except Exception as exc:
                    raise ProcessingError(f"RapidOCR failed on the page: {exc}", code="ocr_failed") from exc
            except Exception as exc:
                raise ProcessingError(f"RapidOCR failed on the page: {exc}", code="ocr_failed") from exc
        return self._words(result, page.width, page.height)

    @staticmethod
    def _lines(result: Any) -> list[_Line]:
        """RapidOCR's output as lines; empty when it found no text (it then returns an empty
        output object whose fields are None)."""
        boxes, texts, scores = (getattr(result, key, None) for key in ("boxes", "txts", "scores"))
        if boxes is None or texts is None or scores is None:
            return []
        pieces_per_line: Any = getattr(result, "word_results", None) or ()
        if len(pieces_per_line) != len(texts):  # word boxes missing or not line by line
            pieces_per_line = [()] * len(texts)
        lines = []
        for quad, text, score, pieces in zip(boxes, texts, scores, pieces_per_line, strict=True):
            if not str(text).strip():
                continue
            left, top, right, bottom = _rect(quad)
            confidence = min(max(float(score), 0.0), 1.0)
            lines.append(_Line(str(text), confidence, left, top, right, bottom, _pieces(pieces)))
        return lines

    def _words(self, result: Any, width: int, height: int) -> list[Word]:
        lines = self._lines(result)
        vertical = sum(line.vertical for line in lines)
        if vertical > sum(line.horizontal for line in lines):
            # A sideways page: its lines would come out in a meaningless order (module docstring).
            log.debug("RapidOCR: %d of %d lines run vertically; dropping them", vertical, len(lines))
            lines = [line for line in lines if not line.vertical]
        words: list[Word] = []
        for line in _reading_order(lines):
            for text, (left, top, right, bottom) in _regroup(line) or _split_evenly(line):
                box = Box.from_pixels(left, top, right, bottom, width, height)
                words.append(Word(text=text, box=box, confidence=line.score))
        return words

    def detect_orientation(self, image: Image.Image) -> tuple[int, float]:
        if image.width == 0 or image.height == 0:
            return 0, 0.0
        small = _shrink(_paper(image), ORIENTATION_LONG_SIDE)
        with self._lock:
            ocr = self._engine()
            try:
                found = ocr(small, use_det=True, use_cls=False, use_rec=False)
                quads = getattr(found, "boxes", None)
                boxes = [_rect(quad) for quad in quads] if quads is not None else []
                horizontal = [box for box in boxes if box[2] - box[0] >= ELONGATED * (box[3] - box[1])]
                vertical = [box for box in boxes if box[3] - box[1] >= ELONGATED * (box[2] - box[0])]
                sideways = len(vertical) > len(horizontal)
                votes = self._classify(ocr, small, vertical if sideways else horizontal, sideways)
            except Exception as exc:
                # Orientation failing is not a page failure: the page may still read as it is.
                log.debug("RapidOCR orientation detection failed: %s", exc)
                return 0, 0.0
        return self._tally(votes, sideways)

    @staticmethod
    def _classify(
        ocr: RapidOCR, image: Image.Image, boxes: list[tuple[float, float, float, float]], sideways: bool
    ) -> list[tuple[float, float]]:
        """(weight, probability the text is upside down) for pieces of the longest lines;
        vertical lines are first turned a quarter counter-clockwise.

        The classifier sees 192x48 px: a whole line would be squeezed into that, so lines are
        cut into pieces of that shape (up to ``CLS_PIECES`` spread along each line)."""
        longest = sorted(boxes, key=lambda box: max(box[2] - box[0], box[3] - box[1]), reverse=True)
        votes: list[tuple[float, float]] = []
        for left, top, right, bottom in longest[:ORIENTATION_MAX_LINES]:
            crop = image.crop((round(left), round(top), round(right), round(bottom)))
            if sideways:
                crop = crop.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise
            if crop.height < 4 or crop.width < 4:
                continue
            piece = min(crop.width, round(CLS_ASPECT * crop.height))
            count = max(1, min(CLS_PIECES, round(crop.width / piece)))
            step = (crop.width - piece) / max(count - 1, 1)
            for index in range(count):
                x0 = round(index * step)
                answer = ocr(
                    crop.crop((x0, 0, x0 + piece, crop.height)), use_det=False, use_cls=True, use_rec=False
                )
                for label, score in getattr(answer, "cls_res", None) or []:
                    upside_down = float(score) if "180" in str(label) else 1.0 - float(score)
                    votes.append((piece, upside_down))
        return votes

    @staticmethod
    def _tally(votes: list[tuple[float, float]], sideways: bool) -> tuple[int, float]:
        """The turn that makes the page upright, by the length-weighted mean probability that a
        (horizontal, or quarter-turned vertical) line is upside down; the confidence is how far
        that mean is from a coin toss (0.5 -> 0.0, 0 or 1 -> 1.0).

        Quarter-turned counter-clockwise, a vertical line reads upright when the page was turned
        clockwise, which turning it a further 270 degrees clockwise undoes; upside down, 90."""
        total = sum(weight for weight, _ in votes)
        if total <= 0:
            return 0, 0.0
        flipped = sum(weight * upside_down for weight, upside_down in votes) / total
        if sideways:
            return (90 if flipped > 0.5 else 270), abs(2 * flipped - 1)
        return (180 if flipped > 0.5 else 0), abs(2 * flipped - 1)


class RapidOcrFastEngine(RapidOcrEngine):
    """``rapidocr-fast``: RapidOCR with text detection on a page shrunk to
    ``FAST_DET_LONG_SIDE`` and recognition one line at a time (module docstring: 40% less CPU
    on receipt scans, as many names, dates and totals found)."""

    name = "rapidocr-fast"

    def __init__(
        self,
        options: OcrOptions,
        *,
        max_long_side: int = MAX_LONG_SIDE,
        threads: int = THREADS,
        det_long_side: int = FAST_DET_LONG_SIDE,
    ) -> None:
        super().__init__(options, max_long_side=max_long_side, threads=threads)
        self.det_long_side = det_long_side
        self.version = f"{self.version} det-max-{det_long_side}"

    def _params(self) -> dict[str, Any]:
        params = super()._params()
        params["Det.limit_type"] = "max"  # shrink to limit_side_len, never enlarge
        params["Det.limit_side_len"] = self.det_long_side
        params["Rec.rec_batch_num"] = FAST_REC_BATCH
        return params
