"""The archive folder's witness of the store's hand-over count (``.handovers`` in
``notices.archive_dir``): what lets a bridge notice that its store was rolled back.

Why: a store restored from a backup (SQLite put back with ``cp``, a Redis AOF or RDB copy) does
not know what the outbox handed to the mail relay after the backup; served as it is, it sends
those notices again. The archive folder is not restored with the store (it is only added to),
so it can remember what the store forgot.

Contract:
- Right before each hand-over the outbox takes the next number of the store's count
  (:meth:`~bridge.store.interfaces.HandoverCount.count_handover`) and :func:`record` writes it
  here (fsync, atomic rename, ``0600``) with the draft and the time, unless the file already
  holds a higher number (two replicas sharing the folder: the higher stays). Every number in the
  file is one the store handed out, so on a store that was never rolled back the file's number
  is at most the store's count, whichever replica wrote it and whatever folder each replica has.
- :func:`problem` compares the two (the file read first, then the store): a witness above the
  store's count means the store lost hand-overs it had counted, i.e. it was rolled back; one
  line for ``bridge serve`` to refuse to start with (and for the outbox to refuse to hand
  anything over, when the store is rolled back under a running bridge), naming ``bridge
  restored``, which raises the store's count to the witness's once the notices at risk are in
  doubt for a person.
- No file (a new deployment, a new folder, or one wiped on purpose) is no witness: the bridge
  starts, and the next hand-over writes one. A file that cannot be read is a problem naming
  it (remove it, or run ``bridge restored``): it is never ignored silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bridge.notices import archive

NAME = ".handovers"
DOCS = 'docs/deployment.md, "Backups and restore"'


class Unreadable(Exception):
    """The witness file exists but does not hold a witness."""


@dataclass(frozen=True, slots=True)
class Witness:
    count: int  # the highest hand-over number the store gave this folder's writers
    draft: str  # the draft handed over under that number
    at: datetime  # when (the outbox's clock)


def path(folder: Path) -> Path:
    return folder / NAME


def read(folder: Path) -> Witness | None:
    """The witness in ``folder`` (None: there is none); :class:`Unreadable` when the file is
    not one."""
    try:
        text = path(folder).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Unreadable(f"{path(folder)}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
        return Witness(int(data["count"]), str(data["draft"]), datetime.fromisoformat(data["at"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise Unreadable(f"{path(folder)}: not a hand-over witness ({exc})") from exc


def record(folder: Path, witness: Witness) -> None:
    """Keep ``witness`` in ``folder`` unless it holds a higher count (see the contract)."""
    try:
        held = read(folder)
    except Unreadable:
        held = None  # replaced by a good one
    if held is not None and held.count >= witness.count:
        return
    body = {"count": witness.count, "draft": witness.draft, "at": witness.at.isoformat()}
    archive.write_whole(folder, NAME, (json.dumps(body) + "\n").encode("utf-8"))


def problem(folder: Path, seen: Witness | None, store_count: int) -> str | None:
    """Why the store must not be served with this archive folder (one line), or None. ``seen``:
    the folder's witness read *before* ``store_count`` (read the other way round, a hand-over
    counted in between by another replica could look like a rollback)."""
    if seen is None or seen.count <= store_count:
        return None
    return (
        f"the store counts {store_count} hand-overs to the mail relay but the archive "
        f"{folder} recorded hand-over {seen.count} (notice {seen.draft} at "
        f"{seen.at.isoformat()}): the store was rolled back, e.g. restored from a backup, and "
        f"would send again what left since; run `bridge restored` on it first ({DOCS})"
    )


def unreadable(exc: Unreadable) -> str:
    """One line for a witness file that cannot be read (see the module contract)."""
    return (
        f"the archive's hand-over witness cannot be read ({exc}): run `bridge restored` if the "
        f"store was restored from a backup, else remove the file ({DOCS})"
    )
