"""Notice drafts: the structured fields each regulator asks for, prefilled from an incident. Pure.

Contract:
- :func:`draft_fields` takes an incident *document* (:func:`bridge.core.documents.document`, the
  API shape; a stored document works too but has no alert annotations, so the cause stays to
  be completed), the operator, the recipient and ``now``, and returns :class:`DraftFields`
  whose ``fields`` hold exactly the content docs/regulation.md lists for the kind, in that order
  (:data:`FIELD_KEYS`), labelled in the regulator's language (bokmål for Nkom, Swedish for PTS).
- A field the incident cannot answer (measures taken, risk to life and health…) is present
  with an empty value: ``to_complete`` is true and templates show ``placeholder``. Every
  prefilled field says in ``source`` where its value came from.
- Times are shown in the regulator's local zone (Europe/Oslo, Europe/Stockholm).
- :func:`reference_number` depends only on the operator's organisation number and the
  incident id (which is stable), so every draft of one incident carries the same reference.
- Rendering the fields into text and HTML reads template files and lives in
  :mod:`bridge.notices`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bridge.core import privacy_fields
from bridge.errors import BadInput

NKOM_KINDS = ("nkom_varsel", "nkom_update", "nkom_normalised")
PTS_KINDS = ("pts_initial", "pts_supplementary")
PRIVACY_KINDS = privacy_fields.KINDS
KINDS = (*NKOM_KINDS, *PTS_KINDS, *PRIVACY_KINDS)

_NKOM_KEYS = (
    "started_at",
    "services",
    "scope_geography",
    "scope_customers",
    "scope_societal",
    "scope_life_health",
    "expected_duration",
    "cause",
    "contact",
)
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "nkom_varsel": _NKOM_KEYS,
    "nkom_update": _NKOM_KEYS,
    "nkom_normalised": _NKOM_KEYS,
    "pts_initial": (
        "networks_services",
        "scope",
        "cause_preliminary",
        "active_connections",
        "emergency_112",
        "contact",
        "reference",
    ),
    "pts_supplementary": (
        "causes",
        "public_information",
        "effect_minimisation",
        "remedy",
        "recurrence_prevention",
        "reference",
    ),
    **privacy_fields.FIELD_KEYS,
}

LABELS: dict[str, dict[str, str]] = {
    "nb": {
        "started_at": "Tidspunkt for start",
        "services": "Berørte ekomtjenester",
        "scope_geography": "Omfang – geografi",
        "scope_customers": "Omfang – berørte kunder",
        "scope_societal": "Omfang – samfunnsviktige funksjoner",
        "scope_life_health": "Omfang – er liv og helse i fare, eller kan de være det",
        "expected_duration": "Forventet varighet til normalisert",
        "cause": "Årsak",
        "contact": "Kontaktperson",
    },
    "sv": {
        "networks_services": "Berörda nät och/eller tjänster",
        "scope": "Störningens eller avbrottets omfattning",
        "cause_preliminary": "Preliminär bedömning av orsak",
        "active_connections": "Påverkan på berörda aktiva anslutningar",
        "emergency_112": "Påverkan på möjligheten att ringa 112",
        "contact": "Kontaktperson",
        "reference": "Referensnummer",
        "causes": "Orsaker",
        "public_information": "Information till allmänheten och berörda abonnenter",
        "effect_minimisation": "Åtgärder för att minimera effekterna",
        "remedy": "Åtgärder för att avhjälpa felen",
        "recurrence_prevention": "Åtgärder för att förhindra upprepning",
        **privacy_fields.LABELS["sv"],
    },
}
LABELS["nb"].update(privacy_fields.LABELS["nb"])

TITLES = {
    "nkom_varsel": "Varsel om hendelse",
    "nkom_update": "Oppdatert varsel om hendelse",
    "nkom_normalised": "Varsel om normalisert situasjon",
    "pts_initial": "Inledande rapport om störning eller avbrott",
    "pts_supplementary": "Kompletterande rapport om störning eller avbrott",
    **privacy_fields.TITLES,
}

ZONES = {"nkom": "Europe/Oslo", "pts": "Europe/Stockholm"}
LANGUAGES = {"nkom": "nb", "pts": "sv"}
DEFAULT_RECIPIENTS = {"nkom": "ekomvarsling@nkom.no", "pts": "incidentrapport@pts.se"}
PLACEHOLDERS = {"nb": "[fylles ut]", "sv": "[fylls i]"}

CAUSE_ANNOTATIONS = ("cause", "årsak", "summary")
RESOLUTION_ANNOTATION = "expected_resolution"


@dataclass(frozen=True, slots=True)
class RenderedDraft:
    """A draft as the regulator receives it (rendered by :mod:`bridge.notices`)."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Sender:
    """The operator as a notice names it (built from ``OperatorConfig`` outside the core)."""

    name: str
    org_number: str
    contact_name: str
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class Field:
    """One content item of a notice. Empty ``value``: a person must complete it."""

    key: str
    label: str
    value: str
    source: str  # where the prefill came from, or what the person should add

    @property
    def to_complete(self) -> bool:
        return not self.value


