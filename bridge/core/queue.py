"""The deadline queue: everything still owed across incidents, privacy cases and drafts, in the
order a person should work through it. Pure.

Contract:
- :func:`deadline_queue` takes the obligations of every case (:class:`Owed`) and the drafts
  that wait for a person (:class:`Waiting`) and returns one :class:`Entry` per obligation that is
  neither sent nor rejected, joined with the latest draft of its case and kind, plus one entry
  per waiting draft no such obligation covers (a closed incident's failed e-mail, say). A
  closed case's obligations without a deadline (an update waiting for a change that can no
  longer come) are left out: nothing can make them due.
- Each entry says whether it ``binding``: owed to a regulator by law in force (an obligation's
  own flag, :class:`bridge.core.obligations.Obligation`: false for a repealed law's internal
  threshold; a draft without an obligation counts as binding, nothing telling otherwise).
- ``decisions`` (:class:`Decide`): an incident a cybersecurity rule set's criteria mark
  potentially significant that no person declared yet gets one entry of kind
  :data:`DECISION`, state :data:`TO_DECIDE`, without a deadline (nothing is owed before a
  person declares: it is never overdue) and not binding; it carries what would be owed if
  declared now (``decision``).
- Order: entries with a deadline first, nearest due first, so the overdue ones (due before
  ``now``) are on top, the most overdue first; then the decisions; then the ones without a
  deadline (waiting for an event, or a draft without an obligation); ties by case, regulator,
  kind.
- ``overdue`` is ``now >= due_at`` for an entry still owed; ``seconds_left`` is negative then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core.obligations import SETTLED

#: the kind of a decision's entry: is the incident significant under the cybersecurity act?
DECISION = "significance_decision"
#: the state of a decision's entry
TO_DECIDE = "to_decide"

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
    binding: bool = True


@dataclass(frozen=True, slots=True)
class Decide:
    """An incident a person has to declare significant or not (``regulator``'s act), and what
    it would owe if declared now (``preview``: as the API shows it)."""

    case: str
    track: str
    regulator: str
    preview: dict[str, Any]


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
    binding: bool = True
    decision: dict[str, Any] | None = None


def _done(state: str) -> bool:
    return state in SETTLED


def deadline_queue(
    owed: Iterable[Owed],
    drafts: Iterable[Waiting],
    now: datetime,
    decisions: Iterable[Decide] = (),
) -> list[Entry]:
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
                o.binding,
            )
        )
    for key, d in latest.items():
        if key not in covered and d.state in NEEDS_A_PERSON:
            entries.append(
                Entry(d.case, d.track, d.regulator, d.kind, None, d.state, None, False, None, d)
            )
    for asked in decisions:
        entries.append(
            Entry(
                asked.case,
                asked.track,
                asked.regulator,
                DECISION,
                None,
                TO_DECIDE,
                None,
                False,
                None,
                None,
                False,
                asked.preview,
            )
        )
    entries.sort(key=lambda e: (_group(e), e.due_at or now, e.case, e.regulator, e.kind))
    return entries


def _group(e: Entry) -> int:
    """0: with a deadline; 1: a decision; 2: the rest, owed once something happens."""
    if e.due_at is not None:
        return 0
    return 1 if e.decision is not None else 2
