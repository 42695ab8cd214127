"""One timeline of an incident: what the alerts, the bridge and people did, in order. Pure.

Contract:
- :func:`events` merges, from plain values: the incident's API document (its alerts firing and
  resolved, each change of the affected connections, each regulator's verdict becoming
  reportable (:func:`~bridge.core.report_names.met_words`: a reference matrix or a repealed
  law's internal threshold met owes no regulator) and each criterion met, in the rule set's
  words, each obligation opened: owed, or what it waits for), the audit entries of its drafts
  (opened, edited, approved, rejected, sent, failed …; a portal report's submission at the
  instant it was submitted, by whom, with the portal's reference) and of the incident itself
  (renamed, acknowledged, assigned, noted, its impact overridden or the override lifted,
  declared significant under the cybersecurity act or not: by whom, the awareness instant and
  the reason), and the
  notes; and when the bridge first learned of the incident, apart from when it started
  (``aware``: who opened it by hand and when, from ``incident.opened_by_hand``, else its first
  alert's receipt, the document's ``first_received_at``), and each report done with after its
  due time (``late``: the obligation's ``late_by``; an approval's ``late_reason`` is told
  with it). Each event is ``{"at", "kind", "actor", "summary"}`` (plus ``regulator`` where one
  applies), in plain words, ordered by time then kind; ``actor`` is ``bridge``,
  ``alertmanager`` or the person (or token) who acted.
- :func:`grouped` is the same timeline for reading (the incident page): every event of
  :func:`events` but the alerts' and the impact's is there as it is; the alerts that fired (or
  resolved) in the same minute on the same kind of inventory element are one ``alert`` event
  (``"37 alerts firing (olt): OltDown on olt-1, OltDown on olt-2, OltDown on olt-3, …"``: the
  first three of its different alert names and places, "…" when there are more), and the
  changes of the affected connections in the same minute one ``impact`` event (the minute's
  last figures), each with ``count`` (how many it stands for), ``until`` (the last of them;
  ``at`` is the first) and, for alerts, ``fingerprints`` (the first :data:`FEW`). A group
  never spans
  another event: people's actions, notes, verdicts and obligations split them, so whatever
  stands between two of those events in :func:`events` stands between them here. One alert
  alone reads as in :func:`events`. It reads the alerts themselves
  (:class:`~bridge.core.alerts.AlertEpisode`), not their JSON, so a storm's 10 000 alerts are
  not each put into words.
- Both are ordered by instant (not by the text of ``at``: ``10:00:00.5Z`` is after
  ``10:00:00Z``), then by kind: alerts, impact, criteria, verdicts, obligations, the rest.
- :func:`chart` is what the page draws beside it: the affected connections per service over
  time, each connections criterion's threshold per regulator, and the instant the incident
  became reportable to each regulator (or met a rule set that owes no regulator: a reference
  matrix, a repealed law's internal threshold; each mark carries its assessment's
  ``rule_set``, ``binding``, ``reference`` and ``repealed_on``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

from bridge.core.alerts import AlertEpisode, format_time, read_time
from bridge.core.durations import format_duration
from bridge.core.report_names import met_words, regulator_name, report_name, waiting_words

Event = dict[str, Any]

#: fingerprints a grouped alert event lists (its ``count`` says how many it stands for)
FEW = 5
#: different alerts (name and place) a grouped event names in its summary
NAMED = 3

#: draft audit actions → what happened, in plain words ({report} is the report's name)
DRAFT_WORDS = {
    "draft.opened": "{report}: draft opened",
    "draft.rerendered": "{report}: draft brought up to date with the incident",
    "draft.held": "{report}: approval held, the incident changed",
    "draft.edited": "{report}: draft edited",
    "draft.approved": "{report}: approved",
    "draft.approval_withdrawn": "{report}: approval withdrawn by an edit",
    "draft.rejected": "{report}: rejected",
    "draft.withdrawn": "{report}: draft withdrawn",
    "outbox.sent": "{report}: sent",
    "outbox.failed": "{report}: e-mail failed",
    "outbox.retry": "{report}: e-mail to be retried",
    "outbox.in_doubt": "{report}: delivery in doubt",
    "outbox.resend": "{report}: resent",
    "outbox.mark_sent": "{report}: marked sent",
    # a portal report (the CSIRT's): told at the instant it was submitted (:func:`_submitted`)
    "draft.submitted": "{report}: submitted on the portal by {actor}",
}


def _number(n: float) -> str:
    return f"{round(n):,}".replace(",", " ")


def _what(labels: Mapping[str, str], fingerprint: str) -> str:
    """An alert in words: its name and where (``OltDown on se-olt-1``)."""
    name, where = _place(labels, fingerprint)
    return f"{name} on {where}" if where else name


def _alert_events(doc: Mapping[str, Any]) -> list[Event]:
    out: list[Event] = []
    for a in doc.get("alert_details", []):
        what = _what(a.get("labels", {}), a.get("fingerprint", ""))
        summary = (a.get("annotations") or {}).get("summary")
        tail = f": {summary}" if summary else ""
        out.append(
            {
                "at": a["starts_at"],
                "kind": "alert",
                "actor": "alertmanager",
                "summary": f"{what} firing{tail}",
            }
        )
        if a.get("status") == "resolved" and a.get("ends_at"):
            out.append(
                {
                    "at": a["ends_at"],
                    "kind": "alert",
                    "actor": "alertmanager",
                    "summary": f"{what} resolved",
                }
            )
    return out


def _impact_words(point: Mapping[str, Any]) -> str:
    services = point.get("services") or {}
    per = ", ".join(f"{s} {_number(n)}" for s, n in services.items()) or "none"
    return f"affected connections: {per}"


def _impact_events(doc: Mapping[str, Any]) -> list[Event]:
    return [
        {"at": p["at"], "kind": "impact", "actor": "bridge", "summary": _impact_words(p)}
        for p in doc.get("impact", {}).get("timeline", [])
    ]


def _verdict_events(
    doc: Mapping[str, Any], applies: Iterable[str], criteria: Mapping[str, Mapping[str, str]]
) -> list[Event]:
    shown = set(applies)
    out: list[Event] = []
    for a in doc.get("assessments", []):
        reg = a["regulator"]
        if reg not in shown:
            continue
        words = criteria.get(a.get("rule_set", ""), {})
        for c in a.get("criteria", []):
            if c.get("met") and c.get("since"):
                what = words.get(c["id"]) or c["id"].replace("-", " ")
                out.append(
                    {
                        "at": c["since"],
                        "kind": "criterion",
                        "actor": "bridge",
                        "regulator": reg,
                        "summary": f"{regulator_name(reg)}: criterion met: {what}",
                    }
                )
        if a.get("reportable") and a.get("since") and a.get("track") == "cyber":
            out.append(
                {
                    "at": a["since"],
                    "kind": "potentially_significant",
                    "actor": "bridge",
                    "regulator": reg,
                    "summary": f"potentially significant ({regulator_name(reg)}): "
                    "a person decides whether it is significant",
                }
            )
        elif a.get("reportable") and a.get("since"):
            out.append(
                {
                    "at": a["since"],
                    "kind": "reportable",
                    "actor": "bridge",
                    "regulator": reg,
                    "summary": met_words(a),  # a reference matrix, an internal threshold
                }
            )
            for o in doc.get("obligations", []):
                if o["regulator"] == reg:
                    when = "owed" if o.get("due_at") else waiting_words(o.get("waiting_for"))
                    out.append(
                        {
                            "at": a["since"],
                            "kind": "obligation",
                            "actor": "bridge",
                            "regulator": reg,
                            "summary": f"{report_name(reg, o['kind'])}: {when}",
                        }
                    )
    return out


def _audit_events(audit: Iterable[Mapping[str, Any]], regulators: Mapping[str, str]) -> list[Event]:
    out: list[Event] = []
    for e in audit:
        action, detail = e["action"], e.get("detail") or {}
        if action in DRAFT_WORDS:
            kind = str(detail.get("kind", ""))
            regulator = regulators.get(str(detail.get("draft", "")), "")
            report = report_name(regulator, kind) if regulator else kind.replace("_", " ")
            words = DRAFT_WORDS[action].format(report=report, actor=e["actor"])
            if detail.get("version"):
                words += f" (version {detail['version']})"
            if action == "draft.rejected" and detail.get("reason"):
                words += f": {detail['reason']}"
            at = e["at"]
            if action == "draft.submitted":
                at, words = _submitted(e["at"], detail, words)
            if detail.get("late_reason"):  # approved after the obligation's due time
                words += f"; reason for the delay: {detail['late_reason']}"
            out.append(
                {
                    "at": at,
                    "kind": "draft",
                    "actor": e["actor"],
                    "summary": words,
                    "draft": detail.get("draft"),
                }
            )
        elif action == "incident.declared":
            out.append(
                {
                    "at": e["at"],
                    "kind": "declared",
                    "actor": e["actor"],
                    "summary": _declared_words(detail, e["actor"]),
                }
            )
        elif action == "incident.acknowledged":
            out.append(
                {
                    "at": e["at"],
                    "kind": "acknowledged",
                    "actor": e["actor"],
                    "summary": f"acknowledged by {e['actor']}",
                }
            )
        elif action == "incident.assigned":
            who = detail.get("assignee")
            words = f"assigned to {who}" if who else "assignment removed"
            out.append(
                {
                    "at": e["at"],
                    "kind": "assigned",
                    "actor": e["actor"],
                    "summary": f"{words} by {e['actor']}",
                }
            )
        elif action in _REGROUPED:
            out.append(
                {
                    "at": e["at"],
                    "kind": "regrouped",
                    "actor": e["actor"],
                    "summary": f"{_REGROUPED[action](detail)} by {e['actor']}: "
                    f"{detail.get('reason', '')}",
                }
            )
        elif action in ("incident.impact_overridden", "incident.impact_override_lifted"):
            out.append(
                {
                    "at": e["at"],
                    "kind": "impact_override",
                    "actor": e["actor"],
                    "summary": _override_words(action, detail, e["actor"]),
                }
            )
        elif action == "incident.renamed":
            title = detail.get("title") or "(back to the name from its alerts)"
            out.append(
                {
                    "at": e["at"],
                    "kind": "renamed",
                    "actor": e["actor"],
                    "summary": f"renamed to “{title}”",
                }
            )
    return out


def _instant(text: object) -> str:
    """A time of an audit entry's detail (``isoformat``) as the timeline writes times."""
    when = read_time(text) if isinstance(text, str) else None
    return (format_time(when) or str(text)) if when is not None else str(text)


