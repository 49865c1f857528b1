"""Several processes on one database (every backend): process rows, shard and job leases that
expire and are taken over, and the digest slot claim that a live sender keeps."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

from storage.backends import open_store
from storage.models import ProcessRecord
from storage.ports import Store

T0 = dt.datetime(2025, 5, 10, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)
SLOT = dt.date(2025, 5, 10)
DAY = dt.date(2025, 5, 9)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


async def register(store: Store, pid: str, shards: tuple[int, ...], seconds: float = 0) -> None:
    await store.register_process(ProcessRecord(pid, shards, 3, at(seconds), at(seconds), "test"))


async def test_processes_round_trip(store: Store) -> None:
    """A registered process reads back with its shards, times and version; release removes it."""
    await register(store, "h:1:a", (0, 2))
    [proc] = await store.processes()
    assert (proc.process_id, proc.shards, proc.shard_count) == ("h:1:a", (0, 2), 3)
    assert proc.started_at == T0 and proc.last_beat == T0 and proc.version == "test"
    await store.release("h:1:a", now=at(1))
    assert await store.processes() == []


async def test_overlapping_live_shards_are_refused(store: Store) -> None:
    """A second process asking for a shard another holds live gets the lease in the way and
    takes nothing; disjoint shards are taken."""
    assert await store.claim_shards("A", [0, 1], 3, now=T0, expires_at=at(30)) == []
    conflicts = await store.claim_shards("B", [1, 2], 3, now=at(1), expires_at=at(31))
    assert [(c.shard_id, c.holder) for c in conflicts] == [(1, "A")]
    assert {(lease.shard_id, lease.holder) for lease in await store.shard_leases()} == {
        (0, "A"),
        (1, "A"),
    }
    assert await store.claim_shards("B", [2], 3, now=at(1), expires_at=at(31)) == []


async def test_another_shard_count_beside_a_live_process_is_refused(store: Store) -> None:
    """Shard ids mean nothing across counts: a live process with another count is in the way."""
    await store.claim_shards("A", [0], 3, now=T0, expires_at=at(30))
    conflicts = await store.claim_shards("B", [1], 4, now=at(1), expires_at=at(31))
    assert [c.holder for c in conflicts] == ["A"]


async def test_expired_shards_are_adopted_once_and_given_back(store: Store) -> None:
    """A shard whose owner stopped beating is adopted by one other process (for its digests);
    when a process started with that shard comes, it claims it back from the adopter."""
    await store.claim_shards("A", [0], 3, now=T0, expires_at=at(30))
    await store.claim_shards("B", [1], 3, now=T0, expires_at=at(30))
    await register(store, "A", (0,))
    await register(store, "B", (1,))
    held = await store.beat("B", now=at(20), expires_at=at(50))
    assert held.shards == {1} and held.adopted == set() and held.registered
    assert await store.adopt_shards("B", 3, now=at(20), expires_at=at(50)) == []
    assert await store.adopt_shards("B", 3, now=at(31), expires_at=at(61)) == [0]
    assert await store.adopt_shards("C", 3, now=at(32), expires_at=at(62)) == []
    held = await store.beat("B", now=at(35), expires_at=at(65))
    assert held.shards == {1} and held.adopted == {0}
    # A restarts with shard 0: the adoption is no obstacle.
    assert await store.claim_shards("A2", [0], 3, now=at(40), expires_at=at(70)) == []
    held = await store.beat("B", now=at(45), expires_at=at(75))
    assert held.adopted == set()


async def test_beat_renews_only_what_is_still_held(store: Store) -> None:
    """A beat extends the holder's leases; a process whose row is gone is told so."""
    await store.claim_shards("A", [0], 3, now=T0, expires_at=at(30))
    assert await store.take_job("fetch", "A", now=T0, expires_at=at(30))
    held = await store.beat("A", now=at(10), expires_at=at(40))
    assert not held.registered and held.shards == {0} and held.jobs == {"fetch"}
    [lease] = await store.shard_leases()
    assert lease.expires_at == at(40)
    [job] = await store.job_leases()
    assert (job.holder, job.expires_at, job.since) == ("A", at(40), T0)


async def test_a_job_is_held_by_one_process_until_its_lease_expires(store: Store) -> None:
    """take_job: free -> taken; held live by another -> refused; expired -> taken over."""
    assert await store.take_job("alerts", "A", now=T0, expires_at=at(30))
    assert await store.take_job("alerts", "A", now=at(5), expires_at=at(35))
    assert not await store.take_job("alerts", "B", now=at(10), expires_at=at(40))
    assert await store.take_job("alerts", "B", now=at(36), expires_at=at(66))
    [job] = await store.job_leases()
    assert (job.holder, job.since) == ("B", at(36))
    assert not await store.take_job("alerts", "A", now=at(40), expires_at=at(70))


