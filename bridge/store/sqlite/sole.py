"""One ``bridge serve`` per SQLite file, enforced: ``serve`` takes an exclusive, non-blocking
``flock`` on ``PATH.lock`` next to the database before the store opens and holds it until it
exits (the kernel lets go of it however the process ends, SIGKILL included; the file stays).
A second ``serve`` on the same file is refused with :class:`AlreadyServed`, one line naming the
file and the first one's process id. Only ``serve`` takes it: the maintenance commands (users,
tokens, prune) open the database beside a running bridge (SQLite's locking orders their
writes) and never lead. The lease cannot stand in for this: both processes would run
(ingest, evaluate, answer) and a follower on SQLite is a configuration nobody supports.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from bridge.store.sqlite.connection import SqliteConnection


class AlreadyServed(Exception):
    """Another process serves this SQLite file (or its lock file cannot be opened)."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def sole_server(url: str) -> Iterator[Path]:
    """Hold ``PATH.lock`` for the SQLite store at ``url`` while the block runs (see the module
    docstring); yields the lock file's path."""
    database = SqliteConnection(url).path
    path = lock_path(database)
    try:
        if not database.parent.is_dir():
            database.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(database.parent, 0o700)  # as SqliteConnection.open makes it
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:  # its folder cannot be made (a file in the way) or opened
        where = f" ({exc.filename})" if exc.filename not in (None, str(path)) else ""
        raise AlreadyServed(
            f"cannot open {path} for the store {database}: {exc.strerror or exc}{where}"
        ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise AlreadyServed(
                f"another bridge (pid {holder}) already serves {database} (lock {path}): "
                "run one bridge per SQLite file; replicas need Redis"
            ) from None
        except OSError as exc:
            raise AlreadyServed(f"cannot lock {path}: {exc.strerror or exc}") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock
