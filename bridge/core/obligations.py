"""Which reports an incident owes each regulator, and by when. Pure.

Contract:
- :func:`owed` opens, for a rule set whose assessment is reportable, one :class:`Obligation`
  per kind the rule set lists; nothing opens while the incident is not reportable to it.
- ``due_at`` comes from the kind's deadline rule (:mod:`bridge.core.calendar`, overridable per
  rule set) applied to the incident's events: ``started``, ``reportable`` (the assessment's
  ``since``), ``remedied`` (every alert resolved), ``normalised`` (the incident closed), plus
  events recorded elsewhere (``initial_sent``, ``significant_change``…) passed in ``extra``.
- ``state`` follows the kind's draft (``drafts``: kind → draft state, from
  :mod:`bridge.core.casework`): open → drafted → approved → sent, or rejected by a person;
  an approved report of the ``portal`` channel is ``approved_to_submit`` until a person
  records its submission (:data:`APPROVED_TO_SUBMIT`: it is not on its way, a person still
  submits it, so it is paged when due soon; an approved e-mail is on its way);
  ``overdue`` once ``now`` reaches ``due_at`` and it is neither sent nor rejected; one sent
  (or kept) after ``due_at`` says by how much (``late_by`` seconds, from the ``done:KIND``
  event, :func:`done_event`). An
  obligation whose triggering event has not happened has no ``due_at`` and names what it is
  ``waiting_for`` (``pts_supplementary`` waits for the initial report to be sent).
- A rule set of ``track: cyber`` (the Swedish cybersecurity act) owes nothing until a person
  declared the incident significant: the ``aware`` event (:mod:`bridge.core.awareness`) starts
  its clocks, whatever its assessment (which only says *potentially significant*). See
  :func:`cyber_owed` for which of its kinds are owed when.
- A report a regulator asks for (its deadline rule is :class:`SetByRegulator`: the Nkom
  hendelsesrapport) is owed once a person recorded the request (its deadline event is known),
  whether or not the incident is reportable: Nkom may ask after any incident. Before that it
  is not owed at all.
- A person's declaration or a regulator's request is of one jurisdiction's law: a ``cyber``
  rule set, and a report a regulator asks for, owe nothing unless the rule set
  :func:`applies` to the incident: its jurisdiction is one of the incident's (``jurisdictions``;
  none known, nothing mapped: it cannot be ruled out), or it was one of them when the person
  declared or recorded the request (the ``EVENT@J`` event, :mod:`bridge.core.awareness`): an
  incident that later loses that jurisdiction (an alert split out, an inventory change) keeps
  the duties a person started, for a person to reject on its draft with the reason.
- A rule set whose law was repealed (``repealed_on``) is, for an incident that began on or
  after that day (:func:`bridge.core.repeal.after_repeal`), the operator's internal threshold:
  its obligations carry ``binding`` false (their deadline is the operator's own, no
  regulator's), and a report kept internally instead of sent (``kept``) is done with.
- A rule set whose law applies only from a day (``in_force_from``: the cybersecurity act, from
  2026-01-15) opens nothing by reportability, and :func:`if_declared` previews nothing, for an
  incident that began before that day (:func:`in_force`, the ``started`` event). What a person
  started (a declaration, a recorded request) is refused on such an incident (409), and stands
  if the incident's start later moves before that day (an earlier alert joins it, a person
  merges an earlier incident into it): as for jurisdictions, a clock a person started is never
  stopped silently; a person rejects the report on its draft, with the reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

import msgspec

from bridge.core.calendar import DEFAULT_RULES, After, Rule, SetByRegulator, due_at
from bridge.core.repeal import after_repeal, before_in_force
from bridge.core.rules import Assessment, RuleSet

OPEN = "open"
DRAFTED = "drafted"
APPROVED = "approved"
SENT = "sent"
REJECTED = "rejected"
OVERDUE = "overdue"
KEPT = "kept"  # approved and kept internally: a report owed to no regulator
#: approved for the regulator's portal, not submitted yet: a person still has to submit it
#: there and record the submission before the deadline (the outbox never sends it), so it is
#: paged when due soon as any report that needs a person, unlike an approved e-mail
APPROVED_TO_SUBMIT = "approved_to_submit"
STATES = (OPEN, DRAFTED, APPROVED, APPROVED_TO_SUBMIT, SENT, REJECTED, OVERDUE, KEPT)
#: States of an obligation that asks nothing more.
SETTLED = (SENT, KEPT, REJECTED)


def obligation_state(draft_state: str | None, due: datetime | None, now: datetime) -> str:
    """The obligation's state from its draft's state (None: no draft yet; an approved
    portal draft: :data:`APPROVED_TO_SUBMIT`, :func:`bridge.core.case_drafts.draft_state`)
    and deadline."""
    if draft_state == "sent":
        return SENT
    if draft_state == "kept":
        return KEPT
    if draft_state == "rejected":
        return REJECTED
    if due is not None and now >= due:
        return OVERDUE
    if draft_state == APPROVED_TO_SUBMIT:
        return APPROVED_TO_SUBMIT
    if draft_state in ("approved", "sending", "in_doubt"):
        return APPROVED
    if draft_state in ("draft", "held", "failed"):
        return DRAFTED
    return OPEN


class Obligation(msgspec.Struct, frozen=True, gc=False):
    regulator: str
    kind: str
    due_at: datetime | None
    state: str
    basis: str | None
    explanation: str
    waiting_for: str | None = None
    # False: the operator's internal threshold, owed to no regulator (a repealed law's rule
    # set, for an incident since the repeal): its deadline is no legal one
    binding: bool = True
    #: fulfilled (sent, or kept internally) after ``due_at``: by how many seconds (None: on
    #: time, or not fulfilled yet)
    late_by: int | None = None


def done_event(kind: str) -> str:
    """The event saying when the current report of ``kind`` was done with (sent, or kept
    internally): :func:`bridge.core.case_drafts.progress` tells it, :func:`obligation` reads it
    for ``late_by``."""
    return f"done:{kind}"


def incident_events(
    started_at: datetime, remedied_at: datetime | None, normalised_at: datetime | None
) -> dict[str, datetime]:
    """The events an incident itself provides (``reportable`` is per regulator)."""
    events = {"started": started_at}
    if remedied_at is not None:
        events["remedied"] = remedied_at
    if normalised_at is not None:
        events["normalised"] = normalised_at
    return events


def rule_for(rule_set: RuleSet, kind: str) -> Rule:
    """The rule set's own deadline rule for ``kind``, else the default one."""
    return rule_set.obligation_rules.get(kind) or DEFAULT_RULES[kind]


