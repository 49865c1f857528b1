"""/digest through the real CommandTree: permissions, settings, scheduling, preview and now."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
from harness import (
    ALICE,
    CHANNEL_ID,
    GUILD_ID,
    Harness,
    Result,
    interaction_payload,
    snowflake,
)

from bot.core.digests import DigestContent, PostFailed, PostProblem, job_id
from storage.sqlite.store import Store

MANAGE_SERVER = str(1 << 5)
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hf_daily_papers_sample.json"
NONE = {"parse": []}
#: Discord option types: 1 subcommand, 3 string, 4 integer, 7 channel.
TYPES = {"channel": 7, "time": 3, "timezone": 3, "count": 4, "language": 3}


def hf_sample() -> Any:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def digest_data(sub: str, options: dict[str, Any], *, focused: str | None = None) -> dict[str, Any]:
    rendered = []
    for key, value in options.items():
        if TYPES[key] == 7:
            value = str(value)  # snowflakes arrive as strings
        option: dict[str, Any] = {"name": key, "type": TYPES[key], "value": value}
        if key == focused:
            option["focused"] = True
        rendered.append(option)
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "name": "digest",
        "type": 1,
        "options": [{"name": sub, "type": 1, "options": rendered}],
    }
    if "channel" in options:
        data["resolved"] = {
            "channels": {
                str(options["channel"]): {
                    "id": str(options["channel"]),
                    "type": 0,
                    "name": "papers",
                    "permissions": "0",
                    "guild_id": str(GUILD_ID),
                    "parent_id": None,
                }
            }
        }
    return data


async def digest(
    harness: Harness,
    sub: str,
    *,
    permissions: str = MANAGE_SERVER,
    context: str = "guild",
    **options: Any,
) -> Result:
    payload = interaction_payload(
        2, digest_data(sub, options), user=ALICE, context=context, permissions=permissions
    )
    return await harness.dispatch(payload)


class FakePoster:
    """The scheduler's poster: records what it was asked to post, or fails."""

    def __init__(self, error: PostFailed | None = None) -> None:
        self.sent: list[tuple[int, DigestContent]] = []
        self.error = error

    async def send(self, channel_id: int, content: DigestContent) -> list[int]:
        if self.error is not None:
            raise self.error
        self.sent.append((channel_id, content))
        return [snowflake()]


@pytest.fixture
def poster(harness: Harness) -> FakePoster:
    fake = FakePoster()
    assert harness.bot.digests is not None
    harness.bot.digests.poster = fake
    return fake


async def set_digest(harness: Harness, **options: Any) -> Result:
    options.setdefault("channel", CHANNEL_ID)
    options.setdefault("time", "09:00")
    return await digest(harness, "set", **options)


async def test_set_needs_manage_server_at_run_time(harness: Harness, store: Store) -> None:
    """Without Manage Server (default_permissions overridden), /digest set is refused, privately."""
    result = await digest(harness, "set", permissions="0", channel=CHANNEL_ID, time="09:00")
    assert result.ephemeral
    assert "Manage Server" in result.embed["description"]
    assert await store.digest_settings(GUILD_ID) is None


async def test_digest_refused_outside_servers(harness: Harness) -> None:
    """In a DM the group says it works only in a server."""
    result = await digest(harness, "show", context="dm")
    assert result.ephemeral and "only in a server" in result.embed["description"]


async def test_set_saves_and_schedules_at_local_time(harness: Harness, store: Store) -> None:
    """/digest set stores the settings and schedules the job at that local time at once."""
    result = await set_digest(harness, time="9:30", timezone="asia/seoul", count=5)
    assert result.ephemeral and result.last.allowed_mentions == NONE
    assert result.embed["title"] == "Daily digest saved"
    settings = await store.digest_settings(GUILD_ID)
    assert settings is not None
    assert (settings.channel_id, settings.post_time, settings.timezone, settings.count) == (
        CHANNEL_ID,
        dt.time(9, 30),
        "Asia/Seoul",
        5,
    )
    assert harness.bot.digests is not None
    next_run = harness.bot.digests.next_run(GUILD_ID)
    assert next_run is not None
    assert next_run.astimezone(ZoneInfo("Asia/Seoul")).time() == dt.time(9, 30)
    assert "09:30 Asia/Seoul" in result.text


