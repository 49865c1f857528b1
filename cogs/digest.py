"""``/digest``: a server's daily digest (set, show, off, preview, now), for server managers.

A thin adapter over the store's digest settings and :class:`bot.core.digests.DigestScheduler`
(``bot.digests``, started in ``setup_hook``). The group is guild-only with
``default_permissions(manage_guild=True)``; since server owners can change that default,
:meth:`Digest.interaction_check` checks Manage Server again at run time. Every reply is
ephemeral except the digest that ``now`` posts in the configured channel.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import zoneinfo
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import zone
from bot.discord_ui import embeds
from bot.discord_ui.client import permission_name
from bot.discord_ui.digest import digest_messages, post_language_name, settings_embed
from bot.discord_ui.replies import NO_MENTIONS, Refusal, reply
from bot.discord_ui.translator import localized
from bot.i18n import phrases
from bot.i18n.catalog import DEFAULT, tr, use_locale

if TYPE_CHECKING:
    from bot.core.digests import DigestScheduler
    from bot.discord_ui.client import PapersBot

log = logging.getLogger(__name__)

MAX_PAPERS = 25
#: The longest digest time (``09:00``, ``9h30``) and IANA zone name accepted, with room to spare.
TIME_MAX = 16
ZONE_MAX = 64
Count = app_commands.Range[int, 1, MAX_PAPERS]
_TIME_RE = re.compile(r"^\s*(\d{1,2})(?:[:.h]?(\d{2}))?\s*$")
#: Offered first when the time zone option is still empty.
COMMON_ZONES = (
    "UTC",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
)
POSTABLE_CHANNELS = (
    discord.ChannelType.text,
    discord.ChannelType.news,
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)


#: What the bot needs in the digest channel (a thread: send_messages_in_threads instead).
POST_PERMISSIONS = ("view_channel", "send_messages", "embed_links")


def missing_post_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    """The permissions ``me`` lacks to post a digest in ``channel`` (names as Discord shows)."""
    perms = channel.permissions_for(me)
    needed = list(POST_PERMISSIONS)
    if isinstance(channel, discord.Thread):
        needed[needed.index("send_messages")] = "send_messages_in_threads"
    return [permission_name(attr) for attr in needed if not getattr(perms, attr)]


#: ``/digest language``: Korean, English, or (``SERVER_LANGUAGE``) the server's own.
SERVER_LANGUAGE = "server"
LANGUAGE_CHOICES = [
    app_commands.Choice(name=localized("choice.language.ko"), value="ko"),
    app_commands.Choice(name=localized("choice.language.en"), value="en"),
    app_commands.Choice(name=localized("choice.language.server"), value=SERVER_LANGUAGE),
]


def locale_tag(locale: discord.Locale | None) -> str | None:
    """Discord's language tag (``ko``, ``en-US``), as stored; ``None`` when unknown."""
    return locale.value if locale is not None else None


@functools.cache
def all_zones() -> tuple[str, ...]:
    """Every IANA zone name the tz database knows, sorted (read once)."""
    return tuple(sorted(zoneinfo.available_timezones() | {"UTC"}))


def parse_time(text: str) -> dt.time:
    """``9:30``, ``09:30``, ``0930``, ``21`` -> a time of day; :class:`Refusal` else."""
    match = _TIME_RE.match(text or "")
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise Refusal(tr("digest.refusal.time", text=embeds.escape(embeds.shorten(text, 40))))


def parse_zone(name: str) -> str:
    """The canonical IANA name for ``name`` (case-insensitive); :class:`Refusal` else."""
    wanted = (name or "").strip()
    by_lower = {z.lower(): z for z in all_zones()}
    found = by_lower.get(wanted.lower())
    if found is None:
        raise Refusal(tr("digest.refusal.zone", text=embeds.escape(embeds.shorten(wanted, 60))))
    return found


def zone_choices(current: str, default: str) -> list[app_commands.Choice[str]]:
    """Up to 25 zones: names starting with ``current`` (or a part after ``/``), then containing
    it; the default zone and common ones when empty."""
    text = (current or "").strip().lower().replace(" ", "_")
    if not text:
        names = [default, *[z for z in COMMON_ZONES if z != default]]
    else:
        starts = [
            z
            for z in all_zones()
            if z.lower().startswith(text) or z.lower().split("/")[-1].startswith(text)
        ]
        contains = [z for z in all_zones() if text in z.lower() and z not in starts]
        names = starts + contains
    return [app_commands.Choice(name=n, value=n) for n in names[:25]]


