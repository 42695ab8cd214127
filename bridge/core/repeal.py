"""Whether an incident falls under a rule set's law: one since repealed, or one that applies
only from a day. Pure.

A rule set whose law was repealed (``repealed_on``: PTS's outage reporting, LEK 8 kap. 1–4 §§,
repealed on 2026-01-15 by SFS 2025:1511) is kept for incidents that began before that day and,
for later ones, as the operator's own internal threshold: its reports are then owed to no
regulator. :func:`after_repeal` is the one test of which side of that day an incident is on;
drafting (what a report says, where it goes) and the obligations (a legal deadline or an
internal one) both ask it. :func:`internal_threshold` is how such a rule set and its reports
are named where a line of text shows them (``bridge replay``).

A rule set whose law applies only from a day (``in_force_from``: the Swedish cybersecurity act,
SFS 2025:1506, from 2026-01-15, the day LEK 8 kap. 1–4 §§ were repealed) owes nothing and
marks nothing for an incident that began before that day in the jurisdiction's calendar
(:func:`before_in_force`): that incident falls under the law before it (pts-outage).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

#: The calendar a jurisdiction's law counts days in.
ZONES = {"SE": "Europe/Stockholm", "NO": "Europe/Oslo"}


def _day(started_at: datetime, jurisdiction: str) -> date:
    """The day ``started_at`` falls on in the jurisdiction's calendar (:data:`ZONES`)."""
    try:
        return started_at.astimezone(ZoneInfo(ZONES.get(jurisdiction, "UTC"))).date()
    except OverflowError:
        return started_at.date()


def after_repeal(started_at: datetime | None, repealed_on: date | None, jurisdiction: str) -> bool:
    """True when the law was repealed (``repealed_on`` given) and the incident began on or after
    that day in the jurisdiction's calendar; an incident without a known start counts as after
    (nothing is sent to a regulator on a guess)."""
    if repealed_on is None:
        return False
    if started_at is None:
        return True
    return _day(started_at, jurisdiction) >= repealed_on


def before_in_force(
    started_at: datetime | None, in_force_from: date | None, jurisdiction: str
) -> bool:
    """True when the law applies only from ``in_force_from`` and the incident began before
    that day in the jurisdiction's calendar: the rule set owes it nothing and marks nothing. An
    incident without a known start counts as in force (the law in force cannot be ruled out;
    a person still decides before anything is sent)."""
    if in_force_from is None or started_at is None:
        return False
    return _day(started_at, jurisdiction) < in_force_from


def not_in_force(in_force_from: date) -> str:
    """The words for a rule set whose law does not apply to an incident that began before
    ``in_force_from``: "not in force for this incident (applies to incidents from
    2026-01-15)"."""
    return f"not in force for this incident (applies to incidents from {in_force_from.isoformat()})"


def internal_threshold(repealed_on: date) -> str:
    """The words for a repealed law's rule set, or one of its reports, for an incident since the
    repeal: "internal threshold (repealed 2026-01-15), owed to no regulator" (the day is the
    rule set's ``repealed_on``)."""
    return f"internal threshold (repealed {repealed_on.isoformat()}), owed to no regulator"
