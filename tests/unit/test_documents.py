"""Incident JSON documents (bridge.core.documents)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from corekit import PTS, at, engine, episode, live, network

from bridge.core.documents import (
    answered,
    archived_document,
    brief,
    deciding,
    document,
    stored_document,
    summary,
    warnings,
)
from bridge.core.engine import Engine


def _incident_doc() -> dict[str, object]:
    eng = engine(rule_sets=(replace(PTS, verified=False),), stale_after=timedelta(minutes=30))
    eng.apply(
        [
            episode("a", at(0), element="olt-a1", incident="INC-3"),
            episode("g", at(1), element="ghost", incident="INC-3"),
        ],
        at(2),
        {"": 2},
    )
    eng.tick(at(90))
    (inc,) = live(eng).values()
    return document(inc, eng.episodes, network(), at(90))


def test_document_has_every_field_the_design_promises() -> None:
    """The full incident carries docs/design.md's fields with the right values and types."""
    doc = _incident_doc()
    assert doc["state"] == "open"
    assert doc["started_at"] == "2026-11-23T10:00:00Z"
    assert doc["ended_at"] is None
    assert doc["alerts"] == ["a", "g"]
    assert doc["jurisdictions"] == ["SE"]
    impact = doc["impact"]
    assert isinstance(impact, dict)
    assert (impact["current"], impact["peak"]) == (6000, 6000)  # largest service, not a sum
    assert impact["by_service"] == {"internet": 6000, "iptv": 1000}
    assert impact["by_region"] == {"SE-0180": 6000}
    assert impact["region_names"] == {"SE-0180": "Stockholm"}
    (a,) = doc["assessments"]  # type: ignore[misc]
    assert (a["regulator"], a["reportable"], a["since"]) == ("pts", True, "2026-11-23T10:00:00Z")
    assert {c["id"]: c["met"] for c in a["criteria"]} == {"conn-5k-1h": True, "e112": True}
    assert all(c["reason"] for c in a["criteria"])
    assert doc["obligations"] == []
    json.dumps(doc)  # plain JSON values only


def test_document_lists_alert_details_with_stale_and_unmapped_flags() -> None:
    """Each alert shows whether it is stale and why it is unmapped."""
    details = {d["fingerprint"]: d for d in _incident_doc()["alert_details"]}  # type: ignore[union-attr]
    assert details["a"]["stale"] is True
    assert details["a"]["unmapped"] is None
    assert "ghost" in details["g"]["unmapped"]


def test_warnings_name_stale_unmapped_truncated_and_unverified() -> None:
    """The summary warns about stale alerts, unmapped alerts, truncation and unverified rules."""
    text = " | ".join(_incident_doc()["warnings"])  # type: ignore[arg-type]
    assert "2 firing alert(s) not heard of" in text
    assert "1 alert(s) could not be mapped" in text
    assert "dropped 2 alert(s)" in text
    assert "not verified" in text


def test_summary_is_a_subset_of_the_document() -> None:
    """The list view's fields appear in the full document with the same values."""
    eng = engine()
    eng.apply([episode("a", at(0), element="olt-b1")], at(1))
    (inc,) = live(eng).values()
    short = summary(inc, at(1))
    full = document(inc, eng.episodes, network(), at(1))
    for key in ("id", "state", "started_at", "ended_at", "alerts", "jurisdictions", "warnings"):
        assert short[key] == full[key]
    assert short["reportable"] == {"pts": False, "nkom": False}
    assert warnings(inc) == []


def test_an_incident_whose_impact_is_unknown_is_never_shown_not_reportable() -> None:
    """An alert the inventory cannot place: the verdict is impact_unknown (not
    not_reportable) until a criterion is met; a reportable one stays reportable."""
    eng = engine()
    eng.apply([episode("g", at(0), element="ghost")], at(1))
    (ghost,) = live(eng).values()
    short = summary(ghost, at(1))
    assert short["impact_known"] is False
    assert set(short["verdicts"].values()) == {"impact_unknown"}
    assert not any(short["reportable"].values())
    full = document(ghost, eng.episodes, network(), at(1))
    assert {a["verdict"] for a in full["assessments"]} == {"impact_unknown"}  # type: ignore[index]
    known = engine()
    known.apply([episode("b", at(0), element="olt-b1")], at(1))
    (small,) = live(known).values()
    assert summary(small, at(1))["verdicts"] == {"pts": "not_reportable", "nkom": "not_reportable"}
    assert summary(small, at(1))["impact_known"] is True
    (inc,) = live(_reportable_with_a_ghost()).values()
    assert summary(inc, at(90))["verdicts"]["pts"] == "reportable"


def _reportable_with_a_ghost() -> Engine:
    eng = engine()
    eng.apply(
        [
            episode("a", at(0), element="olt-a1", incident="INC-4"),
            episode("g", at(1), element="ghost", incident="INC-4"),
        ],
        at(2),
    )
    eng.tick(at(90))
    return eng


def test_document_counts_its_alerts_and_answered_leaves_their_details_out() -> None:
    """``alert_counts`` counts the episodes (firing, resolved, stale, unmapped); the HTTP answer
    keeps ``alerts`` (the fingerprints) and the counts, not the details."""
    doc = _incident_doc()
    assert doc["alert_counts"] == {
        "total": 2,
        "firing": 2,
        "resolved": 0,
        "stale": 2,
        "unmapped": 1,
    }
    answer = answered(doc)
    assert "alert_details" not in answer
    assert answer["alerts"] == ["a", "g"] and answer["alert_counts"]["total"] == 2


