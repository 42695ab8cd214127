"""Privacy cases (bridge.core.privacy): facts validated by name, revisions, exemptions, and each
deadline of docs/regulation.md §2-3 computed from the case and an injected ``now``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.config import load_rule_sets
from bridge.core import privacy, privacy_fields
from bridge.core.drafts import DraftFields, Sender, draft_fields, field_texts
from bridge.core.obligations import Obligation
from bridge.errors import BadInput, Conflict

RULES = Path(__file__).resolve().parents[2] / "config" / "rules"
SHIPPED = load_rule_sets(RULES)
RULE_SETS = [SHIPPED[n][1].to_core() for n in ("pts-privacy", "nkom-privacy")]
DETECTED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday
NOW = DETECTED + timedelta(minutes=10)
MARK = "Kalle Markörsson 070-1234567"  # personal data a test can recognise
#: Nkom's updated varsel (seed 003): owed once the varsel was sent, on a change and on the close
NKOM_UPDATES = ("nkom_privacy_update", "nkom_privacy_normalised")


def case(**values: Any) -> privacy.PrivacyCase:
    body = {"detected_at": "2026-11-23T09:30:00Z", **values}
    opened, _ = privacy.open_case(
        privacy.parse_values(body, NOW), "token:ops", NOW, "priv-20261123-1"
    )
    return opened


def by_kind(obligations: list[Obligation]) -> dict[str, Obligation]:
    return {o.kind: o for o in obligations}


def test_pts_initial_is_due_24_hours_after_detection() -> None:
    """PTS: the initial report is due 24 h after detection; overdue once now reaches it."""
    c = case(jurisdictions=["SE"])
    initial = by_kind(privacy.owed(c, RULE_SETS, NOW))["privacy_initial"]
    assert initial.due_at == DETECTED + timedelta(hours=24)
    assert initial.state == "open"
    late = by_kind(privacy.owed(c, RULE_SETS, DETECTED + timedelta(hours=24)))["privacy_initial"]
    assert late.state == "overdue"


def test_pts_supplementary_is_due_3_days_after_the_initial_report_was_sent() -> None:
    """The supplementary report waits for the initial one to be sent, then is due 3 days later."""
    c = case(jurisdictions=["SE"])
    waiting = by_kind(privacy.owed(c, RULE_SETS, NOW))["privacy_supplementary"]
    assert waiting.due_at is None and waiting.waiting_for == "initial_sent"
    sent = DETECTED + timedelta(hours=20, minutes=7)
    owed = by_kind(
        privacy.owed(c, RULE_SETS, sent, {"initial_sent": sent}, {"privacy_initial": "sent"})
    )
    assert owed["privacy_initial"].state == "sent"
    assert owed["privacy_supplementary"].due_at == sent + timedelta(days=3)


def test_swedish_subscribers_within_24_hours_and_the_copy_to_pts_after_the_notice() -> None:
    """Swedish subscribers are owed a notice 24 h after detection (Stockholm days); the copy
    to PTS opens once the subscriber notice was sent, due 24 h later."""
    c = case(jurisdictions=["SE"])
    owed = by_kind(privacy.owed(c, RULE_SETS, NOW))
    assert owed["subscriber_notice"].due_at == DETECTED + timedelta(hours=24)
    assert "CET" in owed["subscriber_notice"].explanation
    assert owed["privacy_subscriber_copy"].waiting_for == "subscriber_notice_sent"
    told = DETECTED + timedelta(hours=5)
    owed = by_kind(privacy.owed(c, RULE_SETS, told, {"subscriber_notice_sent": told}))
    assert owed["privacy_subscriber_copy"].due_at == told + timedelta(hours=24)


def test_nkom_varsel_straks_and_norwegian_subscribers_within_24_hours() -> None:
    """Norway: the varsel is due 1 h after detection (straks, as a target); subscribers 24 h."""
    c = case(jurisdictions=["NO"])
    owed = by_kind(privacy.owed(c, RULE_SETS, NOW))
    assert set(owed) == {"nkom_privacy_varsel", "nkom_privacy_subscriber", *NKOM_UPDATES}
    assert owed["nkom_privacy_varsel"].due_at == DETECTED + timedelta(hours=1)
    assert owed["nkom_privacy_varsel"].regulator == "nkom"
    assert owed["nkom_privacy_subscriber"].due_at == DETECTED + timedelta(hours=24)
    later = by_kind(privacy.owed(c, RULE_SETS, DETECTED + timedelta(hours=1)))
    assert later["nkom_privacy_varsel"].state == "overdue"
    assert later["nkom_privacy_subscriber"].state == "open"


def test_a_risk_owes_nkom_but_not_pts() -> None:
    """A particular risk of a breach is Nkom's (varsel straks); PTS's duty is for breaches."""
    c = case(jurisdictions=["SE", "NO"], nature="risk")
    assert set(by_kind(privacy.owed(c, RULE_SETS, NOW))) == {
        "nkom_privacy_varsel",
        "nkom_privacy_subscriber",
        *NKOM_UPDATES,
    }


def test_an_exemption_removes_subscriber_notices_and_the_copy_only_where_the_law_has_it() -> None:
    """With an exemption recorded, no Swedish subscriber notice (nor copy) is owed; reports still
    are, and the Norwegian subscriber notice too (seed 003's rule has no exemption)."""
    c = case(jurisdictions=["SE", "NO"], unreadable=True, unreadable_how="AES-256")
    exempt, events = privacy.set_exemption(
        c, c.revision, "data_unreadable", MARK, "token:approver", NOW
    )
    assert set(by_kind(privacy.owed(exempt, RULE_SETS, NOW))) == {
        "privacy_initial",
        "privacy_supplementary",
        "nkom_privacy_varsel",
        "nkom_privacy_subscriber",
        *NKOM_UPDATES,
    }
    assert exempt.exemption is not None and exempt.exemption.by == "token:approver"
    [entry] = events
    assert entry.action == "privacy.exemption_recorded"
    assert entry.detail == {"case": c.id, "revision": 2, "reason": "data_unreadable"}
    withdrawn, _ = privacy.set_exemption(exempt, 2, None, "", "token:approver", NOW)
    assert "subscriber_notice" in by_kind(privacy.owed(withdrawn, RULE_SETS, NOW))


def test_data_unreadable_needs_the_case_to_say_so() -> None:
    """The data_unreadable exemption is refused while the case does not say the data was
    unreadable; an unknown reason is refused by name."""
    c = case()
    with pytest.raises(BadInput, match="reason"):
        privacy.set_exemption(c, 1, "data_unreadable", "", "a", NOW)
    with pytest.raises(BadInput, match="reason"):
        privacy.set_exemption(c, 1, "because", "", "a", NOW)


def test_edits_make_revisions_and_audit_names_not_values() -> None:
    """An edit makes revision 2 listing the changed fields; the audit entry has no values;
    an edit based on an old revision is a conflict."""
    c = case(description=MARK)
    edited, events = privacy.edit_case(
        c, 1, privacy.parse_values({"affected": 12, "description": MARK}, NOW), "token:ed", NOW
    )
    assert edited.revision == 2 and edited.affected == 12
    assert edited.history[-1].fields == ("affected",)
    assert MARK not in repr([e.detail for e in events])
    with pytest.raises(Conflict, match="revision 1"):
        privacy.edit_case(edited, 1, {"affected": 13}, "token:ed", NOW)
    with pytest.raises(BadInput, match="nothing to change"):
        privacy.edit_case(edited, 2, {"affected": 12}, "token:ed", NOW)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"detected_at": "yesterday"}, "detected_at"),
        ({"detected_at": "2026-11-23T09:30:00"}, "detected_at"),
        # UTC cannot hold them (they broke every read and draft of the case once stored)
        ({"detected_at": "0001-01-01T00:30:00+01:00"}, "detected_at"),
        ({"occurred_at": "9999-12-31T23:30:00-01:00"}, "occurred_at"),
        # outside the plausible window (bridge/core/instants.py)
        ({"detected_at": "1999-12-31T23:59:59Z"}, "detected_at"),
        ({"occurred_at": "2036-11-24T00:00:00Z"}, "occurred_at"),
        ({"affected": -1}, "affected"),
        ({"affected": "many"}, "affected"),
        ({"data_categories": ["medical"]}, "data_categories"),
        ({"circumstances": "theft"}, "circumstances"),
        ({"jurisdictions": []}, "jurisdictions"),
        ({"nature": "rumour"}, "nature"),
        ({"unreadable": "yes"}, "unreadable"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_values_are_refused_naming_the_field(body: dict[str, Any], field: str) -> None:
    """Every bad value is a BadInput naming its field (the API answers 400 with it)."""
    with pytest.raises(BadInput) as info:
        privacy.parse_values(body, NOW, prefix="fields.")
    assert info.value.field == f"fields.{field}"


def test_times_are_kept_in_utc() -> None:
    """A time with any offset is kept as the instant in UTC."""
    values = privacy.parse_values({"detected_at": "2026-11-23T10:30:00+01:00"}, NOW)
    assert values["detected_at"] == DETECTED and values["detected_at"].tzinfo is UTC


def test_detected_at_is_required() -> None:
    """A person's case needs the detection time: every deadline counts from it."""
    with pytest.raises(BadInput, match="detected_at"):
        privacy.open_case({}, "a", NOW, "priv-x")


def test_a_detection_in_the_future_is_refused_naming_detected_at() -> None:
    """Every deadline counts from the detection ("senast 24 timmar efter det att
    integritetsincidenten upptäcks"): one that has not happened yet is refused beyond the few
    minutes of clock skew a person's browser may have (manual.FUTURE_SLACK), at opening and
    at an edit, naming the field."""
    for when in ("2031-06-01T10:00:00Z", "2026-11-23T09:46:00Z"):
        with pytest.raises(BadInput, match="future") as info:
            privacy.parse_values({"detected_at": when}, NOW, prefix="fields.")
        assert info.value.field == "fields.detected_at"
    skewed = privacy.parse_values({"detected_at": "2026-11-23T09:44:00Z"}, NOW)
    assert skewed["detected_at"] == NOW + timedelta(minutes=4)
    # the occurrence is not a clock's start; the regulator's window still bounds it
    assert privacy.parse_values({"occurred_at": "2026-11-24T09:30:00Z"}, NOW)


def test_the_detection_may_be_moved_earlier_never_later() -> None:
    """A detection moved later would push every report's deadline out (or take a missed one
    back): refused naming the field, nothing changed; moved earlier it is an edit as any."""
    c = case(jurisdictions=["SE"])
    due = by_kind(privacy.owed(c, RULE_SETS, NOW))["privacy_initial"].due_at
    later = privacy.parse_values({"detected_at": "2026-11-23T09:35:00Z"}, NOW)
    with pytest.raises(BadInput, match="only be moved earlier") as info:
        privacy.edit_case(c, 1, later, "token:ed", NOW, prefix="fields.")
    assert info.value.field == "fields.detected_at"
    assert by_kind(privacy.owed(c, RULE_SETS, NOW))["privacy_initial"].due_at == due
    earlier = privacy.parse_values({"detected_at": "2026-11-23T08:30:00Z"}, NOW)
    moved, events = privacy.edit_case(c, 1, earlier, "token:ed", NOW)
    assert moved.detected_at == DETECTED - timedelta(hours=1)
    assert events[0].action == "privacy.edited" and events[0].detail["fields"] == ["detected_at"]
    assert by_kind(privacy.owed(moved, RULE_SETS, NOW))["privacy_initial"].due_at == (
        due - timedelta(hours=1)
    )


def test_a_case_from_an_alert_is_detected_when_the_alert_started() -> None:
    """An alert's case: detected at the alert's start, described by its annotations, with a
    stable id so a re-delivery finds it."""
    started = DETECTED - timedelta(minutes=3)
    c, events = privacy.case_from_alert(
        "fp1", started, {"summary": "Export job leaked", "description": "S3 bucket"}, ("SE",), NOW
    )
    again, _ = privacy.case_from_alert("fp1", started, {}, ("SE",), NOW + timedelta(minutes=1))
    assert c.id == again.id and c.id.startswith("priv-20261123-")
    assert c.detected_at == started and c.source == "alert" and c.alert == "fp1"
    assert c.description == "Export job leaked\nS3 bucket"
    assert events[0].detail["alert"] == "fp1"


def test_round_trip_through_the_stored_form() -> None:
    """to_dict / from_dict give back the same case, exemption and history included."""
    c = case(
        occurred_at="2026-11-22T18:00:00+01:00",
        occurred_estimated=True,
        circumstances=["theft", "copying"],
        data_categories=["subscriber", "location"],
        affected=1200,
        unreadable=True,
    )
    c, _ = privacy.set_exemption(c, 1, "data_unreadable", "ok", "a", NOW)
    assert privacy.from_dict(privacy.to_dict(c)) == c


def test_privacy_fields_fill_annex_i_in_swedish_and_the_notices_in_plain_words() -> None:
    """The PTS report carries the Annex I facts; subscriber notices speak plainly in the
    subscriber's language; empty facts are left to complete."""
    c = case(
        occurred_at="2026-11-22T18:00:00+01:00",
        occurred_estimated=True,
        circumstances=["theft"],
        data_categories=["traffic"],
        affected=1200,
        description="En bärbar dator med loggfiler stals.",
    )
    operator = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10 000 00 00", "noc@ex.net")
    doc = privacy.to_dict(c)
    report = draft_fields("privacy_initial", doc, operator, None, NOW).fields
    assert report["occurred_at"].value == "2026-11-22 kl. 18.00 svensk tid (uppskattad)"
    assert report["circumstances"].value == "Stöld"
    assert report["affected"].value == "1 200 abonnenter eller användare"
    assert report["notification"].value.startswith("Första anmälan")
    assert report["provider"].value == "Exempel Nät AB (org.nr 556000-0000)"
    assert report["consequences"].to_complete and report["cross_border"].to_complete
    sv = draft_fields("subscriber_notice", doc, operator, "kund@ex.net", NOW)
    assert sv.recipient == "kund@ex.net" and sv.language == "sv"
    assert "vem du har ringt" in sv.fields["your_data"].value
    assert sv.fields["when"].value.startswith("Händelsen inträffade ungefär 2026-11-22")
    nb = draft_fields("nkom_privacy_subscriber", doc, operator, None, NOW)
    assert nb.language == "nb" and nb.fields["when"].value.startswith("Hendelsen skjedde omtrent")
    assert "hvem du har ringt" in nb.fields["your_data"].value
    assert nb.fields["what_you_can_do"].to_complete
    assert privacy_fields.language("nkom_privacy_varsel") == "nb"


def test_texts_per_language_are_checked_by_language_and_field() -> None:
    """A case's per-language texts take sv or nb and free-text fields only, named when wrong."""
    ok = privacy.parse_values({"texts": {"nb": {"description": " Tekst "}, "sv": {}}}, NOW)
    assert ok == {"texts": {"nb": {"description": "Tekst"}}}
    with pytest.raises(BadInput, match=r"texts\.en"):
        privacy.parse_values({"texts": {"en": {"description": "x"}}}, NOW)
    with pytest.raises(BadInput, match=r"texts\.nb\.affected"):
        privacy.parse_values({"texts": {"nb": {"affected": "12"}}}, NOW)


@pytest.mark.parametrize(
    "bad",
    [
        *("\x00", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\ud800"),
        *("\x7f", "\x85", "\x9b", "\u202a", "\u202e", "\u2066", "\u2069"),  # DEL, C1, bidi
    ],
)
def test_a_persons_text_refuses_control_characters_naming_the_field_not_the_text(
    bad: str,
) -> None:
    """Free text from a person may hold line breaks and tabs, no other control character (C0,
    DEL, C1), bidirectional control or lone surrogate; the BadInput names the field and the
    character, not the text."""
    ok = privacy.parse_values({"description": " a\r\nb\tc\n "}, NOW)
    assert ok == {"description": "a\r\nb\tc"}
    for body, field in (
        ({"description": f"{MARK}{bad}"}, "fields.description"),
        ({"texts": {"nb": {"causes": f"{MARK}{bad}"}}}, "fields.texts.nb.causes"),
    ):
        with pytest.raises(BadInput) as info:
            privacy.parse_values(body, NOW, prefix="fields.")
        assert info.value.field == field
        assert f"U+{ord(bad):04X}" in str(info.value) and MARK not in str(info.value)
    with pytest.raises(BadInput, match="comment"):
        privacy.set_exemption(case(), 1, "no_adverse_effect", f"{MARK}{bad}", "a", NOW)


def test_a_case_from_an_alert_keeps_its_text_as_sent() -> None:
    """The webhook drops no alert for its text: control characters stay in the description."""
    opened, _ = privacy.case_from_alert(
        "fp", DETECTED, {"description": f"{MARK}\x0bmore"}, ("SE",), NOW
    )
    assert opened.description == f"{MARK}\x0bmore"


@pytest.mark.parametrize(
    ("label", "read"),
    [("NO", "NO"), ("no", "NO"), (" No\n", "NO"), ("se", "SE"), ("SE", "SE"), ("\tsE ", "SE")],
)
def test_an_alerts_jurisdiction_label_is_read_as_a_person_means_it(label: str, read: str) -> None:
    """A country code in any case, with spaces around it, is that country; nothing is flagged."""
    assert privacy.alert_jurisdictions(label, "SE", ("SE", "NO")) == ((read,), None)


@pytest.mark.parametrize(
    "label", ["Norge", "norway", "SE,NO", "ticket 4711: Oslo office", "N0", "DK"]
)
def test_a_label_naming_no_known_jurisdiction_is_every_configured_one_flagged(label: str) -> None:
    """A value that names no jurisdiction the bridge knows never picks one: the case is owed
    under every jurisdiction the privacy rule sets cover (in the bridge's order, whatever the
    configuration's), and the value is kept for the person who sets it."""
    assert privacy.alert_jurisdictions(label, "SE", ("NO", "SE")) == (("SE", "NO"), label)
    assert privacy.alert_jurisdictions(label, "SE", ("NO",)) == (("NO",), label)
    # no privacy rule set at all (none configured): the default, still flagged
    assert privacy.alert_jurisdictions(label, "SE", ()) == (("SE",), label)


def test_an_unrecognised_label_is_kept_short_and_as_text_a_document_can_hold() -> None:
    """What the case keeps of an unrecognised label: at most 100 characters, characters XML
    cannot hold (a label may carry any) as U+FFFD."""
    _, kept = privacy.alert_jurisdictions("x\x00" + "y" * 200, "SE", ("SE", "NO"))
    assert kept == "x\N{REPLACEMENT CHARACTER}" + "y" * 98


@pytest.mark.parametrize("label", [None, "", "  "])
def test_no_jurisdiction_label_is_the_configured_default_as_documented(label: str | None) -> None:
    """An alert without the label (or with an empty one) is the default jurisdiction
    (``inventory.default_jurisdiction``, as for outage alerts), not flagged."""
    assert privacy.alert_jurisdictions(label, "NO", ("SE", "NO")) == (("NO",), None)


def test_a_case_opened_under_every_jurisdiction_says_so_until_a_person_sets_them() -> None:
    """The flag is on the case (and its attention text) until a person sets ``jurisdictions``,
    even to the same countries (a confirmation is a revision of its own); editing another
    field keeps it."""
    opened, events = privacy.case_from_alert(
        "fp", DETECTED, {}, ("SE", "NO"), NOW, jurisdiction_unrecognised="Norge"
    )
    assert opened.jurisdictions == ("SE", "NO") and opened.jurisdiction_unrecognised == "Norge"
    assert "jurisdiction" in (privacy.attention(opened) or "")
    assert "Norge" not in str(events)  # the audit names no value
    edited, _ = privacy.edit_case(opened, 1, {"affected": 3}, "token:ops", NOW)
    assert edited.jurisdiction_unrecognised == "Norge" and privacy.attention(edited)
    confirmed, events = privacy.edit_case(
        edited, 2, {"jurisdictions": ("SE", "NO")}, "token:ops", NOW
    )
    assert confirmed.revision == 3 and confirmed.jurisdictions == ("SE", "NO")
    assert confirmed.jurisdiction_unrecognised is None and privacy.attention(confirmed) is None
    assert events[0].detail["fields"] == ["jurisdiction_unrecognised", "jurisdictions"]
    assert privacy.from_dict(privacy.to_dict(opened)) == opened
    with pytest.raises(BadInput, match="nothing to change"):  # once set, the same is no change
        privacy.edit_case(confirmed, 3, {"jurisdictions": ("SE", "NO")}, "token:ops", NOW)


# ---- an alert's words never reach subscribers unless a person chose them ---------------------
ALERT_TEXT = "Unusual bulk export from crm-prod-02 by svc_batch, 41k rows"
PERSONS_WORDS = "Någon har obehörigt hämtat ut kunduppgifter ur vårt kundregister."
SUBSCRIBER_KINDS = ("subscriber_notice", "nkom_privacy_subscriber")
OPERATOR = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10 000 00 00", "noc@ex.net")


def from_alert() -> privacy.PrivacyCase:
    opened, _ = privacy.case_from_alert("fp-x", DETECTED, {"summary": ALERT_TEXT}, ("SE",), NOW)
    return replace(opened, jurisdictions=("SE", "NO"))


def drafted(kind: str, c: privacy.PrivacyCase) -> DraftFields:
    return draft_fields(kind, privacy.document(c), OPERATOR, None, NOW)


def test_a_case_s_description_is_the_alert_s_text_until_a_person_saves_it() -> None:
    """An alert's case remembers that its description is the alert's text; editing another
    field does not change that, saving the description does; a person's case has none."""
    c = from_alert()
    assert privacy.alert_texts(c) == ("description",)
    other, _ = privacy.edit_case(c, 1, {"affected": 12}, "token:dpo", NOW)
    assert privacy.alert_texts(other) == ("description",)
    mine, _ = privacy.edit_case(other, 2, {"description": PERSONS_WORDS}, "token:dpo", NOW)
    assert privacy.alert_texts(mine) == ()
    assert privacy.alert_texts(case(description=ALERT_TEXT)) == ()
    assert privacy.document(c)["alert_texts"] == ["description"]
    assert privacy.document(mine)["alert_texts"] == []


def test_saving_the_alert_s_description_unchanged_is_a_person_s_choice() -> None:
    """A person who saves the alert's text as it is adopts it: a revision naming the field
    (audited like any edit); saving it unchanged once more is nothing to change."""
    c = from_alert()
    adopted, events = privacy.edit_case(c, 1, {"description": ALERT_TEXT}, "token:dpo", NOW)
    assert adopted.revision == 2 and adopted.description == ALERT_TEXT
    assert adopted.history[-1].fields == ("description",)
    assert adopted.history[-1].actor == "token:dpo"
    assert events[0].detail["fields"] == ["description"]
    assert privacy.alert_texts(adopted) == ()
    with pytest.raises(BadInput, match="nothing to change"):
        privacy.edit_case(adopted, 2, {"description": ALERT_TEXT}, "token:dpo", NOW)


@pytest.mark.parametrize("kind", SUBSCRIBER_KINDS)
def test_a_subscriber_notice_leaves_out_the_alert_s_text_as_a_field_to_complete(
    kind: str,
) -> None:
    """While the description is the alert's text, "what happened" is left to complete with a
    hint saying why; the alert's text is in none of the notice's fields."""
    fields = drafted(kind, from_alert())
    assert fields.fields["what_happened"].to_complete
    assert "what_happened" in fields.to_complete()
    assert all(ALERT_TEXT not in f.value for f in fields.fields.values())
    hint = field_texts(kind)[1]["what_happened"]
    assert "alert" in hint and "subscriber" in hint and ALERT_TEXT not in hint


@pytest.mark.parametrize("kind", SUBSCRIBER_KINDS)
def test_a_subscriber_notice_carries_the_words_a_person_saved(kind: str) -> None:
    """Once a person saved the description (new words, or the alert's as they are), the notice
    says it."""
    c = from_alert()
    mine, _ = privacy.edit_case(c, 1, {"description": PERSONS_WORDS}, "token:dpo", NOW)
    assert drafted(kind, mine).fields["what_happened"].value == PERSONS_WORDS
    adopted, _ = privacy.edit_case(c, 1, {"description": ALERT_TEXT}, "token:dpo", NOW)
    assert drafted(kind, adopted).fields["what_happened"].value == ALERT_TEXT


def test_a_person_s_text_in_one_language_goes_to_that_language_s_notice_only() -> None:
    """A person's Swedish text (``texts.sv.description``) is the Swedish notice's; the Norwegian
    notice, with only the alert's text to fall back on, still waits for a person."""
    c = from_alert()
    sv, _ = privacy.edit_case(
        c, 1, {"texts": {"sv": {"description": PERSONS_WORDS}}}, "token:dpo", NOW
    )
    assert drafted("subscriber_notice", sv).fields["what_happened"].value == PERSONS_WORDS
    assert drafted("nkom_privacy_subscriber", sv).fields["what_happened"].to_complete


@pytest.mark.parametrize(
    ("kind", "key"), [("privacy_initial", "summary"), ("nkom_privacy_varsel", "description")]
)
def test_a_regulator_report_starts_from_the_alert_s_text_saying_so_in_its_note_only(
    kind: str, key: str
) -> None:
    """The reports to PTS and Nkom (technical readers, reviewed) keep the alert's text as a
    starting point; the field's note says it is the alert's, the text does not."""
    field = drafted(kind, from_alert()).fields[key]
    assert field.value == ALERT_TEXT
    assert "alert" in field.source
    mine, _ = privacy.edit_case(from_alert(), 1, {"description": PERSONS_WORDS}, "p", NOW)
    assert "alert" not in drafted(kind, mine).fields[key].source
    # the case keeps the alert's text as sent; the report gets it without the control,
    # bidirectional and zero-width characters a person's text may not hold
    said = {"summary": "Export\x1b[2J\x00 from\u200b crm\u202e", "description": "41k\trows"}
    dirty, _ = privacy.case_from_alert("fp-y", DETECTED, said, ("SE", "NO"), NOW)
    assert dirty.description == "Export\x1b[2J\x00 from\u200b crm\u202e\n41k\trows"
    assert drafted(kind, dirty).fields[key].value == "Export[2J from crm\n41k\trows"


def test_swedish_privacy_texts_use_pts_s_word_integritetsincident() -> None:
    """PTS's own page (seed 001) and LEK say *integritetsincident* ("personuppgiftsbrott" in
    EU 611/2013): the Swedish notice, its copy to PTS and the console's names use it, not the
    GDPR's *personuppgiftsincident*."""
    from bridge.core.report_names import REPORTS

    templates = Path(__file__).parents[2] / "bridge" / "notices" / "templates"
    subject = (templates / "subscriber_notice.subject.txt.j2").read_text(encoding="utf-8")
    assert "integritetsincident" in subject
    assert "integritetsincident" in privacy_fields.TITLES["subscriber_notice"]
    for kind in ("privacy_initial", "privacy_supplementary", "nkom_privacy_varsel"):
        assert REPORTS[kind]["sv"].startswith("integritetsincident")
    everything = subject + privacy_fields.TITLES["subscriber_notice"]
    assert "personuppgiftsincident" not in everything


def test_the_supplementary_report_says_who_was_told_in_a_whole_sentence() -> None:
    """ "Underrättade 2026-11-23 kl. 12.42" (no subject) read as broken Swedish to PTS."""
    sent = {"subscriber_notices": {"subscriber_notice": {"sent_at": "2026-11-23T11:42:00Z"}}}
    text = privacy_fields._notified(sent, lambda at: at.strftime("%Y-%m-%d kl. %H.%M"))
    assert text.startswith("Abonnenterna och användarna underrättades 2026-11-23 kl. 11.42")


def test_closing_a_case_needs_a_reason_and_records_it_with_the_outcome() -> None:
    """A close without a reason is refused naming ``reason`` (it was dropped silently: the
    audit said only ``state``); an outcome other than not_a_breach or handled is refused
    naming ``outcome``. The close keeps the outcome and the reason on the case (its register
    row) and in the audit entry; reopening clears them from the case (the audit keeps them)."""
    c = case()
    for reason in ("", "   "):
        with pytest.raises(BadInput) as info:
            privacy.set_state(c, 1, "closed", "a", NOW, reason=reason, outcome="not_a_breach")
        assert info.value.field == "reason"
    with pytest.raises(BadInput) as info:
        privacy.set_state(c, 1, "closed", "a", NOW, reason="x", outcome="resolved")
    assert info.value.field == "outcome"
    with pytest.raises(BadInput) as info:
        privacy.set_state(c, 1, "closed", "a", NOW, reason="x", outcome=None)
    assert info.value.field == "outcome"
    closed, events = privacy.set_state(
        c,
        1,
        "closed",
        "token:ed",
        NOW,
        reason="Not a breach: the laptop was found",
        outcome="not_a_breach",
    )
    assert closed.state == "closed"
    assert closed.closure == privacy.Closure(
        "not_a_breach", "Not a breach: the laptop was found", "token:ed", NOW
    )
    assert closed.history[-1].fields == ("closure", "state")
    [event] = events
    assert event.action == "privacy.closed"
    assert event.detail["outcome"] == "not_a_breach"
    assert event.detail["reason"] == "Not a breach: the laptop was found"
    assert privacy.from_dict(privacy.to_dict(closed)) == closed
    with pytest.raises(BadInput) as info:
        privacy.set_state(closed, 2, "open", "a", NOW, outcome="handled")
    assert info.value.field == "outcome"
    reopened, events = privacy.set_state(closed, 2, "open", "a", NOW, reason="new facts")
    assert reopened.state == "open" and reopened.closure is None
    assert events[0].detail["reason"] == "new facts"
