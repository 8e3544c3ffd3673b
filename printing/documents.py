"""The kinds of printed documents, each declared by the app that owns what it prints (access: the 查阅登记簿,
devices: the usage ledger): the capability that reads it, the page it is printed from, and how to build it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    """One document as asked: its template (given ``rows``, ``first``, ``last`` and ``page_offset`` for each batch,
    see printing.render), what every batch shares, the count and statement its first page carries, and its rows a
    batch at a time, in order. ``total`` is exactly the number of rows ``batches`` yields."""

    template: str
    title: str
    statement: str
    total: int
    batches: Callable[[int], Iterator[list]]
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    capability: str  # the one the document's page needs; the job and the download check it again
    page: str  # URL name of the page it is printed from
    label: Any
    build: Callable[[Any, dict], Document]  # (user, params) → the document as that user may read it


_SOURCES: dict[str, Source] = {}


def register(kind: str, source: Source) -> None:
    _SOURCES[kind] = source


def registered() -> dict[str, Source]:
    return dict(_SOURCES)


def source(kind: str) -> Source:
    return _SOURCES[kind]


def chunks(rows: list, size: int) -> Iterator[list]:
    """A list already in memory, a batch at a time (the device ledger's rows are small; its layout is not)."""
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
