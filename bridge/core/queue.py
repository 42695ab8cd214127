"""The deadline queue: everything still owed across incidents, privacy cases and drafts, in the
order a person should work through it. Pure.

Contract:
- :func:`deadline_queue` takes the obligations of every case (:class:`Owed`) and the drafts
  that wait for a person (:class:`Waiting`) and returns one :class:`Entry` per obligation that is
  neither sent nor rejected, joined with the latest draft of its case and kind, plus one entry
  per waiting draft no such obligation covers (a closed incident's failed e-mail, say). A
  closed case's obligations without a deadline (an update waiting for a change that can no
  longer come) are left out: nothing can make them due.
- Order: entries with a deadline first, nearest due first, so the overdue ones (due before
  ``now``) are on top, the most overdue first; then the ones without a deadline (waiting for an
  event, or a draft without an obligation); ties by case, regulator, kind.
- ``overdue`` is ``now >= due_at`` for an entry still owed; ``seconds_left`` is negative then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bridge.core.obligations import SETTLED

#: draft states in which a person has to act (review, approve again, settle a delivery)
NEEDS_A_PERSON = ("draft", "held", "failed", "in_doubt")


@dataclass(frozen=True, slots=True)
class Owed:
    """One obligation of one case as the queue needs it."""

    case: str
    track: str
    regulator: str
    kind: str
    due_at: datetime | None
    state: str
    waiting_for: str | None = None
    case_open: bool = True


@dataclass(frozen=True, slots=True)
class Waiting:
    """A draft (the latest of its case and kind) and its state."""

    id: str
    case: str
    track: str
    regulator: str
    kind: str
    state: str
    version: int


@dataclass(frozen=True, slots=True)
class Entry:
    case: str
    track: str
    regulator: str
    kind: str
    due_at: datetime | None
    state: str
    waiting_for: str | None
    overdue: bool
    seconds_left: int | None
    draft: Waiting | None


def _done(state: str) -> bool:
    return state in SETTLED


def deadline_queue(owed: Iterable[Owed], drafts: Iterable[Waiting], now: datetime) -> list[Entry]:
    """See the module contract."""
    latest: dict[tuple[str, str, str], Waiting] = {}
    for d in drafts:
        latest[(d.case, d.regulator, d.kind)] = d
    entries: list[Entry] = []
    covered: set[tuple[str, str, str]] = set()
    for o in owed:
        key = (o.case, o.regulator, o.kind)
        covered.add(key)
        if _done(o.state) or (o.due_at is None and not o.case_open):
            continue
        left = None if o.due_at is None else int((o.due_at - now).total_seconds())
        entries.append(
            Entry(
                o.case,
                o.track,
                o.regulator,
                o.kind,
                o.due_at,
                o.state,
                o.waiting_for if o.due_at is None else None,
                left is not None and left <= 0,
                left,
                latest.get(key),
            )
        )
    for key, d in latest.items():
        if key not in covered and d.state in NEEDS_A_PERSON:
            entries.append(
                Entry(d.case, d.track, d.regulator, d.kind, None, d.state, None, False, None, d)
            )
    entries.sort(key=lambda e: (e.due_at is None, e.due_at or now, e.case, e.regulator, e.kind))
    return entries
