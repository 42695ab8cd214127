"""The archive folder's high-water mark of the audit log (``.audit-seq`` in
``notices.archive_dir``): the highest audit ``seq`` the store had handed out, as the leading
bridge last saw it. What lets ``bridge restored`` continue a log restored from a backup above
every seq handed out before the restore, instead of handing the same numbers to other entries.

Why: the audit log's seq is the store's counter; a store restored from a backup counts on from
the backup's last entry, so the entries written after the backup are lost *and* their numbers
are given to other entries: an export taken before the restore and one taken after then
disagree about what seq 71 is. The archive folder is not restored with the store (it is only
added to), so it can remember the highest number.

Contract:
- The outbox's loop (the leader) reads the store's counter
  (:meth:`~bridge.store.interfaces.AuditLog.audit_seq`) after every round, and once more when
  it stops, and :func:`record` writes it here when it grew (fsync, atomic rename, ``0600``),
  unless the file already holds a higher number (replicas sharing the folder: the higher
  stays). Every number in the file is one the store handed out. Entries written after the last
  round before the store was backed up and lost are not counted: the mark is at most
  ``notices.poll_interval`` behind (``bridge restored --audit-seq-above`` takes a higher number
  from an export).
- :func:`read` is lenient: no file, or one that cannot be read, is no mark (None); ``bridge
  restored`` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bridge.notices import archive

NAME = ".audit-seq"


@dataclass(frozen=True, slots=True)
class Mark:
    seq: int  # the highest audit seq the store had handed out
    at: datetime  # when it was seen (the outbox's clock)


def path(folder: Path) -> Path:
    return folder / NAME


def read(folder: Path) -> Mark | None:
    """The mark in ``folder`` (None: none, or not readable)."""
    try:
        data = json.loads(path(folder).read_text(encoding="utf-8"))
        return Mark(int(data["seq"]), datetime.fromisoformat(data["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(folder: Path, mark: Mark) -> None:
    """Keep ``mark`` in ``folder`` unless it holds a higher one (see the contract)."""
    held = read(folder)
    if held is not None and held.seq >= mark.seq:
        return
    archive.make(folder)
    body = {"seq": mark.seq, "at": mark.at.isoformat()}
    archive.write_whole(folder, NAME, (json.dumps(body) + "\n").encode("utf-8"))
