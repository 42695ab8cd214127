"""What people read instead of internal codes: the reports' display names, the regulators'
names and countries, and the events an obligation waits for, in plain words. Data, pure.

Contract:
- :data:`REPORTS` has one row per obligation kind (every kind of
  :data:`bridge.core.calendar.DEFAULT_RULES`; a test checks none is missing): its name in
  English (``en``), Norwegian (``nb``) and Swedish (``sv``). :func:`report_name` gives
  "Nkom – første varsel": the regulator's short name and the report's name in the regulator's
  own language (``nb`` for Nkom, ``sv`` for PTS and the Swedish cybersecurity act, ``en``
  for ENISA), the words its own forms use.
- :data:`WAITING` names each event an obligation can wait for ("the initial report is sent");
  :func:`waiting_words` falls back to the event with underscores as spaces, never a code.
- :func:`met_words` says what a rule set's met verdict means (an assessment of the incident's
  document, with its ``binding``, ``reference`` and ``repealed_on``:
  :func:`bridge.core.documents.meaning`), as ``bridge replay`` words it: "reportable to Nkom";
  "reference matrix met: enisa-matrix (opens no report)"; "pts-outage met: internal threshold
  (repealed 2026-01-15), owed to no regulator"; "x met: owed to no regulator" (a law in force
  whose reports are all the regulator's to ask for). With ``met=False``, that the verdict
  stopped: "no longer reportable to Nkom", "reference matrix no longer met: enisa-matrix",
  "pts-outage no longer met: internal threshold (…)", and, for an incident whose start moved
  before the day its law applies from (``in_force_from``), "x no longer met: not in force
  for this incident (applies to incidents from 2026-01-15)". An assessment without those
  fields (stored before they were) reads as binding. ``bridge replay`` uses it for every verdict
  that owes no regulator anything; its binding lines name the regulator by its code and the
  rule set ("reportable to nkom (nkom-varsel)"), as its other lines name regulators and reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from bridge.core.repeal import internal_threshold, not_in_force

#: kind → language → name
REPORTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "nkom_varsel": {"en": "first notice", "nb": "første varsel", "sv": "första varsel"},
        "nkom_update": {"en": "update", "nb": "oppdatering", "sv": "uppdatering"},
        "nkom_normalised": {
            "en": "service restored",
            "nb": "normalisert drift",
            "sv": "normaliserad drift",
        },
        "nkom_hendelsesrapport": {
            "en": "incident report",
            "nb": "hendelsesrapport",
            "sv": "händelserapport",
        },
        "pts_initial": {"en": "initial report", "nb": "første rapport", "sv": "inledande rapport"},
        "pts_supplementary": {
            "en": "supplementary report",
            "nb": "supplerende rapport",
            "sv": "kompletterande rapport",
        },
        "privacy_initial": {
            "en": "personal data breach: initial report",
            "nb": "brudd på personopplysningssikkerheten: første melding",
            "sv": "integritetsincident: inledande anmälan",
        },
        "privacy_supplementary": {
            "en": "personal data breach: supplementary report",
            "nb": "brudd på personopplysningssikkerheten: supplerende melding",
            "sv": "integritetsincident: kompletterande anmälan",
        },
        "subscriber_notice": {
            "en": "notice to subscribers",
            "nb": "varsel til abonnenter",
            "sv": "underrättelse till abonnenter",
        },
        # not a report: the queue's item until a person records how a handed-over subscriber
        # notice reached the subscribers (bridge/core/privacy_reach.py)
        "subscriber_distribution": {
            "en": "record how the subscriber notice reached the subscribers",
            "nb": "registrer hvordan varselet nådde abonnentene",
            "sv": "registrera hur underrättelsen nådde abonnenterna",
        },
        "privacy_subscriber_copy": {
            "en": "copy of the subscriber notice",
            "nb": "kopi av varselet til abonnenter",
            "sv": "kopia av underrättelsen till abonnenter",
        },
        "nkom_privacy_varsel": {
            "en": "personal data breach: notice",
            "nb": "brudd på personopplysningssikkerheten: varsel",
            "sv": "integritetsincident: varsel",
        },
        "nkom_privacy_subscriber": {
            "en": "personal data breach: notice to subscribers",
            "nb": "brudd på personopplysningssikkerheten: varsel til abonnenter",
            "sv": "integritetsincident: underrättelse till abonnenter",
        },
        "nkom_privacy_update": {
            "en": "personal data breach: updated notice",
            "nb": "brudd på personopplysningssikkerheten: oppdatert varsel",
            "sv": "integritetsincident: uppdaterat varsel",
        },
        "nkom_privacy_normalised": {
            "en": "personal data breach: updated notice, case closed",
            "nb": "brudd på personopplysningssikkerheten: oppdatert varsel, normalisert",
            "sv": "integritetsincident: uppdaterat varsel, avslutat",
        },
        "se_cyber_early_warning": {
            "en": "early warning",
            "nb": "tidlig varsel",
            "sv": "tidig varning",
        },
        "se_cyber_notification": {
            "en": "incident notification",
            "nb": "hendelsesmelding",
            "sv": "incidentanmälan",
        },
        "se_cyber_final": {"en": "final report", "nb": "sluttrapport", "sv": "slutrapport"},
        "se_cyber_intermediate": {
            "en": "intermediate report",
            "nb": "delrapport",
            "sv": "delrapport",
        },
        "se_cyber_progress": {
            "en": "progress report",
            "nb": "statusrapport",
            "sv": "lägesrapport",
        },
        # no report: the deadline queue's row for a person's decision (bridge/core/queue.py)
        "significance_decision": {
            "en": "decide: significant under the cybersecurity act?",
            "nb": "avgjør: vesentlig hendelse etter cybersikkerhetsloven?",
            "sv": "avgör: betydande incident enligt cybersäkerhetslagen?",
        },
    }
)

#: regulator → (short name, country code, the language of its forms)
REGULATORS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        "nkom": ("Nkom", "NO", "nb"),
        "pts": ("PTS", "SE", "sv"),
        # the cybersecurity act's CSIRT unit (Myndigheten för civilt försvar): rule set se-cyber
        "csirt": ("MCF CSIRT", "SE", "sv"),
        "enisa": ("ENISA", "EU", "en"),
    }
)

#: event → what an obligation waiting for it waits for, in plain words
WAITING: Mapping[str, str] = MappingProxyType(
    {
        "initial_sent": "owed once the initial report is sent",
        "significant_change": "owed once the impact changes significantly",
        "normalised": "owed once the incident is over",
        "remedied": "owed once every alert is resolved",
        "notification_sent": "owed once the notification is sent",
        "subscriber_notice_sent": "owed once subscribers are notified",
        "distribution_recorded": (
            "handed to the operator's address for distribution, not yet recorded as reached"
        ),
        "set_by_regulator": "owed by the date the regulator sets",
        "aware": "owed once a person declares the incident significant",
        "csirt_deadline": "owed by the date the CSIRT sets",
        "nkom_deadline": "owed by the date Nkom sets",
    }
)


def regulator_name(regulator: str) -> str:
    """ "Nkom", "PTS" … (the id itself for one not listed)."""
    return REGULATORS.get(regulator, (regulator, "", "en"))[0]


def met_words(assessment: Mapping[str, Any], *, met: bool = True) -> str:
    """What a met (non-cyber) verdict means, in words, or (``met`` false) that it stopped
    meaning it (see the module contract)."""
    rule_set = str(assessment.get("rule_set") or "")
    late = assessment.get("in_force_from")
    if not met and late:  # the incident now began before the day the law applies from
        return f"{rule_set} no longer met: {not_in_force(date.fromisoformat(str(late)))}"
    if assessment.get("reference"):
        if not met:
            return f"reference matrix no longer met: {rule_set}"
        return f"reference matrix met: {rule_set} (opens no report)"
    if assessment.get("binding") is False:
        repealed = assessment.get("repealed_on")
        why = (
            internal_threshold(date.fromisoformat(str(repealed)))
            if repealed
            else "owed to no regulator"
        )
        return f"{rule_set} {'met' if met else 'no longer met'}: {why}"
    name = regulator_name(str(assessment.get("regulator") or ""))
    return f"reportable to {name}" if met else f"no longer reportable to {name}"


def country_of(regulator: str) -> str:
    """The regulator's country code (SE, NO; EU for ENISA; "" when unknown)."""
    return REGULATORS.get(regulator, (regulator, "", "en"))[1]


def report_name(regulator: str, kind: str, language: str | None = None) -> str:
    """ "Nkom – første varsel": see the module contract (``language`` overrides the
    regulator's)."""
    lang = language or REGULATORS.get(regulator, (regulator, "", "en"))[2]
    names = REPORTS.get(kind)
    words = names.get(lang, names["en"]) if names else kind.replace("_", " ")
    return f"{regulator_name(regulator)} – {words}"


def waiting_words(event: str | None) -> str:
    """What an obligation without a deadline waits for, in plain words ("" for None)."""
    if not event:
        return ""
    return WAITING.get(event, f"owed once {event.replace('_', ' ')} happens")


def table() -> dict[str, object]:
    """Everything above as plain JSON data (for the console's pages)."""
    return {
        "reports": {k: dict(v) for k, v in REPORTS.items()},
        "regulators": {
            k: {"name": n, "country": c, "language": lang} for k, (n, c, lang) in REGULATORS.items()
        },
        "waiting": dict(WAITING),
    }
