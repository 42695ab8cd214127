"""Notice drafts: the structured fields each regulator asks for, prefilled from an incident. Pure.

Contract:
- :func:`draft_fields` takes an incident *document* (:func:`bridge.core.documents.document`, the
  API shape; a stored document works too but has no alert annotations, so the cause stays to
  be completed), the operator (named as registered in the regulator's country,
  :meth:`Sender.of`), the recipient and ``now``, and returns :class:`DraftFields`
  whose ``fields`` hold exactly the content docs/regulation.md lists for the kind, in that order
  (:data:`FIELD_KEYS`), labelled in the regulator's language (bokmål for Nkom, Swedish for PTS).
- A field the incident cannot answer (measures taken, risk to life and health…) is present
  with an empty value: ``to_complete`` is true and templates show ``placeholder``. Every
  prefilled field says in ``source`` where its value came from.
- Times are shown in the regulator's local zone (Europe/Oslo, Europe/Stockholm), each with
  the zone named ("norsk tid", "svensk tid"; in the repeated autumn hour, which one and its
  offset): :func:`local_time`.
- :func:`reference_number` depends only on the operator's organisation number (in the
  regulator's country) and the incident id (which is stable), so every draft of one incident
  to one country carries the same reference. Once a regulator was sent a reference, what the
  incident became carries that one (:class:`Carried`, chosen by
  :func:`bridge.core.case_drafts.references`): the host of a merge names the reference the
  regulator holds and, in the regulator's language, any other one it now also covers
  (:func:`reference_note`).
- Rendering the fields into text and HTML reads template files and lives in
  :mod:`bridge.notices`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bridge.core import cyber_fields, hendelsesrapport, person_text, privacy_fields
from bridge.core.alerts import read_time
from bridge.core.country_view import ELSEWHERE, scoped
from bridge.core.hendelsesrapport import SentNotice
from bridge.core.repeal import after_repeal
from bridge.errors import BadInput

NKOM_KINDS = ("nkom_varsel", "nkom_update", "nkom_normalised")
HENDELSESRAPPORT = hendelsesrapport.KIND  # on Nkom's request (its fields: that module's)
PTS_KINDS = ("pts_initial", "pts_supplementary")
PRIVACY_KINDS = privacy_fields.KINDS
CYBER_KINDS = cyber_fields.KINDS
KINDS = (*NKOM_KINDS, HENDELSESRAPPORT, *PTS_KINDS, *PRIVACY_KINDS, *CYBER_KINDS)

_NKOM_KEYS = (
    "started_at",
    "services",
    "severity",  # the provider's own rating, when its alerts carry one (:data:`OPTIONAL`)
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
    "nkom_update": ("changes", *_NKOM_KEYS),
    # the normalised notice says when and how it ended instead of an expected duration (and
    # no severity: one is read from firing alerts, and none fires once it is over)
    "nkom_normalised": (
        "changes",
        "normalised",
        *(k for k in _NKOM_KEYS if k not in ("severity", "expected_duration")),
    ),
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
        "changes",
        "causes",
        "public_information",
        "effect_minimisation",
        "remedy",
        "recurrence_prevention",
        "reference",
    ),
    **privacy_fields.FIELD_KEYS,
    HENDELSESRAPPORT: hendelsesrapport.FIELD_KEYS,
}

LABELS: dict[str, dict[str, str]] = {
    "nb": {
        # Nkom's own words: seed 003 "Hva skal varselet inneholde?"
        "changes": "Endringer siden forrige varsel",
        "normalised": "Normalisert",
        "started_at": "Når hendelsen oppsto",
        "services": "Ekomtjenester som er rammet",
        # seed 003: "hendelser som tilbyder selv kategoriserer til alvorlighetsgrad alvorlig
        # eller kritisk" must be notified
        "severity": "Alvorlighetsgrad (tilbyders egen kategorisering)",
        "scope_geography": "Omfang – geografisk omfang",
        "scope_customers": "Omfang – berørte kunder",
        "scope_societal": "Omfang – samfunnsviktige funksjoner",
        "scope_life_health": "Omfang – om liv og helse er eller kan være rammet",
        "expected_duration": "Varighet før hendelsen er forventet normalisert",
        "cause": "Årsak",
        "contact": "Kontaktperson hos tilbyder (telefon og e-post)",
    },
    "sv": {
        # PTS's own words: seed 002 "vad ska incidentrapporterna innehålla?"
        "networks_services": "Kommunikationsnät och/eller kommunikationstjänster som berörts",
        "scope": "Störningens eller avbrottets omfattning",
        "cause_preliminary": "Tillhandahållarens preliminära bedömning av orsaken",
        "active_connections": (
            "Hur störningen eller avbrottet påverkade eller fortfarande påverkar berörda "
            "aktiva anslutningar"
        ),
        "emergency_112": "Begränsningar i möjligheten att ringa nödsamtal (112)",
        "contact": "Tillhandahållarens kontaktperson",
        "reference": "Referensnummer",
        "changes": "Ändringar sedan den inledande rapporten",
        "causes": "Orsakerna till störningen eller avbrottet",
        "public_information": "Information som har lämnats till allmänheten och berörda abonnenter",
        "effect_minimisation": "Åtgärder för att minimera effekterna av störningen",
        "remedy": "Åtgärder för att avhjälpa de fel och brister som orsakade störningen",
        "recurrence_prevention": "Åtgärder för att undvika att liknande störningar inträffar igen",
        **privacy_fields.LABELS["sv"],
    },
}
LABELS["nb"].update(privacy_fields.LABELS["nb"])

TITLES = {
    "nkom_varsel": "Varsel om hendelse",
    "nkom_update": "Oppdatert varsel om hendelse",
    "nkom_normalised": "Varsel om normalisert situasjon",
    HENDELSESRAPPORT: hendelsesrapport.TITLE,
    "pts_initial": "Inledande rapport om störning eller avbrott",
    "pts_supplementary": "Kompletterande rapport om störning eller avbrott",
    **privacy_fields.TITLES,
}

ZONES = {"nkom": "Europe/Oslo", "pts": "Europe/Stockholm", "csirt": "Europe/Stockholm"}
LANGUAGES = {"nkom": "nb", "pts": "sv", "csirt": "sv"}
DEFAULT_RECIPIENTS = {"nkom": "ekomvarsling@nkom.no", "pts": "incidentrapport@pts.se"}
#: The country whose provider a regulator's notices come from (:meth:`Sender.of`).
JURISDICTIONS = {"nkom": "NO", "pts": "SE", "csirt": "SE"}
#: What a regulator reads for a field nobody could answer yet. Sent only for the fields the
#: approver named (``casework.approve``'s ``send_unknown``); never a placeholder token.
UNKNOWN = {"nb": "Ikke kjent ennå", "sv": "Ännu inte känt"}
PLACEHOLDERS = UNKNOWN  # the older name (templates use ``d.placeholder``)

#: How each language abbreviates "organisation number" (one form per language, everywhere:
#: the templates write the same): Swedish ``org.nr``, bokmål ``org.nr.``.
ORG_NR = {"sv": "org.nr", "nb": "org.nr."}

#: Display names of the common services (``services`` in bridge.yaml adds and overrides). A
#: notice never shows an inventory key.
DEFAULT_SERVICE_NAMES: dict[str, dict[str, str]] = {
    "internet": {"sv": "Bredband", "nb": "Bredbånd"},
    "broadband": {"sv": "Bredband", "nb": "Bredbånd"},
    "mobile": {"sv": "Mobiltelefoni och mobildata", "nb": "Mobiltelefoni og mobildata"},
    "mobile_data": {"sv": "Mobildata", "nb": "Mobildata"},
    "telephony": {"sv": "Fast telefoni", "nb": "Fasttelefoni"},
    "voice": {"sv": "Telefoni", "nb": "Telefoni"},
    "voip": {"sv": "IP-telefoni", "nb": "IP-telefoni"},
    "tv": {"sv": "TV", "nb": "TV"},
    "iptv": {"sv": "IP-TV", "nb": "IP-TV"},
    "cell": {"sv": "Mobilnät (basstationer)", "nb": "Mobilnett (basestasjoner)"},
}

#: Which of the operator's contacts signs each kind (``operator.contacts`` in bridge.yaml).
OUTAGE, PRIVACY, SUBSCRIBER = "outage", "privacy", "subscriber"

#: Whose e-mail the answer to a notice of each track (:func:`contact_track`) goes to, tried in
#: order before the country's general reply address (:func:`reply_for`): an outage notice's
#: (and a cybersecurity report's) to the general address; a privacy report's to the privacy
#: contact point; a subscriber notice's to the subscriber channel it sends people to, else the
#: privacy contact point. An answer about a personal-data breach may quote personal data: it
#: goes to the general address (the NOC) only when no privacy role names an e-mail.
REPLY_TRACKS: dict[str, tuple[str, ...]] = {
    OUTAGE: (),
    PRIVACY: (PRIVACY,),
    SUBSCRIBER: (SUBSCRIBER, PRIVACY),
}

CAUSE_ANNOTATIONS = ("cause", "årsak", "summary")
RESOLUTION_ANNOTATION = "expected_resolution"


@dataclass(frozen=True, slots=True)
class RenderedDraft:
    """A draft as the regulator receives it (rendered by :mod:`bridge.notices`)."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Contact:
    """One of the operator's contacts as a notice names it. ``web``: a page (the subscriber
    channel's); ``verification``: per language, how the channel checks who is asking;
    ``names``, ``phones``: ``name`` and ``phone`` per language (the notice's), where they
    differ between the countries."""

    name: str = ""
    phone: str = ""
    email: str = ""
    web: str = ""
    verification: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    phones: Mapping[str, str] = field(default_factory=dict)

    def name_in(self, lang: str) -> str:
        return self.names.get(lang) or self.name

    def phone_in(self, lang: str) -> str:
        return self.phones.get(lang) or self.phone


@dataclass(frozen=True, slots=True)
class Reply:
    """Where the answer to a notice goes: its e-mail's Reply-To (``address``; empty: none, the
    answer goes to From) and the configuration ``key`` it came from (a note for people, never
    sent). ``general``: the notice's track names its own contacts first (privacy, subscriber)
    but none of them has an e-mail, so the answer goes to the country's general address."""

    address: str
    key: str
    general: bool = False


def reply_for(track: str, own: Mapping[str, tuple[str, str]], general: tuple[str, str]) -> Reply:
    """The Reply-To of a notice of ``track`` (:data:`REPLY_TRACKS`): the first of its tracks
    whose contact names an e-mail (``own``: track → (e-mail, key), the country's contact's
    e-mail if it names one, else the operator's), else ``general`` (the country's ``reply_to``,
    else ``operator.contact.email``: (e-mail, key)), then marked ``general`` for a privacy or
    subscriber notice."""
    chain = REPLY_TRACKS.get(track, ())
    for candidate in chain:
        address, key = own.get(candidate, ("", ""))
        if address:
            return Reply(address, key)
    return Reply(*general, general=bool(chain))


@dataclass(frozen=True, slots=True)
class Identity:
    """The provider as registered in one country (``operator.jurisdictions`` in bridge.yaml):
    empty fields, and tracks ``contacts`` leaves out, are the operator's own."""

    name: str = ""
    org_number: str = ""
    contacts: Mapping[str, Contact] = field(default_factory=dict)
    reply_to: str = ""  # where answers to this country's outage notices go (:func:`reply_for`)


