"""Notice fields of the privacy kinds, prefilled from a privacy case document. Pure.

Contract: :func:`values` takes a case document (:func:`bridge.core.privacy.to_dict`, plus
``subscriber_notices``: kind → the subscriber notice as sent, for the copy to PTS) and returns
``key → (value, source)`` for the keys of :data:`FIELD_KEYS`; a key it cannot answer is left
out (a person completes it). Swedish for PTS and Swedish subscribers, bokmål for Nkom and
Norwegian subscribers; the subscriber notices are written for subscribers, in plain words.
Robust to a document without privacy facts (every key read with a default).

Only a person's words reach subscribers: the document's ``alert_texts``
(:func:`bridge.core.privacy.document`) names the free-text facts that still hold only what an
alert wrote (a Prometheus rule's annotation: technical, in English, naming hosts). The notices
to subscribers (:data:`SUBSCRIBER_KINDS`) leave those out, so a field built from one alone is
left to complete (its hint, never sent, says why); a person's text for the notice's language
(``texts``) is used. The reports to regulators (technical readers, reviewed before sending) start
from the alert's text, and the field's ``source`` says it is the alert's: the text never does.
A notice to subscribers never says "not yet known" for what it must state
(:data:`SUBSCRIBER_REQUIRED`, :func:`not_sendable_unknown`): its approval is refused until a
person writes them.

:func:`changes` is the supplementary report's first answer: when the initial report was sent
and which of its answers changed or were added since, compared with the version that was sent
(the bridge's record of it). Answers a person wrote in the initial report are carried into the
supplementary report as written (:mod:`bridge.core.case_drafts`), so they are not compared: a
person who changes one says so in this field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from bridge.core import person_text

PTS_PRIVACY_KINDS = ("privacy_initial", "privacy_supplementary", "privacy_subscriber_copy")
SUBSCRIBER_KINDS = ("subscriber_notice", "nkom_privacy_subscriber")
#: The elements a notice to subscribers must state (seed 001, PTS's list for the notice to
#: subscribers: when, what happened and its consequences, what the operator does, what the
#: subscriber should do, the operator's contact details; it covers GDPR art. 34(2)'s nature,
#: likely consequences, measures and contact point). Norway's quoted rule lists no content: the
#: Norwegian notice has the same headings and follows the same list. Never sent as "not yet
#: known" (:func:`not_sendable_unknown`); ``your_data`` and ``reference`` may be.
SUBSCRIBER_REQUIRED = (
    "when",
    "what_happened",
    "what_it_means",
    "what_we_do",
    "what_you_can_do",
    "contact_us",
)
NKOM_PRIVACY_KINDS = ("nkom_privacy_varsel", "nkom_privacy_subscriber")
#: Nkom's updated varsel of a privacy case (seed 003 "Oppdatert varsel underveis": "dersom det
#: skjer vesentlige endringer underveis i hendelsen, og når hendelsen er normalisert"): on a
#: change of the facts the varsel states, and when the case is closed. They state what the
#: varsel states (:data:`NKOM_UPDATE_STATES`), plus what changed.
NKOM_PRIVACY_UPDATE, NKOM_PRIVACY_NORMALISED = "nkom_privacy_update", "nkom_privacy_normalised"
NKOM_FOLLOW_UPS = (NKOM_PRIVACY_UPDATE, NKOM_PRIVACY_NORMALISED)
KINDS = (
    "privacy_initial",
    "privacy_supplementary",
    "subscriber_notice",
    "privacy_subscriber_copy",
    "nkom_privacy_varsel",
    "nkom_privacy_subscriber",
    *NKOM_FOLLOW_UPS,
)

_PTS_REPORT = (
    "provider",
    "contact_point",
    "notification",
    "occurred_at",
    "detected_at",
    "circumstances",
    "data_concerned",
    "measures_applied",
    "other_providers",
    "summary",
    "affected",
    "consequences",
    "mitigation",
    "prevention",
    "subscriber_notification",
    "cross_border",
    "reference",
)
_SUBSCRIBER = (
    "when",
    "what_happened",
    "your_data",
    "what_it_means",
    "what_we_do",
    "what_you_can_do",
    "contact_us",
    "reference",
)
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "privacy_initial": _PTS_REPORT,
    # a follow-up says when the initial report was sent and what changed since (REGULATION §5)
    "privacy_supplementary": (*_PTS_REPORT[:3], "changes", *_PTS_REPORT[3:]),
    "subscriber_notice": _SUBSCRIBER,
    "privacy_subscriber_copy": (
        "notice_copy",
        "notice_sent_at",
        "notice_means",
        "notified_count",
        "contact_point",
        "reference",
    ),
    # seed 003 "Hva skal varselet inneholde?", every item, for a privacy breach
    "nkom_privacy_varsel": (
        "breach_type",
        "occurred_at",
        "detected_at",
        "services",
        "description",
        "data_concerned",
        "scope_geography",
        "scope_customers",
        "scope_societal",
        "scope_life_health",
        "expected_duration",
        "cause",
        "measures",
        "contact",
    ),
    "nkom_privacy_subscriber": _SUBSCRIBER,
}
#: The varsel an updated varsel restates (:func:`values` answers it as for the varsel).
NKOM_UPDATE_STATES = "nkom_privacy_varsel"
# the updated varsel: what changed since the last one sent first, then the varsel's answers as
# they stand; the closing one says when the case was closed instead of an expected duration
FIELD_KEYS[NKOM_PRIVACY_UPDATE] = ("changes", *FIELD_KEYS[NKOM_UPDATE_STATES])
FIELD_KEYS[NKOM_PRIVACY_NORMALISED] = (
    "changes",
    "normalised",
    *(k for k in FIELD_KEYS[NKOM_UPDATE_STATES] if k != "expected_duration"),
)

LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "provider": "Leverantörens namn",
        "contact_point": "Kontaktpunkt",
        "notification": "Första eller andra anmälan",
        "changes": "Ändringar sedan den inledande rapporten",
        "occurred_at": "Tidpunkt för incidenten",
        "detected_at": "Tidpunkt för upptäckt",
        "circumstances": "Omständigheter (t.ex. förlust, stöld, kopiering)",
        "data_concerned": "Personuppgifternas art och innehåll",
        "measures_applied": "Tekniska och organisatoriska åtgärder tillämpade på uppgifterna",
        "other_providers": "Anlitande av andra leverantörer",
        "summary": "Sammanfattning av incidenten (inkl. fysisk plats och lagringsmedia)",
        "affected": "Antal berörda abonnenter eller användare",
        "consequences": "Möjliga konsekvenser och negativa effekter för abonnenter/användare",
        "mitigation": "Åtgärder för att avhjälpa incidenten och mildra negativa effekter",
        # seed 001: "åtgärder för att avhjälpa brister och för att undvika liknande incidenter"
        "prevention": "Åtgärder för att undvika liknande incidenter",
        "subscriber_notification": "Underrättelse till abonnenter och användare",
        "cross_border": "Gränsöverskridande aspekter",
        "when": "När hände det?",
        "what_happened": "Vad har hänt?",
        "your_data": "Vilka uppgifter om dig berörs?",
        "what_it_means": "Vad kan det innebära för dig?",
        "what_we_do": "Vad gör vi?",
        "what_you_can_do": "Vad kan du göra?",
        "contact_us": "Kontakta oss",
        "notice_copy": "Underrättelsen till abonnenter och användare (kopia)",
        "notice_sent_at": "Underrättelsen skickades",
        "notice_means": "Kommunikationssätt",
        "notified_count": "Antal underrättade abonnenter eller användare",
    },
    "nb": {
        "breach_type": "Type hendelse",
        "occurred_at": "Tidspunkt for hendelsen",
        "detected_at": "Tidspunkt for oppdagelse",
        "description": "Beskrivelse",
        "data_concerned": "Berørte opplysninger",
        "expected_duration": "Varighet før hendelsen er forventet normalisert",
        "measures": "Tiltak iverksatt og planlagt",
        "when": "Når skjedde det?",
        "what_happened": "Hva har skjedd?",
        "your_data": "Hvilke opplysninger om deg er berørt?",
        "what_it_means": "Hva kan det bety for deg?",
        "what_we_do": "Hva gjør vi?",
        "what_you_can_do": "Hva kan du gjøre?",
        "contact_us": "Kontakt oss",
        "reference": "Referanse",
    },
}

TITLES = {
    "privacy_initial": "Anmälan av integritetsincident – inledande rapport",
    "privacy_supplementary": "Anmälan av integritetsincident – kompletterande rapport",
    "subscriber_notice": "Information om en integritetsincident",
    "privacy_subscriber_copy": "Kopia av underrättelse till abonnenter om integritetsincident",
    "nkom_privacy_varsel": "Varsel om brudd på personvernet",
    NKOM_PRIVACY_UPDATE: "Oppdatert varsel om brudd på personvernet",
    NKOM_PRIVACY_NORMALISED: "Oppdatert varsel om brudd på personvernet – normalisert",
    "nkom_privacy_subscriber": "Informasjon om et brudd på personvernet",
}

#: A case of nature ``risk`` (Norway: Nkom's "Særlig risiko for brudd på sikkerheten", which
#: seed 003 keeps apart from "Sikkerhetsbrudd som har krenket personvernet til abonnent eller
#: bruker"): its notices' titles (and so subjects) say risk, never a breach. Sweden has no risk
#: nature (PTS's rule set applies to breaches only): its kinds keep :data:`TITLES`.
RISK_TITLES = {
    "nkom_privacy_varsel": "Varsel om særlig risiko for brudd på sikkerheten",
    "nkom_privacy_subscriber": "Informasjon om særlig risiko for brudd på sikkerheten",
}

#: Headings a risk's notice to subscribers words apart from a breach's: their data "may be"
#: concerned, not "is" (:func:`labels`).
RISK_LABELS = {"your_data": "Hvilke opplysninger om deg kan bli berørt?"}

#: The first sentence of a notice to subscribers, by language and nature (``{operator}``: the
#: provider's name): a breach "has affected" their data; a risk only "may affect" it.
_SUBSCRIBER_LEADS = {
    ("sv", "breach"): (
        "vi på {operator} vill berätta att en incident har påverkat personuppgifter om dig. "
        "Här förklarar vi vad som har hänt och vad det kan innebära för dig."
    ),
    ("nb", "breach"): (
        "vi i {operator} vil fortelle deg at en hendelse har berørt personopplysninger om deg. "
        "Her forklarer vi hva som har skjedd og hva det kan bety for deg."
    ),
    ("nb", "risk"): (
        "vi i {operator} vil fortelle deg at det er oppdaget en særlig risiko for brudd på "
        "sikkerheten som kan berøre personopplysninger om deg. Her forklarer vi hva som har "
        "skjedd og hva det kan bety for deg."
    ),
}


def _risk(kind: str, doc: Mapping[str, Any]) -> bool:
    return doc.get("nature") == "risk" and kind in NKOM_PRIVACY_KINDS


def title(kind: str, doc: Mapping[str, Any]) -> str:
    """The notice's title, its subject's first words: :data:`RISK_TITLES` for a Norwegian
    notice of a risk, else :data:`TITLES`."""
    return RISK_TITLES[kind] if _risk(kind, doc) else TITLES[kind]


def labels(kind: str, doc: Mapping[str, Any], base: Mapping[str, str]) -> dict[str, str]:
    """``base`` (the kind's labels) with a risk's own headings for a Norwegian notice to
    subscribers of a risk (:data:`RISK_LABELS`)."""
    if _risk(kind, doc) and kind in SUBSCRIBER_KINDS:
        return {**base, **RISK_LABELS}
    return dict(base)


def subscriber_lead(kind: str, doc: Mapping[str, Any], operator: str) -> str:
    """The first sentence of a notice to subscribers (:data:`SUBSCRIBER_KINDS`) after the
    greeting, by its language and the case's nature; empty for any other kind."""
    if kind not in SUBSCRIBER_KINDS:
        return ""
    nature = "risk" if _risk(kind, doc) else "breach"
    return _SUBSCRIBER_LEADS[(language(kind), nature)].format(operator=operator)


_CIRCUMSTANCES = {
    "sv": {
        "loss": "förlust",
        "theft": "stöld",
        "copying": "kopiering",
        "unauthorised_access": "obehörig åtkomst",
        "unauthorised_disclosure": "obehörigt röjande",
        "alteration": "ändring",
        "destruction": "förstöring",
        "other": "annat",
    },
    "nb": {
        "loss": "tap",
        "theft": "tyveri",
        "copying": "kopiering",
        "unauthorised_access": "uautorisert tilgang",
        "unauthorised_disclosure": "uautorisert utlevering",
        "alteration": "endring",
        "destruction": "ødeleggelse",
        "other": "annet",
    },
}
# Report wording (to the regulator) and plain wording (to subscribers).
_CATEGORIES = {
    "sv": {
        "content": "innehållsuppgifter",
        "subscriber": "abonnentuppgifter",
        "traffic": "trafikuppgifter",
        "location": "lokaliseringsuppgifter",
    },
    "nb": {
        "content": "innholdsdata",
        "subscriber": "abonnementsopplysninger",
        "traffic": "trafikkdata",
        "location": "lokasjonsdata",
    },
}
_PLAIN_CATEGORIES = {
    "sv": {
        "content": "innehållet i dina samtal eller meddelanden",
        "subscriber": "dina kunduppgifter, till exempel namn, adress och telefonnummer",
        "traffic": "uppgifter om vem du har ringt eller skickat meddelanden till, och när",
        "location": "uppgifter om var din telefon har befunnit sig",
    },
    "nb": {
        "content": "innholdet i samtalene eller meldingene dine",
        "subscriber": "kundeopplysningene dine, for eksempel navn, adresse og telefonnummer",
        "traffic": "opplysninger om hvem du har ringt eller sendt meldinger til, og når",
        "location": "opplysninger om hvor telefonen din har vært",
    },
}
_EXEMPTION = {
    "no_adverse_effect": "incidenten kan inte antas påverka dem negativt",
    "data_unreadable": "uppgifterna var oläsliga för obehöriga",
}

Values = dict[str, tuple[str, str]]
TimeFormat = Callable[[datetime], str]


def required(kind: str) -> tuple[str, ...]:
    """The fields ``kind`` must state, never sent as not yet known: a notice to subscribers'
    required elements (:data:`SUBSCRIBER_REQUIRED`); none for any other kind, a report to a
    regulator (it says what is known, and is supplemented)."""
    return SUBSCRIBER_REQUIRED if kind in SUBSCRIBER_KINDS else ()


def not_sendable_unknown(kind: str, keys: Iterable[str]) -> list[str]:
    """Which of ``keys`` (fields still to complete) ``kind`` may not send as not yet known
    (:func:`required`), in the notice's order: they must be written before approval."""
    named = set(keys)
    return [k for k in required(kind) if k in named]


def language(kind: str) -> str:
    return "nb" if kind in NKOM_PRIVACY_KINDS or kind in NKOM_FOLLOW_UPS else "sv"


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def _num(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _str(doc: Mapping[str, Any], key: str, lang: str) -> str:
    """A free-text fact in ``lang``: the case's text for that language where it has one."""
    texts = (doc.get("texts") or {}).get(lang) or {}
    value = texts.get(key) or doc.get(key) or ""
    return str(value)


#: What a regulator report's field built from an alert's text says of it (its note, never sent).
ALERT_NOTE = (
    " (still the alert's own summary/description annotations: no person has saved the case's "
    "description; check it says what a case handler at the regulator should read)"
)


def _by_alert(doc: Mapping[str, Any], key: str, lang: str, alert: tuple[str, ...]) -> bool:
    """Whether ``key`` in ``lang`` is still only an alert's text (no person's text for it)."""
    texts = (doc.get("texts") or {}).get(lang) or {}
    return key in alert and not texts.get(key) and bool(str(doc.get(key) or "").strip())


def _put(out: Values, key: str, value: str, source: str) -> None:
    if value.strip():
        out[key] = (value.strip(), source)


def values(
    kind: str,
    doc: Mapping[str, Any],
    provider: str,
    contact: str,
    reference: str,
    fmt: TimeFormat,
    channel: str | None = None,
    origins: tuple[str, str] = ("operator.contacts.privacy", "operator.contacts.subscriber"),
) -> Values:
    """See the module contract. ``provider``: the operator's name and organisation number;
    ``contact``: its privacy contact point in the kind's language; ``channel``: where
    subscribers turn (a channel that verifies who is asking; default ``contact``); ``fmt``:
    local time in the recipient's zone; ``origins``: the configuration keys the contact point
    and the channel came from (the fields' notes)."""
    if kind in NKOM_FOLLOW_UPS:  # the varsel's answers as they stand (the changes: drafting's)
        kind = NKOM_UPDATE_STATES
    lang = language(kind)
    out: Values = {}
    privacy, subscriber = origins
    alert = tuple(str(k) for k in doc.get("alert_texts") or ())
    if kind in SUBSCRIBER_KINDS:  # only a person's words reach subscribers
        doc = {**doc, **dict.fromkeys(alert, "")}
    elif alert:  # an alert's words, kept as sent: a regulator reads them as a person's may be
        doc = {**doc, **{k: person_text.cleaned(str(doc.get(k) or "")) for k in alert}}
    said = ALERT_NOTE if _by_alert(doc, "description", lang, alert) else ""
    _put(out, "reference", reference, "case id")
    _put(out, "contact_point", contact, privacy)
    _put(out, "contact", contact, privacy)
    _put(
        out,
        "contact_us",
        contact if channel is None else channel,
        privacy if channel is None else subscriber,
    )
    _times(out, doc, lang, fmt)
    _put(out, "circumstances", _circumstances(doc, lang), "case.circumstances")
    _put(out, "data_concerned", _data(doc, lang), "case.data_categories + data_description")
    _put(out, "your_data", _plain_data(doc, lang), "case.data_categories + data_description")
    _put(out, "measures_applied", _unreadable(doc, lang), "case.unreadable + unreadable_how")
    _put(out, "other_providers", _str(doc, "other_providers", lang), "case.other_providers")
    _put(out, "cross_border", _str(doc, "cross_border", lang), "case.cross_border")
    _put(out, "summary", _summary(doc, lang), "case.description + location + causes" + said)
    _put(out, "prevention", _str(doc, "recurrence_prevention", lang), "case.recurrence_prevention")
    _put(out, "services", _str(doc, "services", lang), "case.services")
    _put(
        out,
        "what_you_can_do",
        _str(doc, "recommended_actions", lang),
        "case.recommended_actions",
    )
    _put(out, "cause", _str(doc, "causes", lang), "case.causes")
    description = _str(doc, "description", lang)
    _put(out, "description", description, "case.description" + said)
    _put(out, "what_happened", description, "case.description")
    affected = doc.get("affected")
    if isinstance(affected, int):
        unit = "abonnenter/brukere" if lang == "nb" else "abonnenter eller användare"
        for key in ("affected", "scope_customers", "notified_count"):
            _put(out, key, f"{_num(affected)} {unit}", "case.affected")
    consequences = _str(doc, "consequences", lang)
    _put(out, "consequences", consequences, "case.consequences")
    _put(out, "what_it_means", consequences, "case.consequences")
    measures = _measures(doc, lang)
    for key in ("mitigation", "what_we_do", "measures"):
        _put(out, key, measures, "case.measures_taken + measures_planned")
    if kind in ("privacy_initial", "privacy_supplementary"):
        _put(out, "provider", provider, "operator (config)")
        first = kind == "privacy_initial"
        _put(
            out,
            "notification",
            "Första anmälan (inledande rapport)" if first else "Andra anmälan (kompletterande)",
            "report kind",
        )
        _put(out, "subscriber_notification", _notified(doc, fmt), "case.exemption + notices")
    if kind == "nkom_privacy_varsel":
        risk = doc.get("nature") == "risk"
        text = (  # seed 003's words
            "Særlig risiko for brudd på sikkerheten"
            if risk
            else "Sikkerhetsbrudd som har krenket personvernet til abonnent eller bruker"
        )
        _put(out, "breach_type", text, "case.nature")
    if kind == "privacy_subscriber_copy":
        _copy(out, doc, fmt)
    return out


#: Answers of the reports that describe the report, not the incident (never listed as changed).
_NOT_COMPARED = ("notification", "changes", "reference")
_SHORT = 120  # an earlier answer longer than this (or on several lines) is not repeated


def changes(
    new: Mapping[str, str],
    sent: Mapping[str, str],
    edited: tuple[str, ...],
    labels: Mapping[str, str],
    sent_at: str,
) -> str:
    """``Den inledande rapporten skickades …`` and, one line each, the answers added (sent as
    not yet known) or changed since (the earlier answer repeated when short)."""
    lines = []
    for key, value in new.items():
        if key in _NOT_COMPARED or key in edited or key not in labels:
            continue
        before, after = sent.get(key, "").strip(), value.strip()
        if before == after or not after:
            continue
        if not before:
            lines.append(f"- {labels[key]}: ny uppgift (var ännu inte känd).")
        elif len(before) <= _SHORT and "\n" not in before:
            lines.append(f"- {labels[key]}: ändrad (tidigare: {before.rstrip('.')}).")
        else:
            lines.append(f"- {labels[key]}: ändrad.")
    head = f"Den inledande rapporten skickades {sent_at}."
    if not lines:
        return f"{head} Inga uppgifter har ändrats eller tillkommit sedan dess."
    return "\n".join([f"{head} Sedan dess:", *lines])


def _times(out: Values, doc: Mapping[str, Any], lang: str, fmt: TimeFormat) -> None:
    detected = _time(doc.get("detected_at"))
    occurred = _time(doc.get("occurred_at"))
    estimated = bool(doc.get("occurred_estimated"))
    if detected is not None:
        _put(out, "detected_at", fmt(detected), "case.detected_at")
    if occurred is not None:
        mark = (" (anslått)" if lang == "nb" else " (uppskattad)") if estimated else ""
        _put(out, "occurred_at", fmt(occurred) + mark, "case.occurred_at")
    if detected is None:
        return
    if lang == "nb":
        when = f"Vi oppdaget hendelsen {fmt(detected)}."
        if occurred is not None:
            about = "omtrent " if estimated else ""
            when = f"Hendelsen skjedde {about}{fmt(occurred)}. " + when
    else:
        when = f"Vi upptäckte händelsen {fmt(detected)}."
        if occurred is not None:
            about = "ungefär " if estimated else ""
            when = f"Händelsen inträffade {about}{fmt(occurred)}. " + when
    _put(out, "when", when, "case.occurred_at + detected_at")


def _circumstances(doc: Mapping[str, Any], lang: str) -> str:
    names = _CIRCUMSTANCES[lang]
    chosen = [names.get(c, c) for c in doc.get("circumstances") or ()]
    parts = [", ".join(chosen).capitalize()] if chosen else []
    parts.append(_str(doc, "circumstances_text", lang))
    return "\n".join(p for p in parts if p.strip())


def _data(doc: Mapping[str, Any], lang: str) -> str:
    names = _CATEGORIES[lang]
    chosen = [names.get(c, c) for c in doc.get("data_categories") or ()]
    parts = [", ".join(chosen).capitalize()] if chosen else []
    parts.append(_str(doc, "data_description", lang))
    return "\n".join(p for p in parts if p.strip())


def _plain_data(doc: Mapping[str, Any], lang: str) -> str:
    names = _PLAIN_CATEGORIES[lang]
    lines = [f"- {names.get(c, c)}" for c in doc.get("data_categories") or ()]
    extra = _str(doc, "data_description", lang)
    return "\n".join([*lines, extra] if extra.strip() else lines)


def _unreadable(doc: Mapping[str, Any], lang: str) -> str:
    flag = doc.get("unreadable")
    how = _str(doc, "unreadable_how", lang)
    if flag is True:
        return "Uppgifterna var oläsliga för obehöriga" + (f": {how}" if how.strip() else ".")
    if flag is False:
        return "Uppgifterna var inte oläsliga för obehöriga." + (f" {how}" if how.strip() else "")
    return ""


def _summary(doc: Mapping[str, Any], lang: str) -> str:
    parts = [_str(doc, "description", lang)]
    location, causes = _str(doc, "location", lang), _str(doc, "causes", lang)
    if location.strip():
        parts.append(f"Plats och lagringsmedia: {location}")
    if causes.strip():
        parts.append(f"Orsaker: {causes}")
    return "\n".join(p for p in parts if p.strip())


def _measures(doc: Mapping[str, Any], lang: str) -> str:
    taken = _str(doc, "measures_taken", lang).strip()
    planned = _str(doc, "measures_planned", lang).strip()
    done_word, plan_word = ("Gjort", "Planlagt") if lang == "nb" else ("Vidtaget", "Planerat")
    parts = []
    if taken:
        parts.append(f"{done_word}: {taken}")
    if planned:
        parts.append(f"{plan_word}: {planned}")
    return "\n".join(parts)


def _notified(doc: Mapping[str, Any], fmt: TimeFormat) -> str:
    exemption = doc.get("exemption")
    if isinstance(exemption, Mapping):
        why = _EXEMPTION.get(str(exemption.get("reason")), str(exemption.get("reason")))
        return f"Abonnenter och användare underrättas inte: {why}."
    sent = (doc.get("subscriber_notices") or {}).get("subscriber_notice") or {}
    at = _time(sent.get("sent_at"))
    if at is not None:
        return (
            f"Abonnenterna och användarna underrättades {fmt(at)}; "
            "en kopia av underrättelsen skickas till PTS."
        )
    return "Abonnenter och användare underrättas; en kopia av underrättelsen skickas till PTS."


def _copy(out: Values, doc: Mapping[str, Any], fmt: TimeFormat) -> None:
    sent = (doc.get("subscriber_notices") or {}).get("subscriber_notice") or {}
    if sent.get("text"):
        _put(
            out, "notice_copy", f"{sent.get('subject', '')}\n\n{sent['text']}", "subscriber notice"
        )
    at = _time(sent.get("sent_at"))
    if at is not None:
        _put(out, "notice_sent_at", fmt(at), "subscriber notice sent_at")


# ---- Nkom's updated varsel of a privacy case ---------------------------------------------------
#: Answers of the updated varsel that are not compared with the varsel sent before: those that
#: describe the notice (what changed, the close) and the operator's contact (its configuration,
#: not the incident). Every other answer of the varsel is: the same comparison as the
#: supplementary report's (:func:`changes`), so the same facts (the number affected, the
#: categories and description of the data, the nature, the measures, the times, the services,
#: the description, the cause).
NKOM_NOT_COMPARED = ("changes", "normalised", "contact")
#: A risk's (nature ``risk``) updated varsel says risk in its title, in seed 003's words.
_FOLLOW_UP_RISK_TITLES = {
    NKOM_PRIVACY_UPDATE: "Oppdatert varsel om særlig risiko for brudd på sikkerheten",
    NKOM_PRIVACY_NORMALISED: "Oppdatert varsel om særlig risiko for brudd på sikkerheten – "
    "normalisert",
}
#: The updated varsel's first sentence: what it is, after a varsel that was sent (the
#: reference above it is the varsel's), and without one (never owed so: a preview).
_FOLLOW_UP_LEADS = {
    NKOM_PRIVACY_UPDATE: (
        "Oppdatert varsel om en hendelse vi har varslet om tidligere, under samme referanse.",
        "Oppdatert varsel om hendelsen.",
    ),
    NKOM_PRIVACY_NORMALISED: (
        "Hendelsen vi har varslet om, er normalisert: saken er avsluttet.",
        "Hendelsen er normalisert: saken er avsluttet.",
    ),
}
_NKOM_WORDS = {
    "since": "Forrige varsel ble sendt {at}. Siden da:",
    "no_change": "Forrige varsel ble sendt {at}. Ingen opplysninger er endret eller kommet til "
    "siden da.",
    "no_previous": "Det er ikke sendt noe tidligere varsel om denne hendelsen.",
    "new": "- {label}: ny opplysning (var ikke kjent da).",
    "from_to": "- {label}: {a} → {b}",
    "added": "- {label}: lagt til «{b}»",
    "removed": "- {label}: tatt ut «{a}»",
    "changed_was": "- {label}: endret (tidligere: {a}).",
    "changed": "- {label}: endret.",
    "closed": "Saken ble avsluttet {at}.",
    # the case's closure says a person found no breach (nor a particular risk) after all
    "closed_none": "Saken ble avsluttet {at}. Vi har konkludert med at det ikke forelå et "
    "sikkerhetsbrudd eller en særlig risiko for brudd på sikkerheten.",
}


def follow_up_title(kind: str, doc: Mapping[str, Any]) -> str:
    """The updated varsel's title (and so its subject's first words): a risk's in seed 003's
    words, else a breach's."""
    if doc.get("nature") == "risk":
        return _FOLLOW_UP_RISK_TITLES[kind]
    return TITLES[kind]


def follow_up_lead(kind: str, followed: bool) -> str:
    """The updated varsel's first sentence (``followed``: a varsel of the case was sent)."""
    after, alone = _FOLLOW_UP_LEADS[kind]
    return after if followed else alone


def closed_at(doc: Mapping[str, Any]) -> datetime | None:
    """When the case (its document) was closed: the last revision that set its state, while it
    is closed; None while it is open."""
    if doc.get("state") != "closed":
        return None
    found = [c.get("at") for c in doc.get("history") or () if "state" in (c.get("fields") or ())]
    return _time(found[-1]) if found else None


def closed_text(doc: Mapping[str, Any], fmt: TimeFormat) -> str:
    """The closing updated varsel's "Normalisert": when the case was closed (empty while it is
    open) and, when its ``closure`` (read if the case has one) found no breach, that it was
    none. A person's reason for closing is the operator's record, never put here: it was not
    written for Nkom and may name people."""
    at = closed_at(doc)
    if at is None:
        return ""
    closure = doc.get("closure")
    none = isinstance(closure, Mapping) and closure.get("outcome") == "not_a_breach"
    return _NKOM_WORDS["closed_none" if none else "closed"].format(at=fmt(at))


def nkom_changed(
    new: Mapping[str, str], sent: Mapping[str, str], edited: tuple[str, ...]
) -> list[str]:
    """The answers of ``new`` (an updated varsel's, as the bridge fills them) that differ from
    ``sent`` (the last varsel sent: its answers as sent) and are now known, in ``new``'s
    order: not those of :data:`NKOM_NOT_COMPARED`, nor those a person wrote in the one sent
    (``edited``: carried into the update as written, a person who changes one says so)."""
    out = []
    for key, value in new.items():
        if key in NKOM_NOT_COMPARED or key in edited:
            continue
        if value.strip() and value.strip() != sent.get(key, "").strip():
            out.append(key)
    return out


def _lines(text: str) -> list[str]:
    return [line.strip().rstrip(".") for line in text.splitlines() if line.strip()]


def _change_line(label: str, before: str, after: str) -> str:
    """One changed answer, in bokmål: old → new where both are short (the lines that differ,
    for an answer of several lines), else that it changed and, when short, what it was."""
    words = _NKOM_WORDS
    if not before.strip():
        return words["new"].format(label=label)
    was, now_ = _lines(before), _lines(after)
    gone = "; ".join(line for line in was if line not in now_)
    came = "; ".join(line for line in now_ if line not in was)
    short_gone, short_came = len(gone) <= _SHORT, len(came) <= _SHORT
    rest = came[len(gone) :] if gone and came.startswith(gone) else ""
    if rest[:2] in (". ", ", ", "; ") and len(rest) - 2 <= _SHORT:  # a line that grew
        return words["added"].format(label=label, b=rest[2:])
    if gone and came and short_gone and short_came:
        return words["from_to"].format(label=label, a=gone, b=came)
    if came and not gone and short_came:
        return words["added"].format(label=label, b=came)
    if gone and not came and short_gone:
        return words["removed"].format(label=label, a=gone)
    if gone and short_gone:
        return words["changed_was"].format(label=label, a=gone)
    return words["changed"].format(label=label)


def nkom_changes(
    new: Mapping[str, str],
    sent: Mapping[str, str] | None,
    edited: tuple[str, ...],
    labels: Mapping[str, str],
    sent_at: str,
) -> str:
    """The updated varsel's "Endringer siden forrige varsel": when the last varsel (or update)
    was sent and, one line each, the answers changed or added since (:func:`nkom_changed`),
    old → new. ``sent`` None: no varsel was sent (:data:`_NKOM_WORDS` ``no_previous``)."""
    if sent is None:
        return _NKOM_WORDS["no_previous"]
    keys = [k for k in nkom_changed(new, sent, edited) if k in labels]
    if not keys:
        return _NKOM_WORDS["no_change"].format(at=sent_at)
    lines = [_change_line(labels[k], sent.get(k, ""), new[k]) for k in keys]
    return "\n".join([_NKOM_WORDS["since"].format(at=sent_at), *lines])
