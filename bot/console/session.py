"""The offline console: the bot's commands at a terminal prompt, answered by bot.core.answers.

``Session.handle(line)`` parses one command line and returns a :class:`Reply`; the interactive
loop renders replies with :mod:`bot.console.render`, ``-c`` answers one line (``--json`` as JSON).
Commands carry the same names as the Discord commands: today, day, top, paper, author, search,
the reading list's save, unsave, saved (the console's own list, :data:`CONSOLE_USER`), and the
research answers: similar, trends (a PNG written to a file) and top rising.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import shlex
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from rich.console import Console
from rich.markup import escape

from bot.console import render as textrender
from bot.core import answers, reading, research
from bot.core.answers import AuthorAnswer, DayAnswer, SearchAnswer, TopAnswer
from bot.core.errors import BadNumber, BadPage, BadUsage, UnknownCommand, UserError
from bot.core.export import paper_record
from bot.core.reading import Removed, Saved
from bot.core.research import RisingAnswer, TrendsAnswer
from bot.i18n import bibliography, charts, phrases
from bot.i18n.catalog import tr, trn
from bot.i18n.words import one_line, shorten
from storage.errors import ReadingListError, UnknownPaper
from storage.models import Page, Paper, SavedPaper, SearchHit, SimilarPapers

if TYPE_CHECKING:
    from storage.ports import Store

log = logging.getLogger(__name__)

PROMPT: Final = "papers> "
HISTORY_FILE: Final = Path("~/.papers_bot_history")
COMMANDS: Final = (
    "today",
    "day",
    "top",
    "paper",
    "author",
    "search",
    "next",
    "prev",
    "page",
    "save",
    "unsave",
    "saved",
    "similar",
    "trends",
)
#: Whose reading list the console keeps: its own, apart from every Discord user's.
CONSOLE_USER: Final = 0
QUIT_WORDS: Final = frozenset({"quit", "exit", "q", ":q"})
_QUOTED_CHARS: Final = 24  # how much of a bad number an error message repeats

Answer = DayAnswer | TopAnswer | AuthorAnswer | SearchAnswer | RisingAnswer


@dataclass(frozen=True, slots=True)
class SavedList:
    """The reading list (``saved``), newest saved first."""

    items: tuple[SavedPaper, ...]


@dataclass(frozen=True, slots=True)
class Exported:
    """``saved export``: the list as ``text`` in ``fmt``, written to ``path`` when given."""

    fmt: reading.ExportFormat
    count: int
    text: str
    path: Path | None


Reading = Saved | Removed | SavedList | Exported


@dataclass(frozen=True, slots=True)
class Chart:
    """``trends``: the answer, and where its PNG was written (``None``: nothing to chart)."""

    answer: TrendsAnswer
    path: Path | None


@dataclass(frozen=True, slots=True)
class Reply:
    """What one command line produced.

    ``kind`` is the command (``today``, ``day``, ``top``, ``paper``, ``author``, ``search``,
    ``save``, ``unsave``, ``saved``, ``saved export``), ``help``, ``quit`` or ``message``
    (``text`` only). ``answer`` is the answer object, or the :class:`Paper` for ``paper``
    (``None`` when unknown, with ``ok`` False).
    """

    kind: str
    answer: Answer | Paper | Reading | SimilarPapers | Chart | None = None
    text: str = ""
    ok: bool = True


@dataclass(frozen=True, slots=True)
class _LastList:
    kind: str
    fetch: Callable[[int], Awaitable[Answer]]
    offset: int
    limit: int
    total: int


def _page_of(answer: Answer) -> Any:
    if isinstance(answer, SearchAnswer):
        return answer.hits
    return answer.papers


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:  # unbalanced quotes: take the words as they are
        return line.split()


def _int(text: str, what: str) -> int:
    """``text`` as a whole number; :class:`BadNumber` (quoting at most a few characters) for
    anything ``int`` refuses, including numbers past Python's digit limit."""
    try:
        return int(text)
    except ValueError:
        raise BadNumber(shorten(text, _QUOTED_CHARS), what) from None


def _scrub(line: str) -> str:
    """``line`` with lone surrogates (undecodable terminal bytes under ``surrogateescape``)
    replaced by U+FFFD, so every later step can encode it as UTF-8."""
    return line.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _write_png(folder: Path, png: bytes) -> Path:
    """``png`` in a new file of ``folder`` (``papers-trends-*.png``); its path."""
    fd, name = tempfile.mkstemp(prefix="papers-trends-", suffix=".png", dir=folder)
    with open(fd, "wb") as file:
        file.write(png)
    return Path(name)


