"""Meta-tests over the command tree: what `papers-bot sync` would send, checked offline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands
from harness import Harness

ROOT = Path(__file__).resolve().parents[2]
NAME_RE = re.compile(r"^[-_\w]{1,32}$")
PUBLIC = {
    "today",
    "day",
    "top",
    "paper",
    "author",
    "search",
    "help",
    "alerts",
    "ask",
    "saved",
    "similar",
    "trends",
}
ADMIN = {"sync", "digest"}
#: Discord's enums: integration types 0 guild install, 1 user install; contexts 0 guild,
#: 1 bot DM, 2 private channel.
EVERYWHERE_INSTALLS = [0, 1]
EVERYWHERE_CONTEXTS = [0, 1, 2]


@pytest.fixture
async def payloads(harness: Harness) -> dict[str, dict[str, Any]]:
    """Every top-level command as its sync payload (``to_dict``), built without a network."""
    tree = harness.tree
    return {c.name: c.to_dict(tree) for c in tree.get_commands()}


def options_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    stack = list(payload.get("options", []))
    while stack:
        option = stack.pop()
        found.append(option)
        stack.extend(option.get("options", []))
    return found


async def test_exactly_the_issue_commands(payloads: dict[str, dict[str, Any]]) -> None:
    """The tree holds the top-level commands the issue names, plus the admin /sync."""
    assert set(payloads) == PUBLIC | ADMIN


async def test_names_unique_and_valid(harness: Harness) -> None:
    """Every command name is unique, lowercase, 1-32 characters; so is every option name."""
    commands = harness.tree._get_all_commands()
    names = [c.qualified_name for c in commands]
    assert len(names) == len(set(names))
    for command in commands:
        assert NAME_RE.match(command.name) and command.name == command.name.lower()
        if isinstance(command, app_commands.Command):
            option_names = [p.display_name for p in command.parameters]
            assert len(option_names) == len(set(option_names))
            for name in option_names:
                assert NAME_RE.match(name) and name == name.lower(), name


async def test_every_command_and_option_described(payloads: dict[str, dict[str, Any]]) -> None:
    """Every command and option has a real description (not discord.py's "…"), 1-100 chars."""
    for name, payload in payloads.items():
        assert 1 <= len(payload["description"]) <= 100, name
        assert payload["description"] != "…", name
        for option in options_of(payload):
            assert 1 <= len(option["description"]) <= 100, (name, option["name"])
            assert option["description"] != "…", (name, option["name"])


async def test_choices_within_limits(payloads: dict[str, dict[str, Any]]) -> None:
    """Static choices (period, sort, scope) are at most 25, names and values at most 100."""
    for payload in payloads.values():
        for option in options_of(payload):
            choices = option.get("choices", [])
            assert len(choices) <= 25
            assert all(len(c["name"]) <= 100 and len(str(c["value"])) <= 100 for c in choices)


async def test_sync_payload_is_json(payloads: dict[str, dict[str, Any]]) -> None:
    """The whole sync payload serialises to JSON (what bulk upsert sends)."""
    text = json.dumps(list(payloads.values()))
    assert json.loads(text)


async def test_public_commands_install_everywhere(payloads: dict[str, dict[str, Any]]) -> None:
    """Every public command is guild- and user-installable, usable in guilds, DMs, group DMs."""
    for name in PUBLIC:
        assert sorted(payloads[name]["integration_types"]) == EVERYWHERE_INSTALLS, name
        assert sorted(payloads[name]["contexts"]) == EVERYWHERE_CONTEXTS, name
        assert payloads[name].get("default_member_permissions") is None, name


async def test_admin_sync_is_guild_only_and_admin_default(
    payloads: dict[str, dict[str, Any]],
) -> None:
    """/sync is a server-install, server-only command hidden from non-admins by default."""
    sync = payloads["sync"]
    assert sync["integration_types"] == [0]
    assert sync["contexts"] == [0]
    assert int(sync["default_member_permissions"]) == 1 << 3  # Administrator


async def test_counts_are_ranged(payloads: dict[str, dict[str, Any]]) -> None:
    """count options tell the client 1..25."""
    for name in ("today", "day", "top"):
        count = next(o for o in payloads[name]["options"] if o["name"] == "count")
        assert (count["min_value"], count["max_value"]) == (1, 25)


async def test_every_text_option_is_capped(payloads: dict[str, dict[str, Any]]) -> None:
    """Every free-text option tells the client its longest value (at most 200 characters of a
    query, a few for times), so no command is handed Discord's 6,000-character maximum."""
    uncapped = [
        (name, option["name"])
        for name, payload in payloads.items()
        for option in options_of(payload)
        if option["type"] == 3 and "choices" not in option and not option.get("max_length")
    ]
    assert uncapped == []


async def test_autocompleted_options(payloads: dict[str, dict[str, Any]]) -> None:
    """Dates, paper ids and author names autocomplete."""
    expected = {
        ("day", "date"),
        ("top", "since"),
        ("top", "until"),
        ("paper", "id"),
        ("author", "name"),
        ("search", "since"),
        ("search", "until"),
        ("digest", "timezone"),
        ("alerts", "author"),
        ("alerts", "alert"),
        ("similar", "paper"),
    }
    found = {
        (name, option["name"])
        for name, payload in payloads.items()
        for option in options_of(payload)
        if option.get("autocomplete")
    }
    assert found == expected


async def test_every_command_in_readme(payloads: dict[str, dict[str, Any]]) -> None:
    """The README documents every command (as `/name`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in payloads if f"/{name}" not in readme]
    assert not missing, f"README.md does not mention: {', '.join('/' + m for m in missing)}"


async def test_digest_is_guild_only_and_manage_server_default(
    payloads: dict[str, dict[str, Any]],
) -> None:
    """/digest is a server-install, server-only group hidden from non-managers by default."""
    digest = payloads["digest"]
    assert digest["integration_types"] == [0]
    assert digest["contexts"] == [0]
    assert int(digest["default_member_permissions"]) == 1 << 5  # Manage Server
    assert {o["name"] for o in digest["options"]} == {
        "set",
        "language",
        "show",
        "off",
        "preview",
        "now",
    }
