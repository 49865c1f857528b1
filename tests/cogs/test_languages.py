"""Korean and English end to end through the real command tree: each user's Discord language
picks the replies' language, the localised command payload keeps Discord's limits, and a
pseudo-language finds any sentence that skipped the catalogues."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands
from harness import BOB, Harness, Result

from bot.discord_ui import client, paginator
from bot.discord_ui.digest import digest_messages
from bot.i18n.catalog import CLOSE, OPEN, PSEUDO, use_locale
from storage.sqlite.store import Store

#: The digest day with the longest (and nastiest) data, imported by tests/cogs/conftest.py.
CONFTEST = Path(__file__).with_name("conftest.py")
NASTY_ID = "2501.00001"
NAME_RE = re.compile(r"^[-_\w]{1,32}$")
HANGUL_RE = re.compile(r"[\uac00-\ud7af]")
ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "storage" / "ingest" / "samples"


def visible(result: Result) -> list[str]:
    """Every piece of UI text the last reply shows: content, embed parts, buttons, menus."""
    request = result.last
    parts = [request.content]
    for embed in request.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [(embed.get("footer") or {}).get("text", "")]
        for field in embed.get("fields", []):
            parts += [field["name"], field["value"]]
    for row in request.components or []:
        for component in row.get("components", []):
            parts += [component.get("label") or "", component.get("placeholder") or ""]
            parts += [
                o.get("label", "") + o.get("description", "") for o in component.get("options", [])
            ]
    return [p for p in parts if p]


# --------------------------------------------------------------------------- the command tree


@pytest.mark.parametrize("locale", ["ko", "en-US"])
async def test_localised_payload_keeps_discords_limits(harness: Harness, locale: str) -> None:
    """After translation every name is lower case ^[-_\\w]{1,32}$ and unique in its level,
    every description 1-100 characters, every choice name at most 100, in both languages."""
    tree, translator = harness.tree, harness.tree.translator
    assert translator is not None
    for command in tree.get_commands():
        payload = await command.get_translated_payload(tree, translator)
        check_level([payload], locale)


def check_level(items: list[dict[str, Any]], locale: str) -> None:
    names = [item.get("name_localizations", {}).get(locale, item["name"]) for item in items]
    assert len(names) == len(set(names)), names
    for item, name in zip(items, names, strict=True):
        assert NAME_RE.match(name) and name == name.lower(), name
        if "description" in item:
            text = item.get("description_localizations", {}).get(locale, item["description"])
            assert 1 <= len(text) <= 100, (name, text)
        for choice in item.get("choices", []):
            assert 1 <= len(choice.get("name_localizations", {}).get(locale, choice["name"])) <= 100
        if item.get("options"):
            check_level(item["options"], locale)


async def test_korean_names_for_every_command(harness: Harness) -> None:
    """Each command has a Korean name and description, different from the English."""
    tree, translator = harness.tree, harness.tree.translator
    assert translator is not None
    for command in tree.get_commands():
        payload = await command.get_translated_payload(tree, translator)
        assert HANGUL_RE.search(payload["name_localizations"]["ko"]), payload["name"]
        assert HANGUL_RE.search(payload["description_localizations"]["ko"]), payload["name"]


# --------------------------------------------------------------------------- replies


KOREAN_COMMANDS: list[tuple[str, dict[str, Any], str]] = [
    ("today", {}, "데일리 페이퍼"),
    ("search", {"query": "diffusion"}, "검색"),
    ("paper", {"ref": "2406.06523"}, "추천"),
    ("author", {"name": "Yejin Choi"}, "논문"),
    ("top", {}, "인기 논문"),
    ("help", {}, "데이터"),
    ("day", {"date": "2024-02-30"}, "날짜가 아닙니다"),
]


@pytest.mark.parametrize(("name", "options", "word"), KOREAN_COMMANDS)
async def test_korean_client_gets_korean(
    harness: Harness, name: str, options: dict[str, Any], word: str
) -> None:
    """From a Korean client each command answers in Korean (UI text, not the data)."""
    options = {"id" if k == "ref" else k: v for k, v in options.items()}
    result = await harness.command(name, locale="ko", **options)
    text = "\n".join(visible(result))
    assert word in text
    for english in ("Showing", "Votes", "Authors", "Daily Papers ·", "Can't do that", "e.g."):
        assert english not in text, english


@pytest.mark.parametrize(("name", "options", "word"), KOREAN_COMMANDS)
async def test_english_client_gets_no_korean_ui(
    harness: Harness, name: str, options: dict[str, Any], word: str
) -> None:
    """From an English client no Korean UI text appears (titles, footers, fields, buttons)."""
    options = {"id" if k == "ref" else k: v for k, v in options.items()}
    result = await harness.command(name, locale="en-US", **options)
    embed = result.embed
    ui = [embed.get("title", ""), (embed.get("footer") or {}).get("text", "")]
    ui += [f["name"] for f in embed.get("fields", [])]
    if name in ("help", "day"):
        ui.append(embed.get("description", "").split("`")[0])
    assert not any(HANGUL_RE.search(part) for part in ui), ui


async def test_paging_click_keeps_korean(harness: Harness) -> None:
    """Next page of a Korean /today is Korean, and its buttons too."""
    result = await harness.command("today", locale="ko", count=5)
    labels = [c.get("label") for row in result.last.components or [] for c in row["components"]]
    assert "다음 ›" in labels
    pressed = await harness.press(result.message_id, "pager:next", locale="ko")
    assert "논문 20편 중 6-10" in pressed.embed["footer"]["text"]


async def test_someone_else_is_refused_in_their_language(harness: Harness) -> None:
    """A Korean answer's buttons pressed by an English user: refused in English."""
    result = await harness.command("today", locale="ko", count=5)
    pressed = await harness.press(result.message_id, "pager:next", user=BOB, locale="en-US")
    assert "can page this" in pressed.embed["description"]


