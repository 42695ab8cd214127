"""The pure core of the NOC's handling: the deadline queue's order (bridge/core/queue.py), the
reports' plain names (bridge/core/report_names.py), people's changes to an incident
(bridge/core/handling.py) and its one timeline (bridge/core/timeline.py), with plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core import handling, report_names, timeline
from bridge.core.alerts import AlertEpisode
from bridge.core.calendar import DEFAULT_RULES
from bridge.core.queue import Owed, Waiting, deadline_queue
from bridge.errors import BadInput

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def owed(
    case: str, kind: str, due: datetime | None, state: str = "open", reg: str = "nkom"
) -> Owed:
    return Owed(case, "outage", reg, kind, due, state, None if due else "initial_sent")


# ---- the queue ---------------------------------------------------------------------------------


def test_queue_puts_overdue_first_then_nearest_due_then_undated():
    """Most overdue first, then by due time; undated last; sent and rejected are gone."""
    items = [
        owed("a", "pts_supplementary", None, reg="pts"),
        owed("b", "pts_initial", NOW + timedelta(days=14), reg="pts"),
        owed("c", "nkom_varsel", NOW + timedelta(minutes=58)),
        owed("d", "nkom_varsel", NOW - timedelta(minutes=5), "overdue"),
        owed("e", "nkom_varsel", NOW - timedelta(hours=2), "overdue"),
        owed("f", "nkom_varsel", NOW - timedelta(hours=3), "sent"),
        owed("g", "nkom_varsel", NOW - timedelta(hours=3), "rejected"),
    ]
    got = deadline_queue(items, [], NOW)
    assert [e.case for e in got] == ["e", "d", "c", "b", "a"]
    assert [e.overdue for e in got] == [True, True, False, False, False]
    assert got[0].seconds_left == -7200 and got[2].seconds_left == 58 * 60
    assert got[-1].waiting_for == "initial_sent" and got[-1].seconds_left is None


def test_queue_leaves_out_what_a_closed_case_can_no_longer_owe():
    """A closed incident's dated report stays owed; its update waiting for a change does not."""
    closed = [
        Owed(
            "a", "outage", "nkom", "nkom_normalised", NOW + timedelta(hours=1), "open", None, False
        ),
        Owed("a", "outage", "nkom", "nkom_update", None, "open", "significant_change", False),
    ]
    assert [e.kind for e in deadline_queue(closed, [], NOW)] == ["nkom_normalised"]


def test_queue_joins_the_latest_draft_and_keeps_orphan_drafts_waiting():
    """An obligation carries the latest draft of its case and kind; a draft waiting for a
    person with no obligation (a closed incident's failed e-mail) is listed after the dated."""
    items = [owed("a", "nkom_varsel", NOW + timedelta(minutes=30), "drafted")]
    drafts = [
        Waiting("a.nkom_varsel.1", "a", "outage", "nkom", "nkom_varsel", "draft", 2),
        Waiting("z.pts_initial", "z", "outage", "pts", "pts_initial", "failed", 1),
        Waiting("y.pts_initial", "y", "outage", "pts", "pts_initial", "sent", 1),
    ]
    got = deadline_queue(items, drafts, NOW)
    assert [(e.case, e.draft.id if e.draft else None) for e in got] == [
        ("a", "a.nkom_varsel.1"),
        ("z", "z.pts_initial"),
    ]
    assert got[1].state == "failed" and got[1].due_at is None


# ---- plain names -------------------------------------------------------------------------------


def test_every_obligation_kind_has_a_name_in_each_language():
    """No kind reaches a person as its code: each has en, nb and sv names."""
    for kind in DEFAULT_RULES:
        names = report_names.REPORTS[kind]
        assert set(names) == {"en", "nb", "sv"}, kind
        assert all(n and "_" not in n for n in names.values()), kind


def test_report_names_are_in_the_regulators_language():
    assert report_names.report_name("nkom", "nkom_varsel") == "Nkom – første varsel"
    assert report_names.report_name("pts", "pts_initial") == "PTS – inledande rapport"
    assert report_names.report_name("pts", "pts_initial", "en") == "PTS – initial report"
    assert report_names.waiting_words("initial_sent") == "owed once the initial report is sent"
    assert report_names.waiting_words("new_event") == "owed once new event happens"
    assert report_names.country_of("nkom") == "NO"


