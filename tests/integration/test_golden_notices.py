"""Golden samples: what a regulator (or a subscriber) receives, for every notice kind, rendered
from one fixed, realistic incident or privacy case and kept under ``tests/data/notices/``.

A reviewer reads exactly what is sent there (the From and Reply-To a case handler sees and
answers, the subject, the text; the HTML), and every change to it shows in review. To accept
a deliberate change, run ``./scripts/update-golden`` (it sets ``UPDATE_GOLDEN=1`` for this
file only) and read the diff before committing it. In that mode the samples are rewritten
before they are compared, so the comparison always passes: it is a tool, never a check. So it
can never run in CI: ``.ci/run`` unsets ``UPDATE_GOLDEN``, and with ``CI`` set this module
refuses to load at all when ``UPDATE_GOLDEN`` is set (any value), failing the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bridge.config import BridgeConfig, OperatorConfig
from bridge.config.report_forms import builtin_forms, hints_of
from bridge.config.rule_sets import load_rule_set
from bridge.core import case_drafts
from bridge.core.casework import Approval, Draft, Version
from bridge.core.drafts import (
    FIELD_KEYS,
    KINDS,
    Carried,
    DraftFields,
    Previous,
    draft_fields,
    field_texts,
    reference_number,
    with_values,
)
from bridge.core.hendelsesrapport import SentNotice
from bridge.core.impact import reach
from bridge.notices.mail import build_message
from bridge.notices.rendering import render
from bridge.notices.senders import sender

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "notices"


def update_mode(env: Mapping[str, str]) -> bool:
    """Whether to rewrite the samples (``UPDATE_GOLDEN=1``); refused outright under ``CI``."""
    asked = env.get("UPDATE_GOLDEN", "")
    if asked and env.get("CI"):
        raise RuntimeError(
            "UPDATE_GOLDEN is set in CI: the golden samples would be rewritten, not checked"
        )
    return asked == "1"


UPDATE = update_mode(os.environ)

OPERATOR = sender(
    OperatorConfig.model_validate(
        {
            "name": "Exempel Nät AB",
            "org_number": "556000-0000",
            "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
            "contacts": {
                "outage": {
                    "name": "Anna Lindqvist, NOC",
                    "phone": "+46 10 000 00 00",
                    "email": "noc@example.net",
                },
                "privacy": {
                    "name": "Eva Svensson, dataskyddsombud",
                    "names": {
                        "sv": "Eva Svensson, dataskyddsombud",
                        "nb": "Eva Svensson, personvernombud",
                    },
                    "phone": "+46 10 000 00 10",
                    "email": "dpo@example.net",
                },
                "subscriber": {
                    "name": "Kundtjänst",
                    "names": {"sv": "Kundtjänst", "nb": "Kundeservice"},
                    "phone": "0771-00 00 00",
                    "phones": {"sv": "0771-00 00 00", "nb": "815 00 000"},
                    "web": "https://www.example.net/integritet",
                },
            },
            # the provider registered in Norway: Nkom's notices name it and its NOC, and its
            # outage notices ask for replies there (Swedish ones: operator.contact.email);
            # every privacy and subscriber notice asks for them at the privacy contact point
            # (the subscriber channel names no e-mail)
            "jurisdictions": {
                "NO": {
                    "name": "Exempel Nett AS",
                    "org_number": "312 345 676",
                    "reply_to": "noc-no@example.net",
                    "contacts": {
                        "outage": {
                            "name": "Kari Nordmann, NOC",
                            "phone": "+47 22 00 00 00",
                            "email": "noc-no@example.net",
                        },
                    },
                },
            },
        }
    )
)
#: smtp.sender: every notice's From (the relay's one sender), named as the country's provider
RELAY = "incident-bridge@example.net"
SERVICES = {"internet": {"sv": "Bredband", "nb": "Bredbånd"}}
T0 = datetime(2026, 11, 23, 7, 42, tzinfo=UTC)  # 08:42 in Oslo and Stockholm
NOW = T0 + timedelta(hours=1)

# The inventory keys of the incidents below: none may show in a notice (the region ids are
# added below, from the incidents themselves).
INVENTORY_KEYS: tuple[str, ...] = ("internet", "mobile", "telephony", "tv", "iptv", "olt-", "site-")


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _kl(at: datetime) -> str:
    """A time as the person on duty in Sweden types it (Stockholm time): ``kl. 11.40``."""
    return at.astimezone(ZoneInfo("Europe/Stockholm")).strftime("kl. %H.%M")


# Östersund: mobile reserve power connected, then every service back (the incident's
# remedied_at). What people write below takes its times from these, in Swedish local time.
OSTERSUND_POWER_IN = T0 + timedelta(hours=2, minutes=58)
OSTERSUND_RESTORED = T0 + timedelta(hours=3, minutes=10)


#: The Trondheim incident's story, in order: broadband out in Trondheim (08.42); the first
#: varsel drafted at 09.02 and sent at 09.07 with what was known then; the cut spreads to four
#: services and Melhus, peaking at 09.30; the updated varsel (critical) drafted at 09.42 and
#: sent at 09.50; service restored at 13.45; the normalised notice sent at 14.02.
VARSEL_DRAFTED = T0 + timedelta(minutes=20)
VARSEL_SENT = T0 + timedelta(minutes=25)
UPDATE_SENT = T0 + timedelta(minutes=68)
RESTORED = T0 + timedelta(hours=5, minutes=3)


def _country(
    peak: dict[str, dict[str, int]],
    peak_at: datetime,
    now: dict[str, dict[str, int]] | None = None,
    severities: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """One country's part of the impact as the engine documents it (``impact.by_jurisdiction``,
    bridge.core.country_view): its affected connections at the peak, ``peak`` (region →
    service → connections, every service out), and now, ``now`` (default: the peak's);
    ``severities``: its firing alerts' (None: left out, read from the alerts' labels)."""
    now = peak if now is None else now

    def largest(cells: dict[str, dict[str, int]]) -> int:
        per_service: dict[str, int] = {}
        for services in cells.values():
            for service, n in services.items():
                per_service[service] = per_service.get(service, 0) + n
        return max(per_service.values(), default=0)

    by_service: dict[str, int] = {}
    for services in peak.values():
        for service, n in services.items():
            by_service[service] = by_service.get(service, 0) + n
    return {
        "current": largest(now),
        "peak": largest(peak),
        "peak_at": _iso(peak_at),
        "by_service": by_service,
        "by_region": {r: max(services.values()) for r, services in peak.items()},
        "current_by_service_region": [
            {"service": s, "region": r, "connections": n}
            for r, services in sorted(now.items())
            for s, n in sorted(services.items())
        ],
        "outage": {"current": largest(now), "peak": largest(peak), "customers": list(reach(peak))},
        "degradation": {"current": 0, "peak": 0, "customers": [0, 0]},
        "customers": {
            "current": list(reach(now)),
            "peak": list(reach(peak)),
            "by_region": {r: list(reach({r: services})) for r, services in peak.items()},
        },
        **({"severities": list(severities)} if severities is not None else {}),
    }


#: Trondheim at its peak: broadband, TV, mobile and fixed telephony in Trondheim (one fibre
#: carries the first three to many households), broadband in Melhus
TRONDHEIM_PEAK = {
    "NO-5001": {"internet": 9000, "tv": 4500, "mobile": 3000, "telephony": 1500},
    "NO-5028": {"internet": 2500},
}


def trondheim(**over: Any) -> dict[str, Any]:
    """A fibre cut south of Trondheim at its peak: four services, two kommuner, a hospital
    behind it."""
    base: dict[str, Any] = {
        "id": "inc-20261123-7f3a9c21",
        "state": "open",
        "started_at": _iso(T0),
        "ended_at": None,
        "remedied_at": None,
        "impact": {
            "current": 11500,
            "peak": 11500,
            "peak_at": _iso(T0 + timedelta(minutes=48)),
            "by_service": {"internet": 11500, "tv": 4500, "mobile": 3000, "telephony": 1500},
            "by_region": {"NO-5001": 9000, "NO-5028": 2500},
            "region_names": {"NO-5001": "Trondheim", "NO-5028": "Melhus"},
            "current_by_service_region": [
                {"service": "internet", "region": "NO-5001", "connections": 9000},
                {"service": "internet", "region": "NO-5028", "connections": 2500},
            ],
            "outage": {"current": 11500, "peak": 11500},
            "degradation": {"current": 0, "peak": 0},
            "by_jurisdiction": {
                "NO": _country(TRONDHEIM_PEAK, T0 + timedelta(minutes=48), severities=("major",))
            },
            # St. Olavs hospital's connection (societally important) out from the start; no
            # element carrying 112 reached
            "flags": {
                "NO": {
                    "societal": {
                        "inventory": 12,
                        "peak": 1,
                        "from": _iso(T0),
                        "until": None,
                        "seconds": 3600,
                    },
                    "emergency_112": {"inventory": 40, "peak": 0},
                }
            },
        },
        "assessments": [
            {
                "regulator": "nkom",
                "criteria": [
                    {
                        "kind": "societal",
                        "met": True,
                        "reason": "1 societally important element(s)",
                    },
                    {"kind": "emergency_112", "met": False, "reason": "none"},
                ],
            }
        ],
        "alert_details": [
            {
                "status": "firing",
                "labels": {"severity": "major"},
                "annotations": {
                    "cause": "Fiberbrudd i hovedtrasé ved Heimdal etter gravearbeid.",
                    "expected_resolution": _iso(T0 + timedelta(hours=5, minutes=18)),
                },
            }
        ],
    }
    base.update(over)
    return base


def trondheim_at_varsel() -> dict[str, Any]:
    """The Trondheim incident when the first varsel was sent: broadband in Trondheim only."""
    return trondheim(
        impact={
            **trondheim()["impact"],
            "current": 9000,
            "peak": 9000,
            "peak_at": _iso(T0 + timedelta(minutes=4)),
            "by_service": {"internet": 9000},
            "by_region": {"NO-5001": 9000},
            "current_by_service_region": [
                {"service": "internet", "region": "NO-5001", "connections": 9000}
            ],
            "outage": {"current": 9000, "peak": 9000},
            "by_jurisdiction": {
                "NO": _country(
                    {"NO-5001": {"internet": 9000}},
                    T0 + timedelta(minutes=4),
                    severities=("major",),
                )
            },
        }
    )


def trondheim_critical() -> dict[str, Any]:
    """At its peak, rated critical (the updated varsel)."""
    doc = trondheim()
    doc["alert_details"][0]["labels"]["severity"] = "critical"
    doc["impact"]["by_jurisdiction"]["NO"]["severities"] = ["critical"]
    return doc


def trondheim_restored(**over: Any) -> dict[str, Any]:
    """Service restored, every alert resolved."""
    impact = trondheim()["impact"]
    societal = {**impact["flags"]["NO"]["societal"], "until": _iso(RESTORED)}
    societal["seconds"] = int((RESTORED - T0).total_seconds())
    doc = trondheim(
        state="closed",
        remedied_at=_iso(RESTORED),
        impact={
            **impact,
            "current": 0,
            "current_by_service_region": [],
            "flags": {"NO": {**impact["flags"]["NO"], "societal": societal}},
            "by_jurisdiction": {
                "NO": _country(TRONDHEIM_PEAK, T0 + timedelta(minutes=48), now={}, severities=())
            },
        },
        **over,
    )
    doc["alert_details"][0]["status"] = "resolved"
    doc["alert_details"][0]["labels"]["severity"] = "critical"
    return doc


def ostersund(**over: Any) -> dict[str, Any]:
    """A power failure at a site in Östersund: broadband, IP-TV and IP telephony (which carries
    emergency calls, 112) out from 08.42 until mobile backup power was connected (11.40) and
    service restored (11.52)."""
    base: dict[str, Any] = {
        "id": "inc-20261123-2b8e4d10",
        "state": "open",
        "started_at": _iso(T0),
        "ended_at": None,
        "remedied_at": _iso(OSTERSUND_RESTORED),
        "impact": {
            "current": 0,
            "peak": 6000,
            "peak_at": _iso(T0 + timedelta(minutes=2)),
            "by_service": {"internet": 6000, "voip": 2500, "iptv": 1000},
            "by_region": {"SE-2380": 6000},
            "region_names": {"SE-2380": "Östersund"},
            "outage": {"current": 0, "peak": 6000},
            "degradation": {"current": 0, "peak": 0},
            "by_jurisdiction": {
                "SE": _country(
                    {"SE-2380": {"internet": 6000, "voip": 2500, "iptv": 1000}},
                    T0 + timedelta(minutes=2),
                    now={},
                )
            },
            # the site's IP telephony element carries 112: out until the reserve power came
            "flags": {
                "SE": {
                    "emergency_112": {
                        "inventory": 25,
                        "peak": 1,
                        "from": _iso(T0),
                        "until": _iso(OSTERSUND_POWER_IN),
                        "seconds": int((OSTERSUND_POWER_IN - T0).total_seconds()),
                    }
                }
            },
        },
        "assessments": [
            {
                "regulator": "pts",
                "criteria": [{"kind": "emergency_112", "met": True, "reason": "1 element"}],
            }
        ],
        "alert_details": [
            {
                "status": "resolved",
                "labels": {"severity": "major"},
                "annotations": {"cause": "Strömavbrott i nodstation; reservkraften startade inte."},
            }
        ],
    }
    base.update(over)
    return base


#: A second incident, for the progress report only (the Östersund incident was handled the
#: same day, so it owes none): a mains failure at a site in Krokom on 2026-11-02, declared
#: significant at 10.05; its notification sent on 2026-11-03; a month later customers have
#: service again (mobile backup power) but the mains alert still fires, so it is not handled.
KROKOM_T0 = T0 - timedelta(days=21)
KROKOM_DECLARATION = {
    "aware_at": _iso(KROKOM_T0 + timedelta(hours=1, minutes=23)),
    "by": "anna",
    "significant": True,
}


def krokom() -> dict[str, Any]:
    """The Krokom incident a month after its notification: ongoing, nobody affected now."""
    return {
        "id": "inc-20261102-6a1f0b57",
        "state": "open",
        "started_at": _iso(KROKOM_T0),
        "ended_at": None,
        "remedied_at": None,
        "declaration": KROKOM_DECLARATION,
        "impact": {
            "current": 0,
            "peak": 2000,
            "peak_at": _iso(KROKOM_T0 + timedelta(minutes=3)),
            "by_service": {"internet": 2000},
            "by_region": {"SE-2309": 2000},
            "region_names": {"SE-2309": "Krokom"},
            "outage": {"current": 0, "peak": 2000},
            "degradation": {"current": 0, "peak": 0},
            "by_jurisdiction": {
                "SE": _country(
                    {"SE-2309": {"internet": 2000}}, KROKOM_T0 + timedelta(minutes=3), now={}
                )
            },
        },
        "assessments": [],
        "alert_details": [
            {
                "status": "firing",
                "labels": {"severity": "major"},
                "annotations": {
                    "cause": "Nätstationen saknar elmatning; drivs med mobil reservkraft.",
                    "expected_resolution": _iso(KROKOM_T0 + timedelta(days=35, hours=2)),
                },
            }
        ],
    }


# Region ids are inventory keys too: a notice names the place ("Trondheim"), never its key.
INVENTORY_KEYS += tuple(
    sorted(
        {r for doc in (trondheim(), ostersund(), krokom()) for r in doc["impact"]["region_names"]}
    )
)

PRIVACY_CASE: dict[str, Any] = {
    "id": "priv-20261123-5c0d1e2f",
    "detected_at": _iso(T0),
    "occurred_at": _iso(T0 - timedelta(days=1, hours=3)),
    "occurred_estimated": True,
    "nature": "breach",
    "jurisdictions": ["SE", "NO"],
    "circumstances": ["theft"],
    "circumstances_text": "En bärbar dator stals ur en servicebil.",
    "description": "En bärbar dator med en kopia av samtalsuppgifter stals ur en servicebil.",
    "location": "Servicebil i Göteborg; datorns hårddisk",
    "causes": "Kopian skulle ha raderats efter felsökning.",
    "consequences": "Obehöriga kan se vem som har ringt vem, och när.",
    "data_categories": ["traffic"],
    "data_description": "Samtalsuppgifter för oktober 2026.",
    "affected": 1200,
    "measures_taken": "Datorn är spärrad och polisanmäld.",
    "measures_planned": "Kopior för felsökning raderas automatiskt efter 24 timmar.",
    "recurrence_prevention": "Felsökningsdata får inte längre kopieras till bärbara datorer.",
    "services": "Mobiltelefoni",
    "recommended_actions": (
        "Du behöver inte göra något. Var uppmärksam på samtal eller meddelanden där någon "
        "säger sig veta vem du har ringt."
    ),
    "other_providers": "Inga.",
    "cross_border": (
        "900 av de 1 200 berörda abonnenterna finns i Sverige och 300 i Norge; Nkom underrättas."
    ),
    "unreadable": False,
    "unreadable_how": "",
    "texts": {
        "nb": {
            "description": (
                "En bærbar PC med en kopi av trafikkdata ble stjålet fra en servicebil."
            ),
            "causes": "Kopien skulle vært slettet etter feilsøking.",
            "consequences": "Uvedkommende kan se hvem som har ringt hvem, og når.",
            "measures_taken": "PC-en er sperret, og tyveriet er anmeldt til politiet.",
            "measures_planned": "Kopier for feilsøking slettes automatisk etter 24 timer.",
            "services": "Mobiltelefoni",
            "data_description": "Samtalelogger for oktober 2026.",
            "recommended_actions": (
                "Du trenger ikke å gjøre noe. Vær oppmerksom på samtaler eller meldinger der "
                "noen sier at de vet hvem du har ringt."
            ),
        }
    },
    # the subscriber notices as sent: added by _with_sent_notice (the copy is the real one)
    "subscriber_notices": {},
}
#: The case as it was when its initial report to PTS was sent (the subscribers not told yet)
PRIVACY_AT_INITIAL = PRIVACY_CASE
PRIVACY_INITIAL_SENT = T0 + timedelta(hours=1, minutes=20)
SUBSCRIBER_NOTICE_SENT = NOW + timedelta(hours=3)
#: Nkom's side of the case (seed 003 "Oppdatert varsel underveis"): the varsel sent at 09.10;
#: by 14.30 the stolen PC's backup is found to hold location data too, and every subscriber
#: concerned was told, so the updated varsel is sent at 14.45; the case is closed as handled
#: on 27 November and the closing update drafted ten minutes later.
PRIVACY_VARSEL_SENT = T0 + timedelta(minutes=28)
PRIVACY_UPDATE_SENT = T0 + timedelta(hours=6, minutes=3)
PRIVACY_CLOSED = T0 + timedelta(days=4, hours=2)
PRIVACY_CHANGED: dict[str, Any] = {
    **PRIVACY_CASE,
    "data_categories": ["traffic", "location"],
    "texts": {
        "nb": {
            **PRIVACY_CASE["texts"]["nb"],
            "measures_taken": (
                "PC-en er sperret, og tyveriet er anmeldt til politiet. Alle berørte abonnenter "
                "er varslet."
            ),
        }
    },
}
PRIVACY_CLOSED_CASE: dict[str, Any] = {
    **PRIVACY_CHANGED,
    "state": "closed",
    "history": [
        {"revision": 1, "at": _iso(T0), "actor": "dpo", "action": "opened", "fields": []},
        {
            "revision": 2,
            "at": _iso(PRIVACY_CLOSED),
            "actor": "dpo",
            "action": "closed",
            "fields": ["state"],
        },
    ],
}


def _with_sent_notice(case: dict[str, Any]) -> dict[str, Any]:
    """The case with the Swedish subscriber notice as it was sent: the rendered sample itself,
    as the bridge copies the approved version's subject and text."""
    out = render(fields_of("subscriber_notice"), None)
    sent = {"subject": out.subject, "text": out.text, "sent_at": _iso(SUBSCRIBER_NOTICE_SENT)}
    return {**case, "subscriber_notices": {"subscriber_notice": sent}}


