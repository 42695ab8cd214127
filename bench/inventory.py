"""A generated operator inventory: core → sites → OLTs/cells → leaves (PON ports, sectors).

Deterministic for a given size and seed. Connections sit on the leaves (as in a real inventory:
an OLT has none of its own, its PON ports have subscribers); sites carry an area and a small
capacity share; half the cells carry 112 traffic, a few are societal (hospitals). Used by the
webhook benchmark (as a CSV file the bridge loads) and by the evaluation benchmark (in memory).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from bridge.core.topology import Element, Topology

#: Elements per site: the site, its aggregation elements and their leaves (about).
SITE_SIZE = 200
AGGREGATIONS_PER_SITE = 10  # 6 OLTs and 4 cells
OLTS_PER_SITE = 6

SE_REGIONS = [
    f"SE-{code:04d}"
    for code in (
        114,
        115,
        117,
        120,
        123,
        125,
        126,
        127,
        128,
        136,
        138,
        139,
        140,
        160,
        162,
        163,
        180,
        181,
        182,
        183,
        184,
        186,
        187,
        188,
        191,
        192,
        305,
        319,
        330,
        331,
        360,
        380,
        381,
        382,
        428,
        461,
        480,
        481,
        482,
        483,
        484,
        486,
        488,
        509,
        512,
        513,
        560,
        561,
        562,
        563,
        580,
        581,
        583,
        584,
        2303,
        2305,
        2309,
        2313,
        2321,
        2326,
        2361,
        2380,
    )
]
NO_REGIONS = [
    f"NO-{code:04d}"
    for code in (
        301,
        1103,
        1108,
        3201,
        3203,
        3205,
        3301,
        3403,
        3905,
        4204,
        4601,
        5001,
        5501,
        5601,
    )
]


@dataclass(frozen=True, slots=True)
class Inventory:
    """The generated elements plus the groupings the benchmarks draw alerts from."""

    elements: list[Element]
    sites: list[str]
    by_site: dict[str, list[str]]  # site → every element of its subtree, site first

    def topology(self) -> Topology:
        return Topology(self.elements, {r: r for r in SE_REGIONS + NO_REGIONS})


def generate(size: int, seed: int = 1) -> Inventory:
    """Exactly ``size`` elements (at least 13)."""
    if size < 13:
        raise ValueError("an inventory needs at least 13 elements (2 cores and one site)")
    rnd = random.Random(seed)
    cores = {
        "SE": Element(
            "se-core-sto", None, "SE", "SE-0180", kind="core", capacity_share=0.05, wholesale=True
        ),
        "NO": Element("no-core-osl", None, "NO", "NO-0301", kind="core", wholesale=True),
    }
    elements: list[Element] = list(cores.values())
    n_sites = max(1, (size - 2) // SITE_SIZE)
    n_leaves = size - 2 - n_sites * (1 + AGGREGATIONS_PER_SITE)
    n_aggs = n_sites * AGGREGATIONS_PER_SITE
    sites: list[str] = []
    by_site: dict[str, list[str]] = {}
    agg_index = 0
    for s in range(n_sites):
        jurisdiction = "NO" if s % 5 == 4 else "SE"
        region = rnd.choice(NO_REGIONS if jurisdiction == "NO" else SE_REGIONS)
        site_id = f"{jurisdiction.lower()}-site-{s:05d}"
        elements.append(
            Element(
                site_id,
                cores[jurisdiction].id,
                jurisdiction,
                region,
                kind="site",
                area_km2=round(rnd.uniform(20, 2500), 1),
                capacity_share=0.0004,
            )
        )
        sites.append(site_id)
        members = [site_id]
        for a in range(AGGREGATIONS_PER_SITE):
            olt = a < OLTS_PER_SITE
            agg_id = f"{site_id}-{'olt' if olt else 'cell'}-{a}"
            elements.append(
                Element(
                    agg_id,
                    site_id,
                    jurisdiction,
                    region,
                    kind="olt" if olt else "cell",
                    emergency_112=not olt and rnd.random() < 0.5,
                    societal=not olt and rnd.random() < 0.05,
                )
            )
            members.append(agg_id)
            # spread the leaves evenly over all aggregation elements
            leaves = n_leaves // n_aggs + (1 if agg_index < n_leaves % n_aggs else 0)
            agg_index += 1
            for leaf in range(leaves):
                leaf_id = f"{agg_id}-{'pon' if olt else 'sec'}-{leaf}"
                conns = (
                    {
                        "internet": rnd.randint(16, 64),
                        "tv": rnd.randint(4, 24),
                        "telephony": rnd.randint(0, 8),
                    }
                    if olt
                    else {"mobile": rnd.randint(80, 400)}
                )
                elements.append(
                    Element(
                        leaf_id,
                        agg_id,
                        jurisdiction,
                        region,
                        kind="pon" if olt else "sector",
                        connections=conns,
                    )
                )
                members.append(leaf_id)
        by_site[site_id] = members
    assert len(elements) == size, (len(elements), size)
    return Inventory(elements, sites, by_site)


SERVICES = ("internet", "tv", "telephony", "mobile")


def write_csv(inventory: Inventory, path: Path) -> Path:
    """The inventory in the bridge's CSV format (see bridge/inventory.py)."""
    header = [
        "id",
        "parent",
        "jurisdiction",
        "region",
        "kind",
        "area_km2",
        "capacity_share",
        "emergency_112",
        "societal",
        "wholesale",
        *(f"conn_{s}" for s in SERVICES),
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for el in inventory.elements:
            writer.writerow(
                [
                    el.id,
                    el.parent or "",
                    el.jurisdiction,
                    el.region,
                    el.kind,
                    el.area_km2 or "",
                    el.capacity_share or "",
                    "true" if el.emergency_112 else "",
                    "true" if el.societal else "",
                    "true" if el.wholesale else "",
                    *(el.connections.get(s, "") for s in SERVICES),
                ]
            )
    return path


def alertname_for(element_id: str) -> str:
    """A plausible alert name for an element, from its id's kind part."""
    if "-pon-" in element_id:
        return "PonPortDown"
    if "-sec-" in element_id:
        return "SectorDown"
    if "-olt-" in element_id:
        return "OltDown"
    if "-cell-" in element_id:
        return "CellDown"
    if "-site-" in element_id:
        return "SiteUnreachable"
    return "CoreDown"
