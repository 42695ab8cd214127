"""One event, one incident: an alert above the correlation level covers the incidents under
it, and incidents a person merged stay one.

An alert on an element above the correlation level (a core router over several sites, when
incidents correlate by site) has a *cover key* (``topo:<router>``, see
:func:`bridge.core.incidents.correlation_key`). Left alone, it would open an incident of its
own beside the site incidents under it, counting the same connections twice and owing the
regulator a second report for one event. Instead, the site incidents under it that overlap it
in time move into its key, so one incident covers them all. A person's merge of two incidents
is a *bond* between one episode of each: the incidents holding them are one from then on,
whatever their keys and times, and alerts that later join either join the merged one. Pure.

Contract (:func:`cover`):
- Input: *spans*, each one incident's worth of episodes of one correlation key as its own
  key partitions them (:func:`bridge.core.incidents.partition`), with the key's inventory
  element (None for keys not of the topology) and the part's start and reach (None: still
  going); and bonds (the episodes the absorbed incident held, those the host held).
- Spans holding the episodes of a bond are one group. A span joins a group holding a
  cover key's span when it overlaps the group's time (start before the group's reach and the
  group's start before its reach, as an episode joins a part in ``partition``) and one of the
  group's cover elements is its own element or an ancestor of it; a group starts from each
  span of a cover key and grows until nothing more joins; groups that meet become one. Spans
  of sites not under the cover never join it, however they overlap.
- Every span of a group moves to the key of the group's topmost cover element (fewest
  ancestors, then key), or with no cover to the key of its bonds' host spans (the smallest,
  if several): a router under a core router moves into the core's key too. Spans in no group
  stay where they are. Episodes of a group with a bond are *together*: the engine's
  partition keeps them in one incident however far apart in time.
- The result depends on the set of spans and bonds only, never on their order (so on the
  set of episodes only: delivery order cannot change what covers what).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.core.alerts import AlertEpisode
from bridge.core.incidents import CorrelationRules, EpisodeKey, effective_ends, partition
from bridge.core.topology import Topology

#: a person's merge: the episodes the absorbed incident held, and those the host held
Bond = tuple[tuple[EpisodeKey, ...], tuple[EpisodeKey, ...]]


@dataclass(frozen=True, slots=True)
class Span:
    """One part of one key: what it holds and when it lasts."""

    key: str
    element: str | None  # the topology key's element (None: not a topology key)
    start: datetime
    reach: datetime | None  # None: unbounded (an episode still going)
    episodes: tuple[EpisodeKey, ...]


def _overlaps(
    start: datetime, reach: datetime | None, other_start: datetime, other_reach: datetime | None
) -> bool:
    return (reach is None or other_start < reach) and (other_reach is None or start < other_reach)


@dataclass(frozen=True, slots=True)
class CoverGroup:
    """A group holding a cover key's span, as :func:`cover` left it: its cover elements, its
    time (the least start of its spans; reach None when one is still going) and the key its
    spans move to."""

    elements: tuple[str, ...]
    start: datetime
    reach: datetime | None
    top: str


@dataclass(frozen=True, slots=True)
class Grouping:
    """What :func:`cover` decides: where episodes move, and which belong together; also the
    cover groups and, for each span given (in the order given), the index of the cover group
    it is in (None: in none), so that :class:`Covering` can place new spans beside them."""

    moves: dict[EpisodeKey, str]  # episode → the key it moves to (those that stay: left out)
    together: dict[EpisodeKey, str]  # episode → its bonded group's label (one incident)
    groups: tuple[CoverGroup, ...] = ()
    span_groups: tuple[int | None, ...] = ()


def cover(
    spans: Sequence[Span],
    cover_keys: Mapping[str, int],
    is_ancestor_or_self: Callable[[str, str], bool],
    bonds: Sequence[Bond] = (),
) -> Grouping:
    """See the module contract. ``cover_keys``: each cover key held → its element's depth
    (number of ancestors)."""
    order = sorted(
        range(len(spans)), key=lambda i: (spans[i].key, spans[i].start, spans[i].episodes[0])
    )
    ordered = [spans[i] for i in order]
    parent = list(range(len(ordered)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    holder = {ek: i for i, s in enumerate(ordered) for ek in s.episodes}
    hosts: dict[int, str] = {}  # span index → key of a bond's host span
    bonded: set[int] = set()
    for absorbed, host in sorted(bonds):
        a = sorted({i for ek in absorbed if (i := holder.get(ek)) is not None})
        b = sorted({i for ek in host if (i := holder.get(ek)) is not None})
        if not a or not b:
            continue  # what one side held left memory, or was split out
        for i in a + b:
            parent[find(i)] = find(b[0])
        for i in b:
            hosts[i] = ordered[i].key
        bonded.update(a + b)
    if any(s.key in cover_keys for s in ordered):
        _grow(ordered, cover_keys, is_ancestor_or_self, find, parent)
    groups: dict[int, list[int]] = {}
    for i in range(len(ordered)):
        groups.setdefault(find(i), []).append(i)
    moves: dict[EpisodeKey, str] = {}
    together: dict[EpisodeKey, str] = {}
    cover_groups: list[CoverGroup] = []
    span_groups: list[int | None] = [None] * len(spans)
    for members in groups.values():
        keys = {ordered[i].key for i in members if ordered[i].key in cover_keys}
        if keys:
            top = min(keys, key=lambda k: (cover_keys[k], k))
            reaches = [ordered[i].reach for i in members]
            for i in members:
                span_groups[order[i]] = len(cover_groups)
            cover_groups.append(
                CoverGroup(
                    tuple(
                        sorted(
                            {
                                e
                                for i in members
                                if ordered[i].key in cover_keys and (e := ordered[i].element)
                            }
                        )
                    ),
                    min(ordered[i].start for i in members),
                    None if any(r is None for r in reaches) else max(r for r in reaches if r),
                    top,
                )
            )
        elif any(i in hosts for i in members):
            top = min(hosts[i] for i in members if i in hosts)
        else:
            continue
        label = f"{top}|{min(ek for i in members for ek in ordered[i].episodes)}"
        with_bond = any(i in bonded for i in members)
        for i in members:
            for ek in ordered[i].episodes:
                if ordered[i].key != top:
                    moves[ek] = top
                if with_bond:
                    together[ek] = label
    return Grouping(moves, together, tuple(cover_groups), tuple(span_groups))


def _grow(
    ordered: Sequence[Span],
    cover_keys: Mapping[str, int],
    is_ancestor_or_self: Callable[[str, str], bool],
    find: Callable[[int], int],
    parent: list[int],
) -> None:
    """Grow every group holding a cover key's span until nothing more joins."""
    while True:
        groups: dict[int, list[int]] = {}
        for i in range(len(ordered)):
            groups.setdefault(find(i), []).append(i)
        joined = False
        for root, members in sorted(groups.items()):
            if find(root) != root:
                continue  # met another group in this round: looked at again next round
            elements = [
                e for i in members if ordered[i].key in cover_keys and (e := ordered[i].element)
            ]
            if not elements:
                continue
            start = min(ordered[i].start for i in members)
            reaches = [ordered[i].reach for i in members]
            reach = None if any(r is None for r in reaches) else max(r for r in reaches if r)
            for j, span in enumerate(ordered):
                if find(j) == find(root) or span.element is None:
                    continue
                if _overlaps(start, reach, span.start, span.reach) and any(
                    is_ancestor_or_self(e, span.element) for e in elements
                ):
                    parent[find(j)] = find(root)
                    joined = True
        if not joined:
            return


