"""Wording shared by every renderer (Discord embeds and the terminal): plain text, no markup."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 paper``, ``3 papers``, ``1,204 papers``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"
