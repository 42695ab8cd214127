"""A rule set met that owes no regulator anything is never worded "reportable to …": a reference
matrix (no obligations, ENISA's) and a repealed law's rule set for an incident since the repeal
(PTS's outage rules since 2026-01-15: the operator's internal threshold) read as ``bridge replay``
words them, in the incident's document (``binding``, ``reference``, ``repealed_on``), its
timeline, its chart's marks and the lifecycle log; a binding rule set still reads "reportable
to"."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from corekit import at, engine, episode, network
from test_replay_core import A_YEAR_BEFORE, REFERENCE, REPEALED

from bridge.core import documents, timeline
from bridge.core.report_names import met_words
from bridge.service import facts_of, log_lifecycle

INTERNAL = "pts-old met: internal threshold (repealed 2026-01-15), owed to no regulator"
MATRIX = "reference matrix met: matrix-test (opens no report)"
RULE_SETS = {rs.id: rs for rs in (REPEALED, REFERENCE)}


def outage(start: float = 0) -> tuple[str, dict[str, Any], Any]:
    """olt-a1 (6 000 connections, carries 112) down from ``start`` for 95 minutes, closed:
    its id, document (with what each verdict means) and incident."""
    eng = engine(rule_sets=[REPEALED, REFERENCE])
    ep = episode("a", at(start), end=at(start + 95), element="olt-a1")
    eng.apply([ep], at(start + 100))
    eng.tick(at(start + 200))
    inc_id = eng.incident_of(ep.key)
    assert inc_id is not None
    inc = eng.incidents[inc_id]
    doc = documents.document(inc, eng.episodes, network(), at(start + 200), RULE_SETS)
    return inc_id, doc, inc


def verdict_lines(doc: dict[str, Any]) -> dict[str, str]:
    found = timeline.events(doc, [], [], ["pts", "enisa"], {})
    return {e["regulator"]: e["summary"] for e in found if e["kind"] == "reportable"}


def test_since_the_repeal_neither_rule_set_is_worded_reportable() -> None:
    _, doc, _ = outage()
    meaning = {
        a["rule_set"]: (a["reportable"], a["binding"], a["reference"], a["repealed_on"])
        for a in doc["assessments"]
    }
    assert meaning == {
        "pts-old": (True, False, False, "2026-01-15"),
        "matrix-test": (True, False, True, None),
    }
    assert verdict_lines(doc) == {"pts": INTERNAL, "enisa": MATRIX}
    marks = timeline.chart(doc, [], ["pts", "enisa"])["reportable"]
    assert {m["rule_set"]: (m["binding"], m["reference"]) for m in marks} == {
        "pts-old": (False, False),
        "matrix-test": (False, True),
    }
    assert all(
        "reportable to" not in e["summary"]
        for e in timeline.events(doc, [], [], ["pts", "enisa"], {})
    )


def test_before_the_repeal_the_law_binds_and_reads_reportable_to_pts() -> None:
    _, doc, _ = outage(A_YEAR_BEFORE)
    assert verdict_lines(doc) == {"pts": "reportable to PTS", "enisa": MATRIX}
    [pts] = [a for a in doc["assessments"] if a["rule_set"] == "pts-old"]
    assert pts["binding"] is True


def test_an_assessment_stored_before_the_fields_reads_as_binding() -> None:
    assert met_words({"regulator": "nkom", "rule_set": "nkom-varsel"}) == "reportable to Nkom"


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            0,
            [
                ("incident.threshold_met", "incident {id}: " + MATRIX),
                ("incident.threshold_met", "incident {id}: " + INTERNAL),
            ],
        ),
        (
            A_YEAR_BEFORE,
            [
                ("incident.threshold_met", "incident {id}: " + MATRIX),
                ("incident.reportable", "incident {id} became reportable to pts"),
            ],
        ),
    ],
)
def test_the_lifecycle_line_says_what_the_rule_set_met_means(
    caplog: pytest.LogCaptureFixture, start: float, expected: list[tuple[str, str]]
) -> None:
    caplog.set_level(logging.INFO, logger="bridge.lifecycle")
    inc_id, _, inc = outage(start)
    log_lifecycle(
        inc_id, ("open", None, frozenset(), frozenset(), frozenset()), facts_of(inc, RULE_SETS)
    )
    found = [
        (getattr(r, "event", ""), r.getMessage())
        for r in caplog.records
        if getattr(r, "event", "") in ("incident.reportable", "incident.threshold_met")
    ]
    assert found == [(event, line.format(id=inc_id)) for event, line in expected]
