"""The privacy desk: privacy cases kept, changed by people and alerts, and what they owe.

The I/O around :mod:`bridge.core.privacy`: every change is one revision-checked write of the case
with its audit entries (the store's ``put_privacy_case``), then the notice desk
is asked to bring the case's drafts up to date (the same drafts, approval, outbox and audit as
outages; drafts of privacy kinds carry ``track="privacy"``).

Contract:
- :meth:`PrivacyDesk.owed` and :meth:`PrivacyDesk.document` are what the notice desk reads for a
  case id (as it reads an incident's); :meth:`PrivacyDesk.set_notices` receives what the drafts
  say (``initial_sent``, ``subscriber_notice_sent``, each kind's state) and answers whether the
  obligations moved.
- :meth:`PrivacyDesk.open_from_alerts` opens one case per alert episode carrying every label of
  ``privacy.alert_label`` (detected at the alert's start; a re-delivery finds its case).
- :meth:`PrivacyDesk.audit_access` appends an audit entry for a read or a refusal; the caller
  answers only once it is written (a read that cannot be audited is not served).
- Nothing here logs or exports case facts to metrics: log lines carry case ids only, metrics
  carry counts by state (:meth:`PrivacyDesk.counts`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from bridge.config import LoadedConfig
from bridge.core import case_drafts, casework, privacy, register
from bridge.core.alerts import AlertEpisode
from bridge.core.obligations import STATES as OBLIGATION_STATES
from bridge.core.obligations import Obligation
from bridge.core.privacy import PrivacyCase
from bridge.errors import Conflict, StoreUnavailable
from bridge.metrics import Metrics
from bridge.store.interfaces import AuditLog, PrivacyRegister
from bridge.store.records import AuditEntry, PrivacyCaseRecord

log = logging.getLogger("bridge.privacy")


class PrivacyStore(PrivacyRegister, AuditLog, Protocol):
    """The register's cases and the audit log (reads of cases are audited)."""


#: Drafts of a case (read from the notice desk): for the copy of a sent subscriber notice.
DraftSource = Callable[[str], list[casework.Draft]]


def _entries(events: Iterable[casework.AuditEvent]) -> list[AuditEntry]:
    return [AuditEntry(e.at, e.actor, e.action, e.target, e.detail) for e in events]


def _record(case: PrivacyCase) -> PrivacyCaseRecord:
    return PrivacyCaseRecord(
        case.id, case.state, case.revision, case.updated_at, privacy.to_dict(case)
    )


