"""Privacy incidents (integritetsincidenter): the case, its versioned changes, what it owes. Pure.

Contract:
- A :class:`PrivacyCase` holds the facts docs/regulation.md §2-3 and Regulation (EU) 611/2013
  Annex I ask for (detected, occurred — maybe estimated —, circumstances, data categories,
  number affected, measures taken and planned, other providers, cross-border aspects, whether
  the data was unreadable to outsiders…). It is opened by a person (:func:`open_case`) or from an
  alert (:func:`case_from_alert`) and changed only through :func:`edit_case`,
  :func:`set_exemption` and :func:`set_state`, each of which returns the next case (``revision``
  + 1, one :class:`Change` more in ``history``) with its audit entries, or raises
  :class:`~bridge.errors.BadInput` naming the field / :class:`~bridge.errors.Conflict` when the
  change is based on an older revision. The store writes it with a revision check. A
  person's free text (:func:`parse_values`, an exemption's comment) may hold line breaks and
  tabs but no other control character (C0, DEL, C1), no bidirectional control, no lone
  surrogate: BadInput naming the field. An
  alert's annotations are kept as sent (the webhook drops no alert for its text).
- A case remembers, through its revisions, which free-text fields still hold only what an
  alert wrote (:func:`alert_texts`: set by the revision an alert opened it with, and by no
  person since). A person's edit naming such a field makes it theirs even with the same text
  (saving the alert's words unchanged is a person's choice: a revision naming the field).
  :func:`document` (what drafting reads) lists them: the notices to subscribers leave them out
  (:mod:`bridge.core.privacy_fields`), the reports to regulators may start from them.
- Audit entries name the case, the revision and the *names* of changed fields, never their
  values: personal data stays in the case, out of the audit log (and out of logs and metrics).
- ``detected_at`` starts the clock of every report ("senast 24 timmar efter det att
  integritetsincidenten upptäcks", PTS; "senest innen 24 timer", Nkom): :func:`parse_values`
  refuses one in the future (beyond :data:`~bridge.core.manual.FUTURE_SLACK`, a browser's
  clock skew), and :func:`edit_case` refuses moving it later than recorded (BadInput naming
  the field, nothing changed): no one can push the deadlines out, nor take back a missed
  one's overdue. Moving it earlier (a correction) is an edit as any other, audited by name.
  As with a cybersecurity declaration's awareness instant (:mod:`bridge.core.awareness`), a
  time typed too early stands: the time the regulator is told is corrected in each report's
  draft still to send, saying why.
- :func:`owed` derives the reports a case owes from the privacy rule sets (data, see
  ``config/rules/*-privacy.yaml``) and ``now``: a rule set applies when its jurisdiction is one
  of the case's and the case's nature (``breach``, ``risk``) is one it ``applies_to``; deadlines
  come from :mod:`bridge.core.calendar` on the events ``detected``, ``occurred`` and what the
  drafts report (``initial_sent``, ``subscriber_notice_sent``). With an exemption recorded
  (no adverse effect, or data unreadable to outsiders) no subscriber notice — nor its copy to
  PTS — is owed under a rule set that lists that exemption (``exemptions``: per jurisdiction;
  the EU one for Sweden; none for Norway, where seed 003's rule has none).
- :func:`alert_jurisdictions` reads an alert's jurisdiction label as a person means it (a
  country code in any case, spaces around it ignored); no label (or an empty one) is the
  configured default, as for outage alerts. A value naming no jurisdiction the bridge knows
  never picks one: the case is owed under every jurisdiction the privacy rule sets cover (a
  missed Nkom varsel is a breach of the law; a report owed to a country that turns out not to
  be concerned is a draft a person withdraws) and keeps the value
  (``jurisdiction_unrecognised``), which :func:`attention` turns into words for the case and
  the queue until a person sets ``jurisdictions`` (the same ones too: that confirms them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from bridge.core import instants, person_text
from bridge.core.casework import AuditEvent
from bridge.core.manual import FUTURE_SLACK
from bridge.core.obligations import Obligation, done_event, obligation
from bridge.core.rules import RuleSet
from bridge.core.xml_text import xml_text
from bridge.errors import BadInput, Conflict

NATURES = ("breach", "risk")
CIRCUMSTANCES = (
    "loss",
    "theft",
    "copying",
    "unauthorised_access",
    "unauthorised_disclosure",
    "alteration",
    "destruction",
    "other",
)
DATA_CATEGORIES = ("content", "subscriber", "traffic", "location")
EXEMPTION_REASONS = ("no_adverse_effect", "data_unreadable")
STATES = ("open", "closed")
#: What a person found when closing a case (:func:`set_state`): it was no breach (nor a
#: particular risk), or it was one and is handled (reported, notified, remedied).
OUTCOMES = ("not_a_breach", "handled")
JURISDICTIONS = ("SE", "NO")
#: Kinds a recorded exemption removes (the notices to subscribers, and the copy to PTS).
SUBSCRIBER_KINDS = ("subscriber_notice", "nkom_privacy_subscriber", "privacy_subscriber_copy")
PREFIX = "priv-"


@dataclass(frozen=True, slots=True)
class Exemption:
    """An approver's decision that subscribers need not be notified, and why."""

    reason: str  # one of EXEMPTION_REASONS
    by: str
    at: datetime
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Closure:
    """Why a person closed the case: the outcome (:data:`OUTCOMES`) and their reason."""

    outcome: str
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """One revision of a case: who changed which fields (names only), when."""

    revision: int
    at: datetime
    actor: str
    action: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PrivacyCase:
    id: str
    revision: int
    state: str
    source: str  # manual | alert
    created_at: datetime
    updated_at: datetime
    created_by: str
    detected_at: datetime
    alert: str | None = None  # fingerprint of the alert that opened it
    nature: str = "breach"
    jurisdictions: tuple[str, ...] = ("SE",)
    occurred_at: datetime | None = None
    occurred_estimated: bool = False
    circumstances: tuple[str, ...] = ()
    circumstances_text: str = ""
    description: str = ""
    location: str = ""  # physical location of the breach and storage media involved
    causes: str = ""
    consequences: str = ""
    data_categories: tuple[str, ...] = ()
    data_description: str = ""
    affected: int | None = None
    measures_taken: str = ""
    measures_planned: str = ""
    other_providers: str = ""
    cross_border: str = ""
    unreadable: bool | None = None
    unreadable_how: str = ""
    recurrence_prevention: str = ""  # measures so that it does not happen again (PTS asks)
    services: str = ""  # the ekom services concerned (Nkom's varsel asks)
    recommended_actions: str = ""  # what subscribers should do (the subscriber notices say)
    # per language (sv, nb): free text that replaces the field above in that language's
    # notices, where the Swedish and Norwegian notices must say it differently
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    exemption: Exemption | None = None
    # while closed: the outcome and the reason the person gave (None while open)
    closure: Closure | None = None
    history: tuple[Change, ...] = field(default_factory=tuple)
    # the alert's jurisdiction label when it named no jurisdiction the bridge knows (the case
    # is then owed under every configured one) until a person sets ``jurisdictions``
    jurisdiction_unrecognised: str | None = None
    # per subscriber notice kind: how it reached the subscribers once handed over, as a person
    # recorded it (JSON as stored: :mod:`bridge.core.privacy_reach`)
    distributions: dict[str, dict[str, Any]] = field(default_factory=dict)


