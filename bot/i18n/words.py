"""Text shaping shared by every renderer (Discord embeds and the terminal): plain text, no markup.

Long text is cut by characters (Korean is three bytes a character but one character), never by
bytes.
"""

from __future__ import annotations

ELLIPSIS = "…"


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) to single spaces."""
    return " ".join(text.split())


def shorten(text: str, limit: int, *, placeholder: str = ELLIPSIS) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending in ``placeholder`` when cut.

    A lone backslash left at the cut is dropped, so it cannot escape the placeholder in
    markdown.
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit <= len(placeholder):
        return placeholder[:limit]
    cut = text[: limit - len(placeholder)].rstrip()
    if cut.endswith("\\") and not cut.endswith("\\\\"):
        cut = cut[:-1]
    return cut + placeholder