@dataclass(frozen=True, slots=True)
class Sender:
    """The operator as a notice names it (built from ``OperatorConfig`` outside the core).
    ``contact_name``, ``phone`` and ``email`` are the default contact; ``contacts`` holds one
    per track (``outage``, ``privacy``, ``subscriber``) where the configuration names one, and
    ``origins`` the configuration key each came from (a note for people, never sent);
    ``identities`` the provider registered in a country (:meth:`of`); ``reply_to`` the general
    address a regulator's answer goes to (empty: none, answers go to From) and ``reply_key``
    the key it came from; ``track_emails`` the e-mail each track's own contact names (track →
    (e-mail, key)): :meth:`reply` chooses a notice's Reply-To by its track."""

    name: str
    org_number: str
    contact_name: str
    phone: str
    email: str
    contacts: Mapping[str, Contact] = field(default_factory=dict)
    identities: Mapping[str, Identity] = field(default_factory=dict)
    reply_to: str = ""
    origins: Mapping[str, str] = field(default_factory=dict)
    reply_key: str = "operator.contact.email"
    track_emails: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def of(self, jurisdiction: str) -> Sender:
        """The operator as the notices of ``jurisdiction`` (``SE``, ``NO``) name it: its
        identity there (name, organisation number, contacts per track, reply address; a
        track's e-mail for replies only where its contact there names one), each part it leaves
        out the operator's own; the operator itself when it has none there."""
        found = self.identities.get(jurisdiction)
        if found is None:
            return self
        where = f"operator.jurisdictions.{jurisdiction}"
        return replace(
            self,
            name=found.name or self.name,
            org_number=found.org_number or self.org_number,
            contacts={**self.contacts, **found.contacts},
            origins={**self.origins, **{t: f"{where}.contacts.{t}" for t in found.contacts}},
            reply_to=found.reply_to or self.reply_to,
            reply_key=f"{where}.reply_to" if found.reply_to else self.reply_key,
            track_emails={
                **self.track_emails,
                **{
                    t: (c.email, f"{where}.contacts.{t}.email")
                    for t, c in found.contacts.items()
                    if c.email
                },
            },
            identities={},
        )

    def reply(self, track: str) -> Reply:
        """Where the answer to a notice of ``track`` goes (:func:`reply_for`; call it on the
        operator as a country names it, :meth:`of`)."""
        return reply_for(track, self.track_emails, (self.reply_to, self.reply_key))

    def contact(self, track: str) -> Contact:
        """The contact of ``track``, else the default one."""
        found = self.contacts.get(track)
        if found is not None:
            return found
        return Contact(self.contact_name, self.phone, self.email)

    def origin(self, track: str) -> str:
        """The configuration key the contact of ``track`` came from (:meth:`contact`): a
        drafting note for people, never part of a notice."""
        found = self.origins.get(track)
        if found is not None:
            return found
        return f"operator.contacts.{track}" if track in self.contacts else "operator.contact"


def contact_track(kind: str) -> str:
    """Whose contact a kind carries: subscriber notices the subscriber channel, privacy reports
    the privacy contact point, outage notices the outage duty."""
    if kind in privacy_fields.SUBSCRIBER_KINDS:
        return SUBSCRIBER
    if kind in PRIVACY_KINDS:
        return PRIVACY
    return OUTAGE


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
    # said first, above everything: the duty behind the kind was repealed before the incident
    # began, so this is no report owed to the regulator (:func:`repealed_statement`)
    repealed: str = ""
    # the normalised notice's first sentence: whether it follows a varsel that was sent
    # (:func:`normalised_lead`); a notice to subscribers' first sentence after the greeting,
    # a breach's or a risk's (:func:`bridge.core.privacy_fields.subscriber_lead`); a CSIRT
    # report's: what it says of itself (its form's statement: a significant incident, or a
    # false alarm)
    lead: str = ""
    # said right after the reference: the other references sent to this regulator that this
    # notice now also covers (incidents merged into this one): :func:`reference_note`
    reference_note: str = ""
    # the reference is not the incident's own: one the regulator was sent for an incident
    # merged into it (:class:`Carried`)
    reference_carried: bool = False
    # the other references the notice covers (named in its subject too, so the regulator's
    # handler finds it under either)
    also_references: tuple[str, ...] = ()
    # the regulator's own case references this report answers (Nkom's hendelsesrapport: the
    # references Nkom gave with its requests), oldest first; its subject names them
    regulator_references: tuple[str, ...] = ()
    # said first, above the fields: a person corrected what the last notice sent said (an
    # impact override with a correction, made after it was sent): what was wrong, their words,
    # what was stated and what is right (:func:`correction_text`); empty: nothing to correct
    correction: str = ""
    # a person stated the incident had no impact at all, with a correction: no outage, the
    # varsel was a false alarm (:func:`correction_of`); Nkom's notices and the CSIRT's reports
    # then say so throughout
    false_alarm: bool = False

    def to_complete(self) -> list[str]:
        """Keys of the fields a person must still fill in (an empty :data:`OPTIONAL` one is
        left out of the notice instead)."""
        return [k for k, f in self.fields.items() if f.to_complete and k not in OPTIONAL]


#: Elements a notice states only when known, left out when empty (never to complete): the
#: provider's own severity rating, in Nkom's words (alvorlig, kritisk), when its alerts carry it.
OPTIONAL = frozenset({"severity"})


def with_values(fields: DraftFields, values: Mapping[str, str]) -> DraftFields:
    """``fields`` with some values replaced by a person's text (``recipient`` included)."""
    recipient = values.get("recipient", fields.recipient)
    changed = {
        key: replace(f, value=values[key], source="edited") if key in values else f
        for key, f in fields.fields.items()
    }
    return replace(fields, recipient=recipient, fields=changed)


#: the longest value the bridge prefills into one field of a version (what the incident says:
#: a storm over thousands of areas, text an alert brought): a longer one is left to a person
#: (:func:`bounded`), never rendered, stored or sent
MAX_FIELD = 32_000


def bounded(fields: DraftFields) -> DraftFields:
    """``fields`` with every value longer than :data:`MAX_FIELD` left to a person (empty,
    the source saying why)."""
    if all(len(f.value) <= MAX_FIELD for f in fields.fields.values()):
        return fields
    changed = {
        key: replace(f, value="", source=f"too long to send as drafted ({len(f.value)} characters)")
        if len(f.value) > MAX_FIELD
        else f
        for key, f in fields.fields.items()
    }
    return replace(fields, fields=changed)


def regulator_of(kind: str) -> str:
    """The regulator whose rules a kind follows (a subscriber notice: the rules of the
    regulator of its country; it sets the notice's language and time zone)."""
    if kind in NKOM_KINDS or kind == HENDELSESRAPPORT or kind in privacy_fields.NKOM_PRIVACY_KINDS:
        return "nkom"
    if kind in privacy_fields.NKOM_FOLLOW_UPS:
        return "nkom"
    if kind in PTS_KINDS or kind in PRIVACY_KINDS:
        return "pts"
    if kind in CYBER_KINDS:
        return cyber_fields.REGULATOR
    raise BadInput("kind", f"unknown notice kind {kind!r}; expected one of {', '.join(KINDS)}")


#: The zone as each language names it after a time, and in the hour repeated when summer
#: time ends (02.00–02.59 twice in late October), which of the two it is, with its offset.
_ZONE_WORDS = {
    "nb": ("norsk tid", "norsk sommertid", "norsk vintertid"),
    "sv": ("svensk tid", "svensk sommartid", "svensk vintertid"),
}


def local_time(value: datetime, regulator: str) -> str:
    """``23.11.2026 kl. 10.05 norsk tid`` (Nkom, Oslo time) or ``2026-11-23 kl. 10.05 svensk
    tid`` (PTS and the CSIRT, Stockholm time): each language's written convention (Språkrådet
    in both countries: a period in times), and the zone named with every time, so a time
    copied alone (into a portal's or e-service's field) still says what it is. In the hour
    repeated when summer time ends, a time says which of the two it is and its offset
    (``kl. 02.30 norsk sommertid (UTC+2)``). An instant too near year 1 or 9999 for the zone
    (only a store written before the API checked the times people give,
    :mod:`bridge.core.instants`, holds one) is shown in ISO 8601 as it is, never an
    OverflowError."""
    try:
        local = value.astimezone(ZoneInfo(ZONES[regulator]))
    except OverflowError:
        return value.isoformat(timespec="minutes")
    pattern = "%d.%m.%Y kl. %H.%M" if regulator == "nkom" else "%Y-%m-%d kl. %H.%M"
    plain, summer, winter = _ZONE_WORDS[LANGUAGES[regulator]]
    offset = local.utcoffset()
    other = local.replace(fold=1 - local.fold).utcoffset()
    if offset is None or other is None or offset == other:
        return f"{local.strftime(pattern)} {plain}"
    hours = round(offset.total_seconds() / 3600)
    zone = summer if offset > other else winter
    return f"{local.strftime(pattern)} {zone} (UTC{hours:+d})"


def reference_number(org_number: str, incident_id: str) -> str:
    """``<ORG>-<YYYYMMDD>-<hash>``: the organisation number's letters and digits, the date in
    the incident id (``inc-YYYYMMDD-…``, else ``00000000``), and 8 hex digits of a hash of
    both. The same incident always gets the same reference."""
    org = re.sub(r"[^0-9A-Za-z]", "", org_number).upper() or "REF"
    found = re.search(r"(\d{8})", incident_id)
    day = found.group(1) if found else "00000000"
    digest = hashlib.sha256(f"{org}|{incident_id}".encode()).hexdigest()[:8].upper()
    return f"{org}-{day}-{digest}"


@dataclass(frozen=True, slots=True)
class Carried:
    """The reference a notice carries when a regulator already holds one for the incident or
    for what was merged into it (:func:`bridge.core.case_drafts.references`): ``reference``
    (empty: the incident's own, :func:`reference_number`) and ``also``, the other references
    that regulator was sent that the notice now covers, in the order they were first sent."""

    reference: str = ""
    also: tuple[str, ...] = ()
    #: a split-off incident that sent this regulator nothing yet: the reference it holds for
    #: the incident this one was part of (its first notice says so)
    part_of: str = ""


#: What a notice says right after its reference when it also covers references sent before
#: for incidents merged into this one (one, several), in each regulator's language.
_ALSO = {
    "nkom": (
        "Gjelder også hendelsen vi har varslet om under ref. {refs} (nå slått sammen med "
        "denne hendelsen).",
        "Gjelder også hendelsene vi har varslet om under ref. {refs} (nå slått sammen med "
        "denne hendelsen).",
    ),
    "pts": (
        "Avser även störningen eller avbrottet som vi har rapporterat under referensnummer "
        "{refs} (nu sammanslagen med denna).",
        "Avser även störningarna eller avbrotten som vi har rapporterat under referensnummer "
        "{refs} (nu sammanslagna med denna).",
    ),
    "csirt": (
        "Avser även incidenten som vi har rapporterat under referensnummer {refs} (nu "
        "sammanslagen med denna).",
        "Avser även incidenterna som vi har rapporterat under referensnummer {refs} (nu "
        "sammanslagna med denna).",
    ),
}
#: What the first notice of an incident a person split out of a reported one says after its
#: reference: it was part of that one, reported under the reference named, and is now its own.
_PART_OF = {
    "nkom": "Hendelsen var tidligere en del av hendelsen vi har varslet om under ref. {ref}, og "
    "varsles nå som en egen hendelse.",
    "pts": "Störningen eller avbrottet ingick tidigare i det som vi har rapporterat under "
    "referensnummer {ref} och rapporteras nu separat.",
    "csirt": "Incidenten ingick tidigare i incidenten som vi har rapporterat under "
    "referensnummer {ref} och rapporteras nu separat.",
}
_AND = {"nb": "og", "sv": "och"}


