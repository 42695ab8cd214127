"""AuditLog (bridge.store.interfaces) on every store in ``STORES``: append-only, newest first,
paged by seq and filtered by target; searched (search_audit) with the same answers on every store,
held to AuditFilter.matches. Entries written with a draft: test_draft_store.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from store_kit import T0

from bridge.core.audit_search import AuditFilter
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry


def entry(action: str, target: str = "draft:d-1", minute: int = 0) -> AuditEntry:
    return AuditEntry(T0 + timedelta(minutes=minute), "token:ops", action, target, {"v": minute})


async def test_audit_log_is_ordered_paged_and_filtered(store: Store):
    """The log reads newest first by growing seq, pages by before_seq, filters by target."""
    await store.append_audit([entry(f"a{i}", minute=i) for i in range(5)])
    await store.append_audit([entry("other", target="incident:x", minute=9)])
    await store.append_audit([])
    log = await store.audit_log()
    assert [e.action for e in log] == ["other", "a4", "a3", "a2", "a1", "a0"]
    seqs = [e.seq for e in log]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 6 and min(seqs) > 0
    page = await store.audit_log(limit=2, before_seq=log[1].seq)
    assert [e.action for e in page] == ["a3", "a2"]
    assert [e.action for e in await store.audit_log(target="incident:x")] == ["other"]
    first = log[-1]
    assert first.at == T0 and first.actor == "token:ops" and first.detail == {"v": 0}


async def test_the_audit_seq_is_the_highest_handed_out_and_is_raised_never_lowered(
    store: Store,
):
    """``audit_seq`` is the highest seq handed out (0: none); ``raise_audit_seq`` makes the next
    entry's seq come above the number given (a log restored from a backup continues above every
    seq handed out before the restore), and never lowers it."""
    assert await store.audit_seq() == 0
    await store.append_audit([entry("a0"), entry("a1")])
    high = await store.audit_seq()
    assert high == (await store.audit_log(limit=1))[0].seq
    assert await store.raise_audit_seq(high + 10) == high + 10
    assert await store.raise_audit_seq(high + 3) == high + 10
    await store.append_audit([entry("after")])
    [after] = await store.audit_log(limit=1)
    assert after.action == "after" and after.seq == high + 11
    assert await store.audit_seq() == high + 11
    assert [e.action for e in await store.audit_log(before_seq=after.seq)] == ["a1", "a0"]


# ---- searches (AuditLog.search_audit): the same answers on every store ----------------------

_ACTORS = ("ada", "bo", "token:ops")
_ACTIONS = ("draft.approved", "draft.edited", "login.success", "incident.note", "privacy.read")


def _target(n: int) -> str:
    """A mix of every kind of target: incidents, their drafts, cases, people, the store."""
    return (
        f"incident:inc-{n % 3}",
        f"draft:inc-{n % 3}.nkom_varsel",
        f"draft:inc-{n % 3}.pts_initial.2",
        f"privacy:priv-{n % 2}",
        f"draft:priv-{n % 2}.pts_privacy",
        f"user:u{n % 2}",
        "store",
        "draft:inc-10.pts_initial",  # inc-10 is not inc-1
    )[n % 8]


def _history(count: int = 120) -> list[AuditEntry]:
    """``count`` entries a minute apart, except every seventh, written late: 45 minutes behind
    the one before (the clock of another replica), so ``at`` is not in ``seq`` order."""
    entries = []
    for n in range(count):
        late = timedelta(minutes=45) if n % 7 == 3 else timedelta()
        entries.append(
            AuditEntry(
                T0 + timedelta(minutes=n) - late,
                _ACTORS[n % 3],
                _ACTIONS[n % 5],
                _target(n),
                {"n": n},
            )
        )
    return entries


def _expected(log: list[AuditEntry], where: AuditFilter) -> list[int]:
    return [e.seq for e in log if where.matches(e.at, e.actor, e.action, e.target, e.also)]


_FILTERS = [
    AuditFilter(),
    AuditFilter(since=T0 + timedelta(minutes=30), until=T0 + timedelta(minutes=70)),
    AuditFilter(since=T0 + timedelta(minutes=100)),
    AuditFilter(until=T0 + timedelta(minutes=10)),
    AuditFilter(actor="ada"),
    AuditFilter(actor="ada", since=T0 + timedelta(minutes=20), until=T0 + timedelta(minutes=50)),
    AuditFilter(action="draft."),
    AuditFilter(action="draft.approved"),
    AuditFilter(action="draft"),  # exact: no action is "draft"
    AuditFilter(incident="inc-1"),
    AuditFilter(incident="inc-1", action="draft.approved"),
    AuditFilter(incident="priv-0"),
    AuditFilter(target="store", since=T0 + timedelta(minutes=50)),
    AuditFilter(tracks=frozenset({"outage"})),
    AuditFilter(tracks=frozenset({"privacy"}), actor="bo"),
    AuditFilter(tracks=frozenset()),
    AuditFilter(since=T0 + timedelta(days=1)),  # after every entry
    AuditFilter(until=T0 - timedelta(days=1)),  # before every entry
]


async def _walk(store: Store, where: AuditFilter, limit: int, scan: int) -> list[list[int]]:
    """Every page from the newest on, following ``resume``."""
    pages: list[list[int]] = []
    before = None
    for _ in range(1000):
        page = await store.search_audit(where, limit, before, scan)
        pages.append([e.seq for e in page.entries])
        assert len(page.entries) <= limit
        if page.resume is None:
            return pages
        assert before is None or page.resume < before
        before = page.resume
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("where", _FILTERS)
async def test_a_search_finds_what_the_filter_means(store: Store, where: AuditFilter):
    """Every entry the filter matches (AuditFilter.matches, the one meaning), newest first, in
    pages of any size and with any scan bound: entries late by 45 minutes included."""
    await store.append_audit(_history())
    log = await store.audit_log(limit=1000)
    expected = _expected(log, where)
    one = await store.search_audit(where, 1000, None, 10_000)
    assert [e.seq for e in one.entries] == expected and one.resume is None
    for limit, scan in ((7, 10_000), (5, 13), (1000, 9), (3, 1)):
        pages = await _walk(store, where, limit, scan)
        assert [seq for page in pages for seq in page] == expected, (limit, scan)


async def test_a_search_answers_the_fields_as_stored(store: Store):
    await store.append_audit(_history(8))
    found = (await store.search_audit(AuditFilter(incident="inc-1"), 10)).entries
    assert [(e.action, e.target, e.detail) for e in found] == [
        ("draft.edited", "draft:inc-1.nkom_varsel", {"n": 1})
    ]
    assert found[0].at == T0 + timedelta(minutes=1) and found[0].actor == "bo"


async def test_the_scan_bound_stops_a_walk_at_the_same_entry_on_every_store(store: Store):
    """A walk looks at ``scan`` entries of its source at most: a page then ends short (even
    empty) with ``resume`` at the lowest looked at; the same pages on every store (the expected
    pages here are the store-independent ones)."""
    await store.append_audit(_history(40))
    log = await store.audit_log(limit=1000)
    seqs = [e.seq for e in log]
    # actor "ada" (n % 3 == 0) and action draft.approved (n % 5 == 0): n % 15 == 0
    where = AuditFilter(actor="ada", action="draft.approved")
    ada = [e.seq for e in log if e.actor == "ada"]  # the source walked: the actor's index
    first = await store.search_audit(where, 10, None, 4)
    assert first.resume == ada[3]
    assert [e.seq for e in first.entries] == _expected([e for e in log if e.seq >= ada[3]], where)
    empty = await store.search_audit(AuditFilter(action="none.such"), 10, None, 5)
    assert empty.entries == [] and empty.resume == seqs[4]
    done = await store.search_audit(AuditFilter(action="none.such"), 10, seqs[35], 50)
    assert done.entries == [] and done.resume is None


async def test_a_time_range_is_read_through_the_index_not_the_whole_log(store: Store):
    """With a time range the walk starts and stops within it (the log's clock bounds how late
    an entry came): a scan of 3 finds the entries of a range far back in the log."""
    await store.append_audit(
        [AuditEntry(T0 + timedelta(minutes=n), "ada", "x.y", "store") for n in range(200)]
    )
    where = AuditFilter(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=13))
    page = await store.search_audit(where, 10, None, 3)
    assert [e.at for e in page.entries] == [T0 + timedelta(minutes=m) for m in (12, 11, 10)]


async def test_the_clock_and_the_indexes_survive_a_reopen(make):
    """A reopened store (the clock kept in the store, not the process) still finds late
    entries."""
    first = await make()
    await first.open()
    await first.append_audit(_history(30))
    await first.close()
    again = await make()
    await again.open()
    try:
        await again.append_audit(
            [AuditEntry(T0 + timedelta(minutes=5), "late", "x.y", "store")]  # 25 min behind
        )
        where = AuditFilter(since=T0 + timedelta(minutes=4), until=T0 + timedelta(minutes=6))
        log = await again.audit_log(limit=1000)
        page = await again.search_audit(where, 100, None, 1)
        found, before = [e.seq for e in page.entries], page.resume
        while before is not None:
            page = await again.search_audit(where, 100, before, 1)
            found += [e.seq for e in page.entries]
            before = page.resume
        assert found == _expected(log, where) and len(found) >= 2
    finally:
        await again.close()


# ---- an entry with further targets (``also``: a list's read of several privacy cases) ------


def _list_reads(count: int = 60) -> list[AuditEntry]:
    """Single-target entries mixed with list reads naming one to three cases as ``also``."""
    entries = []
    for n in range(count):
        at = T0 + timedelta(minutes=n)
        if n % 4 == 1:
            also = tuple(f"privacy:priv-{k}" for k in range(n % 3, n % 3 + 1 + n % 5 // 2))
            entries.append(
                AuditEntry(at, _ACTORS[n % 3], "privacy.read", "privacy:cases", {"n": n}, also=also)
            )
        else:
            entries.append(AuditEntry(at, _ACTORS[n % 3], _ACTIONS[n % 5], _target(n), {"n": n}))
    return entries


@pytest.mark.parametrize(
    "where",
    [
        AuditFilter(target="privacy:priv-1"),
        AuditFilter(target="privacy:priv-0", actor="bo"),
        AuditFilter(incident="priv-2"),
        AuditFilter(incident="priv-0", action="privacy."),
        AuditFilter(incident="priv-1", since=T0 + timedelta(minutes=20)),
        AuditFilter(target="privacy:cases"),
        AuditFilter(actor="ada", incident="priv-1"),
        AuditFilter(tracks=frozenset({"outage"})),
    ],
)
async def test_an_entry_is_found_by_each_of_its_targets(store: Store, where: AuditFilter):
    """An entry naming further targets (``also``) is found by a search for any of them (by
    target or by the incident or case it names), on every store, in pages of any size and with
    any scan bound, as AuditFilter.matches says; it reads back with them in their order."""
    await store.append_audit(_list_reads())
    log = await store.audit_log(limit=1000)
    expected = _expected(log, where)
    one = await store.search_audit(where, 1000, None, 10_000)
    assert [e.seq for e in one.entries] == expected and one.resume is None
    for limit, scan in ((7, 10_000), (5, 13), (3, 1)):
        pages = await _walk(store, where, limit, scan)
        assert [seq for page in pages for seq in page] == expected, (limit, scan)


async def test_an_entry_s_further_targets_are_stored_and_read_by_target(store: Store):
    """One entry naming three cases reads back with them; a target's log (``audit_log(target=…)``)
    of each case, and a search by each, hold that one entry; one without them reads back as it
    was written (no ``also``)."""
    also = ("privacy:priv-b", "privacy:priv-a", "privacy:priv-c")
    read = AuditEntry(T0, "ada", "privacy.read", "privacy:cases", {"path": "/x"}, also=also)
    await store.append_audit([read, entry("draft.edited", target="privacy:priv-a")])
    log = await store.audit_log()
    assert [(e.target, e.also) for e in log] == [
        ("privacy:priv-a", ()),
        ("privacy:cases", also),
    ]
    for target in also:
        assert [e.seq for e in await store.audit_log(target=target)][-1] == log[1].seq
        found = await store.search_audit(AuditFilter(incident=target.partition(":")[2]), 10)
        assert log[1].seq in [e.seq for e in found.entries]
    assert [e.also for e in await store.audit_log(target="privacy:priv-b")] == [also]
