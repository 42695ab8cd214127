"""Working days and deadlines on real 2026/2027 dates, in Europe/Stockholm and Europe/Oslo."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bridge.config import OBLIGATION_KINDS
from bridge.core.calendar import (
    DEFAULT_RULES,
    After,
    OnEvent,
    Rule,
    SetByRegulator,
    WorkingDayAfter,
    WorkingDays,
    add_months,
    due_at,
    end_of_local_day,
    local_instant,
    parse_duration,
    rule_from_params,
)

STHLM = ZoneInfo("Europe/Stockholm")
OSLO = ZoneInfo("Europe/Oslo")
SE = WorkingDays("SE")
NO = WorkingDays("NO")
PTS_INITIAL = DEFAULT_RULES["pts_initial"]
UNCAPPED = WorkingDayAfter("remedied", cap_days_after=None)


def sthlm(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=STHLM)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=UTC)


def end_of_day_utc(y: int, m: int, d: int, utc_hour: int) -> datetime:
    """The last microsecond of a Stockholm day whose next midnight is ``utc_hour``:00 UTC."""
    return datetime(y, m, d, utc_hour, tzinfo=UTC) - timedelta(microseconds=1)


# ---- working days -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 1, 1), "Nyårsdagen"),
        (date(2026, 1, 6), "Trettondedag jul"),
        (date(2026, 4, 3), "Långfredagen"),
        (date(2026, 4, 6), "Annandag påsk"),
        (date(2026, 5, 1), "Första maj"),
        (date(2026, 5, 14), "Kristi himmelsfärdsdag"),
        (date(2026, 6, 6), "Nationaldagen"),
        (date(2026, 6, 19), "Midsommarafton"),
        (date(2026, 6, 20), "Midsommardagen"),
        (date(2026, 10, 31), "Alla helgons dag"),
        (date(2026, 12, 24), "Julafton"),
        (date(2026, 12, 25), "Juldagen"),
        (date(2026, 12, 26), "Annandag jul"),
        (date(2026, 12, 31), "Nyårsafton"),
        (date(2027, 1, 1), "Nyårsdagen"),
        (date(2027, 1, 6), "Trettondedag jul"),
        (date(2027, 3, 26), "Långfredagen"),
        (date(2027, 3, 29), "Annandag påsk"),
        (date(2027, 5, 6), "Kristi himmelsfärdsdag"),
        (date(2027, 6, 25), "Midsommarafton"),
        (date(2027, 11, 6), "Alla helgons dag"),
        (date(2027, 12, 24), "Julafton"),
        (date(2027, 12, 31), "Nyårsafton"),
    ],
)
def test_swedish_holidays_and_eves_are_not_working_days(day: date, reason: str) -> None:
    """Each public holiday and each of the three eves is not a vardag, and says which it is."""
    assert not SE.is_working_day(day)
    assert reason in (SE.non_working_reason(day) or "")


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 2),  # skärtorsdagen: a vardag in Sweden
        date(2026, 4, 7),
        date(2026, 5, 25),  # annandag pingst: no longer a holiday since 2005
        date(2026, 6, 18),
        date(2026, 6, 22),
        date(2026, 12, 23),
        date(2026, 12, 28),
        date(2026, 12, 30),
        date(2027, 1, 4),
        date(2027, 3, 25),
        date(2027, 3, 30),
        date(2027, 12, 27),
    ],
)
def test_ordinary_weekdays_around_holidays_are_working_days(day: date) -> None:
    """Weekdays next to holidays, Maundy Thursday and Whit Monday are Swedish working days."""
    assert SE.is_working_day(day)
    assert SE.non_working_reason(day) is None


def test_weekends_are_not_working_days_and_say_so() -> None:
    """A plain Saturday and Sunday are not working days, with the weekday as the reason."""
    assert SE.non_working_reason(date(2026, 3, 7)) == "Saturday"
    assert SE.non_working_reason(date(2026, 3, 8)) == "Sunday"


def test_a_holiday_on_a_weekend_names_both() -> None:
    """Alla helgons dag 2026 is a Saturday; the reason names the holiday and the weekday."""
    assert SE.non_working_reason(date(2026, 10, 31)) == "Alla helgons dag (Saturday)"


def test_every_sunday_is_a_non_working_weekend_day() -> None:
    """Every Sunday of 2026 is non-working, and an ordinary one reads 'Sunday', not a holiday."""
    sundays = [date(2026, 1, 4) + timedelta(weeks=n) for n in range(52)]
    reasons = {SE.non_working_reason(d) for d in sundays}
    assert "Sunday" in reasons
    assert all(r is not None and "Sunday" in r for r in reasons)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 2), date(2026, 4, 7)),  # Easter 2026
        (date(2027, 3, 25), date(2027, 3, 30)),  # Easter 2027
        (date(2026, 5, 13), date(2026, 5, 15)),  # Kristi himmelsfärd
        (date(2026, 6, 18), date(2026, 6, 22)),  # midsommar 2026
        (date(2027, 6, 24), date(2027, 6, 28)),  # midsommar 2027
        (date(2026, 12, 23), date(2026, 12, 28)),  # jul 2026
        (date(2026, 12, 30), date(2027, 1, 4)),  # nyår 2026/27
        (date(2027, 1, 5), date(2027, 1, 7)),  # trettondedag jul
        (date(2027, 12, 23), date(2027, 12, 27)),  # jul 2027
        (date(2027, 12, 30), date(2028, 1, 3)),  # nyår 2027/28, across years
        (date(2026, 3, 9), date(2026, 3, 10)),  # an ordinary Monday
    ],
)
def test_next_working_day_after_skips_holiday_runs(day: date, expected: date) -> None:
    """The next Swedish working day skips weekends, holidays and eves, across year ends."""
    assert SE.next_working_day_after(day) == expected


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 2),  # skjærtorsdag
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 25),  # 2. pinsedag
        date(2027, 3, 25),
        date(2027, 3, 29),
        date(2027, 5, 17),  # 17. mai on a Monday
    ],
)
def test_norwegian_holidays_are_not_working_days(day: date) -> None:
    """Norwegian public holidays (Easter incl. skjærtorsdag, 17 mai, pinse) are not virkedager."""
    assert not NO.is_working_day(day)


def test_norwegian_eves_are_working_days_in_law() -> None:
    """Julaften and midsummer eve are working days in Norway, unlike Sweden."""
    assert NO.is_working_day(date(2026, 12, 24))
    assert NO.is_working_day(date(2026, 6, 19))
    assert NO.next_working_day_after(date(2027, 3, 24)) == date(2027, 3, 30)


def test_unknown_country_is_refused() -> None:
    """Only SE and NO calendars exist."""
    with pytest.raises(ValueError, match="country"):
        WorkingDays("DK")


# ---- pts_initial ----------------------------------------------------------------------------


def test_remedied_before_easter_is_due_end_of_tuesday_after() -> None:
    """Remedied Thu 2026-04-02: the first working day after is Tue 2026-04-07 (end, CEST)."""
    events = {"started": sthlm(2026, 4, 2, 9, 0), "remedied": sthlm(2026, 4, 2, 15, 0)}
    due = due_at(UNCAPPED, events)
    assert due is not None
    assert due.at == end_of_day_utc(2026, 4, 7, 22)
    assert due.basis == "working_day"
    assert "Tue 2026-04-07" in due.explanation
    assert "Långfredagen" in due.explanation and "Annandag påsk" in due.explanation


def test_a_deadline_at_the_events_time_of_day_keeps_each_events_own_time() -> None:
    """``end_of_day: false``: due on the first working day after, at the event's local time of
    day. Two events on the same day (the working day is found once per day and kept) keep
    their own times; across the change to summer time the wall time is kept, not the offset."""
    rule = WorkingDayAfter("remedied", cap_days_after=None, end_of_day=False)
    morning = due_at(rule, {"remedied": sthlm(2026, 4, 2, 9, 15)})
    evening = due_at(rule, {"remedied": sthlm(2026, 4, 2, 16, 40)})
    assert morning is not None and evening is not None
    assert morning.at == utc(2026, 4, 7, 7, 15)  # Tue after Easter, 09:15 CEST
    assert evening.at == utc(2026, 4, 7, 14, 40)
    assert morning.basis == evening.basis == "working_day"
    assert "Långfredagen" in morning.explanation and "Annandag påsk" in evening.explanation
    before_dst = due_at(rule, {"remedied": sthlm(2026, 3, 27, 10, 0)})  # Fri, CET
    assert before_dst is not None
    assert before_dst.at == utc(2026, 3, 30, 8, 0)  # Mon 10:00 CEST


def test_remedied_before_easter_same_day_start_is_capped_on_easter_sunday() -> None:
    """Started and remedied Thu 2026-04-02: the cap, end of Sun 2026-04-05, beats Tuesday."""
    events = {"started": sthlm(2026, 4, 2, 9, 0), "remedied": sthlm(2026, 4, 2, 15, 0)}
    due = due_at(PTS_INITIAL, events)
    assert due is not None
    assert due.at == end_of_day_utc(2026, 4, 5, 22)
    assert due.basis == "cap"
    assert "Tue 2026-04-07" in due.explanation


def test_working_day_deadline_wins_when_earlier_than_the_cap() -> None:
    """Started and remedied Mon 2026-03-02: due end of Tue 03-03 (CET), before the Thu cap."""
    events = {"started": sthlm(2026, 3, 2, 9, 0), "remedied": sthlm(2026, 3, 2, 11, 0)}
    due = due_at(PTS_INITIAL, events)
    assert due is not None
    assert due.at == end_of_day_utc(2026, 3, 3, 23)
    assert due.basis == "working_day"
    assert "Thu 2026-03-05" in due.explanation


def test_remedied_before_easter_is_capped_when_started_earlier() -> None:
    """Started Wed 2026-04-01: the cap, end of Sat 2026-04-04, beats Tue 2026-04-07."""
    events = {"started": sthlm(2026, 4, 1, 8, 0), "remedied": sthlm(2026, 4, 2, 15, 0)}
    due = due_at(PTS_INITIAL, events)
    assert due is not None
    assert due.at == end_of_day_utc(2026, 4, 4, 22)
    assert due.basis == "cap"
    assert "Sat 2026-04-04" in due.explanation and "not moved later" in due.explanation


def test_remedied_before_easter_2027_is_due_end_of_tuesday() -> None:
    """Remedied Thu 2027-03-25: the first working day after is Tue 2027-03-30 (end, CEST)."""
    events = {"started": sthlm(2027, 3, 25, 6, 0), "remedied": sthlm(2027, 3, 25, 7, 0)}
    due = due_at(UNCAPPED, events)
    assert due is not None
    assert due.at == end_of_day_utc(2027, 3, 30, 22)


def test_remedied_before_midsommar_is_due_end_of_monday() -> None:
    """Remedied Thu 2026-06-18: Fri midsommarafton, Sat, Sun skipped, due end of Mon 06-22."""
    events = {"started": sthlm(2026, 6, 18, 6, 0), "remedied": sthlm(2026, 6, 18, 7, 0)}
    due = due_at(UNCAPPED, events)
    assert due is not None
    assert due.at == end_of_day_utc(2026, 6, 22, 22)
    assert due.basis == "working_day"
    assert "Midsommarafton" in due.explanation


def test_remedied_before_christmas_is_capped_on_christmas_day() -> None:
    """Started Tue 2026-12-22, remedied Wed 12-23: the cap (end of Fri 12-25) beats Mon 12-28."""
    events = {"started": sthlm(2026, 12, 22, 6, 0), "remedied": sthlm(2026, 12, 23, 7, 0)}
    due = due_at(PTS_INITIAL, events)
    assert due is not None
    assert due.at == end_of_day_utc(2026, 12, 25, 23)
    assert "Juldagen" in due.explanation and "Mon 2026-12-28" in due.explanation


def test_remedied_on_new_years_eve_eve_is_due_after_new_year() -> None:
    """Remedied Wed 2026-12-30 with a late-December start: first working day is Mon 2027-01-04,
    but the 3-day cap (end of Sat 2027-01-02) wins."""
    events = {"started": sthlm(2026, 12, 30, 6, 0), "remedied": sthlm(2026, 12, 30, 9, 0)}
    due = due_at(PTS_INITIAL, events)
    assert due is not None
    assert due.at == end_of_day_utc(2027, 1, 2, 23)
    uncapped = due_at(UNCAPPED, events)
    assert uncapped is not None
    assert uncapped.at == end_of_day_utc(2027, 1, 4, 23)


def test_unremedied_incident_is_due_at_the_cap_only() -> None:
    """Not yet remedied: due at the cap, marked as waiting for the remedy."""
    due = due_at(PTS_INITIAL, {"started": sthlm(2026, 3, 3, 10, 0)})
    assert due is not None
    assert due.at == end_of_day_utc(2026, 3, 6, 23)
    assert due.basis == "cap"
    assert due.waiting_for == "remedied"
    assert "only the cap applies" in due.explanation


def test_nothing_is_due_before_the_incident_started() -> None:
    """With neither event known there is no deadline."""
    assert due_at(PTS_INITIAL, {}) is None


@pytest.mark.parametrize(
    ("started", "cap_day"),
    [
        (sthlm(2026, 1, 9, 23, 50), date(2026, 1, 12)),  # Fri 23:50 local = 22:50 UTC Fri
        (sthlm(2026, 1, 10, 0, 10), date(2026, 1, 13)),  # Sat 00:10 local = 23:10 UTC Fri
        (sthlm(2026, 7, 10, 23, 50), date(2026, 7, 13)),  # Fri 23:50 CEST = 21:50 UTC Fri
        (sthlm(2026, 7, 11, 0, 10), date(2026, 7, 14)),  # Sat 00:10 CEST = 22:10 UTC Fri
    ],
)
def test_the_cap_counts_from_the_local_day_not_the_utc_day(
    started: datetime, cap_day: date
) -> None:
    """An incident near local midnight counts from its Stockholm day, whatever the UTC date."""
    due = due_at(PTS_INITIAL, {"started": started.astimezone(UTC)})
    assert due is not None
    assert due.at == end_of_local_day(cap_day, STHLM)


@pytest.mark.parametrize(
    ("remedied", "due_day"),
    [
        (utc(2026, 1, 8, 22, 50), date(2026, 1, 9)),  # Thu 23:50 local → Fri
        (utc(2026, 1, 8, 23, 10), date(2026, 1, 12)),  # Fri 00:10 local → Mon
    ],
)
def test_remedy_near_local_midnight_uses_the_local_day(remedied: datetime, due_day: date) -> None:
    """A remedy at 23:50 Thursday is due Friday; at 00:10 Friday local (Thursday UTC), Monday."""
    events = {"started": remedied, "remedied": remedied}
    due = due_at(UNCAPPED, events)
    assert due is not None
    assert due.at == end_of_local_day(due_day, STHLM)


# ---- DST -----------------------------------------------------------------------------------


def test_cap_on_spring_forward_day_ends_at_2200_utc() -> None:
    """End of Sun 2026-03-29 (clocks go to CEST that night) is 21:59:59.999999 UTC."""
    due = due_at(PTS_INITIAL, {"started": sthlm(2026, 3, 26, 12, 0)})
    assert due is not None
    assert due.at == utc(2026, 3, 29, 21, 59, 59, 999999)


def test_cap_on_fall_back_day_ends_at_2300_utc() -> None:
    """End of Sun 2026-10-25 (clocks go back to CET that night) is 22:59:59.999999 UTC."""
    due = due_at(PTS_INITIAL, {"started": sthlm(2026, 10, 22, 12, 0)})
    assert due is not None
    assert due.at == utc(2026, 10, 25, 22, 59, 59, 999999)


def test_working_day_deadline_after_spring_forward_is_in_summer_time() -> None:
    """Remedied Fri 2026-03-27 (CET): due end of Mon 2026-03-30, which is in CEST."""
    due = due_at(UNCAPPED, {"remedied": sthlm(2026, 3, 27, 16, 0)})
    assert due is not None
    assert due.at == utc(2026, 3, 30, 21, 59, 59, 999999)


def test_end_of_local_day_on_dst_days() -> None:
    """The last microsecond of the 23-hour and 25-hour days converts exactly."""
    assert end_of_local_day(date(2026, 3, 29), STHLM) == utc(2026, 3, 29, 21, 59, 59, 999999)
    assert end_of_local_day(date(2026, 10, 25), STHLM) == utc(2026, 10, 25, 22, 59, 59, 999999)
    assert end_of_local_day(date(2026, 10, 24), STHLM) == utc(2026, 10, 24, 21, 59, 59, 999999)


def test_durations_are_elapsed_time_across_dst() -> None:
    """24 h from Sat 12:00 CET before spring forward is Sun 13:00 CEST: elapsed, not wall time."""
    rule = DEFAULT_RULES["privacy_initial"]
    due = due_at(rule, {"detected": sthlm(2026, 3, 28, 12, 0)})
    assert due is not None
    assert due.at == utc(2026, 3, 29, 11, 0)
    assert due.at.astimezone(STHLM).hour == 13


# ---- After, OnEvent, SetByRegulator -------------------------------------------------------------


def test_pts_supplementary_is_due_exactly_14_days_after_the_initial_report() -> None:
    """The supplementary report is due 14 × 24 h after the initial report was sent."""
    sent = utc(2026, 4, 7, 13, 37, 12)
    due = due_at(DEFAULT_RULES["pts_supplementary"], {"initial_sent": sent})
    assert due is not None
    assert due.at == utc(2026, 4, 21, 13, 37, 12)
    assert due.at.tzinfo is UTC


def test_pts_supplementary_waits_for_the_initial_report() -> None:
    """No supplementary deadline before the initial report is sent."""
    assert due_at(DEFAULT_RULES["pts_supplementary"], {"remedied": utc(2026, 4, 7)}) is None


@pytest.mark.parametrize(
    ("kind", "event", "delta"),
    [
        ("nkom_varsel", "reportable", timedelta(hours=1)),
        ("nkom_update", "significant_change", timedelta(hours=1)),
        ("nkom_normalised", "normalised", timedelta(hours=1)),
        ("privacy_initial", "detected", timedelta(hours=24)),
        ("privacy_supplementary", "initial_sent", timedelta(days=3)),
        ("subscriber_notice", "detected", timedelta(hours=24)),
        ("se_cyber_early_warning", "aware", timedelta(hours=24)),
        ("se_cyber_notification", "aware", timedelta(hours=72)),
    ],
)
def test_duration_rules_add_their_duration(kind: str, event: str, delta: timedelta) -> None:
    """Each duration-based default is its event plus its duration, not moved for weekends."""
    start = utc(2026, 12, 23, 22, 30)
    due = due_at(DEFAULT_RULES[kind], {event: start})
    assert due is not None
    assert due.at == start + delta


def test_a_non_working_day_never_moves_a_deadline_later_by_default() -> None:
    """72 h from Wed 2026-12-23 ends on Sat 12-26 and stays there."""
    due = due_at(DEFAULT_RULES["se_cyber_notification"], {"aware": sthlm(2026, 12, 23, 9, 0)})
    assert due is not None
    assert due.at == sthlm(2026, 12, 26, 9, 0)


def test_moving_off_non_working_days_is_opt_in() -> None:
    """With next_working_day, a deadline on Sat 2026-12-26 moves to Mon 12-28, same wall time."""
    rule = After("aware", timedelta(hours=72), non_working_day="next_working_day")
    due = due_at(rule, {"aware": sthlm(2026, 12, 23, 9, 0)})
    assert due is not None
    assert due.at == sthlm(2026, 12, 28, 9, 0)
    assert "moved" in due.explanation


def test_moving_the_cap_is_opt_in() -> None:
    """With next_working_day, a cap on Sat 2026-04-04 moves to the end of Tue 2026-04-07."""
    rule = WorkingDayAfter("remedied", non_working_day="next_working_day")
    due = due_at(rule, {"started": sthlm(2026, 4, 1, 8, 0)})
    assert due is not None
    assert due.at == end_of_day_utc(2026, 4, 7, 22)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (sthlm(2026, 1, 31, 10, 0), sthlm(2026, 2, 28, 10, 0)),
        (sthlm(2028, 1, 31, 10, 0), sthlm(2028, 2, 29, 10, 0)),  # leap year
        (sthlm(2026, 3, 15, 12, 0), sthlm(2026, 4, 15, 12, 0)),  # across spring forward
        (sthlm(2026, 12, 31, 23, 30), sthlm(2027, 1, 31, 23, 30)),  # across the year end
        (sthlm(2026, 10, 31, 8, 0), sthlm(2026, 11, 30, 8, 0)),
    ],
)
def test_se_cyber_final_is_one_calendar_month_later(sent: datetime, expected: datetime) -> None:
    """One month after the notification, on the Stockholm wall clock, day clamped to month end."""
    due = due_at(DEFAULT_RULES["se_cyber_final"], {"notification_sent": sent})
    assert due is not None
    assert due.at == expected.astimezone(UTC)


def test_a_month_landing_in_the_spring_forward_gap_is_due_at_the_earlier_instant() -> None:
    """Sent Sun 2027-02-28 02:30 CET: one month on is 2027-03-28 02:30, a wall time the
    change to CEST skips. Of its two readings (01:30 CET = 00:30 UTC, 03:30 CEST = 01:30 UTC)
    the deadline is the earlier: never moved later."""
    due = due_at(DEFAULT_RULES["se_cyber_final"], {"notification_sent": sthlm(2027, 2, 28, 2, 30)})
    assert due is not None
    assert due.at == utc(2027, 3, 28, 0, 30)
    assert local_instant(date(2027, 3, 28), time(2, 30), STHLM) == utc(2027, 3, 28, 0, 30)


def test_a_wall_time_repeated_in_the_autumn_overlap_is_read_as_its_first_occurrence() -> None:
    """2027-10-31 02:30 in Stockholm happens twice (CEST 00:30 UTC, then CET 01:30 UTC): a
    month count landing on it is due at the first; an elapsed duration from an event in the
    repeated hour counts from the event itself, not from the hour's first pass."""
    assert local_instant(date(2027, 10, 31), time(2, 30), STHLM) == utc(2027, 10, 31, 0, 30)
    assert add_months(sthlm(2027, 8, 31, 2, 30), 2, STHLM) == utc(2027, 10, 31, 0, 30)
    second_pass = utc(2027, 10, 31, 1, 30)  # 02:30 CET, the repeated hour's second pass
    due = due_at(After("aware", timedelta(hours=72)), {"aware": second_pass})
    assert due is not None
    assert due.at == utc(2027, 11, 3, 1, 30)