# ---- people's changes --------------------------------------------------------------------------


def test_changes_record_who_when_and_one_audit_event_each():
    doc, events = handling.rename({}, "inc-a", "  Ullevål  ", "anna", NOW)
    assert doc["title"] == {"text": "Ullevål", "by": "anna", "at": "2026-11-23T10:00:00Z"}
    assert [(e.action, e.target, e.detail["title"]) for e in events] == [
        ("incident.renamed", "incident:inc-a", "Ullevål")
    ]
    doc, events = handling.acknowledge(doc, "inc-a", "bo", NOW)
    assert doc["acknowledged"]["by"] == "bo" and len(events) == 1
    same, none = handling.acknowledge(doc, "inc-a", "cy", NOW + timedelta(minutes=1))
    assert same == doc and none == []
    doc, events = handling.assign(doc, "inc-a", "olga", "bo", NOW)
    assert doc["assignee"]["name"] == "olga" and events[0].detail["before"] is None
    assert handling.assign(doc, "inc-a", "olga", "bo", NOW)[1] == []
    doc, events = handling.add_note(doc, "inc-a", "line one\nline two", "bo", NOW)
    assert doc["notes"][-1]["text"] == "line one\nline two"
    assert events[0].detail == {"incident": "inc-a", "note": 1}  # never the text
    doc, events = handling.rename(doc, "inc-a", "", "anna", NOW)
    assert "title" not in doc and events[0].detail["before"] == "Ullevål"
    doc, events = handling.assign(doc, "inc-a", None, "anna", NOW)
    assert "assignee" not in doc and events[0].detail["assignee"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda: handling.rename({}, "i", "x" * 121, "a", NOW), "title"),
        (lambda: handling.rename({}, "i", "a\nb", "a", NOW), "title"),
        (lambda: handling.rename({}, "i", None, "a", NOW), "title"),
        (lambda: handling.add_note({}, "i", "", "a", NOW), "text"),
        (lambda: handling.add_note({}, "i", "x\x00", "a", NOW), "text"),
        (lambda: handling.add_note({}, "i", "y" * 4001, "a", NOW), "text"),
        (lambda: handling.add_note({"notes": [{}] * 500}, "i", "more", "a", NOW), "text"),
    ],
)
def test_bad_changes_name_the_field(change, field):
    with pytest.raises(BadInput) as caught:
        change()
    assert caught.value.field == field


def test_derived_title_prefers_a_summary_then_the_element_then_the_alert():
    assert handling.derived_title(["", " Fiberbrudd  Oslo "], "x") == "Fiberbrudd Oslo"
    assert handling.derived_title([], "se-site-berg", "site", "Berg") == "site se-site-berg, Berg"
    assert handling.derived_title([], None, alertname="Down") == "Down"


def test_a_derived_title_carries_no_control_bidi_or_zero_width_character_of_an_alert():
    """An alert's summary, element label and name are stored as sent; the title made from them
    holds none of what a person's title may not (an escape sequence reaches a terminal, an
    override reorders what is read); homoglyphs are letters and stay."""
    said = "OLT\x00 \x1b[2Jnede\x07 i 2026/\u202e9990\u200b\u2066 Оslo"
    assert handling.derived_title([said], None) == "OLT [2Jnede i 2026/9990 Оslo"
    assert handling.derived_title([], "no-olt\x1b]0;x\x07-1", "olt") == "olt no-olt]0;x-1"
    assert handling.derived_title([], None, alertname="\u202eDown\x00") == "Down"
    assert handling.derived_title(["\u200b\x00"], None, alertname="\x07") == "unnamed incident"


def _sources_by_sorting(episodes: list[AlertEpisode]) -> handling.TitleSources:
    """How the API picked a title's sources before: a stable sort of every episode."""
    eps = sorted(episodes, key=lambda e: (not e.firing, e.starts_at))
    summaries = [e.annotations.get("summary", "") for e in eps]
    summary = next((s for s in summaries if s.strip()), None)
    element = next((e.labels["element"] for e in eps if e.labels.get("element")), None)
    return handling.TitleSources(summary, element, eps[0].labels.get("alertname") if eps else None)


