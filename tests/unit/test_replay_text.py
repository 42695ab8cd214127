"""``bridge replay``'s lines in words: a met rule set reads as what it means (reportable to a
regulator; potentially significant, a person declares; a repealed law's internal threshold,
owed to no regulator; a reference matrix met), on every line that mentions it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_replay_core import A_YEAR_BEFORE, outage

from bridge.cli.replay import as_text, says
from bridge.core.replay import Change

INTERNAL = "internal threshold (repealed 2026-01-15), owed to no regulator"


def test_an_incident_since_the_repeal_reads_as_an_internal_threshold_owed_to_no_regulator():
    """Every kind of line of one replay (corekit's T0, 2026-11-23): the repealed rule set's
    verdict, report, moved due time and passed due time each name the internal threshold
    with the rule set's own repeal day and owe no regulator; the cyber rule set is
    potentially significant with what declaring it would owe by its own rules (12 h here,
    not the act's 24 h); the rule set without reports is a reference matrix met."""
    assert as_text(outage()).splitlines() == [
        "inc-20261123-b323e185  (topo:site-a), started 2026-11-23T10:00:00Z",
        "  2026-11-23T10:00:00Z  opened: 6000 connections affected (SE)",
        f"  2026-11-23T10:00:00Z  pts-old met: {INTERNAL}",
        "  2026-11-23T10:00:00Z  potentially significant under cyber-test (a person declares);"
        " if declared at T=2026-11-23T10:00:00Z: early warning due T+12h,"
        " incident notification due T+72h",
        "  2026-11-23T10:00:00Z  pts_initial (pts-old) due 2026-11-26T22:59:59.999999Z:"
        f" {INTERNAL}",
        "  2026-11-23T11:00:00Z  reference matrix met: matrix-test (opens no report)",
        "  2026-11-23T11:40:00Z  pts_initial (pts-old) now due 2026-11-24T22:59:59.999999Z:"
        f" {INTERNAL}",
        "  forecast, if no further alert comes after 2026-11-23T11:40:00Z:",
        "    2026-11-23T12:05:00Z  closed: ended 2026-11-23T11:35:00Z, peak 6000 connections",
        "    2026-11-24T22:59:59.999999Z  pts_initial (pts-old) past its internal due time,"
        f" nothing kept or sent: {INTERNAL}",
    ]


def test_an_incident_before_the_repeal_is_reportable_and_its_report_owed_and_overdue():
    """The same outage a year earlier (2025-11-23) falls under the law then in force: reportable
    to PTS, the report owed to it, overdue when nothing was sent; no internal-threshold words."""
    text = as_text(outage(A_YEAR_BEFORE))
    lines = [line.strip() for line in text.splitlines()]
    assert "2025-11-23T10:00:00Z  reportable to pts (pts-old)" in lines
    assert "2025-11-23T10:00:00Z  owes pts pts_initial, due 2025-11-26T22:59:59.999999Z" in lines
    assert "2025-11-23T11:40:00Z  pts pts_initial now due 2025-11-24T22:59:59.999999Z" in lines
    assert "2025-11-24T22:59:59.999999Z  pts pts_initial overdue (nothing sent)" in lines
    assert "internal threshold" not in text


AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def change(what: str, **detail: object) -> Change:
    return Change(AT, "inc-1", what, dict(detail))


def met(what: str, **detail: object) -> Change:
    base = {"regulator": "pts", "rule_set": "rs", "track": "outage", "binding": True}
    return change(what, **{**base, "repealed_on": None, "reference": False, **detail})


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (met("not_reportable"), "no longer reportable to pts (rs)"),
        (
            met("not_reportable", binding=False, repealed_on="2031-07-01"),
            "rs no longer met: internal threshold (repealed 2031-07-01), owed to no regulator",
        ),
        (met("not_reportable", track="cyber"), "no longer potentially significant under rs"),
        # the incident's start moved before the day the rule set's law applies from
        (
            met("not_reportable", track="cyber", binding=False, in_force_from="2026-01-15"),
            "no longer potentially significant under rs: not in force for this incident"
            " (applies to incidents from 2026-01-15)",
        ),
        (
            met("not_reportable", binding=False, in_force_from="2026-01-15"),
            "rs no longer met: not in force for this incident (applies to incidents from"
            " 2026-01-15)",
        ),
        # a law in force whose only reports are the regulator's to ask for: nothing owed on it
        (met("reportable", binding=False), "rs met: owed to no regulator"),
        (met("not_reportable", binding=False), "rs no longer met: owed to no regulator"),
        (met("not_reportable", reference=True), "reference matrix no longer met: rs"),
        (
            met("reportable", track="cyber", if_declared=[]),
            "potentially significant under rs (a person declares)",
        ),
        (
            change("owes", regulator="pts", kind="k", due_at=None, rule_set="rs", binding=True),
            "owes pts k, due once its event comes",
        ),
        (change("merged", into="inc-2"), "merged into inc-2"),
        (change("reopened"), "opened again"),
    ],
)
def test_each_other_line_reads_as_its_kind(line: Change, words: str):
    """The lines a recording seldom shows: a verdict that stops, per kind of rule set (a
    repealed one's carries its own repeal day; one whose law no longer applies to the incident,
    its start moved earlier, the day it applies from), a rule set met that binds no one though
    its law is in force, a cyber verdict with nothing due on declaration, a report waiting for
    its event, a merge, a reopening."""
    assert says(line) == words
