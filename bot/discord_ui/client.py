"""The Discord bot: :class:`PapersBot`, its global error handler, and the ``run``/``sync`` entries.

Dependencies come in through the constructor (discord.py's advanced_startup example): the
validated :class:`~bot.config.Config` and an open store. ``setup_hook``
loads the cogs from an explicit tuple (a failing one is logged and skipped) and syncs the
commands to ``DISCORD_GUILD_ID`` only when it is set; global sync is the explicit
``papers-bot sync`` step (or the owner-only ``/sync``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import math
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.discord_ui import embeds
from bot.discord_ui.limits import Limits, RateLimited, UserLimiter
from bot.discord_ui.replies import NO_MENTIONS, Refusal, reply_error
from bot.discord_ui.translator import CatalogTranslator
from bot.i18n import phrases
from bot.i18n.catalog import locale_from_discord, set_locale, tr, trn
from storage.errors import AlertError, ReadingListError, Unavailable

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.alerts import AlertService
    from bot.core.coordination import Coordinator
    from bot.core.digests import DigestScheduler
    from bot.core.summaries import BackgroundSummaries
    from bot.discord_ui.poster import Menus
    from storage.ports import Store

log = logging.getLogger(__name__)

F = TypeVar("F")

#: Every cog, loaded in this order. A cog that fails to load is logged and skipped.
EXTENSIONS: tuple[str, ...] = (
    "cogs.papers",
    "cogs.authors",
    "cogs.search",
    "cogs.ask",
    "cogs.meta",
    "cogs.digest",
    "cogs.alerts",
    "cogs.reading",
    "cogs.research",
)

#: How long paging buttons and menus stay alive (seconds).
VIEW_TIMEOUT = 180.0

MISSING_TOKEN = (
    "DISCORD_TOKEN is not set: put it in the environment or in .env "
    "(see 'Setting it up' in README.md), or use `papers-bot console` without Discord."
)
REJECTED_TOKEN = (
    "Discord rejected DISCORD_TOKEN (login failed): copy the token again from the Developer "
    "Portal (Bot > Reset Token) into .env."
)


def everywhere(func: F) -> F:
    """Allow a command in servers and as a user-installed app, in guilds, DMs and group DMs."""
    func = app_commands.allowed_installs(guilds=True, users=True)(func)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(func)


def make_intents() -> discord.Intents:
    """No privileged intents (members, presences, content): slash commands need only guilds;
    the messages intents bring DMs and messages that mention the bot, with their content."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = intents.guild_messages = True  # cogs.ask: questions in plain text
    return intents


def interaction_options(interaction: discord.Interaction) -> dict[str, Any]:
    """The options the user gave, flattened (``{"query": "llm", "sort": "votes"}``) for logs."""
    data: dict[str, Any] = dict(interaction.data or {})
    found: dict[str, Any] = {}

    def walk(options: Iterable[dict[str, Any]], prefix: str = "") -> None:
        for option in options:
            if "options" in option:
                walk(option["options"], f"{prefix}{option['name']} ")
            else:
                found[f"{prefix}{option['name']}"] = option.get("value")

    walk(data.get("options", []) or [])
    return found