@st.composite
def titled_episodes(draw: st.DrawFn) -> list[AlertEpisode]:
    """Episodes with few distinct starts (ties), blank and missing summaries and labels."""
    out = []
    for n in range(draw(st.integers(0, 12))):
        start = NOW + timedelta(minutes=draw(st.integers(0, 3)))
        resolved = draw(st.booleans())
        labels = {}
        if draw(st.booleans()):
            labels["alertname"] = draw(st.sampled_from(["Down", "LinkDown", ""]))
        if draw(st.booleans()):
            labels["element"] = draw(st.sampled_from(["olt-1", "site-2", ""]))
        summary = draw(st.sampled_from([None, "", "  ", "\u2003", "Cell down", f"s{n}"]))
        out.append(
            AlertEpisode(
                fingerprint=f"fp{n}",
                starts_at=start,
                status="resolved" if resolved else "firing",
                ends_at=start + timedelta(minutes=5) if resolved else None,
                labels=labels,
                annotations={} if summary is None else {"summary": summary},
                first_seen=start,
                last_seen=start,
            )
        )
    return out


@settings(max_examples=100, deadline=None, database=None)
@given(titled_episodes())
def test_title_sources_pick_what_sorting_every_alert_picked(episodes):
    """One pass over the alerts names an incident as the full sort did: the same summary,
    element and alert name, ties in the order given."""
    assert handling.title_sources(episodes) == _sources_by_sorting(episodes)


def test_title_sources_prefer_firing_then_oldest_then_the_first_given():
    def ep(fp, minutes, status="firing", **labels):
        start = NOW + timedelta(minutes=minutes)
        return AlertEpisode(fp, start, status, None, labels, {"summary": fp}, start, start)

    got = handling.title_sources(
        [ep("old-resolved", 0, "resolved"), ep("b", 5, element="e-b"), ep("a", 5), ep("c", 9)]
    )
    assert got == handling.TitleSources("b", "e-b", None)
    assert handling.title_sources([]) == handling.TitleSources(None, None, None)


# ---- the timeline ------------------------------------------------------------------------------

DOC = {
    "alert_details": [
        {
            "fingerprint": "fp",
            "labels": {"alertname": "Down", "element": "no-cell-ullevaal"},
            "annotations": {"summary": "Cell down"},
            "status": "resolved",
            "starts_at": "2026-11-23T09:00:00Z",
            "ends_at": "2026-11-23T09:50:00Z",
        }
    ],
    "impact": {
        "timeline": [
            {"at": "2026-11-23T09:00:00Z", "services": {"mobile": 5000}},
            {"at": "2026-11-23T09:50:00Z", "services": {}},
        ]
    },
    "assessments": [
        {
            "regulator": "nkom",
            "rule_set": "nkom-varsel",
            "reportable": True,
            "since": "2026-11-23T09:00:00Z",
            "criteria": [{"id": "societal", "met": True, "since": "2026-11-23T09:00:00Z"}],
        },
        {"regulator": "pts", "rule_set": "pts-outage", "reportable": True, "since": "x"},
    ],
    "obligations": [
        {"regulator": "nkom", "kind": "nkom_varsel", "due_at": "2026-11-23T10:00:00Z"},
        {
            "regulator": "nkom",
            "kind": "nkom_update",
            "due_at": None,
            "waiting_for": "significant_change",
        },
    ],
}


