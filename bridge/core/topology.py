"""The operator's inventory as a tree, and what a down element takes with it.

Contract:
- :class:`Topology` is built once from elements (any order); unknown parents and cycles raise
  :class:`~bridge.errors.BadInput` naming the element.
- Every element gets an Euler-tour interval ``[tin, tout]``: ``a`` is an ancestor of ``b``
  (or ``b`` itself) exactly when ``tin[a] <= tin[b] <= tout[a]``. Impact code uses that to find
  covered elements with bisection instead of walking trees.
- :meth:`Topology.subtree_vector` is the element's whole subtree summed as an impact
  :data:`Vector` (connections per jurisdiction × service × region, area, capacity share, flag
  counts); cached, computed on first use, so loading 10^5 elements stays cheap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bridge.errors import BadInput

#: An impact vector. Keys are tuples:
#: ``("conn", jurisdiction, service, region)`` → active connections,
#: ``("area", jurisdiction)`` → km², ``("cap", jurisdiction)`` → capacity share (0..1),
#: ``("flag", jurisdiction, name)`` → number of flagged elements (emergency_112, societal,
#: wholesale).
Vector = dict[tuple[str, ...], float]

FLAGS = ("emergency_112", "societal", "wholesale")


def add_into(target: Vector, delta: Mapping[tuple[str, ...], float], sign: int = 1) -> None:
    """target += sign * delta, dropping keys that reach zero."""
    for key, value in delta.items():
        new = target.get(key, 0) + sign * value
        if abs(new) < 1e-9:
            target.pop(key, None)
        else:
            target[key] = new


@dataclass(frozen=True, slots=True)
class Element:
    """One inventory node. ``connections`` maps service name → active connections."""

    id: str
    parent: str | None
    jurisdiction: str
    region: str
    kind: str = ""
    connections: Mapping[str, int] = field(default_factory=dict)
    area_km2: float = 0.0
    capacity_share: float = 0.0
    emergency_112: bool = False
    societal: bool = False
    wholesale: bool = False

    def own_vector(self) -> Vector:
        """This element alone (not its subtree) as an impact vector."""
        j = self.jurisdiction
        vec: Vector = {}
        for service, count in self.connections.items():
            if count:
                vec[("conn", j, service, self.region)] = count
        if self.area_km2:
            vec[("area", j)] = self.area_km2
        if self.capacity_share:
            vec[("cap", j)] = self.capacity_share
        for flag in FLAGS:
            if getattr(self, flag):
                vec[("flag", j, flag)] = 1
        return vec


class Topology:
    """Immutable inventory tree with Euler-tour intervals and lazily cached subtree sums."""

    def __init__(
        self,
        elements: Iterable[Element],
        region_names: Mapping[str, str] | None = None,
        service_totals: Mapping[str, Mapping[str, int]] | None = None,
    ):
        """``service_totals`` (jurisdiction → service → connections) overrides the sums the
        inventory gives, for operators whose inventory covers only part of the network."""
        self.elements: dict[str, Element] = {}
        for el in elements:
            if el.id in self.elements:
                raise BadInput(f"element {el.id}", "duplicate element id")
            self.elements[el.id] = el
        self.region_names: dict[str, str] = dict(region_names or {})
        children: dict[str | None, list[str]] = defaultdict(list)
        for el in self.elements.values():
            if el.parent is not None and el.parent not in self.elements:
                raise BadInput(f"element {el.id}.parent", f"unknown parent {el.parent!r}")
            children[el.parent].append(el.id)
        self._children = {k: sorted(v) for k, v in children.items()}
        self.tin: dict[str, int] = {}
        self.tout: dict[str, int] = {}
        self.order: list[str] = []  # element ids by tin
        self._euler()
        if len(self.order) != len(self.elements):
            stuck = sorted(set(self.elements) - set(self.tin))
            on_cycle = self._on_cycle(stuck[0])
            raise BadInput(
                f"element {on_cycle}.parent", f"parent chain forms a cycle ({stuck[:5]})"
            )
        self._subtree_cache: dict[str, Vector] = {}
        self._above: dict[str, frozenset[str]] = {}
        self._sum_cache: dict[tuple[str, str, str | None], float] = {}
        self._service_totals = {j: dict(v) for j, v in (service_totals or {}).items()}
        self.totals: Vector = {}
        for el in self.elements.values():
            add_into(self.totals, el.own_vector())
        #: the (jurisdiction, service) and (jurisdiction, service, region) the inventory counts
        #: connections in: :meth:`_sum_conn` remembers only these (any other sums to nothing;
        #: an alert can name any service or region itself)
        self._conn_scopes: frozenset[tuple[object, ...]] = frozenset(
            scope for k in self.totals if k[0] == "conn" for scope in (k[1:3], k[1:4])
        )
        #: Services and regions the operator declared (inventory, ``service_totals``): the only
        #: values metrics show as labels; any other an alert names counts as ``other``.
        self.services: frozenset[str] = frozenset(
            {svc for el in self.elements.values() for svc in el.connections}
            | {svc for totals in self._service_totals.values() for svc in totals}
        )
        self.regions: frozenset[str] = frozenset(
            {el.region for el in self.elements.values() if el.region} | set(self.region_names)
        )

    def _on_cycle(self, start: str) -> str:
        # An element not reached from any root has a parent chain that loops; follow it
        # until it repeats so the error names an element on the loop, not one hanging below.
        seen: set[str] = set()
        node = start
        while node not in seen:
            seen.add(node)
            parent = self.elements[node].parent
            assert parent is not None  # roots are always reached
            node = parent
        return node

    def _euler(self) -> None:
        counter = 0
        for root in self._children.get(None, []):
            stack: list[tuple[str, bool]] = [(root, False)]
            while stack:
                node, done = stack.pop()
                if done:
                    self.tout[node] = counter - 1
                    continue
                self.tin[node] = counter
                self.order.append(node)
                counter += 1
                stack.append((node, True))
                for child in reversed(self._children.get(node, [])):
                    stack.append((child, False))

    def __len__(self) -> int:
        return len(self.elements)

    def __contains__(self, element_id: object) -> bool:
        return element_id in self.elements

    def is_ancestor_or_self(self, ancestor: str, element: str) -> bool:
        return self.tin[ancestor] <= self.tin[element] <= self.tout[ancestor]

    def ancestors(self, element_id: str) -> list[str]:
        """Parent first, root last."""
        out: list[str] = []
        parent = self.elements[element_id].parent
        while parent is not None:
            out.append(parent)
            parent = self.elements[parent].parent
        return out

    def ancestor_of_kind(self, element_id: str, kind: str) -> str | None:
        """The element itself or its nearest ancestor whose ``kind`` is ``kind``."""
        node: str | None = element_id
        while node is not None:
            el = self.elements[node]
            if el.kind == kind:
                return node
            node = el.parent
        return None

    def is_above_kind(self, element_id: str, kind: str) -> bool:
        """True when the element is above the level of ``kind``: neither it nor an ancestor is
        of that kind, but elements of that kind lie beneath it (a core router over sites, when
        incidents correlate by site)."""
        above = self._above.get(kind)
        if above is None:
            below: set[str] = set()
            for el in self.elements.values():
                if el.kind == kind:
                    below.update(self.ancestors(el.id))
            above = frozenset(e for e in below if self.ancestor_of_kind(e, kind) is None)
            self._above[kind] = above
        return element_id in above

    def depth(self, element_id: str) -> int:
        """How many ancestors the element has (a root: 0)."""
        return len(self.ancestors(element_id))

    def subtree_vector(self, element_id: str) -> Vector:
        """Sum of own vectors over the element's subtree (cached; do not mutate the result)."""
        cached = self._subtree_cache.get(element_id)
        if cached is not None:
            return cached
        vec: Vector = {}
        for node in self.order[self.tin[element_id] : self.tout[element_id] + 1]:
            add_into(vec, self.elements[node].own_vector())
        self._subtree_cache[element_id] = vec
        return vec

    def warm(self) -> None:
        """Compute every subtree vector now (children before parents, each once), so the
        first alerts of a storm do not pay for them."""
        for node in reversed(self.order):
            if node in self._subtree_cache:
                continue
            vec = self.elements[node].own_vector()
            for child in self._children.get(node, ()):
                add_into(vec, self.subtree_vector(child))
            self._subtree_cache[node] = vec

    def service_names(self) -> set[str]:
        """The service keys the inventory counts connections of."""
        return {str(k[2]) for k in self.totals if k[0] == "conn"}

    def service_total(self, jurisdiction: str, service: str) -> float:
        """All active connections of a service in a jurisdiction (configured total first)."""
        configured = self._service_totals.get(jurisdiction, {}).get(service)
        if configured is not None:
            return float(configured)
        return self._sum_conn(jurisdiction, service, None)

    def region_total(self, jurisdiction: str, service: str, region: str) -> float:
        return self._sum_conn(jurisdiction, service, region)

    def _sum_conn(self, jurisdiction: str, service: str, region: str | None) -> float:
        key = (jurisdiction, service, region)  # None (all regions) differs from region ""
        cached = self._sum_cache.get(key)
        if cached is not None:
            return cached
        if (jurisdiction, service) not in self._conn_scopes or (
            region is not None and key not in self._conn_scopes
        ):
            return 0  # what the sum below gives: no connections counted there
        total = sum(
            v
            for k, v in self.totals.items()
            if k[0] == "conn"
            and k[1] == jurisdiction
            and k[2] == service
            and (region is None or k[3] == region)
        )
        self._sum_cache[key] = total
        return total


EMPTY_TOPOLOGY = Topology([])