async def test_set_defaults_to_configured_zone(harness: Harness, store: Store) -> None:
    """Without a timezone option the bot's DEFAULT_TIMEZONE (UTC here) is used."""
    await set_digest(harness)
    settings = await store.digest_settings(GUILD_ID)
    assert settings is not None and settings.timezone == "UTC" and settings.count == 10


@pytest.mark.parametrize(
    ("options", "needle"),
    [({"time": "25:00"}, "not a time of day"), ({"timezone": "Mars/Base"}, "not a time zone")],
)
async def test_set_rejects_bad_time_or_zone(
    harness: Harness, store: Store, options: dict[str, str], needle: str
) -> None:
    """A bad time or zone is a clear private error and nothing is saved."""
    result = await set_digest(harness, **options)
    assert result.ephemeral and needle in result.embed["description"]
    assert await store.digest_settings(GUILD_ID) is None


async def test_count_is_clamped(harness: Harness, store: Store) -> None:
    """count beyond 25 is clamped in code."""
    await set_digest(harness, count=500)
    settings = await store.digest_settings(GUILD_ID)
    assert settings is not None and settings.count == 25


async def test_timezone_autocomplete(harness: Harness) -> None:
    """Typing 'seoul' offers Asia/Seoul; empty input offers the default zone first; <= 25."""
    for text, first in (("seoul", "Asia/Seoul"), ("", "UTC")):
        data = digest_data(
            "set", {"channel": CHANNEL_ID, "time": "09:00", "timezone": text}, focused="timezone"
        )
        choices = (await harness.dispatch(interaction_payload(4, data))).choices
        assert choices[0]["value"] == first
        assert 1 <= len(choices) <= 25
    data = digest_data("set", {"timezone": "america"}, focused="timezone")
    choices = (await harness.dispatch(interaction_payload(4, data))).choices
    assert len(choices) == 25 and all("America" in c["value"] for c in choices)


async def test_show_before_and_after_set(harness: Harness) -> None:
    """/digest show says off before set; after, the channel, the time and the next post."""
    result = await digest(harness, "show")
    assert result.ephemeral and "off" in result.embed["title"]
    await set_digest(harness, time="18:00", timezone="Europe/London")
    result = await digest(harness, "show")
    assert "on" in result.embed["title"]
    assert f"<#{CHANNEL_ID}>" in result.text and "18:00 Europe/London" in result.text
    assert "Next post" in result.text


async def test_off_removes_the_job(harness: Harness, store: Store) -> None:
    """/digest off disables the settings and removes the job at once."""
    await set_digest(harness)
    result = await digest(harness, "off")
    assert result.ephemeral and "off" in result.embed["description"]
    settings = await store.digest_settings(GUILD_ID)
    assert settings is not None and not settings.enabled
    assert harness.bot.digests is not None
    assert harness.bot.digests.scheduler.get_job(job_id(GUILD_ID)) is None


async def test_preview_is_private_and_records_nothing(
    harness: Harness, store: Store, poster: FakePoster
) -> None:
    """/digest preview shows the next digest only to the admin; nothing is posted or recorded."""
    await set_digest(harness, count=5)
    result = await digest(harness, "preview")
    assert result.requests[0].callback_type == 5
    assert result.ephemeral and result.last.allowed_mentions == NONE
    assert "May 9, 2025" in result.embed["title"]
    assert poster.sent == []
    assert await store.last_digest_post(GUILD_ID) is None