def expected_error_message(error: BaseException) -> str | None:
    """A message for the user when ``error`` is an expected failure, else ``None``."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, Refusal):
        return error.message
    if isinstance(error, UserError | AlertError | ReadingListError):
        return phrases.describe_error(error)
    if isinstance(error, app_commands.TransformerError):
        if isinstance(error.__cause__, UserError):
            return phrases.describe_error(error.__cause__)
        return tr("error.option", value=repr(error.value))
    if isinstance(error, Unavailable):
        return tr("error.database_unavailable")
    if isinstance(error, RateLimited):
        return trn("error.cooldown", error.seconds)
    if isinstance(error, app_commands.CommandOnCooldown):
        return trn("error.cooldown", max(1, math.ceil(error.retry_after)))
    if isinstance(error, NotOwner):
        return tr("error.owner_only")
    if isinstance(error, app_commands.MissingPermissions):
        missing = [p for p in error.missing_permissions if p != "administrator"]
        if missing:
            names = ", ".join(permission_name(p) for p in missing)
            return tr("error.permission", names=names)
        return tr("error.permission", names=tr("permission.administrator"))
    if isinstance(error, app_commands.NoPrivateMessage):
        return tr("error.guild_only")
    if isinstance(error, app_commands.CheckFailure):
        return tr("error.check_failed")
    return None


#: Permission names as Discord shows them, for the permissions the bot asks of anyone.
_PERMISSIONS = {
    "administrator": "permission.administrator",
    "manage_guild": "permission.manage_guild",
    "view_channel": "permission.view_channel",
    "send_messages": "permission.send_messages",
    "send_messages_in_threads": "permission.send_messages_in_threads",
    "embed_links": "permission.embed_links",
}


def permission_name(attribute: str) -> str:
    """``manage_guild`` -> ``Manage Server`` (in the current language)."""
    key = _PERMISSIONS.get(attribute)
    if key is not None:
        return tr(key)
    return attribute.replace("guild", "server").replace("_", " ").title()


class NotOwner(app_commands.CheckFailure):
    """The command is for the bot's owner only."""


def owner_only() -> Callable[[F], F]:
    """A runtime owner check: ``default_permissions`` alone is only a UI default."""

    async def predicate(interaction: discord.Interaction) -> bool:
        client = interaction.client
        if isinstance(client, commands.Bot | commands.AutoShardedBot) and await client.is_owner(
            interaction.user
        ):
            return True
        raise NotOwner("owner only")

    return app_commands.check(predicate)


class PapersTree(app_commands.CommandTree["PapersBot"]):
    """The command tree, with the one global error handler.

    Expected failures (a core :class:`~bot.core.errors.UserError` or alert error, a
    :class:`~bot.discord_ui.replies.Refusal`, a bad option, a failed check) get a clear
    ephemeral message; anything else is logged with the command name and its options, and the
    user gets a short apology: never silence.
    """

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Every command, autocomplete and error message answers in the user's language; a
        command also makes it the language of the user's alert DMs."""
        language = set_locale(locale_from_discord(interaction.locale))
        if interaction.type is discord.InteractionType.application_command:
            await self.client.remember_language(interaction.user.id, language)
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        command = interaction.command
        name = command.qualified_name if command is not None else "<unknown>"
        message = expected_error_message(error)
        if message is not None:
            log.debug("/%s: expected failure %r", name, error)
            embed = embeds.error_embed(message)
        else:
            original = getattr(error, "original", error)
            log.error(
                "Command /%s failed with options %r (user %s, guild %s)",
                name,
                interaction_options(interaction),
                interaction.user.id if interaction.user else None,
                interaction.guild_id,
                exc_info=original,
            )
            embed = embeds.apology_embed()
        try:
            await reply_error(interaction, embed)
        except discord.HTTPException:
            log.exception("Could not tell the user that /%s failed", name)


