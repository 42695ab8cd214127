"""The evaluator's in-memory state: episodes → incidents → impact → assessments.

Contract:
- :meth:`Engine.apply` takes episodes *as stored* (already merged by the store) and ``now``; it
  recomputes only the correlation keys those episodes touch, and returns the ids of incidents
  whose content changed. Work grows with the changed keys, not with all alerts.
- :meth:`Engine.admit` + :meth:`Engine.evaluate_pending` split ``apply`` so that evaluation
  can be coalesced; :meth:`Engine.next_plan`, :func:`~bridge.core.incident_state.compute` and
  :meth:`Engine.commit` split one key's evaluation again so that its heavy, pure middle can run
  in another thread. Every split ends in the same incidents as ``apply`` (property tests).
- A key whose only changes since it was last evaluated are new alerts joining its ongoing
  incident is evaluated as that incident grown (:meth:`Engine.plan`): no partition, and the
  incident's alerts view, timeline, measures and rule scans extended from what it kept, at the
  cost of the new alerts, not of what it holds (same outcome: property tests).
- :meth:`Engine.tick` re-evaluates only incidents with something due by ``now`` (a duration
  threshold crossing, the end of a quiet period, an alert going stale), found through a heap.
- :meth:`Engine.restore` rebuilds from stored episodes and stored incident ids; the result is the
  same incidents, ids and assessments as before (a restart changes nothing).
- Memory holds live work only (:mod:`bridge.core.liveness`): :meth:`Engine.evict` lets settled
  incidents go with their episodes, and :meth:`Engine.admit` leaves to the store an episode of
  history (resolved before :attr:`Engine.history_before`) that it does not hold.
- One key's or one incident's evaluation that raises never stops the others, given
  :attr:`Engine.on_failure` (the service's evaluator gives it; without it, as in tests and
  tools, the exception propagates): the exception is handed to it and the key is *set aside*
  (:meth:`Engine.set_aside`): it stands as last evaluated, is not tried again (no retry
  loop) and is evaluated in full when it changes again (a new alert, a restart).
- Nothing here does I/O or reads a clock. (What it holds per incident, and the heavy pure
  :func:`~bridge.core.incident_state.compute`, are :mod:`bridge.core.incident_state`.)
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import (
    Callable,
    Collection,
    Container,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import NamedTuple, TypeVar

from bridge.core.alerts import AlertEpisode, merge_episode
from bridge.core.covering import Bond, Covering
from bridge.core.impact import AffectedNow, Interval
from bridge.core.impact_override import ImpactOverride
from bridge.core.incident_build import IncidentBuilder
from bridge.core.incident_state import (
    OPEN,
    Computed,
    Derived,
    Incident,
    KeyPlan,
    StoredIncident,
    compute,
    keeps_sweep,
)
from bridge.core.incidents import (
    CorrelationRules,
    EpisodeKey,
    Part,
    assign_ids,
    correlation_key,
    partition,
)
from bridge.core.liveness import is_history
from bridge.core.mapping import MappingRules, Target, map_alert
from bridge.core.rules import MeasureKeys, RuleSet
from bridge.core.seen_again import SeenAgain, still_as_left
from bridge.core.topology import Topology

_BY_START = itemgetter(1, 0)  # an episode key (fingerprint, start) by start, then fingerprint
_T = TypeVar("_T")


class _Starts(Mapping[str, datetime]):
    """Incident id → start, read through (no copy of every incident per recomputed key)."""

    def __init__(self, incidents: Mapping[str, Incident], extra: Mapping[str, datetime]) -> None:
        self._incidents = incidents
        self._extra = extra

    def __getitem__(self, inc_id: str) -> datetime:
        if inc_id in self._extra:
            return self._extra[inc_id]
        return self._incidents[inc_id].started_at

    def __iter__(self) -> Iterator[str]:
        return iter({*self._incidents, *self._extra})

    def __len__(self) -> int:
        return len({*self._incidents, *self._extra})


class _TakenElsewhere(Container[str]):
    """Ids used by incidents of other correlation keys (without copying every id)."""

    def __init__(self, incidents: Mapping[str, Incident], own: set[str]) -> None:
        self._incidents = incidents
        self._own = own

    def __contains__(self, inc_id: object) -> bool:
        return inc_id in self._incidents and inc_id not in self._own


class Engine:
    """See the module contract."""

    def __init__(
        self,
        topology: Topology,
        mapping: MappingRules,
        correlation: CorrelationRules,
        rule_sets: Sequence[RuleSet],
        stale_after: timedelta,
    ) -> None:
        self.topology = topology
        self.mapping = mapping
        self.correlation = correlation
        self.rule_sets = list(rule_sets)
        #: the measures these rule sets read (an incident restored without them builds these)
        self._measure_keys = MeasureKeys.of(self.rule_sets)
        self.stale_after = stale_after
        self.episodes: dict[EpisodeKey, AlertEpisode] = {}
        self.targets: dict[EpisodeKey, Target] = {}
        # affected_now's own: what it counted per open incident (the incident and its
        # override, as objects), how many counted incidents hold each episode, and the
        # episodes whose status or target changed since it last counted
        self._affected_now = AffectedNow(topology)
        self._counted: dict[str, tuple[Incident, ImpactOverride | None]] = {}
        self._holders: dict[EpisodeKey, int] = {}
        self._impact_dirty: set[EpisodeKey] = set()
        #: incidents put, removed or given or relieved of an override since affected_now last
        #: ran: the ones it counts again (an incident changes only by being replaced)
        self._impact_incidents: set[str] = set()
        self._key_of: dict[EpisodeKey, str] = {}
        self._by_key: dict[str, set[EpisodeKey]] = {}
        self._assignment: dict[EpisodeKey, str] = {}
        self.incidents: dict[str, Incident] = {}
        self._ids_by_key: dict[str, set[str]] = {}
        self._owner: dict[str, str] = {}  # incident id → the one correlation key using it
        #: Alertmanager's truncatedAlerts per group key, of groups an episode held is in, and
        #: only where not zero (what :class:`IncidentBuilder` reads: a group missing counts 0):
        #: an entry goes with its group's last episode (:meth:`_keep_truncation`)
        self.truncation: dict[str, int] = {}
        self._grouped: dict[str, int] = {}  # group key → episodes held with it
        self._heap: list[tuple[datetime, str]] = []
        self._restored_started: dict[str, datetime] = {}  # only during restore()
        self._pending: set[str] = set()  # correlation keys admitted but not yet evaluated
        self._orphans: set[tuple[str, str]] = set()  # (id, key) emptied, destination pending
        self._light: set[str] = set()  # incidents to re-evaluate on their standing timeline
        self._verdicts: dict[str, tuple[Incident, tuple[object, ...]]] = {}  # as last stored
        self._versions: dict[str, int] = {}  # correlation key → changes admitted so far
        self._planned: set[str] = set()  # keys with a plan out (see next_plan / commit)
        self._risky: set[str] = set()  # pending keys whose incidents may split or merge
        # pending keys whose only changes are new alerts joining their ongoing incident, and
        # keys changed in any other way since last evaluated
        # (alert → that incident and the key's version at the alert's last change: a plan
        # that went stale while only more alerts joined is still applied, see commit)
        self._grown: dict[str, dict[EpisodeKey, _Growth]] = {}
        self._ungrowable: set[str] = set()
        # risky keys correlated at admission whose last part was going (see _Provisional):
        # later new alerts joining that part are answered without correlating again
        self._provisional: dict[str, _Provisional] = {}
        self._fp_starts: dict[str, set[datetime]] = {}  # fingerprint → its episodes' starts
        # what the notices say per incident: events (initial_sent…) and kind → draft state
        self._notice_events: dict[str, dict[str, datetime]] = {}
        self._notice_states: dict[str, dict[str, str]] = {}
        # people's impact overrides per incident id (bridge.core.impact_override)
        self._overrides: dict[str, ImpactOverride] = {}
        #: episodes resolved before this, and not held, are history (bridge.core.liveness)
        self.history_before: datetime | None = None
        #: alerts above the correlation level and the incidents under them (one event, one
        #: incident): ``_key_of`` is where covering put each episode, its own key otherwise
        self.covering = Covering(topology, correlation, self.episodes)
        self._builder = IncidentBuilder(
            topology,
            self.rule_sets,
            self.episodes,
            self.targets,
            self.truncation,
            stale_after,
            self._notice_events,
            self._notice_states,
        )
        self._absorbed: dict[str, set[str]] = {}  # incident id → ids merged into it
        #: told of a key or incident whose evaluation raised (what, as ``key K`` or
        #: ``incident I``, and the exception), which is then set aside (module contract);
        #: None: the exception propagates
        self.on_failure: Callable[[str, Exception], None] | None = None

    def set_aside(self, key: str) -> None:
        """Leave ``key`` as last evaluated until it changes again: its evaluation failed (the
        caller reports why). The next evaluation correlates it in full."""
        self._pending.discard(key)
        self._risky.discard(key)
        self._planned.discard(key)
        self._ungrowable.add(key)

    def _isolated(self, key: str, what: str, step: Callable[[], _T], failed: _T) -> _T:
        """``step()``, or, when it raises and :attr:`on_failure` is given, ``failed`` with
        ``key`` set aside and the failure reported (module contract)."""
        if self.on_failure is None:
            return step()
        try:
            return step()
        except Exception as exc:  # one key's surprise never stops the others
            self.set_aside(key)
            self.on_failure(what, exc)
            return failed

    # ---- input -------------------------------------------------------------------------
    def apply(
        self,
        episodes: Iterable[AlertEpisode],
        now: datetime,
        truncation: Mapping[str, int] | None = None,
    ) -> set[str]:
        """Take stored episodes (and per-group truncation counts); return changed incident ids."""
        self.admit(episodes, truncation)
        return self.evaluate_pending(now)

    def admit(
        self,
        episodes: Iterable[AlertEpisode],
        truncation: Mapping[str, int] | None = None,
    ) -> dict[EpisodeKey, str]:
        """Take stored episodes without evaluating them yet (cheap: mapping and correlation key
        only); :meth:`evaluate_pending` does the rest, once for everything admitted meanwhile.

        Returns each episode's incident id as evaluating now would give it: the incident it is
        in or joins when its key only grew its ongoing incident (see :meth:`_plain`), else what
        correlating its key at once gives (a new incident's id, a merge, a split). Episodes
        admitted later, before the evaluation, can still re-partition the key. An episode of
        history the engine does not hold is left out (module contract).
        """
        held, history_before = self.episodes, self.history_before
        batch = (
            list(episodes)
            if history_before is None  # nothing is history yet
            else [
                ep
                for ep in episodes
                if (ep.fingerprint, ep.starts_at) in held or not is_history(ep, history_before)
            ]
        )
        joined: dict[EpisodeKey, str] = {}
        ongoing: dict[str, tuple[datetime, str] | None] = {}  # see _joined_id
        earlier: dict[str, _Before | None] = {}  # see _joined_from_before
        for ep in batch:
            ek = (ep.fingerprint, ep.starts_at)  # not .key: hot
            before = held.get(ek)
            if before is not None and self._seen_again(before, ep, ek):
                continue  # only last_seen moved: nothing to map, correlate or evaluate
            touched = self._put(ep)
            self._pending |= touched
            for key in touched:
                self._versions[key] = self._versions.get(key, 0) + 1
            if len(touched) > 1 or not self._plain(ek, before):
                ended_in = None if len(touched) > 1 else self._ended_inside(ek, before)
                if ended_in is None:
                    self._risky |= touched
                    self._ungrowable |= touched
                else:  # a resolve inside an incident that stays one and ongoing
                    joined[ek] = ended_in
                    self._grow(self._key_of[ek], ek, ended_in)
            elif before is None and touched and (inc_id := self._provisional_join(ek)):
                joined[ek] = inc_id  # a new alert joining the going part of a risky key
            elif touched and not touched <= self._risky:
                # A plain episode outside the ongoing incident may start an incident or bridge
                # a gap, merging two (every id answered for the later one would be stale): its
                # key is correlated in full until it is evaluated.
                inc_id = self._joined_id(ek, ongoing)
                if inc_id is not None:
                    joined[ek] = inc_id
                    if before is None:  # a new alert joining the ongoing incident
                        self._grow(self._key_of[ek], ek, inc_id)
                    else:
                        self._ungrowable |= touched
                elif before is None and (inc_id := self._joined_from_before(ek, earlier)):
                    # a new alert that started before the ongoing incident and joins it (sent
                    # late): the id is known without correlating the key now; the incident's
                    # start moves, so the key is evaluated in full
                    joined[ek] = inc_id
                    self._ungrowable |= touched
                else:
                    self._risky |= touched
                    self._ungrowable |= touched
        # Covering may move whole incidents into an alert above them (or back): those keys
        # are correlated in full (_regroup marks them).
        self._regroup()
        # A delivery's own episodes are in ``episodes``, so their keys are already pending.
        if truncation:
            self._keep_truncation(truncation)
        placed: dict[EpisodeKey, str] = {}
        unplaced: set[str] = set()
        for ep in batch:
            ek = ep.key
            key = self._key_of[ek]
            if key in self._risky:
                inc_id = self._provisional_id(key, ek)
            else:
                growth = self._grown.get(key, {}).get(ek)
                inc_id = (growth and growth.inc_id) or joined.get(ek) or self._joined_id(ek)
            if inc_id is None:
                unplaced.add(key)
            else:
                placed[ek] = inc_id
        for key in sorted(unplaced):  # a new incident or a late alert: correlate this key now
            # This answers for every episode of the key, those of the batch placed above too.
            parts, ids, _, _ = self._correlate(key)
            for inc_id, part in zip(ids, parts, strict=True):
                for ek in part.episodes:
                    placed[ek] = inc_id
            self._provide(key, parts, ids)
        return {ep.key: placed[ep.key] for ep in batch}

    def _provide(self, key: str, parts: Sequence[Part], ids: Sequence[str]) -> None:
        """Remember, for a risky key just correlated at admission, its last part when that
        part is going (reach unbounded) and no person's merge holds its alerts: a new alert
        that starts after the part's first alert can then only join it, under the same id
        (see :meth:`_provisional_join`)."""
        self._provisional.pop(key, None)
        if not parts or parts[-1].reach is not None or key not in self._risky:
            return
        last, together = parts[-1], self.covering.together
        if together and any(ek in together for ek in last.episodes):
            return
        self._provisional[key] = _Provisional(
            self._versions.get(key, 0), _BY_START(last.episodes[0]), ids[-1]
        )

    def _provisional_join(self, ek: EpisodeKey) -> str | None:
        """The id correlating its key would give a new alert (just put, plain, one start of
        its own, its key's only change since) of a risky key whose last correlation at
        admission is remembered (:meth:`_provide`) and still stands (every change of the key
        since was such a join): the going last part's, when the alert starts after that
        part's first alert (partitioning puts it in that part, which keeps its first alert
        and so its id, :func:`~bridge.core.incidents.assign_ids`). None otherwise; the key is
        then correlated in full. Records the join: the memory stands for the key's next
        version."""
        key = self._key_of[ek]
        provisional = self._provisional.get(key)
        version = self._versions.get(key, 0)
        if (
            provisional is None
            or provisional.version != version - 1
            or _BY_START(ek) <= provisional.first
            or len(self._fp_starts.get(ek[0], ())) != 1
            or ek in self._assignment
            or ek in self.covering.together
        ):
            return None
        self._provisional[key] = _Provisional(version, provisional.first, provisional.inc_id)
        return provisional.inc_id

    def _provisional_id(self, key: str, ek: EpisodeKey) -> str | None:
        """For an episode of a risky key: what correlating the key at admission last gave
        it, while that stands (every change of the key since was a join,
        :meth:`_provisional_join`) and the episode is in the remembered going part (the part
        holds every alert from its first on: new ones joined it since, held ones only seen
        again). None otherwise: the key is correlated in full."""
        provisional = self._provisional.get(key)
        if (
            provisional is None
            or provisional.version != self._versions.get(key, 0)
            or _BY_START(ek) < provisional.first
        ):
            return None
        return provisional.inc_id

    @property
    def has_pending(self) -> bool:
        return bool(self._pending or self._light)

    def evaluate_pending(self, now: datetime, max_keys: int | None = None) -> set[str]:
        """Recompute the correlation keys touched since the last call (at most ``max_keys`` of
        them, so a caller can interleave other work); return the changed incident ids."""
        ordered = sorted(self._pending)
        touched = set(ordered if max_keys is None else ordered[:max_keys])
        self._pending -= touched
        self._risky -= touched
        before = {key: set(self._ids_by_key.get(key, ())) for key in touched}
        changed: set[str] = set()
        for key in sorted(touched):
            changed |= self._recompute_isolated(key, now)
        # Light re-evaluations (only last_seen moved); an incident whose key was just recomputed
        # or still waits to be has nothing to gain from one, and its alerts may have moved.
        light, self._light = self._light, set()
        for inc_id in sorted(light):
            incident = self.incidents.get(inc_id)
            if (
                incident is not None
                and incident.merged_into is None
                and incident.key not in touched
                and incident.key not in self._pending
                and self._reevaluate_isolated(incident, now)
            ):
                changed.add(inc_id)
        return changed | self._retire_emptied(before)

    def _plain(self, ek: EpisodeKey, before: AlertEpisode | None) -> bool:
        """True when admitting this episode can only add to its key's incidents: an alert
        never seen before (firing or resolved), or a re-delivery that changes nothing but
        ``last_seen``. Intervals are then only added, never shortened, so no incident splits,
        and one starting inside an ongoing incident joins it; one starting before it may still
        merge incidents (:meth:`admit` correlates its key unless
        :meth:`_joined_from_before` shows it cannot). Anything else (a resolve of a
        known episode, a re-fire superseding an older one) may split or merge incidents."""
        ep = self.episodes[ek]
        if before is not None:
            return (before.status, before.ends_at) == (ep.status, ep.ends_at)
        return len(self._fp_starts[ek[0]]) == 1

    def _ended_inside(self, ek: EpisodeKey, before: AlertEpisode | None) -> str | None:
        """The incident a firing alert just resolved in, when that changes nothing but its
        end there: an alert of its own (one start), in an ongoing incident of its key that
        stays one incident and ongoing with the new end (:meth:`_still_one`), no person's
        merge or override on it. None otherwise (its key is correlated in full)."""
        ep = self.episodes[ek]
        if (
            before is None
            or before.status != "firing"
            or ep.status != "resolved"
            or len(self._fp_starts.get(ek[0], ())) != 1
        ):
            return None
        inc_id = self._assignment.get(ek)
        key = self._key_of.get(ek)
        inc = self._growable(inc_id, key) if inc_id is not None and key is not None else None
        return inc_id if inc is not None and self._still_one(inc) else None

    def _growable(self, inc_id: str, key: str) -> Incident | None:
        """The incident, when a grown plan may extend it: held, ongoing (open, reach
        unbounded), owned by ``key``, its intervals kept, no person's override on it nor merge
        joining its alerts by more than time; else None (its key is correlated in full)."""
        inc = self.incidents.get(inc_id)
        if (
            inc is None
            or not _ongoing(inc)
            or self._owner.get(inc_id) != key
            or inc.alerts is None
            or inc.alerts.intervals is None
            or inc_id in self._overrides
            or self._merged_by_a_person((inc,))
        ):
            return None
        return inc

    def _merged_by_a_person(self, incidents: Iterable[Incident]) -> bool:
        """True when a person's merge (:attr:`Covering.together`) holds an alert of any of
        ``incidents``: their parts are joined by more than time."""
        together = self.covering.together
        return bool(together) and any(ek in together for inc in incidents for ek in inc.episodes)

    def _still_one(self, incident: Incident) -> bool:
        """True when partitioning the incident's alerts by time, with their ends as held now,
        keeps them one part whose reach is unbounded (an alert going): walked in start order
        up to the first alert still going, each starts inside the reach of those before."""
        reach: datetime | None = None
        for n, ek in enumerate(incident.episodes):
            if n and reach is not None and ek[1] >= reach:
                return False  # a gap: it would split
            end = self._ends((ek,))[ek]
            if end is None:
                return True  # unbounded from here: every later alert joins
            candidate = self.correlation.reach(incident.key, ek[1], end)
            reach = candidate if reach is None else max(reach, candidate)
        return False  # nothing going any more: correlate in full

    def _joined_id(
        self, ek: EpisodeKey, ongoing: dict[str, tuple[datetime, str] | None] | None = None
    ) -> str | None:
        """The incident an episode is in, or the ongoing one it starts inside; valid only
        while every change pending for its key is plain and joins that ongoing incident (see
        :meth:`_plain`; :meth:`admit` marks the key risky otherwise). ``ongoing`` remembers
        per key the earliest start of its ongoing incidents and the latest one's id, for a
        caller asking about many episodes while no incident changes (:meth:`admit`)."""
        key = self._key_of[ek]
        current = self._assignment.get(ek)
        if current is not None and self._owner.get(current) == key:
            inc = self.incidents.get(current)
            if inc is not None and inc.merged_into is None:
                return current
        if ongoing is not None and key in ongoing:
            found = ongoing[key]
        else:
            joinable = [
                inc
                for inc_id in self._ids_by_key.get(key, ())
                if (inc := self.incidents.get(inc_id)) is not None and _ongoing(inc)
            ]
            found = (
                (
                    min(i.started_at for i in joinable),
                    max(joinable, key=lambda i: (i.started_at, i.id)).id,
                )
                if joinable
                else None
            )
            if ongoing is not None:
                ongoing[key] = found
        if found is not None and ek[1] >= found[0]:
            return found[1]
        return None

    def _joined_from_before(self, ek: EpisodeKey, earlier: dict[str, _Before | None]) -> str | None:
        """The ongoing incident a new episode joins although it starts before that incident:
        the episode reaches the incident's start (it is going, so its reach is unbounded and
        every later alert of its key joins it; or it ended, and its reach, its end plus the
        quiet period as partitioning counts it, lies after that start: the incident's first
        alert starts inside it), its key has exactly one ongoing incident and nothing pending
        that is not plain (the caller's condition, as for :meth:`_joined_id`), it starts at
        or after the reach of every other incident of its key (else it would bridge into one:
        a merge, whose id only correlating tells), and no person's merge holds the ongoing
        incident's alerts. Then partitioning the key puts it in that incident's part, which
        keeps that id (:func:`~bridge.core.incidents.assign_ids`). None otherwise.
        ``earlier`` remembers per key what that takes (:class:`_Before`; None: not joinable
        this way), for a caller asking about many episodes while no incident changes
        (:meth:`admit`)."""
        key = self._key_of[ek]
        if key in earlier:
            found = earlier[key]
        else:
            found = earlier[key] = self._before_ongoing(key)
        if found is None or (found.floor is not None and ek[1] < found.floor):
            return None
        end = self._ends((ek,))[ek]
        if end is not None and not found.started_at < self.correlation.reach(key, ek[1], end):
            return None  # ended before its reach got to the incident's start
        return found.inc_id

    def _before_ongoing(self, key: str) -> _Before | None:
        """For :meth:`_joined_from_before`: the key's one ongoing incident, its start and the
        latest reach of its other incidents (None when it has none), or None when the key has
        no ongoing incident, more than one, another one still going, or a person's merge on
        it."""
        ongoing: Incident | None = None
        others: list[Incident] = []
        for inc_id in self._ids_by_key.get(key, ()):
            inc = self.incidents.get(inc_id)
            if inc is None or inc.merged_into is not None:
                continue
            if _ongoing(inc):
                if ongoing is not None:
                    return None
                ongoing = inc
            else:
                others.append(inc)
        if (
            ongoing is None
            or self._owner.get(ongoing.id) != key
            or self._merged_by_a_person((ongoing, *others))
        ):
            return None
        floor: datetime | None = None
        for inc in others:
            reach = self._reach(inc, self._ends(inc.episodes))
            if reach is None:
                return None
            floor = reach if floor is None else max(floor, reach)
        return _Before(ongoing.id, ongoing.started_at, floor)

    def _retire_emptied(self, before: Mapping[str, set[str]]) -> set[str]:
        # An incident whose every episode moved to another correlation key (its element
        # annotation changed) is shown as merged into the incident that holds them now. Its
        # new key may not be evaluated yet (evaluation in steps): it waits as an orphan.
        for key, ids in before.items():
            self._orphans.update((inc_id, key) for inc_id in ids - self._ids_by_key.get(key, set()))
        changed: set[str] = set()
        for inc_id, key in sorted(self._orphans):
            inc = self.incidents.get(inc_id)
            if (
                inc is None
                or inc.merged_into is not None
                or inc_id in self._ids_by_key.get(key, ())
            ):
                self._orphans.discard((inc_id, key))
                continue
            into = next(
                (a for ek in inc.episodes if (a := self._assignment.get(ek, inc_id)) != inc_id),
                None,
            )
            if into is not None:
                self._merged_stub(inc_id, key, inc.started_at, inc.episodes, into)
                self._orphans.discard((inc_id, key))
                changed.add(inc_id)
        return changed

    def _seen_again(self, known: AlertEpisode, ep: AlertEpisode, ek: EpisodeKey) -> bool:
        """:meth:`_put`'s fast lane for a re-delivery (Alertmanager re-sending a group) that
        changes nothing but ``last_seen``: same status, end and annotations as held. It only
        moves ``last_seen`` (and asks for a light re-evaluation if the alert was shown stale),
        exactly what :meth:`_put` would do, and returns True; False when :meth:`_put` must run.
        """
        if (
            ep.status != known.status
            or ep.ends_at != known.ends_at
            or ek not in self._key_of
            or ep.annotations != known.annotations
        ):
            return False
        merged = merge_episode(known, ep)
        self.episodes[ek] = merged
        if merged.group_key != known.group_key:
            self._group_moved(known.group_key, merged.group_key)
        inc = self.incidents.get(self._assignment.get(ek, ""))
        if inc is not None and merged.fingerprint in inc.stale:
            self._light.add(inc.id)
        return True

    def seen_again(
        self,
        episodes: Sequence[AlertEpisode],
        truncation: Mapping[str, int],
        left: SeenAgain | None = None,
    ) -> SeenAgain | None:
        """:meth:`admit` for a re-delivery known to change nothing but ``last_seen`` (a group
        re-sent unchanged; episodes as stored), without admit's per-episode bookkeeping: if
        every episode is held with the same status, end and annotations, and sits in the
        incident admit would place it in, it does exactly what admit does (moves ``last_seen``,
        asks for a light re-evaluation where an alert was shown stale, keeps the truncation)
        and returns where each is (:class:`~bridge.core.seen_again.SeenAgain`); otherwise it
        changes nothing and returns None (then :meth:`admit`). ``left``: what this returned
        for the group's last re-send (``episodes`` are then its episodes again, in its order,
        ``last_seen`` moved): when nothing it read has changed since
        (:func:`~bridge.core.seen_again.still_as_left`), the same holds without checking
        alert by alert."""
        if left is not None and still_as_left(
            left, episodes, self.episodes, self.incidents, self._risky
        ):
            return self._as_left(left, episodes, truncation)
        placed: dict[EpisodeKey, str] = {}
        held, key_of, risky = self.episodes, self._key_of, self._risky
        assignment, owner, incidents = self._assignment, self._owner, self.incidents
        # per incident an episode is assigned to: (the incident, its key) when it stands
        # (not merged away), else (None, None); most of a group's episodes share a few
        standing: dict[str, tuple[Incident | None, str | None]] = {}
        taken: list[tuple[EpisodeKey, AlertEpisode, AlertEpisode, Incident | None]] = []
        keys: set[str] = set()
        reusable = True  # every episode sits in its standing incident (see SeenAgain)
        for ep in episodes:
            ek = (ep.fingerprint, ep.starts_at)
            known = held.get(ek)
            if known is None:
                return None
            key = key_of.get(ek)
            if (
                key is None
                or ep.status != known.status
                or ep.ends_at != known.ends_at
                or (ep.annotations is not known.annotations and ep.annotations != known.annotations)
            ):
                return None
            current = assignment.get(ek, "")
            if key in risky:  # its key waits for evaluation: what admit answers, if it can
                inc_id = self._provisional_id(key, ek)
                if inc_id is None:
                    return None
                placed[ek] = inc_id
                reusable = False
                taken.append((ek, ep, known, incidents.get(current)))
                continue
            # _joined_id, its common case inline: the episode is in an incident of its key
            found = standing.get(current)
            if found is None:
                inc = incidents.get(current)
                found = standing[current] = (
                    (inc, owner.get(current))
                    if inc is not None and inc.merged_into is None
                    else (None, None)
                )
            inc = found[0]
            if inc is not None and found[1] == key:
                placed[ek] = inc.id
                keys.add(key)
            elif (inc_id := self._joined_id(ek)) is not None:
                placed[ek] = inc_id
                reusable = False
            else:
                return None
            taken.append((ek, ep, known, incidents.get(current) if inc is None else inc))
        now_held: list[AlertEpisode] = []
        for ek, ep, known, inc in taken:
            # merge_episode(known, ep), which is ``ep`` itself when it spans what is held
            # (same rank: the new one wins; display fields follow the later last_seen)
            if not (ep.first_seen <= known.first_seen and ep.last_seen >= known.last_seen):
                ep = merge_episode(known, ep)
            held[ek] = ep
            if ep.group_key != known.group_key:
                self._group_moved(known.group_key, ep.group_key)
            now_held.append(ep)
            if inc is not None and inc.stale and ep.fingerprint in inc.stale:
                self._light.add(inc.id)
        self._keep_truncation(truncation)
        return SeenAgain(
            [ek for ek, _, _, _ in taken],
            now_held,
            placed,
            sorted(set(placed.values())),
            [(inc.id, inc) for inc, _ in standing.values() if inc is not None]
            if reusable
            else None,
            frozenset(keys),
        )

    def _as_left(
        self, left: SeenAgain, episodes: Sequence[AlertEpisode], truncation: Mapping[str, int]
    ) -> SeenAgain:
        """:meth:`seen_again` when nothing it read changed since it returned ``left``
        (:func:`~bridge.core.seen_again.still_as_left`): ``episodes`` span what is held, so
        they are held as they are, in the incidents ``left`` names."""
        self.episodes.update(zip(left.keys, episodes, strict=True))
        for ep, known in zip(episodes, left.held, strict=True):
            if ep.group_key != known.group_key:
                self._group_moved(known.group_key, ep.group_key)
        assert left.standing is not None  # still_as_left
        for inc_id, inc in left.standing:
            if inc.stale:
                stale = set(inc.stale)
                if any(ek[0] in stale and left.placed[ek] == inc_id for ek in left.keys):
                    self._light.add(inc_id)
        self._keep_truncation(truncation)
        return left.moved(episodes)

    def _keep_truncation(self, truncation: Mapping[str, int]) -> None:
        """Take per-group truncation counts (after the episodes they came with are held): kept
        for groups an episode held is in, where not zero; a zero, or a group none is in,
        leaves no entry (it reads as 0)."""
        kept, grouped = self.truncation, self._grouped
        for group, n in truncation.items():
            if n and group in grouped:
                kept[group] = n
            else:
                kept.pop(group, None)

    def _group_moved(self, old: str, new: str) -> None:
        """A held episode's group key changed from ``old`` to ``new``."""
        self._grouped[new] = self._grouped.get(new, 0) + 1
        self._ungroup(old)

    def _ungroup(self, group: str) -> None:
        """One episode held in ``group`` less (its truncation goes with the last)."""
        left = self._grouped[group] - 1
        if left:
            self._grouped[group] = left
        else:
            del self._grouped[group]
            self.truncation.pop(group, None)

    def _put(self, ep: AlertEpisode) -> set[str]:
        """Store one episode; return the correlation keys it touches (old and new)."""
        fingerprint, start = ek = (ep.fingerprint, ep.starts_at)  # not .key: hot
        # Merging again is harmless (a join) and protects against an older stored state
        # arriving after a newer one when concurrent ingests resume out of order.
        known = self.episodes.get(ek)
        if known is not None:
            ep = merge_episode(known, ep)
            if ep.group_key != known.group_key:
                self._group_moved(known.group_key, ep.group_key)
        else:
            group, grouped = ep.group_key, self._grouped
            grouped[group] = grouped.get(group, 0) + 1
        self.episodes[ek] = ep
        old = self._key_of.get(ek)
        if known is not None and old is not None and known.annotations == ep.annotations:
            if (known.status, known.ends_at) == (ep.status, ep.ends_at):
                # Only last_seen moved: the timeline stands. An alert shown as stale is no
                # longer stale, which a light re-evaluation shows.
                inc = self.incidents.get(self._assignment.get(ek, ""))
                if inc is not None and fingerprint in inc.stale:
                    self._light.add(inc.id)
                return set()
            self.covering.changed(ek)
            self._impact_dirty.add(ek)
            return {old}  # mapping reads labels and annotations only: nothing to redo
        starts = self._fp_starts.get(fingerprint)
        if starts is None:
            starts = self._fp_starts[fingerprint] = set()
        starts.add(start)
        target = map_alert(ep, self.topology, self.mapping)
        self.targets[ek] = target
        self._impact_dirty.add(ek)
        covering = self.covering
        home = covering.pins.get(ek) or correlation_key(ep, target, self.topology, self.correlation)
        # Where covering put it stands until it looks again, unless its own key changed.
        key = old if old is not None and covering.home.get(ek) == home else home
        covering.place(ek, home)
        touched = {key}
        if len(starts) > 1:
            # A new start of this alert ends its earlier episode wherever that is held (see
            # _ends).
            key_of = self._key_of
            touched |= {
                other
                for earlier in starts
                if earlier < start and (other := key_of.get((fingerprint, earlier)))
            }
        if old is not None and old != key:
            # Its mapping changed (annotations follow the latest delivery): the old key must
            # let it go too (ids stay with their key; see ``_owner``).
            self._by_key[old].discard(ek)
            touched.add(old)
        self._key_of[ek] = key
        members = self._by_key.get(key)
        if members is None:
            members = self._by_key[key] = set()
        members.add(ek)
        return touched

    # ---- people's merges and splits ----------------------------------------------------
    def directives(self, bonds: Iterable[Bond], pins: Mapping[EpisodeKey, str]) -> None:
        """What people merged and split before (from the casebook), given before
        :meth:`restore` so the same incidents come back."""
        for bond in bonds:
            self.covering.bond(bond)
        self.covering.pins.update(pins)

    def bond_of(self, absorbed: str, host: str) -> Bond:
        """What merging ``absorbed`` into ``host`` bonds: the episodes each holds now."""
        return (tuple(self.incidents[absorbed].episodes), tuple(self.incidents[host].episodes))

    def merge(self, absorbed: str, host: str) -> Bond:
        """A person merged incident ``absorbed`` into ``host`` (both held, neither merged
        away): from now on they are one incident, whatever their keys and times, and alerts
        that later join either join it (a bond between the episodes each holds:
        :mod:`bridge.core.covering`). Evaluation (pending) makes it so; ``absorbed`` then
        shows as merged into the incident that holds its alerts. Returns the bond."""
        a, b = self.incidents[absorbed], self.incidents[host]
        bond = self.bond_of(absorbed, host)
        self.covering.bond(bond)
        self._mark(self._regroup() | {a.key, b.key})
        return bond

    def split(self, episodes: Iterable[EpisodeKey], key: str) -> None:
        """A person took these episodes out of their incident: they form incidents of their
        own under ``key`` (:func:`bridge.core.regrouping.split_key`), never covered nor merged
        back by correlation. Evaluation (pending) makes it so."""
        touched: set[str] = set()
        for ek in episodes:
            self.covering.pins[ek] = key
            if ek in self._key_of:
                self.covering.place(ek, key)
                touched |= self._move(ek, key)
        self._mark(touched | self._regroup())

    def _mark(self, keys: set[str]) -> None:
        """These keys must be correlated again, in full."""
        self._pending |= keys
        self._risky |= keys
        self._ungrowable |= keys
        for key in keys:
            self._versions[key] = self._versions.get(key, 0) + 1

    def _regroup(self) -> set[str]:
        """Move the episodes covering places elsewhere (:mod:`bridge.core.covering`); return
        the keys they left and joined, now pending."""
        touched: set[str] = set()
        for ek, key in self.covering.regroup().items():
            if ek not in self._key_of:
                continue
            old = self._key_of[ek]
            moved = self._move(ek, key)
            if not moved:
                continue
            self._grown.get(old, {}).pop(ek, None)
            inc_id = self._fresh_join(ek)
            if inc_id is None:
                touched |= moved
            else:  # a new alert joining the covering incident: the key only grew
                self._mark({old})
                self._pending.add(key)
                self._versions[key] = self._versions.get(key, 0) + 1
                self._grow(key, ek, inc_id)
        self._mark(touched)
        return touched

    def _grow(self, key: str, ek: EpisodeKey, inc_id: str) -> None:
        """``ek`` joined ``key``'s ongoing incident ``inc_id`` (or resolved inside it): the
        key only grew. Call after the key's version counted the change."""
        self._grown.setdefault(key, {})[ek] = _Growth(inc_id, self._versions.get(key, 0))

    def _fresh_join(self, ek: EpisodeKey) -> str | None:
        """The ongoing incident of its key that a new alert (never evaluated, one start of its
        own) joins, or None (then its key is correlated in full)."""
        if ek in self._assignment or len(self._fp_starts.get(ek[0], ())) != 1:
            return None
        return self._joined_id(ek)  # unassigned: only an ongoing incident (closes_at None)

    def _move(self, ek: EpisodeKey, key: str) -> set[str]:
        """Put a held episode in correlation key ``key``; the keys it left and joined."""
        old = self._key_of[ek]
        if old == key:
            return set()
        self._by_key[old].discard(ek)
        self._by_key.setdefault(key, set()).add(ek)
        self._key_of[ek] = key
        return {old, key}

    def _ends(self, eks: Iterable[EpisodeKey]) -> dict[EpisodeKey, datetime | None]:
        """Each episode's end for correlation and impact (None: still going): its own, cut at
        the next start of its alert wherever that is held (its resolve was lost; covering or a
        split may hold the later one in another key), as
        :func:`~bridge.core.incidents.effective_ends` does within one key. Costs what ``eks``
        hold, not what their key holds."""
        held, fp_starts = self.episodes, self._fp_starts
        ends: dict[EpisodeKey, datetime | None] = {}
        for ek in eks:
            end = held[ek].end_for_impact()
            starts = fp_starts.get(ek[0], ())
            if len(starts) > 1:
                later = [s for s in starts if s > ek[1]]
                if later:
                    nxt = min(later)
                    end = nxt if end is None else min(end, nxt)
            ends[ek] = end
        return ends

    def restore(
        self,
        episodes: Iterable[AlertEpisode],
        incidents: Iterable[StoredIncident],
        truncation: Mapping[str, int],
        now: datetime,
    ) -> set[str]:
        """Rebuild from the store (see the module contract)."""
        stored = list(incidents)
        started = {inc.id: inc.started_at for inc in stored}
        for inc in stored:
            if inc.merged_into is None:
                for ek in inc.episodes:
                    self._assignment[ek] = inc.id
        self._restored_started = started
        keys = {key for ep in episodes for key in self._put(ep)}
        keys |= self._regroup()
        self._keep_truncation(truncation)
        changed: set[str] = set()
        for key in sorted(keys):
            changed |= self._recompute_isolated(key, now)
        self._pending -= keys
        self._risky -= keys
        for inc in stored:  # merged-away incidents stay visible as such
            if inc.merged_into is not None and inc.id not in self.incidents:
                self._merged_stub(
                    inc.id, inc.key, inc.started_at, list(inc.episodes), inc.merged_into
                )
        self._restored_started = {}
        return changed

    def recall(
        self,
        episodes: Iterable[AlertEpisode],
        incidents: Iterable[StoredIncident],
        now: datetime,
    ) -> set[str]:
        """Bring incidents that left memory back into this running engine with their stored
        episodes, under their stored ids, as :meth:`restore` rebuilds them at a restart (a
        person acts on one settled long ago: a regulator asks for a report weeks later). An
        episode memory already holds keeps the incident memory gives it. Their keys are
        evaluated at once, with whatever else is pending (a plan out for one of those keys is
        stale). A stored incident merged into another comes back as such, as :meth:`restore`
        keeps one (what it sent then counts as that one's again: :meth:`absorbed`), unless
        memory holds it. Returns the changed incident ids (those merged-away ones among them)."""
        stored = list(incidents)
        for inc in stored:
            if inc.merged_into is None:
                for ek in inc.episodes:
                    self._assignment.setdefault(ek, inc.id)
        self._restored_started = {inc.id: inc.started_at for inc in stored}
        try:
            keys: set[str] = set()
            for ep in episodes:
                keys |= self._put(ep)
            self._mark(keys | self._regroup())
            changed = self.evaluate_pending(now)
        finally:
            self._restored_started = {}
        for inc in stored:
            if inc.merged_into is not None and inc.id not in self.incidents:
                self._merged_stub(
                    inc.id, inc.key, inc.started_at, list(inc.episodes), inc.merged_into
                )
                changed.add(inc.id)
        return changed

    # ---- evaluation -------------------------------------------------------------------
    def _correlate(
        self, key: str
    ) -> tuple[list[Part], list[str], dict[str, str], dict[EpisodeKey, datetime | None]]:
        """Partition one key's episodes and name the parts (no timeline, no rules)."""
        eks = self._by_key.get(key, set())
        episodes = {ek: self.episodes[ek] for ek in eks}
        ends = self._ends(eks)
        together = self.covering.together
        joined = {ek: together[ek] for ek in eks if ek in together} if together else None
        parts = partition(key, episodes, ends, self.correlation, joined)
        started = _Starts(self.incidents, self._restored_started)
        # An id belongs to one key: an episode whose key changed (annotations, or correlation
        # settings between restarts) does not drag its old id into a second key.
        previous = {
            ek: inc_id
            for ek in eks
            if (inc_id := self._assignment.get(ek)) is not None
            and self._owner.setdefault(inc_id, key) == key
        }
        old_ids = set(self._ids_by_key.get(key, set()))
        for inc_id in previous.values():
            if inc_id in self.incidents and self.incidents[inc_id].merged_into is None:
                old_ids.add(inc_id)
        taken = _TakenElsewhere(self.incidents, old_ids)
        ids, merged = assign_ids(parts, previous, started, taken)
        return parts, ids, merged, ends

    def _recompute_key(self, key: str, now: datetime) -> set[str]:
        plan = self.plan(key, now)
        return self._commit(plan, compute(plan, self.topology, self.rule_sets))

    def _recompute_isolated(self, key: str, now: datetime) -> set[str]:
        return self._isolated(key, f"key {key}", lambda: self._recompute_key(key, now), set())

    def _reevaluate_isolated(self, incident: Incident, now: datetime) -> bool:
        return self._isolated(
            incident.key,
            f"incident {incident.id}",
            lambda: self._reevaluate(incident, now),
            False,
        )

    # ---- evaluation in three steps (so the heavy middle one can run elsewhere) ------------
    def next_plan(self, now: datetime, skip: Collection[str] = ()) -> KeyPlan | None:
        """Plan the next pending correlation key, ``skip`` aside (it stays pending until
        committed); one whose planning raises is set aside (module contract)."""
        for key in sorted(self._pending - self._planned - set(skip)):
            self._planned.add(key)
            plan = self._isolated(key, f"key {key}", partial(self.plan, key, now), None)
            if plan is not None:
                return plan
        return None

    def plan(self, key: str, now: datetime) -> KeyPlan:
        """Correlate one key and copy what :func:`compute` needs: immutable values only.
        A key whose only changes since it was last evaluated are new alerts joining its
        ongoing incident gets a *grown* plan (:meth:`_grown_plan`): that incident alone,
        extended, at the cost of the new alerts, not of what the key holds."""
        grown = self._grown_plan(key, now)
        if grown is not None:
            return grown
        parts, ids, merged, ends = self._correlate(key)
        intervals = [
            tuple((ek[1], ends[ek], self.targets[ek]) for ek in part.episodes) for part in parts
        ]
        overrides = tuple(self._overrides.get(inc_id) for inc_id in ids)
        return KeyPlan(
            key,
            self._versions.get(key, 0),
            now,
            parts,
            ids,
            merged,
            ends,
            intervals,
            overrides if any(overrides) else (),
        )

    def _grown_plan(self, key: str, now: datetime) -> KeyPlan | None:
        """The plan for a key that only grew (see :meth:`plan`), or None when it did anything
        else. Correlating it in full would give the same incidents: every new alert has an
        alert of its own (one start), starts at or after the ongoing incident's start, and
        that incident's reach is unbounded (an alert of it is going), so partitioning by
        time puts each new alert in it and changes no other incident of the key. Alerts of it
        that resolved since (:meth:`_ended_inside`) change only their end: it stays one
        incident and ongoing (checked again here, :meth:`_still_one`)."""
        grown = self._grown.get(key)
        if not grown or key in self._ungrowable:
            return None
        inc_id = next(iter(grown.values())).inc_id
        inc = self._growable(inc_id, key)
        if inc is None or any(other.inc_id != inc_id for other in grown.values()):
            return None
        view = inc.alerts
        assert view is not None and view.intervals is not None  # _growable
        key_ids = self._ids_by_key.get(key, set())
        held = sum(len(self.incidents[i].episodes) for i in key_ids if i in self.incidents)
        new = sorted((ek for ek in grown if ek not in view.ends), key=_BY_START)
        ended = [ek for ek in grown if ek in view.ends]
        if (
            inc_id not in key_ids
            or len(self._by_key.get(key, ())) != held + len(new)
            or (new and new[0][1] < inc.started_at)
            or any(self._key_of.get(ek) != key for ek in grown)
            or any(self._assignment.get(ek) != inc_id for ek in ended)
        ):
            return None
        if ended and not self._still_one(inc):
            return None
        new_ends = self._ends(new)
        base = view.intervals
        changed: dict[int, tuple[Interval, Interval]] = {}
        ends_now: dict[EpisodeKey, datetime] = {}
        if ended:
            order = list(view.ends)
            now_ends = self._ends(ended)
            swept = list(base)
            for ek in ended:
                end = now_ends[ek]
                if end is None:
                    return None
                i = order.index(ek)
                swept[i] = (ek[1], end, self.targets[ek])
                changed[i] = (base[i], swept[i])
                ends_now[ek] = end
            base = tuple(swept)
        intervals = base + tuple((ek[1], new_ends[ek], self.targets[ek]) for ek in new)
        grown_view = self._builder.grown_view(view, new, new_ends, intervals, ends_now)
        held_eks = inc.episodes  # in start order (IncidentBuilder.build)
        if new and held_eks and _BY_START(new[0]) < _BY_START(held_eks[-1]):
            # alerts sent late: each is put in its place (a few bisections and moves in C),
            # not the incident sorted again
            ordered = list(held_eks)
            for ek in new:
                bisect.insort(ordered, ek, key=_BY_START)
        else:
            ordered = [*held_eks, *new]
        part = Part(key, ordered, inc.started_at, None, None)
        return KeyPlan(
            key,
            self._versions.get(key, 0),
            now,
            [part],
            [inc_id],
            {},
            grown_view.ends,
            [intervals],
            (),
            (*new, *ended),
            grown_view,
            None
            if inc.derived is None
            else (inc.timeline, inc.derived, len(view.intervals), changed),
        )

    def commit(self, plan: KeyPlan, computed: Sequence[Computed]) -> set[str] | None:
        """Apply a computed plan and return the changed incident ids, or None when the plan is
        stale: its key changed, or was evaluated another way, since it was planned. A stale
        plan is dropped (the key stays pending and is planned again); applying it could
        assign alerts that a newer evaluation placed elsewhere. A caller that sees a key's
        plans go stale again and again evaluates it in place (:meth:`evaluate_key`).

        One exception, so that a storm's evaluations are not thrown away while alerts keep
        coming: a *grown* plan whose key, since, only took more new alerts joining the same
        incident (:meth:`_grown_after`) is applied, as what those alerts found, and the key
        stays pending with the alerts that came after it (they extend what was applied)."""
        self._planned.discard(plan.key)
        if plan.key not in self._pending:
            return None
        if self._versions.get(plan.key, 0) != plan.version:
            after = self._grown_after(plan)
            if after is None:
                return None
            changed = self._commit(plan, computed)  # forgets the key's growth: given back
            self._grown[plan.key] = after
            return changed
        self._pending.discard(plan.key)
        self._risky.discard(plan.key)
        before = {plan.key: set(self._ids_by_key.get(plan.key, ()))}
        return self._commit(plan, computed) | self._retire_emptied(before)

    def _grown_after(self, plan: KeyPlan) -> dict[EpisodeKey, _Growth] | None:
        """For a grown plan gone stale: the growth its key took since it was planned (its
        ``_grown`` entries), when that growth is all that changed since its
        last commit and the plan's alerts are still growth it did not commit (new alerts
        joining, or resolving inside, the plan's incident); else None. An alert of the plan
        that changed again since is growth again, later than the plan: what is applied is
        what it was, and the next plan extends that with what it is."""
        key = plan.key
        if plan.grown is None or key in self._ungrowable:  # (every risky key is ungrowable)
            return None
        grown, version = self._grown.get(key, {}), plan.version
        if any(ek not in grown or grown[ek].version > version for ek in plan.grown):
            return None  # a commit since (it forgot the growth), and the alert grew again
        # the rest came after the plan (the plan took every alert grown before it)
        return {ek: g for ek, g in grown.items() if g.version > version}

    def is_pending(self, key: str) -> bool:
        """True while ``key`` has something admitted and not evaluated."""
        return key in self._pending

    def evaluate_key(self, key: str, now: datetime) -> set[str]:
        """Evaluate one pending key in place, whatever plans are out for it."""
        if key not in self._pending:
            return set()
        self._pending.discard(key)
        self._risky.discard(key)
        before = {key: set(self._ids_by_key.get(key, ()))}
        return self._recompute_isolated(key, now) | self._retire_emptied(before)

    def _commit(self, plan: KeyPlan, computed: Sequence[Computed]) -> set[str]:
        key, now = plan.key, plan.now
        self._grown.pop(key, None)
        self._provisional.pop(key, None)
        self._ungrowable.discard(key)
        changed: set[str] = set()
        for inc_id, part, intervals, (timeline, derived, assessments) in zip(
            plan.ids, plan.parts, plan.intervals, computed, strict=True
        ):
            for ek in part.episodes if plan.grown is None else plan.grown:
                self._assignment[ek] = inc_id
            incident = self._builder.build(
                inc_id,
                key,
                part.episodes,
                part.started_at,
                part.last_end,
                part.reach,
                timeline,
                derived,
                plan.ends,
                now,
                assessments,
                plan.view,
                intervals if keeps_sweep(len(intervals)) else None,
                ordered=plan.grown is not None,
            )
            if self._store_if_changed(incident):
                changed.add(inc_id)
        if plan.grown is not None:
            return changed  # the key's other incidents stand
        for old, new in plan.merged.items():
            prev = self.incidents.get(old)
            if prev is not None and prev.merged_into != new:
                self._merged_stub(old, key, prev.started_at, prev.episodes, new)
                changed.add(old)
        self._ids_by_key[key] = set(plan.ids)
        for inc_id in plan.ids:
            self._owner[inc_id] = key
        return changed

    def _merged_stub(
        self, inc_id: str, key: str, started: datetime, eks: list[EpisodeKey], into: str
    ) -> None:
        self.incidents[inc_id] = Incident.hollow(inc_id, key, started, eks, into)
        self._impact_incidents.add(inc_id)
        self._absorbed.setdefault(into, set()).add(inc_id)

    def _store_if_changed(self, incident: Incident) -> bool:
        before = self.incidents.get(incident.id)
        self.incidents[incident.id] = incident
        self._impact_incidents.add(incident.id)
        if incident.next_check_at is not None:
            heapq.heappush(self._heap, (incident.next_check_at, incident.id))
        verdict = incident.verdict()
        known = self._verdicts.get(incident.id)
        self._verdicts[incident.id] = (incident, verdict)
        if before is None:
            return True
        # the verdict kept when ``before`` was stored, unless it was stored another way
        before_verdict = known[1] if known is not None and known[0] is before else before.verdict()
        return before_verdict != verdict

    def tick(self, now: datetime) -> set[str]:
        """Re-evaluate incidents with something due by ``now`` (and anything admitted but not
        yet evaluated); return those that changed."""
        changed = self.evaluate_pending(now) if self.has_pending else set()
        seen: set[str] = set()
        while self._heap and self._heap[0][0] <= now:
            due_at, inc_id = heapq.heappop(self._heap)
            incident = self.incidents.get(inc_id)
            if incident is None or incident.next_check_at != due_at or inc_id in seen:
                continue  # superseded heap entry
            seen.add(inc_id)
            if self._reevaluate_isolated(incident, now):
                changed.add(inc_id)
        return changed

    def set_notices(
        self,
        inc_id: str,
        events: Mapping[str, datetime],
        states: Mapping[str, str],
        now: datetime,
    ) -> bool:
        """Record what an incident's notices say (events such as ``initial_sent`` and each
        kind's draft state) and re-evaluate its obligations; True if the incident changed."""
        if self._notice_events.get(inc_id, {}) == dict(events) and self._notice_states.get(
            inc_id, {}
        ) == dict(states):
            return False
        self._notice_events[inc_id] = dict(events)
        self._notice_states[inc_id] = dict(states)
        incident = self.incidents.get(inc_id)
        if incident is None or incident.merged_into is not None:
            return False
        return self._reevaluate(incident, now)

    def set_override(self, inc_id: str, override: ImpactOverride | None) -> bool:
        """A person's impact override for an incident (None: lifted); its correlation key is
        evaluated again with the pending ones (the timeline changes, not only the verdicts).
        False when nothing changed or memory does not hold the incident."""
        incident = self.incidents.get(inc_id)
        if incident is None or self._overrides.get(inc_id) == override:
            return False
        if override is None:
            del self._overrides[inc_id]
        else:
            self._overrides[inc_id] = override
        self._impact_incidents.add(inc_id)
        if incident.merged_into is not None:
            return False
        self._mark({incident.key})
        return True

    def override_of(self, inc_id: str) -> ImpactOverride | None:
        return self._overrides.get(inc_id)

    def _reevaluate(self, incident: Incident, now: datetime) -> bool:
        """Evaluate an incident again at ``now`` on its standing timeline; True if it changed."""
        eks = incident.episodes
        view = incident.alerts
        if view is not None:  # its alerts have not changed since: what they said stands
            ends, last_end, reach = view.ends, view.last_end, view.reach
        else:
            ends = self._ends(eks)
            last_end = (
                None
                if any(ends[ek] is None for ek in eks)
                else max(e for ek in eks if (e := ends[ek]) is not None)
            )
            reach = self._reach(incident, ends)
        rebuilt = self._builder.build(
            incident.id,
            incident.key,
            eks,
            incident.started_at,
            last_end,
            reach,
            incident.timeline,
            incident.derived or Derived.of(incident.timeline, None, None, self._measure_keys),
            ends,
            now,
            incident.assessments or None,
            view,
            ordered=True,  # an incident's alerts are held in start order (IncidentBuilder.build)
        )
        return self._store_if_changed(rebuilt)

    def _reach(
        self, incident: Incident, ends: Mapping[EpisodeKey, datetime | None]
    ) -> datetime | None:
        reach = incident.started_at
        for ek in incident.episodes:
            end = ends[ek]
            if end is None:
                return None
            reach = max(reach, self.correlation.reach(incident.key, ek[1], end))
        return reach

    # ---- memory -----------------------------------------------------------------------
    def evictable(self, inc_id: str) -> bool:
        """True unless the incident's correlation key has evaluation pending or planned (its
        episodes may be about to move)."""
        incident = self.incidents.get(inc_id)
        return (
            incident is not None
            and incident.key not in self._pending
            and incident.key not in self._planned
        )

    def evict(self, ids: Iterable[str]) -> set[str]:
        """Let incidents go from memory with their episodes and whatever refers to them (the
        store keeps them: reads by id and by page serve them from there); incidents merged
        into one that goes, go too. Returns the ids that went (those :meth:`evictable`)."""
        gone: set[str] = set()
        for inc_id in ids:
            if inc_id in gone or not self.evictable(inc_id):
                continue
            incident = self.incidents.pop(inc_id)
            if inc_id in self._counted:  # else nothing to uncount: the set stays bounded
                self._impact_incidents.add(inc_id)
            else:
                self._impact_incidents.discard(inc_id)
            gone.add(inc_id)
            if incident.merged_into is None:
                for ek in incident.episodes:
                    self._forget_episode(ek, inc_id)
            key_ids = self._ids_by_key.get(incident.key)
            if key_ids is not None:
                key_ids.discard(inc_id)
                if not key_ids and not self._by_key.get(incident.key):
                    del self._ids_by_key[incident.key]
                    self._by_key.pop(incident.key, None)
                    self._versions.pop(incident.key, None)
                    self._provisional.pop(incident.key, None)
            self._owner.pop(inc_id, None)
            self._absorbed.pop(inc_id, None)
            if incident.merged_into is not None:
                self._absorbed.get(incident.merged_into, set()).discard(inc_id)
            self._verdicts.pop(inc_id, None)
            self._notice_events.pop(inc_id, None)
            self._notice_states.pop(inc_id, None)
            self._overrides.pop(inc_id, None)
        stubs = [i for i, inc in self.incidents.items() if inc.merged_into in gone]
        if stubs:
            gone |= self.evict(stubs)
        if gone:
            self.covering.let_go()
        return gone

    def _forget_episode(self, ek: EpisodeKey, inc_id: str) -> None:
        if self._assignment.get(ek) != inc_id:
            return  # it belongs to another incident now
        self._assignment.pop(ek, None)
        held = self.episodes.pop(ek, None)
        if held is not None:
            self._ungroup(held.group_key)
        self.targets.pop(ek, None)
        if ek in self._holders:  # counted now: affected_now lets it go
            self._impact_dirty.add(ek)
        else:
            self._impact_dirty.discard(ek)
        key = self._key_of.pop(ek, None)
        if key is not None:
            self._by_key.get(key, set()).discard(ek)
        self.covering.forget(ek)
        starts = self._fp_starts.get(ek[0])
        if starts is not None:
            starts.discard(ek[1])
            if not starts:
                del self._fp_starts[ek[0]]

    # ---- views ------------------------------------------------------------------------
    def absorbed(self, inc_id: str) -> list[str]:
        """The incidents merged into this one, directly or through one merged into it (their
        notices already sent count as this one's: nothing is reported twice)."""
        out: list[str] = []
        todo = [inc_id]
        while todo:
            for other in sorted(self._absorbed.get(todo.pop(), ())):
                stub = self.incidents.get(other)
                if stub is not None and stub.merged_into is not None and other not in out:
                    out.append(other)
                    todo.append(other)
        return out

    def host(self, inc_id: str) -> str:
        """The incident this one was merged into, followed to the end (itself if none)."""
        seen = {inc_id}
        inc = self.incidents.get(inc_id)
        while inc is not None and inc.merged_into is not None and inc.merged_into not in seen:
            seen.add(inc.merged_into)
            inc_id = inc.merged_into
            inc = self.incidents.get(inc_id)
        return inc_id

    def incident_of(self, key: EpisodeKey) -> str | None:
        """The incident an episode belongs to now."""
        return self._assignment.get(key)

    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents.values() if i.state == OPEN]

    def affected_now(self) -> dict[tuple[str, str], int]:
        """What the open incidents take down now, together, each connection once, per
        (service, region) (:func:`~bridge.core.impact.affected_once` of the targets of their
        firing alerts, or of a person's override where one stands for an incident's alerts).
        Kept by differences since the last call (:class:`~bridge.core.impact.AffectedNow`):
        costs what changed in the incidents put, removed or overridden since, and the alerts
        whose status or mapping changed since, not every alert held nor a pass over the
        incidents (a metrics scrape reads it on the event loop)."""
        counted, holders, recheck = self._counted, self._holders, self._impact_dirty
        changes: dict[object, Target | None] = {}
        for inc_id in self._impact_incidents:
            inc = self.incidents.get(inc_id)
            if inc is None or inc.state != OPEN:
                if inc_id in counted:
                    self._count(inc_id, None, None, recheck, changes)
                continue
            override = self._overrides.get(inc_id)
            before = counted.get(inc_id)
            if before is None or before[0] is not inc or before[1] is not override:
                self._count(inc_id, inc, override, recheck, changes)
        self._impact_incidents.clear()
        targets, episodes = self.targets, self.episodes
        for ek in recheck:
            target = targets.get(ek) if ek in holders else None
            if target is not None and episodes[ek].status != "firing":  # end_for_impact(): hot
                target = None
            changes[ek] = target
        recheck.clear()
        return self._affected_now.update(changes)

    def _count(
        self,
        inc_id: str,
        inc: Incident | None,
        override: ImpactOverride | None,
        recheck: set[EpisodeKey],
        changes: dict[object, Target | None],
    ) -> None:
        """affected_now's step for one incident: count ``inc`` (None: no longer open or held)
        with ``override`` instead of what it counted before; the episodes it took or let go
        go to ``recheck``, an override's targets to ``changes``."""
        holders = self._holders
        before, before_override = self._counted.pop(inc_id, (None, None))
        was: set[EpisodeKey] = set()
        if before is not None:
            if before_override is None:
                was = set(before.episodes)
            elif before.remedied_at is None:
                changes.update(((inc_id, n), None) for n in range(len(before_override.targets)))
        now: set[EpisodeKey] = set()
        if inc is not None:
            self._counted[inc_id] = (inc, override)
            if override is None:
                now = set(inc.episodes)
            elif inc.remedied_at is None:
                changes.update(((inc_id, n), t) for n, t in enumerate(override.targets))
        for ek in was - now:
            left = holders[ek] - 1
            if left:
                holders[ek] = left
            else:
                del holders[ek]
        for ek in now - was:
            holders[ek] = holders.get(ek, 0) + 1
        recheck |= was ^ now

    def stored_form(self, inc_id: str) -> StoredIncident:
        inc = self.incidents[inc_id]
        return StoredIncident(inc.id, inc.key, inc.started_at, inc.episodes, inc.merged_into)


class _Provisional(NamedTuple):
    """A risky key's going last part as correlating it at admission gave it: the key's
    version then (or after the new alerts that joined it since), the part's first alert as
    (start, fingerprint), and its id."""

    version: int
    first: tuple[datetime, str]
    inc_id: str


class _Growth(NamedTuple):
    """A grown alert's incident, and its key's version when the alert last changed."""

    inc_id: str
    version: int


@dataclass(frozen=True, slots=True)
class _Before:
    """A key's one ongoing incident, its start, and the latest reach of its other incidents
    (None: it has none): what :meth:`Engine._joined_from_before` needs."""

    inc_id: str
    started_at: datetime
    floor: datetime | None


def _ongoing(inc: Incident) -> bool:
    """Not merged away, open, and its reach unbounded (an alert of it still going)."""
    return inc.merged_into is None and inc.state == OPEN and inc.closes_at is None
