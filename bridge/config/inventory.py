"""Read the operator's inventory from YAML or CSV into a :class:`~bridge.core.topology.Topology`.

Contract:
- YAML: ``{regions: {code: name}, elements: [{id, parent, jurisdiction, region, kind,
  connections: {service: n}, area_km2, capacity_share, emergency_112, societal, wholesale}]}``.
- CSV (for 10^5 elements and more): header ``id,parent,jurisdiction,region`` plus optional
  ``kind,region_name,area_km2,capacity_share,emergency_112,societal,wholesale`` and one
  ``conn_<service>`` column per service. Empty cells mean "none".
- Every problem raises :class:`~bridge.errors.ConfigError` naming the file, the line (CSV) or
  element index (YAML), the field and what was expected; all problems are listed at once (up to
  a limit), so an operator fixes a large file in one pass.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bridge.config.errors import read_text
from bridge.core.mapping import MAX_CONNECTIONS
from bridge.core.topology import Element, Topology
from bridge.errors import BadInput, ConfigError

JURISDICTIONS = ("SE", "NO")
_TRUE = {"true", "yes", "1", "y", "ja"}
_FALSE = {"false", "no", "0", "n", "nej", ""}
_KNOWN_CSV = {
    "id",
    "parent",
    "jurisdiction",
    "region",
    "kind",
    "region_name",
    "area_km2",
    "capacity_share",
    "emergency_112",
    "societal",
    "wholesale",
}
_KNOWN_YAML = _KNOWN_CSV - {"region_name"} | {"connections"}
_MAX_PROBLEMS = 50


class _Problems:
    def __init__(self, file: Path) -> None:
        self.file = file
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append(f"{self.file}: {where}: {what}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


def _flag(value: object, where: str, problems: _Problems) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text not in _FALSE:
        problems.add(where, f"expected true/false, got {value!r}")
    return False


def _number(value: object, where: str, problems: _Problems, *, integer: bool) -> float:
    if value is None or value == "":
        return 0
    try:
        number = int(str(value)) if integer else float(str(value))
    except ValueError:
        problems.add(where, f"expected {'an integer' if integer else 'a number'}, got {value!r}")
        return 0
    if not math.isfinite(number):
        # float() accepts 'nan' and 'inf'; a NaN area or share would poison every sum silently.
        problems.add(where, f"expected a finite number, got {value!r}")
        return 0
    if number < 0:
        problems.add(where, f"must not be negative, got {value!r}")
        return 0
    if integer and number > MAX_CONNECTIONS:  # the integers are counts of connections
        problems.add(where, f"more than {MAX_CONNECTIONS} connections, got {value!r}")
        return 0
    return number


def _element(
    row: Mapping[str, Any], conns: dict[str, int], where: str, p: _Problems
) -> Element | None:
    el_id = str(row.get("id") or "").strip()
    if not el_id:
        p.add(f"{where}.id", "missing")
        return None
    jurisdiction = str(row.get("jurisdiction") or "").strip().upper()
    if jurisdiction not in JURISDICTIONS:
        hint = (
            ' (write "NO" in quotes: YAML reads bare NO as false)'
            if row.get("jurisdiction") is False
            else ""
        )
        p.add(f"{where}.jurisdiction", f"expected SE or NO, got {row.get('jurisdiction')!r}{hint}")
    region = str(row.get("region") or "").strip()
    if not region:
        p.add(f"{where}.region", "missing")
    capacity = _number(row.get("capacity_share"), f"{where}.capacity_share", p, integer=False)
    if capacity > 1:
        p.add(f"{where}.capacity_share", f"is a share between 0 and 1, got {capacity}")
    parent = row.get("parent")
    return Element(
        id=el_id,
        parent=str(parent).strip() if parent not in (None, "") else None,
        jurisdiction=jurisdiction,
        region=region,
        kind=str(row.get("kind") or "").strip(),
        connections=conns,
        area_km2=_number(row.get("area_km2"), f"{where}.area_km2", p, integer=False),
        capacity_share=capacity,
        emergency_112=_flag(row.get("emergency_112"), f"{where}.emergency_112", p),
        societal=_flag(row.get("societal"), f"{where}.societal", p),
        wholesale=_flag(row.get("wholesale"), f"{where}.wholesale", p),
    )


def _check_tree(elements: list[tuple[str, Element]], problems: _Problems) -> None:
    """Duplicate ids and unknown parents, every one with its line / index (Topology stops at the
    first and knows only the element id)."""
    first: dict[str, str] = {}
    for where, el in elements:
        if el.id in first:
            problems.add(f"{where}.id", f"duplicate element id {el.id!r} (first at {first[el.id]})")
        else:
            first[el.id] = where
    for where, el in elements:
        if el.parent is not None and el.parent not in first:
            problems.add(f"{where}.parent", f"unknown parent {el.parent!r}")
    problems.raise_if_any()


def _build(
    file: Path,
    elements: list[tuple[str, Element]],
    regions: dict[str, str],
    service_totals: Mapping[str, Mapping[str, int]] | None,
) -> Topology:
    """``elements`` are (line or index, element) pairs."""
    _check_tree(elements, _Problems(file))
    try:
        return Topology([el for _, el in elements], regions, service_totals)
    except BadInput as exc:  # only a cycle is left; Topology names the element, add its place
        el_id = exc.field.removeprefix("element ").removesuffix(".parent")
        where = next((w for w, el in elements if el.id == el_id), None)
        if where is None:
            raise ConfigError([f"{file}: {exc}"]) from None
        raise ConfigError([f"{file}: {where}.parent: {exc.problem} (element {el_id})"]) from None


def load_csv(path: Path, service_totals: Mapping[str, Mapping[str, int]] | None = None) -> Topology:
    problems = _Problems(path)
    elements: list[tuple[str, Element]] = []
    regions: dict[str, str] = {}
    fh = io.StringIO(read_text(path), newline="")
    with fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for column in ("id", "parent", "jurisdiction", "region"):
            if column not in header:
                problems.add("header", f"missing column {column!r}")
        seen: set[str] = set()
        for column in header:
            if column in seen:
                # csv.DictReader keeps the last cell of a repeated column: the first is lost
                problems.add("header", f"column {column!r} appears more than once")
            seen.add(column)
            if column not in _KNOWN_CSV and not column.startswith("conn_"):
                problems.add("header", f"unknown column {column!r} (services are conn_<name>)")
            elif column.startswith("conn_") and not column[len("conn_") :].strip():
                problems.add("header", f"column {column!r} names no service (conn_<service>)")
        problems.raise_if_any()
        services = [(c, c[len("conn_") :]) for c in header if c.startswith("conn_")]
        for row in reader:
            # line_num, not a count of rows: blank lines and quoted newlines shift the count.
            where = f"line {reader.line_num}"
            if None in row:  # DictReader puts surplus cells under the key None
                problems.add(where, "more cells than the header has columns (an unquoted comma?)")
            conns: dict[str, int] = {}
            for column, service in services:
                count = _number(row.get(column), f"{where}.{column}", problems, integer=True)
                if count:
                    conns[service] = int(count)
            el = _element(row, conns, where, problems)
            if el is not None:
                elements.append((where, el))
                if row.get("region_name"):
                    regions[el.region] = row["region_name"].strip()
    problems.raise_if_any()
    return _build(path, elements, regions, service_totals)


def load_yaml(
    path: Path, service_totals: Mapping[str, Mapping[str, int]] | None = None
) -> Topology:
    problems = _Problems(path)
    text = read_text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping with 'elements' (and 'regions')"])
    for key in data:
        if key not in ("elements", "regions"):
            problems.add(str(key), "unknown key (expected elements, regions)")
    raw_regions = data.get("regions") or {}
    if not isinstance(raw_regions, dict):
        problems.add("regions", "expected a mapping of region code to name")
        raw_regions = {}
    raw_elements = data.get("elements") or []
    if not isinstance(raw_elements, list):
        problems.add("elements", "expected a list")
        raw_elements = []
    elements: list[tuple[str, Element]] = []
    for index, row in enumerate(raw_elements):
        where = f"elements[{index}]"
        if not isinstance(row, dict):
            problems.add(where, "expected a mapping")
            continue
        for key in row:
            if key not in _KNOWN_YAML:
                problems.add(f"{where}.{key}", "unknown key")
        raw_conns = row.get("connections") or {}
        conns: dict[str, int] = {}
        if not isinstance(raw_conns, dict):
            problems.add(f"{where}.connections", "expected a mapping of service to count")
        else:
            for service, value in raw_conns.items():
                if not str(service).strip():
                    problems.add(f"{where}.connections", f"service {service!r} has no name")
                    continue
                count = _number(value, f"{where}.connections.{service}", problems, integer=True)
                if count:
                    conns[str(service)] = int(count)
        el = _element(row, conns, where, problems)
        if el is not None:
            elements.append((where, el))
    problems.raise_if_any()
    return _build(path, elements, {str(k): str(v) for k, v in raw_regions.items()}, service_totals)


def load_inventory(
    path: Path | None, service_totals: Mapping[str, Mapping[str, int]] | None = None
) -> Topology:
    """Load by file suffix (.csv, .yaml/.yml); None gives an empty inventory."""
    if path is None:
        return Topology([], None, service_totals)
    if path.suffix.lower() == ".csv":
        return load_csv(path, service_totals)
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_yaml(path, service_totals)
    raise ConfigError([f"{path}: inventory must be .csv, .yaml or .yml"])
