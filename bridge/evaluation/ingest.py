"""Webhook bodies in: validated, durably stored, then admitted for evaluation.

Contract: :meth:`Ingest.ingest` validates a webhook body (the raw bytes, or decoded JSON)
against ``server.limits`` (BadInput, or TooLarge over a limit, before anything is written),
writes it durably through the store and only then admits it: outage alerts to the evaluator,
privacy alerts (``privacy.alert_label``) as privacy cases; it returns the accepted count and
the incident ids the alerts belong to. A store failure raises StoreUnavailable (counted) and
nothing was acknowledged; it is logged here, once per outage (``Ingest.refusals``), not by
the webhook's handler. Each change number written and admitted is told to ``written`` (the
replica sync does not read it back). Received alerts and Alertmanager's truncation are counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import orjson

from bridge.core.alerts import (
    DEFAULT_LIMITS,
    AlertEpisode,
    Delivery,
    WebhookLimits,
    check_raw,
    parse_webhook,
)
from bridge.core.webhook_decode import decode_webhook
from bridge.errors import BadInput, StoreUnavailable
from bridge.evaluation.evaluator import Evaluator
from bridge.evaluation.resent import Resent, ResentGroups
from bridge.metrics import Metrics, child
from bridge.store.interfaces import AlertLog
from bridge.store.outage import Refusals

log = logging.getLogger("bridge.evaluation")


class PrivacyAlerts(Protocol):
    """The privacy track as ingest sees it."""

    def is_privacy_alert(self, episode: AlertEpisode) -> bool:
        """True when the alert opens a privacy case instead of joining an incident."""

    async def open_cases(self, episodes: Sequence[AlertEpisode]) -> None:
        """Open a case for each privacy alert among ``episodes`` (a re-delivery finds its
        case) and get its drafts going."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    incidents: list[str]


def _nothing(change: int) -> None:
    return None


