"""Citations as people read them: the compact ``001/2/8`` of code and packs becomes 《…管理制度》第八条.

Every pack declares the documents its citations start with; a document's number is unique across installations
(the file it comes from), so one index of every known pack's documents resolves any stored citation, including those
kept on findings and schedules long after the pack that wrote them was replaced.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from policy.schema import Document, PolicyPack

_DIGITS = "零一二三四五六七八九"
_SEPARATORS = re.compile(r"\s*[,，、;；]\s*")
_index: dict[str, Document] = {}
_lock = threading.Lock()


def register(pack: PolicyPack) -> None:
    """Make a pack's documents resolvable; later versions may retitle a document."""
    with _lock:
        for document in pack.documents:
            _index[document.id] = document


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 24 → 二十四, 105 → 一百零五 (articles and items of a rulebook)."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + _DIGITS[rest] if rest < 10 else chinese_number(rest) if rest >= 20
                                 else "一" + chinese_number(rest))
    return _DIGITS[n // 100] + "百" + tail


def _document(cite: str) -> Document | None:
    best = None
    for ident, document in _index.items():
        if (cite == ident or cite.startswith(ident + "/")) and (best is None or len(ident) > len(best.id)):
            best = document
    return best


def _paren(part: str) -> str:
    return "（" + part[1:-1] + "）"


def _articles(parts: list[str]) -> str:
    out = []
    for position, part in enumerate(parts):
        if part.startswith("(") and part.endswith(")"):
            out.append(f"第{_paren(part)}项")
        elif part.isdigit():
            out.append(f"第{chinese_number(int(part))}{'条' if position == 0 else '款'}")
        else:
            out.append(part)
    return "".join(out)


def _rows(parts: list[str]) -> str:
    out = []
    for part in parts:
        if part.startswith("(") and part.endswith(")"):
            out.append(_paren(part))
        elif part.isdigit():
            out.append(f"第{part}项")
        elif all(c in _DIGITS + "十百" for c in part):
            out.append(f"{part}、")
        else:
            out.append(part)
    return "".join(out)


def _parts(cite: str) -> tuple[Document | None, str]:
    cite = cite.strip()
    document = _document(cite)
    if document is None:
        return None, cite
    rest = [p for p in cite[len(document.id):].split("/") if p]
    return document, (_rows(rest) if document.numbering == "rows" else _articles(rest)) if rest else ""


def law_text(cite: str) -> str:
    """One citation as law: 《title》 and the place inside it; an unknown document is shown as written."""
    document, place = _parts(cite)
    return place if document is None else f"《{document.title}》{place}"


def split(cites: str | Iterable[str] | None) -> list[str]:
    if not cites:
        return []
    if isinstance(cites, str):
        return [c for c in _SEPARATORS.split(cites) if c]
    return [str(c) for c in cites if c]


def law(cites: str | Iterable[str] | None) -> str:
    """Several citations (a list, or a string as stored: ``001/2/8, 001/3/6``) as law, joined with 、; places in the
    same document as the one before follow without repeating its title (《…》第四条第（一）项、第七条)."""
    out: list[str] = []
    previous = None
    for cite in split(cites):
        document, place = _parts(cite)
        if document is None or document is previous and place:
            out.append(place)
        else:
            out.append(f"《{document.title}》{place}")
        previous = document
    return "、".join(out)
