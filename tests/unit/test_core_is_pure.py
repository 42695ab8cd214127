"""The core does no I/O and reads no clock: checked on the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "bridge" / "core"
FORBIDDEN_MODULES = frozenset(
    {
        "aiohttp",
        "redis",
        "sqlite3",
        "smtplib",
        "aiosmtplib",
        "prometheus_client",
        "socket",
        "asyncio",
        "os",
        "time",
        "subprocess",
        "importlib",
    }
)
CLOCK_CALLS = frozenset(
    {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("datetime", "today")}
)
ALLOWED_BRIDGE = ("bridge.core", "bridge.errors")


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _imported_modules(tree: ast.AST) -> list[str]:
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def violations(source: str) -> list[str]:
    """Every forbidden import or clock call in ``source``, described."""
    tree = ast.parse(source)
    found = [
        f"imports {name}"
        for name in _imported_modules(tree)
        if name.split(".")[0] in FORBIDDEN_MODULES
        or (name.startswith("bridge") and not name.startswith(ALLOWED_BRIDGE))
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "__import__":
                found.append("calls __import__")
            if isinstance(node.func, ast.Attribute):
                owner = _dotted(node.func.value).rsplit(".", 1)[-1]
                if (owner, node.func.attr) in CLOCK_CALLS:
                    found.append(f"calls {owner}.{node.func.attr}() at line {node.lineno}")
    return found


CORE_FILES = sorted(CORE.glob("*.py"))


def test_the_core_folder_holds_the_expected_modules() -> None:
    """The walk sees the core modules (a wrong path would make the purity test vacuous)."""
    names = {p.name for p in CORE_FILES}
    assert {
        "alerts.py",
        "topology.py",
        "mapping.py",
        "impact.py",
        "rules.py",
        "incidents.py",
        "engine.py",
        "documents.py",
    } <= names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.name)
def test_core_module_imports_no_io_and_reads_no_clock(path: Path) -> None:
    """No core module imports I/O, async, OS or clock modules, or calls datetime.now & co."""
    assert violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "import asyncio.tasks",
        "from time import monotonic",
        "from aiohttp import web",
        "import prometheus_client as p",
        "from sqlite3 import connect",
        "import redis.asyncio",
        "import smtplib, socket",
        "from bridge.store import base",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "from datetime import date\nx = date.today()",
        "m = __import__('os')",
    ],
)
def test_the_checker_catches_each_kind_of_violation(source: str) -> None:
    """The checker flags every forbidden pattern, so a clean result means something."""
    assert violations(source)


def test_the_checker_accepts_pure_code() -> None:
    """Time passed in as an argument and stdlib pure modules are fine."""
    source = (
        "from datetime import datetime, timedelta\n"
        "import hashlib\n"
        "from bridge.errors import BadInput\n"
        "def f(now: datetime) -> datetime:\n"
        "    return now + timedelta(seconds=1)\n"
    )
    assert violations(source) == []
