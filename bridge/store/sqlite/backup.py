"""Online copies of the SQLite file (``bridge backup``) and the mark such a copy carries until
``bridge restored`` has run on it (docs/deployment.md, "Backups and restore").

Contract of :func:`copy`:
- A consistent copy while a bridge serves and writes the file: SQLite's backup API from a
  connection of its own, in **one step** (one read transaction). In WAL mode the bridge's
  writer goes on meanwhile and the copy is the database as of one commit; a copy in several
  steps would start again at every commit of the bridge (another process's write), forever
  under load. Nothing is written to the live file; its serve lock (``PATH.lock``, an ``flock``
  only ``serve`` takes) is not touched.
- The copy is made as ``DEST.partial`` (``0600``, created exclusively: it holds personal data),
  passes ``PRAGMA integrity_check`` or is removed (a copy that fails, whatever the cause, a
  full disk too, is removed with any side file SQLite made beside it: ``-journal``, ``-wal``,
  ``-shm``; nothing is left behind), is switched to journal mode ``DELETE`` (one
  self-contained file: no ``-wal`` beside it), gets the mark, is fsync'd, renamed to ``DEST``
  and its folder fsync'd. An existing ``DEST`` is never overwritten.
- ``taken_at`` is read just before the snapshot starts: the copy holds everything committed
  before it (and perhaps a few writes after), so ``.eml`` files archived after ``taken_at``
  include every message handed over after the snapshot.

The mark is the ``meta`` row ``backup_taken_at`` (an ISO instant): ``bridge serve`` refuses a
file that carries it (:func:`pending`), so a copy put back in place is never served before
``bridge restored`` moved the drafts the outbox would send again to a person and removed it
(:func:`clear_pending`). A copy made any other way (``sqlite3 .backup``, a volume snapshot)
carries no mark: the docs say to run ``bridge restored`` all the same.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bridge.errors import BridgeError

MARK = "backup_taken_at"


class BackupFailed(BridgeError):
    """The copy could not be made or did not pass its check; no ``DEST`` was left behind."""


@dataclass(frozen=True, slots=True)
class Copy:
    path: Path
    taken_at: datetime
    size: int


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy(database: Path, dest: Path, now: Callable[[], datetime], busy_timeout_ms: int) -> Copy:
    """Copy the live ``database`` to ``dest`` (see the module contract)."""
    if not database.is_file():
        raise BackupFailed(f"{database} does not exist (nothing stored yet)")
    if dest.exists():
        raise BackupFailed(f"{dest} exists: a backup never overwrites a file, give a new name")
    partial = dest.with_name(dest.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # the umask may have taken bits away, never added: set exactly
    os.close(fd)
    try:
        taken_at = _snapshot(database, partial, now, busy_timeout_ms)
        _check_and_mark(partial, taken_at)
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        for left in (partial, *_side_files(partial)):
            with contextlib.suppress(FileNotFoundError):
                left.unlink()
        raise
    return Copy(dest, taken_at, dest.stat().st_size)


def _side_files(database: Path) -> tuple[Path, ...]:
    """The files SQLite may make beside ``database`` (its journal, WAL and shared memory)."""
    return tuple(database.with_name(database.name + s) for s in ("-journal", "-wal", "-shm"))


def _snapshot(
    database: Path, target: Path, now: Callable[[], datetime], busy_timeout_ms: int
) -> datetime:
    source = sqlite3.connect(
        f"{database.absolute().as_uri()}?mode=rw", uri=True, timeout=busy_timeout_ms / 1000
    )
    try:
        source.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        found = source.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if found is None:
            raise BackupFailed(f"{database} is not a bridge store (no meta table)")
        out = sqlite3.connect(target)
        try:
            taken_at = now()
            source.backup(out, pages=-1)  # one step: one read transaction (module contract)
        finally:
            out.close()
    except sqlite3.Error as exc:
        raise BackupFailed(f"cannot copy {database}: {exc}") from exc
    finally:
        source.close()
    return taken_at


def _check_and_mark(target: Path, taken_at: datetime) -> None:
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupFailed(
                f"the copy failed its integrity check ({'; '.join(problems[:3])}): check the "
                "live file with PRAGMA integrity_check"
            )
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (MARK, taken_at.isoformat()),
        )
    except sqlite3.Error as exc:
        raise BackupFailed(f"cannot finish the copy {target}: {exc}") from exc
    finally:
        conn.close()


def pending(database: Path) -> datetime | None:
    """When the copy at ``database`` was taken, if it is a copy ``bridge restored`` has not run
    on yet (it carries the mark); None otherwise, also when the file is missing or unreadable
    (opening the store then says why). Read only: nothing is created or changed."""
    if not database.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (MARK,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return None if row is None else datetime.fromisoformat(row[0])


def clear_pending(database: Path, busy_timeout_ms: int) -> None:
    """Remove the mark (``bridge restored`` is done with the copy: it may be served)."""
    conn = sqlite3.connect(database, isolation_level=None, timeout=busy_timeout_ms / 1000)
    try:
        conn.execute("DELETE FROM meta WHERE key=?", (MARK,))
    finally:
        conn.close()
