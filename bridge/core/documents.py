"""Incidents as JSON documents: the API's shape (docs/design.md "Incident JSON") and the stored one.

Pure: takes the engine's incident and the inventory, returns plain dicts. Field names are a
contract; more fields are welcome, none may disappear.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from bridge.core.alerts import AlertEpisode, format_time
from bridge.core.country_view import BY_JURISDICTION, country_json
from bridge.core.impact_override import Correction
from bridge.core.incident_state import Incident
from bridge.core.obligations import Obligation, binds
from bridge.core.rules import Assessment, RuleSet
from bridge.core.topology import Topology

#: a regulator's verdict on an incident, as people read it
REPORTABLE, NOT_REPORTABLE, IMPACT_UNKNOWN = "reportable", "not_reportable", "impact_unknown"
#: the cybersecurity act's: its criteria only make an incident potentially significant
POTENTIALLY_SIGNIFICANT = "potentially_significant"


def verdict(a: Assessment, incident: Incident) -> str:
    """``reportable`` (on the cyber track: ``potentially_significant``, since a person
    declares significance); ``impact_unknown`` when it is not but some of the incident's
    alerts could not be placed (the inventory lacks their element and they do not describe
    their impact) and no person overrode its impact: what they take down is unknown, so "not
    reportable" would be a guess; else ``not_reportable``."""
    if a.reportable:
        return POTENTIALLY_SIGNIFICANT if a.track == "cyber" else REPORTABLE
    return IMPACT_UNKNOWN if impact_unknown(incident) else NOT_REPORTABLE


def impact_unknown(incident: Incident) -> bool:
    """Some alerts could not be placed and no person stated the impact instead."""
    return bool(incident.unmapped) and not incident.overridden


#: rule set id → the rule set, for what a verdict means (:func:`meaning`)
RuleSets = Mapping[str, RuleSet]


def meaning(a: Assessment, incident: Incident, rule_set: RuleSet | None) -> dict[str, Any]:
    """What the rule set's verdict on the incident means, beside it in the document (empty when
    the rule set is not known: no longer configured): ``binding`` (a met verdict owes the
    regulator a report: :func:`bridge.core.obligations.binds`; false for a reference matrix,
    for a repealed law's rule set since its repeal and for a law not in force for the
    incident), ``reference`` (a reference matrix, ENISA's:
    it opens no report) and ``repealed_on`` (the day its law was repealed, if it was). The
    one spelling of it: ``bridge replay``'s verdict changes carry it too
    (:mod:`bridge.core.replay`)."""
    return meaning_of(a.track, incident.started_at, rule_set)


def meaning_of(track: str, started_at: datetime | None, rule_set: RuleSet | None) -> dict[str, Any]:
    """:func:`meaning` of a verdict of ``track`` on an incident that began at ``started_at``."""
    if rule_set is None:
        return {}
    repealed = rule_set.repealed_on
    return {
        "binding": binds(rule_set, started_at),
        "reference": track != "cyber" and not rule_set.obligations,
        "repealed_on": None if repealed is None else repealed.isoformat(),
    }


def _assessment(
    a: Assessment, incident: Incident, now: datetime, rule_sets: RuleSets | None = None
) -> dict[str, Any]:
    known = {} if rule_sets is None else meaning(a, incident, rule_sets.get(a.rule_set))
    return {
        "regulator": a.regulator,
        "rule_set": a.rule_set,
        "verified": a.verified,
        "reportable": a.reportable,
        "track": a.track,
        "verdict": verdict(a, incident),
        "since": format_time(a.since),
        "forecast_at": format_time(a.forecast_at),
        "seconds_to_reportable": a.seconds_to_reportable(now),
        # the day the rule set's law applies from, when the incident began before it (then
        # never reportable, whatever the criteria say); else None
        "in_force_from": None if a.in_force_from is None else a.in_force_from.isoformat(),
        "criteria": [
            {
                "id": c.id,
                "kind": c.kind,
                "met": c.met,
                "since": format_time(c.since),
                "forecast_at": format_time(c.forecast_at),
                "reason": c.reason,
                "source": c.source,
            }
            for c in a.criteria
        ],
        **known,
    }


