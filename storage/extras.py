"""What the Hugging Face daily papers API adds to a paper: stored, and merged into papers.

A mixin that :class:`storage.store.Store` inherits (same ``_run``/``_Conn`` pattern as
:mod:`storage.guilds`). Migration 3 added the columns ``ai_summary``, ``keywords`` (JSON list),
``github_repo``, ``github_stars`` and ``project_page`` to ``papers``.

:meth:`storage.store.Store.import_api_digest` writes them with the rest of a day's rows (see
there for which content wins); :meth:`PaperExtrasStore.with_extras` fills them into
:class:`~storage.models.Paper` objects for the renderers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from storage.models import Paper

if TYPE_CHECKING:
    from storage.store import _Conn

log = logging.getLogger(__name__)
T = TypeVar("T")


class PaperExtrasStore:
    """The API-extras half of :class:`~storage.store.Store` (mixed in; uses its ``_run``)."""

    if TYPE_CHECKING:

        async def _run(self, fn: Callable[..., T], *args: Any) -> T: ...

        def _papers(self, c: _Conn, ids: Sequence[int]) -> list[Paper]: ...

    async def with_extras(self, papers: Sequence[Paper]) -> list[Paper]:
        """``papers`` with their stored API extras filled in (same order)."""
        if not papers:
            return []
        ids = json.dumps([p.arxiv_id for p in papers])
        rows = await self._run(
            lambda c: c.all(
                """SELECT arxiv_id, ai_summary, keywords, github_repo, github_stars, project_page
                   FROM papers WHERE arxiv_id IN (SELECT value FROM json_each(?))""",
                (ids,),
            )
        )
        found: dict[str, dict[str, Any]] = {}
        for arxiv_id, ai_summary, keywords, repo, stars, page in rows:
            try:
                words = tuple(str(k) for k in json.loads(keywords)) if keywords else ()
            except (ValueError, TypeError):
                words = ()
            found[arxiv_id] = {
                "ai_summary": ai_summary,
                "keywords": words,
                "github_repo": repo,
                "github_stars": stars,
                "project_page": page,
            }
        return [
            dataclasses.replace(p, **found[p.arxiv_id]) if p.arxiv_id in found else p
            for p in papers
        ]
