"""Inventory files (YAML and CSV) → Topology, with errors that point at the line or element."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bridge.config import load_config
from bridge.config.inventory import load_csv, load_inventory, load_yaml
from bridge.core.mapping import MAX_CONNECTIONS
from bridge.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "inventory"


def only_problem(fixture: str) -> str:
    """Load an inventory fixture that must fail with one problem naming the file; return it."""
    path = DATA / fixture
    with pytest.raises(ConfigError) as info:
        load_inventory(path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: "), problem
    return problem


# ---- valid inventories --------------------------------------------------------------------


def test_yaml_and_csv_give_the_same_topology() -> None:
    """Equivalent YAML and CSV files load into equal elements, region names and totals."""
    from_yaml = load_yaml(DATA / "network.yaml")
    from_csv = load_csv(DATA / "network.csv")
    assert len(from_yaml) == len(from_csv) == 6
    assert from_yaml.elements == from_csv.elements
    assert (
        from_yaml.region_names
        == from_csv.region_names
        == {
            "SE-2380": "Östersund",
            "NO-0301": "Oslo",
        }
    )
    assert from_yaml.totals == from_csv.totals
    assert from_yaml.order == from_csv.order
    cell = from_csv.elements["se-cell-1"]
    assert (cell.emergency_112, cell.societal, cell.wholesale) == (True, True, False)
    assert from_csv.elements["se-olt-1"].connections == {"internet": 6000, "tv": 2500}
    assert from_csv.elements["se-site"].area_km2 == 2200.5
    assert from_csv.service_total("SE", "internet") == 6000
    assert from_csv.service_total("NO", "internet") == 8000


def test_load_inventory_chooses_by_suffix() -> None:
    """load_inventory reads .csv as CSV, .yaml as YAML and None as an empty inventory."""
    assert len(load_inventory(DATA / "network.csv")) == 6
    assert len(load_inventory(DATA / "network.yaml")) == 6
    assert len(load_inventory(None)) == 0


def test_shipped_inventory_loads() -> None:
    """The inventory the shipped bridge.yaml points at loads."""
    inv = load_config(REPO / "config" / "bridge.yaml", env={}).config.inventory
    topology = load_inventory(inv.path, inv.service_totals)
    assert len(topology) == 11
    assert topology.service_total("NO", "mobile") == 5000


def test_service_totals_override_the_inventory_sums() -> None:
    """Configured service totals replace what the inventory adds up to."""
    topology = load_csv(DATA / "network.csv", {"SE": {"internet": 250_000}})
    assert topology.service_total("SE", "internet") == 250_000
    assert topology.service_total("SE", "tv") == 2500


def test_large_csv_loads(tmp_path: Path) -> None:
    """A generated CSV of 100 000 elements loads with the right size and totals."""
    path = tmp_path / "large.csv"
    internet = mobile = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["id", "parent", "jurisdiction", "region", "kind", "conn_internet", "conn_mobile"]
        )
        out.writerow(["core", "", "SE", "SE-0000", "core", "", ""])
        for s in range(100):
            out.writerow([f"site-{s}", "core", "SE", f"SE-{s:04d}", "site", "", ""])
        for o in range(1000):
            out.writerow([f"olt-{o}", f"site-{o % 100}", "SE", f"SE-{o % 100:04d}", "olt", "", ""])
        for leaf in range(100_000 - 1 - 100 - 1000):
            olt = leaf % 1000
            i, m = leaf % 7 + 1, leaf % 3
            internet += i
            mobile += m
            out.writerow(
                [f"cpe-{leaf}", f"olt-{olt}", "SE", f"SE-{olt % 100:04d}", "cpe", i, m or ""]
            )
    topology = load_csv(path)
    assert len(topology) == 100_000
    assert topology.service_total("SE", "internet") == internet
    assert topology.service_total("SE", "mobile") == mobile
    assert topology.region_total("SE", "internet", "SE-0042") == sum(
        leaf % 7 + 1 for leaf in range(98_899) if leaf % 1000 % 100 == 42
    )
    assert topology.ancestors("cpe-98898") == ["olt-898", "site-98", "core"]


# ---- CSV problems: file, line, field, expected --------------------------------------------


def test_csv_unknown_column() -> None:
    """An unknown CSV column is named, with a hint that services are conn_<name>."""
    problem = only_problem("unknown_column.csv")
    assert "header: unknown column 'colour'" in problem
    assert "conn_<name>" in problem


def test_csv_missing_column() -> None:
    """A CSV without a required column names the column."""
    assert "header: missing column 'region'" in only_problem("missing_column.csv")


def test_csv_non_integer_connections() -> None:
    """A non-integer conn_ cell names its line and column and says an integer was expected."""
    problem = only_problem("bad_conn_cell.csv")
    assert "line 4.conn_internet: expected an integer, got 'many'" in problem


def test_csv_line_numbers_count_blank_lines() -> None:
    """Line numbers are the file's physical lines, even after a blank line."""
    assert "line 4.conn_internet: expected an integer" in only_problem("blank_line.csv")


def test_csv_extra_cells() -> None:
    """A row with more cells than the header (an unquoted comma) is refused, naming the line."""
    problem = only_problem("extra_cells.csv")
    assert "line 2: more cells than the header has columns" in problem


def test_csv_negative_number() -> None:
    """A negative area names the line and field."""
    assert "line 2.area_km2: must not be negative, got '-5'" in only_problem("negative_number.csv")


def test_csv_not_a_number() -> None:
    """NaN in a numeric cell is refused instead of poisoning every sum."""
    assert "line 2.area_km2: expected a finite number, got 'NaN'" in only_problem(
        "not_a_number.csv"
    )


