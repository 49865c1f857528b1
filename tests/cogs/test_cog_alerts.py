"""/alerts through the real CommandTree: add (keywords or author), list, remove, autocomplete."""

from __future__ import annotations

from typing import Any

from harness import ALICE, BOB, Harness, Result, interaction_payload, snowflake

from storage.models import MAX_ALERTS
from storage.sqlite.store import Store

ALICE_ID = int(ALICE["id"])
NONE = {"parse": []}


def alerts_data(sub: str, options: dict[str, Any], *, focused: str | None = None) -> dict[str, Any]:
    rendered = []
    for key, value in options.items():
        option: dict[str, Any] = {"name": key, "type": 3, "value": value}
        if key == focused:
            option["focused"] = True
        rendered.append(option)
    return {
        "id": str(snowflake()),
        "name": "alerts",
        "type": 1,
        "options": [{"name": sub, "type": 1, "options": rendered}],
    }


async def alerts(
    harness: Harness,
    sub: str,
    *,
    user: dict[str, Any] = ALICE,
    context: str = "guild",
    **options: Any,
) -> Result:
    payload = interaction_payload(2, alerts_data(sub, options), user=user, context=context)
    return await harness.dispatch(payload)


async def choices(
    harness: Harness, sub: str, focused: str, *, user: dict[str, Any] = ALICE, **options: Any
) -> list[dict[str, Any]]:
    options.setdefault(focused, "")
    data = alerts_data(sub, options, focused=focused)
    return (await harness.dispatch(interaction_payload(4, data, user=user))).choices


async def test_add_keywords_in_a_server_is_private(harness: Harness, store: Store) -> None:
    """/alerts add keywords in a server: stored for the user, confirmed ephemerally, no pings."""
    result = await alerts(harness, "add", keywords="확산 모델")
    assert result.ephemeral and result.last.allowed_mentions == NONE
    assert result.embed["title"] == "Alert added"
    (alert,) = await store.alerts(ALICE_ID)
    assert (alert.kind, alert.query) == ("keywords", "확산 모델")
    assert f"#{alert.id}" in result.embed["description"]


async def test_add_author_in_a_dm_uses_the_stored_spelling(harness: Harness, store: Store) -> None:
    """/alerts add author in a DM: the name is matched like stored authors (case, accents)."""
    name = (await store.suggest_authors("", limit=1))[0].name
    result = await alerts(harness, "add", context="dm", author=name.upper())
    assert result.ephemeral
    (alert,) = await store.alerts(ALICE_ID)
    assert (alert.kind, alert.query) == ("author", name)
    assert "No stored papers" not in result.embed["description"]


async def test_add_unknown_author_says_so(harness: Harness, store: Store) -> None:
    """An author with no stored papers is watched as typed, and the reply says so."""
    result = await alerts(harness, "add", author="Nobody Atall")
    assert "No stored papers by this name yet" in result.embed["description"]
    assert [a.query for a in await store.alerts(ALICE_ID)] == ["Nobody Atall"]


async def test_add_needs_exactly_one_option(harness: Harness, store: Store) -> None:
    """Neither or both of keywords/author: a clear private error, nothing stored."""
    for options in ({}, {"keywords": "llm", "author": "Yejin Choi"}):
        result = await alerts(harness, "add", **options)
        assert result.ephemeral and "exactly one" in result.embed["description"]
    assert await store.alerts(ALICE_ID) == []


async def test_add_punctuation_only_refused(harness: Harness, store: Store) -> None:
    """Keywords with nothing searchable are refused."""
    result = await alerts(harness, "add", keywords="!!! ???")
    assert result.ephemeral and "nothing to search for" in result.embed["description"]
    assert await store.alerts(ALICE_ID) == []


async def test_duplicate_alert_message(harness: Harness, store: Store) -> None:
    """The same keywords again (any case/spacing): 'already have this alert', nothing added."""
    await alerts(harness, "add", keywords="Diffusion Models")
    result = await alerts(harness, "add", context="dm", keywords="diffusion   models")
    assert result.ephemeral and "already have this alert" in result.embed["description"]
    assert len(await store.alerts(ALICE_ID)) == 1


async def test_limit_message(harness: Harness, store: Store) -> None:
    """The 26th alert is refused with the limit in the message."""
    for i in range(MAX_ALERTS):
        await store.add_alert(ALICE_ID, "keywords", f"topic {i}", now=harness.bot.now())
    result = await alerts(harness, "add", keywords="one more")
    assert result.ephemeral and f"{MAX_ALERTS} alerts" in result.embed["description"]


async def test_list_shows_own_alerts_only(harness: Harness, store: Store) -> None:
    """/alerts list shows the user's alerts (kind, query), not someone else's; private."""
    await alerts(harness, "add", keywords="agents")
    await alerts(harness, "add", user=BOB, keywords="speech")
    result = await alerts(harness, "list", context="dm")
    assert result.ephemeral
    assert result.embed["title"] == f"Your alerts (1/{MAX_ALERTS})"
    assert "agents" in result.embed["description"]
    assert "speech" not in result.embed["description"]


async def test_list_empty_says_how_to_add(harness: Harness) -> None:
    """With no alerts, the list says how to add one."""
    result = await alerts(harness, "list")
    assert "/alerts add" in result.embed["description"]


async def test_remove_autocompletes_own_alerts(harness: Harness, store: Store) -> None:
    """The remove option offers only the user's alerts, filtered by what was typed."""
    await alerts(harness, "add", keywords="agents")
    await alerts(harness, "add", keywords="diffusion")
    await alerts(harness, "add", user=BOB, keywords="speech")
    offered = await choices(harness, "remove", "alert")
    assert [c["name"].split(": ", 1)[1] for c in offered] == ["agents", "diffusion"]
    typed = await choices(harness, "remove", "alert", alert="diff")
    assert len(typed) == 1 and typed[0]["name"].endswith("diffusion")
    assert await choices(harness, "remove", "alert", user=BOB) != offered


async def test_remove_own_alert(harness: Harness, store: Store) -> None:
    """/alerts remove with the chosen value deletes it and says which."""
    await alerts(harness, "add", keywords="agents")
    (alert,) = await store.alerts(ALICE_ID)
    result = await alerts(harness, "remove", context="dm", alert=str(alert.id))
    assert result.ephemeral and f"#{alert.id}" in result.embed["description"]
    assert await store.alerts(ALICE_ID) == []


async def test_remove_someone_elses_alert_refused(harness: Harness, store: Store) -> None:
    """An id that is not the user's alert: a clear error, the alert stays."""
    await alerts(harness, "add", user=BOB, keywords="speech")
    (bobs,) = await store.alerts(int(BOB["id"]))
    result = await alerts(harness, "remove", alert=str(bobs.id))
    assert result.ephemeral and "not one of your alerts" in result.embed["description"]
    assert len(await store.alerts(int(BOB["id"]))) == 1


async def test_remove_with_a_non_ascii_digit_refused(harness: Harness, store: Store) -> None:
    """A value such as "³" or "٣" (digits to str.isdigit, not to int): the same clear error,
    not the apology (found by the property test)."""
    for value in ("³", "٣", "#²"):
        result = await alerts(harness, "remove", alert=value)
        assert result.ephemeral and "not one of your alerts" in result.embed["description"]


async def test_author_option_autocompletes(harness: Harness, store: Store) -> None:
    """The author option suggests stored authors by prefix."""
    name = (await store.suggest_authors("", limit=1))[0].name
    offered = await choices(harness, "add", "author", author=name[:3])
    assert name in [c["value"] for c in offered]
