"""The command line imports a command's modules only when that command runs: ``bridge --help`` and
a usage error answer without the configuration models, the stores or the web stack, and a
command on a SQLite store never loads redis-py, the web stack or the notices' mail and templates
(every CLI start-up paid for all of them: about half a second each); loading the
configuration does not load the holiday tables' library either."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Run ARGV through bridge.cli.main in a fresh interpreter, then list the modules it loaded.
PROBE = """
import sys
from bridge.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("--modules--")
print("\\n".join(sorted(sys.modules)))
"""


def loaded_by(*argv: str) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(run.stdout.partition("--modules--\n")[2].split())


def tops(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules} | modules


HEAVY = {"redis", "aiohttp", "jinja2", "docx", "openpyxl", "aiosmtplib", "prometheus_client"}


def test_help_imports_no_command() -> None:
    loaded = tops(loaded_by("--help"))
    assert loaded & (HEAVY | {"pydantic", "yaml", "argon2", "sqlite3"}) == set()
    assert {m for m in loaded if m.startswith(("bridge.config", "bridge.store"))} == set()
    assert {m for m in loaded if m.startswith("bridge.cli.") and m != "bridge.cli.common"} == set()


def test_a_usage_error_imports_no_command() -> None:
    loaded = tops(loaded_by("replay"))  # FILE missing: exit 2 from the parser
    assert "bridge.cli.replay" not in loaded
    assert loaded & (HEAVY | {"pydantic"}) == set()


def test_commands_on_sqlite_load_only_what_they_use(tmp_path: Path) -> None:
    """check-config, users and backup on the shipped (SQLite) configuration: no redis-py, no web
    stack, no mail or templates; and none of the other commands' modules."""
    config = str(REPO / "config" / "bridge.yaml")
    check = tops(loaded_by("check-config", "-c", config))
    assert "bridge.cli.check_config" in check
    assert check & (HEAVY | {"argon2", "bridge.store"}) == set()
    assert "holidays" not in check  # read at the first deadline (bridge.core.calendar)
    users = tops(loaded_by("users", "list", "-c", config))
    assert "bridge.people.cli" in users
    assert users & HEAVY == set()
    backup = tops(loaded_by("backup", "-c", config, str(tmp_path / "copy.sqlite3")))
    assert "bridge.cli.backup" in backup
    assert backup & HEAVY == set()
    for modules, own in ((check, "check_config"), (backup, "backup")):
        others = {m for m in modules if m.startswith("bridge.cli.")}
        assert others <= {"bridge.cli.common", "bridge.cli.configured", f"bridge.cli.{own}"}
