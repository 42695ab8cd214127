"""The provider as registered in each country (``operator.jurisdictions``): Nkom's notices name
the Norwegian entity with its organisasjonsnummer, not the Swedish AB; each country's number is
checked at load (NO: 9 digits, MOD11; SE: 10 digits, Luhn), the bad one named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from builders import write_config

from bridge.config import OperatorConfig, load_config
from bridge.config.org_numbers import problem
from bridge.config.report_forms import builtin_forms
from bridge.core.casework import Approval, Draft, Version, track_of
from bridge.core.drafts import (
    KINDS,
    Reply,
    Sender,
    contact_track,
    draft_fields,
    regulator_of,
    reply_for,
)
from bridge.errors import ConfigError
from bridge.notices.mail import build_message
from bridge.notices.senders import sender

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SWEDISH = {
    "name": "Exempel Nät AB",
    "org_number": "559999-9991",
    "contacts": {"outage": {"name": "NOC-vakt", "phone": "+46 10 000 00 00", "email": "n@x.se"}},
}
NORWEGIAN = {
    "name": "Exempel Nett AS",
    "org_number": "312 345 676",
    "contacts": {"outage": {"name": "NOC-vakt", "phone": "+47 21 00 00 00", "email": "n@x.no"}},
}


def operator(**extra: Any) -> OperatorConfig:
    return OperatorConfig.model_validate({**SWEDISH, **extra})


@pytest.mark.parametrize(
    "jurisdiction, number, valid",
    [
        ("NO", "312 345 676", True),
        ("NO", "312345676", True),
        ("NO", "988 077 917", True),
        ("NO", "988 077 918", False),  # check digit
        ("NO", "98807791", False),  # 8 digits
        ("NO", "556000-0001", False),  # a Swedish number
        ("SE", "556000-0001", True),
        ("SE", "5560000001", True),
        ("SE", "556000-0000", False),  # check digit
        ("SE", "312 345 676", False),  # a Norwegian number
        ("SE", "55600O-0001", False),  # a letter O
    ],
)
def test_each_countrys_form_and_check_digit(jurisdiction: str, number: str, valid: bool) -> None:
    assert (problem(jurisdiction, number) is None) is valid


def test_a_wrong_number_of_a_country_is_refused_naming_the_field(tmp_path: Path) -> None:
    for jurisdiction, bad, why in (
        ("NO", "556000-0001", "not a Norwegian organisasjonsnummer"),
        ("NO", "312 345 677", "its check digit is wrong"),
        ("SE", "312 345 676", "not a Swedish organisationsnummer"),
    ):
        path = write_config(
            tmp_path,
            extra={"operator": {**SWEDISH, "jurisdictions": {jurisdiction: {"org_number": bad}}}},
        )
        with pytest.raises(ConfigError) as info:
            load_config(path, env={})
        [found] = info.value.problems
        assert f"operator.jurisdictions: {jurisdiction}.org_number: {bad!r}" in found, found
        assert why in found, found


def test_nkoms_notices_name_the_norwegian_provider_and_swedish_ones_the_swedish() -> None:
    """A Nkom varsel says "Tilbyder: Exempel Nett AS (org.nr. 312 345 676)", its reference
    built on that number and signed by the Norwegian NOC; a PTS report and a CSIRT one keep
    the Swedish AB and its NOC."""
    who = sender(operator(jurisdictions={"NO": NORWEGIAN}))
    incident = {"id": "inc-20261123-0a1b2c3d", "started_at": "2026-11-23T08:00:00Z"}
    varsel = draft_fields("nkom_varsel", incident, who, None, NOW)
    assert varsel.operator.name == "Exempel Nett AS"
    assert varsel.operator.org_number == "312 345 676"
    assert varsel.reference.startswith("312345676-20261123-")
    assert "+47 21 00 00 00" in varsel.fields["contact"].value
    assert "Exempel Nett AS" in varsel.fields["contact"].value
    pts = draft_fields("pts_initial", incident, who, None, NOW)
    assert (pts.operator.name, pts.operator.org_number) == ("Exempel Nät AB", "559999-9991")
    assert pts.reference.startswith("5599999991-") and "+46 10" in pts.fields["contact"].value
    # without a Norwegian identity, the operator's own (as before)
    alone = draft_fields("nkom_varsel", incident, sender(operator()), None, NOW)
    assert alone.operator.name == "Exempel Nät AB" and "+46 10" in alone.fields["contact"].value


def test_a_country_identity_leaves_out_what_it_does_not_name() -> None:
    """Only a name given: the org number and the contacts are the operator's own."""
    who = sender(operator(jurisdictions={"NO": {"name": "Exempel Nett AS"}})).of("NO")
    assert (who.name, who.org_number) == ("Exempel Nett AS", "559999-9991")
    assert who.contact("outage").phone == "+46 10 000 00 00"


