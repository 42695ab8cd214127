"""The package layering declared in pyproject.toml ([tool.importlinter]) holds, and covers the
whole tree."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_import_contracts_are_kept() -> None:
    """lint-imports finds every contract kept (layers, a pure core, no cycles in a package)."""
    linter = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run(
        [str(linter), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_top_level_part_of_bridge_has_a_layer() -> None:
    """Each package and module directly under bridge/ sits in exactly one layer, so a new one
    cannot escape the rules by being left out."""
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    assert isinstance(layers, list)
    placed = [name.strip() for layer in layers for name in str(layer).split("|")]
    parts = {
        f"bridge.{p.stem}"
        for p in (REPO / "bridge").iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert sorted(placed) == sorted(set(placed)), "a part is placed twice"
    assert set(placed) == parts