def test_add_months_handles_negative_and_multi_year_spans() -> None:
    """Month arithmetic works backwards and over several years."""
    assert add_months(sthlm(2026, 3, 31, 0, 0), -1, STHLM) == sthlm(2026, 2, 28, 0, 0)
    assert add_months(sthlm(2026, 5, 31, 0, 0), 25, STHLM) == sthlm(2028, 6, 30, 0, 0)


FIRST = datetime.min.replace(tzinfo=UTC)
LAST = datetime.max.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "event", "end"),
    [
        # a regulator's deadline UTC cannot hold
        (SetByRegulator("nkom_deadline"), "9999-12-31T23:30:00-01:00", LAST),
        (OnEvent("normalised"), "0001-01-01T00:30:00+01:00", FIRST),
        # counted from an event too near the ends: a month on, 24 h on, the next working day
        (After("notification_sent", months=1), "9999-12-15T12:00:00+00:00", LAST),
        (After("detected", timedelta(hours=24)), "0001-01-01T00:30:00+01:00", FIRST),
        (After("detected", timedelta(hours=24)), "9999-12-31T12:00:00+00:00", LAST),
        (WorkingDayAfter("remedied"), "9999-12-31T12:00:00+00:00", LAST),
    ],
)
def test_an_event_too_near_the_ends_of_the_calendar_never_overflows(
    rule: Rule, event: str, end: datetime
) -> None:
    """A stored event so near year 1 or 9999 that its deadline cannot be counted gives the
    first or last instant there is, saying so: never an OverflowError (it stopped the restart
    of a bridge whose store held one)."""
    name = getattr(rule, "event", "")
    due = due_at(rule, {name: datetime.fromisoformat(event)})
    assert due is not None
    assert due.at == end
    assert "cannot be counted" in due.explanation and event in due.explanation