class Session:
    """Answers command lines over one store and remembers the last list for paging."""

    def __init__(
        self,
        store: Store,
        *,
        page_size: int = answers.DEFAULT_COUNT,
        now: Callable[[], dt.datetime] | None = None,
        user_id: int = CONSOLE_USER,
        chart_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.chart_dir = chart_dir
        self.user_id = user_id
        self.page_size = answers.clamp_count(page_size)
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._last: _LastList | None = None

    async def handle(self, line: str) -> Reply:
        """Answer one command line; raises a :class:`~bot.core.errors.UserError` (such as
        :class:`~bot.core.errors.UnknownCommand`) for bad input."""
        words = _split(_scrub(line).strip())
        if not words:
            return Reply("message", text="")
        name, args = words[0].lower(), words[1:]
        if name in QUIT_WORDS:
            return Reply("quit")
        if name in ("help", "?", "h"):
            return Reply("help")
        handler = getattr(self, f"_cmd_{name}", None) if name in COMMANDS else None
        if handler is None:
            raise UnknownCommand(words[0])
        return await handler(args)

    # ---------------------------------------------------------------- lists

    async def _list(self, kind: str, fetch: Callable[[int], Awaitable[Answer]]) -> Reply:
        answer = await fetch(0)
        page = _page_of(answer)
        self._last = _LastList(kind, fetch, page.offset, page.limit, page.total)
        return Reply(kind, answer)

    async def _cmd_today(self, args: list[str]) -> Reply:
        if len(args) > 1:
            raise BadUsage("today")
        count = _int(args[0], "N") if args else self.page_size

        def fetch(offset: int) -> Awaitable[Answer]:
            return answers.today(self.store, count, now=self._now(), offset=offset)

        return await self._list("today", fetch)

    async def _cmd_day(self, args: list[str]) -> Reply:
        if not args or len(args) > 2:
            raise BadUsage("day")
        date = answers.parse_date(args[0])
        count = _int(args[1], "N") if len(args) > 1 else self.page_size

        def fetch(offset: int) -> Awaitable[Answer]:
            return answers.day(self.store, date, count, offset=offset)

        return await self._list("day", fetch)

    async def _cmd_top(self, args: list[str]) -> Reply:
        rising = bool(args) and args[0].lower() == "rising"
        if rising:
            args = args[1:]
        period: str | None = None
        since: dt.date | None = None
        until: dt.date | None = None
        count = self.page_size
        rest = list(args)
        while rest:
            word = rest.pop(0).lower()
            if word in ("since", "from", "until", "to"):
                if not rest:
                    raise BadUsage("top", word)
                date = answers.parse_date(rest.pop(0))
                if word in ("since", "from"):
                    since = date
                else:
                    until = date
            elif word.isdigit():
                count = _int(word, "N")
            else:
                period = answers.parse_period(word)

        def fetch(offset: int) -> Awaitable[Answer]:
            if rising:
                return research.rising(
                    self.store, period, since, until, count, now=self._now(), offset=offset
                )
            return answers.top(
                self.store, period, since, until, count, now=self._now(), offset=offset
            )

        return await self._list("top rising" if rising else "top", fetch)

    async def _cmd_similar(self, args: list[str]) -> Reply:
        if len(args) != 1:
            raise BadUsage("similar")
        return Reply("similar", await research.similar(self.store, args[0]))

    async def _cmd_trends(self, args: list[str]) -> Reply:
        if not args:
            raise BadUsage("trends")
        period = None
        if len(args) > 1 and args[-1].lower() in research.TREND_PERIODS:
            period, args = args[-1], args[:-1]
        # Words (shlex kept "quoted phrases" whole), or comma-separated terms.
        terms = " ".join(args) if any("," in a for a in args) else args
        answer = await research.trends(self.store, terms, period)
        if not answer.found:
            return Reply("trends", Chart(answer, None))
        png = await charts.chart_png(answer)
        folder = self.chart_dir or Path(tempfile.gettempdir())
        return Reply("trends", Chart(answer, await asyncio.to_thread(_write_png, folder, png)))

    async def _cmd_author(self, args: list[str]) -> Reply:
        name = " ".join(args)
        limit = self.page_size

        def fetch(offset: int) -> Awaitable[Answer]:
            return answers.author(self.store, name, limit=limit, offset=offset)

        return await self._list("author", fetch)

    async def _cmd_search(self, args: list[str]) -> Reply:
        words: list[str] = []
        options: dict[str, str] = {}
        rest = list(args)
        while rest:
            word = rest.pop(0)
            if word in ("--since", "--until", "--sort"):
                if not rest:
                    raise BadUsage("search", word)
                options[word[2:]] = rest.pop(0)
            else:
                words.append(word)
        query = " ".join(words)
        since = answers.parse_date(options["since"]) if "since" in options else None
        until = answers.parse_date(options["until"]) if "until" in options else None
        sort = options.get("sort", "relevance").lower()
        limit = self.page_size

        def fetch(offset: int) -> Awaitable[Answer]:
            return answers.search(
                self.store,
                query,
                since=since,
                until=until,
                sort=sort,
                limit=limit,
                offset=offset,
            )

        reply = await self._list("search", fetch)
        if isinstance(reply.answer, SearchAnswer) and reply.answer.paper is not None:
            self._last = None  # one paper, nothing to page
        return reply

    async def _cmd_paper(self, args: list[str]) -> Reply:
        ref = " ".join(args)
        found = await answers.paper(self.store, ref)
        if found is None:
            return Reply("paper", None, text=phrases.unknown_paper(repr(ref)), ok=False)
        return Reply("paper", found)

    # ---------------------------------------------------------------- reading list

    async def _cmd_save(self, args: list[str]) -> Reply:
        saved = await reading.save(self.store, self.user_id, " ".join(args), now=self._now())
        return Reply("save", saved)

    async def _cmd_unsave(self, args: list[str]) -> Reply:
        return Reply("unsave", await reading.unsave(self.store, self.user_id, " ".join(args)))

    async def _cmd_saved(self, args: list[str]) -> Reply:
        saved = await reading.saved_all(self.store, self.user_id)
        if not args:
            return Reply("saved", SavedList(tuple(saved)))
        if args[0].lower() != "export" or not 2 <= len(args) <= 3:
            raise BadUsage("saved")
        fmt = reading.export_format(args[1])
        text = bibliography.export(saved, fmt)
        path = Path(args[2]) if len(args) > 2 else None
        if path is not None:
            try:
                await asyncio.to_thread(path.write_text, text, encoding="utf-8")
            except OSError as exc:
                failed = tr("console.saved.write_failed", path=str(path), error=exc.strerror)
                return Reply("message", text=failed, ok=False)
        return Reply("saved export", Exported(fmt, len(saved), text, path))

    # ---------------------------------------------------------------- paging

    async def _goto(self, offset: int) -> Reply:
        last = self._last
        if last is None:
            return Reply("message", text=tr("console.paging.nothing"), ok=False)
        if offset < 0:
            return Reply("message", text=tr("console.paging.first"), ok=False)
        if offset >= max(1, last.total):
            return Reply("message", text=tr("console.paging.last"), ok=False)
        answer = await last.fetch(offset)
        page = _page_of(answer)
        self._last = _LastList(last.kind, last.fetch, page.offset, page.limit, page.total)
        return Reply(last.kind, answer)

    async def _cmd_next(self, args: list[str]) -> Reply:
        last = self._last
        return await self._goto(last.offset + last.limit if last else 0)

    async def _cmd_prev(self, args: list[str]) -> Reply:
        last = self._last
        return await self._goto(last.offset - last.limit if last else 0)

    async def _cmd_page(self, args: list[str]) -> Reply:
        if len(args) != 1:
            raise BadUsage("page")
        number = _int(args[0], "N")
        if number < 1:
            raise BadPage(number)
        last = self._last
        return await self._goto((number - 1) * last.limit if last else 0)


# --------------------------------------------------------------------------- rendering


def render(reply: Reply, console: Console) -> None:
    """Print a reply with rich."""
    answer = reply.answer
    if reply.kind == "help":
        console.print(textrender.render_help())
    elif reply.kind in ("quit",) or (reply.kind == "message" and not reply.text):
        return
    elif reply.kind == "message" or (reply.kind == "paper" and answer is None):
        console.print(escape(reply.text), style="yellow")
    elif isinstance(answer, Paper):
        console.print(textrender.render_paper(answer))
    elif isinstance(answer, DayAnswer):
        console.print(textrender.render_day(answer))
    elif isinstance(answer, TopAnswer):
        console.print(textrender.render_top(answer))
    elif isinstance(answer, AuthorAnswer):
        console.print(textrender.render_author(answer))
    elif isinstance(answer, SearchAnswer):
        console.print(textrender.render_search(answer))
    elif isinstance(answer, SavedList):
        console.print(textrender.render_saved(answer.items))
    elif isinstance(answer, SimilarPapers):
        console.print(textrender.render_similar(answer))
    elif isinstance(answer, RisingAnswer):
        console.print(textrender.render_rising(answer))
    elif isinstance(answer, Chart):
        _render_chart(answer, console)
    elif isinstance(answer, Exported):
        _render_export(answer, console)
    elif answer is not None:
        console.print(escape(_reading_text(answer)), highlight=False)


def _render_chart(chart: Chart, console: Console) -> None:
    if chart.path is None:
        console.print(escape(phrases.trends_note(chart.answer)), style="yellow", highlight=False)
        return
    console.print(escape(phrases.trends_summary(chart.answer)), highlight=False)
    console.print(escape(tr("console.trends.written", path=str(chart.path))), highlight=False)


def _reading_text(result: Saved | Removed) -> str:
    shown = repr(one_line(result.paper.title))
    if isinstance(result, Saved):
        return phrases.saved(result, shown)
    return phrases.removed(result, shown)


def _render_export(exported: Exported, console: Console) -> None:
    if exported.path is None:  # the file itself, as it is
        console.file.write(exported.text)
        console.file.flush()
        return
    text = trn("console.saved.exported", exported.count, path=str(exported.path))
    console.print(escape(text), highlight=False)


def _result(paper: Paper, snippet: str | None = None) -> dict[str, Any]:
    record = paper_record(paper)
    if snippet is None:
        first = paper.summary[0].text if paper.summary else ""
        snippet = shorten(one_line(first), textrender.SNIPPET_CHARS)
    return {
        "arxiv_id": record["arxiv_id"],
        "title": record["title"],
        "votes": record["votes"],
        "url": record["url"],
        "authors": record["authors"],
        "days": record["days"],
        "snippet": snippet,
    }


def _hit(hit: SearchHit) -> dict[str, Any]:
    return _result(hit.paper, textrender.plain_snippet(hit.snippet) or None)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def to_json(reply: Reply) -> dict[str, Any] | None:
    """The JSON form of a reply: lists as ``total`` + ``results``; a paper as its export record."""
    answer = reply.answer
    if isinstance(answer, Paper):
        return paper_record(answer)
    if answer is None:
        return None
    if isinstance(answer, Saved | Removed | SavedList | Exported):
        return {"command": reply.kind, **_reading_json(answer)}
    if isinstance(answer, SimilarPapers):
        return {"command": reply.kind, **_similar_json(answer)}
    if isinstance(answer, Chart):
        return {"command": reply.kind, **_chart_json(answer)}
    data: dict[str, Any] = {"command": reply.kind}
    page: Page[Any]
    if isinstance(answer, SearchAnswer):
        page = answer.hits
        results = [_hit(h) for h in answer.hits.items]
        data.update(
            query=answer.query,
            sort=answer.sort,
            since=_date(answer.since),
            until=_date(answer.until),
            suggestions=[tip.value for tip in answer.tips],
        )
    elif isinstance(answer, RisingAnswer):
        page = answer.papers
        results = [
            {
                **_result(r.paper),
                "start_votes": r.start_votes,
                "end_votes": r.end_votes,
                "gained": r.gained,
            }
            for r in answer.papers.items
        ]
        data.update(period=answer.period, since=_date(answer.since), until=_date(answer.until))
    else:
        page = answer.papers
        results = [_result(p) for p in answer.papers.items]
        if isinstance(answer, DayAnswer):
            data.update(
                date=_date(answer.date),
                requested=_date(answer.requested),
                before=_date(answer.before),
                after=_date(answer.after),
            )
        elif isinstance(answer, TopAnswer):
            data.update(period=answer.period, since=_date(answer.since), until=_date(answer.until))
        elif isinstance(answer, AuthorAnswer):
            data.update(
                query=answer.query,
                author=answer.author.name if answer.author else None,
                matches=[a.name for a in answer.other_matches],
                suggestions=[a.name for a in answer.suggestions],
            )
            if answer.profile is not None:
                data.update(
                    author_papers=answer.author.paper_count if answer.author else 0,
                    total_votes=answer.profile.total_votes,
                    coauthors=[
                        {"name": c.author.name, "shared_papers": c.shared_papers}
                        for c in answer.profile.coauthors
                    ],
                )
    why = answer.why
    data.update(
        note=why.value if why is not None else None,
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        results=results,
    )
    if page.more:  # a search counts up to 1,000: total is a lower bound
        data["more"] = True
    return data


def _similar_json(found: SimilarPapers) -> dict[str, Any]:
    results = [
        {
            **_result(item.paper),
            "score": round(item.score, 4),
            "reasons": [reason.value for reason in item.reasons],
            "terms": list(item.terms),
            "shared_authors": list(item.authors),
            "same_day": _date(item.day),
        }
        for item in found.items
    ]
    return {"arxiv_id": found.paper.arxiv_id, "total": len(results), "results": results}


def _chart_json(chart: Chart) -> dict[str, Any]:
    answer = chart.answer
    return {
        "terms": list(answer.terms),
        "range": answer.period,
        "bucket": answer.bucket,
        "since": _date(answer.since),
        "until": _date(answer.until),
        "note": answer.why.value if answer.why is not None else None,
        "path": str(chart.path) if chart.path is not None else None,
        "series": [
            {
                "term": trend.term,
                "papers": trend.papers,
                "votes": trend.votes,
                "counts": [
                    {"start": p.start.isoformat(), "papers": p.papers, "votes": p.votes}
                    for p in trend.points
                ],
            }
            for trend in answer.series
        ],
    }


def _reading_json(answer: Reading) -> dict[str, Any]:
    match answer:
        case Saved(paper=paper, added=added, count=count, limit=limit):
            return {"arxiv_id": paper.arxiv_id, "added": added, "count": count, "limit": limit}
        case Removed(paper=paper, removed=removed):
            return {"arxiv_id": paper.arxiv_id, "removed": removed}
        case SavedList(items=items):
            results = [{**_result(s.paper), "saved_at": s.saved_at.isoformat()} for s in items]
            return {"total": len(items), "results": results}
        case Exported(fmt=fmt, count=count, text=text, path=path):
            data: dict[str, Any] = {"format": fmt, "count": count}
            return data | ({"file": str(path)} if path is not None else {"text": text})
    raise TypeError(answer)  # pragma: no cover - every kind is matched above


# --------------------------------------------------------------------------- entry points


async def run_once(
    store: Store,
    line: str,
    *,
    as_json: bool = False,
    out: Console | None = None,
    err: Console | None = None,
) -> int:
    """Answer one command line (``console -c``); returns the exit status.

    0 answered (even with no results), 1 the paper asked for is unknown, 2 bad input (or a
    full reading list).
    """
    out = out or Console(soft_wrap=as_json)
    err = err or Console(stderr=True)
    session = Session(store)
    try:
        reply = await session.handle(line)
    except (UserError, ReadingListError) as exc:
        message = escape(phrases.describe_error(exc))
        err.print(f"papers-bot: error: {message}", style="red", highlight=False)
        return 1 if isinstance(exc, UnknownPaper) else 2
    if as_json:
        data = to_json(reply)
        if data is None:
            if reply.kind == "help":
                data = {
                    "commands": [c for c, _ in textrender.HELP_COMMANDS],
                    "source": phrases.DATA_SOURCE,
                    "licence": phrases.DATA_LICENCE,
                }
            else:
                if reply.text:
                    err.print(escape(reply.text), style="yellow", highlight=False)
                return 0 if reply.ok else 1
        out.file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        out.file.flush()
    else:
        render(reply, out)
    return 0 if reply.ok else 1


def _setup_readline() -> Callable[[], None]:
    """Enable line editing and history when readline exists; returns a function that saves it."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline
        return lambda: None
    path = HISTORY_FILE.expanduser()
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)

    def save() -> None:
        try:
            readline.write_history_file(path)
        except OSError as exc:
            log.debug("Could not save history to %s: %s", path, exc)

    return save


def banner() -> str:
    return (
        f"[bold]papers-bot console[/] · {escape(tr('console.banner.what'))}\n"
        f"[dim]{escape(phrases.samples_credit())}\n"
        f"{escape(tr('console.banner.how'))}[/]"
    )


def interactive(
    runner: asyncio.Runner,
    store: Store,
    *,
    out: Console | None = None,
    input_func: Callable[[str], str] | None = None,
    history: bool = True,
) -> int:
    """The prompt loop. Input is read on the main thread (so Ctrl-C and readline behave);
    each command runs on ``runner``'s event loop, where the store lives."""
    out = out or Console()
    read_line = input_func or input
    save_history = _setup_readline() if history else (lambda: None)
    session = Session(store)
    out.print(banner())
    try:
        while True:
            try:
                line = read_line(PROMPT)
            except EOFError:
                out.print()
                return 0
            except KeyboardInterrupt:
                out.print("^C")
                continue
            try:
                reply = runner.run(session.handle(line))
            except (UserError, ReadingListError) as exc:
                out.print(escape(phrases.describe_error(exc)), style="red", highlight=False)
                continue
            except KeyboardInterrupt:
                out.print(escape(tr("console.interrupted")))
                continue
            except Exception:  # one bad line never ends the session
                log.exception("Console line failed: %r", line)
                out.print(escape(tr("console.crashed")), style="red", highlight=False)
                continue
            if reply.kind == "quit":
                return 0
            render(reply, out)
    finally:
        save_history()
