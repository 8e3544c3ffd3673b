"""Text as shown to people: characters that are invisible or reorder what follows them are written out.

A name from a camera, a station or a browser may carry a NUL, a control character or a bidi override; new ones
are refused at the door (evidence.naming), but anything already stored is shown with those characters as
``\\uXXXX``, so ``clip\\u202egpj.exe`` never reads as ``clipexe.jpg`` on a page, in a PDF or on the command line.
"""

from __future__ import annotations

import unicodedata

# The bidi embeddings, overrides and isolates and the marks that steer them (all format characters, listed for
# the reader).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Joiners are format characters too, but Indic and emoji names need them; they change no order.
_ALLOWED_FORMAT = frozenset("\u200c\u200d")


def hidden(ch: str) -> bool:
    """Whether ``ch`` is invisible or changes how the text around it is shown."""
    if ch in _ALLOWED_FORMAT:
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") or ch in BIDI_CONTROLS


def escaped(text: str) -> str:
    """``text`` with every hidden character written out as ``\\uXXXX``."""
    return "".join(f"\\u{ord(ch):04x}" if hidden(ch) else ch for ch in text or "")
