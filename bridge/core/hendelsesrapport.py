"""Nkom's hendelsesrapport (incident report on Nkom's request): the sections and fields of
Nkom's template (seed 003, "Mal for hendelsesrapport til Nkom"), prefilled from an incident
document. Pure.

Contract:
- :data:`SECTIONS` holds every section of Nkom's template in its order, with its heading in
  Nkom's own words, and the fields under it (:data:`LABELS`, bokmål, Nkom's wording shortened
  where a bullet holds several questions). Every field of the template is present.
- :func:`values` answers ``key → (value, source)`` for what the bridge knows: when (start
  and end), when and how it was detected (the first alert and the monitoring that raised it;
  for an incident opened by hand, that a person entered it and when, while when it was
  noticed is left to a person), the cause (the alerts' cause annotation), the services,
  geography, customers and societally important users, the duration from loss to restored
  service, the notices sent (every one the bridge sent for the incident, to authorities and to
  subscribers: when, which, to whom, how, from the incident's sent drafts as the audit records
  them), the time of the normal state, Nkom's requests the report answers (received, deadline,
  Nkom's reference; one per reference; those an earlier report answered are left out by the
  caller) and the contact. The measures, the technical damage, the lessons learned and what
  the bridge cannot know (:data:`PERSON`: where the fault was, the customers' areas being no
  fault location; notices to customers and other providers sent outside the bridge) are never
  prefilled: a person writes them, or names them in ``send_unknown`` at approval (Nkom then
  reads "Ikke kjent ennå").
- Which institutions the societally important users are is left to a person too (the
  inventory flags an element as societally important without naming whom it serves), except
  when the incident's impact reached no such element (the impact itself, not whether a
  criterion was met): "Ingen, så langt vi kjenner til.".
- The caller gives the outage notices' own bokmål wording of services, areas, customers and
  societal functions, and how to write a time (Oslo time, ``23.11.2026 kl. 08.42``) and a span.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core.alerts import read_time
from bridge.core.manual import ALERT_NAME as BY_HAND  # an incident opened by hand
from bridge.core.manual import entered_at, started_by_hand
from bridge.core.privacy_fields import SUBSCRIBER_KINDS

KIND = "nkom_hendelsesrapport"
TITLE = "Hendelsesrapport"

#: Nkom's template: (section heading, its fields), in order.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Anmodning fra Nkom", ("request",)),
    (
        "Beskrivelse av selve hendelsen og foranledningen til den",
        ("where", "when", "detected_at", "detected_how", "cause"),
    ),
    (
        "Direkte konsekvenser av hendelsen",
        (
            "technical_damage",
            "services",
            "geography",
            "customers",
            "societal",
            "institutions",
            "duration",
        ),
    ),
    ("Skadeforebyggende tiltak", ("prevention", "prevention_effect")),
    (
        "Skadereduserende tiltak",
        ("mitigation", "notices_sent", "notices_others", "regulated_equipment"),
    ),
    ("Utbedring/reparasjon", ("repair", "repair_schedule", "normal_at")),
    (
        "Erfaringer og vurderinger",
        ("lessons_different", "lessons_if_failed", "lessons_recurrence", "lessons_damage"),
    ),
    ("Kontaktperson", ("contact",)),
)
FIELD_KEYS: tuple[str, ...] = tuple(k for _, keys in SECTIONS for k in keys)

LABELS: Mapping[str, str] = {
    "request": "Nkoms anmodning om hendelsesrapport",
    "where": "Hvor skjedde hendelsen?",
    "when": "Når skjedde hendelsen?",
    "detected_at": "Når ble hendelsen oppdaget?",
    "detected_how": "Hvordan ble hendelsen detektert/rapportert?",
    "cause": (
        "Hva var årsak til hendelsen (eventuelt antatt årsak, og hvilke tiltak som eventuelt "
        "er iverksatt for å identifisere årsak)?"
    ),
    "technical_damage": "Teknisk skadeomfang, både direkte skader og følgeskader",
    "services": "Hvilke tjenester som er omfattet",
    "geography": "Geografisk kundeområde som er berørt",
    "customers": "Svikt i / utfall av tjenesteleveranse til egne sluttkunder og andre tilbydere",
    # Nkom asks both in one bullet; the bridge knows the first (the inventory's flags), only a
    # person the second, so each has its own answer
    "societal": "Samfunnsviktige brukere som ble rammet (for eksempel sykehus)",
    "institutions": "Konkret hvilke institusjoner dette gjelder",
    "duration": (
        "Varighet mellom bortfall av tjeneste og når tjenesten ble regnet som tilgjengelig "
        "igjen for sluttkunder og andre tilbydere"
    ),
    "prevention": "Tiltak iverksatt for å forhindre/redusere antallet slike hendelser senere",
    "prevention_effect": "Mulige reduserte skader og/eller konsekvenser ved slike tiltak",
    "mitigation": (
        "Tiltak iverksatt for å redusere skadekonsekvensene etter at hendelsen var detektert: "
        "tiltak, tidspunkt, hvem som iverksatte det, og hvilke resultater det ga"
    ),
    "notices_sent": (
        "Varsling til myndigheter, egne kunder og andre tilbydere: når, til hvilken funksjon, "
        "informasjon formidlet og varslingsmedium"
    ),
    "notices_others": "Øvrig varsling til egne kunder og andre tilbydere",
    "regulated_equipment": (
        "Ble myndighetsregulert utstyr benyttet til å håndtere hendelsen? I så fall: hvilket "
        "utstyr, geografisk plassering og erfaringen med bruken"
    ),
    "repair": "Tiltak iverksatt for å utbedre skade(r)",
    "repair_schedule": "Tidsplan for gjennomføring av tiltak",
    "normal_at": "Tidspunkt for normalsituasjon",
    "lessons_different": (
        "Hva kunne vært gjort annerledes i forkant og under håndtering av hendelsen "
        "(eksisterende eller manglende rutiner og tiltak, eventuelle avvik fra rutiner)?"
    ),
    "lessons_if_failed": (
        "Hvis de skadeforebyggende og skadereduserende tiltakene ikke hadde fungert, hvilke "
        "konsekvenser ville dette hatt for skadeomfanget?"
    ),
    "lessons_recurrence": "Hva kan gjøres for å eliminere/redusere faren for gjentagelse?",
    "lessons_damage": "Hva kan gjøres for å eliminere/redusere eventuelle skader (antall/omfang)?",
    "contact": "Kontaktperson hos tilbyder (telefon og e-post) for eventuell oppfølging",
}

#: What only a person can write (the bridge never prefills it), with what to write.
PERSON: Mapping[str, str] = {
    # the bridge knows the customers' areas (answered under "Geografisk kundeområde"), never
    # where the fault was: an inventory key is no place Nkom can read
    "where": (
        "where the fault was (the site, node or cable route, in words for Nkom, never an "
        "inventory key): the bridge knows only the areas of the affected customers, stated "
        "under 'Geografisk kundeområde som er berørt'"
    ),
    "technical_damage": "the technical damage, direct and consequential",
    "prevention": "measures taken so that such incidents happen less often",
    "prevention_effect": "what damage or consequences such measures may reduce",
    "mitigation": "what was done after detection, when, by whom, with what result",
    "regulated_equipment": "was regulated equipment used? if so which, where, and how it went",
    "repair": "the measures taken to repair the damage",
    "repair_schedule": "when the repair measures are or were carried out",
    "lessons_different": "what could have been done differently, before and during",
    "lessons_if_failed": "the consequences had the measures not worked",
    "lessons_recurrence": "what can eliminate or reduce the risk of recurrence",
    "lessons_damage": "what can eliminate or reduce damage",
    "notices_others": (
        "how and when own customers (SMS, web page, phone…) and other providers were told, "
        "beyond the notices listed above: the bridge does not know"
    ),
}
#: What a person should add where the incident cannot say (shown in the console, not sent).
TO_ADD: Mapping[str, str] = {
    **PERSON,
    "request": "record Nkom's request on the incident",
    "when": "the incident has no start time",
    "detected_at": (
        "when the incident was first noticed or reported to you: it was opened by hand (the "
        "bridge knows only when it was entered, said under 'Hvordan ble hendelsen "
        "detektert/rapportert?'), or has no start time"
    ),
    "detected_how": "how the incident was detected or reported",
    "cause": (
        "no cause/årsak/summary annotation on the incident's alerts, or more than 3 different "
        "ones, or one longer than 1000 characters"
    ),
    "services": "which services were affected",
    "geography": "which customer areas were affected",
    "customers": "how many end customers and which other providers were affected",
    "societal": (
        "not known from the impact (the inventory flags no societally important element in "
        "Norway, or some alerts could not be placed): name the societal functions affected"
    ),
    "institutions": (
        "which institutions (hospital, emergency service…) the societally important users "
        "are: the inventory flags elements as societally important without naming them"
    ),
    "duration": "the incident has no end yet",
    "normal_at": "the incident has no end yet",
    "contact": (
        "who Nkom may contact: none is configured (operator.jurisdictions.NO.contacts.outage, "
        "else operator.contacts.outage, else operator.contact)"
    ),
}


@dataclass(frozen=True, slots=True)
class SentNotice:
    """A notice of the incident that was sent (from its draft and the audit of its sending)."""

    at: datetime
    name: str  # "Nkom – første varsel", in bokmål
    recipient: str
    channel: str  # email or portal
    reference: str = ""  # the portal's receipt id, if recorded
    kind: str = ""  # the draft's kind: a subscriber notice is listed as one to customers


def values(
    doc: Mapping[str, Any],
    when: Callable[[datetime], str],
    span: Callable[[float], str],
    services: str,
    geography: str,
    customers: str,
    societal: tuple[str, str] | None,
    societal_affected: bool | None,
    cause: tuple[str, str] | None,
    sent: Sequence[SentNotice],
    contact: tuple[str, str],
) -> dict[str, tuple[str, str]]:
    """Prefilled ``key → (value, source)`` (see the module contract); the keys of
    :data:`PERSON` are never among them. ``societal_affected``: whether the incident's impact
    reached a societally important element in Norway (None: not known)."""
    out: dict[str, tuple[str, str]] = {}
    request = _request(doc, when)
    if request is not None:
        out["request"] = request
    started = read_time(doc.get("started_at"))
    restored = read_time(doc.get("remedied_at"))
    if geography:
        out["geography"] = (geography, "impact.by_region + region_names")
    if started is not None:
        text = f"Hendelsen oppsto {when(started)}"
        text += f" og varte til {when(restored)}." if restored is not None else " og pågår."
        out["when"] = (text, "incident.started_at, incident.remedied_at")
        if not started_by_hand(doc):  # opened by hand: only a person knows when it was noticed
            out["detected_at"] = (
                f"{when(started)}, da den første alarmen ble utløst.",
                "incident.started_at (the first alert)",
            )
    how = _detected_how(doc, when)
    if how is not None:
        out["detected_how"] = how
    if cause is not None:
        out["cause"] = cause
    if services:
        out["services"] = (services, "impact.by_service + services (config)")
    if customers:
        out["customers"] = (customers, "impact")
    if societal is not None:
        out["societal"] = societal
    if societal_affected is False:
        out["institutions"] = (
            "Ingen, så langt vi kjenner til.",
            "impact.flags: no societally important element affected",
        )
    if started is not None and restored is not None:
        out["duration"] = (
            f"{span((restored - started).total_seconds())}: fra {when(started)} til "
            f"{when(restored)}.",
            "incident.started_at to incident.remedied_at",
        )
        out["normal_at"] = (when(restored), "incident.remedied_at (every alert resolved)")
    out["notices_sent"] = (_notices(sent, when), "the incident's sent notices (drafts, audit)")
    out["contact"] = contact
    return {k: v for k, v in out.items() if k not in PERSON}


def nkom_references(doc: Mapping[str, Any]) -> tuple[str, ...]:
    """Nkom's own references of the requests the report answers (those ``doc`` lists), in the
    order :func:`_request` names them (oldest first), each once; requests without one are
    left out. The report's subject names them, so Nkom's case handler can file it."""
    found: dict[str, datetime] = {}
    for r in doc.get("report_requests") or ():
        reference = str(r.get("reference") or "").strip()
        received = read_time(r.get("received_at"))
        if r.get("kind") != KIND or not reference or received is None:
            continue
        if read_time(r.get("deadline")) is None:
            continue
        found[reference] = min(found.get(reference, received), received)
    return tuple(sorted(found, key=lambda ref: (found[ref], ref)))


def _request(doc: Mapping[str, Any], when: Callable[[datetime], str]) -> tuple[str, str] | None:
    """Nkom's requests: each one's receipt, deadline and Nkom's reference, oldest first. One
    incident can carry several (Nkom asked again; incidents merged into it were asked about
    under their own references): the report answers every one of them its document lists
    (the caller leaves out those an earlier report answered:
    :func:`bridge.core.case_drafts.still_asked`), so Nkom's case handler finds the reference
    they filed it under. Records of one reference are one
    request (a retry recorded twice, a deadline Nkom moved, as records written before the
    bridge merged them hold): received when first recorded, due by the latest recorded
    deadline."""
    found: list[tuple[datetime, datetime, str]] = []
    named: dict[str, int] = {}  # reference → its place in found
    for r in doc.get("report_requests") or ():
        if r.get("kind") != KIND:
            continue
        received, deadline = read_time(r.get("received_at")), read_time(r.get("deadline"))
        if received is None or deadline is None:
            continue
        reference = str(r.get("reference") or "").strip()
        if reference in named:
            first = found[named[reference]][0]
            found[named[reference]] = (min(first, received), deadline, reference)
            continue
        asked = (received, deadline, reference)
        if asked not in found:
            if reference:
                named[reference] = len(found)
            found.append(asked)
    if not found:
        return None
    source = "report_requests (recorded by a person)"
    if len(found) == 1:
        received, deadline, reference = found[0]
        text = f"Anmodningen ble mottatt {when(received)}, med frist {when(deadline)}."
        if reference:
            text += f" Nkoms referanse: {reference}."
        return text, source
    each = [
        f"mottatt {when(received)}, med frist {when(deadline)}"
        + (f" (Nkoms referanse: {reference})" if reference else "")
        for received, deadline, reference in sorted(found)
    ]
    return f"Nkom har sendt {len(found)} anmodninger: " + "; ".join(each) + ".", source


def _detected_how(
    doc: Mapping[str, Any], when: Callable[[datetime], str]
) -> tuple[str, str] | None:
    alerts: Sequence[Mapping[str, Any]] = doc.get("alert_details") or ()
    if not alerts and not doc.get("alerts"):
        return None
    manual = [a for a in alerts if (a.get("labels") or {}).get("alertname") == BY_HAND]
    if alerts and len(manual) == len(alerts):
        entered = entered_at(doc)
        at = f" {when(entered)}" if entered is not None else ""
        return (
            f"Rapportert manuelt: hendelsen ble registrert av driftspersonell{at}.",
            "incident opened by hand (its alerts' first_seen: when it was entered)",
        )
    count = len(alerts) or len(doc.get("alerts") or ())
    noun = "alarm" if count == 1 else "alarmer"
    return (
        f"Detektert automatisk av driftsovervåkingen ({count} {noun}).",
        "the incident's alerts (Alertmanager)",
    )


def _notices(sent: Sequence[SentNotice], when: Callable[[datetime], str]) -> str:
    """Every notice the bridge sent for the incident, oldest first: to authorities, then to
    customers (subscriber notices) if any."""
    customers = [n for n in sent if n.kind in SUBSCRIBER_KINDS]
    authorities = [n for n in sent if n.kind not in SUBSCRIBER_KINDS]
    lines = (
        ["Varsler sendt til myndigheter:", *_listed(authorities, when)]
        if authorities
        else ["Det er ikke sendt varsel om hendelsen til myndigheter."]
    )
    if customers:
        lines += ["Varsler sendt til egne kunder:", *_listed(customers, when)]
    return "\n".join(lines)


def _listed(sent: Sequence[SentNotice], when: Callable[[datetime], str]) -> list[str]:
    lines = []
    for n in sorted(sent, key=lambda n: n.at):
        how = "e-post" if n.channel == "email" else "myndighetens portal"
        to = f" til {n.recipient}" if n.recipient else ""
        ref = f", kvittering {n.reference}" if n.reference else ""
        lines.append(f"- {when(n.at)}: {n.name}{to} ({how}{ref}).")
    return lines
