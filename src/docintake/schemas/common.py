"""Base wire model and the shapes every endpoint shares (pages of items, problem details)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; both accepted on input."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


T = TypeVar("T")


class Page(WireModel, Generic[T]):
    """One page of a list; pass ``nextCursor`` back as ``cursor`` for the next one (null: the end)."""

    items: list[T]
    next_cursor: str | None = None


class ProblemItem(WireModel):
    file: str
    code: str
    message: str


class Problem(WireModel):
    """RFC 9457 problem details, plus ``code``, ``requestId`` and per-file ``errors``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    request_id: str | None = None
    instance: str | None = None
    errors: list[ProblemItem] = Field(default_factory=list)