class PapersBot(commands.AutoShardedBot):
    """The bot. ``config`` and ``store`` come in through the constructor; nothing global.

    It runs the shards of ``config`` (SHARD_COUNT and SHARDS; Discord's recommended count
    without them) over one gateway connection each. ``coordinator`` (made by :func:`run_bot`)
    is its place among several processes: its guilds' digests, the global jobs it may run.
    """

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        extensions: Iterable[str] = EXTENSIONS,
        clock: Callable[[], dt.datetime] = discord.utils.utcnow,
        view_timeout: float = VIEW_TIMEOUT,
        sync_dev_guild: bool = True,
        run_scheduler: bool = True,
        coordinator: Coordinator | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("intents", make_intents())
        if config.shard_count is not None:
            options.setdefault("shard_count", config.shard_count)
            options.setdefault("shard_ids", list(config.shard_ids))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            allowed_mentions=NO_MENTIONS,
            tree_cls=PapersTree,
            **options,
        )
        self.config = config
        self.store = store
        self.extensions_to_load: tuple[str, ...] = tuple(extensions)
        self.failed_extensions: dict[str, BaseException] = {}
        #: Returns the current time (timezone-aware); tests pass a fixed clock.
        self.clock = clock
        self.view_timeout = view_timeout
        self.sync_dev_guild = sync_dev_guild
        #: False for one-shot logins (``papers-bot sync``): no digests posted, nothing fetched.
        self.run_scheduler = run_scheduler
        #: The daily digest scheduler, started in :meth:`setup_hook`, stopped in :meth:`close`.
        self.digests: DigestScheduler | None = None
        #: The alerts watcher (DMs new matches), started in :meth:`setup_hook`, stopped in
        #: :meth:`close`.
        self.alerts: AlertService | None = None
        #: Per-user rate limits of questions and paging buttons (QUESTION/BUTTON_RATE_LIMIT).
        self.limits = Limits(
            questions=UserLimiter(config.question_rate), buttons=UserLimiter(config.button_rate)
        )
        #: Korean summaries after each fetch (SUMMARY_API_URL and SUMMARY_MODEL set), stopped
        #: in :meth:`close`.
        self.summaries: BackgroundSummaries | None = None
        #: Each user's language as last stored with their alerts (saves a write per command).
        self.languages: dict[int, str] = {}
        #: This process among others on the database (``None``: alone, no leases).
        self.coordinator = coordinator
        #: The background jobs start once per process, whatever the gateway does after.
        self.jobs_started = 0

        #: The menus under a digest post (save a paper, see similar ones), set by the cog that
        #: answers them (cogs.research) before the scheduler starts; ``None``: no menus.
        self.digest_menus: Menus | None = None

    def now(self) -> dt.datetime:
        """The current time, timezone-aware (from :attr:`clock`)."""
        return self.clock()

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogTranslator())
        await self.load_cogs()
        if self.run_scheduler:
            await self.start_jobs()
        guild_id = self.config.discord_guild_id
        if guild_id is not None and self.sync_dev_guild:
            await self.sync_to_guild(guild_id)

    async def start_jobs(self) -> None:
        """Start the heartbeat, the digest scheduler and the alerts watcher: once per process
        (``setup_hook`` runs once; a reconnect's ``on_ready`` never comes here)."""
        if self.jobs_started:
            log.warning("Background jobs are already running; not starting them again")
            return
        self.jobs_started += 1
        if self.coordinator is not None:
            await self.coordinator.start()
        await self.start_scheduler()
        await self.start_alerts()

    async def start_scheduler(self) -> None:
        """Start the daily digest scheduler (and the fetch job when sources are configured,
        followed by the summaries in the background when a model is configured)."""
        from bot.core.digests import DigestScheduler
        from bot.core.fetch import fetch_job_for
        from bot.core.summaries import BackgroundSummaries, Summariser, SummarySettings
        from bot.discord_ui.poster import ChannelPoster

        settings = SummarySettings.from_config(self.config)
        if settings is not None:
            self.summaries = BackgroundSummaries(Summariser(self.store, settings))
        kick = self.summaries.kick if self.summaries is not None else None
        fetch: Callable[[], Awaitable[Any]] | None
        fetch = fetch_job_for(self.config, self.store, clock=self.now, after=kick)
        interval = None
        if self.config.fetch_interval_minutes > 0:
            interval = dt.timedelta(minutes=self.config.fetch_interval_minutes)
        else:
            fetch = None  # FETCH_INTERVAL_MINUTES=0: only `papers-bot fetch` fetches
        if fetch is not None and self.coordinator is not None:
            from bot.core.coordination import FETCH_JOB

            fetch = self.coordinator.guard(FETCH_JOB, fetch)  # one process fetches
        self.digests = DigestScheduler(
            store=self.store,
            poster=ChannelPoster.for_client(self, menus=self.digest_menus),
            clock=self.now,
            grace=dt.timedelta(hours=self.config.digest_grace_hours),
            fetch=fetch,
            fetch_interval=interval,
            coordinator=self.coordinator,
        )
        if self.coordinator is not None:
            self.coordinator.on_adopt = self.digests.catch_up_soon
            self.coordinator.on_recover = self.digests.catch_up_soon
        if self.summaries is not None:
            self.summaries.then = self.digests.refresh_summaries
        await self.digests.start()

    async def start_alerts(self) -> None:
        """Start the alerts watcher: new imports are matched and DMed within a tick."""
        from bot.core.alerts import AlertService
        from bot.discord_ui.alerts import ClientMessenger

        options: dict[str, Any] = {}
        if self.coordinator is not None:
            from bot.core.coordination import ALERTS_JOB

            options.update(
                gate=functools.partial(self.coordinator.take, ALERTS_JOB),  # one process sends
                holder=self.coordinator.process_id,
                lease=self.coordinator.lease,
            )
        self.alerts = AlertService(
            store=self.store,
            messenger=ClientMessenger(self),
            clock=self.now,
            interval=self.config.alert_interval_seconds,
            **options,
        )
        await self.alerts.start()

    async def remember_language(self, user_id: int, language: str) -> None:
        """Store ``language`` (of the user's latest command) with the user's alerts, so their
        DMs speak it; a failure is logged, never in the way of the command."""
        if self.languages.get(user_id) == language:
            return
        try:
            await self.store.set_alerts_language(user_id, language)
        except Exception:
            log.exception("Could not store the language of user %s", user_id)
            return
        self.languages[user_id] = language

    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        """After any command: tell the user, once and privately, that their alerts were paused
        because a DM to them bounced (``/alerts`` itself turns them back on)."""
        try:
            count = await self.store.take_pause_notice(interaction.user.id)
            if not count:
                return
            from bot.discord_ui.alerts import paused_notice_embed

            await reply_error(interaction, paused_notice_embed(count))
        except Exception:
            log.exception(
                "Could not tell user %s that their alerts are paused", interaction.user.id
            )

    async def load_cogs(self) -> None:
        """Load every extension; log each failure and keep going."""
        for extension in self.extensions_to_load:
            try:
                await self.load_extension(extension)
            except Exception as exc:
                self.failed_extensions[extension] = exc
                log.exception("Failed to load extension %s", extension)
            else:
                log.debug("Loaded extension %s", extension)

    async def sync_to_guild(self, guild_id: int) -> list[app_commands.AppCommand]:
        """Copy the global commands to one (development) guild and sync them there."""
        guild = discord.Object(id=guild_id)
        self.tree.copy_global_to(guild=guild)
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            log.error(
                "Could not sync commands to DISCORD_GUILD_ID %s (is the bot in that server, "
                "invited with the applications.commands scope?): %s",
                guild_id,
                exc,
            )
            return []
        log.info("Synced %d commands to guild %s", len(synced), guild_id)
        return synced

    async def on_ready(self) -> None:
        """Logged in (again, after a reconnect that could not resume): only a log line; jobs
        started in :meth:`setup_hook`, once per process."""
        log.info(
            "Logged in as %s (id %s) in %d servers (shards %s)",
            self.user,
            getattr(self.user, "id", None),
            len(self.guilds),
            ",".join(str(s) for s in sorted(self.shards)) or "-",
        )

    async def close(self) -> None:
        # commands.AutoShardedBot.close unloads every extension (each cog's cog_unload runs) before
        # closing the connection; the store belongs to whoever opened it (run_bot).
        log.debug("Closing the bot")
        if self.digests is not None:
            await self.digests.stop()
        if self.alerts is not None:
            await self.alerts.stop()
        if self.summaries is not None:
            await self.summaries.stop()
        if self.coordinator is not None:
            await self.coordinator.stop()  # the leases go to the others at once
        await super().close()


