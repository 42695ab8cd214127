"""What the archive folder (``notices.archive_dir``) shows of a store having been in use: the
witness that a store found empty lost its data, rather than being new.

Why: a store whose data is gone (Redis killed and started without its append-only file, a
data directory wiped, a SQLite file removed) looks like a new one; opened as usual it is
created afresh (``schema migrated from 0``) and served empty: the people, the audit log and the
privacy register gone without a word. The archive folder is not lost with the store (it is
only ever added to, on its own volume), and the leading bridge keeps two files there: the audit
log's mark (``.audit-seq``, :mod:`bridge.notices.audit_mark`, after every outbox round and at
the stop: every bridge that led a moment has one, its start being audited) and the hand-over
witness (``.handovers``, :mod:`bridge.notices.witness`, once a notice left).

Contract:
- :func:`evidence` reads them: None when neither file is there (a new deployment, a new or
  emptied folder: a new store is created as always), else what they hold. A file that is
  there but cannot be read is evidence all the same (it was written by a bridge).
- ``bridge users``, ``bridge tokens`` and ``bridge prune`` open it without creating it too
  when there is evidence (:func:`guard`), and refuse an empty store with the same line: none of
  them may start a new store over a lost one (``bridge restored`` may: it is the way back).
- ``bridge serve`` (:meth:`bridge.service.BridgeService.start`) opens the store without
  creating it when there is evidence, and refuses a store that holds nothing
  (:class:`~bridge.errors.StoreLost`, :func:`refusal`: one line naming the store, the evidence
  and what to do), unless started with ``--accept-empty-store``: then the new store is created,
  its audit seq raised above the mark and its hand-over count to the witness (so no number
  handed out before is handed out again, and the rolled-back guard has nothing to refuse), and
  one ``store.created_empty`` audit entry (:func:`created_entry`) records it, with a WARNING.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bridge.notices import audit_mark, witness
from bridge.store.records import AuditEntry

#: the audit action of a new empty store accepted over the archive's evidence
ACTION = "store.created_empty"
#: the flag of ``bridge serve`` that accepts it
FLAG = "--accept-empty-store"
DOCS = 'docs/deployment.md, "A store whose data is gone"'


@dataclass(frozen=True, slots=True)
class Evidence:
    folder: Path
    mark: audit_mark.Mark | None  # the audit log's mark, when readable
    handovers: witness.Witness | None  # the hand-over witness, when readable
    unreadable: tuple[str, ...]  # files there that could not be read

    def said(self) -> str:
        parts: list[str] = []
        if self.mark is not None:
            parts.append(
                f"{audit_mark.NAME}: audit seq {self.mark.seq} on {self.mark.at.isoformat()}"
            )
        if self.handovers is not None:
            parts.append(
                f"{witness.NAME}: hand-over {self.handovers.count} of notice "
                f"{self.handovers.draft} on {self.handovers.at.isoformat()}"
            )
        parts += [f"{name}: there, unreadable" for name in self.unreadable]
        return "; ".join(parts)


def evidence(folder: Path) -> Evidence | None:
    """What ``folder`` shows of a store in use with it, or None (see the module contract)."""
    unreadable: list[str] = []
    mark = audit_mark.read(folder)
    if mark is None and audit_mark.path(folder).exists():
        unreadable.append(audit_mark.NAME)
    try:
        handed = witness.read(folder)
    except witness.Unreadable:
        handed = None
        unreadable.append(witness.NAME)
    if mark is None and handed is None and not unreadable:
        return None
    return Evidence(folder, mark, handed, tuple(unreadable))


def refusal(where: str, found: Evidence) -> str:
    """The one line ``bridge serve`` refuses an empty store with (see the module contract)."""
    return (
        f"{where} holds no data, but the archive {found.folder} shows a store in use with it "
        f"({found.said()}): the store's data is gone (Redis restarted without its append-only "
        "file, its data directory or the SQLite file removed); nothing was created: restore "
        "the data from a backup, then run `bridge restored`; or, to start over with a new "
        f"empty store (people, audit log and privacy register empty), start once with "
        f"`bridge serve {FLAG}` ({DOCS})"
    )


def guard(folder: Path) -> Callable[[str], str] | None:
    """For the commands that may create a store (``users``, ``tokens``, ``prune``): None when
    ``folder`` shows no store in use (one may be created), else the refusal of an empty store
    by where it is (:func:`refusal`); they open it without ``create`` then."""
    found = evidence(folder)
    if found is None:
        return None
    return lambda where: refusal(where, found)


def created_entry(found: Evidence, at: datetime, where: str) -> AuditEntry:
    """The audit entry of a new empty store accepted over ``found``."""
    return AuditEntry(
        at,
        "bridge",
        ACTION,
        "store",
        {
            "store": where,
            "archive_dir": str(found.folder),
            "audit_seq_mark": None if found.mark is None else found.mark.seq,
            "handovers_witness": None if found.handovers is None else found.handovers.count,
            "unreadable": list(found.unreadable),
            "reason": (
                f"the store held no data although the archive showed it in use "
                f"({found.said()}); a new empty store was accepted ({FLAG}): what the "
                "store held before is not in it"
            ),
        },
    )