@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.default_permissions(manage_guild=True)
class Digest(
    commands.GroupCog,
    group_name=localized("cmd.digest"),
    group_description=localized("cmd.digest.description"),
):
    """The server's daily digest of the top papers (Manage Server only)."""

    def __init__(self, bot: PapersBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @property
    def scheduler(self) -> DigestScheduler:
        if self.bot.digests is None:
            raise Refusal(tr("digest.refusal.not_running"))
        return self.bot.digests

    def _default_zone(self) -> str:
        return self.bot.config.timezone_name

    @app_commands.command(
        name=localized("cmd.digest.set"), description=localized("cmd.digest.set.description")
    )
    @app_commands.describe(
        channel=localized("cmd.digest.set.channel.description"),
        time=localized("cmd.digest.set.time.description"),
        timezone=localized("cmd.digest.set.timezone.description"),
        count=localized("cmd.digest.set.count.description"),
    )
    @app_commands.rename(
        channel=localized("cmd.digest.set.channel"),
        time=localized("cmd.digest.set.time"),
        timezone=localized("cmd.digest.set.timezone"),
        count=localized("cmd.digest.set.count"),
    )
    async def set_(
        self,
        interaction: discord.Interaction,
        channel: app_commands.AppCommandChannel,
        time: app_commands.Range[str, 1, TIME_MAX],
        timezone: app_commands.Range[str, 1, ZONE_MAX] | None = None,
        count: Count = 10,
    ) -> None:
        """Post the day's top papers in a channel every day at a time."""
        assert interaction.guild_id is not None
        post_time = parse_time(time)
        zone_name = parse_zone(timezone or self._default_zone())
        count = max(1, min(MAX_PAPERS, int(count)))
        if channel.type not in POSTABLE_CHANNELS:
            raise Refusal(tr("digest.refusal.channel_type"))
        cached = channel.resolve()  # the real channel when the guild is cached (gateway)
        guild = interaction.guild
        if cached is not None and guild is not None and guild.me is not None:
            missing = missing_post_permissions(cached, guild.me)
            if missing:
                raise Refusal(
                    tr(
                        "digest.refusal.permissions",
                        channel=f"<#{channel.id}>",
                        permissions=", ".join(missing),
                    )
                )
        settings = await self.bot.store.set_digest_settings(
            interaction.guild_id,
            channel_id=channel.id,
            post_time=post_time,
            timezone=zone_name,
            count=count,
            now=self.bot.now(),
            guild_locale=locale_tag(interaction.guild_locale),
        )
        next_run = await self.scheduler.reschedule(interaction.guild_id)
        log.info(
            "Guild %s: digest set by %s to channel %s at %s %s, %d papers",
            interaction.guild_id,
            interaction.user.id,
            channel.id,
            post_time,
            zone_name,
            count,
        )
        embed = settings_embed(
            settings,
            tz=zone(zone_name),
            next_run=next_run,
            last_post=await self.bot.store.last_digest_post(interaction.guild_id),
            last_run=None,
        )
        embed.title = tr("digest.saved.title")
        await reply(interaction, embed, ephemeral=True)

    @set_.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current, self._default_zone())

    @app_commands.command(
        name=localized("cmd.digest.language"),
        description=localized("cmd.digest.language.description"),
    )
    @app_commands.describe(language=localized("cmd.digest.language.language.description"))
    @app_commands.rename(language=localized("cmd.digest.language.language"))
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(
        self, interaction: discord.Interaction, language: app_commands.Choice[str]
    ) -> None:
        """The language of the digest posts: Korean, English, or the server's own."""
        assert interaction.guild_id is not None
        chosen = None if language.value == SERVER_LANGUAGE else language.value
        settings = await self.bot.store.set_digest_language(
            interaction.guild_id,
            chosen,
            guild_locale=locale_tag(interaction.guild_locale),
            now=self.bot.now(),
        )
        if settings is None:
            raise Refusal(tr("digest.refusal.not_set"))
        log.info(
            "Guild %s: digest language set by %s to %s",
            interaction.guild_id,
            interaction.user.id,
            chosen or "the server's",
        )
        text = tr("digest.language.done", language=post_language_name(settings))
        embed = embeds.note_embed(text, title=tr("digest.language.title"))
        await reply(interaction, embed, ephemeral=True)

    @app_commands.command(
        name=localized("cmd.digest.show"), description=localized("cmd.digest.show.description")
    )
    async def show(self, interaction: discord.Interaction) -> None:
        """The digest settings, the next post time, and the last post or error."""
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        store = self.bot.store
        settings = await store.digest_settings(guild_id)
        tz = zone(settings.timezone) if settings else self.bot.config.timezone
        embed = settings_embed(
            settings,
            tz=tz,
            next_run=self.scheduler.next_run(guild_id) if settings else None,
            last_post=await store.last_digest_post(guild_id),
            last_run=await store.last_digest_run(guild_id),
        )
        await reply(interaction, embed, ephemeral=True)

    @app_commands.command(
        name=localized("cmd.digest.off"), description=localized("cmd.digest.off.description")
    )
    async def off(self, interaction: discord.Interaction) -> None:
        """Stop posting the daily digest in this server (settings are kept)."""
        assert interaction.guild_id is not None
        changed = await self.bot.store.disable_digest(interaction.guild_id, now=self.bot.now())
        await self.scheduler.reschedule(interaction.guild_id)
        text = tr("digest.off.done") if changed else tr("digest.off.was_off")
        embed = embeds.note_embed(text, title=tr("digest.state.off"))
        await reply(interaction, embed, ephemeral=True)

    @app_commands.command(
        name=localized("cmd.digest.preview"),
        description=localized("cmd.digest.preview.description"),
    )
    async def preview(self, interaction: discord.Interaction) -> None:
        """Show (only to you) what the next digest would post."""
        assert interaction.guild_id is not None
        await interaction.response.defer(thinking=True, ephemeral=True)
        store = self.bot.store
        settings = await store.digest_settings(interaction.guild_id)
        count = settings.count if settings else 10
        day = await store.next_digest_day(interaction.guild_id)
        note = None
        if day is None:
            day = await store.latest_day()
            note = tr("digest.preview.already_posted")
        if day is None:
            embed = embeds.note_embed(tr("digest.preview.none"), title=tr("digest.preview.empty"))
            await reply(interaction, embed, ephemeral=True)
            return
        page = await store.day_papers(day, limit=count)
        language = settings.post_language if settings else locale_tag(interaction.guild_locale)
        with use_locale(language or DEFAULT):  # as the post will be
            messages = digest_messages(day, page.items, total=page.total)
        first = f"*{tr('digest.preview.only_you')}* {note or ''}".strip()
        for index, message in enumerate(messages):
            await interaction.followup.send(
                content=first if index == 0 else discord.utils.MISSING,
                embeds=list(message),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

    @app_commands.command(
        name=localized("cmd.digest.now"), description=localized("cmd.digest.now.description")
    )
    async def now(self, interaction: discord.Interaction) -> None:
        """Post the newest day not yet posted in the digest channel, now."""
        assert interaction.guild_id is not None
        await interaction.response.defer(thinking=True, ephemeral=True)
        settings = await self.bot.store.digest_settings(interaction.guild_id)
        if settings is None:
            raise Refusal(tr("digest.refusal.not_set"))
        result = await self.scheduler.post(interaction.guild_id)
        if result.outcome == "posted" and result.digest_date is not None:
            posted = tr(
                "digest.now.posted",
                day=embeds.format_date(result.digest_date),
                channel=f"<#{settings.channel_id}>",
            )
            embed = embeds.note_embed(posted, title=tr("digest.now.posted.title"))
        elif result.outcome == "failed":
            reason = (
                phrases.digest_detail(result.detail) if result.detail else tr("digest.now.failed")
            )
            embed = embeds.error_embed(reason, title=tr("digest.now.failed.title"))
        else:
            embed = embeds.note_embed(
                tr("digest.now.nothing"), title=tr("digest.now.nothing.title")
            )
        await reply(interaction, embed, ephemeral=True)


async def setup(bot: PapersBot) -> None:
    await bot.add_cog(Digest(bot))
