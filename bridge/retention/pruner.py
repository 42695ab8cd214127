"""One pass of retention over the store: every incident page by page, what goes decided by
:func:`bridge.core.retention.fate`, deletes of at most ``batch`` records each with the event
loop given back between them, then the stored alerts no incident lists (late resolved alerts
of episodes that were already history, :func:`bridge.core.retention.unlisted_goes`; those that
opened a privacy case, or carry ``privacy.alert_label``, stay), then the deliveries older than
every incident that keeps its alerts, then Alertmanager's truncation counts of groups not heard
of since (and cleared ones). A real pass appends one audit entry (actor ``retention``) with
what went.

Contract:
- :meth:`Pruner.run` with ``dry_run`` deletes nothing and reports what would go per kind; without
  it, it deletes exactly that (a record another writer changed meanwhile stays) and reports what
  went. Within an incident, drafts go first and its document last, so a pass cut short (a
  crash, a lost lease: ``keep_going`` turned false) leaves nothing pointing to a record that is
  gone; the next pass finishes the work. An incident ``held`` says memory still holds is
  kept whole this pass (what the API lists from memory stays in the store; the CLI, which
  holds nothing, relies on every period being at least ``evaluation.memory_horizon``).
- No step holds the event loop for longer than decoding one page: every store call is one short
  read or write and ``asyncio.sleep(0)`` follows each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bridge.core import retention
from bridge.core.alerts import AlertEpisode, format_time
from bridge.core.incidents import EpisodeKey
from bridge.core.privacy import alert_case_id
from bridge.store.interfaces import AuditLog, IncidentArchive, PrivacyRegister, RetentionStore
from bridge.store.records import AuditEntry, DraftRecord, IncidentRecord

log = logging.getLogger("bridge.retention")

ACTOR = "retention"
ACTION = "retention.pruned"
#: how long a cleared truncation count (a zero) stays: long enough for every replica to hear it
CLEARED_KEPT = timedelta(days=1)


class PrunerStore(RetentionStore, IncidentArchive, AuditLog, PrivacyRegister, Protocol):
    """What a pass reads and writes."""


@dataclass(slots=True)
class Report:
    """What one pass removed (or, dry, would remove) per prunable kind, and the cut-offs:
    records of incidents settled before ``cutoffs[kind]`` (deliveries: received before)."""

    dry_run: bool
    cutoffs: dict[str, datetime | None]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(retention.PRUNABLE, 0))
    complete: bool = True  # False: stopped early (keep_going turned false)

    def add(self, kind: str, n: int) -> None:
        self.counts[kind] += n

    def detail(self) -> dict[str, Any]:
        """The audit entry's detail (counts and cut-offs, no ids)."""
        return {
            "counts": dict(self.counts),
            "cutoffs": {k: format_time(v) for k, v in self.cutoffs.items()},
            "complete": self.complete,
        }


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def case_facts(record: IncidentRecord) -> retention.CaseFacts:
    """What the decision reads of a stored incident (its document's end and obligations)."""
    doc = record.document
    ends = [t for t in (_time(doc.get("ended_at")), _time(doc.get("closes_at"))) if t]
    obligations = tuple(
        (str(o.get("state")), o.get("due_at") is not None) for o in doc.get("obligations") or ()
    )
    return retention.CaseFacts(
        id=record.id,
        state=record.state,
        merged_into=record.merged_into,
        started_at=record.started_at,
        ended_at=max(ends) if ends else None,
        obligations=obligations,
        episodes=tuple((fp, at) for fp, at in record.episodes),
    )


