"""What a user's mistake looks like on the command line: one line on stderr naming the file,
path or field, exit code 1 (docs/configuration.md, "Exit codes"), never a traceback. And the
commands that only read (``prune --dry-run``, ``users list``, ``tokens list``) never migrate the
store: an older schema is refused, the file left as it was."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from builders import REPO, write_config
from test_cli import bridge

from bridge.cli import main
from bridge.cli import prune as prune_command
from bridge.errors import StoreUnavailable
from bridge.store.interfaces import SCHEMA_VERSION
from bridge.store.sqlite import SqliteStore
from bridge.store.sqlite.migrations import MIGRATIONS, statements

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "LC_", "LANG"))}


def one_line_problem(run: object, *names: str) -> str:
    """``run`` (a CompletedProcess) failed with exit 1 and one stderr line naming ``names``."""
    assert run.returncode == 1, (run.stdout, run.stderr)  # type: ignore[attr-defined]
    err: str = run.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    for name in names:
        assert name in err, err
    return err


# ---- a data directory that cannot be made ------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["prune"],
        ["prune", "--dry-run"],
        ["users", "list"],
        ["users", "add", "alice", "--role", "viewer", "--password-file", "-"],
        ["tokens", "add", "ci", "--role", "viewer"],
        ["tokens", "list"],
        ["serve"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("under", ["blocker", "blocker/sub"], ids=["in-file", "below-file"])
def test_a_data_directory_that_cannot_be_made_is_one_line(
    tmp_path: Path, command: list[str], under: str
) -> None:
    """A file where the store's directory should be (FileExistsError, NotADirectoryError):
    every command that opens the store names the store's path, exit 1."""
    (tmp_path / "blocker").write_text("not a directory", encoding="utf-8")
    db = tmp_path / under / "bridge.sqlite3"
    config = write_config(tmp_path, store=f"sqlite:///{db}")
    run = bridge(*command, "-c", str(config), stdin="a long enough password\n")
    one_line_problem(run, str(db))


@pytest.mark.parametrize("under", ["blocker", "blocker/sent"], ids=["in-file", "below-file"])
def test_serve_refuses_an_archive_folder_it_cannot_write_in_one_line(
    tmp_path: Path, under: str
) -> None:
    """Every notice is archived before it is handed to the relay: a notices.archive_dir the
    bridge cannot make or write (here a file stands in its way) stops ``serve`` at once with
    one line naming the key and the folder, before it takes any webhook."""
    (tmp_path / "blocker").write_text("not a directory", encoding="utf-8")
    folder = tmp_path / under
    config = write_config(tmp_path, extra={"notices": {"archive_dir": str(folder)}})
    err = one_line_problem(bridge("serve", "-c", str(config)), "notices.archive_dir", str(folder))
    assert "approved notices could not be sent" in err


def test_the_archive_check_makes_the_folder_private_and_leaves_nothing_in_it(
    tmp_path: Path,
) -> None:
    """:func:`bridge.notices.archive.ready` makes a missing folder (mode 0700) and leaves it
    empty; on a folder in the way of a file it says why, naming the key."""
    from bridge.notices import archive

    folder = tmp_path / "data" / "sent"
    assert archive.ready(folder) is None
    assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700
    assert list(folder.iterdir()) == []
    (tmp_path / "file").write_text("x", encoding="utf-8")
    why = archive.ready(tmp_path / "file" / "sent")
    assert why is not None and why.startswith("notices.archive_dir ")


# ---- the top-level handler ---------------------------------------------------------------


def test_an_os_error_a_command_lets_through_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An OSError or BridgeError no command reported itself is one line naming the file, exit 1;
    ``--debug`` shows its traceback instead; any other exception (a bug) is not hidden."""

    def denied(path: str, dry_run: bool) -> int:
        raise PermissionError(13, "Permission denied", "/var/lib/bridge/bridge.sqlite3")

    monkeypatch.setattr(prune_command, "prune", denied)
    assert main(["prune"]) == 1
    err = capsys.readouterr().err
    assert err == "bridge prune: /var/lib/bridge/bridge.sqlite3: Permission denied\n"

    def unavailable(path: str, dry_run: bool) -> int:
        raise StoreUnavailable("open", "redis://db:6379/0: Connection refused")

    monkeypatch.setattr(prune_command, "prune", unavailable)
    assert main(["prune"]) == 1
    assert capsys.readouterr().err.count("\n") == 1

    with pytest.raises(StoreUnavailable):
        main(["--debug", "prune"])

    def bug(path: str, dry_run: bool) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(prune_command, "prune", bug)
    with pytest.raises(ZeroDivisionError):
        main(["prune"])


# ---- read-only commands never migrate ----------------------------------------------------


def at_schema(path: Path, version: int) -> None:
    """A SQLite file as a bridge of schema ``version`` left it (as in test_stored_forms)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("PRAGMA journal_mode=WAL")  # as every bridge leaves its file
            for step in range(1, version + 1):
                for statement in statements(MIGRATIONS[step]):
                    conn.execute(statement)
            conn.execute("INSERT INTO meta VALUES('schema_version', ?)", (str(version),))
    finally:
        conn.close()


