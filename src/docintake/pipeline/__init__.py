"""The processing pipeline, shared by the worker and `docintake extract`."""

from __future__ import annotations

from docintake.pipeline.ocr import OcrOptions
from docintake.pipeline.pages import OpenPages, WholeFileDocument
from docintake.pipeline.runner import Stage
from docintake.pipeline.text import ReadText
from docintake.settings import Settings


def default_stages(settings: Settings) -> list[Stage]:
    engines = {"speed": settings.ocr_engine_speed, "accuracy": settings.ocr_engine_accuracy}
    languages = tuple(code for code in settings.ocr_languages.split("+") if code)
    return [OpenPages(), ReadText(engines, OcrOptions(languages or ("eng",))), WholeFileDocument()]