# What a person writes before approving (the fields the bridge cannot know).
EDITS: dict[str, dict[str, str]] = {
    "nkom_varsel": {
        "scope_life_health": (
            "Nei, så langt vi kjenner til. St. Olavs hospital er berørt, men drives videre "
            "over reserveforbindelsen."
        )
    },
    "pts_initial": {},
    "pts_supplementary": {
        "public_information": (
            "Driftsinformation på www.example.net från kl. 09.00 den 23 november; "
            "sms till berörda abonnenter kl. 09.30."
        ),
        "effect_minimisation": (
            f"Mobil reservkraft kördes ut och kopplades in {_kl(OSTERSUND_POWER_IN)}."
        ),
        "remedy": "Reservkraftaggregatets startbatteri byttes.",
        "recurrence_prevention": (
            "Startbatterier provas varje månad och byts vart tredje år i alla nodstationer."
        ),
    },
    "privacy_initial": {},
    "privacy_supplementary": {},
    "subscriber_notice": {},
    # the case counts 1 200 subscribers in both countries (one figure: no split per country)
    "privacy_subscriber_copy": {
        "notice_means": "Sms och e-post till berörda abonnenter.",
        "notified_count": (
            "900 abonnenter i Sverige (de 300 i Norge underrättades på norska enligt Nkoms regler)"
        ),
    },
    "nkom_privacy_varsel": {
        "scope_geography": "Abonnenter spredt over hele Norge.",
        "scope_customers": (
            "300 abonnenter/brukere i Norge (av 1 200 berørte i alt; de øvrige 900 er i Sverige "
            "og meldes til PTS)."
        ),
        "scope_societal": "Ingen samfunnsviktige funksjoner er rammet.",
        "scope_life_health": "Nei.",
        "expected_duration": "Hendelsen er avsluttet; oppfølgingen pågår.",
    },
    "nkom_privacy_subscriber": {},
}
EDITS["nkom_update"] = EDITS["nkom_varsel"]
# the varsel's text carried into the normalised notice is to review (written while it was
# ongoing): the person on duty puts it in the past tense before approving
EDITS["nkom_normalised"] = {
    "scope_life_health": (
        "Nei, så langt vi kjenner til. St. Olavs hospital var berørt, men ble drevet videre "
        "over reserveforbindelsen."
    )
}
# the varsel's answers a person wrote are carried into the updates as written; the closing one
# says when the case was closed instead of an expected duration
EDITS["nkom_privacy_update"] = EDITS["nkom_privacy_varsel"]
EDITS["nkom_privacy_normalised"] = {
    k: v for k, v in EDITS["nkom_privacy_varsel"].items() if k != "expected_duration"
}
# The cybersecurity act's reports of the Östersund incident, as the person on duty answers
# what only a person can (the bridge never prefills these).
_MALICIOUS = (
    "Nej. Avbrottet orsakades av ett fel i nodstationens elförsörjning; inget tyder på "
    "olagliga eller avsiktligt skadliga handlingar."
)
_CROSS_BORDER = "Nej. Endast abonnenter i Östersunds kommun berördes."
_SEVERITY = (
    "Allvarlig. Omkring 6 000 aktiva bredbandsanslutningar, 2 500 IP-telefonianslutningar och "
    "1 000 IP-TV-anslutningar var utan tjänst i drygt tre timmar, och nödsamtal (112) från "
    "IP-telefoni i området kunde inte ringas under avbrottet."
)
_MITIGATION = (
    f"Mobil reservkraft kopplades in {_kl(OSTERSUND_POWER_IN)}, och tjänsterna var återställda "
    f"{_kl(OSTERSUND_RESTORED)}. Startbatteriet i nodstationens reservkraftaggregat byttes "
    "samma dag."
)
EDITS["se_cyber_early_warning"] = {
    "suspected_malicious": _MALICIOUS,
    "cross_border": _CROSS_BORDER,
}
EDITS["se_cyber_notification"] = {
    **EDITS["se_cyber_early_warning"],
    "severity_impact": _SEVERITY,
    "indicators": "Inga. Incidenten har inte orsakats av något intrång.",
}
EDITS["se_cyber_intermediate"] = {
    "updates": (
        "Enligt CSIRT-enhetens begäran: reservkraften i övriga nodstationer i Jämtlands län "
        "har kontrollerats; inga fler fel har hittats."
    ),
}
EDITS["se_cyber_final"] = {
    # NIS2 art. 23.4 d: a detailed description, a person's (the times above are no answer)
    "description": (
        f"Nodstationen i Östersund förlorade sin ordinarie elmatning {_kl(T0)}, och "
        "reservkraftaggregatet startade inte eftersom startbatteriet var uttjänt. Bredband, "
        "IP-TV och IP-telefoni föll därmed bort för abonnenterna som ansluts via nodstationen, "
        "och nödsamtal (112) från IP-telefoni i området kunde inte ringas. En tekniker "
        "konstaterade felet på plats, och mobil reservkraft kopplades in "
        f"{_kl(OSTERSUND_POWER_IN)}. "
        f"Tjänsterna var återställda {_kl(OSTERSUND_RESTORED)}."
    ),
    "cross_border": _CROSS_BORDER,
    "severity_impact": _SEVERITY,
    "root_cause": (
        "Reservkraftaggregatets startbatteri var uttjänt, så reservkraften startade inte när "
        "nodstationens ordinarie elmatning föll bort."
    ),
    "mitigation": (
        f"{_MITIGATION} Startbatterierna i alla nodstationer provas nu varje månad och byts "
        "vart tredje år."
    ),
}
EDITS["se_cyber_progress"] = {
    "updates": "Felsökningen av nodstationens elförsörjning pågår tillsammans med elnätsägaren.",
    "mitigation": "Mobil reservkraft försörjer nodstationen tills felet är åtgärdat.",
}
# Nkom's hendelsesrapport on the Trondheim incident, asked for the day after: what the person
# on duty writes (measures, damage, lessons; the bridge never prefills these).
EDITS["nkom_hendelsesrapport"] = {
    # where the fault was: the person's (the bridge knows only the customers' kommuner)
    "where": (
        "I hovedtraséen for fiber ved Heimdal i Trondheim kommune, der en gravemaskin kuttet "
        "fiberkabelen."
    ),
    "technical_damage": (
        "Fiberkabelen i hovedtraséen ved Heimdal ble kuttet av en gravemaskin. Ingen "
        "følgeskader på utstyr i nodene."
    ),
    "prevention": (
        "Traséen ved Heimdal er meldt inn på nytt i Geomatikk, og vi innfører påvisning på "
        "stedet ved all graving nær hovedtraséer."
    ),
    "prevention_effect": "Påvisning på stedet hindrer de fleste graveskader på traséen.",
    "mitigation": (
        "Kl. 09.20 fikk St. Olavs hospital bekreftet at reserveforbindelsen bar trafikken. "
        "Kl. 09.35 ruterte NOC mobiltrafikken om via radiolinje (resultat: mobilnettet tilbake "
        "for de fleste kundene kl. 10.40)."
    ),
    "institutions": (
        "St. Olavs hospital, Trondheim: hovedforbindelsen falt ut, og sykehuset gikk over på "
        "reserveforbindelsen uten avbrudd i driften."
    ),
    "notices_others": (
        "Egne kunder: driftsmelding på www.example.net fra kl. 09.15 og sms til berørte kunder "
        "kl. 10.00 og da tjenestene var tilbake, kl. 13.50. St. Olavs hospital ble ringt av NOC "
        "kl. 09.20. Andre tilbydere: ingen berørt, ingen varslet."
    ),
    "regulated_equipment": "Nei.",
    "repair": "Fiberkabelen ble skjøtet av entreprenøren.",
    "repair_schedule": "Skjøtingen ble fullført samme dag; permanent omlegging i uke 49.",
    "lessons_different": (
        "Gravearbeidet var ikke varslet oss; rutinen for påvisning ble ikke fulgt av entreprenøren."
    ),
    "lessons_if_failed": (
        "Uten omrutingen hadde mobilnettet i Trondheim sør vært nede til kabelen var skjøtet."
    ),
    "lessons_recurrence": "Redundant trasé for hovedforbindelsen sør for Trondheim.",
    "lessons_damage": "Raskere omruting med forhåndsgodkjente planer for radiolinje.",
}
#: the request Nkom made, as a person recorded it, and the notices sent before it
NKOM_REQUEST = {
    "kind": "nkom_hendelsesrapport",
    "received_at": _iso(T0 + timedelta(days=1, hours=2)),
    "deadline": _iso(T0 + timedelta(days=15, hours=8, minutes=18)),
    "reference": "2026/04117",
    "by": "kari",
    "at": _iso(T0 + timedelta(days=1, hours=2, minutes=5)),
}
SENT_BEFORE = (
    SentNotice(VARSEL_SENT, "Nkom – første varsel", "ekomvarsling@nkom.no", "email"),
    SentNotice(UPDATE_SENT, "Nkom – oppdatering", "ekomvarsling@nkom.no", "email"),
    SentNotice(
        T0 + timedelta(hours=5, minutes=20),
        "Nkom – normalisert drift",
        "ekomvarsling@nkom.no",
        "email",
    ),
)
#: when the cybersecurity act's reports are drafted (the others: NOW)
DRAFTED = {
    "se_cyber_early_warning": T0 + timedelta(hours=4),
    "se_cyber_notification": T0 + timedelta(hours=5),
    "se_cyber_intermediate": T0 + timedelta(days=2),
    "se_cyber_final": T0 + timedelta(days=20),
    "se_cyber_progress": KROKOM_T0 + timedelta(days=31, hours=2),
    "nkom_hendelsesrapport": T0 + timedelta(days=3),
    "nkom_varsel": VARSEL_DRAFTED,
    "nkom_normalised": RESTORED + timedelta(minutes=12),
    "privacy_supplementary": T0 + timedelta(days=2),
    "privacy_subscriber_copy": SUBSCRIBER_NOTICE_SENT + timedelta(minutes=10),
    "nkom_privacy_update": PRIVACY_UPDATE_SENT - timedelta(minutes=15),
    "nkom_privacy_normalised": PRIVACY_CLOSED + timedelta(minutes=10),
}
#: the person's declaration the cybersecurity act's reports start from
DECLARATION = {"aware_at": _iso(T0 + timedelta(minutes=20)), "by": "anna", "significant": True}


