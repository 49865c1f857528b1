"""Property tests: arbitrary text in every text option and console line gets a normal answer.

Arbitrary Unicode (no lone surrogates: Discord's JSON cannot carry them), control characters and
FTS5 / SQL syntax, through the real CommandTree: every answer is an ordinary reply or a clear
refusal, never the "something went wrong" apology, and nothing is logged as an error. Example
counts stay small so the suite stays fast; hypothesis keeps the failures it finds.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import ALICE, CHANNEL_ID, GUILD_ID, Harness, interaction_payload, snowflake
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.console.session import Session
from bot.core.errors import UserError
from bot.i18n.catalog import tr, use_locale
from storage.sqlite.store import Store

SYNTAX = (
    '"',
    "'",
    "*",
    "NEAR(",
    ")",
    "(",
    "OR",
    "AND",
    "NOT",
    "^",
    ":",
    "-",
    "+",
    "%",
    "_",
    ";",
    "--",
    "/*",
    "*/",
    "DROP TABLE papers;",
    "' OR 1=1 --",
    "title:",
    "\\",
    "\x00",
    "\n",
    "\t",
    "\u200b",
    "\u202e",
    "@everyone",
    "<@1>",
    "**",
    "`",
    "확산",
    "Nießner",
    "ﷺ",
    "𝔘𝔫𝔦",
)
#: Free text as someone might type or paste it: words, syntax, controls, any script.
TEXT = st.lists(
    st.one_of(
        st.sampled_from(SYNTAX),
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=12,
).map(lambda parts: " ".join(parts)[:200])

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Errors(logging.Handler):
    """Collects the records logged at ERROR or above."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Bot:
    """A harness on its own event loop, so hypothesis's synchronous tests can drive it."""

    def __init__(self, runner: asyncio.Runner, harness: Harness, errors: Errors) -> None:
        self.runner = runner
        self.harness = harness
        self.errors = errors

    def run(self, payload: dict[str, Any]) -> Any:
        return self.runner.run(self.harness.dispatch(payload))


@pytest.fixture
def bot(tmp_path: Path, sample_db: Path) -> Iterator[Bot]:
    target = tmp_path / "papers.db"
    shutil.copyfile(sample_db, target)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    with asyncio.Runner() as runner:
        store = runner.run(Store.open(target))
        harness = runner.run(Harness.create(store))
        try:
            yield Bot(runner, harness, errors)
        finally:
            runner.run(harness.close())
            runner.run(store.close())
            logging.getLogger().removeHandler(errors)


def command(name: str, sub: str | None, option: str, value: str) -> dict[str, Any]:
    """An interaction payload for ``/name [sub] option:value`` (a string option)."""
    if name == "digest":
        return digest_payload(value)
    rendered: list[dict[str, Any]] = [{"name": option, "type": 3, "value": value}]
    if sub is not None:
        rendered = [{"name": sub, "type": 1, "options": rendered}]
    data = {"id": str(snowflake()), "name": name, "type": 1, "options": rendered}
    return interaction_payload(2, data, user=ALICE, context="guild", permissions=str(1 << 5))


def assert_normal(bot: Bot, result: Any) -> None:
    """An answer was sent, it is not the apology, and nothing was logged as an error."""
    with use_locale("en"):
        apology = tr("error.apology.title")
    assert result.sent, "no answer"
    assert all(e.get("title") != apology for r in result.sent for e in r.embeds)
    assert bot.errors.records == []


OPTIONS = [
    ("search", None, "query"),
    ("author", None, "name"),
    ("paper", None, "id"),
    ("ask", None, "question"),
    ("alerts", "add", "keywords"),
    ("alerts", "add", "author"),
    ("alerts", "remove", "alert"),
    ("digest", "set", "time"),
]


@pytest.mark.parametrize(("name", "sub", "option"), OPTIONS, ids=lambda v: str(v))
def test_any_text_in_a_text_option_gets_a_normal_answer(
    bot: Bot, name: str, sub: str | None, option: str
) -> None:
    """Arbitrary text in each text option is answered or refused clearly, never an apology."""

    @PROPERTY
    @given(text=TEXT)
    def check(text: str) -> None:
        assert_normal(bot, bot.run(command(name, sub, option, text)))

    check()


def digest_payload(time: str) -> dict[str, Any]:
    """``/digest set channel:#papers time:<time> timezone:<time>`` by a Manage Server member."""
    options = [
        {"name": "channel", "type": 7, "value": str(CHANNEL_ID)},
        {"name": "time", "type": 3, "value": time},
        {"name": "timezone", "type": 3, "value": time[:64]},
    ]
    data = {
        "id": str(snowflake()),
        "name": "digest",
        "type": 1,
        "options": [{"name": "set", "type": 1, "options": options}],
        "resolved": {
            "channels": {
                str(CHANNEL_ID): {
                    "id": str(CHANNEL_ID),
                    "type": 0,
                    "name": "papers",
                    "permissions": "0",
                    "guild_id": str(GUILD_ID),
                    "parent_id": None,
                }
            }
        },
    }
    return interaction_payload(2, data, user=ALICE, context="guild", permissions=str(1 << 5))


@PROPERTY
@given(
    text=TEXT, command_word=st.sampled_from(["", "search ", "author ", "paper ", "top ", "day "])
)
def test_any_console_line_gets_a_normal_answer(
    tmp_path: Path, sample_db: Path, text: str, command_word: str
) -> None:
    """Any console line is answered or is a clear UserError; nothing else is raised."""
    target = tmp_path / "console.db"
    shutil.copyfile(sample_db, target)

    async def answer() -> None:
        async with await Store.open(target) as store:
            try:
                await Session(store).handle(command_word + text)
            except UserError:
                pass

    asyncio.run(answer())