def owed(
    rule_set: RuleSet,
    assessment: Assessment,
    events: Mapping[str, datetime],
    now: datetime,
    extra: Mapping[str, datetime] | None = None,
    drafts: Mapping[str, str] | None = None,
    jurisdictions: Collection[str] = (),
) -> list[Obligation]:
    """See the module contract (``jurisdictions``: the incident's)."""
    if rule_set.track == CYBER:
        return cyber_owed(rule_set, {**events, **(extra or {})}, now, drafts, jurisdictions)
    known = {**events, **(extra or {})}
    reportable = (
        assessment.reportable
        and assessment.since is not None
        and in_force(rule_set, events.get("started"))
    )
    if reportable and assessment.since is not None:
        known["reportable"] = assessment.since
    out: list[Obligation] = []
    for kind in rule_set.obligations:
        asked = requested_event(rule_set, kind)
        if asked is not None:
            if asked in known and applies(rule_set, asked, known, jurisdictions):
                out.append(obligation(rule_set, kind, known, now, drafts))
        elif reportable:
            out.append(obligation(rule_set, kind, known, now, drafts))
    return out


def requested_event(rule_set: RuleSet, kind: str) -> str | None:
    """The event of a report owed only on a regulator's request (the deadline a person entered
    from the request), None for a report the incident's own events make owed."""
    rule = rule_for(rule_set, kind)
    return rule.event if isinstance(rule, SetByRegulator) else None


