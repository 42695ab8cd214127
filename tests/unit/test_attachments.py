"""The PTS upload document (bridge.notices.attachments.pts_document): any text a draft may hold
builds a Word document, characters XML cannot hold (an alert's annotations may) shown as U+FFFD."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import docx
import pytest

from bridge.core.casework import Draft, Version
from bridge.core.drafts import Identity, Sender
from bridge.notices.attachments import DOCX_MIME, attachment_for

FFFD = "\N{REPLACEMENT CHARACTER}"
T0 = datetime(2026, 11, 23, 7, 42, tzinfo=UTC)
SENDER = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10 000 00 00", "noc@example.net")


def draft(kind: str, fields: dict[str, str]) -> tuple[Draft, Version]:
    version = Version(
        1,
        T0,
        "bridge",
        "drafted",
        fields,
        (),
        "",
        "incidentrapport@pts.se",
        "s",
        "t",
        "<p>h</p>",
        (),
    )
    built = Draft("d-1", "inc-20261123-1", "pts", kind, 1, "outage", "draft", 1, T0, T0, (version,))
    return built, version


def paragraphs(body: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(body)).paragraphs]


@pytest.mark.parametrize("kind", ["pts_initial", "privacy_initial"])
def test_the_document_takes_control_characters_and_shows_them_as_the_replacement_character(
    kind: str,
) -> None:
    """C0 control characters (but tab, line feed, carriage return), U+FFFE, U+FFFF and a lone
    surrogate become U+FFFD, vertical tab and form feed too (as in the register's XLSX, not a
    paragraph break); line breaks still make paragraphs, the rest of the text stays."""
    built, version = draft(
        kind,
        {
            "reference": "R-1\x00",
            "summary": "Strömavbrott\x0bÖstersund\x0c\x1b[31mrött\x1b[0m\nrad två\tflik",
            "cause": "non\ufffechar\uffff lone \ud800 surrogate\x01\x1f",
        },
    )
    found = attachment_for(built, version, SENDER)
    assert found is not None
    name, mime, body = found
    assert name.endswith(".docx") and mime == DOCX_MIME
    text = paragraphs(body)
    assert text[1].endswith(f"\nReferensnummer: R-1{FFFD}")
    assert f"Strömavbrott{FFFD}Östersund{FFFD}{FFFD}[31mrött{FFFD}[0m" in text
    assert "rad två\tflik" in text
    assert f"non{FFFD}char{FFFD} lone {FFFD} surrogate{FFFD}{FFFD}" in text


def test_a_document_of_plain_text_is_unchanged() -> None:
    built, version = draft("pts_initial", {"summary": "Strömavbrott i Östersund\nrad två"})
    found = attachment_for(built, version, SENDER)
    assert found is not None
    text = paragraphs(found[2])
    assert "Strömavbrott i Östersund" in text and "rad två" in text and FFFD not in "".join(text)


def test_the_same_approval_makes_the_same_message_bytes_every_time() -> None:
    """A retry or a resend builds the message again: the bytes (MIME boundaries included, in
    the mixed and the alternative part) are those of the first build, so the archived copy is
    what left every time; another approval time makes another message."""
    from dataclasses import replace

    from bridge.core.casework import Approval
    from bridge.notices import mail

    built, version = draft("pts_initial", {"reference": "R-1", "summary": "s", "cause": "c"})
    approved = replace(
        built,
        state="approved",
        approval=Approval(1, "boss", T0, version.content_hash),
        message_id="<d-1.v1.abc@example.net>",
    )
    first = mail.build_message(approved, SENDER, "noc@example.net").as_bytes()
    assert mail.build_message(approved, SENDER, "noc@example.net").as_bytes() == first
    assert first.count(b"boundary=") == 2
    later = replace(approved, approval=replace(approved.approval, at=T0.replace(hour=9)))
    assert mail.build_message(later, SENDER, "noc@example.net").as_bytes() != first


def test_the_swedish_providers_name_and_number_go_through_the_same_rule() -> None:
    """The document names the provider registered in Sweden (operator.jurisdictions.SE): its
    configured name and number are text like any other, a control character in them shown as
    U+FFFD in the paragraph and the document's author, never a document that fails to build."""
    sender = Sender(
        "Exempel Nät AB",
        "556000-0000",
        "NOC",
        "+46 10",
        "noc@example.net",
        identities={"SE": Identity("Exempel\x0bSverige AB\x00", "559999-9991\x1b")},
    )
    built, version = draft("pts_initial", {"reference": "R-1", "summary": "s"})
    found = attachment_for(built, version, sender)
    assert found is not None
    document = docx.Document(io.BytesIO(found[2]))
    assert document.core_properties.author == f"Exempel{FFFD}Sverige AB{FFFD}"
    assert f"Operatör: Exempel{FFFD}Sverige AB{FFFD} (org.nr 559999-9991{FFFD})" in "\n".join(
        p.text for p in document.paragraphs
    )


def test_the_documents_bytes_carry_no_build_time() -> None:
    """Every member of the DOCX has one fixed time: python-docx stamps each with the clock's
    second, so two builds of the same approval a second apart made different bytes (a retry's
    message differed from the archived one)."""
    import zipfile

    built, version = draft("pts_initial", {"reference": "R-1", "summary": "s", "cause": "c"})
    found = attachment_for(built, version, SENDER)
    assert found is not None
    with zipfile.ZipFile(io.BytesIO(found[2])) as z:
        times = {info.date_time for info in z.infolist()}
        assert times == {(2000, 1, 1, 0, 0, 0)}
        assert z.testzip() is None  # every member reads back whole


@pytest.mark.parametrize(("name", "author"), [("Exempel Nät AB", "Exempel Nät AB"), ("", "")])
def test_the_documents_properties_name_the_operator_and_nothing_of_the_library(
    name: str, author: str
) -> None:
    """Read back as Word reads them: the author is the operator's name (empty when none is
    configured: never a tool's name), the title the report's, no comment ("generated by
    python-docx" was), keywords, subject, category or last editor; created and modified are the
    ZIP members' fixed time. The extended properties name no application (the template's said
    "Microsoft Macintosh Word"), and the template's thumbnail (a picture of another page) is
    gone."""
    import zipfile

    sender = Sender(name, "556000-0000", "NOC", "+46 10", "noc@example.net")
    built, version = draft("privacy_initial", {"reference": "R-1", "summary": "s"})
    found = attachment_for(built, version, sender)
    assert found is not None
    document = docx.Document(io.BytesIO(found[2]))
    props = document.core_properties
    assert props.author == author
    assert props.title == "Anmälan av integritetsincident – inledande rapport"
    assert (props.comments, props.keywords, props.subject, props.category) == ("",) * 4
    assert props.last_modified_by == ""
    assert props.created == props.modified == datetime(2000, 1, 1, tzinfo=UTC)
    with zipfile.ZipFile(io.BytesIO(found[2])) as z:
        names = z.namelist()
        app = z.read("docProps/app.xml").decode()
        rels = z.read("_rels/.rels").decode()
        core = z.read("docProps/core.xml").decode()
    assert "Application" not in app and "Microsoft" not in app and "Template" not in app
    assert "docProps/thumbnail.jpeg" not in names and "thumbnail" not in rels
    assert "python-docx" not in core and "incident-bridge" not in core
    assert "Anmälan av integritetsincident" in "\n".join(p.text for p in document.paragraphs)