@dataclass(frozen=True, slots=True)
class DraftFields:
    """Everything a notice template needs; ``fields`` keyed and ordered by :data:`FIELD_KEYS`."""

    kind: str
    regulator: str
    language: str
    title: str
    incident_id: str
    reference: str
    operator: Sender
    recipient: str
    drafted_at: str  # local time, regulator's format
    placeholder: str
    fields: dict[str, Field]

    def to_complete(self) -> list[str]:
        """Keys of the fields a person must still fill in."""
        return [k for k, f in self.fields.items() if f.to_complete]


def with_values(fields: DraftFields, values: Mapping[str, str]) -> DraftFields:
    """``fields`` with some values replaced by a person's text (``recipient`` included)."""
    recipient = values.get("recipient", fields.recipient)
    changed = {
        key: replace(f, value=values[key], source="edited") if key in values else f
        for key, f in fields.fields.items()
    }
    return replace(fields, recipient=recipient, fields=changed)


def regulator_of(kind: str) -> str:
    """The regulator whose rules a kind follows (a subscriber notice: the rules of the
    regulator of its country; it sets the notice's language and time zone)."""
    if kind in NKOM_KINDS or kind in privacy_fields.NKOM_PRIVACY_KINDS:
        return "nkom"
    if kind in PTS_KINDS or kind in PRIVACY_KINDS:
        return "pts"
    raise BadInput("kind", f"unknown notice kind {kind!r}; expected one of {', '.join(KINDS)}")


def local_time(value: datetime, regulator: str) -> str:
    """``23.11.2026 kl. 10:05`` (Nkom, Oslo time) or ``2026-11-23 kl. 10:05`` (PTS, Stockholm)."""
    local = value.astimezone(ZoneInfo(ZONES[regulator]))
    pattern = "%d.%m.%Y kl. %H:%M" if regulator == "nkom" else "%Y-%m-%d kl. %H:%M"
    return local.strftime(pattern)


def reference_number(org_number: str, incident_id: str) -> str:
    """``<ORG>-<YYYYMMDD>-<hash>``: the organisation number's letters and digits, the date in
    the incident id (``inc-YYYYMMDD-…``, else ``00000000``), and 8 hex digits of a hash of
    both. The same incident always gets the same reference."""
    org = re.sub(r"[^0-9A-Za-z]", "", org_number).upper() or "REF"
    found = re.search(r"(\d{8})", incident_id)
    day = found.group(1) if found else "00000000"
    digest = hashlib.sha256(f"{org}|{incident_id}".encode()).hexdigest()[:8].upper()
    return f"{org}-{day}-{digest}"


def draft_fields(
    kind: str,
    incident: Mapping[str, Any],
    operator: Sender,
    recipient: str | None,
    now: datetime,
) -> DraftFields:
    """See the module contract. ``recipient`` None: the regulator's published address."""
    regulator = regulator_of(kind)
    language = LANGUAGES[regulator]
    reference = reference_number(operator.org_number, str(incident["id"]))
    if kind in PRIVACY_KINDS:
        values = privacy_fields.values(
            kind,
            incident,
            f"{operator.name} (org.nr {operator.org_number})",
            _contact(operator, language),
            reference,
            lambda t: local_time(t, regulator),
        )
    else:
        values = _values(kind, regulator, incident, operator)
    labels = LABELS[language]
    fields = {
        key: Field(key, labels[key], *values.get(key, ("", _TO_ADD.get(key, "to complete"))))
        for key in FIELD_KEYS[kind]
    }
    return DraftFields(
        kind=kind,
        regulator=regulator,
        language=language,
        title=TITLES[kind],
        incident_id=str(incident["id"]),
        reference=reference,
        operator=operator,
        recipient=recipient or DEFAULT_RECIPIENTS[regulator],
        drafted_at=local_time(now, regulator),
        placeholder=PLACEHOLDERS[language],
        fields=fields,
    )


