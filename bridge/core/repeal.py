"""Whether an incident falls under a repealed law. Pure.

A rule set whose law was repealed (``repealed_on``: PTS's outage reporting, LEK 8 kap. 1–4 §§,
repealed on 2026-01-15 by SFS 2025:1511) is kept for incidents that began before that day and,
for later ones, as the operator's own internal threshold: its reports are then owed to no
regulator. :func:`after_repeal` is the one test of which side of that day an incident is on;
drafting (what a report says, where it goes) and the obligations (a legal deadline or an
internal one) both ask it. :func:`internal_threshold` is how such a rule set and its reports
are named where a line of text shows them (``bridge replay``).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

#: The calendar a jurisdiction's law counts days in.
ZONES = {"SE": "Europe/Stockholm", "NO": "Europe/Oslo"}


def after_repeal(started_at: datetime | None, repealed_on: date | None, jurisdiction: str) -> bool:
    """True when the law was repealed (``repealed_on`` given) and the incident began on or after
    that day in the jurisdiction's calendar; an incident without a known start counts as after
    (nothing is sent to a regulator on a guess)."""
    if repealed_on is None:
        return False
    if started_at is None:
        return True
    try:
        day = started_at.astimezone(ZoneInfo(ZONES.get(jurisdiction, "UTC"))).date()
    except OverflowError:
        day = started_at.date()
    return day >= repealed_on


def internal_threshold(repealed_on: date) -> str:
    """The words for a repealed law's rule set, or one of its reports, for an incident since the
    repeal: "internal threshold (repealed 2026-01-15), owed to no regulator" (the day is the
    rule set's ``repealed_on``)."""
    return f"internal threshold (repealed {repealed_on.isoformat()}), owed to no regulator"