# ---- editable fields: name → parser (value from JSON → stored value) ------------------------
#: the control characters a person's text keeps (:func:`bridge.core.person_text.refused`
#: refuses any other, bidirectional controls and lone surrogates: the store cannot write
#: those, a spreadsheet cannot hold control characters, and the notices quote the text)
_KEPT = "\t\n\r"


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise BadInput(name, f"expected text, got {type(value).__name__}")
    refused = person_text.refused(value, _KEPT, formats=False)
    if refused is not None:  # the problem names the character, never the text around it
        raise BadInput(name, f"{person_text.problem(refused)}; line breaks and tabs are")
    return value.strip()


def rfc3339_time(name: str, value: object) -> datetime:
    """``value`` as an instant in UTC: an RFC 3339 text with an offset, else a BadInput
    naming ``name`` (no window here: each caller checks its own)."""
    if not isinstance(value, str):
        raise BadInput(name, "expected an RFC 3339 time with an offset, e.g. 2026-11-23T10:00:00Z")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(name, f"not an RFC 3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise BadInput(name, f"give a time with an offset (Z or +01:00), got {value!r}")
    return instants.in_utc(parsed, name)  # the window at now: parse_values


def _opt_time(name: str, value: object) -> datetime | None:
    return None if value is None else rfc3339_time(name, value)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise BadInput(name, f"expected true or false, got {value!r}")
    return value


def _opt_flag(name: str, value: object) -> bool | None:
    return None if value is None else _flag(name, value)


def _count(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(name, f"expected a whole number ≥ 0 or null, got {value!r}")
    return value


def _choice(allowed: tuple[str, ...]) -> Callable[[str, object], str]:
    def parse(name: str, value: object) -> str:
        if value not in allowed:
            raise BadInput(name, f"expected one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    return parse


def _choices(allowed: tuple[str, ...], at_least_one: bool = False) -> Callable[[str, object], Any]:
    def parse(name: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadInput(name, f"expected a list of {', '.join(allowed)}")
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise BadInput(
                name, f"unknown value(s) {', '.join(unknown)}; expected {', '.join(allowed)}"
            )
        if at_least_one and not value:
            raise BadInput(name, "name at least one")
        return tuple(dict.fromkeys(value))

    return parse


#: Free-text facts a case may hold per language (``texts``).
TEXT_FIELDS = (
    "circumstances_text",
    "description",
    "location",
    "causes",
    "consequences",
    "data_description",
    "measures_taken",
    "measures_planned",
    "recurrence_prevention",
    "services",
    "recommended_actions",
    "other_providers",
    "cross_border",
    "unreadable_how",
)
TEXT_LANGUAGES = ("sv", "nb")


def _texts(name: str, value: object) -> dict[str, dict[str, str]]:
    if not isinstance(value, Mapping):
        raise BadInput(name, "expected {language: {field: text}} with language sv or nb")
    out: dict[str, dict[str, str]] = {}
    for lang, texts in value.items():
        if lang not in TEXT_LANGUAGES:
            raise BadInput(f"{name}.{lang}", f"expected a language: {', '.join(TEXT_LANGUAGES)}")
        if not isinstance(texts, Mapping):
            raise BadInput(f"{name}.{lang}", "expected {field: text}")
        for key, text in texts.items():
            if key not in TEXT_FIELDS:
                raise BadInput(
                    f"{name}.{lang}.{key}",
                    f"not a free-text field; expected one of {', '.join(TEXT_FIELDS)}",
                )
            stripped = _text(f"{name}.{lang}.{key}", text)
            if stripped:
                out.setdefault(str(lang), {})[str(key)] = stripped
    return out


#: What a person may set, with its parser. ``detected_at`` opens the clock of every report.
EDITABLE: dict[str, Callable[[str, object], Any]] = {
    "nature": _choice(NATURES),
    "jurisdictions": _choices(JURISDICTIONS, at_least_one=True),
    "detected_at": rfc3339_time,
    "occurred_at": _opt_time,
    "occurred_estimated": _flag,
    "circumstances": _choices(CIRCUMSTANCES),
    "circumstances_text": _text,
    "description": _text,
    "location": _text,
    "causes": _text,
    "consequences": _text,
    "data_categories": _choices(DATA_CATEGORIES),
    "data_description": _text,
    "affected": _count,
    "measures_taken": _text,
    "measures_planned": _text,
    "other_providers": _text,
    "cross_border": _text,
    "unreadable": _opt_flag,
    "unreadable_how": _text,
    "recurrence_prevention": _text,
    "services": _text,
    "recommended_actions": _text,
    "texts": _texts,
}


def parse_values(body: Mapping[str, object], now: datetime, prefix: str = "") -> dict[str, Any]:
    """Validated values of the editable fields in ``body``, times in UTC and in the plausible
    window at ``now`` (:func:`bridge.core.instants.given`); a BadInput names ``prefix + key``."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        parser = EDITABLE.get(key)
        if parser is None:
            raise BadInput(
                f"{prefix}{key}", f"not a privacy case field; expected one of {', '.join(EDITABLE)}"
            )
        parsed = parser(f"{prefix}{key}", value)
        if isinstance(parsed, datetime):
            parsed = instants.given(parsed, f"{prefix}{key}", now)
        if key == "detected_at" and parsed > now + FUTURE_SLACK:
            raise BadInput(
                f"{prefix}{key}",
                f"{_iso(parsed)} lies in the future (now {_iso(now)}): the detection has "
                "happened, and every report's deadline counts from it",
            )
        out[key] = parsed
    return out


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _detection_not_later(case: PrivacyCase, values: Mapping[str, Any], prefix: str) -> None:
    """BadInput naming ``prefix`` + ``detected_at`` when ``values`` move the case's detection
    later than recorded (see the module contract)."""
    wanted = values.get("detected_at")
    if wanted is not None and wanted > case.detected_at:
        raise BadInput(
            f"{prefix}detected_at",
            f"the detection is recorded at {_iso(case.detected_at)}; it can only be moved "
            f"earlier, never later ({_iso(wanted)}): no one can push the reports' deadlines "
            "out. If that time was typed too early, its deadlines stand: correct the time the "
            "regulator is told in each report's draft still to send (its field detected_at), "
            "saying why",
        )


# ---- opening and changing ---------------------------------------------------------------------
def case_id(detected_at: datetime, seed: str) -> str:
    """``priv-YYYYMMDD-<8 hex>``: the detection day (UTC) and a hash of ``seed`` (a random token
    for a person's case; the alert's fingerprint and start for an alert's, so a re-delivered
    alert finds its case instead of opening another)."""
    digest = hashlib.sha256(seed.encode()).hexdigest()[:8]
    return f"{PREFIX}{detected_at:%Y%m%d}-{digest}"


def alert_case_id(fingerprint: str, starts_at: datetime) -> str:
    """The id of the case an alert (fingerprint, start) opens: the same for every delivery of
    it, so retention can tell a stored alert that opened a case (the register's evidence)."""
    return case_id(starts_at, f"alert|{fingerprint}|{starts_at.isoformat()}")


def _audit(case: PrivacyCase, at: datetime, actor: str, action: str, **detail: Any) -> AuditEvent:
    return AuditEvent(at, actor, action, f"privacy:{case.id}", {"case": case.id, **detail})


def open_case(
    values: Mapping[str, Any], actor: str, now: datetime, id_: str
) -> tuple[PrivacyCase, list[AuditEvent]]:
    """Revision 1 of a case a person reports (``values`` from :func:`parse_values`);
    ``detected_at`` is required: every deadline counts from it."""
    if "detected_at" not in values:
        raise BadInput("detected_at", "required: when the breach (or the risk) was detected")
    case = PrivacyCase(
        id=id_,
        revision=1,
        state="open",
        source="manual",
        created_at=now,
        updated_at=now,
        created_by=actor,
        **values,
    )
    case = replace(case, history=(Change(1, now, actor, "opened", tuple(sorted(values))),))
    return case, [_audit(case, now, actor, "privacy.opened", revision=1, fields=sorted(values))]


#: the most characters of an unrecognised jurisdiction label a case keeps
UNRECOGNISED_KEPT = 100
#: what a case opened under every jurisdiction says (on the case, its list row and the queue)
JURISDICTION_ATTENTION = (
    "The alert's jurisdiction label named no country the bridge knows: the case is owed to "
    "every country's regulator until a person sets its jurisdictions."
)


def alert_jurisdictions(
    label: str | None, default: str, configured: Sequence[str]
) -> tuple[tuple[str, ...], str | None]:
    """The jurisdictions of a case an alert opens, from the value of its jurisdiction label
    (None: no such label), and what the case keeps of a value that names none (None when it
    names one, or is absent or empty). ``configured``: the jurisdictions of the privacy rule
    sets (see the module contract)."""
    text = (label or "").strip()
    if not text:
        return (default,), None
    code = text.upper()
    if code in JURISDICTIONS:
        return (code,), None
    every = tuple(j for j in JURISDICTIONS if j in configured) or (default,)
    return every, xml_text(text[:UNRECOGNISED_KEPT])


def attention(case: PrivacyCase) -> str | None:
    """What a person must look at on ``case`` before anything else, in words (None: nothing)."""
    return JURISDICTION_ATTENTION if case.jurisdiction_unrecognised is not None else None


#: The action of the revision an alert opens a case with: its texts are the alert's words.
FROM_ALERT = "opened from an alert"


def case_from_alert(
    fingerprint: str,
    starts_at: datetime,
    annotations: Mapping[str, str],
    jurisdictions: tuple[str, ...],
    now: datetime,
    jurisdiction_unrecognised: str | None = None,
) -> tuple[PrivacyCase, list[AuditEvent]]:
    """Revision 1 of a case opened by an alert: detected when the alert started; its
    ``summary``/``description`` annotations give the description; a person completes the rest.
    ``jurisdictions`` and ``jurisdiction_unrecognised``: :func:`alert_jurisdictions`'."""
    text = "\n".join(
        v.strip() for k in ("summary", "description") if (v := annotations.get(k, "")).strip()
    )
    id_ = alert_case_id(fingerprint, starts_at)
    case = PrivacyCase(
        id=id_,
        revision=1,
        state="open",
        source="alert",
        created_at=now,
        updated_at=now,
        created_by="bridge",
        detected_at=starts_at,
        alert=fingerprint,
        jurisdictions=jurisdictions,
        description=text,
        jurisdiction_unrecognised=jurisdiction_unrecognised,
    )
    opened = ("description", "detected_at", "jurisdictions")
    case = replace(case, history=(Change(1, now, "bridge", FROM_ALERT, opened),))
    return case, [
        _audit(case, now, "bridge", "privacy.opened", revision=1, alert=fingerprint, source="alert")
    ]


def _check_base(case: PrivacyCase, base_revision: int) -> None:
    if base_revision != case.revision:
        raise Conflict(
            f"privacy case {case.id}",
            f"the change is based on revision {base_revision} but the latest is {case.revision}: "
            "reload and change again",
        )


def _next(
    case: PrivacyCase, now: datetime, actor: str, action: str, names: Sequence[str], **changes: Any
) -> PrivacyCase:
    revision = case.revision + 1
    change = Change(revision, now, actor, action, tuple(names))
    return replace(
        case, revision=revision, updated_at=now, history=(*case.history, change), **changes
    )


def edit_case(
    case: PrivacyCase,
    base_revision: int,
    values: Mapping[str, Any],
    actor: str,
    now: datetime,
    prefix: str = "",
) -> tuple[PrivacyCase, list[AuditEvent]]:
    """A new revision with ``values`` (from :func:`parse_values`); fields whose value does not
    change are not counted as changed, except a text still the alert's (:func:`alert_texts`),
    which the person now owns; nothing changed is a BadInput. Setting ``jurisdictions`` on a
    case opened under every jurisdiction (``jurisdiction_unrecognised``) is a person's choice,
    a change even to the same ones, and clears the flag. ``detected_at`` later than recorded
    is a BadInput naming ``prefix`` + ``detected_at``, nothing changed (it may only be moved
    earlier: see the module contract)."""
    _check_base(case, base_revision)
    _detection_not_later(case, values, prefix)
    changed = {k: v for k, v in values.items() if getattr(case, k) != v}
    # a person saving an alert's text as it is makes it theirs (see the module contract)
    changed |= {k: values[k] for k in alert_texts(case) if k in values}
    if "jurisdictions" in values and case.jurisdiction_unrecognised is not None:
        changed["jurisdictions"] = values["jurisdictions"]
        changed["jurisdiction_unrecognised"] = None
    if not changed:
        raise BadInput("fields", "nothing to change")
    names = sorted(changed)
    after = _next(case, now, actor, "edited", names, **changed)
    return after, [
        _audit(after, now, actor, "privacy.edited", revision=after.revision, fields=names)
    ]


def alert_texts(case: PrivacyCase) -> tuple[str, ...]:
    """The free-text fields (:data:`TEXT_FIELDS`) whose value is still what an alert wrote: the
    last revision naming each was the one an alert opened the case with."""
    last: dict[str, str] = {}
    for change in case.history:
        for name in change.fields:
            last[name] = change.action
    return tuple(k for k in TEXT_FIELDS if last.get(k) == FROM_ALERT)


def set_exemption(
    case: PrivacyCase,
    base_revision: int,
    reason: str | None,
    comment: str,
    actor: str,
    now: datetime,
) -> tuple[PrivacyCase, list[AuditEvent]]:
    """Record (``reason`` in :data:`EXEMPTION_REASONS`) or withdraw (``reason`` None) the
    exemption from notifying subscribers. The audit entry names the reason code, not the comment
    (which may describe the data)."""
    _check_base(case, base_revision)
    if reason is None:
        if case.exemption is None:
            raise BadInput("reason", "no exemption is recorded; nothing to withdraw")
        after = _next(case, now, actor, "exemption withdrawn", ["exemption"], exemption=None)
        return after, [
            _audit(after, now, actor, "privacy.exemption_withdrawn", revision=after.revision)
        ]
    _choice(EXEMPTION_REASONS)("reason", reason)
    if reason == "data_unreadable" and case.unreadable is not True:
        raise BadInput(
            "reason",
            "data_unreadable needs the case to say the data was unreadable to outsiders "
            "(set unreadable: true and unreadable_how first)",
        )
    exemption = Exemption(reason, actor, now, _text("comment", comment))
    after = _next(case, now, actor, "exemption recorded", ["exemption"], exemption=exemption)
    return after, [
        _audit(
            after, now, actor, "privacy.exemption_recorded", revision=after.revision, reason=reason
        )
    ]


def set_state(
    case: PrivacyCase,
    base_revision: int,
    state: str,
    actor: str,
    now: datetime,
    reason: str = "",
    outcome: str | None = None,
) -> tuple[PrivacyCase, list[AuditEvent]]:
    """Close or reopen a case. A closed case stays in the register and keeps what it owes.

    Closing needs the ``outcome`` (:data:`OUTCOMES`) and a ``reason`` in a person's words:
    both are kept on the case (:class:`Closure`, its register row) and in the audit entry (a
    decision's reason, as a draft rejection's: write it without personal data). Reopening
    takes an optional reason (audited) and no outcome, and clears the closure from the case."""
    _check_base(case, base_revision)
    _choice(STATES)("state", state)
    if state == case.state:
        raise BadInput("state", f"the case is {state} already")
    why = _text("reason", reason)
    if state == "open":
        if outcome is not None:
            raise BadInput("outcome", "only when closing: a reopened case has no outcome")
        after = _next(case, now, actor, state, ["closure", "state"], state=state, closure=None)
        detail: dict[str, Any] = {"reason": why} if why else {}
        return after, [
            _audit(
                after, now, actor, "privacy.open", revision=after.revision, state=state, **detail
            )
        ]
    if not why:
        raise BadInput("reason", "required to close: why, in a few words (e.g. what was found)")
    if outcome is None:
        raise BadInput("outcome", f"required to close: one of {', '.join(OUTCOMES)}")
    _choice(OUTCOMES)("outcome", outcome)
    closure = Closure(outcome, why, actor, now)
    after = _next(case, now, actor, state, ["closure", "state"], state=state, closure=closure)
    return after, [
        _audit(
            after,
            now,
            actor,
            "privacy.closed",
            revision=after.revision,
            state=state,
            outcome=outcome,
            reason=why,
        )
    ]


# ---- what it owes --------------------------------------------------------------------------------
def applies(rule_set: RuleSet, case: PrivacyCase) -> bool:
    return (
        rule_set.track == "privacy"
        and rule_set.jurisdiction in case.jurisdictions
        and case.nature in rule_set.applies_to
    )


def owed(
    case: PrivacyCase,
    rule_sets: Sequence[RuleSet],
    now: datetime,
    events: Mapping[str, datetime] | None = None,
    drafts: Mapping[str, str] | None = None,
) -> list[Obligation]:
    """See the module contract. ``events``/``drafts``: what the case's drafts say
    (:func:`bridge.core.case_drafts.progress`)."""
    known: dict[str, datetime] = {"detected": case.detected_at}
    if case.occurred_at is not None:
        known["occurred"] = case.occurred_at
    known.update(events or {})
    normalised = _normalised(case, known)
    if normalised is not None:
        known[NORMALISED] = normalised
    out: list[Obligation] = []
    for rs in rule_sets:
        if not applies(rs, case):
            continue
        for kind in rs.obligations:
            if (
                kind in SUBSCRIBER_KINDS
                and case.exemption is not None
                and case.exemption.reason in rs.exemptions
            ):
                continue  # waived: this rule set's jurisdiction knows this exemption
            out.append(obligation(rs, kind, known, now, drafts))
    return out


#: The event Nkom's closing updated varsel (``nkom_privacy_normalised``) counts from.
NORMALISED = "normalised"


def closed_at(case: PrivacyCase) -> datetime | None:
    """When ``case`` was closed (the last revision that set its state), None while open."""
    if case.state != "closed":
        return None
    return next((c.at for c in reversed(case.history) if "state" in c.fields), case.updated_at)


def _normalised(case: PrivacyCase, known: Mapping[str, datetime]) -> datetime | None:
    """When the case was "normalisert" for Nkom (seed 003: an updated varsel "når hendelsen er
    normalisert"): closed, once its varsel was sent (the update updates a varsel), so the later
    of the two; None while it is open or no varsel was sent."""
    closed = closed_at(case)
    varsel = known.get(done_event("nkom_privacy_varsel"))
    if closed is None or varsel is None:
        return None
    return max(closed, varsel)


# ---- stored form ---------------------------------------------------------------------------------
def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _p(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


_TIMES = ("created_at", "updated_at", "detected_at", "occurred_at")
_TUPLES = ("jurisdictions", "circumstances", "data_categories")


def to_dict(case: PrivacyCase) -> dict[str, Any]:
    """The JSON document a store keeps (and :func:`from_dict` reads back exactly)."""
    out: dict[str, Any] = {}
    for f in fields(case):
        value = getattr(case, f.name)
        if f.name in _TIMES:
            value = _t(value)
        elif f.name in _TUPLES:
            value = list(value)
        elif f.name == "exemption":
            value = (
                None
                if value is None
                else {
                    "reason": value.reason,
                    "by": value.by,
                    "at": _t(value.at),
                    "comment": value.comment,
                }
            )
        elif f.name == "closure":
            value = (
                None
                if value is None
                else {
                    "outcome": value.outcome,
                    "reason": value.reason,
                    "by": value.by,
                    "at": _t(value.at),
                }
            )
        elif f.name == "history":
            value = [
                {
                    "revision": c.revision,
                    "at": _t(c.at),
                    "actor": c.actor,
                    "action": c.action,
                    "fields": list(c.fields),
                }
                for c in value
            ]
        out[f.name] = value
    return out


def document(
    case: PrivacyCase, subscriber_notices: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """What drafting reads (:func:`bridge.core.privacy_fields.values`): the stored form, plus
    ``alert_texts`` (:func:`alert_texts`) and ``subscriber_notices`` (kind → the notice as sent:
    ``subject``, ``text``, ``sent_at``)."""
    doc = to_dict(case)
    doc["alert_texts"] = list(alert_texts(case))
    doc["subscriber_notices"] = {k: dict(v) for k, v in (subscriber_notices or {}).items()}
    return doc


def from_dict(d: Mapping[str, Any]) -> PrivacyCase:
    values: dict[str, Any] = {}
    for f in fields(PrivacyCase):
        if f.name not in d:
            continue
        value = d[f.name]
        if f.name in _TIMES:
            value = _p(value)
        elif f.name in _TUPLES:
            value = tuple(value)
        elif f.name == "exemption" and value is not None:
            at = datetime.fromisoformat(value["at"])
            value = Exemption(value["reason"], value["by"], at, value.get("comment", ""))
        elif f.name == "closure" and value is not None:
            at = datetime.fromisoformat(value["at"])
            value = Closure(value["outcome"], value["reason"], value["by"], at)
        elif f.name == "history":
            value = tuple(
                Change(
                    int(c["revision"]),
                    datetime.fromisoformat(c["at"]),
                    c["actor"],
                    c["action"],
                    tuple(c["fields"]),
                )
                for c in value
            )
        values[f.name] = value
    return PrivacyCase(**values)