def _fail(message: str) -> None:
    """One ``papers-bot: error: ...`` line on stderr (the same shape as bot.cli's)."""
    print(f"papers-bot: error: {message}", file=sys.stderr)


async def run_bot(config: Config, store: Store) -> int:
    """``papers-bot run``: log in and serve until stopped; returns the exit status.

    ``store`` is open (and seeded), as ``bot.cli`` passes it; whoever opened it closes it. A
    missing or rejected token is one line on stderr and a non-zero exit, never a traceback; the
    token itself is never logged or printed.
    """
    token = config.discord_token
    if not token:
        _fail(MISSING_TOKEN)
        return 2
    from bot.core.coordination import Coordinator, DatabaseInUse, ShardsTaken

    coordinator = Coordinator(
        store,
        shards=config.shard_ids,
        shard_count=config.total_shards,
        lease=dt.timedelta(seconds=config.lease_seconds),
        clock=discord.utils.utcnow,
    )
    try:
        await coordinator.claim()
    except ShardsTaken as exc:
        _fail(phrases.shards_taken(exc, now=discord.utils.utcnow()))
        return 1
    except DatabaseInUse as exc:
        _fail(phrases.database_in_use(exc, now=discord.utils.utcnow()))
        return 1
    try:
        await coordinator.start()  # beat from now on: logging in may take longer than a lease
        return await _serve(config, store, coordinator, token)
    finally:
        await coordinator.stop()