#: the shipped PTS outage rule set encodes LEK 8 kap., repealed 2026-01-15: its reports of an
#: incident since then (the Östersund one) say first that they are no report owed to PTS
_PTS_OUTAGE = load_rule_set(Path(__file__).resolve().parents[2] / "config/rules/pts-outage.yaml")
REPEALED_ON = {kind: _PTS_OUTAGE.repealed_on for kind in _PTS_OUTAGE.obligation_kinds()}


def _snapshot(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """The facts a notice of ``kind`` keeps of ``doc`` (its country's part)."""
    return case_drafts.snapshot_of(kind, doc, [], "severity")


def fields_of(kind: str) -> DraftFields:
    """The draft of ``kind`` for the fixed incident or case, as a person approves it."""
    previous = None
    sent: tuple[SentNotice, ...] = ()
    if kind == "nkom_varsel":
        doc = trondheim_at_varsel()
    elif kind == "nkom_update":  # follows the first varsel, as it was sent
        doc = trondheim_critical()
        previous = Previous(
            "nkom_varsel", VARSEL_SENT, _snapshot(trondheim_at_varsel(), "nkom_varsel"), {}
        )
    elif kind == "nkom_normalised":  # follows the updated varsel, as it was sent
        doc = trondheim_restored()
        previous = Previous(
            "nkom_update", UPDATE_SENT, _snapshot(trondheim_critical(), "nkom_update"), {}
        )
    elif kind == "nkom_hendelsesrapport":
        doc = trondheim_restored(report_requests=[NKOM_REQUEST])
        sent = SENT_BEFORE
    elif kind.startswith("pts_"):
        doc = ostersund()
        if kind == "pts_supplementary":
            # the incident came after PTS's repeal: its initial report was kept internally
            previous = Previous(
                "pts_initial",
                T0 + timedelta(hours=4),
                _snapshot(ostersund(remedied_at=None), "pts_initial"),
                {},
                kept=True,
            )
    elif kind == "se_cyber_progress":
        doc = krokom()
    elif kind.startswith("se_cyber_"):
        doc = ostersund(declaration=DECLARATION)
    else:
        doc = PRIVACY_CASE
        if kind == "privacy_initial":
            doc = PRIVACY_AT_INITIAL
        if kind in ("privacy_subscriber_copy", "privacy_supplementary"):
            doc = _with_sent_notice(PRIVACY_CASE)
        if kind == "privacy_supplementary":
            initial = fields_of("privacy_initial")
            sent_fields = {k: f.value for k, f in initial.fields.items()}
            edited = tuple(k for k, f in initial.fields.items() if f.source == "edited")
            previous = Previous(
                "privacy_initial", PRIVACY_INITIAL_SENT, {}, {}, sent_fields, edited
            )
        if kind in NKOM_PRIVACY_FOLLOW_UPS:  # after the varsel, then the update, as sent
            doc = PRIVACY_CHANGED if kind == "nkom_privacy_update" else PRIVACY_CLOSED_CASE
            previous = _sent_before(*NKOM_PRIVACY_FOLLOW_UPS[kind])
    if previous is not None and previous.kind not in PREVIOUS_AS_SENT:  # the others: by snapshot
        previous = Previous(
            previous.kind,
            previous.sent_at,
            previous.before,
            _snapshot(doc, kind),
            kept=previous.kept,
        )
    form = builtin_forms().get(kind)
    fields = draft_fields(
        kind,
        doc,
        OPERATOR,
        None,
        DRAFTED.get(kind, NOW),
        SERVICES,
        previous,
        form,
        sent,
        REPEALED_ON.get(kind),
    )
    return with_values(fields, EDITS[kind])


#: The privacy reports that follow one sent before by its answers as sent (the others, Nkom's
#: outage updates and PTS's outage report, by the facts' snapshot)
PREVIOUS_AS_SENT = ("privacy_initial", "nkom_privacy_varsel", "nkom_privacy_update")
#: Nkom's updated varsel of the case: what each follows, and when that one was sent
NKOM_PRIVACY_FOLLOW_UPS = {
    "nkom_privacy_update": ("nkom_privacy_varsel", PRIVACY_VARSEL_SENT),
    "nkom_privacy_normalised": ("nkom_privacy_update", PRIVACY_UPDATE_SENT),
}


def _sent_before(kind: str, at: datetime) -> Previous:
    """The notice of ``kind`` as it was sent at ``at`` (its sample's answers), for the one that
    follows it: what it said, and which answers a person wrote."""
    sent = fields_of(kind)
    answers = {k: f.value for k, f in sent.fields.items()}
    edited = tuple(k for k, f in sent.fields.items() if f.source == "edited")
    return Previous(kind, at, {}, {}, answers, edited)


def headers(fields: DraftFields, kind: str) -> str:
    """The From and Reply-To of the message the outbox builds for the approved draft."""
    out = render(fields, None)
    version = Version(
        1,
        NOW,
        "bridge",
        "drafted",
        {},
        (),
        "",
        fields.recipient,
        out.subject,
        out.text,
        out.html,
        (),
    )
    draft = Draft(
        f"{fields.incident_id}.{kind}",
        fields.incident_id,
        fields.regulator,
        kind,
        1,
        "t",
        "approved",
        1,
        NOW,
        NOW,
        (version,),
        approval=Approval(1, "p", NOW, version.content_hash),
        message_id="<golden@example.net>",
    )
    message = build_message(draft, OPERATOR, RELAY)
    return f"Fra/Från: {message['From']}\nSvar til/Svara till: {message['Reply-To']}\n"


def sample(kind: str) -> tuple[str, str]:
    fields = fields_of(kind)
    out = render(fields, None)
    return f"{headers(fields, kind)}Emne/Ämne: {out.subject}\n\n{out.text}", out.html


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_renders_exactly_its_golden_sample(kind: str) -> None:
    """The text and HTML of every kind, for the fixed incident or case, are the kept samples."""
    text, html = sample(kind)
    paths = (GOLDEN / f"{kind}.txt", GOLDEN / f"{kind}.html")
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for path, content in zip(paths, (text, html), strict=True):
            path.write_text(content, encoding="utf-8")
    for path, content in zip(paths, (text, html), strict=True):
        assert path.exists(), f"{path} missing: run ./scripts/update-golden and read it"
        assert content == path.read_text(encoding="utf-8"), f"{path.name} changed"


def test_update_mode_is_refused_in_ci() -> None:
    """With ``CI`` set, asking to rewrite the samples fails instead of passing every check."""
    with pytest.raises(RuntimeError, match="CI"):
        update_mode({"UPDATE_GOLDEN": "1", "CI": "true"})
    with pytest.raises(RuntimeError, match="CI"):
        update_mode({"UPDATE_GOLDEN": "yes", "CI": "1"})
    assert update_mode({"UPDATE_GOLDEN": "1"}) is True
    assert update_mode({"CI": "true"}) is False


_FIELD_KEYS = sorted(
    {k for keys in FIELD_KEYS.values() for k in keys if "_" in k}
    | {k for form in builtin_forms().values() for k in form.field_keys() if "_" in k}
)
_INTERNAL = (
    "{{",
    "}}",
    "{%",
    "None",
    "[fyll",  # the old placeholder tokens
    "Utkast",
    "før sending",
    "före sändning",
    "to complete",
    "placeholder",
    "drafted",
)


#: The roots of a configuration key (bridge.yaml's sections) or a document path a drafting
#: note names (operator.contacts.outage, impact.by_region, incident.started_at, case.causes):
#: followed by a dot and a key, never in a message
_KEY_ROOTS = (*BridgeConfig.model_fields, "incident", "impact", "case", "alert", "annotations")
_KEY_PATH = re.compile(rf"(?<![\w.@/-])(?:{'|'.join(_KEY_ROOTS)})\.[a-z_]", re.IGNORECASE)
#: Internal ids: the incidents' and the case's ids, the rule sets' ids, the kinds' names
_IDS = (
    *(doc["id"] for doc in (trondheim(), ostersund(), krokom(), PRIVACY_CASE)),
    *(path.stem for path in (Path(__file__).resolve().parents[2] / "config/rules").glob("*.yaml")),
    *KINDS,
)


def _notes(kind: str) -> set[str]:
    """What the bridge tells people about a field (its source, the hint of one to complete):
    shown in the console, never sent."""
    fields = fields_of(kind)
    hints = {**field_texts(kind)[1], **hints_of(kind)}
    sources = {f.source for f in fields.fields.values() if f.source != "edited"}
    return {note for note in (*sources, *hints.values()) if len(note) > 12}


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_internal_reaches_a_regulator(kind: str) -> None:
    """No inventory key, template syntax, None, placeholder token, drafting note (a field's
    source or hint), configuration key, internal id or field key appears in a message as it
    would be sent, its From and Reply-To included."""
    assert_nothing_internal(kind, sample(kind))


def assert_nothing_internal(kind: str, contents: tuple[str, str], *ids: str) -> None:
    """No inventory key, template syntax, None, placeholder token, drafting note, configuration
    key, internal id (and ``ids``) or field key in ``contents`` (a message's text and HTML)."""
    notes = _notes(kind)
    for content in contents:
        for word in _INTERNAL:
            assert word not in content, f"{kind}: {word!r} in the message"
        for note in notes:
            assert note not in content, f"{kind}: the drafting note {note!r} in the message"
        found = _KEY_PATH.search(content)
        assert found is None, f"{kind}: a configuration key {found and found.group()!r}"
        for internal in (*_IDS, *ids):
            assert internal not in content, f"{kind}: the internal id {internal!r}"
        for key in _FIELD_KEYS:
            assert key not in content, f"{kind}: field key {key!r} in the message"
        for key in INVENTORY_KEYS:
            assert not re.search(rf"(?<![\w.@/-]){re.escape(key)}(?![\w@])", content), (
                f"{kind}: inventory key {key!r} in the message"
            )
        assert not re.search(r"\b0 (berørte|aktiva|kunder)", content), f"{kind}: a zero part"


def test_a_normalised_notice_with_no_varsel_before_claims_none() -> None:
    """Drafted with no varsel sent (normalised before one went), the notice must not open
    "Hendelsen vi har varslet om, er normalisert." (the sample, which follows a sent update,
    does)."""
    fields = draft_fields(
        "nkom_normalised", trondheim_restored(), OPERATOR, None, DRAFTED["nkom_normalised"]
    )
    text = render(with_values(fields, EDITS["nkom_normalised"]), None).text
    assert "varslet om" not in text
    assert "\nHendelsen er normalisert.\n" in text
    assert "Det er ikke sendt noe tidligere varsel om denne hendelsen." in text
    assert "\nHendelsen vi har varslet om, er normalisert.\n" in sample("nkom_normalised")[0]


#: How each language writes "organisation number": one form per language in every notice
_ORG_NR = {"sv": "org.nr ", "nb": "org.nr. "}


@pytest.mark.parametrize("kind", KINDS)
def test_the_organisation_number_is_written_one_way_per_language(kind: str) -> None:
    """Swedish notices write "org.nr", Norwegian ones "org.nr." (the PTS privacy report had
    "Org.nr" beside "org.nr" three lines apart)."""
    language = fields_of(kind).language
    for content in sample(kind):
        found = set(re.findall(r"org\.\s?nr\.?\s", content, flags=re.IGNORECASE))
        # a subscriber notice names the operator without its number
        assert found <= {_ORG_NR[language]}, f"{kind}: {sorted(found)}"
        assert found or "subscriber" in kind, f"{kind}: no organisation number"


@pytest.mark.parametrize("kind", KINDS)
def test_no_line_repeats_the_line_before_it(kind: str) -> None:
    """A line that merely restates the one above (the Norwegian privacy varsel read
    "Trafikkdata" then "Trafikkdata (samtalelogger) …": the sample's own description repeated
    the category the notice already lists) reads as a slip to a regulator."""
    lines = [line.strip() for line in sample(kind)[0].splitlines()]
    for above, line in pairwise(lines):
        if above and not above.endswith(":"):
            assert not line.startswith(above), f"{kind}: {above!r} then {line!r}"


#: A particular risk of a security breach in Norway (``nature: risk``), not a breach: an
#: administration interface of the customer database was reachable from the internet, and no
#: sign that anyone used it. Seed 003 keeps "Særlig risiko for brudd på sikkerheten" apart
#: from "Sikkerhetsbrudd som har krenket personvernet": Nkom and the subscribers read a risk.
PRIVACY_RISK_CASE: dict[str, Any] = {
    "id": "priv-20261123-7a1b2c3d",
    "detected_at": _iso(T0),
    "occurred_at": _iso(T0 - timedelta(days=2)),
    "occurred_estimated": False,
    "nature": "risk",
    "jurisdictions": ["NO"],
    "circumstances": ["other"],
    "data_categories": ["subscriber"],
    "affected": 4500,
    "texts": {
        "nb": {
            "description": (
                "Et administrasjonsgrensesnitt for kundedatabasen var tilgjengelig fra internett "
                "etter en endring i brannmuren. Vi har ikke funnet tegn på at noen uvedkommende "
                "har brukt det."
            ),
            "causes": "En brannmurregel ble endret uten kontroll av en annen person.",
            "consequences": (
                "Hvis noen hadde funnet grensesnittet, kunne de ha sett navn, adresse og "
                "telefonnummer."
            ),
            "measures_taken": "Grensesnittet er stengt for tilgang fra internett.",
            "measures_planned": "Endringer i brannmuren kontrolleres av to personer.",
            "services": "Mobiltelefoni og bredbånd",
            "recommended_actions": (
                "Du trenger ikke å gjøre noe. Vi gir deg beskjed hvis vi finner tegn på at "
                "opplysningene dine er sett av uvedkommende."
            ),
        }
    },
    "subscriber_notices": {},
}
RISK_KINDS = ("nkom_privacy_varsel", "nkom_privacy_subscriber")
RISK_EDITS: dict[str, dict[str, str]] = {
    "nkom_privacy_varsel": {
        "scope_geography": "Kunder i hele Norge.",
        "scope_societal": "Ingen samfunnsviktige funksjoner er rammet.",
        "scope_life_health": "Nei.",
        "expected_duration": "Risikoen er fjernet; undersøkelsen av loggene pågår.",
    },
    "nkom_privacy_subscriber": {},
}


def risk_sample(kind: str) -> tuple[str, str]:
    fields = draft_fields(kind, PRIVACY_RISK_CASE, OPERATOR, None, NOW, SERVICES)
    fields = with_values(fields, RISK_EDITS[kind])
    out = render(fields, None)
    return f"{headers(fields, kind)}Emne/Ämne: {out.subject}\n\n{out.text}", out.html


@pytest.mark.parametrize("kind", RISK_KINDS)
def test_a_risk_renders_exactly_its_golden_sample(kind: str) -> None:
    """The Norwegian notices of a particular risk (``nature: risk``), as Nkom and the
    subscribers read them."""
    text, html = risk_sample(kind)
    paths = (GOLDEN / f"{kind}_risk.txt", GOLDEN / f"{kind}_risk.html")
    if UPDATE:
        for path, content in zip(paths, (text, html), strict=True):
            path.write_text(content, encoding="utf-8")
    for path, content in zip(paths, (text, html), strict=True):
        assert path.exists(), f"{path} missing: run ./scripts/update-golden and read it"
        assert content == path.read_text(encoding="utf-8"), f"{path.name} changed"


#: What states a breach that happened: a risk's notices never say it (seed 003's words apart)
_BREACH_WORDS = ("brudd på personvernet", "har berørt personopplysninger", "krenket personvernet")


@pytest.mark.parametrize("kind", RISK_KINDS)
def test_a_risk_is_told_as_a_risk_never_as_a_breach(kind: str) -> None:
    """The varsel of a risk said "Varsel om brudd på personvernet" in its subject above "Type
    hendelse: Særlig risiko for brudd på sikkerheten"; the subscriber notice was titled
    "Informasjon om et brudd på personvernet" and said "en hendelse har berørt
    personopplysninger om deg". Subject, title and body now use seed 003's words for a risk,
    and a breach's notices keep theirs."""
    for content in risk_sample(kind):
        for words in _BREACH_WORDS:
            assert words not in content, f"{kind}: {words!r} told of a risk"
    text = risk_sample(kind)[0]
    subject = next(line for line in text.splitlines() if line.startswith("Emne/Ämne: "))
    assert "særlig risiko for brudd på sikkerheten" in subject
    assert "\nVarsel om særlig risiko" in text or "\nInformasjon om særlig risiko" in text
    if kind == "nkom_privacy_subscriber":
        assert "særlig risiko for brudd på sikkerheten som kan berøre personopplysninger" in text
        assert "\nHvilke opplysninger om deg kan bli berørt?\n" in text
    breach = sample(kind)[0]
    assert "brudd på personvernet" in breach
    assert "særlig risiko" not in breach.lower()
    assert_nothing_internal(kind, risk_sample(kind), PRIVACY_RISK_CASE["id"])


#: An incident merged into the Trondheim one after both had a varsel sent to Nkom: the
#: Trondheim update names its own reference and the merged one's (docs/notices.md "One
#: reference per incident, as the regulator knows it")
MERGED_IN = "inc-20261123-5e1d0c2a"


def merged_update_sample() -> tuple[str, str]:
    org = OPERATOR.of("NO").org_number
    other = reference_number(org, MERGED_IN)
    fields = draft_fields(
        "nkom_update",
        trondheim_critical(),
        OPERATOR,
        None,
        NOW,
        SERVICES,
        Previous(
            "nkom_varsel",
            VARSEL_SENT,
            _snapshot(trondheim_at_varsel(), "nkom_varsel"),
            _snapshot(trondheim_critical(), "nkom_update"),
        ),
        carried=Carried("", (other,)),
    )
    fields = with_values(fields, EDITS["nkom_update"])
    out = render(fields, None)
    return f"{headers(fields, 'nkom_update')}Emne/Ämne: {out.subject}\n\n{out.text}", out.html


def test_a_merged_update_renders_exactly_its_golden_sample() -> None:
    """The Trondheim update after another notified incident was merged into it: its own
    reference, and right after it, in bokmål, the other reference it now also covers."""
    text, html = merged_update_sample()
    paths = (GOLDEN / "nkom_update_merged.txt", GOLDEN / "nkom_update_merged.html")
    if UPDATE:
        for path, content in zip(paths, (text, html), strict=True):
            path.write_text(content, encoding="utf-8")
    for path, content in zip(paths, (text, html), strict=True):
        assert path.exists(), f"{path} missing: run ./scripts/update-golden and read it"
        assert content == path.read_text(encoding="utf-8"), f"{path.name} changed"
    assert MERGED_IN not in text + html


# ---- corrections (docs/notices.md "Correcting what was sent") ------------------------------
#: The field team finds, at 09.35, that the cut OLT serves Melhus, not Trondheim: the person
#: on duty overrides the impact with a correction for Nkom. The first varsel (sent 09.07) said
#: "Trondheim: inntil 9 000 berørte kunder".
CORRECTED_AT = T0 + timedelta(minutes=53)
WRONG_KOMMUNE = (
    "Feil i vårt inventar: den berørte OLT-en betjener Melhus, ikke Trondheim. Kundene i "
    "Trondheim har ikke vært berørt."
)
FALSE_ALARM = (
    "Alarmen kom fra en feil i strømmålingen på noden. Feltteknikker har bekreftet at noden "
    "har vært i drift hele tiden; ingen kunder har mistet tjenesten."
)
REGION_NAMES = {"NO-5001": "Trondheim", "NO-5028": "Melhus"}


def _corrected(peak: dict[str, dict[str, int]], text: str) -> dict[str, Any]:
    """The Trondheim incident at 09.40 as a person's override with a correction states it:
    ``peak`` (region → service → connections; empty: none at all), no flagged element."""
    doc = trondheim_at_varsel()
    impact = doc["impact"]
    flags = {
        "societal": {"inventory": 12, "peak": 0},
        "emergency_112": {"inventory": 40, "peak": 0},
    }
    country = _country(peak, T0, severities=("major",))
    doc["impact"] = {
        **impact,
        "by_region": {},
        "region_names": {},
        "flags": {"NO": flags},
        "by_jurisdiction": {"NO": country},
    }
    doc["impact_overridden"] = True
    doc["correction"] = {"text": text, "at": _iso(CORRECTED_AT), "by": "kari"}
    return doc


def correction_sample(doc: dict[str, Any]) -> tuple[str, str]:
    """The update drafted at 09.40 after the correction, following the varsel as sent."""
    fields = draft_fields(
        "nkom_update",
        doc,
        OPERATOR,
        None,
        CORRECTED_AT + timedelta(minutes=5),
        SERVICES,
        Previous(
            "nkom_varsel",
            VARSEL_SENT,
            _snapshot(trondheim_at_varsel(), "nkom_varsel"),
            _snapshot(doc, "nkom_update"),
        ),
        regions=REGION_NAMES,
    )
    # the person on duty answers what the correction leaves open (nothing, for a false alarm)
    edits = {} if fields.false_alarm else {"scope_life_health": "Nei, så langt vi kjenner til."}
    fields = with_values(fields, edits)
    out = render(fields, None)
    return f"{headers(fields, 'nkom_update')}Emne/Ämne: {out.subject}\n\n{out.text}", out.html


CORRECTION_SAMPLES = {
    "nkom_update_correction": lambda: correction_sample(
        _corrected({"NO-5028": {"internet": 9000}}, WRONG_KOMMUNE)
    ),
    "nkom_update_false_alarm": lambda: correction_sample(_corrected({}, FALSE_ALARM)),
}


@pytest.mark.parametrize("name", sorted(CORRECTION_SAMPLES))
def test_a_correction_renders_exactly_its_golden_sample(name: str) -> None:
    """The Trondheim update after a person corrected the varsel sent: the wrong kommune, and a
    false alarm. Each opens with its *Rettelse*, names places, never an inventory key, and
    says nothing internal (the checks of every kind's sample)."""
    text, html = CORRECTION_SAMPLES[name]()
    paths = (GOLDEN / f"{name}.txt", GOLDEN / f"{name}.html")
    if UPDATE:
        for path, content in zip(paths, (text, html), strict=True):
            path.write_text(content, encoding="utf-8")
    for path, content in zip(paths, (text, html), strict=True):
        assert path.exists(), f"{path} missing: run ./scripts/update-golden and read it"
        assert content == path.read_text(encoding="utf-8"), f"{path.name} changed"
    for content in (text, html):
        assert "Rettelse" in content and "NO-50" not in content
        for word in _INTERNAL:
            assert word not in content, f"{name}: {word!r} in the message"
        for note in _notes("nkom_update"):
            assert note not in content, f"{name}: the drafting note {note!r}"
        for key in _FIELD_KEYS:
            assert key not in content, f"{name}: field key {key!r} in the message"
        assert "Ikke kjent ennå" not in content
    assert "ikke lenger berørt" not in text and "Nye områder" not in text


def test_a_false_alarm_ending_before_its_update_was_sent_is_corrected_by_the_last_notice() -> None:
    """The alarm stops before the update was sent: the notice once it is over follows the
    varsel as sent, so it carries the Rettelse, says false alarm and closed, and never an
    outage that was normalised, its duration, peak, severity or the alert's cause."""
    doc = _corrected({}, FALSE_ALARM)
    doc.update(state="closed", remedied_at=_iso(CORRECTED_AT + timedelta(minutes=2)))
    fields = draft_fields(
        "nkom_normalised",
        doc,
        OPERATOR,
        None,
        CORRECTED_AT + timedelta(minutes=40),
        SERVICES,
        Previous(
            "nkom_varsel",
            VARSEL_SENT,
            _snapshot(trondheim_at_varsel(), "nkom_varsel"),
            _snapshot(doc, "nkom_normalised"),
        ),
        regions=REGION_NAMES,
    )
    out = render(fields, None)
    assert out.subject.startswith("Falsk alarm – avsluttet – ")
    assert "RETTELSE\nVarselet vi sendte 23.11.2026 kl. 09.07 norsk tid, var en falsk alarm" in (
        out.text
    )
    assert "Tidligere oppgitt: Trondheim, inntil 9 000 berørte kunder (Bredbånd)." in out.text
    assert "Det vi har varslet om, var en falsk alarm" in out.text
    for wrong in ("er normalisert", "Samlet varighet", "Høyeste", "Fiberbrudd", "Alvorlig"):
        assert wrong not in out.text, wrong
    assert fields.to_complete() == []


# ---- corrections told to the CSIRT (cybersäkerhetslagen) -------------------------------------
#: The Östersund incident, declared significant at 09.02; its early warning submitted on the
#: CSIRT's portal at 09.30, while the outage went on. At 10.15 the person on duty corrects the
#: impact; the notification is drafted at 10.20, following the early warning as submitted.
CSIRT_WARNED = T0 + timedelta(minutes=48)
CSIRT_CORRECTED_AT = T0 + timedelta(hours=1, minutes=33)
CSIRT_WRONG_KOMMUN = (
    "Fel i vårt inventarium: nodstationen försörjer abonnenter i Bergs kommun, inte i "
    "Östersunds kommun."
)
CSIRT_FALSE_ALARM = (
    "Larmet kom från en felaktig strömmätning i nodstationen. En tekniker har på plats bekräftat "
    "att nodstationen har varit i drift hela tiden; inga abonnenter har förlorat tjänsten."
)
CSIRT_REGION_NAMES = {"SE-2380": "Östersund", "SE-2361": "Berg"}


def _csirt_corrected(peak: dict[str, dict[str, int]], text: str) -> dict[str, Any]:
    """The Östersund incident at 10.15, still ongoing, as a person's override with a
    correction states it: ``peak`` (region → service → connections; empty: none at all), the
    element carrying 112 reached or (a false alarm) not."""
    doc = ostersund(declaration=DECLARATION, remedied_at=None)
    impact = doc["impact"]
    flags = impact["flags"]["SE"]["emergency_112"]
    doc["impact"] = {
        **impact,
        "by_region": {},
        "region_names": {},
        "flags": {"SE": {"emergency_112": flags if peak else {"inventory": 25, "peak": 0}}},
        "by_jurisdiction": {"SE": _country(peak, T0)},
    }
    doc["impact_overridden"] = True
    doc["correction"] = {"text": text, "at": _iso(CSIRT_CORRECTED_AT), "by": "anna"}
    return doc


def csirt_correction_fields(doc: dict[str, Any]) -> DraftFields:
    """The notification drafted at 10.20 after the correction, following the early warning as
    submitted, with what the person on duty answers."""
    warned = ostersund(declaration=DECLARATION, remedied_at=None)
    kind = "se_cyber_notification"
    fields = draft_fields(
        kind,
        doc,
        OPERATOR,
        None,
        CSIRT_CORRECTED_AT + timedelta(minutes=5),
        SERVICES,
        Previous(
            "se_cyber_early_warning",
            CSIRT_WARNED,
            _snapshot(warned, "se_cyber_early_warning"),
            _snapshot(doc, kind),
        ),
        builtin_forms()[kind],
        regions=CSIRT_REGION_NAMES,
    )
    if fields.false_alarm:
        edits = {
            "suspected_malicious": "Nej. Det har inte förekommit någon incident.",
            "cross_border": "Nej.",
            "severity_impact": "Ingen påverkan: det har inte förekommit något avbrott.",
            "indicators": "Inga.",
        }
    else:
        edits = {**EDITS[kind], "cross_border": "Nej. Endast abonnenter i Bergs kommun berördes."}
    return with_values(fields, edits)


def csirt_correction_sample(doc: dict[str, Any]) -> tuple[str, str]:
    fields = csirt_correction_fields(doc)
    out = render(fields, None)
    head = headers(fields, "se_cyber_notification")
    return f"{head}Emne/Ämne: {out.subject}\n\n{out.text}", out.html


CSIRT_CORRECTION_SAMPLES = {
    "se_cyber_notification_correction": lambda: csirt_correction_sample(
        _csirt_corrected(
            {"SE-2361": {"internet": 6000, "voip": 2500, "iptv": 1000}}, CSIRT_WRONG_KOMMUN
        )
    ),
    "se_cyber_notification_false_alarm": lambda: csirt_correction_sample(
        _csirt_corrected({}, CSIRT_FALSE_ALARM)
    ),
}


@pytest.mark.parametrize("name", sorted(CSIRT_CORRECTION_SAMPLES))
def test_a_correction_to_the_csirt_renders_exactly_its_golden_sample(name: str) -> None:
    """The Östersund notification after a person corrected the early warning submitted: the
    wrong kommun, and a false alarm. Each opens with its *Rättelse* naming what the early
    warning stated, names places, never an inventory key, says nothing internal; the false
    alarm never states a significant incident nor "Pågår." as fact."""
    text, html = CSIRT_CORRECTION_SAMPLES[name]()
    paths = (GOLDEN / f"{name}.txt", GOLDEN / f"{name}.html")
    if UPDATE:
        for path, content in zip(paths, (text, html), strict=True):
            path.write_text(content, encoding="utf-8")
    for path, content in zip(paths, (text, html), strict=True):
        assert path.exists(), f"{path} missing: run ./scripts/update-golden and read it"
        assert content == path.read_text(encoding="utf-8"), f"{path.name} changed"
    for content in (text, html):
        assert "Rättelse" in content and "SE-23" not in content
        assert "Tidigare uppgivet: Östersund, högst 9 500 aktiva anslutningar" in content
        for word in _INTERNAL:
            assert word not in content, f"{name}: {word!r} in the message"
        for note in _notes("se_cyber_notification"):
            assert note not in content, f"{name}: the drafting note {note!r}"
        for key in _FIELD_KEYS:
            assert key not in content, f"{name}: field key {key!r} in the message"
        assert "Ännu inte känt" not in content
        if name.endswith("false_alarm"):
            assert "falsklarm" in content and "Pågår" not in content
            assert "Rapporten gäller en betydande incident" not in content
        else:
            assert "Rätt: Berg, högst 9 500 aktiva anslutningar" in content


def test_a_csirt_report_after_the_one_that_told_the_correction_does_not_tell_it_again() -> None:
    """Told once: the final report after the notification that carried the Rättelse says false
    alarm in its header and fields, without a Rättelse, and leaves the bridge's fields known."""
    doc = _csirt_corrected({}, CSIRT_FALSE_ALARM)
    doc.update(state="closed", remedied_at=_iso(CSIRT_CORRECTED_AT + timedelta(minutes=2)))
    kind = "se_cyber_final"
    fields = draft_fields(
        kind,
        doc,
        OPERATOR,
        None,
        CSIRT_CORRECTED_AT + timedelta(days=1),
        SERVICES,
        Previous(
            "se_cyber_notification",
            CSIRT_CORRECTED_AT + timedelta(minutes=30),
            _snapshot(doc, "se_cyber_notification"),
            _snapshot(doc, kind),
        ),
        builtin_forms()[kind],
        regions=CSIRT_REGION_NAMES,
    )
    out = render(fields, None)
    assert out.subject.startswith("Falsklarm – Slutrapport") and not fields.correction
    assert "RÄTTELSE" not in out.text and "Det var ett falsklarm" in out.text
    assert "Rapporten gäller en betydande incident" not in out.text
    bridge_keys = {"aware_at", "started_at", "handled_at", "services", "scope"}
    assert bridge_keys.isdisjoint(fields.to_complete())