def matches(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """True when ``wanted`` is non-empty and every one of its labels has its value."""
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


class PrivacyDesk:
    """See the module contract."""

    def __init__(
        self,
        loaded: LoadedConfig,
        store: PrivacyStore,
        metrics: Metrics,
        now: Callable[[], datetime],
        drafts: DraftSource,
    ) -> None:
        cfg = loaded.config
        self.enabled = cfg.privacy is not None
        self.alert_label: dict[str, str] = dict(cfg.privacy.alert_label) if cfg.privacy else {}
        self.rule_sets = [rs.to_core() for rs in loaded.privacy_rule_sets()]
        self.store = store
        self.metrics = metrics
        self.now = now
        self._drafts = drafts
        self._jurisdiction_label = cfg.inventory.labels.jurisdiction
        self._default_jurisdiction = cfg.inventory.default_jurisdiction
        self.cases: dict[str, PrivacyCase] = {}
        self._events: dict[str, dict[str, datetime]] = {}
        self._states: dict[str, dict[str, str]] = {}

    async def start(self) -> None:
        for record in await self.store.list_privacy_cases():
            self.cases[record.id] = privacy.from_dict(record.document)

    # ---- what the notice desk reads --------------------------------------------------
    def is_case(self, case_id: str) -> bool:
        return case_id.startswith(privacy.PREFIX)

    def obligations(self, case_id: str, now: datetime | None = None) -> list[Obligation]:
        case = self.cases.get(case_id)
        if case is None:
            return []
        return privacy.owed(
            case,
            self.rule_sets,
            now or self.now(),
            self._events.get(case_id),
            self._states.get(case_id),
        )

    def owed(self, case_id: str) -> list[case_drafts.Owed] | None:
        if case_id not in self.cases:
            return None
        return [case_drafts.Owed(o.kind, o.due_at) for o in self.obligations(case_id)]

    def document(self, case_id: str) -> dict[str, Any] | None:
        """The case as drafting reads it: its facts, plus each subscriber notice as sent."""
        case = self.cases.get(case_id)
        if case is None:
            return None
        doc = privacy.to_dict(case)
        sent: dict[str, dict[str, Any]] = {}
        for d in self._drafts(case_id):
            version = d.approved_version
            if d.kind in privacy.SUBSCRIBER_KINDS and d.state == "sent" and version is not None:
                at = d.sent_at.isoformat() if d.sent_at else None
                sent[d.kind] = {"subject": version.subject, "text": version.text, "sent_at": at}
        doc["subscriber_notices"] = sent
        return doc

    def set_notices(
        self, case_id: str, events: Mapping[str, datetime], states: Mapping[str, str]
    ) -> bool:
        """Record what the case's drafts say; True when that changed (its drafts may then owe
        something new, e.g. the supplementary report once the initial one was sent)."""
        if self._events.get(case_id) == dict(events) and self._states.get(case_id) == dict(states):
            return False
        self._events[case_id] = dict(events)
        self._states[case_id] = dict(states)
        return True

    # ---- changes ------------------------------------------------------------------------
    async def _write(
        self, case: PrivacyCase, expected: int | None, events: Sequence[casework.AuditEvent]
    ) -> PrivacyCase:
        try:
            await self.store.put_privacy_case(_record(case), expected, _entries(events))
        except Conflict:
            fresh = await self.store.get_privacy_case(case.id)
            if fresh is not None:
                self.cases[case.id] = privacy.from_dict(fresh.document)
            raise
        except StoreUnavailable as exc:
            self.metrics.store_errors.labels(op=exc.op).inc()
            raise
        self.cases[case.id] = case
        return case

    async def fresh(self, case_id: str) -> PrivacyCase | None:
        record = await self.store.get_privacy_case(case_id)
        if record is None:
            return None
        case = privacy.from_dict(record.document)
        self.cases[case_id] = case
        return case

    async def _existing(self, case_id: str) -> PrivacyCase:
        case = await self.fresh(case_id)
        if case is None:
            raise KeyError(case_id)
        return case

    async def create(self, values: Mapping[str, Any], actor: str) -> PrivacyCase:
        now = self.now()
        detected = values.get("detected_at", now)
        case_id = privacy.case_id(detected, f"manual|{uuid.uuid4().hex}")
        case, events = privacy.open_case(values, actor, now, case_id)
        written = await self._write(case, None, events)
        log.info("privacy case %s opened by %s", case.id, actor)
        return written

    async def edit(
        self, case_id: str, revision: int, values: Mapping[str, Any], actor: str
    ) -> PrivacyCase:
        case = await self._existing(case_id)
        changed, events = privacy.edit_case(case, revision, values, actor, self.now())
        return await self._write(changed, case.revision, events)

    async def set_state(self, case_id: str, revision: int, state: str, actor: str) -> PrivacyCase:
        case = await self._existing(case_id)
        changed, events = privacy.set_state(case, revision, state, actor, self.now())
        return await self._write(changed, case.revision, events)

    async def exemption(
        self, case_id: str, revision: int, reason: str | None, comment: str, actor: str
    ) -> PrivacyCase:
        case = await self._existing(case_id)
        changed, events = privacy.set_exemption(case, revision, reason, comment, actor, self.now())
        return await self._write(changed, case.revision, events)

    async def open_from_alerts(self, episodes: Sequence[AlertEpisode]) -> list[str]:
        """Cases for the privacy alerts among ``episodes`` (see the module contract)."""
        opened: list[str] = []
        for ep in episodes:
            if not matches(ep.labels, self.alert_label):
                continue
            label = ep.labels.get(self._jurisdiction_label, "")
            jurisdiction = label if label in privacy.JURISDICTIONS else self._default_jurisdiction
            case, events = privacy.case_from_alert(
                ep.fingerprint, ep.starts_at, ep.annotations, jurisdiction, self.now()
            )
            if case.id in self.cases:
                continue
            try:
                await self._write(case, None, events)
            except Conflict:  # opened meanwhile (another replica, a re-delivery): it exists
                continue
            log.info("privacy case %s opened from an alert", case.id)
            opened.append(case.id)
        return opened

    def is_privacy_alert(self, ep: AlertEpisode) -> bool:
        return matches(ep.labels, self.alert_label)

    # ---- access audit ----------------------------------------------------------------------
    async def audit_access(
        self, actor: str, action: str, target: str, detail: Mapping[str, Any]
    ) -> None:
        try:
            await self.store.append_audit(
                [AuditEntry(self.now(), actor, action, target, dict(detail))]
            )
        except StoreUnavailable as exc:
            self.metrics.store_errors.labels(op=exc.op).inc()
            raise

    # ---- views ------------------------------------------------------------------------------
    def sent_times(self, case_id: str) -> dict[str, datetime]:
        return {
            d.kind: d.sent_at
            for d in self._drafts(case_id)
            if d.state == "sent" and d.sent_at is not None
        }

    def register_rows(self) -> list[list[str]]:
        now = self.now()
        return [
            register.row(case, self.obligations(case.id, now), self.sent_times(case.id))
            for case in sorted(self.cases.values(), key=lambda c: c.id)
        ]

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Cases by state and their obligations by state: numbers only, for /metrics."""
        cases = dict.fromkeys(privacy.STATES, 0)
        owed = dict.fromkeys(OBLIGATION_STATES, 0)
        now = self.now()
        for case in self.cases.values():
            cases[case.state] = cases.get(case.state, 0) + 1
            for o in self.obligations(case.id, now):
                owed[o.state] = owed.get(o.state, 0) + 1
        return cases, owed