def test_add_months_counts_to_the_last_month_there_is() -> None:
    """December 9999 has its 31 days; a month past it overflows as any other sum does."""
    assert add_months(utc(9999, 11, 30), 1, ZoneInfo("UTC")) == utc(9999, 12, 30)
    with pytest.raises(OverflowError):
        add_months(utc(9999, 12, 1), 1, ZoneInfo("UTC"))


def test_on_event_is_due_when_the_event_happens() -> None:
    """An on_event rule is due at the event, in UTC."""
    due = due_at(OnEvent("normalised"), {"normalised": sthlm(2026, 6, 1, 12, 0)})
    assert due is not None
    assert due.at == utc(2026, 6, 1, 10, 0)
    assert due_at(OnEvent("normalised"), {}) is None


def test_hendelsesrapport_is_due_when_nkom_says() -> None:
    """The hendelsesrapport is due at the deadline a person entered, and open-ended before."""
    rule = DEFAULT_RULES["nkom_hendelsesrapport"]
    assert isinstance(rule, SetByRegulator)
    deadline = datetime(2026, 5, 20, 16, 0, tzinfo=OSLO)
    due = due_at(rule, {"nkom_deadline": deadline})
    assert due is not None
    assert due.at == utc(2026, 5, 20, 14, 0)
    assert due_at(rule, {}) is None