def test_timeline_merges_everything_in_order_in_plain_words():
    audit = [
        {
            "at": "2026-11-23T09:01:00Z",
            "actor": "bridge",
            "action": "draft.opened",
            "detail": {"draft": "inc.nkom_varsel", "kind": "nkom_varsel", "version": 1},
        },
        {
            "at": "2026-11-23T09:20:00Z",
            "actor": "anna",
            "action": "draft.approved",
            "detail": {"draft": "inc.nkom_varsel", "kind": "nkom_varsel", "version": 1},
        },
        {
            "at": "2026-11-23T09:05:00Z",
            "actor": "bo",
            "action": "incident.acknowledged",
            "detail": {},
        },
    ]
    notes = [{"at": "2026-11-23T09:10:00Z", "author": "bo", "text": "Ringte Telenor"}]
    got = timeline.events(
        DOC,
        audit,
        notes,
        ["nkom"],
        {"inc.nkom_varsel": "nkom"},
        {"nkom-varsel": {"societal": "a societally important function is affected"}},
    )
    assert [(e["at"][11:16], e["kind"], e["summary"]) for e in got] == [
        ("09:00", "alert", "Down on no-cell-ullevaal firing: Cell down"),
        ("09:00", "impact", "affected connections: mobile 5 000"),
        ("09:00", "criterion", "Nkom: criterion met: a societally important function is affected"),
        ("09:00", "reportable", "reportable to Nkom"),
        ("09:00", "obligation", "Nkom – første varsel: owed"),
        ("09:00", "obligation", "Nkom – oppdatering: owed once the impact changes significantly"),
        ("09:01", "draft", "Nkom – første varsel: draft opened (version 1)"),
        ("09:05", "acknowledged", "acknowledged by bo"),
        ("09:10", "note", "Ringte Telenor"),
        ("09:20", "draft", "Nkom – første varsel: approved (version 1)"),
        ("09:50", "alert", "Down on no-cell-ullevaal resolved"),
        ("09:50", "impact", "affected connections: none"),
    ]


def test_timeline_tells_when_the_bridge_first_learned_of_it_apart_from_its_start():
    """An alert that started at 03:59 and reached the bridge at 04:19: reportable from its
    start, and known to the bridge from 04:19 (its first alert's receipt, ``first_seen``)."""
    doc = {
        **DOC,
        "started_at": "2026-11-23T09:00:00Z",
        "first_received_at": "2026-11-23T09:20:00Z",
    }
    got = timeline.events(doc, [], [], ["nkom"], {})
    aware = [e for e in got if e["kind"] == "aware"]
    assert aware == [
        {
            "at": "2026-11-23T09:20:00Z",
            "kind": "aware",
            "actor": "alertmanager",
            "summary": "first known to the bridge: its first alert received, 20m after it "
            "started (2026-11-23T09:00:00Z)",
        }
    ]
    assert [e["kind"] for e in got].index("aware") > [e["kind"] for e in got].index("reportable")
    grouped = timeline.grouped(doc, [], lambda ep: "", [], [], ["nkom"], {})
    assert [e for e in grouped if e["kind"] == "aware"] == aware


def test_timeline_tells_who_opened_an_incident_by_hand_and_when():
    """Opened by hand at 04:20 by ana for an outage that started at 01:20: the timeline says
    who opened it and when, 3 h after it started, not that the bridge knew at 01:20."""
    doc = {
        "started_at": "2026-11-23T01:20:00Z",
        "first_received_at": "2026-11-23T04:20:00.250000Z",
        "impact": {"timeline": []},
    }
    audit = [
        {
            "at": "2026-11-23T04:20:00.300000Z",
            "actor": "ana",
            "action": "incident.opened_by_hand",
            "detail": {"reference": "by-hand-1", "started_at": "2026-11-23T01:20:00Z"},
        }
    ]
    got = timeline.events(doc, audit, [], [], {})
    assert got == [
        {
            "at": "2026-11-23T04:20:00.300000Z",
            "kind": "aware",
            "actor": "ana",
            "summary": "first known to the bridge: opened by hand by ana, 3h after it "
            "started (2026-11-23T01:20:00Z)",
        }
    ]


def test_timeline_says_a_report_was_late_by_how_much_and_why():
    """An obligation fulfilled after its due time is on the timeline as late (when it was
    sent, by how much, the due time it had); the approval says the reason for the delay."""
    doc = {
        **DOC,
        "obligations": [
            {
                "regulator": "nkom",
                "kind": "nkom_varsel",
                "due_at": "2026-11-23T10:00:00Z",
                "state": "sent",
                "late_by": 7200,
            }
        ],
    }
    audit = [
        {
            "at": "2026-11-23T11:59:00Z",
            "actor": "anna",
            "action": "draft.approved",
            "detail": {
                "draft": "inc.nkom_varsel",
                "kind": "nkom_varsel",
                "version": 1,
                "late_reason": "the on-call phone was dead",
            },
        }
    ]
    got = timeline.events(doc, audit, [], ["nkom"], {"inc.nkom_varsel": "nkom"})
    words = [(e["at"][11:16], e["kind"], e["summary"]) for e in got if e["at"] >= "2026-11-23T10"]
    assert words == [
        (
            "11:59",
            "draft",
            "Nkom – første varsel: approved (version 1); reason for the delay: "
            "the on-call phone was dead",
        ),
        ("12:00", "late", "Nkom – første varsel: sent 2h late (it was due 2026-11-23T10:00:00Z)"),
    ]
    late = next(e for e in got if e["kind"] == "late")
    assert late["regulator"] == "nkom" and late["actor"] == "bridge"


