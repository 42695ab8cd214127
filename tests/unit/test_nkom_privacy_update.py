"""Nkom's updated varsel of a privacy case (seed 003 "Oppdatert varsel underveis": "Tilbyder må
sende oppdatert varsel dersom det skjer vesentlige endringer underveis i hendelsen, og når
hendelsen er normalisert"), through the pure core: what a case owes (bridge.core.privacy),
when a round opens (bridge.core.case_drafts) and what it says (bridge.core.privacy_fields)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.config import load_rule_sets
from bridge.core import case_drafts as cd
from bridge.core import casework as cw
from bridge.core import privacy, privacy_fields
from bridge.core.drafts import DraftFields, RenderedDraft, Sender

RULES = Path(__file__).resolve().parents[2] / "config" / "rules"
SHIPPED = load_rule_sets(RULES)
RULE_SETS = [SHIPPED[n][1].to_core() for n in ("pts-privacy", "nkom-privacy")]
DETECTED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
NOW = DETECTED + timedelta(minutes=10)
OPERATOR = Sender("Exempel Nett AS", "312 345 676", "PVO", "+47 22 00 00 00", "pvo@example.no")
CTX = cd.Context(OPERATOR, {"nkom": "ekomvarsling@nkom.no"}, lambda f: _render(f))
UPDATE, NORMALISED = "nkom_privacy_update", "nkom_privacy_normalised"


def _render(fields: DraftFields) -> RenderedDraft:
    body = "\n".join(f"{f.label}: {f.value or fields.placeholder}" for f in fields.fields.values())
    return RenderedDraft(f"{fields.title} {fields.reference}", body, f"<pre>{body}</pre>")


def case(**values: Any) -> privacy.PrivacyCase:
    body = {
        "detected_at": "2026-11-23T09:30:00Z",
        "jurisdictions": ["NO"],
        "affected": 300,
        "data_categories": ["traffic"],
        "measures_taken": "PC-en er sperret.",
        **values,
    }
    opened, _ = privacy.open_case(privacy.parse_values(body, NOW), "dpo", NOW, "priv-20261123-1")
    return opened


def edited(c: privacy.PrivacyCase, at: datetime, **values: Any) -> privacy.PrivacyCase:
    out, _ = privacy.edit_case(c, c.revision, privacy.parse_values(values, at), "dpo", at)
    return out


def closed(c: privacy.PrivacyCase, at: datetime) -> privacy.PrivacyCase:
    """``c`` closed at ``at``: its state and the revision that set it (how a close is asked
    for, with its outcome and reason, is the API's: not what the updated varsel reads)."""
    change = privacy.Change(c.revision + 1, at, "dpo", "closed", ("state",))
    return replace(
        c, state="closed", revision=c.revision + 1, updated_at=at, history=(*c.history, change)
    )


def owed(
    c: privacy.PrivacyCase, drafts: list[cw.Draft], at: datetime
) -> tuple[list[cd.Owed], dict[str, Any]]:
    progress = cd.progress(drafts)
    found = privacy.owed(c, RULE_SETS, at, progress.events, progress.states)
    return [cd.Owed(o.kind, o.due_at) for o in found], {o.kind: o for o in found}


def reconciled(c: privacy.PrivacyCase, drafts: list[cw.Draft], at: datetime) -> list[cw.Draft]:
    """The case's drafts after one reconcile at ``at``."""
    by_id = {d.id: d for d in drafts}
    for draft, _, _ in cd.reconcile(privacy.document(c), owed(c, drafts, at)[0], drafts, CTX, at):
        by_id[draft.id] = draft
    return list(by_id.values())


def sent(
    draft: cw.Draft, at: datetime, c: privacy.PrivacyCase, edits: dict[str, str] | None = None
) -> cw.Draft:
    """``draft`` approved (with ``edits``, a person's text) and sent at ``at``."""
    if edits:
        fields = CTX.fields(draft.kind, privacy.document(c), at)
        draft, _ = cw.edit(draft, draft.latest.number, edits, fields, "kari", at, _render)
    latest = draft.latest
    approved, _ = cw.approve(
        draft, latest.number, latest.facts, "kari", at, "<m@x>", send_unknown=latest.to_complete
    )
    return cw.delivered(cw.claim(approved, at)[0], at, "250")[0]


def of(drafts: list[cw.Draft], kind: str) -> list[cw.Draft]:
    return sorted((d for d in drafts if d.kind == kind), key=lambda d: d.round)


def varsel_sent(c: privacy.PrivacyCase, edits: dict[str, str] | None = None) -> list[cw.Draft]:
    drafts = reconciled(c, [], NOW)
    [varsel] = of(drafts, "nkom_privacy_varsel")
    return [d if d.id != varsel.id else sent(varsel, NOW, c, edits) for d in drafts]


def test_a_person_s_answer_is_carried_not_compared_and_a_rejection_stands_until_facts_move() -> (
    None
):
    """An answer a person wrote in the varsel is carried into the update as written, not
    compared (a person who changes it says so), as in PTS's supplementary report; a change of
    a fact the bridge fills opens round 1 (the audit names the answers, never their text); a
    person who rejects it ("not vesentlig") decided on what it showed: nothing reopens until
    the facts move again from there."""
    c = case()
    drafts = varsel_sent(c, {"scope_customers": "300 i Norge"})
    later = NOW + timedelta(hours=3)
    more = edited(c, later, affected=900)  # under the person's answer: not compared
    assert of(reconciled(more, drafts, later), UPDATE) == []
    moved = edited(more, later, measures_taken="PC-en er sperret og slettet.")
    writes = cd.reconcile(
        privacy.document(moved), owed(moved, drafts, later)[0], drafts, CTX, later
    )
    [(update, _, events)] = [w for w in writes if w[0].kind == UPDATE]
    assert update.round == 1 and update.trigger == {"significant_change": later}
    assert events[0].detail["significant_change"] == ["measures"]
    assert "slettet" not in repr(events)
    assert update.latest.fields["scope_customers"] == "300 i Norge"  # carried as written
    assert (
        "Tiltak iverksatt og planlagt: Gjort: PC-en er sperret → Gjort: PC-en er sperret og "
        in (update.latest.fields["changes"])
    )
    assert owed(moved, [*drafts, update], later)[1][UPDATE].due_at == later + timedelta(hours=1)
    rejected, _ = cw.reject(update, "kari", "ikke vesentlig", later)
    drafts = [*drafts, rejected]
    assert of(reconciled(moved, drafts, later + timedelta(minutes=1)), UPDATE) == [rejected]
    again = edited(moved, later, data_categories=["traffic", "location"])
    rounds = of(reconciled(again, drafts, later + timedelta(minutes=2)), UPDATE)
    assert [d.round for d in rounds] == [1, 2]
    assert "lagt til «lokasjonsdata»" in rounds[1].latest.fields["changes"]


def test_nothing_before_the_varsel_was_sent_and_no_update_round_once_closed() -> None:
    """A change before the varsel went is the varsel's (re-rendered, no update); a closed case
    opens no update round (the closing update says what changed), and the closing update is
    due 1 h after the close."""
    c = case()
    drafts = reconciled(c, [], NOW)
    changed = edited(c, NOW, affected=900)
    drafts = reconciled(changed, drafts, NOW)
    assert of(drafts, UPDATE) == [] and of(drafts, NORMALISED) == []
    assert owed(changed, drafts, NOW)[1][NORMALISED].due_at is None
    [varsel] = of(drafts, "nkom_privacy_varsel")
    drafts = [d if d.id != varsel.id else sent(varsel, NOW, changed) for d in drafts]
    later = NOW + timedelta(days=1)
    shut = edited(closed(changed, later), later, affected=1000)
    drafts = reconciled(shut, drafts, later)
    assert of(drafts, UPDATE) == []
    [closing] = of(drafts, NORMALISED)
    assert owed(shut, drafts, later)[1][NORMALISED].due_at == later + timedelta(hours=1)
    assert "900 abonnenter/brukere → 1 000 abonnenter/brukere" in closing.latest.fields["changes"]
    assert (
        closing.latest.fields["normalised"] == "Saken ble avsluttet 24.11.2026 kl. 10.40 norsk tid."
    )


def test_a_risk_s_updated_varsel_says_risk_in_seed_003_s_words() -> None:
    """A risk's (nature: risk) updated varsel is titled as a risk, never as a breach."""
    risk = privacy.document(case(nature="risk"))
    assert privacy_fields.follow_up_title(UPDATE, risk) == (
        "Oppdatert varsel om særlig risiko for brudd på sikkerheten"
    )
    fields = CTX.fields(NORMALISED, risk, NOW)
    assert fields.title.startswith("Oppdatert varsel om særlig risiko for brudd på sikkerheten")
    assert fields.lead == "Hendelsen er normalisert: saken er avsluttet."  # no varsel sent


def test_the_changes_read_old_to_new_in_bokmal() -> None:
    """Short answers old → new; a line that grew says what was added; a long one that it
    changed and what it was; an answer first known now says so; unchanged, it says none."""
    labels = {"a": "A", "b": "B", "c": "C", "d": "D"}
    sent_ = {"a": "1 500 abonnenter", "b": "Trafikkdata", "c": "kort", "d": ""}
    new = {"a": "2 000 abonnenter", "b": "Trafikkdata, lokasjonsdata", "c": "x" * 200, "d": "ny"}
    text = privacy_fields.nkom_changes(new, sent_, (), labels, "23.11.2026 kl. 10.00 norsk tid")
    assert text.splitlines() == [
        "Forrige varsel ble sendt 23.11.2026 kl. 10.00 norsk tid. Siden da:",
        "- A: 1 500 abonnenter → 2 000 abonnenter",
        "- B: lagt til «lokasjonsdata»",
        "- C: endret (tidligere: kort).",
        "- D: ny opplysning (var ikke kjent da).",
    ]
    same = privacy_fields.nkom_changes(sent_, sent_, (), labels, "i dag")
    assert (
        same
        == "Forrige varsel ble sendt i dag. Ingen opplysninger er endret eller kommet til siden da."
    )


def test_the_close_says_when_and_a_closure_finding_no_breach_says_so_never_its_reason() -> None:
    """The closing update's "Normalisert" says when the case was closed; a closure (when the
    case records one) that found no breach says that in Nkom's words; its reason never shows."""
    doc = privacy.document(closed(case(), NOW))
    fmt = privacy_fields.closed_text
    assert fmt(doc, lambda t: "23.11") == "Saken ble avsluttet 23.11."
    none = {**doc, "closure": {"outcome": "not_a_breach", "reason": "Kalle testet bare"}}
    text = fmt(none, lambda t: "23.11")
    assert text.startswith("Saken ble avsluttet 23.11. Vi har konkludert med at det ikke forelå")
    assert "Kalle" not in text
    assert fmt(privacy.document(case()), lambda t: "23.11") == ""  # open: nothing to say