def _element(key: str) -> str | None:
    return key[5:] if key.startswith("topo:") else None


class Covering:
    """What the engine needs to apply :func:`cover` as alerts come and go: each episode's own
    key (from the alert alone), the keys held per *domain* (a topology key's inventory tree;
    any other key alone; domains a bond links are looked at together), each key's spans
    (recomputed only when the key changed), and where covering put each episode.

    :meth:`regroup` looks again only at the domains something changed in, and only at those
    holding a cover key's episodes, a bond, or episodes covering moved before: a domain with
    none costs nothing more than before. A domain whose only change is new episodes in keys
    that are not cover keys (the storm: alerts under a core router that is down) is placed
    from its last :class:`_Layout` at the cost of the keys they joined, when that provably
    gives what :func:`cover` over the whole domain gives (:meth:`_placed_beside`); otherwise
    the whole domain is covered again. No I/O, no clock.
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
        self._members: dict[str, set[EpisodeKey]] = {}  # key → its own episodes
        self._keys_by_domain: dict[str, set[str]] = {}
        self._domain_of: dict[str, str] = {}  # key with episodes → its domain
        self._covers: dict[str, int] = {}  # cover key held → its element's depth
        self._spans: dict[str, list[Span]] = {}  # key → its spans (while unchanged)
        self._dirty: set[str] = set()  # domains to look at again
        #: of those, the ones whose only change is new episodes (these), not of a cover key
        self._added: dict[str, set[EpisodeKey]] = {}
        self._layouts: dict[str, _Layout] = {}  # domain → how cover left it (no bonds)
        self.moved: dict[EpisodeKey, str] = {}  # episode → the key covering put it in
        self._moved_in: dict[str, set[EpisodeKey]] = {}  # domain → its episodes moved
        self.together: dict[EpisodeKey, str] = {}  # episode → its bonded group's label
        self.bonds: list[Bond] = []  # people's merges
        #: episodes a person split out → the key they form their incident under (their own
        #: key from then on: never covered nor bonded again)
        self.pins: dict[EpisodeKey, str] = {}

    def _domain(self, key: str) -> str:
        """The key's domain (kept while the key has episodes: it goes with its last)."""
        domain = self._domain_of.get(key)
        if domain is None:
            element = _element(key)
            if element is not None and element in self.topology:
                chain = self.topology.ancestors(element)
                domain = "tree:" + (chain[-1] if chain else element)
            else:
                domain = "key:" + key
            if key in self._members:
                self._domain_of[key] = domain
        return domain

    def _touch(self, domain: str) -> None:
        """Something other than new episodes changed in ``domain``: cover it again in full."""
        self._dirty.add(domain)
        self._added.pop(domain, None)
        self._layouts.pop(domain, None)

    def bond(self, bond: Bond) -> None:
        """A person merged the incident holding ``bond[0]`` into the one holding ``bond[1]``."""
        if bond not in self.bonds:
            self.bonds.append(bond)
        for side in bond:
            for ek in side:
                if ek in self.home:
                    self._touch(self._domain(self.home[ek]))

    def _live_bonds(self) -> list[Bond]:
        """The bonds without the episodes a person split out since."""
        return [
            (
                tuple(ek for ek in a if ek not in self.pins),
                tuple(ek for ek in b if ek not in self.pins),
            )
            for a, b in self.bonds
        ]

    def place(self, ek: EpisodeKey, home: str) -> None:
        """The episode's own key is ``home`` (new, or its alert's mapping changed)."""
        old = self.home.get(ek)
        if old == home:
            self.changed(ek)
            return
        if old is not None:
            self._leave(ek, old)
        self._unmove(ek)  # the engine puts it in its own key: covering looks again
        self.home[ek] = home
        members = self._members.get(home)
        if members is None:
            members = self._members[home] = set()
        domain = self._domain(home)
        if not members:
            self._keys_by_domain.setdefault(domain, set()).add(home)
            element = _element(home)
            if (
                element is not None
                and element in self.topology
                and self.rules.ancestor_kind
                and self.topology.is_above_kind(element, self.rules.ancestor_kind)
            ):
                self._covers[home] = self.topology.depth(element)
        members.add(ek)
        self._spans.pop(home, None)
        if old is None and home not in self._covers and domain in self._layouts:
            self._dirty.add(domain)
            self._added.setdefault(domain, set()).add(ek)
        else:
            self._touch(domain)

    def changed(self, ek: EpisodeKey) -> None:
        """The episode's interval changed (a resolve, a re-fire): its key's spans may too."""
        home = self.home.get(ek)
        if home is not None:
            self._spans.pop(home, None)
            self._touch(self._domain(home))

    def forget(self, ek: EpisodeKey) -> None:
        """The episode left memory."""
        home = self.home.pop(ek, None)
        self._unmove(ek)
        self.together.pop(ek, None)
        if home is not None:
            self._leave(ek, home)

    def let_go(self) -> None:
        """Forget the bonds and pins of episodes no longer held (their incidents left memory;
        the casebook keeps them, a restart reads only those of live incidents)."""
        self.bonds = [b for b in self.bonds if any(ek in self.home for ek in b[0] + b[1])]
        self.pins = {ek: key for ek, key in self.pins.items() if ek in self.home}

    def _unmove(self, ek: EpisodeKey) -> None:
        key = self.moved.pop(ek, None)
        if key is not None:
            self._moved_in.get(self._domain(key), set()).discard(ek)

    def _leave(self, ek: EpisodeKey, home: str) -> None:
        members = self._members.get(home)
        if members is None:
            return
        members.discard(ek)
        self._spans.pop(home, None)
        domain = self._domain(home)
        self._touch(domain)
        if not members:
            del self._members[home]
            self._domain_of.pop(home, None)
            self._covers.pop(home, None)
            keys = self._keys_by_domain.get(domain, set())
            keys.discard(home)
            if not keys:
                self._keys_by_domain.pop(domain, None)

    def _spans_of(self, key: str) -> list[Span]:
        spans = self._spans.get(key)
        if spans is None:
            episodes = {ek: self.episodes[ek] for ek in self._members.get(key, ())}
            ends = effective_ends(episodes.values())
            element = _element(key)
            spans = [
                Span(key, element, p.started_at, p.reach, tuple(p.episodes))
                for p in partition(key, episodes, ends, self.rules)
                if p.started_at is not None
            ]
            self._spans[key] = spans
        return spans

    def _linked(self, domain: str, bonds: Sequence[Bond]) -> set[str]:
        """The domain and those ``bonds`` link it with, directly or not."""
        edges: dict[str, set[str]] = {}
        for a, b in bonds:
            ds = sorted({self._domain(self.home[ek]) for ek in a + b if ek in self.home})
            for d in ds:
                edges.setdefault(d, set()).update(ds)
        out, todo = {domain}, [domain]
        while todo:
            for other in edges.get(todo.pop(), ()):
                if other not in out:
                    out.add(other)
                    todo.append(other)
        return out

    def regroup(self) -> dict[EpisodeKey, str]:
        """Each episode whose key covering changes: episode → the key it belongs in now (a
        cover key or a merged incident's, or its own key again)."""
        out: dict[EpisodeKey, str] = {}
        dirty, self._dirty = self._dirty, set()
        added, self._added = self._added, {}
        bonds = self._live_bonds()
        bonded = {self._domain(self.home[ek]) for a, b in bonds for ek in a + b if ek in self.home}
        done: set[str] = set()
        for start in sorted(dirty):
            if start in done:
                continue
            layout = self._layouts.get(start)
            if start in added and layout is not None and start not in bonded:
                placed = self._placed_beside(layout, added[start])
                if placed is not None:
                    done.add(start)
                    for ek, key in placed.items():
                        self._put_in(ek, key)
                        out[ek] = key
                    continue
            self._layouts.pop(start, None)
            domains = self._linked(start, bonds) if start in bonded else {start}
            done |= domains
            keys = {k for d in domains for k in self._keys_by_domain.get(d, ())}
            covers = {k: self._covers[k] for k in keys if k in self._covers}
            before = {ek: self.moved[ek] for d in domains for ek in self._moved_in.get(d, ())}
            if not covers and not before and not (domains & bonded):
                if keys:  # an empty domain (its last key let go) keeps no layout
                    self._layouts[start] = _Layout((), {})  # nothing covers: new ones stay
                continue
            spans = [s for k in sorted(keys) for s in self._spans_of(k)]
            grouping = cover(spans, covers, self.topology.is_ancestor_or_self, bonds)
            if keys and not (domains & bonded):
                self._layouts[start] = _Layout.of(spans, grouping)
            for ek in [ek for ek in self.together if self.home.get(ek) in keys]:
                del self.together[ek]
            self.together.update(grouping.together)
            for ek in before.keys() - grouping.moves.keys():
                self._unmove(ek)
                if ek in self.home:
                    out[ek] = self.home[ek]
            for ek, key in grouping.moves.items():
                if before.get(ek) != key:
                    self._put_in(ek, key)
                    out[ek] = key
        return out

    def _put_in(self, ek: EpisodeKey, key: str) -> None:
        """Covering puts the episode in ``key`` (instead of where it put it before, if
        anywhere)."""
        self._unmove(ek)
        self.moved[ek] = key
        self._moved_in.setdefault(self._domain(key), set()).add(ek)

    def _placed_beside(
        self, layout: _Layout, added: set[EpisodeKey]
    ) -> dict[EpisodeKey, str] | None:
        """Where :func:`cover` over the whole domain would move the new episodes ``added``
        (none of a cover key), read from the domain's last layout at the cost of the keys
        they joined; None when that cannot be told so (then the domain is covered in full).

        It can when, in each key they joined, every earlier span is within one new span
        (none reaching less far: a new start of an alert ends its earlier episode, which may
        end a group's reach) and every new span joins at most one cover group, starting at or
        after that group's start while the group is still going (reach None). The groups'
        elements, time and top then stand, so no other span joins or leaves any group, and
        no group meets another: the new spans' episodes move to their group's top, the rest
        stay where they were. The layout is updated."""
        if not layout.groups:
            return {}  # nothing covers in this domain (a new cover key covers it in full)
        by_key: dict[str, set[EpisodeKey]] = {}
        for ek in added:  # place() let none of a cover key through
            home = self.home.get(ek)
            if home is None:
                return None
            by_key.setdefault(home, set()).add(ek)
        moves: dict[EpisodeKey, str] = {}
        updates: dict[str, list[tuple[Span, int | None]]] = {}
        is_under = self.topology.is_ancestor_or_self
        for key, new in by_key.items():
            spans = self._spans_of(key)
            owner = {ek: i for i, span in enumerate(spans) for ek in span.episodes}
            counted = [0] * len(spans)
            for earlier, _ in layout.placed.get(key, ()):
                i = owner.get(earlier.episodes[0])
                if i is None:
                    return None
                reach = spans[i].reach
                if reach is not None and (earlier.reach is None or reach < earlier.reach):
                    return None  # a new start of an alert ended an earlier episode sooner
                counted[i] += len(earlier.episodes)
            for ek in new:
                i = owner.get(ek)
                if i is None:
                    return None
                counted[i] += 1
            placed: list[tuple[Span, int | None]] = []
            for i, span in enumerate(spans):
                joins = [
                    g
                    for g, group in enumerate(layout.groups)
                    if span.element is not None
                    and _overlaps(group.start, group.reach, span.start, span.reach)
                    and any(is_under(e, span.element) for e in group.elements)
                ]
                # Implied by the reach check and the groups' being a fixpoint of cover (an
                # earlier span split or left out; two groups meeting, or an earlier span's
                # group other than the one the new span joins), but checked: it costs
                # nothing beside what it guards.
                if counted[i] != len(span.episodes) or len(joins) > 1:
                    return None
                joined = joins[0] if joins else None
                if joined is not None:
                    group = layout.groups[joined]
                    if group.reach is not None or span.start < group.start:
                        return None  # the group's time would change: others may join
                    if key != group.top:
                        moves.update((ek, group.top) for ek in span.episodes if ek in new)
                placed.append((span, joined))
            updates[key] = placed
        layout.placed.update(updates)
        return moves


@dataclass(frozen=True, slots=True)
class _Layout:
    """How :func:`cover` left one domain (without bonds): its cover groups, and each key's
    spans with the index of the group each is in (None: in none)."""

    groups: tuple[CoverGroup, ...]
    placed: dict[str, list[tuple[Span, int | None]]]

    @staticmethod
    def of(spans: Sequence[Span], grouping: Grouping) -> _Layout:
        placed: dict[str, list[tuple[Span, int | None]]] = {}
        for span, group in zip(spans, grouping.span_groups, strict=True):
            placed.setdefault(span.key, []).append((span, group))
        return _Layout(grouping.groups, placed)
