"""The privacy cases (the register, förteckning) kept here, and every change of one.

The I/O around :mod:`bridge.core.privacy`: every change is one revision-checked write of the
case with its audit entries (the store's ``put_privacy_case``); the caller then asks the notice
stage to bring the case's drafts up to date (the same drafts, approval, outbox and audit as
outages; drafts of privacy kinds carry ``track="privacy"``).

Contract:
- :meth:`PrivacyCases.open_from_alerts` opens one case per alert episode carrying every label
  of ``privacy.alert_label`` (detected at the alert's start; a re-delivery finds its case),
  of the jurisdictions its jurisdiction label names (:func:`bridge.core.privacy.
  alert_jurisdictions`: any case, else ``inventory.default_jurisdiction`` without the label).
  A label naming no jurisdiction the bridge knows is never refused (Alertmanager would retry
  the whole webhook for ever) nor read as one: the case is owed under every jurisdiction of the
  privacy rule sets, flagged for a person; that is logged once, as a WARNING naming the case
  (never the value), and counted (``bridge_privacy_jurisdiction_unrecognised_total``).
- A write that lost a race (Conflict) re-reads the case and re-raises: the caller decides again.
- Nothing here logs case facts: log lines carry case ids only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bridge.config import LoadedConfig
from bridge.core import casework, privacy, privacy_reach
from bridge.core.alerts import AlertEpisode
from bridge.core.privacy import PrivacyCase
from bridge.errors import Conflict, StoreUnavailable
from bridge.metrics import Metrics
from bridge.store.interfaces import PrivacyRegister
from bridge.store.records import PrivacyCaseRecord, audit_entries

log = logging.getLogger("bridge.privacy")


def is_case(case_id: str) -> bool:
    """True for a privacy case id (as opposed to an outage incident's)."""
    return case_id.startswith(privacy.PREFIX)


def _record(case: PrivacyCase) -> PrivacyCaseRecord:
    return PrivacyCaseRecord(
        case.id, case.state, case.revision, case.updated_at, privacy.to_dict(case)
    )


def matches(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """True when ``wanted`` is non-empty and every one of its labels has its value."""
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


class PrivacyCases:
    """See the module contract."""

    def __init__(
        self,
        loaded: LoadedConfig,
        store: PrivacyRegister,
        metrics: Metrics,
        now: Callable[[], datetime],
    ) -> None:
        cfg = loaded.config
        self.enabled = cfg.privacy is not None
        self.alert_label: dict[str, str] = dict(cfg.privacy.alert_label) if cfg.privacy else {}
        self.store = store
        self.metrics = metrics
        self.now = now
        self._jurisdiction_label = cfg.inventory.labels.jurisdiction
        self._default_jurisdiction = cfg.inventory.default_jurisdiction
        self._configured = tuple(rs.jurisdiction for rs in loaded.privacy_rule_sets())
        self.cases: dict[str, PrivacyCase] = {}

    async def start(self) -> None:
        """Read every case from the store (at start, and on each tick: another replica's)."""
        for record in await self.store.list_privacy_cases():
            self.cases[record.id] = privacy.from_dict(record.document)

    async def _write(
        self, case: PrivacyCase, expected: int | None, events: Sequence[casework.AuditEvent]
    ) -> PrivacyCase:
        try:
            await self.store.put_privacy_case(_record(case), expected, audit_entries(events))
        except Conflict:
            fresh = await self.store.get_privacy_case(case.id)
            if fresh is not None:
                self.cases[case.id] = privacy.from_dict(fresh.document)
            raise
        except StoreUnavailable as exc:
            self.metrics.store_error(exc)
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
        self, case_id: str, revision: int, values: Mapping[str, Any], actor: str, prefix: str = ""
    ) -> PrivacyCase:
        """``prefix``: of the field a BadInput names (the API's ``fields.``)."""
        case = await self._existing(case_id)
        changed, events = privacy.edit_case(case, revision, values, actor, self.now(), prefix)
        return await self._write(changed, case.revision, events)

    async def set_state(
        self,
        case_id: str,
        revision: int,
        state: str,
        actor: str,
        reason: str = "",
        outcome: str | None = None,
    ) -> PrivacyCase:
        case = await self._existing(case_id)
        changed, events = privacy.set_state(
            case, revision, state, actor, self.now(), reason, outcome
        )
        return await self._write(changed, case.revision, events)

    async def exemption(
        self,
        case_id: str,
        revision: int,
        reason: str | None,
        comment: str,
        actor: str,
        attest: Mapping[str, str] | None = None,
    ) -> PrivacyCase:
        """Record or withdraw the exemption; ``attest`` (how and when the person confirmed it)
        goes into its audit entry."""
        case = await self._existing(case_id)
        changed, events = privacy.set_exemption(case, revision, reason, comment, actor, self.now())
        events = [replace(e, detail={**e.detail, **(attest or {})}) for e in events]
        return await self._write(changed, case.revision, events)

    async def record_distribution(
        self,
        case_id: str,
        revision: int,
        body: Mapping[str, object],
        handed: Sequence[privacy_reach.Handed],
        actor: str,
        attest: Mapping[str, str] | None = None,
    ) -> PrivacyCase:
        """Record how a handed-over subscriber notice reached the subscribers
        (:func:`bridge.core.privacy_reach.record`); ``attest`` goes into its audit entry."""
        case = await self._existing(case_id)
        changed, events = privacy_reach.record(case, revision, body, handed, actor, self.now())
        events = [replace(e, detail={**e.detail, **(attest or {})}) for e in events]
        return await self._write(changed, case.revision, events)

    async def open_from_alerts(self, episodes: Sequence[AlertEpisode]) -> list[str]:
        """Cases for the privacy alerts among ``episodes`` (see the module contract)."""
        opened: list[str] = []
        for ep in episodes:
            if not matches(ep.labels, self.alert_label):
                continue
            jurisdictions, unrecognised = privacy.alert_jurisdictions(
                ep.labels.get(self._jurisdiction_label),
                self._default_jurisdiction,
                self._configured,
            )
            case, events = privacy.case_from_alert(
                ep.fingerprint,
                ep.starts_at,
                ep.annotations,
                jurisdictions,
                self.now(),
                jurisdiction_unrecognised=unrecognised,
            )
            if case.id in self.cases:
                continue
            try:
                await self._write(case, None, events)
            except Conflict:  # opened meanwhile (another replica, a re-delivery): it exists
                continue
            log.info("privacy case %s opened from an alert", case.id)
            if unrecognised is not None:  # the value may be anything: never logged
                self.metrics.privacy_jurisdiction_unrecognised.inc()
                log.warning(
                    "privacy case %s: the alert's %s label names no jurisdiction the bridge "
                    "knows (%s); the case is owed under %s until a person sets its "
                    "jurisdictions",
                    case.id,
                    self._jurisdiction_label,
                    ", ".join(privacy.JURISDICTIONS),
                    ", ".join(jurisdictions),
                )
            opened.append(case.id)
        return opened

    def is_privacy_alert(self, ep: AlertEpisode) -> bool:
        return matches(ep.labels, self.alert_label)