def applies(
    rule_set: RuleSet, event: str, known: Mapping[str, datetime], jurisdictions: Collection[str]
) -> bool:
    """Whether ``rule_set``'s law can apply to an incident of ``jurisdictions`` for what a
    person started with ``event`` (``aware``, a request's deadline event): its jurisdiction is
    one of the incident's, none is known, or it was one of them when the person acted
    (``EVENT@J`` in ``known``). See the module contract."""
    j = rule_set.jurisdiction
    return not jurisdictions or j in jurisdictions or at_event(event, j) in known


def at_event(event: str, jurisdiction: str) -> str:
    """The event saying ``event`` happened while the incident was of ``jurisdiction``."""
    return f"{event}@{jurisdiction}"


def in_force(rule_set: RuleSet, started_at: datetime | None) -> bool:
    """False when ``rule_set``'s law applies only from a day after the one an incident that
    began at ``started_at`` began on (its jurisdiction's calendar; unknown start: in force)."""
    return not before_in_force(started_at, rule_set.in_force_from, rule_set.jurisdiction)


def binds(rule_set: RuleSet, started_at: datetime | None) -> bool:
    """True when ``rule_set`` finding an incident that began at ``started_at`` reportable
    owes a regulator a report: the rule set lists a kind that reportability opens (not only
    reports a regulator asks for) and its law is in force for that incident. False for a
    reference matrix (no obligations: ENISA's), for a repealed law's rule set since its
    repeal (the operator's internal threshold, :mod:`bridge.core.repeal`) and for a law that
    applies only from a day after the incident began (``in_force_from``)."""
    opens = any(requested_event(rule_set, kind) is None for kind in rule_set.obligations)
    return (
        opens
        and in_force(rule_set, started_at)
        and not after_repeal(started_at, rule_set.repealed_on, rule_set.jurisdiction)
    )


def soonest_due(obligations: Iterable[Obligation]) -> dict[tuple[str, str], datetime]:
    """(regulator, kind) → the soonest due time among ``obligations`` that still need a
    person: binding, dated, neither sent, kept nor rejected, and not approved (an approved one
    is on its way, until its deadline passes and it turns overdue; one approved for a portal,
    :data:`APPROVED_TO_SUBMIT`, is not: a person submits it). Keyed by what the
    obligations are, never by whose: for a number per regulator and kind."""
    out: dict[tuple[str, str], datetime] = {}
    for o in obligations:
        if o.due_at is None or not o.binding or o.state in SETTLED or o.state == APPROVED:
            continue
        key = (o.regulator, o.kind)
        if key not in out or o.due_at < out[key]:
            out[key] = o.due_at
    return out


CYBER = "cyber"
#: The cybersecurity act's kinds whose presence depends on the incident (the rest of a cyber
#: rule set's obligations are owed as soon as it is declared significant).
INTERMEDIATE, FINAL, PROGRESS = "se_cyber_intermediate", "se_cyber_final", "se_cyber_progress"
#: The events: a person's declaration, the CSIRT's deadline for an intermediate report, the
#: recorded submission of the notification, and the incident handled (every alert resolved).
AWARE, CSIRT_DEADLINE, NOTIFIED, HANDLED = (
    "aware",
    "csirt_deadline",
    "notification_sent",
    "remedied",
)