# What a person should add where the incident cannot say (shown to the operator, not sent).
_TO_ADD = {
    "scope_life_health": "judge whether life and health are or may be at risk",
    "public_information": "what the public and affected subscribers were told, when, how",
    "effect_minimisation": "measures taken to minimise the effects",
    "remedy": "measures taken to remedy the faults",
    "recurrence_prevention": "measures to prevent recurrence",
    "cause": "no cause/årsak/summary annotation on the incident's alerts",
    "cause_preliminary": "no cause/årsak/summary annotation on the incident's alerts",
    "causes": "no cause/årsak/summary annotation on the incident's alerts",
    "expected_duration": "no expected_resolution annotation on the incident's alerts",
    "emergency_112": "no emergency_112 criterion in any assessment: state the effect on 112",
    "what_you_can_do": "what the subscriber should do (change a password, watch for fraud…)",
    "notice_means": "how subscribers were told (SMS, e-mail, letter, web page)",
    "notice_copy": "sent once the subscriber notice was sent",
    "notice_sent_at": "sent once the subscriber notice was sent",
    "measures_applied": "say whether the data was unreadable to outsiders (encryption…)",
    "cross_border": "subscribers in other countries? other authorities notified?",
    "other_providers": "other providers involved, if any",
}


def _values(
    kind: str, regulator: str, doc: Mapping[str, Any], operator: Sender
) -> dict[str, tuple[str, str]]:
    """Prefilled ``key → (value, source)``; keys missing here are left to complete."""
    impact: Mapping[str, Any] = doc.get("impact") or {}
    lang = LANGUAGES[regulator]
    out: dict[str, tuple[str, str]] = {}
    services = _services(impact)
    if services:
        out["services"] = out["networks_services"] = (services, "impact.by_service")
    regions = _regions(impact, lang)
    if regions:
        out["scope_geography"] = (regions, "impact.by_region + region_names")
    customers = _customers(impact, lang)
    if customers:
        out["scope_customers"] = out["active_connections"] = (customers, "impact")
    started = _time(doc.get("started_at"))
    if started is not None:
        out["started_at"] = (local_time(started, regulator), "incident.started_at")
    if regions or started is not None:
        out["scope"] = (_pts_scope(doc, regions, started), "impact + incident times")
    cause = _cause(doc)
    if cause:
        for key in ("cause", "cause_preliminary", "causes"):
            out[key] = cause
    societal = _societal(doc, lang)
    if societal:
        out["scope_societal"] = societal
    e112 = _emergency_112(doc, regulator)
    if e112:
        out["emergency_112"] = e112
    duration = _expected(kind, doc, regulator)
    if duration:
        out["expected_duration"] = duration
    out["contact"] = (_contact(operator, lang), "operator.contact (config)")
    out["reference"] = (reference_number(operator.org_number, str(doc["id"])), "incident id")
    return out


