"""One event, one incident: an alert above the correlation level covers the incidents under it.

An alert on an element above the correlation level (a core router over several sites, when
incidents correlate by site) has a *cover key* (``topo:<router>``, see
:func:`bridge.core.incidents.correlation_key`). Left alone, it would open an incident of its
own beside the site incidents under it, counting the same connections twice and owing the
regulator a second report for one event. Instead, the site incidents under it that overlap it
in time move into its key, so one incident covers them all. Pure.

Contract (:func:`cover`):
- Input: *spans*, each one incident's worth of episodes of one correlation key as its own
  key partitions them (:func:`bridge.core.incidents.partition`), with the key's element and
  the part's start and reach (reach None: still going).
- A span joins a *cover group* when it overlaps the group's time (start before the group's
  reach and the group's start before its reach, as an episode joins a part in ``partition``)
  and one of the group's cover elements is its own element or an ancestor of it. A group
  starts from each span of a cover key and grows until nothing more joins; two groups that
  meet become one. Spans of sites not under the cover never join it, however they overlap.
- Every span of a group moves to the key of the group's topmost cover element (fewest
  ancestors, then key): a router under a core router moves into the core's key too.
  Spans in no group stay where they are.
- The result depends on the set of spans only, never on their order (so on the set of
  episodes only: delivery order cannot change what covers what).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.core.alerts import AlertEpisode
from bridge.core.incidents import CorrelationRules, EpisodeKey, effective_ends, partition
from bridge.core.topology import Topology


@dataclass(frozen=True, slots=True)
class Span:
    """One part of one key: what it holds and when it lasts."""

    key: str
    element: str
    start: datetime
    reach: datetime | None  # None: unbounded (an episode still going)
    episodes: tuple[EpisodeKey, ...]


def _overlaps(
    start: datetime, reach: datetime | None, other_start: datetime, other_reach: datetime | None
) -> bool:
    return (reach is None or other_start < reach) and (other_reach is None or start < other_reach)


def cover(
    spans: Sequence[Span],
    cover_keys: Mapping[str, int],
    is_ancestor_or_self: Callable[[str, str], bool],
) -> dict[EpisodeKey, str]:
    """Where the episodes of covered spans go: episode → the cover key it moves to (episodes
    that stay in their own key are left out). ``cover_keys``: each cover key → its element's
    depth (number of ancestors); see the module contract."""
    ordered = sorted(spans, key=lambda s: (s.key, s.start, s.episodes[0]))
    parent = list(range(len(ordered)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    covers = [i for i, s in enumerate(ordered) if s.key in cover_keys]
    if not covers:
        return {}
    while True:
        groups: dict[int, list[int]] = {}
        for i in range(len(ordered)):
            groups.setdefault(find(i), []).append(i)
        joined = False
        for root, members in sorted(groups.items()):
            if find(root) != root:
                continue  # met another group in this round: looked at again next round
            elements = [ordered[i].element for i in members if ordered[i].key in cover_keys]
            if not elements:
                continue
            start = min(ordered[i].start for i in members)
            reaches = [ordered[i].reach for i in members]
            reach = None if any(r is None for r in reaches) else max(r for r in reaches if r)
            for j, span in enumerate(ordered):
                if find(j) == find(root):
                    continue
                if _overlaps(start, reach, span.start, span.reach) and any(
                    is_ancestor_or_self(e, span.element) for e in elements
                ):
                    parent[find(j)] = find(root)
                    joined = True
        if not joined:
            break
    moves: dict[EpisodeKey, str] = {}
    groups = {}
    for i in range(len(ordered)):
        groups.setdefault(find(i), []).append(i)
    for members in groups.values():
        keys = {ordered[i].key for i in members if ordered[i].key in cover_keys}
        if not keys:
            continue
        top = min(keys, key=lambda k: (cover_keys[k], k))
        for i in members:
            if ordered[i].key != top:
                for ek in ordered[i].episodes:
                    moves[ek] = top
    return moves


def _element(key: str) -> str | None:
    return key[5:] if key.startswith("topo:") else None


class Covering:
    """What the engine needs to apply :func:`cover` as alerts come and go: each episode's own
    key (from the alert alone), the topology keys held per inventory tree, each key's spans
    (recomputed only when the key changed), and where covering put each episode.

    :meth:`regroup` looks again only at the trees something changed in, and only at trees
    that hold a cover key's episodes or episodes a cover took in before; a tree without an
    alert above the correlation level costs nothing more than before. No I/O, no clock.
    """

    def __init__(
        self,
        topology: Topology,
        rules: CorrelationRules,
        episodes: Mapping[EpisodeKey, AlertEpisode],
    ) -> None:
        self.topology = topology
        self.rules = rules
        self.episodes = episodes  # the engine's, read through
        self.home: dict[EpisodeKey, str] = {}  # episode → its key from the alert alone
        self._members: dict[str, set[EpisodeKey]] = {}  # topology key → its own episodes
        self._keys_by_tree: dict[str, set[str]] = {}  # tree root → its topology keys held
        self._tree_of: dict[str, str] = {}  # topology key → its tree's root
        self._covers: dict[str, int] = {}  # cover key held → its element's depth
        self._spans: dict[str, list[Span]] = {}  # topology key → its spans (while unchanged)
        self._dirty: set[str] = set()  # trees to look at again
        self.moved: dict[EpisodeKey, str] = {}  # episode → the cover key it is in

    def _tree(self, key: str) -> str | None:
        root = self._tree_of.get(key)
        if root is None:
            element = _element(key)
            if element is None or element not in self.topology:
                return None
            chain = self.topology.ancestors(element)
            root = chain[-1] if chain else element
            self._tree_of[key] = root
        return root

    def place(self, ek: EpisodeKey, home: str) -> None:
        """The episode's own key is ``home`` (new, or its alert's mapping changed)."""
        old = self.home.get(ek)
        if old == home:
            self.changed(ek)
            return
        if old is not None:
            self._leave(ek, old)
        self.moved.pop(ek, None)  # the engine puts it in its own key: covering looks again
        self.home[ek] = home
        root = self._tree(home)
        if root is None:
            return
        members = self._members.setdefault(home, set())
        if not members:
            self._keys_by_tree.setdefault(root, set()).add(home)
            element = _element(home)
            assert element is not None
            if self.rules.ancestor_kind and self.topology.is_above_kind(
                element, self.rules.ancestor_kind
            ):
                self._covers[home] = self.topology.depth(element)
        members.add(ek)
        self._spans.pop(home, None)
        self._dirty.add(root)

    def changed(self, ek: EpisodeKey) -> None:
        """The episode's interval changed (a resolve, a re-fire): its key's spans may too."""
        home = self.home.get(ek)
        root = None if home is None else self._tree(home)
        if home is not None and root is not None:
            self._spans.pop(home, None)
            self._dirty.add(root)

    def forget(self, ek: EpisodeKey) -> None:
        """The episode left memory."""
        home = self.home.pop(ek, None)
        self.moved.pop(ek, None)
        if home is not None:
            self._leave(ek, home)

    def _leave(self, ek: EpisodeKey, home: str) -> None:
        members = self._members.get(home)
        if members is None:
            return
        members.discard(ek)
        self._spans.pop(home, None)
        root = self._tree_of.get(home)
        if root is not None:
            self._dirty.add(root)
        if not members:
            del self._members[home]
            self._covers.pop(home, None)
            if root is not None:
                keys = self._keys_by_tree.get(root, set())
                keys.discard(home)
                if not keys:
                    self._keys_by_tree.pop(root, None)

    def _spans_of(self, key: str) -> list[Span]:
        spans = self._spans.get(key)
        if spans is None:
            episodes = {ek: self.episodes[ek] for ek in self._members.get(key, ())}
            ends = effective_ends(episodes.values())
            element = _element(key)
            assert element is not None
            spans = [
                Span(key, element, p.started_at, p.reach, tuple(p.episodes))
                for p in partition(key, episodes, ends, self.rules)
                if p.started_at is not None
            ]
            self._spans[key] = spans
        return spans

    def regroup(self) -> dict[EpisodeKey, str]:
        """Each episode whose key covering changes: episode → the key it belongs in now (a
        cover key, or its own key again)."""
        out: dict[EpisodeKey, str] = {}
        dirty, self._dirty = self._dirty, set()
        for root in sorted(dirty):
            keys = self._keys_by_tree.get(root, set())
            covers = {k: self._covers[k] for k in keys if k in self._covers}
            before = {ek: k for ek, k in self.moved.items() if self._tree_of.get(k) == root}
            if not covers and not before:
                continue
            spans = [s for k in sorted(keys) for s in self._spans_of(k)]
            now = cover(spans, covers, self.topology.is_ancestor_or_self) if covers else {}
            for ek in before.keys() - now.keys():
                del self.moved[ek]
                if ek in self.home:
                    out[ek] = self.home[ek]
            for ek, key in now.items():
                if before.get(ek) != key:
                    self.moved[ek] = key
                    out[ek] = key
        return out