async def test_release_hands_leases_over_at_once(store: Store) -> None:
    """A process that stops cleanly lets others take its job and adopt its shards at once."""
    await register(store, "A", (0,))
    await store.claim_shards("A", [0], 3, now=T0, expires_at=at(30))
    await store.take_job("fetch", "A", now=T0, expires_at=at(30))
    await store.release("A", now=at(1))
    assert await store.take_job("fetch", "B", now=at(2), expires_at=at(32))
    assert await store.adopt_shards("B", 3, now=at(2), expires_at=at(32)) == [0]


async def test_digest_slot_is_claimed_once_while_its_sender_lives(store: Store) -> None:
    """A slot being sent by a live process is refused to others; once that process stops
    beating it is taken over; a settled slot is never claimed."""
    await register(store, "A", (0,))
    await register(store, "B", (1,))
    claim = store.claim_digest_slot
    assert await claim(1, SLOT, DAY, at=T0, holder="A", alive_since=at(-30))
    assert not await claim(1, SLOT, DAY, at=at(1), holder="B", alive_since=at(-29))
    assert await claim(1, SLOT, DAY, at=at(2), holder="A", alive_since=at(-28))  # its own
    await store.beat("B", now=at(40), expires_at=at(70))
    assert await claim(1, SLOT, DAY, at=at(40), holder="B", alive_since=at(10))  # A is dead
    run = await store.digest_run(1, SLOT)
    assert run is not None and run.outcome == "sending" and run.digest_date == DAY
    await store.record_digest_post(1, DAY, channel_id=5, message_ids=[9], at=at(41), slot=SLOT)
    assert not await claim(1, SLOT, DAY, at=at(99), holder="B", alive_since=at(60))


async def test_a_failed_slot_is_claimed_again(store: Store) -> None:
    """A failed post may be retried by whoever claims it first."""
    await register(store, "A", (0,))
    await store.record_digest_run(1, SLOT, "failed", at=T0, detail="forbidden")
    assert await store.claim_digest_slot(1, SLOT, DAY, at=at(1), holder="A", alive_since=T0)
    assert not await store.claim_digest_slot(1, SLOT, DAY, at=at(2), holder="B", alive_since=T0)


async def test_racing_processes_claim_each_slot_once(
    backend: str, new_database: Callable[[], Awaitable[str]]
) -> None:
    """Two stores (two processes' connections) racing for 40 slots and one job: every slot and
    the job go to exactly one of them."""
    where = await new_database()
    first, second = await open_store(where), await open_store(where)
    try:
        for s in (first, second):
            await s.register_process(ProcessRecord(id(s).__str__(), (0,), 1, T0, T0, "t"))

        async def grab(s: Store) -> list[int]:
            won = []
            for guild in range(40):
                if await s.claim_digest_slot(
                    guild, SLOT, DAY, at=T0, holder=str(id(s)), alive_since=at(-30)
                ):
                    won.append(guild)
            return won

        a, b = await asyncio.gather(grab(first), grab(second))
        assert sorted(a + b) == list(range(40))
        jobs = await asyncio.gather(
            *(s.take_job("fetch", str(id(s)), now=T0, expires_at=at(30)) for s in (first, second))
        )
        assert sorted(jobs) == [False, True]
    finally:
        await first.close()
        await second.close()


async def test_an_alert_send_is_claimed_once_while_its_sender_lives(store: Store) -> None:
    """A user's alert DM: claimed by one process; refused to others while it beats; taken over
    after, saying since when the dead one's send is unfinished; gone once finished."""
    await register(store, "A", (0,))
    await register(store, "B", (1,))
    first = await store.claim_alert_send(7, at=T0, holder="A", alive_since=at(-30))
    assert first is not None and first.unfinished_since is None
    assert await store.claim_alert_send(7, at=at(1), holder="B", alive_since=at(-29)) is None
    await store.beat("B", now=at(40), expires_at=at(70))
    taken = await store.claim_alert_send(7, at=at(40), holder="B", alive_since=at(10))
    assert taken is not None and taken.unfinished_since == T0
    await store.finish_alert_send(7, "A")  # not A's any more: nothing happens
    again = await store.claim_alert_send(7, at=at(41), holder="B", alive_since=at(11))
    assert again is not None and again.unfinished_since == T0
    await store.finish_alert_send(7, "B")
    fresh = await store.claim_alert_send(7, at=at(42), holder="A", alive_since=at(12))
    assert fresh is not None and fresh.unfinished_since is None