def test_naive_event_times_are_refused() -> None:
    """An event instant without a time zone is an error, not a guess."""
    naive = datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(DEFAULT_RULES["pts_supplementary"], {"initial_sent": naive})


# ---- rules as data --------------------------------------------------------------------------


def test_every_obligation_kind_has_a_default_rule() -> None:
    """DEFAULT_RULES covers exactly the obligation kinds the config accepts."""
    assert set(DEFAULT_RULES) == set(OBLIGATION_KINDS)


def test_rule_from_params_without_params_is_the_default() -> None:
    """No parameters: the default rule itself."""
    assert rule_from_params("pts_initial", {}) == PTS_INITIAL


def test_rule_from_params_overrides_a_duration() -> None:
    """A rule set can tighten Nkom's snarest target to 30 minutes."""
    rule = rule_from_params("nkom_varsel", {"duration": "30m"})
    assert rule == After("reportable", timedelta(minutes=30), zone="Europe/Oslo", country="NO")


def test_rule_from_params_overrides_the_cap() -> None:
    """A rule set can change the cap, and that changes the deadline."""
    rule = rule_from_params("pts_initial", {"cap_days_after": 2, "cap_event": "detected"})
    assert isinstance(rule, WorkingDayAfter)
    due = due_at(rule, {"detected": sthlm(2026, 4, 1, 8, 0)})
    assert due is not None
    assert due.at == end_of_day_utc(2026, 4, 3, 22)


