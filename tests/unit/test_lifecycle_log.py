"""The lifecycle log's incident lines (bridge.service.log_lifecycle): one per event, ids only."""

from __future__ import annotations

import logging

import pytest

from bridge.service import Facts, log_lifecycle

OPEN: Facts = ("open", None, frozenset(), frozenset(), frozenset())


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(getattr(r, "event", ""), r.getMessage()) for r in caplog.records]


def test_closing_and_merging_are_one_line_each(caplog: pytest.LogCaptureFixture) -> None:
    """An incident closing logs incident.closed; one merged into another names the other."""
    caplog.set_level(logging.INFO, logger="bridge.lifecycle")
    log_lifecycle("inc-a", OPEN, ("closed", None, frozenset(), frozenset(), frozenset()))
    log_lifecycle("inc-b", OPEN, ("closed", "inc-a", frozenset(), frozenset(), frozenset()))
    log_lifecycle(
        "inc-a",
        ("closed", None, frozenset(), frozenset(), frozenset()),
        ("closed", None, frozenset(), frozenset(), frozenset()),
    )
    assert lines(caplog) == [
        ("incident.closed", "incident inc-a: closed"),
        ("incident.merged", "incident inc-b: merged into inc-a"),
    ]


def test_nothing_new_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """The same facts again (a re-save) log no line."""
    caplog.set_level(logging.INFO, logger="bridge.lifecycle")
    facts: Facts = (
        "open",
        None,
        frozenset({("nkom", None)}),
        frozenset({("nkom", "nkom_varsel")}),
        frozenset(),
    )
    log_lifecycle("inc-a", facts, facts)
    assert lines(caplog) == []


def test_the_cybersecurity_act_marks_and_a_person_decides(caplog: pytest.LogCaptureFixture) -> None:
    """Criteria of the cyber track mark an incident potentially significant: the log says so,
    never "became reportable"; the obligations a declaration opens are logged as any other."""
    caplog.set_level(logging.INFO, logger="bridge.lifecycle")
    marked: Facts = ("open", None, frozenset(), frozenset(), frozenset({"csirt"}))
    log_lifecycle("inc-c", OPEN, marked)
    declared: Facts = (
        "open",
        None,
        frozenset(),
        frozenset({("csirt", "se_cyber_early_warning")}),
        frozenset({"csirt"}),
    )
    log_lifecycle("inc-c", marked, declared)
    assert lines(caplog) == [
        (
            "incident.potentially_significant",
            "incident inc-c marked potentially significant (csirt): a person decides whether "
            "to declare it",
        ),
        ("obligation.opened", "obligation opened: inc-c owes csirt se_cyber_early_warning"),
    ]
