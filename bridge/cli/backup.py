"""``bridge backup DEST``: a consistent copy of the SQLite store while the bridge serves it
(docs/deployment.md, "Backups and restore"; how: :mod:`bridge.store.sqlite.backup`).

``DEST`` is a new file, or an existing folder: the copy is then named after the store and the
time it was taken (``bridge-20261123T100000Z.sqlite3``), so a timer can run the same command
every time. It never overwrites a file. The copy is checked (``PRAGMA integrity_check``),
fsync'd and marked: ``bridge serve`` refuses it until ``bridge restored`` ran on it. A Redis
store is refused (exit 1) with a pointer to the docs: Redis backs itself up (its RDB snapshot
or AOF directory). It reads the store without its serve lock, so it runs beside ``serve``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from bridge.cli.common import invalid
from bridge.config import load_config
from bridge.errors import ConfigError
from bridge.store.sqlite.backup import BackupFailed, copy
from bridge.store.sqlite.connection import SqliteConnection

DOCS = 'docs/deployment.md, "Backups and restore"'


def backup(path: str, dest: str) -> int:
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        return invalid(exc)
    url = loaded.store_url()
    if not url.startswith("sqlite:///"):
        print(
            "bridge backup: the store is Redis: back it up with Redis itself (BGSAVE and its RDB "
            f"file, or a copy of its AOF directory), see {DOCS}",
            file=sys.stderr,
        )
        return 1
    store = SqliteConnection(url)
    target = Path(dest)
    if target.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = target / f"{store.path.stem}-{stamp}{store.path.suffix or '.sqlite3'}"
    try:
        made = copy(store.path, target, lambda: datetime.now(UTC), store.busy_timeout_ms)
    except BackupFailed as exc:
        print(f"bridge backup: {exc}", file=sys.stderr)
        return 1
    taken = made.taken_at.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    print(
        f"backup of {store.path} taken at {taken}: {made.path} ({made.size} bytes, integrity "
        "ok); after restoring it run `bridge restored` before `bridge serve`"
    )
    return 0