async def test_digest_post_in_the_servers_language(harness: Harness, store: Store) -> None:
    """A digest post in Korean and in English: title, footer and marker in that language."""
    page = await store.day_papers(await store.latest_day() or None, limit=3)  # type: ignore[arg-type]
    day = page.items[0].last_day
    assert day is not None
    with use_locale("ko"):
        korean = digest_messages(day, page.items, total=page.total)[0][0]
    with use_locale("en"):
        english = digest_messages(day, page.items, total=page.total)[0][0]
    assert (korean.title or "").startswith("데일리 페이퍼 · 2025년 5월 9일")
    assert (english.title or "").startswith("Daily Papers · Fri, May 9, 2025")
    assert "추천순 상위 3편" in (korean.footer.text or "")


@pytest.mark.parametrize("language", ["ko", "en"])
async def test_longest_paper_card_within_limits(
    harness: Harness, store: Store, language: str
) -> None:
    """The longest real data (700 authors, a very long Korean summary) fits every embed limit,
    counted in characters as Discord counts them, in both languages."""
    locale = "ko" if language == "ko" else "en-US"
    result = await harness.command("paper", locale=locale, id=NASTY_ID)
    embed = result.embed
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len((embed.get("footer") or {}).get("text", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    assert total <= 6000
    assert len(embed.get("description", "")) <= 4096
    assert all(len(f["value"]) <= 1024 and len(f["name"]) <= 256 for f in embed["fields"])


# --------------------------------------------------------------------------- pseudo-language


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every interaction speaks the pseudo-language: each catalogue message in ⟦…⟧."""
    monkeypatch.setattr(client, "locale_from_discord", lambda _: PSEUDO)
    monkeypatch.setattr(paginator, "locale_from_discord", lambda _: PSEUDO)


def data_text() -> str:
    """All the data the bot shows (titles, authors, summaries): the samples and the nasty day."""
    files = [*SAMPLES.rglob("*.md"), CONFTEST]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def stray_words(part: str, data: str) -> set[str]:
    """Words outside the markers that are not data (a cut snippet may end in part of one)."""
    return {w for w in re.findall(r"[^\W\d_]+", outside_markers(part)) if w not in data}


def outside_markers(text: str) -> str:
    """What is left of ``text`` once every marked message, link and code span is taken out."""
    inner = re.compile(re.escape(OPEN) + r"[^" + OPEN + CLOSE + r"]*" + re.escape(CLOSE))
    while inner.search(text):
        text = inner.sub(" ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"`[^`]*`", " ", text)


PSEUDO_COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("today", {"count": 5}),
    ("day", {"date": "2024-06-14"}),
    ("day", {"date": "2023-11-22"}),
    ("day", {"date": "2024-02-30"}),
    ("top", {"period": "week"}),
    ("top", {"since": "2020-01-01", "until": "2020-01-02"}),
    ("search", {"query": "diffusion"}),
    ("search", {"query": "zzqqxx wwvvyy"}),
    ("paper", {"id": "2406.06523"}),
    ("paper", {"id": NASTY_ID}),
    ("paper", {"id": "9999.99999"}),
    ("author", {"name": "Wang"}),
    ("author", {"name": "Qqqxyz Nobody"}),
    ("help", {}),
    ("ask", {"question": "2025-05-08"}),  # no words: the client's language
    ("alerts", {}),
]


@pytest.mark.usefixtures("pseudo")
@pytest.mark.parametrize(("name", "options"), PSEUDO_COMMANDS)
async def test_no_text_outside_the_catalogues(
    harness: Harness, name: str, options: dict[str, Any]
) -> None:
    """Every answer kind, error and button: any visible word outside the markers is data."""
    if name == "alerts":
        result = await alerts_list(harness)
    else:
        result = await harness.command(name, **options)
    data = data_text()
    for part in visible(result):
        assert not stray_words(part, data), part


async def alerts_list(harness: Harness) -> Result:
    from harness import interaction_payload, snowflake

    data = {
        "id": str(snowflake()),
        "name": "alerts",
        "type": 1,
        "options": [{"name": "list", "type": 1, "options": []}],
    }
    return await harness.dispatch(interaction_payload(2, data))


@pytest.mark.usefixtures("pseudo")
async def test_paging_buttons_and_refusal_are_catalogued(harness: Harness) -> None:
    """The paging buttons, the page counter and "not your menu" come from the catalogues."""
    result = await harness.command("today", count=5)
    pressed = await harness.press(result.message_id, "pager:next")
    data = data_text()
    for part in visible(pressed):
        assert not stray_words(part, data), part
    refused = await harness.press(result.message_id, "pager:next", user=BOB)
    assert refused.embed["title"].startswith(OPEN)


def test_app_command_choices_are_catalogued() -> None:
    """Static choices are locale strings with keys (translated by the catalogue)."""
    from bot.discord_ui.options import PERIOD_CHOICES, SORT_CHOICES

    for choice in [*PERIOD_CHOICES, *SORT_CHOICES]:
        assert isinstance(choice._locale_name, app_commands.locale_str)
        assert choice._locale_name.extras["key"].startswith("choice.")


#: Option types of the group commands the sweep below drives (Discord's numbers).
GROUP_OPTION_TYPES = {
    "channel": 7,
    "time": 3,
    "timezone": 3,
    "count": 4,
    "keywords": 3,
    "author": 3,
    "alert": 3,
    "language": 3,
}
MANAGE_SERVER = str(1 << 5)


async def group_command(
    harness: Harness, group: str, sub: str, *, permissions: str = "0", **options: Any
) -> Result:
    """``/group sub option=value ...`` as Alice in the server (with ``permissions``)."""
    from harness import CHANNEL_ID, GUILD_ID, interaction_payload, snowflake

    rendered = []
    for key, value in options.items():
        kind = GROUP_OPTION_TYPES[key]
        rendered.append({"name": key, "type": kind, "value": str(value) if kind == 7 else value})
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "name": group,
        "type": 1,
        "options": [{"name": sub, "type": 1, "options": rendered}],
    }
    if "channel" in options:
        data["resolved"] = {
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
        }
    return await harness.dispatch(interaction_payload(2, data, permissions=permissions))


GROUP_SWEEP: list[tuple[str, str, str, dict[str, Any]]] = [
    ("digest", "show", MANAGE_SERVER, {}),
    ("digest", "set", MANAGE_SERVER, {"channel": "CHANNEL", "time": "25:99"}),
    ("digest", "set", MANAGE_SERVER, {"channel": "CHANNEL", "time": "09:00", "timezone": "Mars"}),
    ("digest", "set", MANAGE_SERVER, {"channel": "CHANNEL", "time": "09:00"}),
    ("digest", "show", "0", {}),  # refused at run time: no Manage Server
    ("digest", "off", MANAGE_SERVER, {}),
    ("digest", "preview", MANAGE_SERVER, {}),
    ("digest", "now", MANAGE_SERVER, {}),
    ("alerts", "add", "0", {"keywords": "diffusion"}),
    ("alerts", "add", "0", {"keywords": "?!"}),
    ("alerts", "add", "0", {}),
    ("alerts", "remove", "0", {"alert": "#999"}),
]


@pytest.mark.usefixtures("pseudo")
@pytest.mark.parametrize(("group", "sub", "permissions", "options"), GROUP_SWEEP)
async def test_group_commands_have_no_text_outside_the_catalogues(
    harness: Harness, group: str, sub: str, permissions: str, options: dict[str, Any]
) -> None:
    """/digest and /alerts subcommands, their refusals and errors: every word is catalogued.
    (A preview's embeds are the post itself, in the server's language: only its note is the
    asker's.)"""
    from harness import CHANNEL_ID

    options = {k: (CHANNEL_ID if v == "CHANNEL" else v) for k, v in options.items()}
    result = await group_command(harness, group, sub, permissions=permissions, **options)
    data = data_text()
    if sub == "preview":
        parts = [request.content for request in result.requests if request.content]
    else:
        parts = [part for request in result.requests for part in visible_in(request)]
    assert parts
    for part in parts:
        assert not stray_words(part, data), part


def visible_in(request: Any) -> list[str]:
    """The UI text of one request (as :func:`visible` for a result's last)."""

    class One:
        last = request

    return visible(One())  # type: ignore[arg-type]


@pytest.mark.usefixtures("pseudo")
@pytest.mark.parametrize(
    ("name", "focused", "options"),
    [("author", "name", {"name": "wa"}), ("paper", "id", {"id": "diffusion"})],
)
async def test_autocomplete_labels_are_data_or_catalogued(
    harness: Harness, name: str, focused: str, options: dict[str, Any]
) -> None:
    """Autocomplete choice labels show data (names, titles) and catalogued words only."""
    choices = await harness.autocomplete(name, focused, **options)
    assert choices
    data = data_text()
    for choice in choices:
        assert not stray_words(choice["name"], data), choice["name"]


@pytest.mark.parametrize("locale", ["ko", "en"])
async def test_commands_named_in_the_catalogue_exist_in_that_language(
    harness: Harness, locale: str
) -> None:
    """Every `/command [subcommand or option]` a catalogue message mentions is the name a client
    in that language sees (so a Korean tip names /검색, not a name that does not exist)."""
    tree, translator = harness.tree, harness.tree.translator
    assert translator is not None
    discord_locale = "ko" if locale == "ko" else "en-US"

    def local(item: dict[str, Any]) -> str:
        return str(item.get("name_localizations", {}).get(discord_locale, item["name"]))

    names: dict[str, set[str]] = {}
    for command in tree.get_commands():
        payload = await command.get_translated_payload(tree, translator)
        names[local(payload)] = {local(option) for option in payload.get("options", [])}
    text = (ROOT / "bot" / "i18n" / "locales" / locale / "LC_MESSAGES" / "messages.po").read_text(
        encoding="utf-8"
    )
    mentioned = re.findall(r"`/([^\s`:{]+)(?: ([^\s`:{]+))?", text)
    assert mentioned
    for command, child in mentioned:
        assert command in names, f"/{command}"
        if child:
            assert child in names[command], f"/{command} {child}"
