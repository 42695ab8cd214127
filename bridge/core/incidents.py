"""Correlation: alert episodes → incidents.

Contract:
- Each episode gets a *correlation key*, from the alert alone, first rule that applies:
  1. the explicit incident label (``incident=<id>``) → ``label:<value>``;
  2. its inventory element's ancestor of the configured kind (e.g. ``site``) → ``topo:<id>``;
     an element above that level (a core router over sites) → ``topo:<element>``, a *cover
     key*: the incidents under it that overlap it in time move into it, so one event is one
     incident (:mod:`bridge.core.covering`; the engine applies it);
  3. the first configured key-label set it carries in full → ``keys:a=1,b=2``;
  4. otherwise the alert alone → ``alert:<fingerprint>``.
- Within one key, episodes form incidents by time: an episode joins the incident whose reach it
  starts inside; an incident reaches until all its episodes ended plus the quiet period (for
  key-label correlation, also at least ``window`` after each episode's start). A re-fire inside
  the reach continues the incident (flapping never spawns a new one); one after it starts a new
  incident. An episode superseded by a later episode of the same fingerprint is taken to have
  ended when the later one started (its resolve was lost).
- :func:`partition` is a pure function of the set of episodes: delivery order and duplicates
  cannot change which episodes end up together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.core.alerts import AlertEpisode
from bridge.core.mapping import Target
from bridge.core.topology import Topology

EpisodeKey = tuple[str, datetime]


@dataclass(frozen=True, slots=True)
class CorrelationRules:
    incident_label: str = "incident"
    ancestor_kind: str | None = None
    key_labels: tuple[tuple[str, ...], ...] = ()
    window: timedelta = timedelta(minutes=10)
    quiet_period: timedelta = timedelta(minutes=30)

    def reach(self, key: str, start: datetime, end: datetime) -> datetime:
        """Until when an episode of ``key`` that started at ``start`` and ended at ``end``
        holds its incident open: an episode starting before this instant joins it (one going
        reaches without bound). Its end plus the quiet period; for a key by labels
        (``keys:``) at least its start plus the window."""
        reach = end + self.quiet_period
        return max(reach, start + self.window) if key.startswith("keys:") else reach


def correlation_key(
    ep: AlertEpisode, target: Target, topology: Topology, rules: CorrelationRules
) -> str:
    """See rule order in the module contract."""
    explicit = ep.labels.get(rules.incident_label)
    if explicit:
        return f"label:{explicit}"
    if target.element is not None and rules.ancestor_kind:
        anchor = topology.ancestor_of_kind(target.element, rules.ancestor_kind)
        if anchor is not None:
            return f"topo:{anchor}"
        if topology.is_above_kind(target.element, rules.ancestor_kind):
            return f"topo:{target.element}"  # a cover key (bridge.core.covering)
    for names in rules.key_labels:
        if names and all(ep.labels.get(n) for n in names):
            return "keys:" + ",".join(f"{n}={ep.labels[n]}" for n in names)
    return f"alert:{ep.fingerprint}"


def effective_ends(episodes: Iterable[AlertEpisode]) -> dict[EpisodeKey, datetime | None]:
    """Each episode's end for correlation and impact (None: still going)."""
    by_fp: dict[str, list[AlertEpisode]] = {}
    for ep in episodes:
        by_fp.setdefault(ep.fingerprint, []).append(ep)
    ends: dict[EpisodeKey, datetime | None] = {}
    for eps in by_fp.values():
        eps.sort(key=lambda e: e.starts_at)
        for i, ep in enumerate(eps):
            end = ep.end_for_impact()
            if i + 1 < len(eps):
                nxt = eps[i + 1].starts_at
                end = nxt if end is None else min(end, nxt)
            ends[ep.key] = end
    return ends


@dataclass(slots=True)
class Part:
    """One incident's worth of episodes from :func:`partition`."""

    key: str
    episodes: list[EpisodeKey] = field(default_factory=list)
    started_at: datetime | None = None
    last_end: datetime | None = None  # None while any episode is going
    reach: datetime | None = None  # None: unbounded (something still firing)


