"""Instants people and clients give (API bodies, the console's forms): in UTC, in a plausible
window, or a BadInput naming the field. Pure.

Contract:
- :func:`in_utc` turns an aware datetime into UTC; one whose offset carries it past the first
  or the last day ``datetime`` can hold (``0001-01-01T00:30:00+01:00``,
  ``9999-12-31T23:30:00-01:00``) is a BadInput naming the field, never an OverflowError.
- :func:`given` is :func:`in_utc` and then the plausible window, as the webhook checks its
  timestamps against a window around their receipt
  (:meth:`bridge.core.alerts.WebhookLimits.plausible_between`): no earlier than
  :data:`EARLIEST` and no later than :data:`AHEAD` after ``now`` (:func:`plausible_between`),
  both included. The webhook's own window (a year back, a day ahead) is too narrow here: a
  privacy breach may be detected years after it occurred, a regulator sets deadlines weeks or
  months ahead. Callers that know a tighter bound (never in the future) check it after.

Why a window at all: an instant outside it is a typo (``0026`` for ``2026``), and one near the
ends of what ``datetime`` holds is stored fine but breaks everything that later renders it in
Oslo or Stockholm time or counts months and working days from it (an OverflowError in every
draft, read and restart that meets it). Inside the window every such rendering and sum stays
thousands of years from those ends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.errors import BadInput

#: No instant a person gives lies before this: the bridge handles outages, privacy breaches and
#: regulators' requests of its own time (the Swedish and Norwegian electronic communications
#: acts it reports under date from 2003), so an earlier one is a mistake.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: Nor more than this after now: the farthest ahead a person gives is a regulator's deadline
#: (days to months ahead); ten years leaves room for any of them.
AHEAD = timedelta(days=3653)
#: How :data:`AHEAD` is said in answers.
AHEAD_TEXT = "ten years"


def plausible_between(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest instant a person may give at ``now`` (both included)."""
    return EARLIEST, now + AHEAD


def in_utc(value: datetime, name: str) -> datetime:
    """``value`` (aware) in UTC; BadInput naming ``name`` when it has no offset or UTC cannot
    hold it."""
    if value.utcoffset() is None:
        raise BadInput(name, "expected a time with its offset (e.g. 2026-11-23T10:05:00Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise BadInput(name, f"{value.isoformat()} is outside the years 1 to 9999 in UTC") from None


def given(value: datetime, name: str, now: datetime) -> datetime:
    """``value`` in UTC once it lies in the plausible window at ``now`` (see the module
    contract); else BadInput naming ``name``."""
    at = in_utc(value, name)
    earliest, latest = plausible_between(now)
    if at < earliest:
        raise BadInput(name, f"{_iso(at)} is before {_iso(earliest)}, the earliest time taken")
    if at > latest:
        raise BadInput(name, f"{_iso(at)} is more than {AHEAD_TEXT} from now")
    return at


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
