"""Reading lists: a user's saved papers (private to them, the same in every server and DM).

Typed values only; :mod:`bot.i18n.phrases` says them and :mod:`bot.i18n.bibliography` writes
the exports. A reference that names no stored paper raises
:class:`~storage.errors.UnknownPaper` (with the reference as typed), a full list
:class:`~storage.errors.SavedLimitReached`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from bot.core import answers
from bot.core.errors import UnknownFormat
from storage.errors import UnknownPaper
from storage.models import MAX_SAVED, Page, Paper, SavedPaper

if TYPE_CHECKING:
    from storage.ports import Store

#: Saved papers on one page of ``/saved``.
PAGE_SIZE: Final = 10

ExportFormat = Literal["bibtex", "markdown", "csv"]
EXPORT_FORMATS: Final[tuple[ExportFormat, ...]] = ("bibtex", "markdown", "csv")


def export_format(text: str) -> ExportFormat:
    """The export format ``text`` names (any case); :class:`UnknownFormat` otherwise."""
    for fmt in EXPORT_FORMATS:
        if fmt == text.strip().lower():
            return fmt
    raise UnknownFormat(text, EXPORT_FORMATS)


@dataclass(frozen=True, slots=True)
class Saved:
    """What saving did: ``added`` is False when the paper was in the list already."""

    paper: Paper
    added: bool
    count: int
    limit: int


@dataclass(frozen=True, slots=True)
class Removed:
    """What removing did: ``removed`` is False when the paper was not in the list."""

    paper: Paper
    removed: bool


async def _stored(store: Store, ref: str) -> Paper:
    paper = await answers.paper(store, ref)
    if paper is None:
        raise UnknownPaper(ref.strip())
    return paper


async def save(store: Store, user_id: int, ref: str, *, now: dt.datetime) -> Saved:
    """Save the paper ``ref`` names (an id or a link) to the user's list."""
    paper = await _stored(store, ref)
    added = await store.save_paper(user_id, paper.arxiv_id, at=now, limit=MAX_SAVED)
    count = (await store.saved_papers(user_id, limit=0)).total
    return Saved(paper, added, count, MAX_SAVED)


async def unsave(store: Store, user_id: int, ref: str) -> Removed:
    """Remove the paper ``ref`` names from the user's list."""
    paper = await _stored(store, ref)
    return Removed(paper, await store.unsave_paper(user_id, paper.arxiv_id))


async def saved_page(store: Store, user_id: int, *, offset: int = 0) -> Page[SavedPaper]:
    """One page of the user's list, newest first."""
    return await store.saved_papers(user_id, limit=PAGE_SIZE, offset=max(0, offset))


async def saved_all(store: Store, user_id: int) -> list[SavedPaper]:
    """The user's whole list, newest first (for an export)."""
    return list((await store.saved_papers(user_id, limit=MAX_SAVED)).items)