def _submitted(recorded: str, detail: Mapping[str, Any], words: str) -> tuple[str, str]:
    """A portal submission (``draft.submitted``): told at the instant the person says it was
    submitted, with the portal's reference, and when it was recorded if a minute or more
    later."""
    at = _instant(detail["submitted_at"]) if detail.get("submitted_at") else recorded
    if detail.get("reference"):
        words += f", the portal's reference {detail['reference']}"
    done, noted = read_time(at), read_time(recorded)
    if done is not None and noted is not None and noted - done >= timedelta(minutes=1):
        words += f" (recorded {recorded})"
    return at, words


def _declared_words(detail: Mapping[str, Any], actor: str) -> str:
    """A person's declaration under the cybersecurity act (``incident.declared``): significant
    (with the awareness instant its clocks run from, and the one it replaced) or not, and the
    reason given."""
    if detail.get("significant"):
        words = (
            f"declared significant under the cybersecurity act by {actor}, "
            f"aware at {_instant(detail.get('aware_at'))}"
        )
        before = detail.get("previous_aware_at")
        if before and before != detail.get("aware_at"):
            words += f" (before: {_instant(before)})"
    else:
        words = f"declared not significant under the cybersecurity act by {actor}"
    reason = str(detail.get("reason") or "").strip()
    return f"{words}: {reason}" if reason else words