# ---- where a regulator's reply goes (operator.jurisdictions.J.reply_to) ---------------------

RELAY = "incident-bridge@relay.example.net"  # smtp.sender: the envelope's and header's From


def approved(kind: str) -> Draft:
    """An approved draft of ``kind`` (the regulator its kind follows), as the outbox sends it."""
    version = Version(
        1,
        NOW,
        "bridge",
        "drafted",
        {"reference": "R-1"},
        (),
        "",
        "x@example.org",
        "s",
        "t",
        "<p>h</p>",
        (),
    )
    return Draft(
        "d-1",
        "inc-20261123-1",
        regulator_of(kind),
        kind,
        1,
        "outage",
        "approved",
        2,
        NOW,
        NOW,
        (version,),
        approval=Approval(1, "boss", NOW, version.content_hash),
        message_id="<d-1.v1.abc@relay.example.net>",
        channel="email",
    )


def headers(kind: str, who: Sender) -> tuple[str, str]:
    """The From and Reply-To a regulator's case handler sees on the notice of ``kind``."""
    message = build_message(approved(kind), who, RELAY)
    return str(message["From"]), str(message["Reply-To"] or "")


def test_each_countrys_notices_ask_for_replies_at_that_countrys_address() -> None:
    """Nkom's notices and Norwegian subscriber notices carry the NO identity's reply address,
    PTS's, the CSIRT's and Swedish subscriber notices the SE identity's; From stays the relay's
    one sender (SPF, DMARC), named as the country's provider."""
    who = sender(
        operator(
            contact={"name": "NOC", "email": "noc@example.net"},
            jurisdictions={
                "NO": {**NORWEGIAN, "reply_to": "noc-no@example.net"},
                "SE": {"reply_to": "noc-se@example.net"},
            },
        )
    )
    for kind in (
        "nkom_varsel",
        "nkom_hendelsesrapport",
        "nkom_privacy_varsel",
        "nkom_privacy_subscriber",
    ):
        assert headers(kind, who) == (f"Exempel Nett AS <{RELAY}>", "noc-no@example.net"), kind
    for kind in (
        "pts_initial",
        "privacy_initial",
        "privacy_subscriber_copy",
        "subscriber_notice",
        "se_cyber_notification",
    ):
        assert headers(kind, who) == (f"Exempel Nät AB <{RELAY}>", "noc-se@example.net"), kind