def stored_schema(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize(
    "command", [["prune", "--dry-run"], ["users", "list"], ["tokens", "list"]], ids=" ".join
)
def test_a_read_only_command_refuses_an_older_schema_and_changes_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    """On a schema-9 file (an older bridge may still run on it) a command that only reads
    refuses in one line saying ``bridge serve`` upgrades it; the file keeps its bytes, its
    mtime and schema 9, and no write-ahead log is left beside it."""
    db = tmp_path / "old.sqlite3"
    at_schema(db, SCHEMA_VERSION - 1)
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    config = write_config(tmp_path, store=f"sqlite:///{db}")

    run = bridge(*command, "-c", str(config))

    err = one_line_problem(run, str(db), f"schema {SCHEMA_VERSION - 1}", "bridge serve")
    assert "dry run" not in run.stdout, "nothing may claim a dry run that did not happen"
    assert "older" in err
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
    assert stored_schema(db) == str(SCHEMA_VERSION - 1)
    assert sorted(p.name for p in tmp_path.glob("old.sqlite3*")) == ["old.sqlite3"]


def test_a_read_only_command_creates_no_store(tmp_path: Path) -> None:
    """``prune --dry-run`` where no store exists yet says so in one line and creates neither
    the directory nor the file."""
    db = tmp_path / "data" / "bridge.sqlite3"
    config = write_config(tmp_path, store=f"sqlite:///{db}")
    one_line_problem(bridge("prune", "--dry-run", "-c", str(config)), str(db), "bridge serve")
    assert not db.parent.exists()


def test_a_dry_run_on_the_current_schema_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    """On a store at this bridge's schema ``prune --dry-run`` runs and the file's bytes and
    mtime stay as they were."""
    db = tmp_path / "b.sqlite3"

    async def create() -> None:
        store = SqliteStore(f"sqlite:///{db}")
        await store.open()
        await store.close()

    asyncio.run(create())
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    config = write_config(tmp_path, store=f"sqlite:///{db}")
    run = bridge("prune", "--dry-run", "-c", str(config))
    assert run.returncode == 0, run.stderr
    assert "dry run, nothing changed" in run.stdout
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before


LATIN1_PASSWORD = "lösenordet är långt nog\n".encode("latin-1")


def test_a_password_file_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    """A password file in Latin-1: one line naming it and saying it is not UTF-8, exit 1."""
    config = str(write_config(tmp_path))
    pw = tmp_path / "pw"
    pw.write_bytes(LATIN1_PASSWORD)
    run = bridge("users", "add", "bo", "--role", "viewer", "--password-file", str(pw), "-c", config)
    one_line_problem(run, str(pw), "not UTF-8")


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_a_password_on_standard_input_that_is_not_utf8_is_refused_in_one_line(
    tmp_path: Path, locale: str
) -> None:
    """Standard input in Latin-1, under a UTF-8 and under the C locale (where the bytes arrive
    as surrogates): one line saying it is not UTF-8, exit 1."""
    config = str(write_config(tmp_path))
    passwd = ["users", "passwd", "bo", "--password-file", "-", "-c", config]
    proc = subprocess.run(
        [sys.executable, "-m", "bridge", *passwd],
        cwd=REPO,
        env={**ENV, "LC_ALL": locale, "LANG": locale},
        input=LATIN1_PASSWORD,
        capture_output=True,
        timeout=60,
        check=False,
    )
    run = subprocess.CompletedProcess(proc.args, proc.returncode, "", proc.stderr.decode())
    one_line_problem(run, "standard input", "not UTF-8")