@pytest.mark.parametrize(
    ("kind", "params", "named"),
    [
        ("pts_initial", {"duration": "30m"}, "'duration'"),
        ("nkom_varsel", {"duration": "soon"}, "'duration'"),
        ("nkom_varsel", {"duration": 3600}, "'duration'"),
        ("pts_initial", {"cap_days_after": "three"}, "'cap_days_after'"),
        ("pts_initial", {"cap_days_after": -1}, "'cap_days_after'"),
        ("pts_initial", {"cap_days_after": True}, "'cap_days_after'"),
        ("pts_initial", {"zone": "Europe/Atlantis"}, "'zone'"),
        ("pts_initial", {"country": False}, "'country'"),
        ("pts_initial", {"end_of_day": "yes"}, "'end_of_day'"),
        ("se_cyber_final", {"months": 1.5}, "'months'"),
        ("se_cyber_final", {"non_working_day": "later"}, "'non_working_day'"),
        ("privacy_initial", {"event": ""}, "'event'"),
        ("no_such_kind", {}, "'no_such_kind'"),
    ],
)
def test_rule_from_params_names_the_bad_parameter(
    kind: str, params: dict[str, object], named: str
) -> None:
    """Unknown kinds, unknown parameters and bad values raise ValueError naming the culprit."""
    with pytest.raises(ValueError, match=named):
        rule_from_params(kind, params)


def test_country_false_hints_at_the_yaml_trap() -> None:
    """A bare NO in YAML reads as false; the error says to quote it."""
    with pytest.raises(ValueError, match="quotes"):
        rule_from_params("nkom_varsel", {"country": False})


def test_parse_duration_accepts_compound_units() -> None:
    """Durations combine days, hours, minutes and seconds."""
    assert parse_duration("1d2h30m15s") == timedelta(days=1, hours=2, minutes=30, seconds=15)
    assert parse_duration(timedelta(hours=1)) == timedelta(hours=1)