def listed(items: Sequence[str], lang: str) -> str:
    """``a``, ``a og b``, ``a, b og c`` (``och`` in Swedish)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {_AND[lang]} {items[-1]}"


def reference_note(regulator: str, also: Sequence[str], part_of: str = "") -> str:
    """The sentence after a notice's reference naming the other references sent to
    ``regulator`` that it now also covers, or (``part_of``) the reference of the reported
    incident a split took this one out of (empty: neither)."""
    if regulator not in _ALSO:
        return ""
    if part_of:
        return _PART_OF[regulator].format(ref=part_of)
    if not also:
        return ""
    one, several = _ALSO[regulator]
    template = one if len(also) == 1 else several
    return template.format(refs=listed(list(also), LANGUAGES[regulator]))


@dataclass(frozen=True, slots=True)
class Previous:
    """The notice a follow-up starts from: the last one of its line that was sent (its kind,
    when, and the facts it was sent with) and the facts now (``case_drafts.snapshot``)."""

    kind: str
    sent_at: datetime
    before: Mapping[str, Any]
    now: Mapping[str, Any]
    #: the sent version's answers (key → text as sent; empty: sent as not yet known) and the
    #: keys a person wrote there
    fields: Mapping[str, str] = field(default_factory=dict)
    edited: tuple[str, ...] = ()
    #: it was kept internally, not sent (an internal-threshold report: ``bridge.core.repeal``)
    kept: bool = False


ServiceNames = Mapping[str, Mapping[str, str]]


def service_name(key: str, lang: str, names: ServiceNames | None = None) -> str:
    """The display name of a service in ``lang``: configured, else the default, else the key
    made readable (``check-config`` warns about inventory services without a name)."""
    for table in (names or {}, DEFAULT_SERVICE_NAMES):
        found = table.get(key, {}).get(lang)
        if found:
            return found
    return key.replace("_", " ").capitalize()


def draft_fields(
    kind: str,
    incident: Mapping[str, Any],
    operator: Sender,
    recipient: str | None,
    now: datetime,
    services: ServiceNames | None = None,
    previous: Previous | None = None,
    form: cyber_fields.ReportForm | None = None,
    sent: Sequence[SentNotice] = (),
    repealed_on: date | None = None,
    internal_recipient: str = "",
    carried: Carried | None = None,
    regions: Mapping[str, str] | None = None,
) -> DraftFields:
    """See the module contract. ``recipient`` None: the regulator's published address;
    ``services``: display names per service and language; ``previous``: the notice this one
    follows (Nkom update or normalised notice, PTS supplementary report); ``form``: the
    fields of a cybersecurity-act report (its kinds' fields are data); ``sent``: the notices
    of the incident already sent (Nkom's hendelsesrapport lists them); ``repealed_on``: the
    day the law behind the kind was repealed (its rule set's ``repealed_on``).

    A report of an incident since that day (:func:`repealed_statement`) is owed to no
    regulator: it never goes to the regulator's address. Its recipient is
    ``internal_recipient`` (the operator's own address for internal-threshold reports), or
    empty: it is kept internally and sent to no one (``casework.INTERNAL``).

    ``carried``: the reference the regulator already holds for the incident or for what was
    merged into it, and the others it now also covers (:class:`Carried`); none: its own.
    ``regions``: the inventory's region names, so a region is named whether or not it is in
    the impact now (a cleared one, one a correction took out)."""
    regulator = regulator_of(kind)
    operator = operator.of(JURISDICTIONS[regulator])
    carried = carried or Carried()
    if kind not in PRIVACY_KINDS:  # a privacy case is no incident: it has no impact to scope
        incident = _named(scoped(incident, JURISDICTIONS[regulator]), regions or {})
    if kind in CYBER_KINDS:
        found = _cyber_fields(
            kind, incident, operator, recipient, now, services, form, carried, previous
        )
        return _with_carried(found, carried)
    language = LANGUAGES[regulator]
    reference = carried.reference or reference_number(operator.org_number, str(incident["id"]))
    contact = operator.contact(contact_track(kind))
    labels, to_add = field_texts(kind)
    if kind in PRIVACY_KINDS:  # a risk's notice to subscribers: its data "may be" concerned
        labels = privacy_fields.labels(kind, incident, labels)
    if kind == HENDELSESRAPPORT:
        values = _hendelsesrapport_values(incident, operator, contact, services, sent)
    elif kind in PRIVACY_KINDS:
        values = privacy_fields.values(
            kind,
            incident,
            f"{operator.name} ({ORG_NR[language]} {operator.org_number})",
            contact_line(operator.contact(PRIVACY), operator.name, language),
            reference,
            lambda t: local_time(t, regulator),
            channel=channel_line(operator.contact(SUBSCRIBER), language),
            origins=(operator.origin(PRIVACY), operator.origin(SUBSCRIBER)),
        )
        if kind == "privacy_supplementary":
            values["changes"] = _privacy_changes(kind, values, labels, previous)
        if kind in privacy_fields.NKOM_FOLLOW_UPS:
            values.update(_nkom_privacy_follow_up(kind, incident, values, labels, previous))
    else:
        origin = operator.origin(contact_track(kind))
        values = _values(
            kind, regulator, incident, operator.name, (contact, origin), services, previous
        )
        values["reference"] = (
            reference,
            "the reference the regulator was sent before" if carried.reference else "incident id",
        )
    repealed = repealed_statement(kind, incident, repealed_on)
    correction = correction_of(incident, regulator) if kind in NKOM_KINDS else None
    false_alarm = correction is not None and correction.false_alarm
    fields = {
        key: Field(key, labels[key], *values.get(key, ("", to_add.get(key, "to complete"))))
        for key in FIELD_KEYS[kind]
    }
    out = DraftFields(
        kind=kind,
        regulator=regulator,
        language=language,
        title=_title(kind, correction, previous),
        incident_id=str(incident["id"]),
        reference=reference,
        operator=operator,
        recipient=internal_recipient if repealed else (recipient or DEFAULT_RECIPIENTS[regulator]),
        drafted_at=local_time(now, regulator),
        placeholder=UNKNOWN[language],
        fields=fields,
        repealed=repealed,
        lead=_lead(kind, correction, previous),
        regulator_references=hendelsesrapport.nkom_references(incident)
        if kind == HENDELSESRAPPORT
        else (),
        correction=correction_text(correction, incident, previous, services),
        false_alarm=false_alarm,
    )
    if kind in privacy_fields.NKOM_FOLLOW_UPS:  # a risk's title says risk; what it updates
        out = replace(
            out,
            title=privacy_fields.follow_up_title(kind, incident),
            lead=privacy_fields.follow_up_lead(kind, previous is not None),
        )
    elif kind in PRIVACY_KINDS:  # a risk is told as a risk: its title and first sentence
        out = replace(
            out,
            title=privacy_fields.title(kind, incident),
            lead=privacy_fields.subscriber_lead(kind, incident, operator.name),
        )
    return _with_carried(out, carried)


def _named(incident: Mapping[str, Any], regions: Mapping[str, str]) -> Mapping[str, Any]:
    """``incident`` whose ``impact.region_names`` also holds the inventory's ``regions``."""
    if not regions:
        return incident
    impact: Mapping[str, Any] = incident.get("impact") or {}
    names = {**regions, **(impact.get("region_names") or {})}
    return {**incident, "impact": {**impact, "region_names": names}}


def _with_carried(fields: DraftFields, carried: Carried) -> DraftFields:
    """``fields`` saying which references they carry (:class:`Carried`)."""
    own = reference_number(fields.operator.org_number, fields.incident_id)
    also = tuple(r for r in carried.also if r != fields.reference)
    return replace(
        fields,
        reference_note=reference_note(fields.regulator, also, carried.part_of),
        also_references=also,
        reference_carried=fields.reference != own,
    )


#: The normalised notice's first sentence, after a varsel was sent, and when none was: Nkom
#: asks for an updated varsel once it is normalised (seed 003), which presupposes a first one;
#: an incident normalised before any varsel went still owes both (docs/notices.md), and this
#: notice must not claim a varsel nobody sent.
NORMALISED_LEAD = "Hendelsen vi har varslet om, er normalisert."
NORMALISED_FIRST = "Hendelsen er normalisert."  # "changes" says no varsel was sent before


def normalised_lead(previous: Previous | None) -> str:
    """:data:`NORMALISED_LEAD` when the notice follows a varsel or update that was sent,
    else :data:`NORMALISED_FIRST`."""
    return NORMALISED_LEAD if previous is not None else NORMALISED_FIRST


#: The first sentence of an Nkom notice once a person said the incident was a false alarm
#: (:func:`correction_of`): the normalised notice's, after a varsel was sent and when none
#: was, and the updated varsel's (its usual one says "a hendelse … as far as known")
FALSE_ALARM_LEAD = (
    "Det vi har varslet om, var en falsk alarm: det har ikke vært noe utfall. Saken er avsluttet."
)
FALSE_ALARM_FIRST = "Alarmen var falsk: det har ikke vært noe utfall. Saken er avsluttet."
FALSE_ALARM_UPDATE = (
    "Oppdatert varsel om en alarm vi har varslet om tidligere, og som var en falsk alarm: det "
    "har ikke vært noe utfall."
)
#: the same, right below the *Rettelse* that says so (not said twice)
FALSE_ALARM_CORRECTED = "Opplysningene nedenfor erstatter dem i våre tidligere varsler om alarmen."


def _lead(kind: str, correction: Correction | None, previous: Previous | None) -> str:
    """The notice's first sentence where its template takes one (empty: its own)."""
    false_alarm = correction is not None and correction.false_alarm
    if kind == "nkom_normalised":
        if false_alarm:
            return FALSE_ALARM_LEAD if previous is not None else FALSE_ALARM_FIRST
        return normalised_lead(previous)
    if kind == "nkom_update" and false_alarm:
        return FALSE_ALARM_CORRECTED if _telling(correction, previous) else FALSE_ALARM_UPDATE
    return ""


# ---- a person's correction of what was sent (an impact override with ``correction``) -------
#: an incident document's key for the correction its standing impact override states (``text``,
#: ``at``, ``by``: :func:`bridge.core.documents.correction_json`; absent: none)
CORRECTION = "correction"
#: a snapshot's key (:func:`bridge.core.case_drafts.snapshot`): when the correction the incident
#: stood by then was stated (absent: none)
CORRECTED = "corrected_at"
#: a snapshot's key: the country's affected customers at the peak (at least, at most): what a
#: CSIRT report states as its scope, so what its *Rättelse* says it stated
PEAK_CUSTOMERS = "customers_peak"


@dataclass(frozen=True, slots=True)
class Correction:
    """A person's correction as a notice reads it: their ``text`` for the regulator, when it
    was stated, and whether the incident had no impact at all in the notice's country (no
    connection, no flagged element, at any time): a false alarm."""

    text: str
    at: datetime
    false_alarm: bool


def correction_of(doc: Mapping[str, Any], regulator: str) -> Correction | None:
    """The correction ``doc`` (scoped to the regulator's country) stands by (None: none)."""
    said = doc.get(CORRECTION)
    if not isinstance(said, Mapping):
        return None
    at, text = read_time(said.get("at")), str(said.get("text") or "").strip()
    if at is None or not text:
        return None
    return Correction(text, at, _no_impact_at_all(doc, regulator))


def _no_impact_at_all(doc: Mapping[str, Any], regulator: str) -> bool:
    """Whether the (scoped) document has no impact at all in the regulator's country: no
    affected connection at its peak and no flagged element ever affected."""
    impact: Mapping[str, Any] = doc.get("impact") or {}
    reach = _reach(impact, "peak")
    high = reach[1] if reach is not None else int(impact.get("peak") or 0)
    if high > 0 or any(int(n) > 0 for n in (impact.get("by_service") or {}).values()):
        return False
    flags = impact.get("flags")
    mine = flags.get(_JURISDICTIONS.get(regulator, "")) if isinstance(flags, Mapping) else None
    if isinstance(mine, Mapping):
        return not any(
            isinstance(e, Mapping) and int(e.get("peak") or 0) > 0 for e in mine.values()
        )
    return True


def stated_none(doc: Mapping[str, Any], regulator: str) -> bool:
    """A person's impact override states no impact at all in the regulator's country
    (``connections: 0`` states *none*): the notice says none, never "not yet known"."""
    return doc.get("impact_overridden") is True and _no_impact_at_all(doc, regulator)


def _telling(correction: Correction | None, previous: Previous | None) -> bool:
    """Whether this notice is the first after the correction to follow a notice sent before
    it: the regulator still holds the wrong figures, so this one corrects them."""
    return correction is not None and previous is not None and previous.sent_at < correction.at


_CORRECTION_WORDS = {
    "nb": {
        "wrong": "Opplysningene om omfang i varselet vi sendte {at}, var feil. Riktige "
        "opplysninger står i dette varselet.",
        "false_alarm": "Varselet vi sendte {at}, var en falsk alarm: det har ikke vært noe "
        "utfall, ingen ekomtjenester har vært rammet og ingen kunder har vært berørt. Vi "
        "trekker varselet tilbake.",
        "why": "Forklaring: {x}",
        "stated": "Tidligere oppgitt: {x}.",
        "right": "Riktig: {x}.",
        "none": "ingen berørte kunder",
        "scope": "{areas}, {amount} berørte kunder ({services})",
        "no_area": "område ikke oppgitt",
    },
    # the CSIRT's reports (cybersäkerhetslagen): ``report`` names the report it corrects
    "sv": {
        "wrong": "Uppgifterna om omfattning i {report} som vi lämnade {at} var felaktiga. Rätt "
        "uppgifter finns i denna rapport.",
        "false_alarm": "{Report} som vi lämnade {at} byggde på ett falsklarm: det har inte "
        "förekommit något avbrott eller någon störning, inga tjänster har berörts och inga "
        "aktiva anslutningar har påverkats. Det var alltså ingen betydande incident.",
        "why": "Förklaring: {x}",
        "stated": "Tidigare uppgivet: {x}.",
        "right": "Rätt: {x}.",
        "none": "inga påverkade aktiva anslutningar",
        "scope": "{areas}, {amount} aktiva anslutningar ({services})",
        "no_area": "område inte angivet",
    },
}
#: a CSIRT report as another report names it (the one a *Rättelse* corrects)
_CYBER_REPORT_NAMES = {
    "se_cyber_early_warning": "den tidiga varningen",
    "se_cyber_notification": "incidentanmälan",
    "se_cyber_intermediate": "delrapporten",
    "se_cyber_progress": "lägesrapporten",
    "se_cyber_final": "slutrapporten",
}


def correction_text(
    correction: Correction | None,
    doc: Mapping[str, Any],
    previous: Previous | None,
    names: ServiceNames | None,
    regulator: str = "nkom",
) -> str:
    """The *Rettelse* (Nkom) or *Rättelse* (the CSIRT) a notice opens with when it is the
    first since a person corrected what the notice it follows said (:func:`_telling`): that
    it was wrong (or a false alarm), the person's words, then what was stated and what is
    right, by name; else empty."""
    if correction is None or previous is None or not _telling(correction, previous):
        return ""
    lang = LANGUAGES[regulator]
    words = _CORRECTION_WORDS[lang]
    at = local_time(previous.sent_at, regulator)
    report = _CYBER_REPORT_NAMES.get(previous.kind, "")
    said = words["false_alarm" if correction.false_alarm else "wrong"]
    lines = [said.format(at=at, report=report, Report=report[:1].upper() + report[1:])]
    lines.append(words["why"].format(x=correction.text))
    impact: Mapping[str, Any] = doc.get("impact") or {}
    region_names: Mapping[str, str] = impact.get("region_names") or {}
    before = previous.before
    # Nkom's varsel states the customers affected now; a CSIRT report its peak
    had = _pair(before.get(PEAK_CUSTOMERS)) if regulator != "nkom" else None
    stated = _scope_line(
        before.get("regions", ()),
        before.get("services", ()),
        had or _pair(before.get("customers")) or (0, int(before.get("current", 0))),
        region_names,
        names,
        lang,
    )
    if stated:
        lines.append(words["stated"].format(x=stated))
    if correction.false_alarm:
        lines.append(words["right"].format(x=words["none"]))
    else:
        right = _scope_line(
            [r for r, n in (impact.get("by_region") or {}).items() if n > 0],
            [s for s, n in (impact.get("by_service") or {}).items() if n > 0],
            _reach(impact, "peak") or (0, int(impact.get("peak") or 0)),
            region_names,
            names,
            lang,
        )
        lines.append(words["right"].format(x=right or words["none"]))
    return "\n".join(lines)


def _scope_line(
    regions: Iterable[str],
    services: Iterable[str],
    amount: tuple[int, int],
    region_names: Mapping[str, str],
    names: ServiceNames | None,
    lang: str = "nb",
) -> str:
    """``Oslo, inntil 8 000 berørte kunder (Bredbånd)`` (Swedish: ``Östersund, högst 6 000
    aktiva anslutningar (Bredband)``): areas by name, customers, services; empty when none
    was affected."""
    areas = sorted(_region_name(str(r), region_names) for r in regions)
    shown = sorted(service_name(str(k), lang, names) for k in services)
    if not areas and not amount[1]:
        return ""
    words = _CORRECTION_WORDS[lang]
    return words["scope"].format(
        areas=listed(areas, lang) or words["no_area"],
        amount=_amount(*amount, lang),
        services=", ".join(shown),
    )


def _title(kind: str, correction: Correction | None, previous: Previous | None) -> str:
    """The notice's title: its kind's, saying so when it corrects or ends a false alarm."""
    if correction is None:
        return TITLES[kind]
    if kind == "nkom_normalised" and correction.false_alarm:
        return "Varsel om avsluttet hendelse – falsk alarm"
    if kind == "nkom_update" and _telling(correction, previous):
        return f"{TITLES[kind]} – rettelse" + (" (falsk alarm)" if correction.false_alarm else "")
    return TITLES[kind]


_MONTHS_SV = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]
#: What a PTS outage report says first when the incident began on or after the day LEK 8 kap.
#: 1–4 §§ was repealed (docs/regulation.md §1: the rule set is kept as the operator's internal
#: threshold, "it must say so wherever it is shown").
REPEALED_PTS = (
    "Detta är ingen rapport som ska lämnas till PTS. Skyldigheten att rapportera störningar "
    "och avbrott enligt lagen om elektronisk kommunikation (8 kap. 1–4 §§) upphävdes den {day} "
    "(SFS 2025:1511), och incidenten började därefter. Rapporten har tagits fram enligt "
    "operatörens interna tröskelvärden; betydande incidenter rapporteras i stället till "
    "CSIRT-enheten enligt cybersäkerhetslagen (2025:1506)."
)


def repealed_statement(kind: str, incident: Mapping[str, Any], repealed_on: date | None) -> str:
    """For a PTS outage report (:data:`PTS_KINDS`) of an incident that began on or after
    ``repealed_on`` (Stockholm's calendar; an incident without a start counts as after,
    :func:`bridge.core.repeal.after_repeal`): the statement that the duty was repealed and this
    is no report owed to PTS. Else empty."""
    if kind not in PTS_KINDS or repealed_on is None:
        return ""
    if not after_repeal(_time(incident.get("started_at")), repealed_on, "SE"):
        return ""
    written = f"{repealed_on.day} {_MONTHS_SV[repealed_on.month - 1]} {repealed_on.year}"
    return REPEALED_PTS.format(day=written)


def _hendelsesrapport_values(
    incident: Mapping[str, Any],
    operator: Sender,
    contact: Contact,
    services: ServiceNames | None,
    sent: Sequence[SentNotice],
) -> dict[str, tuple[str, str]]:
    """Nkom's hendelsesrapport, prefilled in the outage notices' own bokmål wording."""
    impact: Mapping[str, Any] = incident.get("impact") or {}
    societal = flag_state(incident, "societal", "nkom")
    values = hendelsesrapport.values(
        incident,
        lambda t: local_time(t, "nkom"),
        lambda seconds: _span(seconds, "nb"),
        _services(impact, "nb", services),
        _geography(impact, "nb"),
        _customers(impact, "nb", services),
        _societal(incident, "nb"),
        None if societal is None else societal[0] == AFFECTED,
        _cause(incident),
        sent,
        (contact_line(contact, operator.name, "nb"), operator.origin(OUTAGE)),
    )
    return values


def _privacy_changes(
    kind: str,
    values: Mapping[str, tuple[str, str]],
    labels: Mapping[str, str],
    previous: Previous | None,
) -> tuple[str, str]:
    """The supplementary privacy report's changes since the initial report that was sent."""
    if previous is None:
        return _WORDS["sv"]["no_previous"], "no initial report of this case sent"
    now_ = {key: values[key][0] if key in values else "" for key in FIELD_KEYS[kind]}
    text = privacy_fields.changes(
        now_,
        previous.fields,
        previous.edited,
        {k: labels[k] for k in FIELD_KEYS[kind]},
        local_time(previous.sent_at, "pts"),
    )
    return text, f"the {previous.kind} sent {previous.sent_at.isoformat()} (its sent version)"


def _nkom_privacy_follow_up(
    kind: str,
    case: Mapping[str, Any],
    values: Mapping[str, tuple[str, str]],
    labels: Mapping[str, str],
    previous: Previous | None,
) -> dict[str, tuple[str, str]]:
    """An updated Nkom varsel's own answers: what changed since the last varsel (or update)
    sent, compared with its answers as sent (:func:`bridge.core.privacy_fields.nkom_changes`),
    and, closing it, when the case was closed."""
    out: dict[str, tuple[str, str]] = {}
    now_ = {key: values[key][0] if key in values else "" for key in FIELD_KEYS[kind]}
    if previous is None:
        text = privacy_fields.nkom_changes(now_, None, (), labels, "")
        out["changes"] = (text, "no varsel of this case sent")
    else:
        text = privacy_fields.nkom_changes(
            now_,
            previous.fields,
            previous.edited,
            {k: labels[k] for k in FIELD_KEYS[kind]},
            local_time(previous.sent_at, "nkom"),
        )
        source = f"the {previous.kind} sent {previous.sent_at.isoformat()} (its sent version)"
        out["changes"] = (text, source)
    if kind == privacy_fields.NKOM_PRIVACY_NORMALISED:
        closed = privacy_fields.closed_text(case, lambda t: local_time(t, "nkom"))
        if closed:
            out["normalised"] = (closed, "the case's close (its revisions)")
    return out


def _cyber_fields(
    kind: str,
    incident: Mapping[str, Any],
    operator: Sender,
    recipient: str | None,
    now: datetime,
    services: ServiceNames | None,
    form: cyber_fields.ReportForm | None,
    carried: Carried,
    previous: Previous | None = None,
) -> DraftFields:
    """A cybersecurity-act report: the form's fields, prefilled where the bridge knows.
    ``previous``: the last report to the CSIRT that was submitted, if any. A person's
    correction made after it (:func:`correction_of`) opens this report with a *Rättelse*
    (:func:`correction_text`); a false alarm says so in the header (the form's statement)
    and in every field the bridge fills, whether or not this report tells the correction."""
    if form is None or form.kind != kind:
        raise BadInput("kind", f"no report form for {kind}")
    regulator = cyber_fields.REGULATOR
    reference = carried.reference or reference_number(operator.org_number, str(incident["id"]))
    impact: Mapping[str, Any] = incident.get("impact") or {}
    regions = _regions(impact, "sv")
    customers = _customers(impact, "sv", services)
    scope = "\n".join(
        p
        for p in (
            customers,
            f"Berörda områden:\n{regions}" if regions else "",
            _elsewhere(impact, "sv"),
        )
        if p
    )
    affected = _services(impact, "sv", services)
    if stated_none(incident, regulator):  # "0 connections" states none, never "not known"
        affected = _NONE["sv"]["services"]
        scope = f"{_NONE['sv']['customers']} {_NONE['sv']['geography']}"
    values = cyber_fields.values(
        incident,
        lambda t: local_time(t, regulator),
        affected,
        scope,
        (contact_line(operator.contact(OUTAGE), operator.name, "sv"), operator.origin(OUTAGE)),
        reference,
        person=frozenset(f.key for f in form.fields if f.person),
    )
    correction = correction_of(incident, regulator)
    false_alarm = correction is not None and correction.false_alarm
    if false_alarm:
        person = {f.key for f in form.fields if f.person}
        said = _cyber_false_alarm_values(incident)
        values.update({k: v for k, v in said.items() if k not in person})
    told = correction_text(correction, incident, previous, services, regulator)
    fields = {
        f.key: Field(f.key, f.label, *values.get(f.key, ("", f.hint or "to complete")))
        for f in form.fields
    }
    return DraftFields(
        kind=kind,
        regulator=regulator,
        language="sv",
        title=form.title
        + (" – rättelse" + (" (falsklarm)" if false_alarm else "") if told else ""),
        incident_id=str(incident["id"]),
        reference=reference,
        operator=operator,
        recipient=recipient or DEFAULT_RECIPIENTS.get(regulator, ""),
        drafted_at=local_time(now, regulator),
        placeholder=UNKNOWN["sv"],
        fields=fields,
        lead=form.statement_of(false_alarm),
        correction=told,
        false_alarm=false_alarm,
    )


def _cyber_false_alarm_values(doc: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The answers of a CSIRT report about a false alarm: no outage, so no status of an
    ongoing incident, no time it was handled or is expected to be, nothing affected."""
    source = "a person's correction: no impact at all (false alarm)"
    none = "Inte aktuellt: det har inte förekommit något avbrott (falsklarm)."
    ended = _time(doc.get("remedied_at")) or _time(doc.get("ended_at"))
    stopped = f" Larmet upphörde {local_time(ended, 'csirt')}." if ended is not None else ""
    out = {
        "status": (
            "Falsklarm: det har inte förekommit något avbrott eller någon störning, och det var "
            f"ingen betydande incident.{stopped}",
            source,
        ),
        "services": ("Inga: det har inte förekommit något avbrott (falsklarm).", source),
        "scope": (
            "Inga aktiva anslutningar har påverkats och inga områden har berörts (falsklarm).",
            source,
        ),
        "handled_at": (none + stopped, source),
        "expected": (none, source),
    }
    started = _time(doc.get("started_at"))
    if started is not None:
        out["started_at"] = (
            f"{local_time(started, 'csirt')} (då larmet kom; det har inte förekommit något "
            "avbrott)",
            source,
        )
    return out


# What a person should add where the incident cannot say (shown to the operator, not sent).
def field_texts(kind: str) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """The labels of ``kind``'s fields and the hints shown to staff for those a person must
    complete (never sent), as drafting uses them: the hendelsesrapport has its own (Nkom's
    template), every other e-mailed kind its language's. Kinds with a form add the form's."""
    if kind == HENDELSESRAPPORT:
        return hendelsesrapport.LABELS, hendelsesrapport.TO_ADD
    return LABELS[LANGUAGES[regulator_of(kind)]], TO_ADD


#: the hint of a cause left to a person (:func:`causes`)
NO_CAUSE = (
    "no cause/årsak/summary annotation on the incident's alerts, or more than 3 different "
    "ones, or one longer than 1000 characters"
)
TO_ADD = {
    "scope_societal": (
        "not known from the impact (the inventory flags no societally important element or "
        "none carrying 112 in Norway, or some alerts could not be placed): state the societal "
        "functions and the 112 network affected"
    ),
    "scope_life_health": "judge whether life and health are or may be at risk",
    "public_information": "what the public and affected subscribers were told, when, how",
    "effect_minimisation": "measures taken to minimise the effects",
    "remedy": "measures taken to remedy the faults",
    "recurrence_prevention": "measures to prevent recurrence",
    "cause": NO_CAUSE,
    "cause_preliminary": NO_CAUSE,
    "causes": NO_CAUSE,
    "expected_duration": "no expected_resolution annotation on the incident's alerts",
    "emergency_112": (
        "state the effect on 112: not known from the impact (the inventory flags no element "
        "carrying 112 in Sweden, or some alerts could not be placed)"
    ),
    "normalised": "the incident has no end time yet",
    "what_happened": (
        "what happened, in plain words for subscribers: write it here, or as the case's "
        "description. An alert's own text is never shown to subscribers: while the case's "
        "description is still the alert's, a person must write it (or save it as it is)"
    ),
    "what_you_can_do": "what the subscriber should do (change a password, watch for fraud…)",
    "notice_means": "how subscribers were told (SMS, e-mail, letter, web page)",
    "notice_copy": "sent once the subscriber notice was sent",
    "notice_sent_at": "sent once the subscriber notice was sent",
    "measures_applied": "say whether the data was unreadable to outsiders (encryption…)",
    "cross_border": "subscribers in other countries? other authorities notified?",
    "other_providers": "other providers involved, if any",
    "prevention": "what is done so that it does not happen again (case.recurrence_prevention)",
    "services": "which services (the case does not say)",
    "severity": (
        "no alert carries a rating in Nkom's words (critical: kritisk, major: alvorlig): left "
        "out of the notice unless you write your own rating here"
    ),
}

# Words of the outage notices, per language (nb: Nkom, seed 003; sv: PTS, seed 002).
_WORDS = {
    "nb": {
        "unit": "berørte kunder",
        "up_to": "inntil",
        "outage_only": "Tjenestene har vært utilgjengelige (utfall).",
        "degradation_only": "Tjenestene har vært tilgjengelige, men med redusert kvalitet.",
        "both": "Utfall for {out} kunder og redusert kvalitet for {deg} kunder.",
        "between": "mellom {a} og {b}",
        "total": "I alt {x} berørte kunder (høyeste antall samtidig).",
        "why_range": "Kunder med flere av tjenestene nedenfor telles én gang, og vi vet ikke "
        "hvor mange som har flere; derfor et spenn.",
        "elsewhere": "Hendelsen berører også kunder i {x}. Tallene gjelder bare kunder i Norge.",
        "none_now": "Ingen kunder er berørt nå.",
        "partly_now": "Fortsatt delvis berørt.",
        "since": "Forrige varsel ble sendt {at}. Siden da:",
        "no_previous": "Det er ikke sendt noe tidligere varsel om denne hendelsen.",
        "no_change": "Forrige varsel ble sendt {at}. Ingen endring i omfang, tjenester, "
        "områder, årsak eller alvorlighetsgrad siden da.",
        "since_over": "Forrige varsel ble sendt {at}. Utover normaliseringen, siden da:",
        "no_change_over": "Forrige varsel ble sendt {at}. Utover normaliseringen: ingen nye "
        "tjenester, områder eller årsaker siden da.",
        "since_corrected": "Forrige varsel ble sendt {at}. Utover rettelsen ovenfor, siden da:",
        "no_change_corrected": "Forrige varsel ble sendt {at}. Utover rettelsen ovenfor: ingen "
        "andre endringer siden da.",
        "since_false_alarm": "Forrige varsel ble sendt {at} og sa at det var en falsk alarm. "
        "Siden da:",
        "no_change_false_alarm": "Forrige varsel ble sendt {at} og sa at det var en falsk alarm. "
        "Ingen endring siden da.",
        "impact": "Berørte kunder: {a} → {b}",
        "service_new": "Nye tjenester rammet: {x}",
        "service_cleared": "Tjenester ikke lenger rammet: {x}",
        "region_new": "Nye områder berørt: {x}",
        "region_cleared": "Områder ikke lenger berørt: {x}",
        "flag_cleared": "{x}: ikke lenger berørt",
        "flag_new": "{x}: berørt",
        "cause": "Årsak: {x}",
        "severity": "Alvorlighetsgrad: {a} → {b}",
        "expected": "Forventet normalisert: {a} → {b}",
        "expected_span": "{d} fra hendelsen oppsto (forventet normalisert {at}).",
        "not_given": "ikke oppgitt",
        "restored": "Tjenestene var normalisert {at}.",
        "duration": "Samlet varighet: {d} (fra {start}).",
        "peak": "Høyeste antall berørte kunder: {n} ({service}), {at}.",
        "peak_all": "Høyeste antall berørte kunder samtidig: {n}, {at}.",
        "and": "og",
        "flag_since": "siden {a}",
        "flag_from_to": "fra {a} til {b} ({d})",
        "flag_between": "mellom {a} og {b}, til sammen {d}",
    },
    "sv": {
        "unit": "aktiva anslutningar",
        "up_to": "högst",
        "outage_only": "Avbrott: tjänsterna har inte varit tillgängliga.",
        "degradation_only": "Störning: tjänsterna har varit tillgängliga men med bristande "
        "funktion.",
        "both": "Avbrott för {out} och störning för {deg} aktiva anslutningar.",
        "between": "mellan {a} och {b}",
        "total": "Sammanlagt {x} aktiva anslutningar (högsta antalet samtidigt; varje tjänst "
        "räknas för sig).",
        "why_range": "",
        "elsewhere": "Incidenten berör även {x}. Siffrorna gäller endast anslutningar i Sverige.",
        "none_now": "Inga aktiva anslutningar påverkas längre.",
        "partly_now": "Fortfarande delvis påverkade.",
        "since": "Den inledande rapporten skickades {at}. Sedan dess:",
        "no_previous": "Ingen inledande rapport om störningen har skickats tidigare.",
        "no_change": "Den inledande rapporten skickades {at}. Inga ändringar i omfattning, "
        "tjänster, områden eller orsak sedan dess.",
        "since_kept": "Den inledande rapporten sparades internt {at} (den skickades inte). "
        "Sedan dess:",
        "no_change_kept": "Den inledande rapporten sparades internt {at} (den skickades inte). "
        "Inga ändringar i omfattning, tjänster, områden eller orsak sedan dess.",
        "since_over": "Den inledande rapporten skickades {at}. Utöver att störningen har "
        "avhjälpts, sedan dess:",
        "no_change_over": "Den inledande rapporten skickades {at}. Utöver att störningen har "
        "avhjälpts: inga nya tjänster, områden eller orsaker sedan dess.",
        "since_kept_over": "Den inledande rapporten sparades internt {at} (den skickades inte). "
        "Utöver att störningen har avhjälpts, sedan dess:",
        "no_change_kept_over": "Den inledande rapporten sparades internt {at} (den skickades "
        "inte). Utöver att störningen har avhjälpts: inga nya tjänster, områden eller orsaker "
        "sedan dess.",
        "impact": "Påverkade aktiva anslutningar: {a} → {b}",
        "service_new": "Nya berörda tjänster: {x}",
        "service_cleared": "Tjänster som inte längre påverkas: {x}",
        "region_new": "Nya berörda områden: {x}",
        "region_cleared": "Områden som inte längre påverkas: {x}",
        "flag_cleared": "{x}: påverkas inte längre",
        "flag_new": "{x}: påverkas",
        "cause": "Orsak: {x}",
        "severity": "Allvarlighetsgrad: {a} → {b}",
        "expected": "Beräknad tid för åtgärd: {a} → {b}",
        "expected_span": "{d} från början (beräknas vara åtgärdat {at}).",
        "not_given": "inte angiven",
        "restored": "Störningen eller avbrottet avhjälptes {at}.",
        "duration": "Total varaktighet: {d} (från {start}).",
        "peak": "Högsta antalet påverkade aktiva anslutningar: {n} ({service}), {at}.",
        "peak_all": "Högsta antalet påverkade aktiva anslutningar samtidigt: {n}, {at}.",
        "and": "och",
        "flag_since": "sedan {a}",
        "flag_from_to": "från {a} till {b} ({d})",
        "flag_between": "mellan {a} och {b}, sammanlagt {d}",
    },
}
_UNITS = {
    "nb": {"hours": ("time", "timer"), "minutes": ("minutt", "minutter")},
    "sv": {"hours": ("timme", "timmar"), "minutes": ("minut", "minuter")},
}
#: the inventory's flagged elements as a change line names them (FLAGS' order)
_FLAG_NAMES = {
    "nb": {
        "emergency_112": "Nett som bærer nødanrop (112)",
        "societal": "Samfunnsviktige funksjoner",
        "wholesale": "Andre tilbyderes tjenester",
    },
    "sv": {
        "emergency_112": "Nätelement som förmedlar nödsamtal (112)",
        "societal": "Samhällsviktiga funktioner",
        "wholesale": "Andra operatörers tjänster",
    },
}
_SEVERITY = {
    "nb": {"critical": "kritisk", "major": "alvorlig", "serious": "alvorlig"},
    "sv": {"critical": "kritisk", "major": "allvarlig", "serious": "allvarlig"},
}


def _values(
    kind: str,
    regulator: str,
    doc: Mapping[str, Any],
    operator_name: str,
    signed: tuple[Contact, str],
    names: ServiceNames | None,
    previous: Previous | None,
) -> dict[str, tuple[str, str]]:
    """Prefilled ``key → (value, source)``; keys missing here are left to complete.
    ``signed``: the contact the notice names and the configuration key it came from."""
    impact: Mapping[str, Any] = doc.get("impact") or {}
    lang = LANGUAGES[regulator]
    out: dict[str, tuple[str, str]] = {}
    services = _services(impact, lang, names)
    if services:
        out["services"] = out["networks_services"] = (
            services,
            "impact.by_service + services (config)",
        )
    regions = _regions(impact, lang)
    geography = _geography(impact, lang)
    if geography:
        out["scope_geography"] = (geography, "impact.by_jurisdiction + region_names")
    customers = _customers(impact, lang, names)
    if customers:
        out["scope_customers"] = out["active_connections"] = (customers, "impact")
    started = _time(doc.get("started_at"))
    if started is not None:
        out["started_at"] = (local_time(started, regulator), "incident.started_at")
    if geography or started is not None:
        out["scope"] = (_pts_scope(doc, regions, started), "impact + incident times")
    cause = _cause(doc)
    if cause:
        for key in ("cause", "cause_preliminary", "causes"):
            out[key] = cause
    rating = _rating(impact, lang)
    if rating:
        out["severity"] = (rating, "the country's firing alerts' severity (impact.severities)")
    societal = _societal(doc, lang)
    if societal:
        out["scope_societal"] = societal
    e112 = _emergency_112(doc, regulator)
    if e112:
        out["emergency_112"] = e112
    duration = _expected(doc, regulator)
    if duration:
        out["expected_duration"] = duration
    normalised = _normalised(doc, regulator, names)
    if normalised:
        out["normalised"] = (normalised, "incident.remedied_at + impact peak")
        if lang == "nb":  # a varsel drafted after the end: no forecast, what happened
            out["expected_duration"] = (
                f"Hendelsen er allerede normalisert. {normalised}",
                "incident.remedied_at (it is over: nothing is expected any more)",
            )
    if stated_none(doc, regulator):  # "0 connections" states none: known, never "unknown"
        source = "impact override: a person stated no affected connections"
        none = _NONE[lang]
        out["services"] = out["networks_services"] = (none["services"], source)
        out["scope_geography"] = (none["geography"], source)
        out["scope_customers"] = out["active_connections"] = (none["customers"], source)
    correction = correction_of(doc, regulator) if kind in NKOM_KINDS else None
    if previous is not None:
        out["changes"] = (
            _changes(previous, doc, regulator, names, correction),
            f"the {previous.kind} sent {previous.sent_at.isoformat()} and the incident now",
        )
    else:
        out["changes"] = (_WORDS[lang]["no_previous"], "no earlier notice of this incident sent")
    if correction is not None and correction.false_alarm:
        out.update(_false_alarm_values(doc, correction, _telling(correction, previous)))
        out.pop("severity", None)  # an alert's rating of what was no outage: not Nkom's to read
    contact, origin = signed
    out["contact"] = (contact_line(contact, operator_name, lang), origin)
    return out


#: What a notice says where a person stated no impact at all (``connections: 0``)
_NONE = {
    "nb": {
        "services": "Ingen ekomtjenester er rammet.",
        "geography": "Ingen områder er berørt.",
        "customers": "Ingen kunder er eller har vært berørt.",
    },
    "sv": {
        "services": "Inga tjänster har berörts.",
        "geography": "Inga områden har berörts.",
        "customers": "Inga aktiva anslutningar har påverkats.",
    },
}
#: An Nkom notice's answers once a person said the varsel was a false alarm: no outage, so
#: nothing was affected, nothing is expected, and the alert's cause is no cause of anything
_FALSE_ALARM = {
    "services": "Ingen: det har ikke vært noe utfall (falsk alarm).",
    "scope_geography": "Ingen områder er berørt: det har ikke vært noe utfall (falsk alarm).",
    "scope_customers": "Ingen kunder er eller har vært berørt (falsk alarm).",
    "scope_societal": "Ingen samfunnsviktige funksjoner er eller har vært berørt (falsk alarm).",
    "scope_life_health": "Nei: det har ikke vært noe utfall (falsk alarm).",
    "expected_duration": "Ikke aktuelt: det har ikke vært noe utfall (falsk alarm).",
}


def _false_alarm_values(
    doc: Mapping[str, Any], correction: Correction, telling: bool
) -> dict[str, tuple[str, str]]:
    """The answers of an Nkom notice about a false alarm (:data:`_FALSE_ALARM`), its time and
    cause as such: never a duration, a cause or a scope of an outage that was none."""
    source = "a person's correction: no impact at all (false alarm)"
    out = {key: (text, source) for key, text in _FALSE_ALARM.items()}
    cause = "Ikke noe utfall (falsk alarm)."
    cause += " Forklaringen står i rettelsen ovenfor." if telling else f" {correction.text}"
    out["cause"] = (cause, source)
    started = _time(doc.get("started_at"))
    if started is not None:
        out["started_at"] = (
            f"{local_time(started, 'nkom')} (da alarmen kom; det har ikke vært noe utfall)",
            source,
        )
    ended = _time(doc.get("remedied_at")) or _time(doc.get("ended_at"))
    normalised = "Ikke aktuelt: det har ikke vært noe utfall (falsk alarm)."
    if ended is not None:
        normalised += f" Alarmen opphørte {local_time(ended, 'nkom')}."
    out["normalised"] = (normalised, source)
    return out


#: Nkom's two ratings (seed 003), highest first, and the alerts' severities that say each.
_RATINGS = (("critical",), ("major", "serious"))


def _rating(impact: Mapping[str, Any], lang: str) -> str:
    """``Kritisk.`` or ``Alvorlig.``: the highest of the country's firing alerts' severities
    that is one of Nkom's ratings; empty when none is (a ``warning`` is no rating Nkom names)."""
    now = {str(v).lower() for v in impact.get("severities") or ()}
    for names in _RATINGS:
        if now & set(names):
            return f"{_SEVERITY[lang][names[0]].capitalize()}."
    return ""


def _num(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def _services(impact: Mapping[str, Any], lang: str, names: ServiceNames | None) -> str:
    by_service: Mapping[str, int] = impact.get("by_service") or {}
    return ", ".join(sorted(service_name(s, lang, names) for s, n in by_service.items() if n > 0))


def _region_name(region: str, names: Mapping[str, str]) -> str:
    """The region's inventory name; a notice never carries the inventory key beside it. Only a
    region the inventory gives no name shows its key (the one thing known about it)."""
    return names.get(region) or region


def _pair(value: object) -> tuple[int, int] | None:
    """A ``[at least, at most]`` pair of a document (:mod:`bridge.core.country_view`)."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return int(value[0] or 0), int(value[1] or 0)
    return None


def _reach(impact: Mapping[str, Any], key: str) -> tuple[int, int] | None:
    """The country's affected customers ``key`` (``current``, ``peak``) as (at least, at
    most); None in a document without them (stored by older code)."""
    customers = impact.get("customers")
    return _pair(customers.get(key)) if isinstance(customers, Mapping) else None


def _amount(low: int, high: int, lang: str) -> str:
    """A figure of affected customers as a notice writes it: Nkom counts customers, so where a
    customer may have several of the services it is a range (``mellom 8 000 og 13 000``), else
    ``inntil 7 000``; PTS counts active connections, each service's apart, so its figure is the
    upper bound, exact (``högst 13 000``)."""
    words = _WORDS[lang]
    if lang == "nb" and low < high:
        return words["between"].format(a=_num(low), b=_num(high))
    return f"{words['up_to']} {_num(high)}"


def _figure(low: int, high: int, lang: str) -> str:
    """:func:`_amount` without "up to" (``8 000–13 000``, ``13 000``): a change's before and
    after, a peak."""
    if lang == "nb" and low < high:
        return f"{_num(low)}–{_num(high)}"
    return _num(high)


def _regions(impact: Mapping[str, Any], lang: str) -> str:
    """The affected areas, each with its affected customers (Nkom: at least the area's largest
    service, at most its services added; PTS: its active connections, services added), most
    affected first. A document without them (older code) shows each area's largest service."""
    names: Mapping[str, str] = impact.get("region_names") or {}
    words = _WORDS[lang]
    customers = impact.get("customers")
    by_reach = customers.get("by_region") if isinstance(customers, Mapping) else None
    if isinstance(by_reach, Mapping):
        pairs = [(r, _pair(v) or (0, 0)) for r, v in by_reach.items()]
        rows = sorted(
            ((r, p) for r, p in pairs if p[1] > 0),
            key=lambda kv: (-kv[1][1], -kv[1][0], _region_name(kv[0], names)),
        )
        return "\n".join(
            f"{_region_name(r, names)}: {_amount(*p, lang)} {words['unit']}" for r, p in rows
        )
    by_region: Mapping[str, int] = impact.get("by_region") or {}
    old = sorted(by_region.items(), key=lambda kv: (-kv[1], kv[0]))
    return "\n".join(
        f"{_region_name(r, names)}: {words['up_to']} {_num(n)} {words['unit']}"
        for r, n in old
        if n > 0
    )


#: The countries a notice names when the incident affects them too (the inventory's
#: jurisdictions), per language; another code is shown as it is.
COUNTRY_NAMES = {
    "nb": {"NO": "Norge", "SE": "Sverige", "DK": "Danmark", "FI": "Finland"},
    "sv": {"NO": "Norge", "SE": "Sverige", "DK": "Danmark", "FI": "Finland"},
}


def _elsewhere(impact: Mapping[str, Any], lang: str) -> str:
    """That the incident also affects other countries, in words only: their customers are
    counted in the notices to their own regulators, never in this one's figures."""
    others = [str(j) for j in impact.get(ELSEWHERE) or ()]
    if not others:
        return ""
    names = [COUNTRY_NAMES[lang].get(j, j) for j in others]
    listed = names[-1]
    if len(names) > 1:
        listed = f"{', '.join(names[:-1])} {_WORDS[lang]['and']} {listed}"
    return _WORDS[lang]["elsewhere"].format(x=listed)


def _geography(impact: Mapping[str, Any], lang: str) -> str:
    """The affected areas (:func:`_regions`) and the other countries affected, in words."""
    return "\n".join(p for p in (_regions(impact, lang), _elsewhere(impact, lang)) if p)


def _customers(impact: Mapping[str, Any], lang: str, names: ServiceNames | None) -> str:
    """Affected customers (Nkom) or active connections (PTS): in all, when there are several
    services (:func:`_amount`: the highest at once), then each service's own count, which kind
    of impact, and whether it lasts."""
    by_service: Mapping[str, int] = impact.get("by_service") or {}
    rows = sorted(
        ((service_name(s, lang, names), n) for s, n in by_service.items() if n > 0),
        key=lambda row: (-row[1], row[0]),
    )
    if not rows:
        return ""
    words = _WORDS[lang]
    lines = []
    peak_reach = _reach(impact, "peak")
    if peak_reach is not None and len(rows) > 1:
        low, high = peak_reach
        lines.append(words["total"].format(x=_amount(low, high, lang)))
        if lang == "nb" and low < high:
            lines[-1] += " " + words["why_range"]
    lines += [f"{name}: {words['up_to']} {_num(n)} {words['unit']}" for name, n in rows]
    outage_part: Mapping[str, Any] = impact.get("outage") or {}
    degraded_part: Mapping[str, Any] = impact.get("degradation") or {}
    outage = _pair(outage_part.get("customers")) or (0, int(outage_part.get("peak") or 0))
    degraded = _pair(degraded_part.get("customers")) or (0, int(degraded_part.get("peak") or 0))
    if outage[1] and degraded[1]:
        lines.append(words["both"].format(out=_amount(*outage, lang), deg=_amount(*degraded, lang)))
    elif outage[1]:
        lines.append(words["outage_only"])
    elif degraded[1]:
        lines.append(words["degradation_only"])
    now_reach = _reach(impact, "current")
    if now_reach is not None and peak_reach is not None:
        current, peak = now_reach[1], peak_reach[1]
    else:
        current, peak = int(impact.get("current") or 0), int(impact.get("peak") or 0)
    if peak and current == 0:
        lines.append(words["none_now"])
    elif current < peak:
        lines.append(words["partly_now"])
    return "\n".join(lines)


def _pts_scope(doc: Mapping[str, Any], regions: str, started: datetime | None) -> str:
    lines = []
    if started is not None:
        ended = _time(doc.get("remedied_at")) or _time(doc.get("ended_at"))
        since = f"Från {local_time(started, 'pts')}"
        lines.append(f"{since} till {local_time(ended, 'pts')}." if ended else f"{since}, pågår.")
    if regions:
        lines.append(f"Berörda områden:\n{regions}")
    elsewhere = _elsewhere(doc.get("impact") or {}, "sv")
    if elsewhere:
        lines.append(elsewhere)
    return "\n".join(lines)


def _annotations(doc: Mapping[str, Any]) -> Iterable[Mapping[str, str]]:
    for alert in doc.get("alert_details") or ():
        yield alert.get("annotations") or {}


#: the most distinct alert summaries a cause is drafted from when no alert states a cause:
#: beyond that they are a storm's symptoms, not a cause, and a person writes it. The most
#: distinct stated causes too: more is a storm whose alerts each state their own, no cause a
#: regulator can read
MAX_SUMMARIES_AS_CAUSE = 3
#: the longest one cause an alert may state that a notice carries (a person's reason may be as
#: long: ``MAX_REASON`` of bridge.core.regrouping, impact_override, awareness); a longer one is
#: left to a person, never sent
MAX_CAUSE = 1000


def _few_and_short(texts: list[str]) -> bool:
    """Whether ``texts`` are few and short enough to draft the cause from
    (:data:`MAX_SUMMARIES_AS_CAUSE`, :data:`MAX_CAUSE`)."""
    return len(texts) <= MAX_SUMMARIES_AS_CAUSE and all(len(t) <= MAX_CAUSE for t in texts)


def causes(doc: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The incident's causes as its alerts state them, distinct, in the alerts' order, and the
    annotations they came from. A stated cause (``cause``, ``årsak``) beats every alert's
    ``summary``: once one alert states one, summaries are symptoms (in a storm hundreds of
    distinct ones, each new alert changing the notice). The stated causes, else the
    summaries, when at most :data:`MAX_SUMMARIES_AS_CAUSE` and none longer than
    :data:`MAX_CAUSE`; else none (a person writes the cause)."""
    stated: list[str] = []
    stated_names: list[str] = []
    summaries: list[str] = []
    for notes in _annotations(doc):
        for name in CAUSE_ANNOTATIONS[:-1]:
            value = notes.get(name, "").strip()
            if value:
                if value not in stated:
                    if len(stated) == MAX_SUMMARIES_AS_CAUSE:
                        return [], []  # a storm's own causes: none is drafted
                    stated.append(value)
                    stated_names.append(name)
                break
        else:
            summary = notes.get(CAUSE_ANNOTATIONS[-1], "").strip()
            # one past the most is enough to know they are too many
            if summary and len(summaries) <= MAX_SUMMARIES_AS_CAUSE and summary not in summaries:
                summaries.append(summary)
    if stated:
        stated, stated_names = _cleaned(stated, stated_names)
        return (stated, stated_names) if _few_and_short(stated) else ([], [])
    summaries, names = _cleaned(summaries, [CAUSE_ANNOTATIONS[-1]] * len(summaries))
    return (summaries, names) if _few_and_short(summaries) else ([], [])


def _cleaned(texts: list[str], names: list[str]) -> tuple[list[str], list[str]]:
    """``texts`` (and the annotation each came from) as a notice may carry them: without the
    control, bidirectional and format characters an alert may bring (lines and tabs kept:
    :func:`bridge.core.person_text.cleaned`), still distinct, none empty."""
    out: list[str] = []
    kept: list[str] = []
    for text, name in zip(texts, names, strict=True):
        clean = person_text.cleaned(text).strip()
        if clean and clean not in out:
            out.append(clean)
            kept.append(name)
    return out, kept


def _cause(doc: Mapping[str, Any]) -> tuple[str, str] | None:
    """:func:`causes`, joined one per line."""
    found, names = causes(doc)
    if not found:
        return None
    return "\n".join(found), f"alert annotation(s) {', '.join(sorted(set(names)))}"


#: The country whose inventory flags a regulator's answers read (``impact.flags``).
_JURISDICTIONS = {"nkom": "NO", "pts": "SE"}

#: a snapshot's key (:func:`bridge.core.case_drafts.snapshot`) for the inventory's flagged
#: elements affected at that moment: ``"<country>:<flag>"`` (``NO:emergency_112``); absent
#: from snapshots stored before it was kept
FLAGS_NOW = "flags_now"


def flags_in(snap: Mapping[str, Any], jurisdiction: str) -> set[str] | None:
    """The flags affected in ``jurisdiction`` when ``snap`` was taken (None: a snapshot stored
    before they were kept)."""
    if FLAGS_NOW not in snap:
        return None
    prefix = f"{jurisdiction}:"
    return {f[len(prefix) :] for f in snap[FLAGS_NOW] if f.startswith(prefix)}


AFFECTED, NOT_AFFECTED = "affected", "not_affected"


def flag_state(
    doc: Mapping[str, Any], flag: str, regulator: str
) -> tuple[str, Mapping[str, Any]] | None:
    """Whether the incident's impact reached the inventory's elements flagged ``flag``
    (``emergency_112``, ``societal``) in the regulator's country, read from the impact itself
    (``impact.flags``: :func:`bridge.core.documents.flag_impact`), never from whether a
    criterion was met (a criterion also asks for a duration): :data:`AFFECTED` with the
    entry once one was affected at all; :data:`NOT_AFFECTED` when none was, the inventory
    flags such elements there and every alert was placed; None when that is not known (a
    document from before ``impact.flags``, an inventory that flags none, alerts the inventory
    could not place): a person answers."""
    impact: Mapping[str, Any] = doc.get("impact") or {}
    flags = impact.get("flags")
    if not isinstance(flags, Mapping):
        return None
    entry: Mapping[str, Any] = (flags.get(_JURISDICTIONS[regulator]) or {}).get(flag) or {}
    if int(entry.get("peak") or 0) > 0:
        return AFFECTED, entry
    if int(entry.get("inventory") or 0) > 0 and doc.get("impact_known", True) is not False:
        return NOT_AFFECTED, entry
    return None


def _flag_when(entry: Mapping[str, Any], regulator: str) -> str:
    """When the flagged elements were affected: ``fra … til … (2 timer)``, ``mellom … og …,
    til sammen …`` (affected on and off), ``siden …`` (still affected)."""
    lang = LANGUAGES[regulator]
    words = _WORDS[lang]
    started, until = _time(entry.get("from")), _time(entry.get("until"))
    if started is None:
        return ""
    if until is None:
        return words["flag_since"].format(a=local_time(started, regulator))
    seconds = int(entry.get("seconds") or 0)
    span = _span(seconds, lang)
    whole = (until - started).total_seconds()
    key = "flag_from_to" if seconds >= whole else "flag_between"
    return words[key].format(
        a=local_time(started, regulator), b=local_time(until, regulator), d=span
    )


def _emergency_112(doc: Mapping[str, Any], regulator: str) -> tuple[str, str] | None:
    """PTS asks every report to state the limits on calling 112 (seed 002): yes with how many
    elements carrying 112, when and how long, or no; unknown is left to a person."""
    found = flag_state(doc, "emergency_112", regulator)
    if found is None:
        return None
    state, entry = found
    source = "impact.flags (the inventory's elements carrying 112, over the incident)"
    if state == NOT_AFFECTED:
        return "Nej: inga nätelement som förmedlar nödsamtal (112) har berörts.", source
    n = int(entry.get("peak") or 0)
    what = (
        "ett nätelement som förmedlar nödsamtal (112)"
        if n == 1
        else f"upp till {_num(n)} nätelement samtidigt som förmedlar nödsamtal (112)"
    )
    when = _flag_when(entry, regulator)
    verb = "berörs" if entry.get("until") is None else "berördes"
    return f"Ja: {what} {verb}{' ' + when if when else ''}.", source


def _societal(doc: Mapping[str, Any], lang: str) -> tuple[str, str] | None:
    """Nkom's "samfunnsviktige funksjoner": the societally important elements and the network
    carrying 112, each affected (when) or not, from the impact (:func:`flag_state`)."""
    regulator = "nkom" if lang == "nb" else "pts"
    societal = flag_state(doc, "societal", regulator)
    e112 = flag_state(doc, "emergency_112", regulator)
    if societal is None and e112 is None:
        return None
    parts = []
    for found, subject, none in (
        (
            societal,
            "Samfunnsviktige funksjoner",
            "Ingen samfunnsviktige funksjoner har vært berørt så langt vi kjenner til.",
        ),
        (
            e112,
            "Nett som bærer nødanrop (112)",
            "Nett som bærer nødanrop (112) har ikke vært berørt så langt vi kjenner til.",
        ),
    ):
        if found is None:
            continue
        state, entry = found
        if state == NOT_AFFECTED:
            parts.append(none)
            continue
        when = _flag_when(entry, "nkom")
        if entry.get("until") is None:  # still affected: "… er berørt (siden …)."
            parts.append(f"{subject} er berørt{f' ({when})' if when else ''}.")
        else:
            parts.append(f"{subject} var berørt{f' {when}' if when else ''}.")
    return " ".join(parts), "impact.flags (the inventory's flagged elements, over the incident)"


def _expected(doc: Mapping[str, Any], regulator: str) -> tuple[str, str] | None:
    """Nkom asks for the *duration* until normalised ("Varighet før hendelsen er forventet
    normalisert", seed 003): a time in the annotation gives the span from the start and the
    time itself; free text is shown as written. A time before the incident's start is a wrong
    annotation, not a forecast: nothing (the element stays for a person to complete)."""
    value = expected_resolution(doc)
    if not value:
        return None
    source = f"alert annotation {RESOLUTION_ANNOTATION}"
    when, started = read_time(value), _time(doc.get("started_at"))
    if when is not None and started is not None and when < started:
        return None
    if when is None or started is None:
        return _when_text(value, regulator), source
    lang = LANGUAGES[regulator]
    text = _WORDS[lang]["expected_span"].format(
        d=_span((when - started).total_seconds(), lang), at=local_time(when, regulator)
    )
    return text, f"{source} − incident.started_at"


def expected_resolution(doc: Mapping[str, Any]) -> str:
    """The first ``expected_resolution`` annotation of the incident's alerts, as written but
    cleaned (:func:`bridge.core.person_text.cleaned`); none when it is longer than
    :data:`MAX_CAUSE` (a person writes the expected duration)."""
    for notes in _annotations(doc):
        value = person_text.cleaned(notes.get(RESOLUTION_ANNOTATION, "")).strip()
        if value:  # no forecast a notice can carry when longer than a cause may be
            return value if len(value) <= MAX_CAUSE else ""
    return ""


def _when_text(value: str, regulator: str) -> str:
    when = read_time(value)
    return value if when is None else local_time(when, regulator)  # free text shown as written


def _span(seconds: float, lang: str) -> str:
    """``4 timer og 35 minutter`` / ``4 timmar och 35 minuter``."""
    words = _WORDS[lang]
    minutes = max(0, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{_num(hours)} {_UNITS[lang]['hours'][hours != 1]}")
    if minutes or not hours:
        parts.append(f"{minutes} {_UNITS[lang]['minutes'][minutes != 1]}")
    return f" {words['and']} ".join(parts)


def _normalised(doc: Mapping[str, Any], regulator: str, names: ServiceNames | None) -> str:
    """When service was restored, the total duration and the peak."""
    ended = _time(doc.get("remedied_at")) or _time(doc.get("ended_at"))
    started = _time(doc.get("started_at"))
    if ended is None:
        return ""
    lang = LANGUAGES[regulator]
    words = _WORDS[lang]
    lines = [words["restored"].format(at=local_time(ended, regulator))]
    if started is not None:
        span = _span((ended - started).total_seconds(), lang)
        lines.append(words["duration"].format(d=span, start=local_time(started, regulator)))
    impact: Mapping[str, Any] = doc.get("impact") or {}
    by_service: Mapping[str, int] = impact.get("by_service") or {}
    peak_at = _time(impact.get("peak_at"))
    peak_reach = _reach(impact, "peak")
    if peak_reach is not None:
        if peak_reach[1] > 0 and peak_at is not None:
            lines.append(
                words["peak_all"].format(
                    n=_figure(*peak_reach, lang), at=local_time(peak_at, regulator)
                )
            )
    elif by_service and peak_at is not None:  # a document stored by older code
        top, n = max(by_service.items(), key=lambda kv: (kv[1], kv[0]))
        if n > 0:
            lines.append(
                words["peak"].format(
                    n=_num(n),
                    service=service_name(top, lang, names),
                    at=local_time(peak_at, regulator),
                )
            )
    return " ".join(lines)


def _changes(
    previous: Previous,
    doc: Mapping[str, Any],
    regulator: str,
    names: ServiceNames | None,
    correction: Correction | None = None,
) -> str:
    """What changed since ``previous`` was sent, one line each. A correction this notice
    tells (:func:`correction_text`) replaces the scope lines (customers, services, areas,
    flagged elements): they were wrong, not changed; a false alarm leaves out the severity
    and the expected end too (there was no outage)."""
    lang = LANGUAGES[regulator]
    words = _WORDS[lang]
    before, now_ = previous.before, previous.now
    region_names: Mapping[str, str] = (doc.get("impact") or {}).get("region_names") or {}
    lines: list[str] = []
    telling = _telling(correction, previous)
    false_alarm = correction is not None and correction.false_alarm
    # once it is over, what cleared is the normalised notice's own story (not repeated here);
    # what a correction tells is no change at all
    over = bool(doc.get("remedied_at") or doc.get("ended_at"))
    scope = not over and not telling and not false_alarm
    had, has = _pair(before.get("customers")), _pair(now_.get("customers"))
    if had is not None and has is not None:  # both counted per country (:func:`_amount`)
        if lang == "sv":
            had, has = (had[1], had[1]), (has[1], has[1])
        if had != has and scope:
            lines.append(words["impact"].format(a=_figure(*had, lang), b=_figure(*has, lang)))
    else:  # a snapshot stored by older code: its headline figure
        a, b = int(before.get("current", 0)), int(now_.get("current", 0))
        if a != b and scope:
            lines.append(words["impact"].format(a=_num(a), b=_num(b)))

    def listed(keys: Iterable[str], service: bool) -> str:
        shown = (
            service_name(k, lang, names) if service else _region_name(k, region_names) for k in keys
        )
        return _at_most(sorted(shown), lang)

    for key, current_key, service in (
        ("services", "current_services", True),
        ("regions", "current_regions", False),
    ):
        new = sorted(set(now_.get(key, ())) - set(before.get(key, ())))
        if new and not telling and not false_alarm:
            lines.append(words[f"{key[:-1]}_new"].format(x=listed(new, service)))
        if current_key in before and current_key in now_ and scope:
            cleared = sorted(set(before[current_key]) - set(now_[current_key]))
            if cleared:
                lines.append(words[f"{key[:-1]}_cleared"].format(x=listed(cleared, service)))
    flagged = _FLAG_NAMES[lang]
    was = flags_in(before, _JURISDICTIONS[regulator])
    is_ = flags_in(now_, _JURISDICTIONS[regulator])
    if was is not None and is_ is not None and scope:  # over: the normalised notice's story
        for flag in (f for f in flagged if f in was ^ is_):
            lines.append(
                words["flag_new" if flag in is_ else "flag_cleared"].format(x=flagged[flag])
            )
    for cause in sorted(set(now_.get("causes", ())) - set(before.get("causes", ()))):
        lines.append(words["cause"].format(x=cause))
    # a label's case is no change (a country's severities are its alerts' signals, lower case)
    sev_a = sorted({str(v).lower() for v in before.get("severities", ())})
    sev_b = sorted({str(v).lower() for v in now_.get("severities", ())})
    # a severity is read from firing alerts: once it is over none fires, which is no change
    if sev_a != sev_b and not (over and not sev_b) and not false_alarm:

        def sev(values: list[str]) -> str:
            shown = [_SEVERITY[lang].get(v.lower(), v) for v in sorted(values)]
            return ", ".join(shown) or words["not_given"]

        lines.append(words["severity"].format(a=sev(sev_a), b=sev(sev_b)))
    # once it is over, the expected normalisation is moot: the notice says when it was
    expected_moved = before.get("expected") != now_.get("expected")
    if "expected" in before and expected_moved and not over and not false_alarm:

        def exp(value: object) -> str:
            return _when_text(str(value), regulator) if value else words["not_given"]

        lines.append(words["expected"].format(a=exp(before["expected"]), b=exp(now_["expected"])))
    at = local_time(previous.sent_at, regulator)
    kept = "_kept" if previous.kept else ""  # only Swedish reports are ever kept (PTS's repeal)
    # over: only what it added (services, regions, causes) is compared, so only that is said
    end = "_over" if over else ""
    if telling or false_alarm:  # the rest is the correction's (told here, or before)
        end = "_corrected" if telling else "_false_alarm"
    if not lines:
        return words["no_change" + kept + end].format(at=at)
    head = words["since" + kept + end].format(at=at)
    return "\n".join([head, *(f"- {line}" for line in lines)])


#: the most names a changes line lists (new or cleared services, areas); the rest are counted
MAX_NAMES_CHANGED = 10
_MORE = {"nb": "og {n} til", "sv": "och {n} till"}


def _at_most(names: Sequence[str], lang: str, most: int = MAX_NAMES_CHANGED) -> str:
    """``a, b, c``; beyond ``most`` names the first ``most`` and how many more, in ``lang``
    (``a, b og 290 til`` / ``a, b och 290 till``): a storm can add hundreds of areas."""
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} {_MORE[lang].format(n=_num(len(names) - most))}"


def contact_line(contact: Contact, operator_name: str, lang: str) -> str:
    """``NOC-vakt, Exempel Nät AB, tlf. …, e-post …`` in the notice's language."""
    phone = "tlf." if lang == "nb" else "tel."
    parts = [p for p in (contact.name_in(lang), operator_name) if p]
    if contact.phone_in(lang):
        parts.append(f"{phone} {contact.phone_in(lang)}")
    if contact.email:
        parts.append(f"e-post {contact.email}")
    return ", ".join(parts)


#: What the subscriber notice says about how the channel checks who is asking (seed 004: the
#: identity is established before anything about the customer is discussed).
VERIFICATION = {
    "sv": "Innan vi lämnar ut eller pratar om uppgifter om dig kontrollerar vi att det är du.",
    "nb": "Før vi gir ut eller snakker om opplysninger om deg, kontrollerer vi at det er deg.",
}


def channel_line(contact: Contact, lang: str) -> str:
    """Where a subscriber turns, and how that channel verifies who is asking."""
    phone = "tlf." if lang == "nb" else "tel."
    web = "nettside" if lang == "nb" else "webbplats"
    name = contact.name_in(lang)
    parts = [name] if name else []
    if contact.phone_in(lang):
        parts.append(f"{phone} {contact.phone_in(lang)}")
    if contact.email:
        parts.append(f"e-post {contact.email}")
    if contact.web:
        parts.append(f"{web} {contact.web}")
    lines = [", ".join(parts)] if parts else []
    lines.append(contact.verification.get(lang) or VERIFICATION[lang])
    return "\n".join(lines)
