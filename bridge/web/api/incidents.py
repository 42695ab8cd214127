"""The incidents, read-only: ``GET /api/v1/incidents`` and ``GET /api/v1/incidents/{id}``.

Contract: viewer on the outage track (bridge/web/decisions.py); one incident with a privacy
case's id (``priv-…``) is the privacy track's: it needs viewer on the privacy track, its read
and a refusal are audited (``privacy.read`` / ``privacy.refused``). The list takes ``state``
(open, closed or all; open by default; else 400), is caught up with the store first and is
paged (``limit``, ``cursor``, ``next``: bridge/web/paging.py), newest first (start, then id),
over every incident: the live ones from memory, the rest from the store
(bridge/evaluation/incidents.py). ``ids`` (1 to 100 incident ids separated by commas, else a
400 naming it) narrows it to those incidents: the same summaries, order and paging, an id no
incident in ``state`` has simply absent (the board's read of what a live change named: an
incident no longer open is absent, so its row goes), a privacy case's id too, whoever asks
(the list holds outage incidents only); one incident comes in full with its drafts' summaries,
from the store when it left memory (404 for an unknown id). Outage incidents carry people's
handling (bridge/web/api/handling.py: ``number``, ``title``, ``acknowledged``, ``assignee``; in
full also ``notes``) and ``applies``, the regulators that can apply to its jurisdictions, whose
verdicts the console shows. A summary is what the board draws from, without the incident's
document: each verdict with the criterion that decided it (``assessments``, short:
bridge/core/documents.py :func:`~bridge.core.documents.brief`), ``alert_count`` and, for a live
incident, ``cyber`` (as in the document); all of it from memory (or the stored record), no
store read per summary but the one batch of handling. Every answer that carries an incident's
document leaves out its per-alert details (:func:`~bridge.core.documents.answered`): it says how
many (``alert_counts``) and ``GET …/{id}/alerts`` pages them (``limit``, ``cursor``, ``next``,
plus ``total``; newest first by start, then fingerprint; the same roles as the incident, a bad
``limit`` or ``cursor`` a 400 naming it, an unknown incident a 404, a privacy case's id a 404 once
the caller may view privacy cases). Editors open an incident by hand (``POST``: one monitoring
never saw) and end one (``POST …/end``), audited.

``POST /api/v1/incidents/{id}/declaration`` records a person's declaration that the incident
is significant under the Swedish cybersecurity act (``significant: true``; ``aware_at``, an
ISO time with its offset, defaults to now and may be earlier, never later), or that it is not
(``significant: false`` with a ``reason``). It takes a signed-in approver with a fresh TOTP
code: the declaration starts (or waives) statutory clocks, a legal decision of record that
automation (an API token) must not make. Bad input is a 400 naming the field and changes
nothing (an ``aware_at`` before the minute the incident began too:
:func:`bridge.core.awareness.check_began`); the same declaration again by the same person is
answered with the incident as it stands, nothing recorded; undoing a declaration of
significance, or moving its awareness later, is a 409 (the declarations of incidents merged
into it count: it stands by them, bridge/cases.py), and so is a declaration on an incident
merged into another (naming it) or on one none of whose jurisdictions a cybersecurity rule
set is of (naming them; nothing recorded). Any stored
incident may be declared, however long ago it closed (the early warning is due from awareness,
which may come long after the outage): one that left memory is brought back first
(:mod:`bridge.evaluation.recall`); 404 only for an incident the store does not hold.

``POST /api/v1/incidents/{id}/report-requests`` records that a regulator asked for a report
(``kind``: ``se_cyber_intermediate``, the default, or ``nkom_hendelsesrapport``; the
``deadline`` it set, ``received_at`` default now, its ``reference``): the report is then owed
and drafted, due by the earliest deadline among the requests it must answer (per reference
the one set last; a request a settled report named holds none; a hendelsesrapport request
after that report was drafted opens the next round: :func:`bridge.core.awareness.due_by`,
:mod:`bridge.core.case_drafts`) (a ``reference`` is one line of at most 100 characters without
control or bidirectional characters, ``received_at`` not before the minute the incident
began: else a 400 naming it, nothing recorded; the same request again is answered with the
incident as it stands, nothing recorded; the same reference with another deadline updates
that request: :func:`bridge.core.awareness.request_report`). The answer's ``drafts`` are the
incident's, finished ones too. The CSIRT's intermediate report needs a declared-significant
incident (409 otherwise); Nkom may ask for a hendelsesrapport after any stored incident,
reportable or not, open or closed (one that left memory is brought back first:
:mod:`bridge.evaluation.recall`). A kind no enabled rule set lists is a 409, as is
one whose rule sets are of none of the incident's jurisdictions (Nkom's on a Swedish incident)
or a request on an incident merged into another. An
editor may record it, a token too (a fact, not a decision; it only adds an obligation).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from bridge.core import casework, documents, instants
from bridge.core.awareness import REQUESTABLE
from bridge.core.obligations import INTERMEDIATE
from bridge.core.rules import RuleSet
from bridge.errors import BadInput
from bridge.service import BridgeService
from bridge.web import decisions, keys, paging, regulators
from bridge.web.access import (
    authorize,
    body_of,
    instant_field,
    known_fields,
    privacy_read,
    second_factor,
    str_field,
)
from bridge.web.api.drafts import attested, summary
from bridge.web.api.handling import incident_or_record, named, named_in_full

routes = web.RouteTableDef()


@routes.get("/api/v1/incidents")
async def list_incidents(request: web.Request) -> web.Response:
    await authorize(request)
    state = request.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise BadInput("state", f"expected open, closed or all, got {state!r}")
    ids = _ids_of(request.query)
    limit = paging.limit_of(request.query)
    after = paging.cursor_of(request.query, 2)
    before = None if after is None else (_instant_of(after[0]), after[1])
    service = request.app[keys.SERVICE]
    await service.catch_up()
    if ids is None:
        rows, last = await service.incidents.page(state, before, limit)
    else:
        rows, last = await service.incidents.some(ids, state, before, limit)
    handling = await named(service, [made for _, made in rows])
    loaded = request.app[keys.CONFIG]
    rule_sets = {rs.id: rs for rs in service.engine.rule_sets}
    items = [
        {
            **summary,
            **handling[summary["id"]],
            "applies": regulators.applicable(loaded, summary["jurisdictions"] or ()),
            "jurisdictions_known": bool(summary["jurisdictions"]),
            "assessments": _meant(summary, rule_sets),
            **_cyber(service, summary["id"]),
        }
        for summary, _ in rows
    ]
    nxt = None if last is None else paging.encode_cursor((paging.instant(last[0]), last[1]))
    return web.json_response(paging.Page(items, nxt).answer("incidents", items))


@routes.post("/api/v1/incidents")
async def open_by_hand(request: web.Request) -> web.Response:
    """An incident monitoring never saw (bridge/evaluation/by_hand.py): 201 with it."""
    caller = await authorize(request)
    body = await body_of(request)
    service = request.app[keys.SERVICE]
    incident_id = await service.by_hand.open(body, caller.name)
    await service.settle_notices()
    doc = await service.read_incident(incident_id, details=False)
    if doc is None:  # evaluated on another replica's lead meanwhile: still the id
        doc = {"id": incident_id}
    return web.json_response(
        documents.answered(doc),
        status=201,
        headers={"Location": f"/api/v1/incidents/{incident_id}"},
    )


@routes.post("/api/v1/incidents/{id}/end")
async def end_by_hand(request: web.Request) -> web.Response:
    """End an incident opened by hand at ``ended_at`` (default now): 200 with it; 409 for one
    monitoring opened, 404 for no such live incident."""
    incident_id = request.match_info["id"]
    track = decisions.track_of_id(incident_id)
    caller = await authorize(request, track, f"incident:{incident_id}")
    body = await body_of(request)
    service = request.app[keys.SERVICE]
    await service.catch_up()
    try:
        await service.by_hand.end(incident_id, body, caller.name)
    except LookupError:
        raise web.HTTPNotFound(text=f"no open incident {incident_id!r}") from None
    await service.settle_notices()
    doc = await service.read_incident(incident_id, details=False)
    return web.json_response(None if doc is None else documents.answered(doc))


def _meant(summary: Mapping[str, Any], rule_sets: Mapping[str, RuleSet]) -> list[dict[str, Any]]:
    """The summary's verdicts, each with what it means (``binding``, ``reference``,
    ``repealed_on``: :func:`bridge.core.documents.meaning_of`; nothing added for a rule set no
    longer configured)."""
    started = summary.get("started_at")
    began = None if not started else datetime.fromisoformat(str(started))
    return [
        {
            **a,
            **documents.meaning_of(
                str(a.get("track")), began, rule_sets.get(str(a.get("rule_set")))
            ),
        }
        for a in summary.get("assessments") or ()
    ]


def _cyber(service: BridgeService, incident_id: str) -> dict[str, Any]:
    """``cyber`` of a live incident's summary (as in its document), nothing for one that left
    memory: read from memory, never from the store."""
    cyber = service.cases.cyber(incident_id)
    return {} if cyber is None else {"cyber": cyber}


def _ids_of(query: Mapping[str, str]) -> list[str] | None:
    """``?ids=`` (:func:`bridge.web.paging.ids_of`); a privacy case's id (``priv-…``) is
    dropped: the list holds outage incidents only, whoever asks (its read through ``…/{id}``
    takes the privacy role)."""
    given = paging.ids_of(query, "ids", "incident ids")
    if given is None:
        return None
    return [i for i in given if decisions.track_of_id(i) == "outage"]


def _instant_of(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput("cursor", "not a cursor this list gave (pass `next` as it came)") from None
    if value.tzinfo is None:
        raise BadInput("cursor", "not a cursor this list gave (pass `next` as it came)")
    return instants.in_utc(value, "cursor")  # the list compares it in UTC


@routes.get("/api/v1/incidents/{id}")
async def get_incident(request: web.Request) -> web.Response:
    incident_id = request.match_info["id"]
    track = decisions.track_of_id(incident_id)
    target = f"privacy:{incident_id}" if track == "privacy" else f"incident:{incident_id}"
    caller = await authorize(request, track, target)
    service = request.app[keys.SERVICE]
    await service.settle_notices()
    doc = await service.read_incident(incident_id, details=False)
    if doc is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    if track == "privacy":
        await privacy_read(request, caller, target)
    drafts = await service.desk.listed(incident=incident_id)  # those of long ago too
    if track == "outage":
        # Incidents merged into this one: listed, with the notices they sent (this
        # incident's reports too: never sent again; each summary names its incident). One
        # that left memory: as its stored document lists them.
        absorbed = service.incidents.absorbed(incident_id) or documents.absorbed_listed(doc)
        if absorbed:
            doc["absorbed"] = absorbed
        for other in absorbed:
            drafts += [
                d for d in await service.desk.listed(incident=other) if d.state in casework.DELIVERY
            ]
    doc["drafts"] = [summary(d) for d in drafts]
    made = await incident_or_record(service, incident_id) if track == "outage" else None
    if made is not None:
        doc.update(await named_in_full(service, made))
        doc["applies"] = regulators.applicable(request.app[keys.CONFIG], doc["jurisdictions"])
    return web.json_response(documents.answered(doc))


@routes.get("/api/v1/incidents/{id}/alerts")
async def incident_alerts(request: web.Request) -> web.Response:
    """A page of the incident's alerts (see the module contract)."""
    incident_id = request.match_info["id"]
    track = decisions.track_of_id(incident_id)
    target = f"privacy:{incident_id}" if track == "privacy" else f"incident:{incident_id}"
    await authorize(request, track, target)
    paging.limit_of(request.query)  # a bad limit or cursor is a 400 before anything is read
    paging.cursor_of(request.query, 2)
    if track == "privacy":
        raise web.HTTPNotFound(text="privacy cases have no alerts here: see /privacy")
    service = request.app[keys.SERVICE]
    await service.catch_up()
    listed = await service.incidents.alerts(incident_id)
    if listed is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    chosen = paging.page(listed.keys, _alert_key, 2, request.query)
    items = await service.incidents.alert_details(listed, chosen.items)
    return web.json_response({**chosen.answer("alerts", items), "total": len(listed.keys)})