def test_csv_capacity_above_one() -> None:
    """A capacity share above 1 names the line and says it is a share between 0 and 1."""
    problem = only_problem("capacity_above_one.csv")
    assert "line 2.capacity_share: is a share between 0 and 1" in problem


def test_csv_bad_flag() -> None:
    """A flag cell that is not true/false names the line and field."""
    problem = only_problem("bad_flag.csv")
    assert "line 2.emergency_112: expected true/false, got 'maybe'" in problem


def test_csv_bad_jurisdiction() -> None:
    """A jurisdiction other than SE or NO names the line."""
    problem = only_problem("bad_jurisdiction.csv")
    assert "line 3.jurisdiction: expected SE or NO, got 'DK'" in problem


def test_csv_missing_region() -> None:
    """An element without a region names the line and field."""
    assert "line 2.region: missing" in only_problem("missing_region.csv")


def test_csv_missing_id() -> None:
    """An element without an id names the line and field."""
    assert "line 2.id: missing" in only_problem("missing_id.csv")


def test_csv_unknown_parent() -> None:
    """An unknown parent names the line and the parent id."""
    assert "line 3.parent: unknown parent 'se-sitee'" in only_problem("unknown_parent.csv")


def test_csv_duplicate_id() -> None:
    """A duplicate element id names the line and where the id first appeared."""
    problem = only_problem("duplicate_id.csv")
    assert "line 3.id: duplicate element id 'se-core' (first at line 2)" in problem


def test_csv_cycle() -> None:
    """A parent cycle names the line of an element on it."""
    problem = only_problem("cycle.csv")
    assert "line 3.parent: parent chain forms a cycle" in problem
    assert "se-a" in problem and "se-b" in problem


def test_csv_lists_every_problem_at_once(tmp_path: Path) -> None:
    """Problems on several lines are all reported in one pass."""
    path = tmp_path / "many.csv"
    path.write_text(
        "id,parent,jurisdiction,region,conn_internet\na,,SE,SE-1,x\nb,a,DK,SE-1,1\nc,a,SE,,1\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_csv(path)
    assert [p.split(": ", 2)[1] for p in info.value.problems] == [
        "line 2.conn_internet",
        "line 3.jurisdiction",
        "line 4.region",
    ]


def test_csv_more_connections_than_any_network_has(tmp_path: Path) -> None:
    """A count above MAX_CONNECTIONS names the line and field (unbounded, it broke the
    store's JSON once an alert on the element came)."""
    path = tmp_path / "huge.csv"
    path.write_text(
        "id,parent,jurisdiction,region,conn_internet\n"
        f"a,,SE,SE-1,{MAX_CONNECTIONS}\nb,,SE,SE-1,{MAX_CONNECTIONS + 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_csv(path)
    (problem,) = info.value.problems
    assert f"line 3.conn_internet: more than {MAX_CONNECTIONS} connections" in problem


# ---- YAML problems: file, element index, field, expected ----------------------------------


def test_yaml_unknown_key() -> None:
    """An unknown element key names the element index and the key."""
    assert "elements[1].colour: unknown key" in only_problem("unknown_key.yaml")


def test_yaml_unknown_top_level_key() -> None:
    """An unknown top-level key names the key and the expected ones."""
    problem = only_problem("unknown_top_level_key.yaml")
    assert "element: unknown key (expected elements, regions)" in problem


def test_yaml_non_integer_connections() -> None:
    """A non-integer connection count names the element index, service and what was expected."""
    problem = only_problem("bad_connections.yaml")
    assert "elements[1].connections.internet: expected an integer, got 'many'" in problem


def test_yaml_connections_not_a_mapping() -> None:
    """connections that is not a mapping says a mapping of service to count was expected."""
    problem = only_problem("connections_not_mapping.yaml")
    assert "elements[0].connections: expected a mapping of service to count" in problem


def test_yaml_bad_jurisdiction() -> None:
    """A jurisdiction other than SE or NO names the element index."""
    problem = only_problem("bad_jurisdiction.yaml")
    assert "elements[1].jurisdiction: expected SE or NO, got 'DK'" in problem


def test_yaml_unknown_parent() -> None:
    """An unknown parent names the element index and the parent id."""
    problem = only_problem("unknown_parent.yaml")
    assert "elements[1].parent: unknown parent 'se-sitee'" in problem


def test_yaml_duplicate_id() -> None:
    """A duplicate element id names the element index and the first occurrence."""
    problem = only_problem("duplicate_id.yaml")
    assert "elements[1].id: duplicate element id 'se-core' (first at elements[0])" in problem


def test_yaml_cycle() -> None:
    """A parent cycle names the element index of an element on it."""
    assert "elements[1].parent: parent chain forms a cycle" in only_problem("cycle.yaml")


def test_yaml_element_not_a_mapping() -> None:
    """An element that is not a mapping names its index."""
    assert "elements[0]: expected a mapping" in only_problem("element_not_mapping.yaml")


def test_yaml_elements_not_a_list() -> None:
    """elements that is not a list says a list was expected."""
    assert "elements: expected a list" in only_problem("elements_not_list.yaml")


def test_yaml_not_a_mapping() -> None:
    """A YAML inventory whose top level is not a mapping says what was expected."""
    assert "expected a mapping with 'elements'" in only_problem("not_a_mapping.yaml")


def test_unsupported_suffix() -> None:
    """A file that is neither CSV nor YAML names the accepted suffixes."""
    assert "inventory must be .csv, .yaml or .yml" in only_problem("inventory.txt")
