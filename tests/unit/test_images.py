"""Image files become upright, 8-bit, OCR-sized pages; broken ones become ProcessingErrors."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from docintake.errors import ProcessingError
from docintake.pipeline.images import MAX_SIDE, load_frames, normalize_for_ocr


def _marked(size: tuple[int, int], mode: str = "L") -> Image.Image:
    """White image with a black 20x20 marker in the top-left corner."""
    image = Image.new(mode, size, "white")
    ImageDraw.Draw(image).rectangle((0, 0, 19, 19), fill="black")
    return image


def _dark(image: Image.Image, x: int, y: int) -> bool:
    return image.convert("L").getpixel((x, y)) < 64  # type: ignore[operator]


def test_exif_orientation_6_is_turned_upright(tmp_path: Path) -> None:
    # Orientation 6: the camera stored the picture turned 90 degrees anticlockwise; viewers turn
    # it clockwise, so the stored top-left corner is shown top-right.
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.jpg"
    _marked((300, 200), "RGB").save(path, exif=exif, quality=95)
    [page] = list(load_frames(path))
    assert page.size == (200, 300)
    assert page.mode == "RGB"
    assert _dark(page, 200 - 10, 10)
    assert not _dark(page, 10, 10)
    assert not _dark(page, 10, 300 - 10)


def test_every_tiff_frame_is_a_page(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    first, second, third = _marked((100, 150)), _marked((120, 80), "RGB"), _marked((64, 64), "1")
    first.save(path, save_all=True, append_images=[second, third], compression="tiff_lzw")
    pages = list(load_frames(path))
    assert [(p.size, p.mode) for p in pages] == [((100, 150), "L"), ((120, 80), "RGB"), ((64, 64), "L")]
    assert all(_dark(p, 5, 5) and not _dark(p, 50, 50) for p in pages)


def test_only_the_first_image_of_other_multi_image_formats(tmp_path: Path) -> None:
    # A camera's MPO JPEG has a second (preview or depth) image: it is not a second page.
    path = tmp_path / "camera.jpg"
    _marked((100, 100), "RGB").save(
        path, format="MPO", save_all=True, append_images=[_marked((50, 50), "RGB")]
    )
    with Image.open(path) as image:
        assert image.format == "MPO" and getattr(image, "n_frames", 1) == 2
    assert [p.size for p in load_frames(path)] == [(100, 100)]


def test_large_scan_is_scaled_to_max_side(tmp_path: Path) -> None:
    path = tmp_path / "scan.jpg"
    _marked((6000, 8000)).save(path, quality=80)
    [page] = list(load_frames(path))
    assert page.size == (2625, MAX_SIDE)
    assert page.mode == "L"
    assert _dark(page, 3, 3) and not _dark(page, 40, 40)  # the marker is now ~9 px wide


@pytest.mark.parametrize(("size", "expected"), [((1000, 400), (500, 200)), ((300, 500), (300, 500))])
def test_max_side_keeps_aspect_and_never_enlarges(
    tmp_path: Path, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    path = tmp_path / "page.png"
    _marked(size).save(path)
    assert [p.size for p in load_frames(path, max_side=500)] == [expected]


def test_transparent_png_is_flattened_onto_white(tmp_path: Path) -> None:
    # Black text on a transparent background: dropping the alpha channel would give black on black.
    image = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 19, 19), fill=(0, 0, 0, 255))
    path = tmp_path / "logo.png"
    image.save(path)
    [page] = list(load_frames(path))
    assert page.mode == "RGB"
    assert page.getpixel((5, 5)) == (0, 0, 0)
    assert page.getpixel((40, 40)) == (255, 255, 255)


def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    image = Image.new("I;16", (40, 40), 20000)
    ImageDraw.Draw(image).rectangle((0, 0, 9, 9), fill=1000)
    path = tmp_path / "scan16.png"
    image.save(path)
    [page] = list(load_frames(path))
    assert page.mode == "L"
    assert page.getpixel((5, 5)) == 0
    assert page.getpixel((30, 30)) == 255  # clipping would make both 255


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_truncated_image_is_unreadable(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"cut.{fmt.lower()}"
    Image.effect_noise((400, 400), 50).save(path, format=fmt)  # noise does not compress
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProcessingError) as caught:
        list(load_frames(path))
    assert caught.value.code == "image_unreadable"


@pytest.mark.parametrize(
    "data", [b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40], ids=["empty", "pdf", "png-header"]
)
def test_not_an_image_is_unreadable(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(data)
    with pytest.raises(ProcessingError) as caught:
        list(load_frames(path))
    assert caught.value.code == "image_unreadable"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("limit", [15_000, 5_000])  # Pillow warns above the limit, raises above twice it
def test_decompression_bomb_is_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    path = tmp_path / "bomb.png"
    Image.new("L", (100, 200), "white").save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with pytest.raises(ProcessingError) as caught:
        list(load_frames(path))
    assert caught.value.code == "image_too_large"


def test_heic_photo_is_read(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "IMG_0001.HEIC"
    try:
        pillow_heif.from_pillow(_marked((128, 96), "RGB")).save(path, quality=95)
    except (OSError, RuntimeError, ValueError) as exc:  # pragma: no cover - wheel without an encoder
        pytest.skip(f"no HEIC encoder: {exc}")
    [page] = list(load_frames(path))
    assert page.size == (128, 96)
    assert _dark(page, 5, 5) and not _dark(page, 60, 60)


def test_normalize_for_ocr_is_grayscale() -> None:
    page = _marked((50, 50), "RGB")
    result = normalize_for_ocr(page, flatten=False)
    assert result.mode == "L"
    assert result.getpixel((5, 5)) == 0 and result.getpixel((40, 40)) == 255
    # Flattening keeps text strokes (narrower than its window) and does not touch white paper.
    page = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(page).rectangle((100, 100, 103, 140), fill="black")
    result = normalize_for_ocr(page)
    assert result.mode == "L"
    assert result.getpixel((101, 120)) == 0 and result.getpixel((300, 300)) == 255


def test_normalize_for_ocr_flattens_uneven_lighting() -> None:
    # A photo of a page lit from one side: paper from 110 (left) to 200 (right), text at 50.
    # Tesseract's global threshold turns the whole dark half black (measured: nothing read).
    paper = Image.linear_gradient("L").rotate(90).resize((400, 300)).point(lambda v: 110 + v * 90 // 255)
    ImageDraw.Draw(paper).rectangle((20, 100, 24, 160), fill=50)  # a stroke on the dark side
    ImageDraw.Draw(paper).rectangle((300, 100, 304, 160), fill=50)  # and one on the light side
    assert paper.getpixel((10, 50)) < 120 and paper.getpixel((390, 50)) > 190  # type: ignore[operator]
    result = normalize_for_ocr(paper)
    left_paper, right_paper = result.getpixel((60, 50)), result.getpixel((340, 50))
    assert abs(left_paper - right_paper) <= 10  # type: ignore[operator]
    assert result.getpixel((22, 130)) < left_paper - 60  # type: ignore[operator]
    assert result.getpixel((302, 130)) < right_paper - 60  # type: ignore[operator]


def test_oversized_later_tiff_frame_is_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow checks only the first frame's size when opening; a bomb can hide in frame 2.
    path = tmp_path / "scan.tif"
    Image.new("L", (10, 10)).save(path, save_all=True, append_images=[Image.new("L", (300, 300))])
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    frames = load_frames(path)
    assert next(frames).size == (10, 10)
    with pytest.raises(ProcessingError) as caught:
        next(frames)
    assert caught.value.code == "image_too_large"
