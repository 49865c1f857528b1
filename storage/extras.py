"""What the Hugging Face daily papers API adds to a paper, and how it is stored.

A mixin that :class:`storage.store.Store` inherits (same ``_run``/``_Conn`` pattern as
:mod:`storage.guilds`). Migration 3 added the columns ``ai_summary``, ``keywords`` (JSON list),
``github_repo``, ``github_stars`` and ``project_page`` to ``papers``.

:meth:`PaperExtrasStore.import_digest_with_extras` imports a digest exactly like
``Store.import_digest`` (the same ``_import_sync``, in the same single transaction) and then
writes the extras of the papers whose content that digest provides: a day imports whole, extras
included, or not at all. Reading them needs nothing here: every :class:`~storage.models.Paper`
the store returns carries its extras (``Store._papers`` reads them with the rest of the row).

Which content wins: the API's title, abstract, authors and image are used only for papers not
stored yet. A paper already stored (typically from a markdown digest with its Korean summary)
keeps its content; the API refreshes its votes, its appearance that day, and the extras. The
fetcher asks the API for the last few days every hour, so without this rule English abstracts
would replace the Korean summaries of the same day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from storage.models import ImportResult, Paper, ParsedDigest, ParsedPaper

if TYPE_CHECKING:
    from storage.store import _Conn

log = logging.getLogger(__name__)
T = TypeVar("T")


class PaperExtrasStore:
    """The API-extras half of :class:`~storage.store.Store` (mixed in; uses its ``_run``)."""

    if TYPE_CHECKING:

        async def _run(self, fn: Callable[..., T], *args: Any) -> T: ...

        def _import_sync(
            self, c: _Conn, day: str, source: str, now: str, papers: dict[str, ParsedPaper]
        ) -> tuple[int, int]: ...

        def _papers(self, c: _Conn, ids: Sequence[int]) -> list[Paper]: ...

    async def import_digest_with_extras(self, digest: ParsedDigest) -> ImportResult:
        """``import_digest`` plus the API extras, in one transaction."""
        from storage.store import unique_papers

        day = digest.date.isoformat()
        source = digest.source or "<string>"
        papers, problems = unique_papers(digest)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = [
            (
                p.ai_summary,
                json.dumps(list(p.keywords), ensure_ascii=False) if p.keywords else None,
                p.github_repo,
                p.github_stars,
                p.project_page,
                p.arxiv_id,
                day,
            )
            for p in papers.values()
        ]

        def work(c: _Conn) -> tuple[int, int]:
            stored_ids = [
                row[0]
                for row in c.all(
                    "SELECT id FROM papers WHERE arxiv_id IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(papers)),),
                )
            ]
            for old in self._papers(c, stored_ids):  # keep the content already stored
                papers[old.arxiv_id] = dataclasses.replace(
                    papers[old.arxiv_id],
                    title=old.title,
                    url=old.url,
                    authors=old.authors,
                    authors_truncated=old.authors_truncated,
                    media=old.media,
                    summary=old.summary,
                )
            counts = self._import_sync(c, day, source, now, papers)
            # Only papers whose content this digest now provides (as for title and summary).
            c.executemany(
                """UPDATE papers SET ai_summary = ?, keywords = ?, github_repo = ?,
                          github_stars = ?, project_page = ?
                   WHERE arxiv_id = ? AND content_date = ?""",
                rows,
            )
            return counts

        new, updated = await self._run(lambda c: c.transaction(work))
        log.debug("%s: imported %s with extras (%d new, %d updated)", source, day, new, updated)
        return ImportResult(
            source=source,
            date=digest.date,
            new_papers=new,
            updated_papers=updated,
            problems=tuple(problems),
        )
