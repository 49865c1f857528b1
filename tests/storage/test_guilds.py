"""Per-server digest state in the store: settings, runs, posts, watched files (every backend)."""

from __future__ import annotations

import datetime as dt

from storage.backends import open_store
from storage.ingest.parser import parse_digest
from storage.models import WatchedFile
from storage.ports import Store

NOW = dt.datetime(2024, 6, 14, 9, 0, tzinfo=dt.UTC)
GUILD = 111
OTHER = 222


def digest(day: str, *ids: str) -> str:
    papers = "\n".join(
        f"### [Paper {i}](https://arxiv.org/abs/{i})\n\nVote: {n}\n\n- text {i}\n"
        for n, i in enumerate(ids, start=1)
    )
    return f"## Daily Papers ({day})\n\n{papers}"


async def configure(store: Store, guild: int = GUILD, **changes: object) -> None:
    options: dict[str, object] = {
        "channel_id": 5,
        "post_time": dt.time(9, 30),
        "timezone": "Asia/Seoul",
        "count": 10,
        "now": NOW,
    }
    options.update(changes)
    await store.set_digest_settings(guild, **options)  # type: ignore[arg-type]


async def test_settings_round_trip_and_survive_reopen(store: Store, database: str) -> None:
    """Saved settings come back the same after closing and reopening the database."""
    await configure(store, count=7)
    await store.close()
    again = await open_store(database)
    try:
        settings = await again.digest_settings(GUILD)
    finally:
        await again.close()
    assert settings is not None
    assert (settings.channel_id, settings.post_time, settings.timezone, settings.count) == (
        5,
        dt.time(9, 30),
        "Asia/Seoul",
        7,
    )
    assert settings.enabled and settings.updated_at == NOW


async def test_set_replaces_and_clears_error(store: Store) -> None:
    """Saving again replaces every setting, re-enables, and clears the last error."""
    await configure(store)
    await store.record_digest_error(GUILD, "channel deleted", at=NOW)
    await store.disable_digest(GUILD, now=NOW)
    await configure(store, channel_id=6, post_time=dt.time(7, 5), timezone="UTC")
    settings = await store.digest_settings(GUILD)
    assert settings is not None
    assert (settings.channel_id, settings.post_time, settings.timezone) == (6, dt.time(7, 5), "UTC")
    assert settings.enabled and settings.last_error is None


async def test_disable_keeps_settings_but_hides_from_enabled(store: Store) -> None:
    """/digest off keeps the row (for show) but the scheduler's list no longer has it."""
    await configure(store)
    await configure(store, OTHER)
    assert await store.disable_digest(GUILD, now=NOW)
    assert not await store.disable_digest(GUILD, now=NOW)
    assert [s.guild_id for s in await store.all_digest_settings()] == [OTHER]
    assert len(await store.all_digest_settings(enabled_only=False)) == 2
    settings = await store.digest_settings(GUILD)
    assert settings is not None and not settings.enabled


async def test_error_is_recorded_per_guild(store: Store) -> None:
    """An error is kept on the one server it happened to."""
    await configure(store)
    await configure(store, OTHER)
    await store.record_digest_error(GUILD, "Missing Access", at=NOW)
    mine, other = await store.digest_settings(GUILD), await store.digest_settings(OTHER)
    assert mine is not None and mine.last_error == "Missing Access" and mine.last_error_at == NOW
    assert other is not None and other.last_error is None


async def test_post_recorded_once_per_day(store: Store) -> None:
    """A digest day is recorded as posted once; a second record changes nothing."""
    await configure(store)
    slot = dt.date(2024, 6, 14)
    day = dt.date(2024, 6, 13)
    assert await store.record_digest_post(
        GUILD, day, channel_id=5, message_ids=[1, 2], at=NOW, slot=slot
    )
    assert not await store.record_digest_post(
        GUILD, day, channel_id=9, message_ids=[3], at=NOW, slot=slot
    )
    post = await store.last_digest_post(GUILD)
    assert post is not None and post.message_ids == (1, 2) and post.channel_id == 5
    run = await store.digest_run(GUILD, slot)
    assert run is not None and run.outcome == "posted" and run.digest_date == day


async def test_post_clears_last_error(store: Store) -> None:
    """A successful post clears the error shown to admins."""
    await configure(store)
    await store.record_digest_error(GUILD, "boom", at=NOW)
    await store.record_digest_post(
        GUILD, dt.date(2024, 6, 13), channel_id=5, message_ids=[1], at=NOW
    )
    settings = await store.digest_settings(GUILD)
    assert settings is not None and settings.last_error is None


async def test_failed_run_is_retryable_final_is_not(store: Store) -> None:
    """A failed slot can become skipped or posted later; a skipped one stays skipped."""
    slot = dt.date(2024, 6, 14)
    assert await store.record_digest_run(GUILD, slot, "failed", at=NOW, detail="403")
    assert await store.record_digest_run(GUILD, slot, "skipped", at=NOW, detail="no new day")
    assert not await store.record_digest_run(GUILD, slot, "failed", at=NOW, detail="again")
    run = await store.digest_run(GUILD, slot)
    assert run is not None and run.outcome == "skipped" and run.detail == "no new day"
    last = await store.last_digest_run(GUILD)
    assert last == run


