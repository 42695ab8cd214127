"""PTS's outage duty (LEK 8 kap. 1–4 §§) was repealed on 2026-01-15: for an incident since then
the pts-outage rule set is the operator's internal threshold. Its reports go to no regulator
(kept internally, or e-mailed to the operator's own address), their deadlines are no legal
ones (``binding`` false), and the Word document says so first. Earlier incidents: as before."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
from builders import write_config

from bridge.config import load_config
from bridge.core import casework
from bridge.core.drafts import Sender, draft_fields
from bridge.core.obligations import KEPT, SETTLED, incident_events, obligation_state, owed
from bridge.core.rules import Assessment, Criterion, RuleSet
from bridge.errors import BadInput, ConfigError
from bridge.notices.attachments import attachment_for
from bridge.notices.context import drafting_context
from bridge.notices.rendering import render

REPEALED = date(2026, 1, 15)
SENDER = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10 000 00 00", "noc@example.net")
#: 23.59 on 14 January 2026 in Stockholm (before the repeal) and 00.00 on the 15th (after)
BEFORE = datetime(2026, 1, 14, 22, 59, tzinfo=UTC)
AFTER = datetime(2026, 1, 14, 23, 0, tzinfo=UTC)


def pts_outage(repealed_on: date | None = REPEALED) -> RuleSet:
    return RuleSet(
        "pts-outage",
        "pts",
        "SE",
        "test",
        False,
        (Criterion("c", "emergency_112"),),
        obligations=("pts_initial", "pts_supplementary"),
        repealed_on=repealed_on,
    )


def owed_at(started: datetime, repealed_on: date | None = REPEALED) -> dict[str, Any]:
    events = incident_events(started, None, None)
    since = started + timedelta(minutes=30)
    verdict = Assessment("pts", "pts-outage", False, True, since, (), None)
    return {o.kind: o for o in owed(pts_outage(repealed_on), verdict, events, since)}


def incident(started: datetime) -> dict[str, Any]:
    return {
        "id": f"inc-{started:%Y%m%d}-0001",
        "started_at": started.isoformat(),
        "impact": {"by_service": {"internet": 12000}},
        "alert_details": [],
    }


def test_an_obligation_since_the_repeal_is_an_internal_threshold_and_before_it_a_legal_one() -> (
    None
):
    """The day is Stockholm's: an incident from 00.00 on 15 January 2026 owes PTS nothing
    (binding false, its explanation says internal threshold); one a minute earlier does."""
    after, before = owed_at(AFTER), owed_at(BEFORE)
    assert {o.binding for o in after.values()} == {False}
    assert after["pts_initial"].explanation.startswith("internal threshold, owed to no regulator")
    assert {o.binding for o in before.values()} == {True}
    assert "internal" not in before["pts_initial"].explanation
    assert {o.binding for o in owed_at(AFTER, None).values()} == {True}  # a law in force


def test_a_kept_report_settles_its_obligation() -> None:
    assert obligation_state("kept", AFTER, AFTER + timedelta(days=30)) == KEPT
    assert KEPT in SETTLED


def fields(started: datetime, internal: str = "") -> Any:
    return draft_fields(
        "pts_initial",
        incident(started),
        SENDER,
        "incidentrapport@pts.se",
        started + timedelta(hours=1),
        repealed_on=REPEALED,
        internal_recipient=internal,
    )


def test_drafting_and_obligations_agree_on_the_day() -> None:
    """The draft's recipient follows the same test as the obligation's binding."""
    assert fields(BEFORE).recipient == "incidentrapport@pts.se" and not fields(BEFORE).repealed
    assert fields(AFTER).recipient == "" and fields(AFTER).repealed
    assert fields(AFTER, "noc-reports@example.net").recipient == "noc-reports@example.net"


def test_approving_an_internal_report_keeps_it_and_it_takes_no_recipient() -> None:
    """An ``internal`` draft approved is ``kept``: nothing queued for the outbox, the audit says
    it was kept internally and not sent. A recipient cannot be given to it; a report of an
    incident since the repeal that goes by e-mail cannot be given PTS's address."""
    now = AFTER + timedelta(hours=2)
    f = fields(AFTER)
    draft, _ = casework.open_draft(f, 1, now, lambda x: render(x, None), channel=casework.INTERNAL)
    for text in ("incidentrapport@pts.se", "noc@example.net"):
        with pytest.raises(BadInput) as info:
            casework.edit(draft, 1, {"recipient": text}, f, "eva", now, lambda x: render(x, None))
        assert info.value.field == "fields.recipient"
    kept, events = casework.approve(
        draft, 1, draft.latest.facts, "olga", now, "<m@x>", send_unknown=draft.latest.to_complete
    )
    assert kept.state == casework.KEPT and kept.next_attempt_at is None and kept.sent_at is None
    assert kept.done_at == now and kept.state in casework.FINISHED
    assert [e.action for e in events] == ["draft.approved", "draft.kept_internally"]
    assert events[1].detail["sent"] is False and "not sent" in events[1].detail["reason"]
    emailed = fields(AFTER, "noc-reports@example.net")
    by_mail, _ = casework.open_draft(emailed, 1, now, lambda x: render(x, None))
    with pytest.raises(BadInput) as info:
        casework.edit(
            by_mail,
            1,
            {"recipient": "x@example.net, Incidentrapport@pts.se"},
            emailed,
            "eva",
            now,
            lambda x: render(x, None),
        )
    assert info.value.field == "fields.recipient"