#: people's merges and splits, in words (bridge.core.regrouping)
_REGROUPED: dict[str, Any] = {
    "incident.merged": lambda d: f"merged into {d.get('into')}",
    "incident.absorbed": lambda d: f"{d.get('absorbed')} merged into this one",
    "incident.split": lambda d: f"alerts {', '.join(d.get('alerts', []))} split out",
}


def _aware_events(doc: Mapping[str, Any], audit: Iterable[Mapping[str, Any]]) -> list[Event]:
    """When the bridge first learned of the incident, apart from when it started: a person
    opening it by hand (``incident.opened_by_hand``), else its first alert's receipt (the
    document's ``first_received_at``, kept in the stored record when its alerts are pruned)."""
    by_hand = [e for e in audit if e["action"] == "incident.opened_by_hand"]
    if by_hand:
        first = min(by_hand, key=lambda e: read_time(e["at"]) or datetime.max.replace(tzinfo=UTC))
        at, actor, how = first["at"], first["actor"], f"opened by hand by {first['actor']}"
    elif doc.get("first_received_at"):
        at, actor, how = doc["first_received_at"], "alertmanager", "its first alert received"
    else:
        return []
    started, known = read_time(doc.get("started_at")), read_time(at)
    if started is not None and known is not None and known - started >= timedelta(minutes=1):
        after = timedelta(minutes=int((known - started).total_seconds() // 60))
        how += f", {format_duration(after)} after it started ({doc['started_at']})"
    return [
        {"at": at, "kind": "aware", "actor": actor, "summary": f"first known to the bridge: {how}"}
    ]


def _late_events(doc: Mapping[str, Any], applies: Iterable[str]) -> list[Event]:
    """Each obligation fulfilled after its due time (``late_by`` seconds): when it was, by how
    much, and the due time it had."""
    shown = set(applies)
    out: list[Event] = []
    for o in doc.get("obligations", []):
        due, late = read_time(o.get("due_at")), o.get("late_by")
        if o.get("regulator") not in shown or due is None or not late:
            continue
        done = "kept internally" if o.get("state") == "kept" else "sent"
        how = format_duration(timedelta(minutes=int(late // 60))) if late >= 60 else f"{late}s"
        out.append(
            {
                "at": format_time(due + timedelta(seconds=late)),
                "kind": "late",
                "actor": "bridge",
                "regulator": o["regulator"],
                "summary": f"{report_name(o['regulator'], o['kind'])}: {done} {how} late "
                f"(it was due {o['due_at']})",
            }
        )
    return out


def _override_words(action: str, detail: Mapping[str, Any], actor: str) -> str:
    """“impact overridden by ana: internet SE-2380 1,200; …: <reason>” (or lifted)."""
    if action == "incident.impact_override_lifted":
        return f"impact override lifted by {actor}: {detail.get('reason', '')}"
    stated = "; ".join(
        f"{i.get('service')} {i.get('region')} {int(i.get('connections', 0)):,}"
        for i in detail.get("impacts") or []
    )
    said = f"impact overridden by {actor} ({stated}): {detail.get('reason', '')}"
    if detail.get("correction"):  # what the regulator is told was wrong in what it was sent
        said += f"; correction for the regulator: {detail['correction']}"
    return said


def events(
    doc: Mapping[str, Any],
    audit: Iterable[Mapping[str, Any]],
    notes: Sequence[Mapping[str, str]],
    applies: Iterable[str],
    draft_regulators: Mapping[str, str],
    criteria: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Event]:
    """See the module contract; ``applies``: the regulators whose verdicts are shown;
    ``draft_regulators``: each draft's regulator by draft id; ``criteria``: rule set →
    criterion id → its description (the words a criterion met is told in)."""
    out = [
        *_alert_events(doc),
        *_impact_events(doc),
        *_marked(doc, audit, notes, applies, draft_regulators, criteria),
    ]
    return _in_order(out)


def grouped(
    doc: Mapping[str, Any],
    alerts: Iterable[AlertEpisode],
    kind_of: Callable[[AlertEpisode], str],
    audit: Iterable[Mapping[str, Any]],
    notes: Sequence[Mapping[str, str]],
    applies: Iterable[str],
    draft_regulators: Mapping[str, str],
    criteria: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Event]:
    """See the module contract: :func:`events` for reading, with the incident's alerts
    (``alerts``, its episodes; ``doc`` needs no ``alert_details``) and ``kind_of``, the kind of
    inventory element an alert is on (``""``: none the inventory holds); the rest as for
    :func:`events`."""
    marked = _marked(doc, audit, notes, applies, draft_regulators, criteria)
    bounds = sorted(t for t in (read_time(e["at"]) for e in marked) if t is not None)
    out = [
        *_alert_groups(alerts, kind_of, bounds),
        *_impact_groups(doc, bounds),
        *marked,
    ]
    return _in_order(out)


def _marked(
    doc: Mapping[str, Any],
    audit: Iterable[Mapping[str, Any]],
    notes: Sequence[Mapping[str, str]],
    applies: Iterable[str],
    draft_regulators: Mapping[str, str],
    criteria: Mapping[str, Mapping[str, str]] | None,
) -> list[Event]:
    """The events no view groups: verdicts, obligations, people's actions and notes."""
    audit = list(audit)
    return [
        *_verdict_events(doc, applies, criteria or {}),
        *_aware_events(doc, audit),
        *_late_events(doc, applies),
        *_audit_events(audit, draft_regulators),
        *(
            {"at": n["at"], "kind": "note", "actor": n["author"], "summary": n["text"]}
            for n in notes
        ),
    ]


#: the order of events at the same instant
_ORDER = {
    "alert": 0,
    "impact": 1,
    "criterion": 2,
    "reportable": 3,
    "potentially_significant": 3,
    "obligation": 4,
}


def _in_order(out: list[Event]) -> list[Event]:
    """By instant, then kind (see the module contract); an ``at`` that is no time (none the
    bridge writes) goes last, by its text."""

    def key(e: Event) -> tuple[int, datetime | str, int]:
        when = read_time(e["at"])
        place = _ORDER.get(e["kind"], 5)
        return (0, when, place) if when is not None else (1, str(e["at"]), place)

    out.sort(key=key)
    return out


def _segment(bounds: Sequence[datetime], when: datetime) -> int:
    """Which gap between the ungrouped events (sorted ``bounds``) an alert or an impact change
    at ``when`` falls in: one at the same instant as such an event comes before it, as in the
    order of :func:`events`."""
    return bisect_left(bounds, when) if bounds else 0


def _minute(when: datetime) -> tuple[int, int, int, int, int]:
    """The minute ``when`` falls in (in its own offset: UTC for every instant the bridge
    holds); cheaper than ``replace(second=0, microsecond=0)``, which matters 10 000 times."""
    return (when.year, when.month, when.day, when.hour, when.minute)


#: a grouped alert's order: by its instant (start, or end for a resolve), then fingerprint
_BY_START = attrgetter("starts_at", "fingerprint")
_BY_END = attrgetter("ends_at", "fingerprint")


def _alert_groups(
    alerts: Iterable[AlertEpisode], kind_of: Callable[[AlertEpisode], str], bounds: list[datetime]
) -> list[Event]:
    """The alerts' firings and resolves, grouped (see the module contract). Runs once per
    alert of a storm: the loop keeps to what is needed to place each one."""
    groups: dict[tuple[int, tuple[int, ...], str, str], list[AlertEpisode]] = defaultdict(list)
    for ep in alerts:
        kind = kind_of(ep)
        when = ep.starts_at
        groups[(_segment(bounds, when), _minute(when), "firing", kind)].append(ep)
        end = ep.ends_at
        if end is not None and ep.status == "resolved":
            groups[(_segment(bounds, end), _minute(end), "resolved", kind)].append(ep)
    out: list[Event] = []
    for (_, _, word, kind), members in groups.items():
        firing = word == "firing"
        members.sort(key=_BY_START if firing else _BY_END)
        first, last = members[0], members[-1]
        if len(members) == 1:
            tail = ""
            if firing and first.annotations.get("summary"):
                tail = f": {first.annotations['summary']}"
            summary = f"{_what(first.labels, first.fingerprint)} {word}{tail}"
        else:
            named: list[tuple[str, str]] = []  # its first different alerts (name, where)
            more = ""
            for ep in members:  # a storm's alerts differ at once; stop at the fourth
                place = _place(ep.labels, ep.fingerprint)
                if place not in named:
                    if len(named) == NAMED:
                        more = ", …"
                        break
                    named.append(place)
            words = ", ".join(f"{name} on {where}" if where else name for name, where in named)
            summary = (
                f"{len(members)} alerts {word} ({kind or 'not in the inventory'}): {words}{more}"
            )
        out.append(
            {
                "at": format_time(first.starts_at if firing else first.ends_at),
                "kind": "alert",
                "actor": "alertmanager",
                "summary": summary,
                "count": len(members),
                "until": format_time(last.starts_at if firing else last.ends_at),
                "fingerprints": [ep.fingerprint for ep in members[:FEW]],
            }
        )
    return out


def _place(labels: Mapping[str, str], fingerprint: str) -> tuple[str, str]:
    """What :func:`_what` tells of an alert, as a key (name, where)."""
    return (
        labels.get("alertname") or fingerprint,
        labels.get("element") or labels.get("instance") or "",
    )


def _impact_groups(doc: Mapping[str, Any], bounds: list[datetime]) -> list[Event]:
    """The changes of the affected connections, one event per minute (and gap between
    ungrouped events): the minute's last figures."""
    groups: dict[tuple[int, datetime | str], list[Mapping[str, Any]]] = {}
    for p in doc.get("impact", {}).get("timeline", []):
        when = read_time(p["at"])
        key: tuple[int, datetime | str] = (
            (_segment(bounds, when), when.replace(second=0, microsecond=0))
            if when is not None
            else (len(bounds), str(p["at"]))
        )
        groups.setdefault(key, []).append(p)
    out: list[Event] = []
    for points in groups.values():  # each group's points in the timeline's order
        last = points[-1]
        words = _impact_words(last)
        if len(points) > 1:
            words += f" (the last of {len(points)} changes)"
        out.append(
            {
                "at": points[0]["at"],
                "kind": "impact",
                "actor": "bridge",
                "summary": words,
                "count": len(points),
                "until": last["at"],
            }
        )
    return out


#: what a chart's mark carries of its assessment, for the console to word it
_MEANING = ("rule_set", "binding", "reference", "repealed_on")


def chart(
    doc: Mapping[str, Any],
    thresholds: Sequence[Mapping[str, Any]],
    applies: Iterable[str],
) -> dict[str, Any]:
    """See the module contract; ``thresholds``: the connections criteria of the regulators that
    apply (``regulator``, ``criterion``, ``connections``, ``description``)."""
    shown = set(applies)
    points = doc.get("impact", {}).get("timeline", [])
    services = sorted({s for p in points for s in (p.get("services") or {})})
    return {
        "services": services,
        "points": [
            {"at": p["at"], **{s: (p.get("services") or {}).get(s, 0) for s in services}}
            for p in points
        ],
        "thresholds": [dict(t) for t in thresholds if t["regulator"] in shown],
        "reportable": [  # with what each means (bridge.core.documents.meaning), when known
            {
                "regulator": a["regulator"],
                "at": a["since"],
                **{k: a[k] for k in _MEANING if k in a},
            }
            for a in doc.get("assessments", [])
            if a["regulator"] in shown
            and a.get("reportable")
            and a.get("since")
            and a.get("track") != "cyber"
        ],
    }