def assessments_json(
    incident: Incident, now: datetime, rule_sets: RuleSets | None = None
) -> list[dict[str, Any]]:
    """The incident's assessments as its document shows them (every criterion, its reason),
    each with what it means (:func:`meaning`) when ``rule_sets`` are given."""
    return [_assessment(a, incident, now, rule_sets) for a in incident.assessments]


def alert_json(
    ep: AlertEpisode, stale: Collection[str], unmapped: Mapping[str, str]
) -> dict[str, Any]:
    """One alert (an episode of it) as the API shows it: its labels, times and whether it is
    stale (``stale``: the incident's stale fingerprints) or unmapped (``unmapped``: fingerprint
    → why)."""
    return {
        "fingerprint": ep.fingerprint,
        "status": ep.status,
        "starts_at": format_time(ep.starts_at),
        "ends_at": format_time(ep.ends_at),
        "first_seen": format_time(ep.first_seen),
        "last_seen": format_time(ep.last_seen),
        "labels": ep.labels,
        "annotations": ep.annotations,
        "generator_url": ep.generator_url,
        "stale": ep.fingerprint in stale and ep.firing,
        "unmapped": unmapped.get(ep.fingerprint),
    }


def alert_counts(
    episodes: Collection[AlertEpisode], stale: Collection[str], unmapped: Mapping[str, str]
) -> dict[str, int]:
    """How many of an incident's alert episodes there are (``total``), firing, resolved, stale
    and unmapped: what its page says before it shows a page of them."""
    firing = [ep for ep in episodes if ep.firing]
    return {
        "total": len(episodes),
        "firing": len(firing),
        "resolved": len(episodes) - len(firing),
        "stale": sum(1 for ep in firing if ep.fingerprint in stale),
        "unmapped": sum(1 for ep in episodes if ep.fingerprint in unmapped),
    }


def deciding(assessment: Mapping[str, Any]) -> dict[str, Any] | None:
    """The criterion that decided an assessment (its JSON, as :func:`document` shows it):
    reportable, the one met first; not reportable, the one nearest to being met (soonest
    forecast), else the first; None without criteria. The board shows it beside the verdict."""
    criteria = list(assessment.get("criteria") or ())
    if assessment.get("reportable"):
        met = [c for c in criteria if c.get("met")]
        met.sort(key=lambda c: (c.get("since") is None, c.get("since") or ""))
        chosen = met[0] if met else (criteria[0] if criteria else None)
    else:
        near = sorted((c for c in criteria if c.get("forecast_at")), key=lambda c: c["forecast_at"])
        chosen = near[0] if near else (criteria[0] if criteria else None)
    return dict(chosen) if chosen is not None else None


#: the fields of an assessment in a summary (beside ``deciding``)
_BRIEF_FIELDS = ("regulator", "rule_set", "verified", "reportable", "track", "verdict", "since")


def brief(assessment: Mapping[str, Any]) -> dict[str, Any]:
    """An assessment as the list shows it: its verdict, ``forecast_at``, and the one criterion
    that decided it (``deciding``) instead of all. Nothing in it moves with the clock alone
    (no ``seconds_to_reportable``): the live stream digests summaries."""
    out = {name: assessment.get(name) for name in _BRIEF_FIELDS}
    out["forecast_at"] = assessment.get("forecast_at")
    out["deciding"] = deciding(assessment)
    return out


def summary(incident: Incident, now: datetime) -> dict[str, Any]:
    """The list view: enough to triage without opening the incident (the board draws from it
    alone): its verdicts, each with the criterion that decided it (``assessments``, see
    :func:`brief`), and how many alert episodes it has (``alert_count``)."""
    return {
        "id": incident.id,
        "state": incident.state,
        "started_at": format_time(incident.started_at),
        "ended_at": format_time(incident.ended_at),
        "closes_at": format_time(incident.closes_at),
        "merged_into": incident.merged_into,
        "jurisdictions": incident.jurisdictions,
        "alerts": incident.fingerprints(),
        "impact": {"current": incident.impact.current, "peak": incident.impact.peak},
        "reportable": {a.regulator: a.reportable for a in incident.assessments},
        "verdicts": {a.regulator: verdict(a, incident) for a in incident.assessments},
        "impact_known": not impact_unknown(incident),
        "impact_overridden": incident.overridden,
        "warnings": warnings(incident),
        "alert_count": len(incident.episodes),
        "assessments": [brief(a) for a in assessments_json(incident, now)],
    }