def cyber_owed(
    rule_set: RuleSet,
    known: Mapping[str, datetime],
    now: datetime,
    drafts: Mapping[str, str] | None = None,
    jurisdictions: Collection[str] = (),
) -> list[Obligation]:
    """What a ``track: cyber`` rule set owes given the events so far (cybersäkerhetslagen
    2 kap. 5–8 §§, NIS2 Art. 23(4)):

    - nothing before ``aware`` (a person declared the incident significant), nor for an
      incident the rule set cannot apply to (:func:`applies`: an incident of ``jurisdictions``
      none of which is the rule set's, and was not when it was declared);
    - the early warning and the notification from ``aware`` (24 h, 72 h by default);
    - the intermediate report only once the CSIRT asked for one (``csirt_deadline``);
    - with the notification submitted at N and T = N + one month (the progress rule): if the
      incident was handled (``remedied``) by T, the final report is due at T and no progress
      report is owed; if it is still ongoing at T, a progress report is due at T and the final
      report one month after it is handled (waiting for that while it goes on).
    """
    if AWARE not in known or not applies(rule_set, AWARE, known, jurisdictions):
        return []
    out: list[Obligation] = []
    notified = known.get(NOTIFIED)
    handled = known.get(HANDLED)
    progress_at = None
    if notified is not None and PROGRESS in rule_set.obligations:
        found = due_at(rule_for(rule_set, PROGRESS), known)
        progress_at = None if found is None else found.at
    elif notified is not None:
        found = due_at(rule_for(rule_set, FINAL), known)
        progress_at = None if found is None else found.at
    ongoing_at_progress = progress_at is not None and (handled is None or handled > progress_at)
    for kind in rule_set.obligations:
        if kind == INTERMEDIATE and CSIRT_DEADLINE not in known:
            continue
        if kind == PROGRESS and not ongoing_at_progress:
            continue
        if kind == FINAL and ongoing_at_progress:
            months = getattr(rule_for(rule_set, FINAL), "months", 1) or 1
            out.append(
                obligation(rule_set, kind, known, now, drafts, After(HANDLED, months=months))
            )
            continue
        out.append(obligation(rule_set, kind, known, now, drafts))
    return out


def if_declared(
    rule_set: RuleSet,
    events: Mapping[str, datetime],
    now: datetime,
    jurisdictions: Collection[str] = (),
) -> list[Obligation]:
    """What a ``track: cyber`` rule set would owe if a person declared the incident significant
    at ``now`` (for the board of a potentially significant incident); empty for other tracks
    and for an incident it cannot apply to (its jurisdictions, or its ``started`` event before
    the rule set's law applies)."""
    if rule_set.track != CYBER or not in_force(rule_set, events.get("started")):
        return []
    return cyber_owed(rule_set, {**events, AWARE: now}, now, None, jurisdictions)


def obligation(
    rule_set: RuleSet,
    kind: str,
    known: Mapping[str, datetime],
    now: datetime,
    drafts: Mapping[str, str] | None = None,
    rule: Rule | None = None,
) -> Obligation:
    """One owed report of ``kind`` under ``rule_set``, given the events so far (``known``) and
    the kinds' draft states (``drafts``). Used for incidents and for privacy cases alike.
    ``rule``: the deadline rule to apply instead of the kind's own."""
    rule = rule or rule_for(rule_set, kind)
    due = due_at(rule, known)
    state_of_draft = (drafts or {}).get(kind)
    binding = not after_repeal(known.get("started"), rule_set.repealed_on, rule_set.jurisdiction)
    internal = (
        ""
        if binding
        else f"internal threshold, owed to no regulator (the law behind {rule_set.id} was "
        f"repealed on {rule_set.repealed_on}): "
    )
    if due is None:
        trigger = getattr(rule, "event", "")
        return Obligation(
            rule_set.regulator,
            kind,
            None,
            obligation_state(state_of_draft, None, now),
            None,
            f"{internal}owed once {trigger.replace('_', ' ')} happens",
            trigger,
            binding,
        )
    state = obligation_state(state_of_draft, due.at, now)
    done = known.get(done_event(kind))
    late = (
        int((done - due.at).total_seconds())
        if state in (SENT, KEPT) and done is not None and done > due.at
        else None
    )
    return Obligation(
        rule_set.regulator,
        kind,
        due.at,
        state,
        due.basis,
        f"{internal}{due.explanation}",
        due.waiting_for,
        binding,
        late or None,
    )
