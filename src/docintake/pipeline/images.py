"""Turn an uploaded image file into upright, OCR-sized page images.

Phone photos and scanners hand over images in every shape: sideways with an EXIF orientation
tag, 16-bit or CMYK TIFFs, transparent PNGs, 35-megapixel scans at 600 dpi. OCR engines want an
upright 8-bit image at ~300 dpi: more pixels only cost time and memory (OCR time grows with the
pixel count) without reading better. Everything that can go wrong while decoding a user's file
becomes a ``ProcessingError`` with a code the user can act on, like in the ``pages`` stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from docintake.errors import ProcessingError

register_heif_opener()

# 3500 px on the long side is an A4 page at ~300 dpi (297 mm = 11.7 in).
MAX_SIDE = 3500
# Only TIFF's frames are pages. Other formats' extra frames are not: a camera's MPO JPEG carries
# a second (preview or depth) image, a HEIC burst or animated WEBP more shots of the same thing.
_MULTI_PAGE_FORMATS = frozenset({"TIFF"})
_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def page_frames(image: Image.Image) -> int:
    """How many pages an opened image file has (the ``pages`` stage should count the same)."""
    if image.format in _MULTI_PAGE_FORMATS:
        return int(getattr(image, "n_frames", 1))
    return 1


def _check_size(image: Image.Image) -> None:
    """Refuse frames above Pillow's pixel limit. Pillow itself only warns between one and two
    times ``MAX_IMAGE_PIXELS`` and does not check a TIFF's later frames at all."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        raise ProcessingError(
            f"the image is too large to process ({image.width}x{image.height} pixels)",
            code="image_too_large",
        )


def _to_8bit(image: Image.Image) -> Image.Image:
    """ "L" for grayscale and bilevel sources, "RGB" for everything else.

    Colour is kept (an OCR engine such as RapidOCR wants RGB and may use it; ``normalize_for_ocr``
    drops it for Tesseract); transparency is flattened onto white, as a viewer shows it (dark
    text on a transparent background would otherwise turn into dark text on black); 16-bit and
    float pixels are scaled to 0..255 rather than clipped.
    """
    mode = image.mode
    if mode in ("L", "RGB"):
        return image
    if mode in ("I", "F") or mode.startswith("I;16"):
        image = image.convert("F") if mode == "F" else image.convert("I").convert("F")
        low, high = image.getextrema()
        if isinstance(low, tuple) or isinstance(high, tuple):  # pragma: no cover - single band
            return image.convert("L")
        span = (high - low) or 1.0
        return image.point(lambda value: (value - low) * 255.0 / span).convert("L")
    has_alpha = mode in ("RGBA", "LA", "La", "RGBa", "PA") or (mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
        return image.convert("L" if mode in ("LA", "La") else "RGB")
    return image.convert("L" if mode in _GRAY_MODES else "RGB")


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    """Scale down so the long side is at most ``max_side``. Lanczos keeps thin strokes sharp;
    ``reducing_gap`` first shrinks by an integer factor (box filter), much faster on big scans."""
    long_side = max(image.size)
    if long_side <= max_side:
        return image
    scale = max_side / long_side
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _read_frame(image: Image.Image, max_side: int) -> Image.Image:
    _check_size(image)
    if image.format in ("JPEG", "MPO") and max(image.size) > max_side:
        # Let the JPEG decoder skip detail we would throw away (1/2, 1/4, 1/8 scale), keeping
        # at least the target size; a 6000x8000 photo then decodes at 3000x4000, ~4x faster.
        scale = max_side / max(image.size)
        image.draft(None, (round(image.width * scale), round(image.height * scale)))
    frame = ImageOps.exif_transpose(image)  # a loaded, upright copy
    return _fit(_to_8bit(frame), max_side)


def load_frames(path: Path, max_side: int = MAX_SIDE) -> Iterator[Image.Image]:
    """Yield each page of an image file, upright, 8-bit ("L" or "RGB"), long side <= ``max_side``.

    One page for JPEG, PNG, WEBP and HEIC/HEIF; one per frame for TIFF (see ``page_frames``).
    Raises ``ProcessingError`` with code ``image_unreadable`` (not an image, truncated, corrupt)
    or ``image_too_large`` (over Pillow's decompression-bomb pixel limit), possibly after some
    pages were already yielded: a multi-page TIFF can be broken halfway.
    """
    try:
        with Image.open(path) as image:
            for index in range(page_frames(image)):
                image.seek(index)
                yield _read_frame(image, max_side)
    except ProcessingError:
        raise
    except Image.DecompressionBombError as exc:
        raise ProcessingError(f"the image is too large to process ({exc})", code="image_too_large") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ProcessingError(f"the image cannot be read ({exc})", code="image_unreadable") from None


def flatten_background(gray: Image.Image) -> Image.Image:
    """Even out the paper: subtract each pixel from the brightness of the paper around it.

    The paper's brightness is estimated as the local maximum over a window of ~1/60 of the long
    side (wider than a text stroke, so strokes vanish from the estimate), computed on a reduced
    copy and blurred so it is cheap and smooth. ``255 - (paper - pixel)`` then puts all paper at
    white and keeps each stroke's contrast to its own surroundings. Shadows, lighting gradients
    and grey paper in phone photos otherwise defeat Tesseract's single global (Otsu) threshold.
    """
    # A window of 5 reduced pixels: ~long side / 60 (a 5 mm on A4), and at least 15 pixels.
    factor = max(3, round(max(gray.size) / 300))
    small = gray.reduce(factor)
    paper = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))
    paper = paper.resize(gray.size, Image.Resampling.BILINEAR)
    return ImageChops.invert(ImageChops.subtract(paper, gray))


def normalize_for_ocr(image: Image.Image, *, flatten: bool = True, autocontrast: bool = False) -> Image.Image:
    """Grayscale ("L") for OCR, with the paper flattened to white (``flatten_background``).

    Measured with Tesseract 5 (psm 4) on the 200 SROIE receipt scans (gold value found verbatim
    in the OCR text): flattening raised supplier names from 0.565 to 0.600, totals from 0.720 to
    0.735 and address words from 0.806 to 0.819 (dates unchanged); on synthetic renders it
    rescued pages with a lighting gradient (character error 0.38-0.99 -> 0.00) and changed
    nothing on clean, faded or low-contrast ones. It costs ~50-80 ms for A4 at 300 dpi.

    The optional autocontrast (stretch levels, ignoring the darkest and lightest 0.5%) is off by
    default: on SROIE it was within noise (names -1 point, totals +1.5), on synthetic pages it
    changed nothing except making one of three noisy pages unreadable (Tesseract thresholds
    with its own Otsu, which a linear stretch barely moves).
    """
    gray = image if image.mode == "L" else _to_8bit(image).convert("L")
    if flatten:
        gray = flatten_background(gray)
    if autocontrast:
        gray = ImageOps.autocontrast(gray, cutoff=0.5, preserve_tone=True)
    return gray