_SUMMARY_FIELDS = (
    "id",
    "state",
    "started_at",
    "ended_at",
    "closes_at",
    "merged_into",
    "jurisdictions",
    "alerts",
    "reportable",
    "verdicts",
    "impact_known",
    "impact_overridden",
    "warnings",
)


def warnings(incident: Incident) -> list[str]:
    out: list[str] = []
    if incident.stale:
        out.append(
            f"{len(incident.stale)} firing alert(s) not heard of within the stale limit; "
            "their resolve may have been lost"
        )
    if incident.unmapped:
        out.append(f"{len(incident.unmapped)} alert(s) could not be mapped to the inventory")
    if incident.truncated_alerts:
        out.append(
            f"Alertmanager dropped {incident.truncated_alerts} alert(s) from this incident's "
            "groups (max_alerts): impact may be understated"
        )
    for a in incident.assessments:
        if not a.verified:
            out.append(f"rule set {a.rule_set} is not verified against the regulation in force")
    return out


def document(
    incident: Incident,
    episodes: dict[tuple[str, datetime], AlertEpisode],
    topology: Topology,
    now: datetime,
    rule_sets: RuleSets | None = None,
    *,
    details: bool = True,
) -> dict[str, Any]:
    """The full incident (docs/design.md fields and more), as the API shows it; each point of
    ``impact.timeline`` has the connections affected per service (``services``) beside the
    totals; with ``rule_sets``, each assessment says what it means (:func:`meaning`).
    ``details=False`` builds it without ``alert_details`` (one JSON object per alert: most of
    the document's cost for a large incident), equal to :func:`answered` of the full document:
    what an HTTP answer carries. Drafts, the hendelsesrapport and the timeline's every-alert
    view read the details: they keep the default."""
    doc = stored_document(incident, topology, now, rule_sets, episodes)
    _add_details(doc, incident, episodes, details)
    return doc


def answered(doc: dict[str, Any]) -> dict[str, Any]:
    """The incident document as the HTTP API answers it: without ``alert_details``, which grow
    with the alerts (10 000 of them are megabytes): ``GET /api/v1/incidents/{id}/alerts`` pages
    them, and ``alert_counts`` says how many there are. ``alerts`` (the fingerprints) stays.
    Build it without them in the first place where you can (``details=False``,
    :func:`document`); this removes them from a document that has them."""
    doc.pop("alert_details", None)
    return doc


def archived_document(
    stored: Mapping[str, Any],
    incident: Incident,
    episodes: Mapping[tuple[str, datetime], AlertEpisode],
    details: bool = True,
) -> dict[str, Any]:
    """An incident that left memory (bridge.core.liveness), as the API shows it: its stored
    document (its last evaluation, with the obligations as its notices left them) and the
    timeline and alert details rebuilt from its stored alerts (``incident``: the same alerts
    evaluated again), marked ``archived``; ``details`` as for :func:`document`."""
    doc = copy.deepcopy(dict(stored))
    doc.setdefault("impact", {})
    if doc.get("first_received_at") is None:  # a record stored before it kept one
        doc["first_received_at"] = format_time(first_received(incident, episodes))
    _add_details(doc, incident, episodes, details)
    doc["archived"] = True
    return doc


def stored_summary(stored: Mapping[str, Any], episodes: int) -> dict[str, Any]:
    """The list view (:func:`summary`) of a stored document, as it was last evaluated
    (``episodes``: how many alert episodes its record lists)."""
    out = {name: stored.get(name) for name in _SUMMARY_FIELDS}
    impact = stored.get("impact") or {}
    out["impact"] = {"current": impact.get("current"), "peak": impact.get("peak")}
    out["alert_count"] = episodes
    out["assessments"] = [brief(a) for a in stored.get("assessments") or ()]
    return out