@pytest.mark.parametrize("started, said", [(AFTER, True), (BEFORE, False)])
def test_the_word_document_opens_with_the_repeal_statement_only_after_the_repeal(
    started: datetime, said: bool
) -> None:
    now = started + timedelta(hours=2)
    draft, _ = casework.open_draft(fields(started), 1, now, lambda x: render(x, None))
    found = attachment_for(draft, draft.latest, SENDER)
    assert found is not None
    paragraphs = [p.text for p in docx.Document(io.BytesIO(found[2])).paragraphs]
    statement = "Detta är ingen rapport som ska lämnas till PTS."
    if said:
        assert paragraphs[1].startswith(statement)  # under the title, above everything
        assert "upphävdes den 15 januari 2026 (SFS 2025:1511)" in paragraphs[1]
    else:
        assert not any(statement in p for p in paragraphs)


def regulators(pts: dict[str, Any]) -> dict[str, Any]:
    return {"regulators": {"pts": {"rule_set": "pts-outage", **pts}}}


def test_the_internal_recipient_is_configured_per_regulator_and_checked(tmp_path: Path) -> None:
    """regulators.pts.internal_recipient: an e-mail address, never a regulator's; the bad one
    is named. Configured, the drafting context uses it for the repealed rule set's kinds."""
    for bad, why in (
        ("not an address", "is not an e-mail address"),
        ("incidentrapport@pts.se", "is a regulator's address"),
        ("x@example.net, ekomvarsling@nkom.no", "is a regulator's address"),
    ):
        path = write_config(tmp_path, extra=regulators({"internal_recipient": bad}))
        with pytest.raises(ConfigError) as info:
            load_config(path, env={})
        [problem] = info.value.problems
        assert "regulators.pts.internal_recipient" in problem and why in problem
    path = write_config(
        tmp_path, extra=regulators({"internal_recipient": "noc-reports@example.net"})
    )
    context = drafting_context(load_config(path, env={}))
    assert context.internal_recipients == {
        "pts_initial": "noc-reports@example.net",
        "pts_supplementary": "noc-reports@example.net",
    }
    after = context.fields("pts_initial", incident(AFTER), AFTER + timedelta(hours=1))
    assert after.recipient == "noc-reports@example.net"
    assert context.channel_for(after) == casework.EMAIL
    before = context.fields("pts_initial", incident(BEFORE), BEFORE + timedelta(hours=1))
    assert before.recipient == "incidentrapport@pts.se"
    unset = drafting_context(load_config(write_config(tmp_path), env={}))
    kept = unset.fields("pts_initial", incident(AFTER), AFTER + timedelta(hours=1))
    assert kept.recipient == "" and unset.channel_for(kept) == casework.INTERNAL
