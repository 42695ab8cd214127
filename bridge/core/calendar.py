"""Regulator deadlines: Swedish and Norwegian working days, and ``due_at`` for each obligation kind.

Contract:
- Pure: every instant is passed in (``events``, event name → aware datetime); nothing reads a clock.
- :func:`due_at` returns the aware UTC instant an obligation is due, with a human-readable
  explanation, or ``None`` while the event that starts its clock has not happened. It never
  overflows: an event too near year 1 or 9999 to count from gives the first or last instant
  ``datetime`` holds, and the explanation says it cannot be counted.
- Days are counted in the rule's local zone (``Europe/Stockholm`` for PTS). "End of day" is the
  last microsecond before the next local midnight, so DST changes give the exact UTC instant.
- Durations (:class:`After`) are elapsed time, not wall-clock time: 24 h across a DST change is
  24 h. Months are calendar months on the local wall clock, the day clamped to the month's end.
- A local wall time that a DST change skips (spring) or repeats (autumn) has two readings; a
  deadline takes the earlier (:func:`local_instant`), so it is never moved later by the clock.
- Conservative default: a deadline is never moved later because it falls on a non-working day;
  ``non_working_day="next_working_day"`` opts in to moving it to the next working day.
- Deadline rules are data: four rule types (:class:`After`, :class:`WorkingDayAfter`,
  :class:`OnEvent`, :class:`SetByRegulator`), one default per obligation kind
  (:data:`DEFAULT_RULES`), overridden from rule-set parameters by :func:`rule_from_params`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from bridge.core.durations import format_duration, parse_duration

COUNTRIES = ("SE", "NO")
NON_WORKING_DAY_POLICIES = ("keep", "next_working_day")
NonWorkingDay = Literal["keep", "next_working_day"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKEND = {5: "Saturday", 6: "Sunday"}
_LANGUAGE = {"SE": "sv", "NO": "no"}


# ---- working days ---------------------------------------------------------------------------


def _swedish_eves(year: int) -> dict[date, str]:
    """Days that are not *vardag* (lag 1930:173 § 2) without being public holidays."""
    june_19 = date(year, 6, 19)
    midsummer_eve = june_19 + timedelta(days=(4 - june_19.weekday()) % 7)  # Friday 19–25 June
    return {
        midsummer_eve: "Midsommarafton",
        date(year, 12, 24): "Julafton",
        date(year, 12, 31): "Nyårsafton",
    }


@lru_cache(maxsize=256)
def _holiday_table(country: str, year: int) -> Mapping[date, str]:
    """Public holidays of ``year`` (plus the Swedish eves), Sundays not listed as such.

    ``include_sundays=False`` is explicit because older ``holidays`` releases listed every
    Sunday as a Swedish/Norwegian holiday by default; weekends are handled by weekday here.
    The eves are added here too, whatever category the library files them under.
    The library is imported here, at the first table (:func:`warm` at the service's start):
    it takes about 45 ms, which every command that only loads the configuration would pay.
    """
    import holidays

    table = holidays.country_holidays(
        country, years=year, language=_LANGUAGE[country], include_sundays=False
    )
    days = {day: str(name) for day, name in table.items()}
    if country == "SE":
        for day, name in _swedish_eves(year).items():
            days.setdefault(day, name)
    return MappingProxyType(days)


def warm(year: int) -> None:
    """Load every supported country's holidays of ``year`` and the next now, not at the first
    deadline computed: the library imports its country modules then (about 80 ms on this
    project's machines, once per process), which would otherwise land on the first webhook
    that opens an incident."""
    for country in _LANGUAGE:
        for each in (year, year + 1):
            _holiday_table(country, each)


@dataclass(frozen=True, slots=True)
class WorkingDays:
    """Working days of ``country``: SE *vardag* (not Sat, Sun, public holiday, midsommarafton,
    julafton or nyårsafton) or NO *virkedag* (not Sat, Sun or public holiday; Norway's eves are
    working days in law)."""

    country: str = "SE"

    def __post_init__(self) -> None:
        if self.country not in COUNTRIES:
            raise ValueError(f"country must be one of {COUNTRIES}, got {self.country!r}")

    def non_working_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day (holiday name and/or weekday), or None if it is."""
        name = _holiday_table(self.country, day.year).get(day)
        weekend = _WEEKEND.get(day.weekday())
        if name and weekend:
            return f"{name} ({weekend})"
        return name or weekend

    def is_working_day(self, day: date) -> bool:
        return self.non_working_reason(day) is None

    def next_working_day_after(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def non_working_days_between(self, first: date, last: date) -> list[tuple[date, str]]:
        """Each non-working day from ``first`` to ``last`` inclusive, with its reason."""
        out: list[tuple[date, str]] = []
        day = first
        while day <= last:
            reason = self.non_working_reason(day)
            if reason is not None:
                out.append((day, reason))
            day += timedelta(days=1)
        return out


# ---- deadline rules (data) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class After:
    """Due ``months`` calendar months plus ``duration`` of elapsed time after ``event``."""

    event: str
    duration: timedelta = timedelta(0)
    months: int = 0
    zone: str = "Europe/Stockholm"  # for month arithmetic, explanations and non-working days
    country: str = "SE"
    non_working_day: NonWorkingDay = "keep"


@dataclass(frozen=True, slots=True)
class WorkingDayAfter:
    """Due at the end of the first working day after ``event``'s local day, but never later than
    the end of the local day ``cap_days_after`` calendar days after ``cap_event``'s local day.
    While ``event`` has not happened only the cap applies."""

    event: str
    zone: str = "Europe/Stockholm"
    country: str = "SE"
    cap_days_after: int | None = 3
    cap_event: str | None = "started"
    end_of_day: bool = True  # False: at the event's local time of day on that working day
    non_working_day: NonWorkingDay = "keep"  # applies to the cap day


@dataclass(frozen=True, slots=True)
class OnEvent:
    """Due at the instant ``event`` happens."""

    event: str


@dataclass(frozen=True, slots=True)
class SetByRegulator:
    """Due at the instant a person entered as ``event`` (the deadline the regulator set)."""

    event: str = "regulator_deadline"


Rule: TypeAlias = After | WorkingDayAfter | OnEvent | SetByRegulator
Basis = Literal["after", "working_day", "cap", "on_event", "regulator"]


class DueAt(msgspec.Struct, frozen=True, gc=False):
    at: datetime  # aware, UTC
    basis: Basis  # which part of the rule decided ``at``
    explanation: str
    waiting_for: str | None = None  # event still awaited; ``at`` may then only be a cap


# nkom_normalised is After(normalised, 1 h) rather than OnEvent: an OnEvent deadline is overdue
# the moment it opens; Nkom asks for an updated varsel "snarest" when normalised, which we model
# like nkom_varsel with an overridable target. subscriber_notice uses Nkom's 24 h (REGULATION §3),
# the stricter reading of PTS's "without undue delay". nkom_privacy_varsel models Nkom's
# "straks" as a 1 h target (overridable per rule set); privacy_subscriber_copy (the copy of a
# subscriber notice to PTS) has no deadline in the rules: 24 h after the notice is our choice.
_STOCKHOLM = "Europe/Stockholm"
_OSLO = "Europe/Oslo"
DEFAULT_RULES: Mapping[str, Rule] = MappingProxyType(
    {
        "nkom_varsel": After("reportable", timedelta(hours=1), zone=_OSLO, country="NO"),
        "nkom_update": After("significant_change", timedelta(hours=1), zone=_OSLO, country="NO"),
        "nkom_normalised": After("normalised", timedelta(hours=1), zone=_OSLO, country="NO"),
        "pts_initial": WorkingDayAfter("remedied", cap_days_after=3, cap_event="started"),
        "pts_supplementary": After("initial_sent", timedelta(days=14)),
        "privacy_initial": After("detected", timedelta(hours=24)),
        "privacy_supplementary": After("initial_sent", timedelta(days=3)),
        "subscriber_notice": After("detected", timedelta(hours=24), zone=_OSLO, country="NO"),
        "privacy_subscriber_copy": After("subscriber_notice_sent", timedelta(hours=24)),
        "nkom_privacy_varsel": After("detected", timedelta(hours=1), zone=_OSLO, country="NO"),
        "nkom_privacy_subscriber": After("detected", timedelta(hours=24), zone=_OSLO, country="NO"),
        # Nkom's updated varsel of a privacy case: the targets of nkom_update/nkom_normalised
        "nkom_privacy_update": After(
            "significant_change", timedelta(hours=1), zone=_OSLO, country="NO"
        ),
        "nkom_privacy_normalised": After(
            "normalised", timedelta(hours=1), zone=_OSLO, country="NO"
        ),
        "se_cyber_early_warning": After("aware", timedelta(hours=24)),
        "se_cyber_notification": After("aware", timedelta(hours=72)),
        "se_cyber_intermediate": SetByRegulator("csirt_deadline"),
        # the final report one month after the notification, or (still ongoing then) one month
        # after the incident was handled, with a progress report at the first instant: the
        # choice between the two is bridge.core.obligations.cyber_owed's
        "se_cyber_final": After("notification_sent", months=1),
        "se_cyber_progress": After("notification_sent", months=1),
        "nkom_hendelsesrapport": SetByRegulator("nkom_deadline"),
    }
)


# ---- due_at ---------------------------------------------------------------------------------


#: The deadline of an event so near the first or the last day ``datetime`` holds that the
#: deadline cannot be counted (see :func:`due_at`).
_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)
_BASIS: dict[type, Basis] = {
    After: "after",
    WorkingDayAfter: "working_day",
    OnEvent: "on_event",
    SetByRegulator: "regulator",
}


def due_at(rule: Rule, events: Mapping[str, datetime]) -> DueAt | None:
    """When an obligation under ``rule`` is due, given the instants of the events so far.

    An event so near year 1 or year 9999 that the deadline overflows (in UTC, in the local
    zone, or a month on) gives the first or the last instant ``datetime`` holds, saying so,
    never an OverflowError: only a store written before the API checked the times people give
    (:mod:`bridge.core.instants`) holds such an event, and it must not stop the bridge."""
    try:
        return _due_at(rule, events)
    except OverflowError:
        names = [getattr(rule, "event", None), getattr(rule, "cap_event", None)]
        given = {n: at for n in names if n and (at := events.get(n)) is not None}
        late = any(at.year > 5000 for at in given.values())
        shown = ", ".join(f"{n} at {at.isoformat()}" for n, at in given.items())
        return DueAt(
            _LAST if late else _FIRST,
            _BASIS[type(rule)],
            f"cannot be counted: {shown} is too near the {'end' if late else 'start'} of the "
            "calendar",
        )


def _due_at(rule: Rule, events: Mapping[str, datetime]) -> DueAt | None:
    if isinstance(rule, After):
        return _due_after(rule, events)
    if isinstance(rule, WorkingDayAfter):
        return _due_working_day_after(rule, events)
    if isinstance(rule, OnEvent):
        at = _event(events, rule.event)
        if at is None:
            return None
        return DueAt(at.astimezone(UTC), "on_event", f"when {rule.event}: {_utc(at)}")
    if isinstance(rule, SetByRegulator):
        at = _event(events, rule.event)
        if at is None:
            return None
        return DueAt(at.astimezone(UTC), "regulator", f"set by the regulator: {_utc(at)}")
    assert_never(rule)


def _due_after(rule: After, events: Mapping[str, datetime]) -> DueAt | None:
    start = _event(events, rule.event)
    if start is None:
        return None
    zone = ZoneInfo(rule.zone)
    at = add_months(start, rule.months, zone) + rule.duration
    text = f"{_describe_span(rule)} after {rule.event} at {_local(start, zone)}"
    at, moved = _roll(at, rule.non_working_day, zone, WorkingDays(rule.country))
    return DueAt(at, "after", f"{_local(at, zone)} ({text}{moved})")


def _due_working_day_after(rule: WorkingDayAfter, events: Mapping[str, datetime]) -> DueAt | None:
    zone = ZoneInfo(rule.zone)
    cap = _cap(rule, events, zone)
    trigger = _event(events, rule.event)
    if trigger is None:
        if cap is None:
            return None
        cap_at, cap_text = cap
        return DueAt(
            cap_at,
            "cap",
            f"{cap_text}; not yet {rule.event}, so only the cap applies",
            waiting_for=rule.event,
        )
    at, text = _first_working_day_deadline(rule, trigger, zone)
    if cap is None:
        return DueAt(at, "working_day", text)
    cap_at, cap_text = cap
    if cap_at < at:
        return DueAt(cap_at, "cap", f"{cap_text}, capping {text}")
    return DueAt(at, "working_day", f"{text}; the cap ({cap_text}) is not earlier")


def _first_working_day_deadline(
    rule: WorkingDayAfter, trigger: datetime, zone: ZoneInfo
) -> tuple[datetime, str]:
    local = trigger.astimezone(zone)
    if rule.end_of_day:
        return _end_of_first_working_day(rule, local.date())
    day, origin = _first_working_day(rule, local.date())
    at = local_instant(day, local.time(), zone)
    return at, f"{_local(at, zone)} ({origin})"


# What follows depends on a rule and a local date only, and the timer asks it again for every
# incident it re-evaluates (most of a storm's incidents start on the same day): kept.


@lru_cache(maxsize=1024)
def _end_of_first_working_day(rule: WorkingDayAfter, local_day: date) -> tuple[datetime, str]:
    """The end of the first working day after ``local_day`` in the rule's zone, and why."""
    day, origin = _first_working_day(rule, local_day)
    zone = ZoneInfo(rule.zone)
    return end_of_local_day(day, zone), f"end of {_day(day)} {rule.zone} ({origin})"


@lru_cache(maxsize=1024)
def _first_working_day(rule: WorkingDayAfter, local_day: date) -> tuple[date, str]:
    """The first working day after ``local_day`` and how it was found."""
    calendar = WorkingDays(rule.country)
    day = calendar.next_working_day_after(local_day)
    skipped = calendar.non_working_days_between(local_day + timedelta(days=1), day)
    because = ", ".join(f"{_day(d)} {reason}" for d, reason in skipped)
    why = f"; not working days: {because}" if because else ""
    return day, f"first working day after {rule.event} on {_day(local_day)}{why}"


def _cap(
    rule: WorkingDayAfter, events: Mapping[str, datetime], zone: ZoneInfo
) -> tuple[datetime, str] | None:
    if rule.cap_days_after is None or rule.cap_event is None:
        return None
    start = _event(events, rule.cap_event)
    if start is None:
        return None
    return _cap_after(rule, start.astimezone(zone).date())


@lru_cache(maxsize=1024)
def _cap_after(rule: WorkingDayAfter, start_day: date) -> tuple[datetime, str]:
    """The cap's deadline for a cap event on local day ``start_day``, and how it was found."""
    assert rule.cap_days_after is not None and rule.cap_event is not None  # _cap
    zone = ZoneInfo(rule.zone)
    calendar = WorkingDays(rule.country)
    day = start_day + timedelta(days=rule.cap_days_after)
    text = (
        f"end of {_day(day)} {rule.zone}, {rule.cap_days_after} days after "
        f"{rule.cap_event} on {_day(start_day)}"
    )
    reason = calendar.non_working_reason(day)
    if reason is not None and rule.non_working_day == "next_working_day":
        moved = calendar.next_working_day_after(day)
        return end_of_local_day(moved, zone), f"{text} ({reason}), moved to {_day(moved)}"
    if reason is not None:
        text += f" ({reason}; not moved later)"
    return end_of_local_day(day, zone), text


def _roll(
    at: datetime, policy: NonWorkingDay, zone: ZoneInfo, calendar: WorkingDays
) -> tuple[datetime, str]:
    """``at``, or the same wall time on the next working day if the policy asks to move it."""
    local = at.astimezone(zone)
    reason = calendar.non_working_reason(local.date())
    if reason is None or policy == "keep":
        return at, ""
    day = calendar.next_working_day_after(local.date())
    moved = local_instant(day, local.time(), zone)
    return moved, f"; {_day(local.date())} is {reason}, moved to the next working day"


# ---- time arithmetic ------------------------------------------------------------------------


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) ``zone``'s clocks show ``wall`` on ``day``. A wall time a DST change
    skips (spring forward: 02:30 on the last Sunday of March in Stockholm) or repeats (fall
    back: 02:30 on the last Sunday of October) has two readings, one per offset; the earlier
    is taken, so a deadline read from the wall clock is never moved later (zoneinfo's
    ``fold=0`` alone gives the later one in a gap). Every wall time made a deadline here is
    read through this."""
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return min(first, second)


def end_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """The last microsecond of ``day`` in ``zone``, in UTC (exact across DST changes). Not a
    wall time made a deadline (:func:`local_instant`) but the instant the next local day
    begins: a midnight skipped by DST (zones that change at 00:00) begins it at the change,
    which is the reading with the offset before it (``fold=0``); a midnight repeated begins it
    at its first occurrence, ``fold=0`` again."""
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return next_midnight.astimezone(UTC) - timedelta(microseconds=1)


def add_months(at: datetime, months: int, zone: ZoneInfo) -> datetime:
    """``at`` plus calendar ``months`` on ``zone``'s wall clock, the day clamped to the month's
    end (Jan 31 + 1 → Feb 28/29), in UTC. A wall time that DST skips or repeats on the day
    reached is read as its earlier instant (:func:`local_instant`). No months: ``at`` itself
    (read again from the wall clock, an instant in the repeated hour would move)."""
    if months == 0:
        return at.astimezone(UTC)
    local = at.astimezone(zone)
    year, month0 = divmod(local.year * 12 + local.month - 1 + months, 12)
    if not MINYEAR <= year <= MAXYEAR:
        raise OverflowError("date value out of range")  # as the other sums say it
    day = min(local.day, _days_in_month(year, month0 + 1))
    return local_instant(date(year, month0 + 1, day), local.time(), zone)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:  # December of 9999 too: no next month's first day to count back from
        return 31
    return (date(year, month + 1, 1) - timedelta(days=1)).day


def _event(events: Mapping[str, datetime], name: str) -> datetime | None:
    value = events.get(name)
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"event {name!r} must be a timezone-aware datetime, got {value!r}")
    return value


def _day(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"


def _local(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{_day(local.date())} {local:%H:%M} {local.tzname()}"


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _describe_span(rule: After) -> str:
    parts = []
    if rule.months:
        parts.append(f"{rule.months} month" + ("s" if rule.months != 1 else ""))
    if rule.duration or not parts:
        parts.append(format_duration(rule.duration))
    return " + ".join(parts)


# ---- parameters from rule-set data ----------------------------------------------------------


def rule_from_params(kind: str, params: Mapping[str, object]) -> Rule:
    """The default rule of ``kind`` with ``params`` (rule-set data) overriding its fields.

    Raises ValueError naming the unknown kind, or the unknown or invalid parameter.
    """
    base = DEFAULT_RULES.get(kind)
    if base is None:
        raise ValueError(f"unknown obligation kind {kind!r}")
    allowed = [f.name for f in fields(base)]
    changes: dict[str, Any] = {}
    for name, value in params.items():
        if name not in allowed:
            raise ValueError(
                f"{kind}: unknown parameter {name!r} for {type(base).__name__} "
                f"(allowed: {', '.join(allowed)})"
            )
        try:
            changes[name] = _coerce(name, value)
        except ValueError as exc:
            raise ValueError(f"{kind}: parameter {name!r}: {exc}") from None
    return replace(base, **changes)


def _coerce(name: str, value: object) -> object:
    if name == "duration":
        return parse_duration(value)
    if name in ("months", "cap_days_after"):
        if value is None and name == "cap_days_after":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"expected a non-negative whole number, got {value!r}")
        return value
    if name == "zone":
        return _zone_name(value)
    if name == "country":
        if value not in COUNTRIES:
            hint = ' (write "NO" in quotes: YAML reads bare NO as false)' if value is False else ""
            raise ValueError(f"expected one of {COUNTRIES}, got {value!r}{hint}")
        return value
    if name == "end_of_day":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if name == "non_working_day":
        if value not in NON_WORKING_DAY_POLICIES:
            raise ValueError(f"expected one of {NON_WORKING_DAY_POLICIES}, got {value!r}")
        return value
    if value is None and name == "cap_event":
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected an event name, got {value!r}")
    return value


def _zone_name(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected an IANA time zone name, got {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value
