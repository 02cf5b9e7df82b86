"""The stages of the processing pipeline, in order: shared by the worker and `docintake extract`."""

from __future__ import annotations

from docintake.pipeline.ocr import OcrOptions
from docintake.pipeline.pages import OpenPages
from docintake.pipeline.runner import Stage
from docintake.pipeline.text import ReadText
from docintake.pipeline.understand import SplitDocuments, Understand
from docintake.settings import Settings


def default_stages(settings: Settings) -> list[Stage]:
    engines = {"speed": settings.ocr_engine_speed, "accuracy": settings.ocr_engine_accuracy}
    languages = tuple(code for code in settings.ocr_languages.split("+") if code)
    return [OpenPages(), ReadText(engines, OcrOptions(languages or ("eng",))), SplitDocuments(), Understand()]