def test_timeline_tells_the_declaration_and_the_portal_submission_with_who_and_when():
    """Both were in the audit and not on the timeline ("when did you submit the early
    warning?" had no answer there): the declaration (significant or not, by whom, its
    awareness instant and reason; a later one moving the awareness says from what) and each
    portal submission, at the instant it was submitted (recorded later: says when), with the
    portal's reference."""
    draft = "inc.se_cyber_early_warning"
    audit = [
        {
            "at": "2026-11-23T09:05:00.250000Z",
            "actor": "anna",
            "action": "incident.declared",
            "detail": {
                "significant": True,
                "aware_at": "2026-11-23T09:00:00+00:00",
                "reason": "112 out at the hospital",
                "revision": 1,
                "previous_aware_at": None,
                "jurisdictions": ["SE"],
            },
        },
        {
            "at": "2026-11-23T09:30:00Z",
            "actor": "bo",
            "action": "incident.declared",
            "detail": {
                "significant": True,
                "aware_at": "2026-11-23T08:40:00+00:00",
                "reason": "we knew at 09.40",
                "revision": 2,
                "previous_aware_at": "2026-11-23T09:00:00+00:00",
                "jurisdictions": ["SE"],
            },
        },
        {
            "at": "2026-11-24T10:00:00Z",
            "actor": "anna",
            "action": "draft.submitted",
            "detail": {
                "draft": draft,
                "kind": "se_cyber_early_warning",
                "version": 1,
                "content_hash": "ab12",
                "submitted_at": "2026-11-24T08:00:00+00:00",
                "reference": "CP-2026-0042",
            },
        },
    ]
    got = timeline.events({"impact": {"timeline": []}}, audit, [], ["csirt"], {draft: "csirt"})
    assert [(e["at"], e["kind"], e["actor"], e["summary"]) for e in got] == [
        (
            "2026-11-23T09:05:00.250000Z",
            "declared",
            "anna",
            "declared significant under the cybersecurity act by anna, aware at "
            "2026-11-23T09:00:00Z: 112 out at the hospital",
        ),
        (
            "2026-11-23T09:30:00Z",
            "declared",
            "bo",
            "declared significant under the cybersecurity act by bo, aware at "
            "2026-11-23T08:40:00Z (before: 2026-11-23T09:00:00Z): we knew at 09.40",
        ),
        (
            "2026-11-24T08:00:00Z",
            "draft",
            "anna",
            "MCF CSIRT – tidig varning: submitted on the portal by anna (version 1), the "
            "portal's reference CP-2026-0042 (recorded 2026-11-24T10:00:00Z)",
        ),
    ]
    assert got[-1]["draft"] == draft
    declared_not = {
        "at": "2026-11-23T09:05:00Z",
        "actor": "anna",
        "action": "incident.declared",
        "detail": {"significant": False, "aware_at": None, "reason": "no service lost"},
    }
    [event] = timeline.events({"impact": {"timeline": []}}, [declared_not], [], [], {})
    assert event["summary"] == (
        "declared not significant under the cybersecurity act by anna: no service lost"
    )


def test_chart_draws_services_thresholds_and_reportable_instants_of_applicable_regulators():
    thresholds = [
        {"regulator": "pts", "criterion": "conn-1k-8h", "connections": 1000, "minutes": 480},
        {"regulator": "nkom", "criterion": "x", "connections": 4000, "minutes": 0},
    ]
    got = timeline.chart(DOC, thresholds, ["nkom"])
    assert got["services"] == ["mobile"]
    assert got["points"] == [
        {"at": "2026-11-23T09:00:00Z", "mobile": 5000},
        {"at": "2026-11-23T09:50:00Z", "mobile": 0},
    ]
    assert [t["regulator"] for t in got["thresholds"]] == ["nkom"]
    assert got["reportable"] == [
        {"regulator": "nkom", "at": "2026-11-23T09:00:00Z", "rule_set": "nkom-varsel"}
    ]


