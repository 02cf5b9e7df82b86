"""The processing pipeline, shared by the worker and `docintake extract`."""

from __future__ import annotations

from docintake.pipeline.pages import OpenPages, WholeFileDocument
from docintake.pipeline.runner import Stage


def default_stages() -> list[Stage]:
    return [OpenPages(), WholeFileDocument()]