class Ingest:
    """See the module contract."""

    def __init__(
        self,
        store: AlertLog,
        evaluator: Evaluator,
        privacy: PrivacyAlerts,
        metrics: Metrics,
        now: Callable[[], datetime],
        limits: WebhookLimits = DEFAULT_LIMITS,
        written: Callable[[int], None] | None = None,
    ) -> None:
        self.limits = limits
        self.store = store
        self.evaluator = evaluator
        self.privacy = privacy
        self.metrics = metrics
        self.now = now
        self.resent = ResentGroups(limits)
        #: told each change number this intake wrote and admitted what the store returned
        #: for (the replica sync need not read it back: ReplicaSync.mine)
        self.written = written or _nothing
        #: refused webhooks, logged once per outage (an Alertmanager retrying into a full disk
        #: sends dozens a second; each is counted all the same, in
        #: ``bridge_webhook_requests_total{code="503"}`` and ``bridge_store_errors_total``)
        self.refusals = Refusals("webhooks", "webhooks stored again", now, logger=log)

    async def ingest(self, body: object) -> IngestResult:
        """Validate, store and admit one webhook body: the request's raw bytes, or a body
        already decoded from JSON. Raw bytes of a group re-sent unchanged take the short way
        (:mod:`bridge.evaluation.resent`): same stored outcome, only ``last_seen`` moves.
        A store that refuses it is logged once per outage
        (:class:`bridge.store.outage.Refusals`)."""
        try:
            result = await self._ingest(body)
        except StoreUnavailable as exc:
            self.refusals.refused(exc)
            raise
        self.refusals.answered()
        return result

    async def _ingest(self, body: object) -> IngestResult:
        now = self.now()
        if not isinstance(body, bytes):
            return await self.take(self.parse(body, now), now)
        entry = self.resent.recall(body, now)
        if entry is not None:
            result = await self._seen_again(entry, now)
            if result is not None:
                return result
        delivery = self.parse(body, now)
        self.resent.forget(body)  # while it goes the full way
        stored, change, result = await self._take(delivery, now)
        if change is not None:
            self.resent.remember(body, delivery, now, stored, change)
        return result

    async def _seen_again(self, entry: Resent, now: datetime) -> IngestResult | None:
        """Record a re-sent, unchanged group; None when the store or the engine holds
        something else for it by now (then the full way)."""
        recorded = entry.record(now)
        try:
            change = await self.store.seen_again(entry.change, len(entry.episodes), recorded)
        except StoreUnavailable as exc:
            self.metrics.store_error(exc)
            raise
        if change is None:
            self.resent.forget(entry.raw)
            return None
        moved = entry.moved(now)
        truncation = {recorded.group_key: recorded.truncated}
        again = self.evaluator.seen_again(moved, truncation, entry.placed)
        if again is None:
            # the engine cannot tell where they are without admitting them (their key waits
            # for evaluation, or holds something else): admit, as the full way would; the
            # store recorded the re-send, so the next one still takes the short way here
            ids = sorted(set(self.evaluator.admit(moved, truncation).values()))
        else:
            ids = list(again.incident_ids)
        self.resent.advanced(entry, change, moved, again)
        self.written(change)
        self._counted(entry.firing, recorded.alerts, recorded.truncated, recorded.group_key)
        return IngestResult(recorded.alerts, ids)

    def parse(self, body: object, now: datetime) -> Delivery:
        """The body validated: raw bytes are refused undecoded when they certainly hold far
        too many alerts (:func:`~bridge.core.alerts.check_raw`: TooLarge), then take msgspec's
        lane (:mod:`bridge.core.webhook_decode`) and, if it does not take them whole, the
        full path, which names the bad field (bad JSON is BadInput on ``body``). A body
        re-sent unchanged never comes here: its bytes passed once."""
        if isinstance(body, bytes):
            check_raw(body, self.limits)
            delivery = decode_webhook(body, now, self.limits)
            if delivery is not None:
                return delivery
            try:
                body = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise BadInput("body", f"not valid JSON ({exc})") from None
        return parse_webhook(body, now, self.limits)

    async def take(self, delivery: Delivery, now: datetime) -> IngestResult:
        """Store a validated delivery durably, then admit it (the second half of
        :meth:`ingest`; also how the bridge's own alerts come in, e.g. an incident opened by
        hand)."""
        return (await self._take(delivery, now))[2]

    async def _take(
        self, delivery: Delivery, now: datetime
    ) -> tuple[list[AlertEpisode], int | None, IngestResult]:
        """:meth:`take`, and the episodes as stored with the store's change number for them
        (None when some were privacy alerts: such a body never takes the short way)."""
        try:
            stored, change = await self.store.ingest_numbered(delivery, now)
        except StoreUnavailable as exc:
            self.metrics.store_error(exc)
            raise
        self._count(delivery.episodes, delivery.truncated_alerts, delivery.group_key)
        outage = [ep for ep in stored if not self.privacy.is_privacy_alert(ep)]
        if len(outage) < len(stored):  # privacy alerts open privacy cases, not incidents
            await self.privacy.open_cases(stored)
        placed = self.evaluator.admit(outage, {delivery.group_key: delivery.truncated_alerts})
        self.written(change)
        result = IngestResult(len(delivery.episodes), sorted(set(placed.values())))
        return stored, (change if len(outage) == len(stored) else None), result

    def _count(self, episodes: Sequence[AlertEpisode], truncated: int, group_key: str) -> None:
        self._counted(sum(1 for ep in episodes if ep.firing), len(episodes), truncated, group_key)

    def _counted(self, firing: int, total: int, truncated: int, group_key: str) -> None:
        if firing:
            child(self.metrics.alerts_received, "firing").inc(firing)
        if total > firing:
            child(self.metrics.alerts_received, "resolved").inc(total - firing)
        if truncated:
            self.metrics.alerts_truncated.inc(truncated)
            log.warning(
                "Alertmanager truncated %d alert(s) in group %s (max_alerts)",
                truncated,
                group_key,
            )