def draft_facts(record: DraftRecord) -> retention.DraftFacts:
    return retention.DraftFacts(record.id, record.revision, record.state, record.updated_at)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class Pruner:
    """See the module contract."""

    def __init__(
        self,
        store: PrunerStore,
        periods: retention.Periods,
        batch: int,
        now: Callable[[], datetime],
        forget_drafts: Callable[[Sequence[str]], None] = lambda ids: None,
        privacy_label: Mapping[str, str] | None = None,
        held: Callable[[str], bool] = lambda incident_id: False,
    ) -> None:
        self.store = store
        self.periods = periods
        self.batch = batch
        self.now = now
        self.forget_drafts = forget_drafts  # drafts gone from the store, for those who hold them
        #: ``privacy.alert_label``: an unlisted alert carrying it is a privacy alert (kept)
        self.privacy_label = dict(privacy_label or {})
        self.held = held  # incidents memory holds (the service's evaluator): kept this pass

    async def run(
        self, *, dry_run: bool, by: str = "cli", keep_going: Callable[[], bool] = lambda: True
    ) -> Report:
        """One pass (see the module contract); ``by`` names who ran it in the audit entry."""
        now = self.now()
        cutoffs = {k: self.periods.cutoff(k, now) for k in retention.PRUNABLE}
        report = Report(dry_run, cutoffs)
        kept_since: list[datetime] = []
        listed: set[EpisodeKey] = set()  # old episodes incidents still list (see _unlisted)
        cursor = ""
        while True:
            if not keep_going():
                report.complete = False
                return await self._finish(report, now, by)
            incidents, drafts, cursor = await self.store.retention_page(cursor, self.batch)
            kept_since += await self._page(incidents, drafts, now, report, listed)
            await asyncio.sleep(0)
            if not cursor:
                break
        if not await self._unlisted(now, listed, report, keep_going):
            report.complete = False
            return await self._finish(report, now, by)
        cut = retention.delivery_cutoff(self.periods, now, kept_since)
        report.cutoffs["deliveries"] = cut
        if cut is not None:
            if dry_run:
                report.add("deliveries", await self.store.count_deliveries_before(cut))
            else:
                while keep_going():
                    went = await self.store.prune_deliveries(cut, self.batch)
                    report.add("deliveries", went)
                    await asyncio.sleep(0)
                    if went < self.batch:
                        break
                else:
                    report.complete = False
        if not dry_run:
            await self._prune_truncation(cut, now, keep_going, report)
        return await self._finish(report, now, by)

    async def _prune_truncation(
        self,
        cut: datetime | None,
        now: datetime,
        keep_going: Callable[[], bool],
        report: Report,
    ) -> None:
        """Alertmanager's truncation counts of groups last heard of before the deliveries'
        cut-off go, and cleared ones (zeros) a day after (not a kind of record: not counted)."""
        cursor = ""
        while True:
            if not keep_going():
                report.complete = False
                return
            _, cursor = await self.store.prune_truncation(
                cut, now - CLEARED_KEPT, cursor, self.batch
            )
            await asyncio.sleep(0)
            if not cursor:
                return

    async def _unlisted(
        self,
        now: datetime,
        listed: set[EpisodeKey],
        report: Report,
        keep_going: Callable[[], bool],
    ) -> bool:
        """The stored alerts no incident lists that :func:`retention.unlisted_goes` (a privacy
        alert's stay), counted with ``alerts`` and (unless dry) deleted; ``listed``: the old
        episodes the incidents still list (or, dry, would have removed). False: stopped."""
        cut = self.periods.cutoff("alerts", now)
        if cut is None:
            return True
        cursor = ""
        while True:
            if not keep_going():
                return False
            found, cursor = await self.store.resolved_before(cut, cursor, self.batch)
            going = [
                ep.key
                for ep in found
                if ep.key not in listed
                and retention.unlisted_goes(ep.ends_at, ep.first_seen, self.periods, now)
                and not await self._privacy_alert(ep)
            ]
            if going:
                if report.dry_run:
                    report.add("alerts", len(going))
                else:
                    report.add("alerts", await self.store.prune_episodes(going))
            await asyncio.sleep(0)
            if not cursor:
                return True

    async def _privacy_alert(self, ep: AlertEpisode) -> bool:
        """An alert that opened a privacy case, or carries ``privacy.alert_label`` (one whose
        case is still to be opened): the register's evidence, never pruned."""
        label = self.privacy_label
        if label and all(ep.labels.get(k) == v for k, v in label.items()):
            return True
        return await self.store.get_privacy_case(alert_case_id(*ep.key)) is not None

    async def _page(
        self,
        incidents: Sequence[IncidentRecord],
        drafts: Sequence[DraftRecord],
        now: datetime,
        report: Report,
        listed: set[EpisodeKey],
    ) -> list[datetime]:
        """Decide and (unless dry) delete one page; the starts of incidents keeping alerts.
        Adds to ``listed`` the episodes older than the alerts' cut-off that stay listed (or,
        dry, are counted as going), which the unlisted alerts' step must leave alone."""
        by_incident: dict[str, list[retention.DraftFacts]] = {}
        for d in drafts:
            by_incident.setdefault(d.incident_id, []).append(draft_facts(d))
        fates: list[tuple[str, retention.Fate]] = []
        cut = self.periods.cutoff("alerts", now)
        for record in incidents:
            case = case_facts(record)
            target_stored = False
            if case.merged_into is not None:
                target_stored = await self.store.get_incident(case.merged_into) is not None
            if self.held(record.id):  # memory still lists it: nothing of it goes yet
                decided = retention.Fate(
                    keeps_alerts_since=case.started_at if case.merged_into is None else None
                )
            else:
                decided = retention.fate(
                    case, by_incident.get(record.id, []), self.periods, now, target_stored
                )
            fates.append((record.id, decided))
            if cut is not None and not decided.episodes:
                listed.update(ek for ek in case.episodes if ek[1] <= cut)
        episodes = [ep for _, f in fates for ep in f.episodes]
        documents = [i for i, f in fates if f.document]
        if report.dry_run:
            for _, f in fates:
                for kind, n in f.counts().items():
                    if kind != "alerts":
                        report.add(kind, n)
            for chunk in _chunks(episodes, self.batch):  # those a past pass removed: not again
                n = await self.store.count_episodes(chunk)
                report.add("alerts", n)
                if n:  # still stored: the unlisted step must not count them again
                    listed.update(chunk)
                await asyncio.sleep(0)
        else:
            all_went = True
            for kind in ("drafts", "notices"):
                going = [d for _, f in fates for d in getattr(f, kind)]
                for chunk in _chunks(going, self.batch):
                    went = await self.store.prune_drafts([(d.id, d.revision) for d in chunk])
                    report.add(kind, went)
                    if went == len(chunk):
                        self.forget_drafts([d.id for d in chunk])
                    else:  # one changed meanwhile: its document stays until the next pass
                        all_went = False
                    await asyncio.sleep(0)
            if not all_went:
                documents = []
            for chunk in _chunks(episodes, self.batch):
                # an incident whose alerts went keeps listing them until its document goes:
                # read first, so a pass writes (and syncs) only when something is left to go
                if await self.store.count_episodes(chunk):
                    report.add("alerts", await self.store.prune_episodes(chunk))
                await asyncio.sleep(0)
            for chunk in _chunks(documents, self.batch):
                report.add("incidents", await self.store.prune_incidents(chunk))
                await asyncio.sleep(0)
        return [f.keeps_alerts_since for _, f in fates if f.keeps_alerts_since is not None]

    async def _finish(self, report: Report, now: datetime, by: str) -> Report:
        if not report.dry_run and (by == "cli" or any(report.counts.values())):
            detail = {"by": by, **report.detail()}
            await self.store.append_audit([AuditEntry(now, ACTOR, ACTION, "store", detail)])
            log.info(
                "retention pruned %s",
                ", ".join(f"{n} {k}" for k, n in report.counts.items()),
                extra={"event": ACTION},
            )
        return report