async def test_sending_run_round_trips_and_never_unsettles(store: Store) -> None:
    """An in-flight slot reads back as sending (day, time), a failure replaces it, and a
    settled slot is never put back in flight."""
    slot, day = dt.date(2024, 6, 14), dt.date(2024, 6, 13)
    assert await store.record_digest_sending(GUILD, slot, day, at=NOW)
    run = await store.digest_run(GUILD, slot)
    assert run is not None and (run.outcome, run.digest_date, run.at) == ("sending", day, NOW)
    assert await store.record_digest_run(GUILD, slot, "failed", at=NOW, detail="403")
    run = await store.digest_run(GUILD, slot)
    assert run is not None and (run.outcome, run.digest_date) == ("failed", None)
    await store.record_digest_post(GUILD, day, channel_id=5, message_ids=[1], at=NOW, slot=slot)
    assert not await store.record_digest_sending(GUILD, slot, day, at=NOW)
    run = await store.digest_run(GUILD, slot)
    assert run is not None and run.outcome == "posted"


async def test_next_day_is_newest_unposted(store: Store) -> None:
    """The next day to post is the newest day, only while it is newer than any posted one."""
    assert await store.next_digest_day(GUILD) is None
    await store.import_digest(parse_digest(digest("2024-06-12", "2406.00001"), "a"))
    await store.import_digest(parse_digest(digest("2024-06-13", "2406.00002"), "b"))
    assert await store.next_digest_day(GUILD) == dt.date(2024, 6, 13)
    await store.record_digest_post(
        GUILD, dt.date(2024, 6, 13), channel_id=5, message_ids=[1], at=NOW
    )
    assert await store.next_digest_day(GUILD) is None
    assert await store.next_digest_day(OTHER) == dt.date(2024, 6, 13)
    await store.import_digest(parse_digest(digest("2024-06-14", "2406.00003"), "c"))
    assert await store.next_digest_day(GUILD) == dt.date(2024, 6, 14)


async def test_next_day_is_never_after_until(store: Store) -> None:
    """A day after ``until`` (a digest dated in the future) is never the next day to post; the
    newest day on or before it is, and days posted are still compared with every day."""
    await store.import_digest(parse_digest(digest("2024-06-13", "2406.00002"), "b"))
    await store.import_digest(parse_digest(digest("2099-12-31", "2406.00009"), "z"))
    assert await store.next_digest_day(GUILD) == dt.date(2099, 12, 31)
    assert await store.next_digest_day(GUILD, until=dt.date(2024, 6, 14)) == dt.date(2024, 6, 13)
    assert await store.next_digest_day(GUILD, until=dt.date(2024, 6, 12)) is None


async def test_watched_files_upsert(store: Store) -> None:
    """A watched file's mtime, size and hash are remembered and replaced on change."""
    await store.record_watched_file(WatchedFile("/d/a.md", 1, 10, "aa"), at=NOW)
    await store.record_watched_file(WatchedFile("/d/a.md", 2, 11, "bb"), at=NOW)
    assert await store.watched_files() == {"/d/a.md": WatchedFile("/d/a.md", 2, 11, "bb")}


async def test_first_use_is_taken_once_and_only_on_an_empty_database(
    store: Store, database: str
) -> None:
    """The first use of a new database goes to one caller only (an import, or the samples);
    a database that already holds digests is never anyone's first use."""
    assert await store.claim_first_use("import", at=NOW)
    assert not await store.claim_first_use("samples", at=NOW)
    assert not await store.claim_first_use("import", at=NOW)


async def test_a_database_with_digests_is_not_a_first_use(store: Store) -> None:
    """Digests already stored (a database from before the claim existed): no first use."""
    await store.import_digest(parse_digest(digest("2024-06-13", "2406.00002"), "b"))
    assert not await store.claim_first_use("samples", at=NOW)


async def test_settings_record_the_servers_language(store: Store) -> None:
    """Saving settings records the server's own language; the posts speak it by default."""
    await configure(store, guild_locale="ko")
    settings = await store.digest_settings(GUILD)
    assert settings is not None
    assert (settings.language, settings.guild_locale, settings.post_language) == (None, "ko", "ko")


async def test_chosen_digest_language_wins_and_survives_new_settings(store: Store) -> None:
    """A chosen language is used over the server's, and saving the settings again keeps it."""
    await configure(store, guild_locale="ko")
    chosen = await store.set_digest_language(GUILD, "en", guild_locale=None, now=NOW)
    assert chosen is not None and chosen.post_language == "en"
    await configure(store, guild_locale="ko", count=3)
    again = await store.digest_settings(GUILD)
    assert again is not None and (again.language, again.count) == ("en", 3)


async def test_digest_language_back_to_the_servers(store: Store) -> None:
    """Choosing no language goes back to the server's own (updated when given)."""
    await configure(store, guild_locale="en-US")
    await store.set_digest_language(GUILD, "ko", guild_locale=None, now=NOW)
    back = await store.set_digest_language(GUILD, None, guild_locale="ko", now=NOW)
    assert back is not None and (back.language, back.post_language) == (None, "ko")


async def test_digest_language_needs_settings(store: Store) -> None:
    """A server without digest settings has no language to set."""
    assert await store.set_digest_language(OTHER, "ko", guild_locale=None, now=NOW) is None