def partition(
    key: str,
    episodes: Mapping[EpisodeKey, AlertEpisode],
    ends: Mapping[EpisodeKey, datetime | None],
    rules: CorrelationRules,
    together: Mapping[EpisodeKey, str] | None = None,
) -> list[Part]:
    """Split one correlation key's episodes into incidents (see the module contract).
    Episodes ``together`` gives one label (a person merged their incidents:
    :mod:`bridge.core.covering`) end up in one part however far apart in time."""
    parts: list[Part] = []
    for ek in sorted(episodes, key=lambda k: (k[1], k[0])):
        start = ek[1]
        end = ends[ek]
        reach = None if end is None else rules.reach(key, start, end)
        current = parts[-1] if parts else None
        if current is not None and (current.reach is None or start < current.reach):
            current.episodes.append(ek)
            if current.reach is not None:
                current.reach = None if reach is None else max(current.reach, reach)
            continue
        parts.append(Part(key, [ek], start, None, reach))
    if together:
        parts = _joined(parts, together)
    for part in parts:
        part.last_end = _last_end(part, ends)
    return parts


def _joined(parts: list[Part], together: Mapping[EpisodeKey, str]) -> list[Part]:
    """Parts holding episodes of one label made one (kept in start order)."""
    parent = list(range(len(parts)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, part in enumerate(parts):
        for label in {together[ek] for ek in part.episodes if ek in together}:
            if label in first:
                parent[find(i)] = find(first[label])
            else:
                first[label] = i
    out: dict[int, Part] = {}
    for i, part in enumerate(parts):
        root = find(i)
        into = out.get(root)
        if into is None:
            out[root] = Part(part.key, list(part.episodes), part.started_at, None, part.reach)
            continue
        into.episodes += part.episodes
        if into.started_at is None or (part.started_at and part.started_at < into.started_at):
            into.started_at = part.started_at
        into.reach = (
            None if into.reach is None or part.reach is None else max(into.reach, part.reach)
        )
    merged = list(out.values())
    for part in merged:
        part.episodes.sort(key=lambda k: (k[1], k[0]))
    merged.sort(key=lambda p: (p.episodes[0][1], p.episodes[0][0]))
    return merged


def _last_end(part: Part, ends: Mapping[EpisodeKey, datetime | None]) -> datetime | None:
    values = [ends[ek] for ek in part.episodes]
    if any(v is None for v in values):
        return None
    return max(v for v in values if v is not None)


def incident_id(key: str, first: EpisodeKey) -> str:
    """Deterministic, readable id: start date and a short hash of key and first episode."""
    digest = hashlib.sha1(f"{key}|{first[0]}|{first[1].isoformat()}".encode()).hexdigest()
    return f"inc-{first[1]:%Y%m%d}-{digest[:8]}"


def assign_ids(
    parts: list[Part],
    previous: Mapping[EpisodeKey, str],
    started: Mapping[str, datetime],
    taken: Container[str],
) -> tuple[list[str], dict[str, str]]:
    """Give each part an id, keeping ids stable across re-partitioning.

    A part inherits the earliest-started id any of its episodes had; a part with none gets
    :func:`incident_id`. Ids no part keeps are returned as ``{old: new}`` (merged away).
    ``taken`` holds ids used by other keys' incidents (never reused).
    """
    ids: list[str] = []
    used: set[str] = set()
    for part in sorted(parts, key=lambda p: (p.started_at, p.episodes[0][0])):
        candidates = sorted(
            {previous[ek] for ek in part.episodes if ek in previous} - used,
            key=lambda i: (started.get(i), i),
        )
        if candidates:
            chosen = candidates[0]
        else:
            chosen = incident_id(part.key, part.episodes[0])
            n = 1
            while chosen in used or chosen in taken:
                n += 1
                chosen = f"{incident_id(part.key, part.episodes[0])}-{n}"
        used.add(chosen)
        ids.append(chosen)
    order = sorted(range(len(parts)), key=lambda i: (parts[i].started_at, parts[i].episodes[0][0]))
    by_part = {order[n]: ids[n] for n in range(len(parts))}
    final = [by_part[i] for i in range(len(parts))]
    merged: dict[str, str] = {}
    for ek, old in previous.items():
        if old in used:
            continue
        for i, part in enumerate(parts):
            if ek in part.episodes:
                merged.setdefault(old, final[i])
    return final, merged
