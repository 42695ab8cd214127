"""Groups re-sent unchanged: recognised from the raw body, recorded with one cheap write.

Alertmanager re-sends a group's whole body every ``group_interval`` while it lasts; when no
alert in it changed, the body is byte for byte the one sent before (it zeroes a firing alert's
``endsAt`` and sorts the alerts), and all that should happen is that ``last_seen`` moves.

Contract: :meth:`ResentGroups.remember` is told, after a body went the full way (validated,
merged by the store, admitted), what that gave; it keeps it under a digest of the body, but
only when re-sending the same bytes can change nothing but ``last_seen``: every alert was
stored as sent (but for ``first_seen``/``last_seen``) and no end was taken from the receive
time (the caller does not pass bodies with privacy alerts). :meth:`ResentGroups.recall` gives
it back for a body with the same digest, while its timestamps are still within
``server.limits`` of ``now`` (else the full path answers, as it would have). Whether the store
still holds what that write left is checked by the store itself
(:meth:`~bridge.store.interfaces.AlertLog.seen_again`), and whether the engine does by
:meth:`~bridge.core.engine.Engine.seen_again`; either saying no sends the body the full way.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.core.alerts import AlertEpisode, Delivery, WebhookLimits
from bridge.store.records import DeliveryRecord


def digest(raw: bytes) -> bytes:
    """What identifies a body: SHA-256, far cheaper than decoding it (with the CPU's SHA
    instructions, where x86-64 and ARMv8 have them, about twice BLAKE2b's speed)."""
    return hashlib.sha256(raw).digest()


@dataclass(slots=True)
class Resent:
    """What the last write of a body left: the store's change number and the episodes as
    stored then; the delivery as recorded (its receive time aside); how many alerts fired; the
    earliest and latest timestamp its validation checked."""

    change: int
    episodes: list[AlertEpisode]
    delivery: DeliveryRecord
    firing: int
    earliest: datetime
    latest: datetime

    def record(self, received_at: datetime) -> DeliveryRecord:
        d = self.delivery  # dataclasses.replace(d, received_at=…), several times cheaper
        return DeliveryRecord(received_at, d.receiver, d.group_key, d.status, d.alerts, d.truncated)

    def moved(self, received_at: datetime) -> list[AlertEpisode]:
        """The episodes as the store holds them after :meth:`AlertLog.seen_again` at
        ``received_at``: ``last_seen`` moved to it if later, nothing else."""
        at = received_at
        # positional and inline (no helper call): once per alert of a re-sent group, it counts
        return [
            ep
            if ep.last_seen >= at
            else AlertEpisode(
                ep.fingerprint,
                ep.starts_at,
                ep.status,
                ep.ends_at,
                ep.labels,
                ep.annotations,
                ep.first_seen,
                at,
                ep.generator_url,
                ep.group_key,
            )
            for ep in self.episodes
        ]


def _as_sent(stored: AlertEpisode, sent: AlertEpisode) -> bool:
    return stored is sent or (
        stored.status == sent.status
        and stored.ends_at == sent.ends_at
        and stored.labels == sent.labels
        and stored.annotations == sent.annotations
        and stored.generator_url == sent.generator_url
        and stored.group_key == sent.group_key
    )


class ResentGroups:
    """See the module contract. The bodies kept hold at most ``capacity`` alerts together
    (the least recently used go first): memory for what is re-sent, bounded whatever comes."""

    def __init__(self, limits: WebhookLimits, capacity: int = 50_000) -> None:
        self.limits = limits
        self.capacity = capacity
        self._bodies: OrderedDict[bytes, Resent] = OrderedDict()
        self._alerts = 0  # alerts in the bodies kept
        self.taken = 0  # bodies recorded the short way (for tests and the curious)

    def recall(self, body_digest: bytes, now: datetime) -> Resent | None:
        entry = self._bodies.get(body_digest)
        if entry is None:
            return None
        if (
            entry.earliest < now - self.limits.timestamps_past
            or entry.latest > now + self.limits.timestamps_future
        ):
            self.forget(body_digest)
            return None
        self._bodies.move_to_end(body_digest)
        return entry

    def remember(
        self,
        body_digest: bytes,
        delivery: Delivery,
        received_at: datetime,
        stored: Sequence[AlertEpisode],
        change: int,
    ) -> None:
        """Keep what the full way gave for this body, if a re-send can only move
        ``last_seen`` (see the module contract)."""
        self.forget(body_digest)
        sent = delivery.episodes
        if (
            not sent
            or len(stored) != len(sent)
            or any(ep.ends_at == received_at for ep in sent)
            or not all(_as_sent(s, e) for s, e in zip(stored, sent, strict=True))
        ):
            return
        times = [ep.starts_at for ep in sent] + [ep.ends_at for ep in sent if ep.ends_at]
        self._bodies[body_digest] = Resent(
            change=change,
            episodes=list(stored),
            delivery=DeliveryRecord.of(delivery, received_at),
            firing=sum(1 for ep in sent if ep.firing),
            earliest=min(times),
            latest=max(times),
        )
        self._alerts += len(stored)
        while self._alerts > self.capacity and self._bodies:
            self.forget(next(iter(self._bodies)))

    def advanced(
        self, body_digest: bytes, entry: Resent, change: int, episodes: list[AlertEpisode]
    ) -> None:
        """A re-send of the body was recorded with change number ``change``, leaving
        ``episodes`` (:meth:`Resent.moved`)."""
        self.taken += 1
        if self._bodies.get(body_digest) is entry and change > entry.change:
            entry.change = change
            entry.episodes = episodes

    def forget(self, body_digest: bytes) -> None:
        entry = self._bodies.pop(body_digest, None)
        if entry is not None:
            self._alerts -= len(entry.episodes)
