"""Printed documents of any length, in bounded memory (issue 27).

WeasyPrint lays a whole document out in memory (about 0.2 MB a row of a register table, 4.5 GB for the 20,000-row
register) and cannot stream. So a long document is laid out a batch of rows at a time, each batch written to its own
PDF in a scratch folder and forgotten, and the parts are joined with pypdf at the end:

- memory is one batch's layout (``PRINT_BATCH_ROWS`` rows, about 0.2 MB each, so ~100 MB at 500) plus the
  rows of the next batch, plus pypdf's copy of the joined parts' objects, which it keeps compressed as they were
  written (the size of the finished file: ~1 MB per thousand rows, and each part's font subset, ~100–300 KB);
  nothing grows with the length except that last, which is bounded by the file being made;
- every batch is its own table with its own head, so the head is repeated on every page as in one document;
- page numbers run on: each batch starts its page counter where the previous part ended (``page_offset``);
- only the first batch carries the heading and the statement of period, filters and count, only the last the
  closing line.

WeasyPrint stays the engine (the CJK fonts are embedded as subsets, the same templates print short documents): a
different engine would mean a second layout of every printed form. The cost it leaves is time, about 5–7 ms a row
on one core, which is why long documents are jobs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.template.loader import render_to_string

from printing.documents import Document


def _with_last(batches: Iterator[list]) -> Iterator[tuple[list, bool]]:
    """Each batch with whether it is the last, reading one batch ahead; an empty document is one empty batch."""
    current = next(batches, None)
    if current is None:
        yield [], True
        return
    for following in batches:
        yield current, False
        current = following
    yield current, True


def _part(document: Document, rows: list, *, first: bool, last: bool, page_offset: int):
    from weasyprint import HTML

    html = render_to_string(document.template, {**document.context, "statement": document.statement,
                                                 "rows": rows, "first": first, "last": last,
                                                 "page_offset": page_offset})
    return HTML(string=html).render()


def pdf_bytes(document: Document) -> bytes:
    """A short document in one piece (the synchronous path, under ``PRINTED_REGISTER_ROWS``)."""
    return _part(document, [row for batch in document.batches(max(document.total, 1)) for row in batch],
                 first=True, last=True, page_offset=0).write_pdf()


def write_pdf(document: Document, target: Path, *, batch_rows: int,
              progress: Callable[[int, int], None] = lambda rows, pages: None) -> int:
    """Write ``document`` to ``target`` a batch of rows at a time; ``progress(rows, pages)`` after each batch.
    Returns the number of pages."""
    from pypdf import PdfWriter

    pages = 0
    with tempfile.TemporaryDirectory(dir=target.parent, prefix="tmp-print-") as work:
        parts = []
        for number, (rows, last) in enumerate(_with_last(document.batches(batch_rows))):
            laid_out = _part(document, rows, first=number == 0, last=last, page_offset=pages)
            part = Path(work) / f"{number:06d}.pdf"
            laid_out.write_pdf(part)
            pages += len(laid_out.pages)
            del laid_out  # the batch's layout goes before the next is made
            parts.append(part)
            progress(len(rows), pages)
        writer = PdfWriter()
        for part in parts:
            writer.append(str(part))
        writer.add_metadata({"/Title": document.title, "/Producer": "Lawtrace"})
        partial = Path(work) / "joined.pdf"
        with partial.open("wb") as handle:
            writer.write(handle)
        writer.close()
        partial.rename(target)
    return pages
