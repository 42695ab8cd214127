"""Redis's alert log and the episodes' stored text (the hot path: the ingest script merges it
as text, see ``lua/ingest.lua``).

Keys (``P`` = prefix): ``P alerts`` (hash: episode key → the text of :func:`episode_value`),
``P alerts:seq`` (change counter: a new number is above every number this process has seen
and every number the changes indexes hold, even after a rollback underneath, ``lua/_floor.lua``)
and ``P alerts:changes`` (sorted set: episode key scored by
the change number of its last write; :meth:`RedisAlerts.episodes_since`), ``P alerts:ends``
(sorted set, lex: ``END|key``, ``~|key`` while firing; :meth:`RedisAlerts.live_episodes`),
``P alerts:resent`` and ``P alerts:resent:changes`` (a group re-sent unchanged: per write, the
change number of its latest re-send and the ``last_seen`` it left, which every read folds into
the write's episodes, ``lua/_resent.lua``; a re-send rewrites no episode's value),
``P deliveries``
(list of delivery JSON, newest first) and ``P truncation`` (hash: group key → ``"ts n"``, of
groups that had some truncated; retention prunes it, ``lua/prune_truncation.lua``). Like
SQLite's table, the delivery list grows with every webhook: memory to watch under
``noeviction``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from bridge.core.alerts import AlertEpisode, Delivery
from bridge.store.codec import dumps, loads, parse_ts, ts
from bridge.store.record_codec import decode, encode
from bridge.store.records import DeliveryRecord
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.replies import text


def episode_field(ep: AlertEpisode) -> str:
    # fingerprints are hex; the timestamp has a fixed form, so the last newline splits
    return f"{ep.fingerprint}\n{ts(ep.starts_at)}"


def episode_value(ep: AlertEpisode) -> str:
    """``status|ends_at|first_seen|last_seen|IDENTITY\\nDISPLAY``: the fields the merge compares
    as plain text ('' for no end), then two compact JSON objects: what follows the winning rank
    (identity: fingerprint, starts_at, labels) and what follows the later last_seen (display:
    annotations, generator_url, group_key). Compact JSON escapes every newline, and no
    timestamp or status holds a ``|``, so the separators are unambiguous."""
    # What dumps() gives for the two objects, written around their values' JSON without
    # building and sorting the outer objects (their keys, in sorted order; a ts text needs no
    # escaping): this runs for every alert of a webhook.
    ends = "" if ep.ends_at is None else ts(ep.ends_at)
    return (
        f"{ep.status}|{ends}|{ts(ep.first_seen)}|{ts(ep.last_seen)}|"
        f'{{"fingerprint":{dumps(ep.fingerprint)},"labels":{dumps(ep.labels)},'
        f'"starts_at":"{ts(ep.starts_at)}"}}\n'
        f'{{"annotations":{dumps(ep.annotations)},"generator_url":{dumps(ep.generator_url)},'
        f'"group_key":{dumps(ep.group_key)}}}'
    )


def episode(value: bytes | str) -> AlertEpisode:
    status, ends, first, last, rest = text(value).split("|", 4)
    identity_text, display_text = rest.split("\n", 1)
    identity, display = loads(identity_text), loads(display_text)
    return AlertEpisode(
        fingerprint=identity["fingerprint"],
        starts_at=parse_ts(identity["starts_at"]),
        status=status,
        ends_at=parse_ts(ends) if ends else None,
        labels=identity["labels"],
        annotations=display["annotations"],
        first_seen=parse_ts(first),
        last_seen=parse_ts(last),
        generator_url=display["generator_url"],
        group_key=display["group_key"],
    )


def merged_episode(value: bytes | str, sent: str, ep: AlertEpisode) -> AlertEpisode:
    """The merged text the ingest script returned, read back reusing the sent episode's values
    where the text is what was sent (a new alert, or a re-sent one whose merge moved only
    ``first_seen``/``last_seen``); equal to :func:`episode`."""
    value = text(value)
    if value == sent:
        return ep
    status, ends, first, last, rest = value.split("|", 4)
    _, sent_ends, sent_first, sent_last, sent_rest = sent.split("|", 4)
    if rest != sent_rest:
        return episode(value)
    return AlertEpisode(
        fingerprint=ep.fingerprint,
        starts_at=ep.starts_at,
        status=status,
        ends_at=ep.ends_at if ends == sent_ends else (parse_ts(ends) if ends else None),
        labels=ep.labels,
        annotations=ep.annotations,
        first_seen=ep.first_seen if first == sent_first else parse_ts(first),
        last_seen=ep.last_seen if last == sent_last else parse_ts(last),
        generator_url=ep.generator_url,
        group_key=ep.group_key,
    )


class RedisAlerts(RedisConnection):
    """:class:`bridge.store.interfaces.AlertLog` on Redis."""

    async def ingest(self, delivery: Delivery, received_at: datetime) -> list[AlertEpisode]:
        return (await self.ingest_numbered(delivery, received_at))[0]

    async def ingest_numbered(
        self, delivery: Delivery, received_at: datetime
    ) -> tuple[list[AlertEpisode], int]:
        at = ts(received_at)
        args: list[str] = [
            encode(DeliveryRecord.of(delivery, received_at)),
            delivery.group_key,
            at,
            f"{at} {delivery.truncated_alerts}",
        ]
        # every field and value in one argument, each followed by a NUL (see ingest.lua)
        sent = [episode_value(ep) for ep in delivery.episodes]
        args.append(
            "".join(
                f"{episode_field(ep)}\0{value}\0"
                for ep, value in zip(delivery.episodes, sent, strict=True)
            )
        )
        args.append(str(self._top_change))  # lua/_floor.lua
        keys = [
            self._key("alerts"),
            self._key("deliveries"),
            self._key("truncation"),
            self._key("alerts:seq"),
            self._key("alerts:changes"),
            self._key("alerts:ends"),
            self._key("alerts:resent"),
            self._key("alerts:resent:changes"),
        ]
        reply = await self._write("ingest", "ingest", keys, args)
        change, merged = self._saw_change(int(reply[0])), text(reply[1])
        if merged == "".join(f"{value}\0" for value in sent):
            return list(delivery.episodes), change  # stored as sent (new alerts: the storm)
        episodes = [
            merged_episode(value, value_sent, ep)
            for value, value_sent, ep in zip(
                merged.split("\0")[:-1], sent, delivery.episodes, strict=True
            )
        ]
        return episodes, change

    async def seen_again(self, change: int, count: int, record: DeliveryRecord) -> int | None:
        at = ts(record.received_at)
        args = [
            str(change),
            str(count),
            encode(record),
            record.group_key,
            at,
            f"{at} {record.truncated}",
            str(self._top_change),  # lua/_floor.lua
        ]
        keys = [
            self._key("alerts"),
            self._key("deliveries"),
            self._key("truncation"),
            self._key("alerts:seq"),
            self._key("alerts:changes"),
            self._key("alerts:resent"),
            self._key("alerts:resent:changes"),
        ]
        seq = await self._write("ingest", "seen_again", keys, args)
        return None if seq is None else self._saw_change(int(seq))

    def _read_keys(self) -> list[str]:
        return [self._key("alerts"), self._key("alerts:changes"), self._key("alerts:resent")]

    async def load_episodes(self) -> list[AlertEpisode]:
        values = await self._script("load_episodes", "load_episodes", self._read_keys(), [])
        return [episode(value) for value in values]

    async def episodes_since(self, cursor: int) -> tuple[list[AlertEpisode], int]:
        keys = [
            self._key("alerts:changes"),
            self._key("alerts"),
            self._key("alerts:resent"),
            self._key("alerts:resent:changes"),
        ]
        reply = await self._script("episodes_since", "episodes_since", keys, [str(cursor)])
        return [episode(text(v)) for v in reply[1:]], self._saw_change(int(text(reply[0])))

    async def latest_change(self) -> int:
        # the newest score of either changes index: what episodes_since.lua gives as its top
        async def read(client: Any) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            pipe.zrange(self._key("alerts:changes"), -1, -1, withscores=True)
            pipe.zrange(self._key("alerts:resent:changes"), -1, -1, withscores=True)
            return list(await pipe.execute())

        changed, resent = await self._call("latest_change", read)
        return self._saw_change(int(max([score for _, score in [*changed, *resent]], default=0)))

    async def live_episodes(self, since: datetime) -> tuple[list[AlertEpisode], int]:
        keys = [
            self._key("alerts:seq"),
            self._key("alerts:ends"),
            self._key("alerts"),
            self._key("alerts:changes"),
            self._key("alerts:resent"),
        ]
        reply = await self._script("live_episodes", "live_episodes", keys, [ts(since)])
        return [episode(text(v)) for v in reply[1:]], self._saw_change(int(text(reply[0])))

    async def get_episodes(self, keys: Collection[tuple[str, datetime]]) -> list[AlertEpisode]:
        fields = [f"{fp}\n{ts(start)}" for fp, start in keys]
        if not fields:
            return []
        values = await self._script("get_episodes", "get_episodes", self._read_keys(), fields)
        return [episode(v) for v in values]

    async def load_truncation(self) -> dict[str, int]:
        raw = await self._call("load_truncation", lambda c: c.hgetall(self._key("truncation")))
        return {text(g): int(text(v).rsplit(" ", 1)[1]) for g, v in raw.items()}

    async def recent_deliveries(self, limit: int) -> list[DeliveryRecord]:
        if limit <= 0:
            return []
        rows = await self._call(
            "recent_deliveries", lambda c: c.lrange(self._key("deliveries"), 0, limit - 1)
        )
        return [decode(row, DeliveryRecord) for row in rows]