def _alert_key(key: tuple[str, datetime]) -> paging.Key:
    """An alert episode's sort key: its start, then its fingerprint (newest first)."""
    fingerprint, starts_at = key
    return (paging.instant(starts_at), fingerprint)


_DECLARATION_KEYS = ("significant", "aware_at", "reason", "totp")


@routes.post("/api/v1/incidents/{id}/declaration")
async def declare(request: web.Request) -> web.Response:
    incident_id = request.match_info["id"]
    caller = await authorize(request, decisions.track_of_id(incident_id), f"incident:{incident_id}")
    body = await body_of(request)
    known_fields(body, _DECLARATION_KEYS)
    significant = body.get("significant")
    if not isinstance(significant, bool):
        raise BadInput("significant", f"expected true or false, got {significant!r}")
    service = request.app[keys.SERVICE]
    aware_at = instant_field(body, "aware_at", service.clock.now())
    reason = str_field(body, "reason")
    factor_at = await second_factor(request, body)
    doc = await service.declare(
        incident_id, significant, aware_at, reason, caller.name, attested(factor_at)
    )
    if doc is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    doc["drafts"] = [summary(d) for d in await service.desk.listed(incident=incident_id)]
    return web.json_response(documents.answered(doc))


_REQUEST_KEYS = ("kind", "received_at", "deadline", "reference")


@routes.post("/api/v1/incidents/{id}/report-requests")
async def request_report(request: web.Request) -> web.Response:
    incident_id = request.match_info["id"]
    caller = await authorize(request, decisions.track_of_id(incident_id), f"incident:{incident_id}")
    body = await body_of(request)
    known_fields(body, _REQUEST_KEYS)
    kind = str_field(body, "kind") or INTERMEDIATE
    if kind not in REQUESTABLE:
        raise BadInput("kind", f"expected one of {', '.join(REQUESTABLE)}, got {kind!r}")
    service = request.app[keys.SERVICE]
    now = service.clock.now()
    deadline = instant_field(body, "deadline", now)
    if deadline is None:
        raise BadInput(
            "deadline", "required: the deadline the regulator set (ISO 8601 with offset)"
        )
    received_at = instant_field(body, "received_at", now)
    reference = str_field(body, "reference")
    doc = await service.request_report(
        incident_id, kind, received_at, deadline, reference, caller.name
    )
    if doc is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    doc["drafts"] = [summary(d) for d in await service.desk.listed(incident=incident_id)]
    return web.json_response(documents.answered(doc))