# ---- the grouped timeline (what the incident page reads) ---------------------------------------

T9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KINDS = {"olt": "olt", "cell": "cell"}


def storm_alert(fp, seconds, element="olt", end=None, summary=None):
    start = T9 + timedelta(seconds=seconds)
    return AlertEpisode(
        fp,
        start,
        "firing" if end is None else "resolved",
        None if end is None else T9 + timedelta(seconds=end),
        {"alertname": "Down", "element": f"{element}-{fp}"},
        {} if summary is None else {"summary": summary},
        start,
        start,
    )


def kind_of(ep):
    """The test inventory: elements named ``olt-…`` are OLTs, ``cell-…`` cells, others unknown."""
    return KINDS.get(ep.labels["element"].split("-")[0], "")


def with_details(doc, episodes):
    """The document the every-alert view reads: with each alert's JSON."""
    from bridge.core.documents import alert_json

    return {**doc, "alert_details": [alert_json(ep, (), {}) for ep in episodes]}


def test_grouped_timeline_tells_a_storm_in_a_few_events_and_never_hides_people():
    """37 OLT alerts and 3 cell alerts firing within one minute, the OLTs resolving later: one
    event per minute and kind (count, first and last instant, the first fingerprints), each
    split where a person's note falls among them; the note, verdicts and obligations are all
    there as in the every-alert view; one alert alone reads as there."""
    storm = [  # 09:00:00 … 09:00:36, the first ten resolving at 09:10:00 …
        storm_alert(f"o{n:02d}", n, end=600 + n if n < 10 else None) for n in range(37)
    ]
    storm += [storm_alert(f"c{n}", 40 + n, "cell") for n in range(3)]
    storm += [storm_alert("late", 300, "cell", summary="Cell down")]
    doc = {
        "impact": {
            "timeline": [
                {"at": f"2026-11-23T09:00:{s:02d}Z", "services": {"internet": 100 * s}}
                for s in range(0, 40, 2)
            ]
        },
        "assessments": [
            {
                "regulator": "nkom",
                "rule_set": "nkom-varsel",
                "reportable": True,
                "since": "2026-11-23T09:02:00Z",
                "criteria": [{"id": "societal", "met": True, "since": "2026-11-23T09:02:00Z"}],
            }
        ],
        "obligations": DOC["obligations"],
    }
    notes = [{"at": "2026-11-23T09:00:20.500000Z", "author": "bo", "text": "Ringte Telenor"}]
    got = timeline.grouped(doc, reversed(storm), kind_of, [], notes, ["nkom"], {})
    alerts = [e for e in got if e["kind"] == "alert"]
    assert [(e["at"][11:], e["until"][11:], e["count"], e["summary"]) for e in alerts] == [
        (
            "09:00:00Z",
            "09:00:20Z",
            21,
            "21 alerts firing (olt): Down on olt-o00, Down on olt-o01, Down on olt-o02, …",
        ),
        (
            "09:00:21Z",
            "09:00:36Z",
            16,
            "16 alerts firing (olt): Down on olt-o21, Down on olt-o22, Down on olt-o23, …",
        ),
        (
            "09:00:40Z",
            "09:00:42Z",
            3,
            "3 alerts firing (cell): Down on cell-c0, Down on cell-c1, Down on cell-c2",
        ),
        ("09:05:00Z", "09:05:00Z", 1, "Down on cell-late firing: Cell down"),
        (
            "09:10:00Z",
            "09:10:09Z",
            10,
            "10 alerts resolved (olt): Down on olt-o00, Down on olt-o01, Down on olt-o02, …",
        ),
    ]
    assert alerts[0]["fingerprints"] == ["o00", "o01", "o02", "o03", "o04"]
    impact = [e for e in got if e["kind"] == "impact"]
    assert [(e["at"][17:], e["until"][17:], e["count"]) for e in impact] == [
        ("00Z", "20Z", 11),
        ("22Z", "38Z", 9),  # split by the note
    ]
    assert impact[0]["summary"] == "affected connections: internet 2 000 (the last of 11 changes)"
    full = timeline.events(with_details(doc, storm), [], notes, ["nkom"], {})
    assert [e for e in got if e["kind"] not in ("alert", "impact")] == [
        e for e in full if e["kind"] not in ("alert", "impact")
    ]
    assert [e["kind"] for e in got] == [
        *("alert", "impact", "note", "alert", "impact", "alert"),  # the storm's first minute
        *("criterion", "reportable", "obligation", "obligation"),  # 09:02
        *("alert", "alert"),  # 09:05, and the resolves at 09:10
    ]


