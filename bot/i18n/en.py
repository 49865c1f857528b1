"""Every English sentence built from the core's typed values, in one place.

The core (:mod:`bot.core`) and storage return typed values and raise typed errors: no words.
The Discord adapter (:mod:`bot.discord_ui`, ``cogs``) and the terminal (:mod:`bot.console`,
``bot.cli``) turn them into words here, so each sentence exists once and is built from fields
(a later step turns this module into translation catalogues).

Text is plain (no markup of either front end), except command names in backticks, which both
show as they are. Untrusted text (what a user typed) is quoted with ``repr`` where a sentence
quotes it, as it always was; a caller that needs more (Discord markdown) escapes before.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from bot.core.digests import RunCode, RunDetail, zone

# --------------------------------------------------------------------------- daily digest

#: The words for each run code that has no fields.
_DIGEST_PROBLEMS: Final[dict[RunCode, str]] = {
    RunCode.CHANNEL_MISSING: (
        "The digest channel no longer exists (or the bot cannot see it): choose another "
        "with /digest set"
    ),
    RunCode.FORBIDDEN: (
        "The bot lost permission to post in the digest channel (it needs View Channel, "
        "Send Messages and Embed Links)"
    ),
    RunCode.POST_FAILED: "Posting failed",
    RunCode.NOTHING_NEW: "No new digest day since the last post",
    RunCode.NO_SLOT: "No slot since the settings were saved",
    RunCode.FOUND_IN_HISTORY: "Found in the channel's history",
}


def digest_detail(detail: RunDetail) -> str:
    """What a digest run's detail (or a server's last error) means, for the server's admins."""
    if detail.code is RunCode.HTTP_ERROR:
        status = f" ({detail.status})" if detail.status is not None else ""
        return f"Discord refused the post{status}"
    if detail.code is RunCode.MISSED:
        return missed_slot(detail)
    return _DIGEST_PROBLEMS[detail.code]


def missed_slot(detail: RunDetail) -> str:
    """``Missed: the bot was not running at 2024-06-14 09:00 KST and the 6:00:00 grace window
    has passed`` (the slot's fire time in the server's zone, as recorded)."""
    when = "its post time"
    if detail.fired_at is not None:
        local = detail.fired_at
        if detail.timezone:
            try:
                local = local.astimezone(zone(detail.timezone))
            except Exception:  # a zone this machine does not know: keep UTC
                local = local.astimezone(dt.UTC)
        when = f"{local:%Y-%m-%d %H:%M %Z}"
    grace = f"{detail.grace} " if detail.grace is not None else ""
    return f"Missed: the bot was not running at {when} and the {grace}grace window has passed"


def recorded_detail(text: str | None) -> str:
    """A stored run detail or last error in words: a code (:meth:`RunDetail.decode`) is
    described; anything else (a sentence an older version stored) is shown as it is."""
    detail = RunDetail.decode(text)
    return digest_detail(detail) if detail is not None else (text or "")


def sending_digest(day: dt.date) -> str:
    """A slot in flight: its messages are being sent."""
    return f"Sending the {day.isoformat()} digest"