def _num(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def _aware(text: str) -> datetime | None:
    """An ISO time with an offset; a naive or unparsable one is not guessed at."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _services(impact: Mapping[str, Any]) -> str:
    by_service: Mapping[str, int] = impact.get("by_service") or {}
    return ", ".join(sorted(s for s, n in by_service.items() if n > 0))


def _regions(impact: Mapping[str, Any], lang: str) -> str:
    by_region: Mapping[str, int] = impact.get("by_region") or {}
    names: Mapping[str, str] = impact.get("region_names") or {}
    unit = "tilknytninger" if lang == "nb" else "anslutningar"
    rows = sorted(by_region.items(), key=lambda kv: (-kv[1], kv[0]))
    return "\n".join(
        f"{names[r]} ({r}): {_num(n)} {unit}" if r in names else f"{r}: {_num(n)} {unit}"
        for r, n in rows
        if n > 0
    )


def _customers(impact: Mapping[str, Any], lang: str) -> str:
    peak = int(impact.get("peak") or 0)
    if not peak:
        return ""
    by_service: Mapping[str, int] = impact.get("by_service") or {}
    per = ", ".join(f"{s} {_num(n)}" for s, n in sorted(by_service.items()) if n > 0)
    current = int(impact.get("current") or 0)
    outage = int((impact.get("outage") or {}).get("peak") or 0)
    degraded = int((impact.get("degradation") or {}).get("peak") or 0)
    if lang == "nb":
        return (
            f"Inntil {_num(peak)} berørte tilknytninger ({per}){_still(current, peak, lang)}. "
            f"Utfall: inntil {_num(outage)}, redusert kvalitet: inntil {_num(degraded)}."
        )
    return (
        f"Högst {_num(peak)} aktiva anslutningar påverkade ({per}){_still(current, peak, lang)}. "
        f"Avbrott: högst {_num(outage)}, störning: högst {_num(degraded)}."
    )


def _still(current: int, peak: int, lang: str) -> str:
    """Whether connections are still affected, not how many right now: the figure would change
    with every alert and re-render the draft each time (updates carry significant changes)."""
    if current == 0:
        return "; ingen berørt nå" if lang == "nb" else "; inga påverkade längre"
    if current == peak:
        return ""
    return "; fortsatt delvis berørt" if lang == "nb" else "; fortfarande delvis påverkade"


def _pts_scope(doc: Mapping[str, Any], regions: str, started: datetime | None) -> str:
    lines = []
    if started is not None:
        ended = _time(doc.get("remedied_at")) or _time(doc.get("ended_at"))
        since = f"Från {local_time(started, 'pts')}"
        lines.append(f"{since} till {local_time(ended, 'pts')}." if ended else f"{since}, pågår.")
    if regions:
        lines.append(f"Berörda områden:\n{regions}")
    return "\n".join(lines)


def _annotations(doc: Mapping[str, Any]) -> Iterable[Mapping[str, str]]:
    for alert in doc.get("alert_details") or ():
        yield alert.get("annotations") or {}


def _cause(doc: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first cause-like annotation of each alert, distinct values joined."""
    found: list[str] = []
    names: list[str] = []
    for notes in _annotations(doc):
        for name in CAUSE_ANNOTATIONS:
            value = notes.get(name, "").strip()
            if value:
                if value not in found:
                    found.append(value)
                    names.append(name)
                break
    if not found:
        return None
    return "\n".join(found), f"alert annotation(s) {', '.join(sorted(set(names)))}"


def _criteria(doc: Mapping[str, Any], kind: str, prefer: str) -> Sequence[Mapping[str, Any]]:
    """Criteria of ``kind`` from the ``prefer``-ed regulator's assessment, else from any."""
    assessments: Sequence[Mapping[str, Any]] = doc.get("assessments") or ()
    ordered = sorted(assessments, key=lambda a: a.get("regulator") != prefer)
    for a in ordered:
        hits = [c for c in a.get("criteria") or () if c.get("kind") == kind]
        if hits:
            return hits
    return []


def _flag(doc: Mapping[str, Any], kind: str, regulator: str) -> tuple[bool, str] | None:
    hits = _criteria(doc, kind, regulator)
    if not hits:
        return None
    reasons = "; ".join(str(c.get("reason", "")) for c in hits)
    return any(c.get("met") for c in hits), f"{kind} criterion: {reasons}"


def _emergency_112(doc: Mapping[str, Any], regulator: str) -> tuple[str, str] | None:
    flag = _flag(doc, "emergency_112", regulator)
    if flag is None:
        return None
    met, source = flag
    value = (
        "Ja: element som är kritiska för 112-samtal är berörda enligt nätinventariet."
        if met
        else "Inga element som är kritiska för 112-samtal är berörda enligt nätinventariet."
    )
    return value, source


def _societal(doc: Mapping[str, Any], lang: str) -> tuple[str, str] | None:
    regulator = "nkom" if lang == "nb" else "pts"
    societal = _flag(doc, "societal", regulator)
    e112 = _flag(doc, "emergency_112", regulator)
    if societal is None and e112 is None:
        return None
    parts = []
    if societal is not None:
        parts.append(
            "Samfunnsviktige brukere er berørt ifølge nettinventaret."
            if societal[0]
            else "Ingen samfunnsviktige brukere er berørt ifølge nettinventaret."
        )
    if e112 is not None:
        parts.append(
            "Elementer som er kritiske for nødnummer (112) er berørt."
            if e112[0]
            else "Ingen elementer som er kritiske for nødnummer (112) er berørt."
        )
    sources = "; ".join(f[1] for f in (societal, e112) if f is not None)
    return " ".join(parts), sources


def _expected(kind: str, doc: Mapping[str, Any], regulator: str) -> tuple[str, str] | None:
    if kind == "nkom_normalised":
        ended = _time(doc.get("remedied_at")) or _time(doc.get("ended_at"))
        if ended is not None:
            return f"Normalisert {local_time(ended, regulator)}.", "incident.remedied_at"
    for notes in _annotations(doc):
        value = notes.get(RESOLUTION_ANNOTATION, "").strip()
        if value:
            when = _aware(value)
            if when is not None:  # else free text such as "2 hours", shown as written
                value = local_time(when, regulator)
            return value, f"alert annotation {RESOLUTION_ANNOTATION}"
    return None


def _contact(operator: Sender, lang: str) -> str:
    phone, email = ("tlf.", "e-post") if lang == "nb" else ("tel.", "e-post")
    parts = [p for p in (operator.contact_name, operator.name) if p]
    if operator.phone:
        parts.append(f"{phone} {operator.phone}")
    if operator.email:
        parts.append(f"{email} {operator.email}")
    return ", ".join(parts)