def test_every_view_orders_by_instant_not_by_the_text_of_at():
    """``09:00:00.5Z`` comes after ``09:00:00Z`` (as text it sorts first)."""
    doc = {"impact": {"timeline": [{"at": "2026-11-23T09:00:00.500000Z", "services": {}}]}}
    notes = [{"at": "2026-11-23T09:00:00Z", "author": "bo", "text": "first"}]
    for got in (
        timeline.events(doc, [], notes, [], {}),
        timeline.grouped(doc, [], kind_of, [], notes, [], {}),
    ):
        assert [e["kind"] for e in got] == ["note", "impact"]


@st.composite
def storms(draw: st.DrawFn):
    """Alerts over three minutes (starts to the microsecond, many at the same instant), some
    resolved, on OLTs, cells and unknown elements; notes among them, some at an alert's
    instant."""
    instants = [
        T9 + timedelta(seconds=s, microseconds=u)
        for s, u in draw(
            st.lists(
                st.tuples(st.integers(0, 180), st.sampled_from([0, 0, 500_000])),
                min_size=1,
                max_size=10,
            )
        )
    ]
    episodes = []
    for n in range(draw(st.integers(0, 25))):
        start = draw(st.sampled_from(instants))
        end = draw(st.one_of(st.none(), st.sampled_from(instants)))
        element = draw(st.sampled_from(["olt", "cell", "ghost"]))
        episodes.append(
            AlertEpisode(
                f"fp{n:02d}",
                start,
                "firing" if end is None or end < start else "resolved",
                end if end is not None and end >= start else None,
                {"alertname": "Down", "element": f"{element}-{n}"},
                {"summary": "s"} if draw(st.booleans()) else {},
                start,
                start,
            )
        )
    notes = [
        {"at": draw(st.sampled_from(instants)).isoformat().replace("+00:00", "Z"), "author": "a"}
        | {"text": f"note {n}"}
        for n in range(draw(st.integers(0, 4)))
    ]
    return episodes, notes


@settings(max_examples=60, deadline=None, database=None)
@given(storms())
def test_the_grouped_view_stands_for_every_alert_and_hides_nothing_else(storm):
    """Against the every-alert view of the same incident: the same events but alerts' and
    impact's, in the same order; as many alerts firing and resolved; and each group's alerts
    lie between the same two of the other events there."""
    episodes, notes = storm
    doc: dict = {"impact": {"timeline": []}}
    full = timeline.events(with_details(doc, episodes), [], notes, [], {})
    got = timeline.grouped(doc, episodes, kind_of, [], notes, [], {})
    assert [e for e in got if e["kind"] == "note"] == [e for e in full if e["kind"] == "note"]
    for word in ("firing", "resolved"):
        alone = sum(1 for e in full if e["kind"] == "alert" and e["summary"].endswith(word))
        alone += sum(1 for e in full if e["kind"] == "alert" and f" {word}: " in e["summary"])
        grouped = sum(
            e["count"] for e in got if e["kind"] == "alert" and f" {word}" in e["summary"]
        )
        assert grouped == alone

    def gaps(events):
        """Each alert event → how many notes come before it."""
        out, notes_before = [], 0
        for e in events:
            if e["kind"] == "note":
                notes_before += 1
            else:
                out.append((e, notes_before))
        return out

    before = {}
    for e, n in gaps(full):
        before.setdefault(e["at"], set()).add(n)
    for e, n in gaps(got):
        assert len(e["fingerprints"]) == min(e["count"], timeline.FEW)
        assert before[e["at"]] == {n}  # its first alert lies in the same gap in both views
        assert before[e["until"]] == {n}  # and its last