def _several_incidents() -> Engine:
    """Incidents of every sort an answer meets: stale, unmapped, resolved, reportable, one
    alert and many, in both countries."""
    eng = engine(stale_after=timedelta(minutes=30))
    eng.apply(
        [
            episode("a", at(0), element="olt-a1"),
            episode("g", at(1), element="ghost"),
            episode("r", at(2), end=at(20), element="olt-a2"),
            *(episode(f"b{n}", at(n % 7), element="olt-b1", port=str(n)) for n in range(40)),
            episode("n", at(3), end=at(4), element="olt-n1"),
            episode("n2", at(5), element="olt-n1"),
        ],
        at(6),
        {"": 1},
    )
    eng.tick(at(90))
    return eng


def test_a_document_built_without_details_equals_the_answered_full_one() -> None:
    """``document(..., details=False)`` (what the HTTP answers build) is exactly
    ``answered(document(...))`` for every incident, live or archived, and when an episode of
    the incident is no longer held (pruned)."""
    eng = _several_incidents()
    incidents = list(eng.incidents.values())
    assert len(incidents) >= 3
    pruned = dict(eng.episodes)
    del pruned[next(iter(incidents[0].episodes))]
    checked = 0
    for inc in incidents:
        for held in (eng.episodes, pruned):
            full = document(inc, held, network(), at(90))
            assert "alert_details" in full
            lean = document(inc, held, network(), at(90), details=False)
            assert lean == answered(full)
            assert list(lean) == list(answered(full))  # the same keys in the same order
            stored = stored_document(inc, network(), at(90))
            old = archived_document(stored, inc, held, details=False)
            assert old == answered(archived_document(stored, inc, held))
            checked += 1
    assert checked == 2 * len(incidents)


def test_a_summary_shows_each_verdict_with_the_criterion_that_decided_it() -> None:
    """Reportable: the criterion met first; not reportable: the one nearest to being met
    (soonest forecast), else the first. Nothing in it moves with the clock alone."""
    (inc,) = live(_reportable_with_a_ghost()).values()
    full = document(inc, {}, network(), at(90))
    (brief_pts,) = [a for a in summary(inc, at(90))["assessments"] if a["regulator"] == "pts"]
    (whole,) = [a for a in full["assessments"] if a["regulator"] == "pts"]  # type: ignore[union-attr]
    met = sorted((c for c in whole["criteria"] if c["met"]), key=lambda c: c["since"])
    assert brief_pts["reportable"] is True and brief_pts["deciding"] == met[0]
    assert "criteria" not in brief_pts and "seconds_to_reportable" not in brief_pts
    assert summary(inc, at(90))["assessments"] == summary(inc, at(95))["assessments"]

    criteria = [
        {"id": "a", "met": False, "forecast_at": None},
        {"id": "b", "met": False, "forecast_at": "2026-11-23T12:00:00Z"},
        {"id": "c", "met": False, "forecast_at": "2026-11-23T11:00:00Z"},
    ]
    assert deciding({"reportable": False, "criteria": criteria})["id"] == "c"  # type: ignore[index]
    assert deciding({"reportable": False, "criteria": criteria[:1]})["id"] == "a"  # type: ignore[index]
    assert deciding({"reportable": False, "criteria": []}) is None
    met_late = [
        {"id": "x", "met": True, "since": "2026-11-23T11:00:00Z"},
        {"id": "y", "met": True, "since": "2026-11-23T10:00:00Z"},
    ]
    assert deciding({"reportable": True, "criteria": met_late})["id"] == "y"  # type: ignore[index]
    assert brief({"regulator": "pts", "criteria": criteria})["deciding"]["id"] == "c"  # type: ignore[index]


def test_flag_impact_says_which_flagged_elements_were_affected_when_and_for_how_long() -> None:
    """``impact.flags``: per country and flag, how many the inventory holds, the most affected
    at once, from when until when (None while one still is) and for how long in all; a flag
    the inventory holds that the incident never reached has peak 0."""
    eng = engine(rule_sets=(PTS,))
    eps = [
        episode("a", at(0), end=at(20), element="olt-a1"),  # carries 112
        episode("b", at(0), element="olt-a2"),  # societally important, still out
    ]
    eng.apply(eps, at(60), {})
    (inc,) = live(eng).values()
    flags = document(inc, eng.episodes, network(), at(60))["impact"]["flags"]
    assert flags["SE"]["emergency_112"] == {
        "inventory": 1,
        "peak": 1,
        "from": "2026-11-23T10:00:00Z",
        "until": "2026-11-23T10:20:00Z",
        "seconds": 1200,
    }
    assert flags["SE"]["societal"] == {
        "inventory": 1,
        "peak": 1,
        "from": "2026-11-23T10:00:00Z",
        "until": None,
        "seconds": 3600,
    }
    assert flags["SE"]["wholesale"]["peak"] == 0  # olt-b1, not under this incident
    assert flags["NO"]["emergency_112"]["peak"] == 0


def test_each_alert_says_when_the_bridge_first_heard_of_it() -> None:
    """``first_seen`` (for an incident opened by hand: when it was entered) is in the alert
    details beside ``last_seen``, for the hendelsesrapport's "Rapportert manuelt … <when>"."""
    eng = engine(rule_sets=(PTS,))
    eng.apply([episode("a", at(0), seen=at(7), element="olt-a1")], at(8), {})
    (inc,) = live(eng).values()
    (alert,) = document(inc, eng.episodes, network(), at(8))["alert_details"]
    assert alert["first_seen"] == "2026-11-23T10:07:00Z"