async def test_now_posts_once_then_nothing_new(
    harness: Harness, store: Store, poster: FakePoster
) -> None:
    """/digest now posts the newest day in the channel and records it; again: nothing new."""
    await set_digest(harness, count=3)
    result = await digest(harness, "now")
    assert result.ephemeral and "Posted" in result.embed["description"]
    assert [channel for channel, _ in poster.sent] == [CHANNEL_ID]
    post = await store.last_digest_post(GUILD_ID)
    assert post is not None and post.digest_date == dt.date(2025, 5, 9)
    again = await digest(harness, "now")
    assert "Nothing new" in again.embed["title"]
    assert len(poster.sent) == 1


async def test_now_claims_todays_slot(harness: Harness, store: Store, poster: FakePoster) -> None:
    """/digest now takes the server's slot for today like the scheduled post: it is recorded
    as posted, so the scheduled post later that day does not post again."""
    from bot.config import zone

    await set_digest(harness, count=3)
    await digest(harness, "now")
    scheduler = harness.bot.digests
    settings = await store.digest_settings(GUILD_ID)
    assert scheduler is not None and settings is not None
    today = scheduler.clock().astimezone(zone(settings.timezone)).date()
    run = await store.digest_run(GUILD_ID, today)
    assert run is not None and run.outcome == "posted"
    assert (await scheduler.post(GUILD_ID, slot=today)).outcome == "settled"
    assert len(poster.sent) == 1


async def test_now_reports_lost_permission_and_show_has_error(
    harness: Harness, poster: FakePoster
) -> None:
    """A 403 from Discord: /digest now says so, and /digest show keeps the error for admins."""
    poster.error = PostFailed(PostProblem.FORBIDDEN, 403)
    await set_digest(harness)
    result = await digest(harness, "now")
    assert result.ephemeral and "permission" in result.embed["description"]
    shown = await digest(harness, "show")
    assert "Last error" in shown.text and "permission" in shown.text


async def test_now_before_set_explains(harness: Harness) -> None:
    """/digest now before /digest set says to set it up first."""
    result = await digest(harness, "now")
    assert result.ephemeral and "/digest set" in result.embed["description"]


async def test_paper_card_shows_api_extras(harness: Harness, store: Store) -> None:
    """/paper on a paper fetched from the API shows its GitHub stars and project page."""
    from storage.ingest.hfapi import parse_daily_papers

    await store.import_api_digest(parse_daily_papers(hf_sample(), dt.date(2026, 3, 6)))
    result = await harness.command("paper", id="2602.23229")
    assert "GitHub ★ 9" in result.text and "Project page" in result.text
    assert "AI summary" in result.text


def test_missing_post_permissions_names_what_is_missing() -> None:
    """The bot's missing permissions in a channel are named as Discord shows them."""
    from unittest.mock import create_autospec

    from cogs.digest import missing_post_permissions

    channel = create_autospec(discord.TextChannel, instance=True)
    me = create_autospec(discord.Member, instance=True)
    channel.permissions_for.return_value = discord.Permissions(view_channel=True)
    assert missing_post_permissions(channel, me) == ["Send Messages", "Embed Links"]
    channel.permissions_for.return_value = discord.Permissions(
        view_channel=True, send_messages=True, embed_links=True
    )
    assert missing_post_permissions(channel, me) == []


@pytest.mark.parametrize(
    ("sub", "options"),
    [
        ("show", {}),
        ("off", {}),
        ("preview", {}),
        ("now", {}),
        ("language", {"language": "en"}),
    ],
)
async def test_every_digest_command_needs_manage_server_at_run_time(
    harness: Harness, sub: str, options: dict[str, Any]
) -> None:
    """A member without Manage Server is refused every /digest command privately, even when the
    server let them see it (default permissions changed), and nothing is posted."""
    result = await digest(harness, sub, permissions="0", **options)
    assert result.ephemeral
    assert "Manage Server" in result.embed["description"]
    assert not [r for r in result.requests if r.kind == "send"]
