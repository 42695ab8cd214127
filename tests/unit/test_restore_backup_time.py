"""The backup time ``bridge restored`` reports against
(:func:`bridge.notices.after_restore.backup_time`), with plain values: a given time, else the
copy's mark, else the time an earlier run recorded, and only then the store's newest audit
entry (after a run, the newest entries are that run's own and those written since)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.notices.after_restore import (
    EARLIER_RUN,
    GIVEN,
    MARK,
    NEWEST_ENTRY,
    NOTHING,
    EarlierRun,
    backup_time,
)

T = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
RUN = EarlierRun(
    seq=40, at=T + timedelta(hours=2), actor="cli:ops", backup_taken_at=T, archive_dir="/srv/a"
)


def test_an_earlier_runs_time_comes_before_the_newest_entry() -> None:
    """The newest entry is the earlier run's own (seq 40) or one written after it: never used."""
    for newest in ((40, RUN.at), (55, RUN.at + timedelta(minutes=5))):
        chosen = backup_time(None, None, RUN, newest)
        assert (chosen.at, chosen.source, chosen.earlier) == (T, EARLIER_RUN, RUN)
        assert not chosen.contradicts
    assert backup_time(None, None, RUN, (40, RUN.at)).written_since is None
    since = RUN.at + timedelta(minutes=5)
    assert backup_time(None, None, RUN, (55, since)).written_since == since


def test_without_an_earlier_run_the_newest_entry_else_the_epoch() -> None:
    assert backup_time(None, None, None, (7, T)).at == T
    assert backup_time(None, None, None, (7, T)).source == NEWEST_ENTRY
    nothing = backup_time(None, None, None, None)
    assert (nothing.at, nothing.source) == (datetime.fromtimestamp(0, UTC), NOTHING)


def test_a_given_time_or_the_mark_wins_and_a_given_one_that_differs_contradicts() -> None:
    later = T + timedelta(minutes=30)
    marked = backup_time(None, later, RUN, (40, RUN.at))
    assert (marked.at, marked.source, marked.contradicts) == (later, MARK, False)
    given = backup_time(later, T, RUN, (40, RUN.at))
    assert (given.at, given.source, given.contradicts) == (later, GIVEN, True)
    assert not backup_time(T, None, RUN, None).contradicts
    assert not backup_time(later, None, None, (3, T)).contradicts
