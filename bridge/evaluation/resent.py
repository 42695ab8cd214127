"""Groups re-sent unchanged: recognised from the raw body, recorded with one cheap write.

Alertmanager re-sends a group's whole body every ``group_interval`` while it lasts; when no
alert in it changed, the body is byte for byte the one sent before (it zeroes a firing alert's
``endsAt`` and sorts the alerts), and all that should happen is that ``last_seen`` moves.

Contract: :meth:`ResentGroups.remember` is told, after a body went the full way (validated,
merged by the store, admitted), what that gave; it keeps it under the body's bytes, but only
when re-sending the same bytes can change nothing but ``last_seen``: every alert was stored as
sent (but for ``first_seen``/``last_seen``) and no end was taken from the receive time (the
caller does not pass bodies with privacy alerts). :meth:`ResentGroups.recall` gives it back for
a body with the same bytes, while its timestamps are still within ``server.limits`` of ``now``
(else the full path answers, as it would have). Whether the store still holds what that write
left is checked by the store itself (:meth:`~bridge.store.interfaces.AlertLog.seen_again`), and
whether the engine does by :meth:`~bridge.core.engine.Engine.seen_again` (given what it
answered for the last re-send, :attr:`Resent.placed`); either saying no sends the body the full
way.

Bodies are looked up by Python's own hash of the bytes (SipHash, keyed afresh in every
process, so nobody outside can aim two bodies at one slot) and then compared byte for byte, so
a body is only ever taken for the very same bytes. Measured on this project's machines, the
hash costs about 0.4 of a SHA-256 digest of the body (the earlier key, then the largest
per-alert cost of a re-send after the store's write; CRC-32 costs about as much as the hash, a
sample of the bytes far less but puts same-shaped groups of different sites in one slot); the
price is keeping each remembered body's bytes (bounded with the alerts, see
:class:`ResentGroups`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec

from bridge.core.alerts import AlertEpisode, Delivery, WebhookLimits
from bridge.core.seen_again import SeenAgain
from bridge.store.records import DeliveryRecord

_replace = msgspec.structs.replace  # C: once per alert of a re-sent group, it counts


def _slot(raw: bytes) -> int:
    """Where a body is kept (see the module contract); Python keeps it on the bytes object,
    so asking again for the same body costs nothing."""
    return hash(raw)


@dataclass(slots=True)
class Resent:
    """What the last write of a body left: the body; the store's change number and the
    episodes as stored then; the delivery as recorded (its receive time aside); how many alerts
    fired; the earliest and latest timestamp its validation checked; where the engine placed
    them when it last took a re-send (None before the first)."""

    raw: bytes
    change: int
    episodes: list[AlertEpisode]
    delivery: DeliveryRecord
    firing: int
    earliest: datetime
    latest: datetime
    placed: SeenAgain | None = None

    def record(self, received_at: datetime) -> DeliveryRecord:
        d = self.delivery  # dataclasses.replace(d, received_at=…), several times cheaper
        return DeliveryRecord(received_at, d.receiver, d.group_key, d.status, d.alerts, d.truncated)

    def moved(self, received_at: datetime) -> list[AlertEpisode]:
        """The episodes as the store holds them after :meth:`AlertLog.seen_again` at
        ``received_at``: ``last_seen`` moved to it if later, nothing else."""
        at = received_at
        return [ep if ep.last_seen >= at else _replace(ep, last_seen=at) for ep in self.episodes]


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
        self._bodies: OrderedDict[int, Resent] = OrderedDict()  # by _slot(raw)
        self._alerts = 0  # alerts in the bodies kept
        self.taken = 0  # bodies recorded the short way (for tests and the curious)

    def recall(self, raw: bytes, now: datetime) -> Resent | None:
        slot = _slot(raw)
        entry = self._bodies.get(slot)
        if entry is None or entry.raw != raw:
            return None
        earliest, latest = self.limits.plausible_between(now)
        if entry.earliest < earliest or entry.latest > latest:
            self.forget(raw)
            return None
        self._bodies.move_to_end(slot)
        return entry

    def remember(
        self,
        raw: bytes,
        delivery: Delivery,
        received_at: datetime,
        stored: Sequence[AlertEpisode],
        change: int,
    ) -> None:
        """Keep what the full way gave for this body, if a re-send can only move
        ``last_seen`` (see the module contract)."""
        self.forget(raw)
        sent = delivery.episodes
        if (
            not sent
            or len(stored) != len(sent)
            or any(ep.ends_at == received_at for ep in sent)
            or not all(_as_sent(s, e) for s, e in zip(stored, sent, strict=True))
        ):
            return
        times = [ep.starts_at for ep in sent] + [ep.ends_at for ep in sent if ep.ends_at]
        self._bodies[_slot(raw)] = Resent(
            raw=raw,
            change=change,
            episodes=list(stored),
            delivery=DeliveryRecord.of(delivery, received_at),
            firing=sum(1 for ep in sent if ep.firing),
            earliest=min(times),
            latest=max(times),
        )
        self._alerts += len(stored)
        while self._alerts > self.capacity and self._bodies:
            self._drop(next(iter(self._bodies)))

    def advanced(
        self, entry: Resent, change: int, episodes: list[AlertEpisode], placed: SeenAgain | None
    ) -> None:
        """A re-send of the body was recorded with change number ``change``, leaving
        ``episodes`` (:meth:`Resent.moved`), which the engine placed as ``placed`` (None: it
        admitted them; the next re-send is checked alert by alert)."""
        self.taken += 1
        if self._bodies.get(_slot(entry.raw)) is entry and change > entry.change:
            entry.change = change
            entry.episodes = episodes
            entry.placed = placed

    def forget(self, raw: bytes) -> None:
        slot = _slot(raw)
        entry = self._bodies.get(slot)
        if entry is not None and entry.raw == raw:
            self._drop(slot)

    def _drop(self, slot: int) -> None:
        entry = self._bodies.pop(slot, None)
        if entry is not None:
            self._alerts -= len(entry.episodes)