def test_a_country_without_its_own_reply_address_uses_the_operators() -> None:
    """Left out, a country's replies go where every reply went before: operator.contact.email
    (not the country's outage contact, which may be one duty of several)."""
    who = sender(operator(contact={"email": "noc@example.net"}, jurisdictions={"NO": NORWEGIAN}))
    assert headers("nkom_varsel", who)[1] == "noc@example.net"
    assert headers("pts_initial", who)[1] == "noc@example.net"
    nobody = sender(operator(jurisdictions={"NO": NORWEGIAN}))
    assert headers("nkom_varsel", nobody)[1] == ""  # no Reply-To: replies go to From


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("noc at example.net", "'noc at example.net' is not an e-mail address"),
        ("noc-no@example.net, noc@example.net", "is not an e-mail address"),  # exactly one
        ("ekomvarsling@nkom.no", "is a regulator's address"),
        ("Incidentrapport@PTS.se", "is a regulator's address"),
        (5, "is not an e-mail address"),
    ],
)
def test_a_bad_reply_address_is_refused_at_load_naming_the_field(
    tmp_path: Path, value: object, says: str
) -> None:
    path = write_config(
        tmp_path,
        extra={"operator": {**SWEDISH, "jurisdictions": {"NO": {"reply_to": value}}}},
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    [found] = info.value.problems
    assert "operator.jurisdictions.NO.reply_to: " in found, found
    assert says in found, found


# ---- where a notice's contact came from: the drafting note says it truly --------------------


def test_the_contact_fields_note_names_the_key_the_contact_came_from() -> None:
    """A contact from the country's identity is noted as operator.jurisdictions.J.contacts.T
    (the hendelsesrapport said operator.contacts.outage for the Norwegian NOC); one from the
    operator's own tracks as operator.contacts.T, the default as operator.contact. Notes for
    people in the console, never sent."""
    incident = {"id": "inc-20261123-0a1b2c3d", "started_at": "2026-11-23T08:00:00Z"}
    norwegian_privacy = {
        **NORWEGIAN,
        "contacts": {**NORWEGIAN["contacts"], "privacy": {"name": "Personvernombud"}},
    }
    swedish_outage = {"contacts": {"outage": {"name": "NOC Sverige", "phone": "+46 8"}}}
    who = sender(operator(jurisdictions={"NO": norwegian_privacy, "SE": swedish_outage}))

    def note(kind: str, key: str, by: Sender = who) -> str:
        found = draft_fields(kind, incident, by, None, NOW, form=builtin_forms().get(kind))
        return found.fields[key].source

    assert note("nkom_varsel", "contact") == "operator.jurisdictions.NO.contacts.outage"
    assert note("nkom_hendelsesrapport", "contact") == "operator.jurisdictions.NO.contacts.outage"
    assert note("nkom_privacy_varsel", "contact") == "operator.jurisdictions.NO.contacts.privacy"
    assert note("se_cyber_early_warning", "contact") == "operator.jurisdictions.SE.contacts.outage"
    assert note("pts_initial", "contact") == "operator.jurisdictions.SE.contacts.outage"
    # neither SE nor the operator names a privacy contact point: the default contact signs
    assert note("privacy_initial", "contact_point") == "operator.contact"
    assert note("subscriber_notice", "contact_us") == "operator.contact"  # no subscriber track
    alone = sender(operator())
    assert note("nkom_hendelsesrapport", "contact", alone) == "operator.contacts.outage"
    assert note("nkom_privacy_subscriber", "contact_us", alone) == "operator.contact"


# ---- where the answer to each track's notices goes (Reply-To by track) -----------------------

GENERAL = ("noc-no@example.net", "operator.jurisdictions.NO.reply_to")
DPO = ("dpo@example.net", "operator.contacts.privacy.email")
CHANNEL = ("kund@example.net", "operator.contacts.subscriber.email")


@pytest.mark.parametrize(
    ("track", "own", "general", "expected"),
    [
        # an outage notice's answers go to the country's reply address, never to privacy roles
        ("outage", {"privacy": DPO, "subscriber": CHANNEL}, GENERAL, Reply(*GENERAL)),
        # a privacy report's to the privacy contact point
        ("privacy", {"privacy": DPO, "subscriber": CHANNEL}, GENERAL, Reply(*DPO)),
        ("privacy", {"subscriber": CHANNEL}, GENERAL, Reply(*GENERAL, general=True)),
        # a subscriber notice's to the channel it sends people to, else the privacy contact
        ("subscriber", {"privacy": DPO, "subscriber": CHANNEL}, GENERAL, Reply(*CHANNEL)),
        ("subscriber", {"privacy": DPO}, GENERAL, Reply(*DPO)),
        ("subscriber", {}, GENERAL, Reply(*GENERAL, general=True)),
        # no address at all: no Reply-To (answers go to From)
        ("privacy", {}, ("", "operator.contact.email"), Reply("", "operator.contact.email", True)),
        ("privacy", {"privacy": ("", "x")}, GENERAL, Reply(*GENERAL, general=True)),
    ],
)
def test_the_reply_rule_follows_the_notices_track(
    track: str, own: dict[str, tuple[str, str]], general: tuple[str, str], expected: Reply
) -> None:
    """The pure rule on plain values: each track's own contacts' e-mail first, the country's
    general reply address only when none is configured (then ``general`` says so)."""
    assert reply_for(track, own, general) == expected


def test_every_privacy_track_kind_replies_to_a_privacy_role() -> None:
    """The reply track is the contact track (:func:`contact_track`), and it agrees with the
    draft's access track (``casework.track_of``): no kind that only privacy roles may read
    replies to the outage address while a privacy contact names an e-mail."""
    for kind in KINDS:
        privacy = track_of(kind) == "privacy"
        assert (contact_track(kind) in ("privacy", "subscriber")) is privacy, kind


def test_privacy_notices_ask_for_replies_at_the_privacy_contact_and_outage_ones_at_the_noc() -> (
    None
):
    """Nkom's privacy varsel and the PTS privacy reports carry the privacy contact point's
    e-mail as Reply-To (a case handler's answer may quote personal data), a country's own
    privacy contact first; the outage notices keep the country's reply address; subscriber
    notices reply to the subscriber channel, else to the privacy contact."""
    who = sender(
        operator(
            contact={"name": "NOC", "email": "noc@example.net"},
            contacts={
                **SWEDISH["contacts"],
                "privacy": {"name": "Dataskyddsombud", "email": "dpo@example.net"},
            },
            jurisdictions={
                "NO": {
                    **NORWEGIAN,
                    "reply_to": "noc-no@example.net",
                    "contacts": {
                        **NORWEGIAN["contacts"],
                        "privacy": {"name": "Personvernombud", "email": "pvo@example.no"},
                        "subscriber": {"name": "Kundeservice", "email": "kunde@example.no"},
                    },
                },
                "SE": {"reply_to": "noc-se@example.net"},
            },
        )
    )
    replies = {kind: headers(kind, who)[1] for kind in KINDS}
    assert replies["nkom_privacy_varsel"] == "pvo@example.no"
    assert replies["nkom_privacy_subscriber"] == "kunde@example.no"
    assert replies["privacy_initial"] == "dpo@example.net"
    assert replies["privacy_supplementary"] == "dpo@example.net"
    assert replies["privacy_subscriber_copy"] == "dpo@example.net"
    assert replies["subscriber_notice"] == "dpo@example.net"  # SE names no channel e-mail
    for kind in ("nkom_varsel", "nkom_update", "nkom_normalised", "nkom_hendelsesrapport"):
        assert replies[kind] == "noc-no@example.net", kind
    for kind in ("pts_initial", "pts_supplementary", "se_cyber_notification"):
        assert replies[kind] == "noc-se@example.net", kind
    # the country's privacy contact without an e-mail: the operator's privacy e-mail
    nameless = sender(
        operator(
            contacts={"privacy": {"name": "DPO", "email": "dpo@example.net"}},
            jurisdictions={"NO": {"reply_to": "noc-no@example.net", "contacts": {"privacy": {}}}},
        )
    )
    assert headers("nkom_privacy_varsel", nameless)[1] == "dpo@example.net"
    assert nameless.of("NO").reply("privacy") == Reply(
        "dpo@example.net", "operator.contacts.privacy.email"
    )
    assert who.of("NO").reply("privacy") == Reply(
        "pvo@example.no", "operator.jurisdictions.NO.contacts.privacy.email"
    )
    assert who.of("SE").reply("outage") == Reply(
        "noc-se@example.net", "operator.jurisdictions.SE.reply_to"
    )


@pytest.mark.parametrize(
    "key",
    [
        ("contacts", "privacy"),
        ("contacts", "subscriber"),
        ("jurisdictions", "NO", "contacts", "privacy"),
        ("contact",),
    ],
)
def test_a_contact_email_that_is_a_regulators_address_is_refused_at_load(
    tmp_path: Path, key: tuple[str, ...]
) -> None:
    """A contact's e-mail may be a notice's Reply-To (the privacy contact's on privacy reports,
    the subscriber channel's on subscriber notices, operator.contact's as the fallback): like
    reply_to, it may never be a regulator's published address."""
    section: dict[str, Any] = {**SWEDISH}
    node = section
    for part in key[:-1]:
        node[part] = dict(node.get(part) or {})
        node = node[part]
    node[key[-1]] = {"name": "x", "email": "Ekomvarsling@nkom.no"}
    path = write_config(tmp_path, extra={"operator": section})
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    [found] = info.value.problems
    assert f"operator.{'.'.join(key)}.email: " in found, found
    assert "is a regulator's address" in found, found