def _add_details(
    doc: dict[str, Any],
    incident: Incident,
    episodes: Mapping[tuple[str, datetime], AlertEpisode],
    details: bool = True,
) -> None:
    doc["impact"]["timeline"] = [
        {
            "at": format_time(p.at),
            "outage": _conn_total(p.outage),
            "degradation": _conn_total(p.degradation),
            "services": _by_service(p.combined()),
        }
        for p in incident.timeline
    ]
    held = [episodes[ek] for ek in incident.episodes if ek in episodes]
    if details:
        doc["alert_details"] = [alert_json(ep, incident.stale, incident.unmapped) for ep in held]
    doc["alert_counts"] = alert_counts(held, incident.stale, incident.unmapped)


def absorbed_listed(document: Mapping[str, Any]) -> list[str]:
    """The ids a stored incident document lists as merged into its incident (``absorbed``,
    written with each save: bridge/evaluation/persistence.py; in a record saved before, by
    the store's schema 12); none when nothing was merged into it, or in anything that is not a
    list of ids."""
    listed = document.get("absorbed")
    if not isinstance(listed, list):
        return []
    return [i for i in listed if isinstance(i, str)]


def first_received(
    incident: Incident, episodes: Mapping[tuple[str, datetime], AlertEpisode]
) -> datetime | None:
    """When the bridge first learned of the incident: the earliest ``first_seen`` (receipt) of
    its alerts held in ``episodes`` (for one opened by hand: when it was entered); None when
    none is held."""
    seen = [ep.first_seen for ek in incident.episodes if (ep := episodes.get(ek)) is not None]
    return min(seen, default=None)


def stored_document(
    incident: Incident,
    topology: Topology,
    now: datetime,
    rule_sets: RuleSets | None = None,
    episodes: Mapping[tuple[str, datetime], AlertEpisode] | None = None,
) -> dict[str, Any]:
    """The incident as stored after each evaluation: everything but the per-alert details and
    the timeline, which grow with the alerts and are rebuilt from the stored alerts (with
    ``rule_sets``: as :func:`document`). With ``episodes`` (the alerts), it keeps
    ``first_received_at`` (:func:`first_received`): the alerts' own ``first_seen`` goes when
    they are pruned, the incident's record keeps when the bridge learned of it."""
    impact = incident.impact
    doc = summary(incident, now)
    doc.update(
        {
            "first_received_at": format_time(
                first_received(incident, episodes) if episodes is not None else None
            ),
            "correlation_key": incident.key,
            "impact": {
                "current": impact.current,
                "peak": impact.peak,
                "peak_at": format_time(impact.peak_at),
                "by_service": impact.by_service,
                "by_region": impact.by_region,
                "region_names": {
                    r: topology.region_names[r]
                    for r in impact.by_region
                    if r in topology.region_names
                },
                "current_by_service_region": [
                    {"service": s, "region": r, "connections": n}
                    for (s, r), n in sorted(impact.current_by_service_region.items())
                ],
                "outage": {"current": impact.outage_current, "peak": impact.outage_peak},
                "degradation": {
                    "current": impact.degradation_current,
                    "peak": impact.degradation_peak,
                },
                "overridden": incident.overridden,
                "inventory": _inventory(incident),
                "flags": flag_impact(incident, topology, now),
                # each country's own part: what a notice to its regulator counts
                BY_JURISDICTION: {j: country_json(c) for j, c in impact.countries.items()},
            },
            "assessments": assessments_json(incident, now, rule_sets),
            "obligations": [obligation_json(o) for o in incident.obligations],
            "remedied_at": format_time(incident.remedied_at),
            "stale_alerts": incident.stale,
            "unmapped_alerts": incident.unmapped,
            "truncated_alerts": incident.truncated_alerts,
            "evaluated_at": format_time(now),
        }
    )
    return doc