def _close_on_sigterm(bot: PapersBot) -> None:
    """SIGTERM (systemd, docker stop) closes the bot as Ctrl-C does: its leases are released
    at once instead of after the lease."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(
            signal.SIGTERM, lambda: loop.create_task(bot.close(), name="sigterm-close")
        )
    except (NotImplementedError, RuntimeError):  # pragma: no cover - not on this platform
        pass


async def _serve(config: Config, store: Store, coordinator: Coordinator, token: str) -> int:
    async with PapersBot(config=config, store=store, coordinator=coordinator) as bot:
        _close_on_sigterm(bot)
        try:
            await bot.start(token)
        except discord.LoginFailure:
            _fail(REJECTED_TOKEN)
            return 1
        except discord.PrivilegedIntentsRequired:
            _fail("Discord refused the gateway intents (this bot asks for no privileged ones).")
            return 1
        except (OSError, aiohttp.ClientError) as exc:
            _fail(f"could not reach Discord ({exc.__class__.__name__}): check the network.")
            return 1
    return 0


async def sync_commands(config: Config, store: Store, *, guild_id: int | None = None) -> int:
    """``papers-bot sync``: register the slash commands globally (or in one guild) and exit.

    Logs in over HTTP only (no gateway). Global commands can take up to an hour to appear in
    every client; guild commands appear at once.
    """
    token = config.discord_token
    if not token:
        _fail(MISSING_TOKEN)
        return 2
    async with PapersBot(
        config=config, store=store, sync_dev_guild=False, run_scheduler=False
    ) as bot:
        try:
            await bot.login(token)
        except discord.LoginFailure:
            _fail(REJECTED_TOKEN)
            return 1
        except (OSError, aiohttp.ClientError) as exc:
            _fail(f"could not reach Discord ({exc.__class__.__name__}): check the network.")
            return 1
        try:
            if guild_id is None:
                synced = await bot.tree.sync()
                where = "globally (may take up to an hour to show everywhere)"
            else:
                synced = await bot.sync_to_guild(guild_id)
                where = f"to guild {guild_id}"
        except discord.HTTPException as exc:
            _fail(f"Discord refused the command sync: {exc}")
            return 1
    print(f"Synced {len(synced)} commands {where}: {', '.join('/' + c.name for c in synced)}")
    return 0
