"""One case's drafts brought up to date with what it owes. Pure.

Contract:
- :func:`reconcile` returns the writes (draft, expected stored revision, audit) that bring an
  incident's (or privacy case's) drafts up to date with what it owes: a draft opened for each
  obligation whose clock runs, drafts whose facts changed re-rendered (people's edits kept,
  :func:`bridge.core.casework.refresh`), the next Nkom update round opened on a significant
  change once everything before was sent, unsent drafts of reports no longer owed withdrawn
  (an incident merged into another: "merged into …"). A draft the incident opens for a kind an
  incident merged into it had unsent (``merged``: withdrawn there, the host owing it now)
  starts with what a person wrote in that one.
- A report that names the regulator's requests it answers (:data:`LISTS_REQUESTS`: Nkom's
  hendelsesrapport) keeps them in its snapshot (:data:`REQUESTS`, as drafted and as
  approved). Settled (sent, kept or rejected), it answered those (:func:`answered_by`); a
  request no settled report answered (recorded after the last one was drafted, or a deadline
  Nkom moved since) opens the next round once the last one is settled, and each round names
  only the requests still unanswered (:func:`still_asked`), starting with what a person wrote
  in the last one sent.
- :func:`progress` is what the drafts tell the engine: events for the deadline rules
  (``initial_sent``, ``significant_change``…), each kind's current state and what the
  settled reports answered.
- :func:`significant_changes` says why an ongoing incident changed enough for an updated Nkom
  varsel since the facts of the last one sent (:func:`snapshot`), per :class:`ChangeRules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bridge.core import awareness
from bridge.core.alerts import read_time
from bridge.core.awareness import Answered
from bridge.core.casework import (
    APPROVED,
    DELIVERY,
    EDITABLE,
    EMAIL,
    FINISHED,
    INTERNAL,
    KEPT,
    PORTAL,
    REJECTED,
    SENT,
    SENT_EVENTS,
    AuditEvent,
    Draft,
    Renderer,
    open_draft,
    refresh,
    withdraw,
)
from bridge.core.country_view import scoped
from bridge.core.cyber_fields import ReportForm
from bridge.core.drafts import (
    CORRECTED,
    CORRECTION,
    CYBER_KINDS,
    FLAGS_NOW,
    HENDELSESRAPPORT,
    JURISDICTIONS,
    KINDS,
    PEAK_CUSTOMERS,
    PRIVACY_KINDS,
    Carried,
    DraftFields,
    Previous,
    Sender,
    ServiceNames,
    causes,
    draft_fields,
    expected_resolution,
    flags_in,
    reference_number,
    regulator_of,
)
from bridge.core.hendelsesrapport import SentNotice
from bridge.core.obligations import APPROVED_TO_SUBMIT, done_event
from bridge.core.privacy_fields import (
    NKOM_PRIVACY_NORMALISED,
    NKOM_PRIVACY_UPDATE,
    NKOM_UPDATE_STATES,
    nkom_changed,
)
from bridge.core.report_names import report_name


# ---- what the incident owes -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Progress:
    """What the drafts of one incident tell the engine: events for the deadline rules, the
    state of each kind's current draft (:func:`draft_state`) and, per kind a regulator asks
    for whose reports list the requests they answer (Nkom's hendelsesrapport), what its
    settled reports answered."""

    events: dict[str, datetime]
    states: dict[str, str]
    answered: dict[str, Answered] = field(default_factory=dict)


def progress(drafts: Sequence[Draft]) -> Progress:
    """Events (``initial_sent``, ``significant_change``…, and ``done:KIND``: when the current
    report of a kind was done with, :func:`~bridge.core.obligations.done_event`), per kind the
    state of the draft of
    the latest round, and what the settled reports answered (:func:`answered_by`)."""
    events: dict[str, datetime] = {}
    latest: dict[str, Draft] = {}
    for d in drafts:
        if d.kind not in latest or d.round > latest[d.kind].round:
            latest[d.kind] = d
        name = SENT_EVENTS.get(d.kind)
        done = d.done_at  # sent, or kept internally (a report owed to no regulator)
        if name is not None and done is not None:
            events[name] = min(events.get(name, done), done)
    for d in latest.values():
        for name, at in d.trigger.items():
            events[name] = at
        if d.done_at is not None:  # when the current report was done with: how late it was
            events[done_event(d.kind)] = d.done_at
    return Progress(events, {k: draft_state(d) for k, d in latest.items()}, answered_by(drafts))


def draft_state(draft: Draft) -> str:
    """The draft's state as its obligation reads it: its own, but for an approved draft of
    the ``portal`` channel, :data:`~bridge.core.obligations.APPROVED_TO_SUBMIT` (it still
    waits for a person to submit it on the regulator's portal and record the submission;
    the outbox never sends it). An approved e-mail is ``approved``: the outbox sends it."""
    if draft.state == APPROVED and draft.channel == PORTAL:
        return APPROVED_TO_SUBMIT
    return draft.state


# ---- reports a regulator asks for: which requests each answered ------------------------------
#: The kinds whose reports name the regulator's requests they answer (Nkom's hendelsesrapport
#: lists each with its reference): one settled answers what it listed, a request after it is
#: owed by the next round.
LISTS_REQUESTS = (HENDELSESRAPPORT,)
#: The draft's snapshot key listing the requests it answers: [reference, deadline] pairs.
REQUESTS = "requests"
#: The states of a draft whose report answered the requests it listed: sent (or submitted),
#: kept internally, or rejected by a person (who decided it is not to be sent).
ANSWERING = (SENT, KEPT, REJECTED)


def listed_requests(incident: Mapping[str, Any], kind: str) -> list[list[str]]:
    """The regulator's requests of ``kind`` a report drafted from ``incident`` names, as they
    stand (:func:`bridge.core.awareness.standing`): [reference, deadline] pairs, oldest first."""
    docs = incident.get("report_requests") or ()
    requests = awareness.standing([awareness.request_from_document(r) for r in docs])
    return [[r.reference, r.deadline.isoformat()] for r in requests if r.kind == kind]


def answered_by(drafts: Sequence[Draft], exclude: str | None = None) -> dict[str, Answered]:
    """Per kind of :data:`LISTS_REQUESTS`, what its settled drafts (:data:`ANSWERING`; not
    ``exclude``) answered: the requests each listed (its snapshot's :data:`REQUESTS`, as
    drafted or approved), and for one stored before drafts listed them, every request
    recorded by the time its settled version was drafted."""
    out: dict[str, Answered] = {}
    for d in drafts:
        if d.kind not in LISTS_REQUESTS or d.state not in ANSWERING or d.id == exclude:
            continue
        before = out.get(d.kind, Answered())
        pairs = d.snapshot.get(REQUESTS)
        if isinstance(pairs, list):
            listed = {(str(p[0]), datetime.fromisoformat(str(p[1]))) for p in pairs}
            out[d.kind] = Answered(before.listed | listed, before.through)
        else:
            version = d.approved_version or d.latest
            through = version.created_at
            if before.through is not None:
                through = max(through, before.through)
            out[d.kind] = Answered(before.listed, through)
    return out


def still_asked(
    kind: str, incident: Mapping[str, Any], drafts: Sequence[Draft], exclude: str | None = None
) -> Mapping[str, Any]:
    """``incident`` as the next report of ``kind`` is drafted from it: for a kind of
    :data:`LISTS_REQUESTS`, its ``report_requests`` only those of the requests the settled
    drafts (not ``exclude``) left unanswered (every record of such a request's reference)."""
    done = answered_by(drafts, exclude).get(kind) if kind in LISTS_REQUESTS else None
    if done is None:
        return incident
    docs = list(incident.get("report_requests") or ())
    requests = [awareness.request_from_document(r) for r in docs]
    asked = {awareness.request_key(r) for r in awareness.unanswered(requests, kind, done)}
    kept = [
        doc
        for doc, r in zip(docs, requests, strict=True)
        if r.kind != kind or awareness.request_key(r) in asked
    ]
    return {**incident, "report_requests": kept}


def asks_again(kind: str, incident: Mapping[str, Any], drafts: Sequence[Draft]) -> bool:
    """Whether a request of ``kind`` stands that no settled draft answered."""
    if kind not in LISTS_REQUESTS:
        return False
    kept = still_asked(kind, incident, drafts).get("report_requests") or ()
    return any(r.get("kind") == kind for r in kept)


# ---- significant change (Nkom updated varsel) ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChangeRules:
    """What makes a change significant enough for an updated varsel."""

    impact_change: float = 0.25
    new_region: bool = True
    new_service: bool = True
    new_cause: bool = True
    severity_change: bool = True
    # the network carrying 112, a societally important or a wholesale element affected now
    # or no longer (:data:`~bridge.core.drafts.FLAGS_NOW`)
    flags_change: bool = True


def snapshot_of(
    kind: str,
    incident: Mapping[str, Any],
    drafts: Sequence[Draft],
    severity_label: str,
    exclude: str | None = None,
) -> dict[str, Any]:
    """What a draft of ``kind`` keeps of the incident as it is drafted or approved: its
    :func:`snapshot`, and for a kind of :data:`LISTS_REQUESTS` the requests its text names
    (:data:`REQUESTS`: those the case's other settled drafts, not ``exclude``, left
    unanswered)."""
    snap = snapshot(country_of(kind, incident), severity_label)
    return _with_requests(snap, kind, incident, drafts, exclude)


def _with_requests(
    snap: dict[str, Any],
    kind: str,
    incident: Mapping[str, Any],
    drafts: Sequence[Draft],
    exclude: str | None = None,
) -> dict[str, Any]:
    if kind not in LISTS_REQUESTS:
        return snap
    asked = still_asked(kind, incident, drafts, exclude)
    return {**snap, REQUESTS: listed_requests(asked, kind)}


def country_of(kind: str, incident: Mapping[str, Any]) -> Mapping[str, Any]:
    """``incident`` as a notice of ``kind`` counts it: its regulator's country's part only
    (:func:`bridge.core.country_view.scoped`); a privacy case as it is."""
    if kind in PRIVACY_KINDS:
        return incident
    return scoped(incident, JURISDICTIONS[regulator_of(kind)])


def snapshot(incident: Mapping[str, Any], severity_label: str) -> dict[str, Any]:
    """The facts an updated varsel is measured against, from an incident document (scoped to
    the notice's country: :func:`country_of`)."""
    impact: Mapping[str, Any] = incident.get("impact") or {}
    severities: set[str] = set()
    for alert in incident.get("alert_details") or ():
        if alert.get("status") == "firing":
            value = (alert.get("labels") or {}).get(severity_label)
            if value:
                severities.add(str(value))
    current = [
        (str(row.get("service")), str(row.get("region")))
        for row in impact.get("current_by_service_region") or ()
        if isinstance(row, Mapping) and int(row.get("connections") or 0) > 0
    ]
    customers = impact.get("customers")
    reach = customers.get("current") if isinstance(customers, Mapping) else None
    high = customers.get("peak") if isinstance(customers, Mapping) else None
    own = impact.get("severities")
    if isinstance(own, list):  # the country's own firing alerts' (bridge.core.country_view)
        severities = {str(v) for v in own}
    said = incident.get(CORRECTION)
    return {
        "current": int(impact.get("current") or 0),
        FLAGS_NOW: _flags_now(impact),
        # at least, at most (bridge.core.impact.reach); absent in a document of older code
        **({"customers": [int(n) for n in reach]} if isinstance(reach, list) else {}),
        # at its peak: what a CSIRT report states (absent in a document of older code)
        **({PEAK_CUSTOMERS: [int(n) for n in high]} if isinstance(high, list) else {}),
        "regions": sorted(r for r, n in (impact.get("by_region") or {}).items() if n > 0),
        "services": sorted(s for s, n in (impact.get("by_service") or {}).items() if n > 0),
        "current_regions": sorted({r for _, r in current}),
        "current_services": sorted({s for s, _ in current}),
        "causes": sorted(causes(incident)[0]),  # as the notices state them
        "severities": sorted(severities),
        "expected": expected_resolution(incident),
        # a person's correction of what the regulator was sent: when it was stated (absent:
        # none, so the snapshots of incidents without one stay as they were)
        **(
            {CORRECTED: said["at"]} if isinstance(said := incident.get(CORRECTION), Mapping) else {}
        ),
    }


def _flags_now(impact: Mapping[str, Any]) -> list[str]:
    """:data:`FLAGS_NOW` of an incident's impact (``impact.flags``:
    :func:`bridge.core.documents.flag_impact`): each flag some element of which is affected
    now (affected at all, and not yet ended)."""
    flags = impact.get("flags")
    if not isinstance(flags, Mapping):
        return []
    return sorted(
        f"{country}:{flag}"
        for country, by_flag in flags.items()
        if isinstance(by_flag, Mapping)
        for flag, entry in by_flag.items()
        if isinstance(entry, Mapping)
        and int(entry.get("peak") or 0) > 0
        and entry.get("until") is None
    )


def significant_changes(
    baseline: Mapping[str, Any],
    now_: Mapping[str, Any],
    rules: ChangeRules,
    jurisdiction: str = "NO",
) -> list[str]:
    """Why the incident changed significantly since ``baseline`` (empty: it did not);
    flagged elements are compared in ``jurisdiction`` only (the updated varsel is Nkom's)."""
    reasons: list[str] = []
    if now_.get(CORRECTED) and now_.get(CORRECTED) != baseline.get(CORRECTED):
        # the regulator holds figures a person says were wrong: always worth an update
        reasons.append(f"a person corrected what was sent (at {now_[CORRECTED]})")
    was, is_ = baseline.get("customers"), now_.get("customers")
    if isinstance(was, list) and isinstance(is_, list) and len(was) == len(is_) == 2:
        # either end of the range moving by the share counts (one service: the two are one)
        pairs = [("affected customers at least", int(was[0]), int(is_[0]))]
        pairs.append(("affected customers at most", int(was[1]), int(is_[1])))
    else:  # a snapshot stored by older code: its headline figure
        headline = (int(baseline.get("current", 0)), int(now_.get("current", 0)))
        pairs = [("affected connections", *headline)]
    for what, before, after in pairs:
        if rules.impact_change > 0 and before != after:
            ratio = abs(after - before) / max(before, 1)
            if ratio >= rules.impact_change:
                reasons.append(
                    f"{what} {before} → {after} ({ratio:.0%} ≥ {rules.impact_change:.0%})"
                )
                break
    for key, on, label in (
        ("regions", rules.new_region, "new region"),
        ("services", rules.new_service, "new service"),
        ("causes", rules.new_cause, "new cause"),
    ):
        new = sorted(set(now_.get(key, ())) - set(baseline.get(key, ())))
        if on and new:
            reasons.append(f"{label}: {', '.join(new)}")
    if rules.severity_change and _severities(now_) != _severities(baseline):
        reasons.append(
            f"severity {', '.join(baseline.get('severities', ())) or '-'} → "
            f"{', '.join(now_.get('severities', ())) or '-'}"
        )
    before_flags, now_flags = flags_in(baseline, jurisdiction), flags_in(now_, jurisdiction)
    if rules.flags_change and before_flags is not None and now_flags is not None:
        if ended := sorted(before_flags - now_flags):
            reasons.append(f"no longer affected: {', '.join(ended)}")
        if began := sorted(now_flags - before_flags):
            reasons.append(f"now affected: {', '.join(began)}")
    return reasons


def _severities(snap: Mapping[str, Any]) -> list[str]:
    """A snapshot's severities as compared: a label's case is no change (a country's are read
    from its alerts' severity signals, lower case; older snapshots kept the label's)."""
    return sorted({str(v).lower() for v in snap.get("severities", ())})


# ---- one incident's drafts, brought up to date ---------------------------------------------
@dataclass(frozen=True, slots=True)
class Context:
    """What drafting needs besides the incident: the sender, recipients, the renderer."""

    sender: Sender
    recipients: Mapping[str, str]
    render: Renderer
    change_rules: ChangeRules = ChangeRules()
    severity_label: str = "severity"
    kind_recipients: Mapping[str, str] = field(default_factory=dict)  # beats ``recipients``
    services: ServiceNames = field(default_factory=dict)  # display names (config)
    # the inventory's region names (region key → name): a notice names a region by them
    # whether or not it is in the incident's impact now (one a correction cleared)
    regions: Mapping[str, str] = field(default_factory=dict)
    forms: Mapping[str, ReportForm] = field(default_factory=dict)  # cyber reports' fields
    # submission channel per kind (``portal``); a kind left out goes by e-mail
    channels: Mapping[str, str] = field(default_factory=dict)
    # kind → the day the law behind it was repealed (its rule set's ``repealed_on``)
    repealed_on: Mapping[str, date] = field(default_factory=dict)
    # kind → the operator's own address for its reports owed to no regulator (an incident since
    # the repeal); a kind left out: such a report is kept internally, sent to no one
    internal_recipients: Mapping[str, str] = field(default_factory=dict)

    def channel(self, kind: str) -> str:
        return self.channels.get(kind, "email")

    def channel_for(self, fields: DraftFields) -> str:
        """How a draft reaches its reader: a report owed to no regulator (``repealed``) goes
        by e-mail to the operator's internal address, or nowhere (``internal``: kept) when
        none is configured; never by the regulator's portal. Else its kind's channel."""
        if fields.repealed:
            return EMAIL if fields.recipient else INTERNAL
        return self.channel(fields.kind)

    def fields(
        self,
        kind: str,
        incident: Mapping[str, Any],
        now: datetime,
        previous: Previous | None = None,
        sent: Sequence[SentNotice] = (),
        carried: Carried | None = None,
    ) -> DraftFields:
        recipient = self.kind_recipients.get(kind) or self.recipients.get(regulator_of(kind))
        return draft_fields(
            kind,
            incident,
            self.sender,
            recipient,
            now,
            self.services,
            previous,
            self.forms.get(kind),
            sent,
            self.repealed_on.get(kind),
            self.internal_recipients.get(kind, ""),
            carried,
            self.regions,
        )

    def fields_of(
        self,
        kind: str,
        incident: Mapping[str, Any],
        drafts: Sequence[Draft],
        now: datetime,
        exclude: str | None = None,
    ) -> DraftFields:
        """The fields of ``kind``, a follow-up starting from the notice it follows (a CSIRT
        report: from the last one submitted, which a correction since corrects)."""
        if kind in CYBER_KINDS:
            before = last_submitted(CYBER_KINDS, drafts, exclude)
        else:
            before = followed(kind, drafts, exclude)
        previous = None
        done = None if before is None else before.done_at
        if before is not None and done is not None:
            snap = snapshot(country_of(kind, incident), self.severity_label)
            version = before.approved_version or before.latest
            previous = Previous(
                before.kind,
                done,
                before.snapshot,
                snap,
                dict(version.fields),
                tuple(version.edited),
                kept=before.state == KEPT,
            )
        sent = sent_notices(drafts, exclude) if kind == HENDELSESRAPPORT else ()
        regulator = regulator_of(kind)
        org = self.sender.of(JURISDICTIONS[regulator]).org_number
        carried = references(regulator, incident, drafts, org, exclude)
        asked = still_asked(kind, incident, drafts, exclude)
        return self.fields(kind, asked, now, previous, sent, carried)


# ---- references: the one a regulator holds stays with what the incident became ---------------
def sent_reference(draft: Draft, org_number: str) -> str:
    """The reference ``draft`` went to its regulator under: its sent version's reference field
    where the kind has one (PTS's and the CSIRT's reports: as sent, a person's edit included),
    else the reference the version names, or for a version stored before versions kept it,
    its incident's own."""
    version = draft.approved_version or draft.latest
    written = version.fields.get("reference", "").strip()
    return written or version.reference or reference_number(org_number, draft.incident_id)


def _handed_over(draft: Draft, regulator: str) -> datetime | None:
    """When ``draft`` reached ``regulator`` (or may have: sending, in doubt), None if it did
    not: unsent, rejected, withdrawn, kept internally, owed to no regulator (its duty was
    repealed), another regulator's, or a privacy case's."""
    if draft.regulator != regulator or draft.track == "privacy":
        return None
    if draft.state not in DELIVERY or draft.channel == INTERNAL:
        return None
    if (draft.approved_version or draft.latest).repealed:
        return None
    if draft.sent_at is not None:
        return draft.sent_at
    return draft.approval.at if draft.approval is not None else draft.updated_at


#: The incident document's key for what a split-off incident's origin was reported under
#: (:func:`split_origin_references`; added by the notice desk, never stored).
SPLIT_FROM = "split_from"


def split_origin_references(origin: str, drafts: Sequence[Draft], sender: Sender) -> dict[str, Any]:
    """For an incident a person split out of ``origin`` (``drafts``: ``origin``'s as drafting
    reads them), per regulator the reference it holds for ``origin`` (only regulators it was
    sent something): what the split-off incident's first notice to each names
    (:data:`SPLIT_FROM`: ``{"incident": origin, "references": {regulator: reference}}``)."""
    found: dict[str, str] = {}
    for regulator in sorted({d.regulator for d in drafts}):
        if regulator not in JURISDICTIONS:
            continue
        if not any(_handed_over(d, regulator) is not None for d in drafts):
            continue
        org = sender.of(JURISDICTIONS[regulator]).org_number
        carried = references(regulator, {"id": origin}, drafts, org)
        found[regulator] = carried.reference or reference_number(org, origin)
    return {"incident": origin, "references": found}


def references(
    regulator: str,
    incident: Mapping[str, Any],
    drafts: Sequence[Draft],
    org_number: str,
    exclude: str | None = None,
) -> Carried:
    """The reference the case's next notice to ``regulator`` carries, and the other references
    sent to it that the case now covers (``drafts``: the case's, with the notices the incidents
    merged into it handed over: ``DraftBook.of_case``). Once the regulator was sent a reference
    it is never replaced: the incident's own notices' first reference if it sent one, else the
    first one sent for an incident merged into it, else (nothing sent) the incident's own. A
    notice keeps the reference it went under (its version), so the part of a split that keeps
    the incident keeps it too, and the split-off part, a new incident, starts its own: until it
    sent this regulator anything, its notices name the reference of the incident it was part
    of (``incident``'s :data:`SPLIT_FROM`)."""
    incident_id = str(incident.get("id", ""))
    sent: list[tuple[bool, datetime, str]] = []
    for d in drafts:
        at = _handed_over(d, regulator)
        if at is None or d.id == exclude:
            continue
        sent.append((d.incident_id != incident_id, at, sent_reference(d, org_number)))
    if not sent:
        origin = incident.get(SPLIT_FROM) or {}
        part_of = (origin.get("references") or {}).get(regulator, "")
        return Carried(part_of=str(part_of))
    ordered = [ref for _, _, ref in sorted(sent)]
    keep = ordered[0]
    by_time = [ref for _, _, ref in sorted(sent, key=lambda s: (s[1], s[0]))]
    also = tuple(dict.fromkeys(r for r in by_time if r != keep))
    own = reference_number(org_number, incident_id)
    return Carried("" if keep == own else keep, also)


def sent_notices(drafts: Sequence[Draft], exclude: str | None = None) -> list[SentNotice]:
    """The case's notices that were sent (e-mailed, or submitted on a portal as a person
    recorded), oldest first: when, which, to whom, how (what the audit records of each)."""
    out = []
    for d in drafts:
        if d.state != SENT or d.sent_at is None or d.id == exclude:
            continue
        version = d.approved_version or d.latest
        reference = d.submission.reference if d.submission is not None else ""
        name = report_name(d.regulator, d.kind, "nb")
        out.append(SentNotice(d.sent_at, name, version.recipient, d.channel, reference, d.kind))
    return sorted(out, key=lambda n: n.at)


# ---- follow-ups: what they start from ----------------------------------------------------------
#: The Nkom notices of a privacy case an updated varsel follows (the last one sent): the varsel,
#: the updates and the closing update (of a case reopened since).
NKOM_PRIVACY_LINE = (NKOM_UPDATE_STATES, NKOM_PRIVACY_UPDATE, NKOM_PRIVACY_NORMALISED)
#: The kinds a follow-up starts from (the last one of them sent).
FOLLOWS = {
    "nkom_update": ("nkom_varsel", "nkom_update"),
    "nkom_normalised": ("nkom_varsel", "nkom_update"),
    "pts_supplementary": ("pts_initial",),
    "privacy_supplementary": ("privacy_initial",),
    # Nkom's updated varsel of a privacy case: from the last varsel or update sent
    NKOM_PRIVACY_UPDATE: NKOM_PRIVACY_LINE,
    NKOM_PRIVACY_NORMALISED: NKOM_PRIVACY_LINE,
    # the next hendelsesrapport (Nkom asked again) starts from the last one sent
    HENDELSESRAPPORT: (HENDELSESRAPPORT,),
}
#: A person's text in the earlier notice carried into another field of the follow-up.
CARRY_AS = {"pts_supplementary": {"cause_preliminary": "causes"}}
#: Fields that are never carried (they describe one notice, not the incident: the
#: hendelsesrapport's request it answers and the notices sent before it).
NOT_CARRIED = ("changes", "normalised", "recipient", "request", "notices_sent")


def followed(kind: str, drafts: Sequence[Draft], exclude: str | None = None) -> Draft | None:
    """The notice ``kind`` starts from: the last sent of the kinds it follows (None: none)."""
    kinds = FOLLOWS.get(kind, ())
    done = [(at, d) for d in drafts if d.kind in kinds and d.id != exclude and (at := d.done_at)]
    return max(done, key=lambda p: (p[0], p[1].round))[1] if done else None


def last_submitted(
    kinds: Sequence[str], drafts: Sequence[Draft], exclude: str | None = None
) -> Draft | None:
    """The last report of ``kinds`` done with (sent, submitted on a portal), None: none. What
    the CSIRT was last told: a correction made since is told in its next report. It carries
    nothing of a person's text into that report (the CSIRT's reports have no :data:`FOLLOWS`)."""
    done = [(at, d) for d in drafts if d.kind in kinds and d.id != exclude and (at := d.done_at)]
    return max(done, key=lambda p: (p[0], p[1].kind, p[1].round))[1] if done else None


def carried(
    kind: str, before: Draft | None, keys: Sequence[str], sent_only: bool = True
) -> dict[str, str]:
    """The fields a person wrote in the notice ``before`` (its sent version), as edits of a
    ``kind`` draft whose fields are ``keys``; ``sent_only`` False: of an unsent one, its latest
    version."""
    if before is None:
        return {}
    version = (before.approved_version if sent_only else None) or before.latest
    rename = CARRY_AS.get(kind, {})
    out: dict[str, str] = {}
    for key in version.edited:
        target = rename.get(key, key)
        value = version.fields.get(key, "")
        if key not in NOT_CARRIED and target in keys and value.strip():
            out[target] = value
    return out


def written_while_ongoing(
    incident: Mapping[str, Any], before: Draft | None, edits: Mapping[str, str]
) -> tuple[str, ...]:
    """The fields of ``edits`` (a person's text carried from ``before``, :func:`carried`) to
    review before approval: all of them when ``before`` was done with (sent) while the
    incident was ongoing and it is over now (restored, else ended), or before a person
    corrected what was sent (the incident's ``correction``), else none. What a person wrote
    then may say "is affected" of what was over, or of what never was (casework's
    ``REVIEW_NOTE``)."""
    done = None if before is None else before.done_at
    if done is None:
        return ()
    said = incident.get(CORRECTION)
    corrected = read_time(said.get("at")) if isinstance(said, Mapping) else None
    if corrected is not None and done < corrected:
        return tuple(sorted(edits))
    ended = read_time(incident.get("remedied_at") or incident.get("ended_at"))
    if ended is None or done >= ended:
        return ()
    return tuple(sorted(edits))


def _merged_of(kind: str, merged: Sequence[Draft]) -> Draft | None:
    """The unsent draft of ``kind`` of an incident merged into this one, the latest touched."""
    found = [d for d in merged if d.kind == kind and d.state not in DELIVERY]
    return max(found, key=lambda d: (d.updated_at, d.id)) if found else None


@dataclass(frozen=True, slots=True)
class Owed:
    """An obligation as drafting sees it (``due_at`` None: its event has not happened)."""

    kind: str
    due_at: datetime | None


Write = tuple[Draft, int | None, list[AuditEvent]]  # draft, expected stored revision, audit


def reconcile(
    incident: Mapping[str, Any],
    owed_now: Sequence[Owed],
    drafts: Sequence[Draft],
    ctx: Context,
    now: datetime,
    merged: Sequence[Draft] = (),
) -> list[Write]:
    """The writes that bring an incident's drafts up to date with what it owes:
    open a draft for each obligation whose clock runs (with what a person wrote in the unsent
    draft of the same kind of an incident merged into it, ``merged``); re-render drafts whose
    facts changed; open the next Nkom update round on a significant change once everything
    before was sent; open the next round of a report that names the regulator's requests
    (:data:`LISTS_REQUESTS`) once its last one was settled and a request stands that none
    answered (:func:`asks_again`), naming only those; withdraw unsent drafts whose report is
    no longer owed."""
    writes: list[Write] = []
    latest: dict[str, Draft] = {}
    for d in drafts:
        if d.kind not in latest or d.round > latest[d.kind].round:
            latest[d.kind] = d
    snaps: dict[str, dict[str, Any]] = {}  # per country: what each notice counts

    def snap_of(kind: str) -> dict[str, Any]:
        key = "" if kind in PRIVACY_KINDS else JURISDICTIONS[regulator_of(kind)]
        if key not in snaps:
            snaps[key] = snapshot(country_of(kind, incident), ctx.severity_label)
        return _with_requests(snaps[key], kind, incident, drafts)

    kinds = {o.kind for o in owed_now}
    for o in owed_now:
        if o.kind not in KINDS:
            continue  # no templates for this kind (yet): the obligation is shown, not drafted
        found = latest.get(o.kind)
        again = (
            found is not None
            and found.state in FINISHED
            and not incident.get("merged_into")
            and asks_again(o.kind, incident, drafts)
        )
        if found is None or again:
            if o.due_at is not None:
                writes.append(_opened(o.kind, incident, drafts, ctx, now, snap_of(o.kind), merged))
            continue
        fields = ctx.fields_of(o.kind, incident, drafts, now, exclude=found.id)
        before = followed(o.kind, drafts, exclude=found.id)
        kept = carried(o.kind, before, tuple(fields.fields))
        refreshed = refresh(
            found,
            fields,
            now,
            ctx.render,
            snap_of(o.kind),
            carried=kept,
            review=written_while_ongoing(incident, before, kept),
            # the incident's start moved across the repeal: where the report goes follows
            channel=ctx.channel_for(fields)
            if fields.repealed or found.channel == INTERNAL
            else None,
        )
        if refreshed is not None:
            writes.append((refreshed[0], found.revision, refreshed[1]))
    update = _next_update(incident, kinds, drafts, snap_of("nkom_update"), ctx, now)
    if update is not None:
        writes.append(update)
    privacy_update = _next_privacy_update(incident, kinds, drafts, snap_of, ctx, now)
    if privacy_update is not None:
        writes.append(privacy_update)
    own = incident.get("id")
    from_merged = [d for d in drafts if own is not None and d.incident_id != own]
    sent_elsewhere = {(d.kind, d.round) for d in from_merged if d.state in DELIVERY}
    into = incident.get("merged_into")
    no_longer = (
        f"merged into {into}: that incident owes what this one did, drafted there"
        if into
        else "the incident no longer owes this report"
    )
    for d in drafts:
        if own is not None and d.incident_id != own:
            continue  # a notice of an incident merged into this one: kept as it is
        if d.kind not in kinds:
            gone = withdraw(d, now, no_longer)
        elif (d.kind, d.round) in sent_elsewhere:
            gone = withdraw(d, now, "an incident merged into this one sent this report already")
        else:
            continue
        if gone is not None:
            writes.append((gone[0], d.revision, gone[1]))
    return writes


def _opened(
    kind: str,
    incident: Mapping[str, Any],
    drafts: Sequence[Draft],
    ctx: Context,
    now: datetime,
    snap: Mapping[str, Any],
    merged: Sequence[Draft],
) -> Write:
    """The next round's draft of ``kind`` (the first: round 1), starting with what a person
    wrote in the last one sent of its line (:data:`FOLLOWS`) and, for the first, in the unsent
    draft of ``kind`` of an incident merged into this one (``merged``); for a later round, in
    this incident's own unsent or rejected one (withdrawn once a report merged into it was
    sent, or rejected before the regulator asked again)."""
    rounds = [d.round for d in drafts if d.kind == kind]
    round_ = 1 + max(rounds, default=0)
    fields = ctx.fields_of(kind, incident, drafts, now)
    keys = tuple(fields.fields)
    before = followed(kind, drafts)
    edits = carried(kind, before, keys)
    own = incident.get("id")
    if rounds:
        mine = [d for d in drafts if d.incident_id == own and d.kind == kind]
        source = _merged_of(kind, [d for d in mine if d.state in EDITABLE])
        where = ""
    else:
        source, where = _merged_of(kind, merged), " (merged into this one)"
    kept = carried(kind, source, keys, sent_only=False)
    draft, events = open_draft(
        fields,
        round_,
        now,
        ctx.render,
        snapshot=snap,
        edits={**kept, **edits},
        channel=ctx.channel_for(fields),
        reason=None
        if source is None or not kept
        else f"opened with what a person wrote in {source.id}{where}",
        review=written_while_ongoing(incident, before, edits),
    )
    return draft, None, events


def _next_update(
    incident: Mapping[str, Any],
    kinds: set[str],
    drafts: Sequence[Draft],
    snap: Mapping[str, Any],
    ctx: Context,
    now: datetime,
) -> Write | None:
    """A new ``nkom_update`` round when the ongoing incident changed significantly since the
    last Nkom notice that was sent, and no Nkom notice is still on its way. An update a person
    rejected since is their decision on the facts it showed: the change is then measured from
    those (else every rejection opened the same round again at once, its due time later)."""
    if "nkom_update" not in kinds or incident.get("state") != "open":
        return None
    if incident.get("remedied_at"):
        return None  # the normalised notice follows
    nkom = [d for d in drafts if d.kind in ("nkom_varsel", "nkom_update")]
    if not nkom or any(d.state not in FINISHED for d in nkom):
        return None
    sent = [d for d in nkom if d.state == SENT and d.sent_at is not None]
    if not sent:
        return None
    last = max(sent, key=lambda d: (d.sent_at, d.round))
    assert last.sent_at is not None
    decided = [
        d
        for d in nkom
        if d.kind == "nkom_update"
        and d.state == REJECTED
        and d.snapshot
        and d.updated_at >= last.sent_at
    ]
    baseline = (
        max(decided, key=lambda d: (d.updated_at, d.round)).snapshot if decided else last.snapshot
    )
    reasons = significant_changes(baseline, snap, ctx.change_rules, "NO")
    if not reasons:
        return None
    round_ = 1 + max((d.round for d in drafts if d.kind == "nkom_update"), default=0)
    fields = ctx.fields_of("nkom_update", incident, drafts, now)
    before = followed("nkom_update", drafts)
    edits = carried("nkom_update", before, tuple(fields.fields))
    draft, events = open_draft(
        fields,
        round_,
        now,
        ctx.render,
        trigger={"significant_change": now},
        snapshot=snap,
        edits=edits,
        channel=ctx.channel("nkom_update"),
        # a person's text from before a correction may state what never was
        review=written_while_ongoing(incident, before, edits),
    )
    events[0].detail["significant_change"] = reasons
    return draft, None, events


def _next_privacy_update(
    case: Mapping[str, Any],
    kinds: set[str],
    drafts: Sequence[Draft],
    snap_of: Callable[[str], dict[str, Any]],
    ctx: Context,
    now: datetime,
) -> Write | None:
    """A new ``nkom_privacy_update`` round when an open privacy case's facts, as its varsel
    states them, changed since the last Nkom varsel or update of it that was sent (the answers
    :func:`bridge.core.privacy_fields.nkom_changed` compares, as the supplementary report
    compares the initial one's), and none of its Nkom notices is still on its way: nothing
    before a varsel was sent (the varsel says the facts as they are), nothing once the case is
    closed (the closing update, ``nkom_privacy_normalised``, says what changed). An update a
    person rejected since is their decision on the answers it showed: the change is then
    measured from those (its latest version), as :func:`_next_update` does for outages."""
    if NKOM_PRIVACY_UPDATE not in kinds or case.get("state") != "open":
        return None
    line = [d for d in drafts if d.kind in NKOM_PRIVACY_LINE]
    if not line or any(d.state not in FINISHED for d in line):
        return None
    before = followed(NKOM_PRIVACY_UPDATE, drafts)
    if before is None or before.done_at is None:
        return None
    sent = before.approved_version or before.latest
    baseline, edited = dict(sent.fields), tuple(sent.edited)
    decided = [
        d
        for d in line
        if d.kind == NKOM_PRIVACY_UPDATE and d.state == REJECTED and d.updated_at >= before.done_at
    ]
    if decided:
        last = max(decided, key=lambda d: (d.updated_at, d.round))
        baseline, edited = dict(last.latest.fields), tuple(last.latest.edited)
    fields = ctx.fields_of(NKOM_PRIVACY_UPDATE, case, drafts, now)
    answers = {k: f.value for k, f in fields.fields.items()}
    changed = nkom_changed(answers, baseline, edited)
    if not changed:
        return None
    round_ = 1 + max((d.round for d in drafts if d.kind == NKOM_PRIVACY_UPDATE), default=0)
    draft, events = open_draft(
        fields,
        round_,
        now,
        ctx.render,
        trigger={"significant_change": now},
        snapshot=snap_of(NKOM_PRIVACY_UPDATE),
        edits=carried(NKOM_PRIVACY_UPDATE, before, tuple(fields.fields)),
        channel=ctx.channel(NKOM_PRIVACY_UPDATE),
    )
    events[0].detail["significant_change"] = changed  # the answers' names, never their text
    return draft, None, events