def correction_json(c: Correction) -> dict[str, Any]:
    """A correction as an incident document holds it (``CORRECTION``,
    :data:`bridge.core.drafts.CORRECTION`: what drafting tells the regulator was wrong)."""
    return {"text": c.text, "at": format_time(c.at), "by": c.by}


def flag_impact(
    incident: Incident, topology: Topology, now: datetime
) -> dict[str, dict[str, dict[str, Any]]]:
    """What the incident did to the inventory's flagged elements (``FLAGS``: carrying 112,
    societally important, wholesale), per jurisdiction and flag: ``inventory`` (how many such
    elements the inventory holds there), and over the impact timeline, outage and degradation
    alike, ``peak`` (the most affected at once), ``from`` (first affected), ``until`` (the last
    time one stopped being affected; None while one still is) and ``seconds`` (how long any was
    affected in all, counted to ``now`` while one still is). A flag the inventory holds with
    ``peak`` 0 was not affected (as far as the alerts were placed: ``impact_known``); a flag
    neither the inventory holds nor the incident touched is absent."""
    out: dict[str, dict[str, dict[str, Any]]] = {}

    def entry(jurisdiction: str, flag: str) -> dict[str, Any]:
        found = out.setdefault(jurisdiction, {}).get(flag)
        if found is None:
            found = {"inventory": 0, "peak": 0, "from": None, "until": None, "seconds": 0}
            out[jurisdiction][flag] = found
        return found

    for key, n in topology.totals.items():
        if key[0] == "flag" and n > 0:
            entry(key[1], key[2])["inventory"] = int(n)
    timeline = incident.timeline
    counts: dict[tuple[str, ...], float] = {}
    for i, point in enumerate(timeline):
        last = i + 1 == len(timeline)
        end = now if last else timeline[i + 1].at
        before = timeline[i - 1] if i else None
        if (
            before is None
            or point.outage is not before.outage
            or point.degradation is not before.degradation
        ):  # the timeline shares unchanged vectors: read each once
            counts = {}
            for vector in (point.outage, point.degradation):
                for key, n in vector.items():
                    if key[0] == "flag":
                        counts[key] = counts.get(key, 0) + n
        for key, n in counts.items():
            if n <= 0:
                continue
            found = entry(key[1], key[2])
            found["peak"] = max(found["peak"], int(n))
            found["from"] = found["from"] or format_time(point.at)
            found["seconds"] += max(0, int((end - point.at).total_seconds()))
            found["until"] = None if last else format_time(end)
    return out


def _inventory(incident: Incident) -> dict[str, Any] | None:
    """While a person's override stands: what the alerts alone give (else None)."""
    own = incident.derived.inventory if incident.derived is not None else None
    if own is None:
        return None
    return {
        "current": own.current,
        "peak": own.peak,
        "peak_at": format_time(own.peak_at),
        "by_service": own.by_service,
        "known": not incident.unmapped,
    }


def obligation_json(o: Obligation) -> dict[str, Any]:
    """One obligation as the API (and ``bridge replay --json``) shows it."""
    return {
        "regulator": o.regulator,
        "kind": o.kind,
        "due_at": format_time(o.due_at),
        "state": o.state,
        "basis": o.basis,
        "explanation": o.explanation,
        "waiting_for": o.waiting_for,
        # false: the operator's internal threshold, owed to no regulator (no legal deadline)
        "binding": o.binding,
        # fulfilled after due_at: by how many seconds (null: on time, or not yet)
        "late_by": o.late_by,
    }


def _conn_total(vec: dict[tuple[str, ...], float]) -> int:
    return int(sum(v for k, v in vec.items() if k[0] == "conn"))


def _by_service(vec: dict[tuple[str, ...], float]) -> dict[str, int]:
    """Affected connections per service (outage and degradation, every region), for the
    incident page's chart; services are never added together."""
    out: dict[str, int] = {}
    for k, v in vec.items():
        if k[0] == "conn":
            out[k[2]] = out.get(k[2], 0) + int(v)
    return dict(sorted(out.items()))
