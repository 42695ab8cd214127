"""One timeline of an incident: what the alerts, the bridge and people did, in order. Pure.

Contract:
- :func:`events` merges, from plain values: the incident's API document (its alerts firing and
  resolved, each change of the affected connections, each regulator's verdict becoming
  reportable (:func:`~bridge.core.report_names.met_words`: a reference matrix or a repealed
  law's internal threshold met owes no regulator) and each criterion met, in the rule set's
  words, each obligation opened: owed, or what it waits for), the audit entries of its drafts
  (opened, edited, approved, rejected, sent, failed …) and of the incident itself (renamed,
  acknowledged, assigned, noted, its impact overridden or the override lifted), and the
  notes. Each event is ``{"at", "kind", "actor", "summary"}`` (plus ``regulator`` where one
  applies), in plain words, ordered by time then kind; ``actor`` is ``bridge``,
  ``alertmanager`` or the person (or token) who acted.
- :func:`chart` is what the page draws beside it: the affected connections per service over
  time, each connections criterion's threshold per regulator, and the instant the incident
  became reportable to each regulator (or met a rule set that owes no regulator: a reference
  matrix, a repealed law's internal threshold; each mark carries its assessment's
  ``rule_set``, ``binding``, ``reference`` and ``repealed_on``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bridge.core.report_names import met_words, regulator_name, report_name, waiting_words

Event = dict[str, Any]

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
}


def _number(n: float) -> str:
    return f"{round(n):,}".replace(",", " ")


def _alert_events(doc: Mapping[str, Any]) -> list[Event]:
    out: list[Event] = []
    for a in doc.get("alert_details", []):
        labels = a.get("labels", {})
        name = labels.get("alertname") or a.get("fingerprint", "")
        where = labels.get("element") or labels.get("instance") or ""
        what = f"{name} on {where}" if where else name
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


def _impact_events(doc: Mapping[str, Any]) -> list[Event]:
    out: list[Event] = []
    for p in doc.get("impact", {}).get("timeline", []):
        services = p.get("services") or {}
        per = ", ".join(f"{s} {_number(n)}" for s, n in services.items()) or "none"
        out.append(
            {
                "at": p["at"],
                "kind": "impact",
                "actor": "bridge",
                "summary": f"affected connections: {per}",
            }
        )
    return out


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
            words = DRAFT_WORDS[action].format(report=report)
            if detail.get("version"):
                words += f" (version {detail['version']})"
            if action == "draft.rejected" and detail.get("reason"):
                words += f": {detail['reason']}"
            out.append(
                {
                    "at": e["at"],
                    "kind": "draft",
                    "actor": e["actor"],
                    "summary": words,
                    "draft": detail.get("draft"),
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


#: people's merges and splits, in words (bridge.core.regrouping)
_REGROUPED: dict[str, Any] = {
    "incident.merged": lambda d: f"merged into {d.get('into')}",
    "incident.absorbed": lambda d: f"{d.get('absorbed')} merged into this one",
    "incident.split": lambda d: f"alerts {', '.join(d.get('alerts', []))} split out",
}


def _override_words(action: str, detail: Mapping[str, Any], actor: str) -> str:
    """“impact overridden by ana: internet SE-2380 1,200; …: <reason>” (or lifted)."""
    if action == "incident.impact_override_lifted":
        return f"impact override lifted by {actor}: {detail.get('reason', '')}"
    stated = "; ".join(
        f"{i.get('service')} {i.get('region')} {int(i.get('connections', 0)):,}"
        for i in detail.get("impacts") or []
    )
    return f"impact overridden by {actor} ({stated}): {detail.get('reason', '')}"


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
        *_verdict_events(doc, applies, criteria or {}),
        *_audit_events(audit, draft_regulators),
        *(
            {"at": n["at"], "kind": "note", "actor": n["author"], "summary": n["text"]}
            for n in notes
        ),
    ]
    order = {
        "alert": 0,
        "impact": 1,
        "criterion": 2,
        "reportable": 3,
        "potentially_significant": 3,
        "obligation": 4,
    }
    out.sort(key=lambda e: (e["at"], order.get(e["kind"], 5)))
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
