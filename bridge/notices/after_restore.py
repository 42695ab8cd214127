"""A store restored from a backup, made safe to serve: nothing the outbox would send on its own
may have left already (``bridge restored``; docs/deployment.md, "Backups and restore").

Why: a draft approved before the backup and sent after it is ``approved`` again in the restored
store (or ``sending``), and the outbox would send it to the regulator a second time; the store
cannot know what left after its own snapshot.

Contract of :func:`settle`:
- It holds the store's lease while it writes (taken like a replica takes it, under a holder of
  its own). A lease another holder has is waited for, up to ``wait`` (the lease's time to
  live): a restored store may hold the lease of the bridge that ran when the backup was taken,
  which lapses on its own, while a bridge that serves renews its lease and keeps it. Still held
  then: :class:`Refused`, nothing written (stop every replica first). Its writes carry the
  lease's fencing token: a bridge that took the lease meanwhile makes them fail (LeaseLost)
  instead of racing them.
- Every draft :func:`~bridge.core.casework.at_risk_after_restore` (``approved`` for e-mail, or
  ``sending``) becomes ``in_doubt`` (:func:`~bridge.core.casework.restored`), each written with
  its audit entry: a person resolves it (resend with the same Message-ID, or mark sent).
  Approved portal drafts are listed, not changed (the outbox never submits them; the person
  who would checks the portal first).
- The ``.eml`` files in ``notices.archive_dir`` written at or after the backup's time are
  listed (the outbox archives every message before handing it over: each is one that may have
  left after the backup), each with its Message-ID and what the restored store says of its
  draft, so a person can tell which of the drafts in doubt did leave.
- The store's hand-over count is raised to the archive folder's witness
  (:mod:`bridge.notices.witness`): a store rolled back after notices left is refused by ``bridge
  serve`` until then. A witness file that cannot be read is replaced by one of the store's
  count. Replicas with archive folders of their own: run it with each replica's folder (each
  lists its own files; running it again is harmless).
- One ``store.restored`` audit entry records the backup's time, the drafts moved, the
  archived files found and the hand-over counts: what compliance reads about the gap.
- Running it again is harmless: a draft already in doubt is left as it is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.core import casework, draft_codec
from bridge.errors import BridgeError
from bridge.notices import archive, witness
from bridge.notices.book import draft_record
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, audit_entries

#: how long the lease is taken for: the writes are a handful, each a short store write
LEASE_TTL = timedelta(seconds=60)


class Refused(BridgeError):
    """Another holder has the store's lease: a bridge serves the store; nothing was written."""


@dataclass(frozen=True, slots=True)
class Moved:
    draft_id: str
    was: str
    message_id: str | None


@dataclass(frozen=True, slots=True)
class Archived:
    """An ``.eml`` in the archive folder written at or after the backup's time."""

    name: str
    written_at: datetime
    message_id: str | None
    draft_id: str | None  # from the file's name (``DRAFT.vN.eml``)
    draft_state: str | None  # what the restored store says of that draft (None: not there)


@dataclass(frozen=True, slots=True)
class Report:
    backup_taken_at: datetime
    moved: list[Moved]
    portal: list[str]  # approved portal drafts: check the portal before submitting
    archived: list[Archived]
    archive_missing: bool
    handovers_before: int = 0  # the restored store's hand-over count
    handovers_witness: int | None = None  # the archive folder's (None: no readable witness)
    handovers: int = 0  # the store's count now


def archived_after(folder: Path, since: datetime) -> tuple[list[Archived], bool]:
    """The ``.eml`` files in ``folder`` last written at or after ``since``, oldest first, and
    whether the folder is missing (nothing to list). Only the headers are read."""
    if not folder.is_dir():
        return [], True
    found: list[Archived] = []
    for path in folder.glob("*.eml"):
        stat = path.stat()
        written = datetime.fromtimestamp(stat.st_mtime, UTC)
        if written < since or stat.st_size == 0:  # empty: a name taken, no message in it
            continue
        message_id, _ = archive.identity(path)
        named = archive.draft_of(path.name)
        draft_id = named[0] if named is not None else None
        found.append(Archived(path.name, written, message_id, draft_id, None))
    return sorted(found, key=lambda a: (a.written_at, a.name)), False


async def settle(
    store: Store,
    backup_taken_at: datetime,
    actor: str,
    holder: str,
    archive_dir: Path,
    now: datetime,
    wait: timedelta,
) -> Report:
    """Make the restored ``store`` safe to serve (see the module contract)."""
    token = await _take_lease(store, holder, wait)
    try:
        return await _settle(store, token, backup_taken_at, actor, archive_dir, now)
    finally:
        await store.release_lease(holder)


async def _take_lease(store: Store, holder: str, wait: timedelta) -> int:
    """The lease's fencing token, once the lease is free or has lapsed within ``wait``."""
    deadline = time.monotonic() + wait.total_seconds()
    while True:
        token = await store.acquire_lease(holder, LEASE_TTL)
        if token is not None:
            return token
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.2)
    lease = await store.current_lease()
    who = lease.holder if lease is not None else "another holder"
    raise Refused(
        f"a bridge holds the store's lease ({who}) and renewed it for "
        f"{wait.total_seconds():g}s: stop every bridge on this store, then run `bridge "
        "restored` again"
    )


async def _settle(
    store: Store,
    token: int,
    taken: datetime,
    actor: str,
    archive_dir: Path,
    now: datetime,
) -> Report:
    records = await store.list_drafts(states=(casework.APPROVED, casework.SENDING))
    moved: list[Moved] = []
    portal: list[str] = []
    for record in records:
        draft = draft_codec.from_dict(record.document)
        if not casework.at_risk_after_restore(draft):
            if draft.state == casework.APPROVED and draft.channel == casework.PORTAL:
                portal.append(draft.id)
            continue
        changed, events = casework.restored(draft, taken, actor, now)
        await store.put_draft(
            draft_record(changed), draft.revision, audit_entries(events), fence=token
        )
        moved.append(Moved(draft.id, draft.state, draft.message_id))
    archived, missing = archived_after(archive_dir, taken)
    archived = await _with_states(store, archived)
    before = await store.handovers()
    try:
        seen = witness.read(archive_dir)
    except witness.Unreadable:
        seen = None
        archive.make(archive_dir)
        witness.record(archive_dir, witness.Witness(before, "bridge restored", now))
    count = before if seen is None else await store.raise_handovers(seen.count)
    report = Report(
        taken, moved, portal, archived, missing, before, None if seen is None else seen.count, count
    )
    await store.append_audit([_summary(report, actor, archive_dir, now)])
    return report


async def _with_states(store: Store, archived: Sequence[Archived]) -> list[Archived]:
    out: list[Archived] = []
    for a in archived:
        record = await store.get_draft(a.draft_id) if a.draft_id else None
        state = None if record is None else record.state
        out.append(Archived(a.name, a.written_at, a.message_id, a.draft_id, state))
    return out


def _summary(report: Report, actor: str, archive_dir: Path, now: datetime) -> AuditEntry:
    return AuditEntry(
        now,
        actor,
        "store.restored",
        "store",
        {
            "backup_taken_at": report.backup_taken_at.isoformat(),
            "in_doubt": [{"draft": m.draft_id, "was": m.was} for m in report.moved],
            "portal_approved": report.portal,
            "archive_dir": str(archive_dir),
            "handovers": {
                "store_before": report.handovers_before,
                "archive_witness": report.handovers_witness,
                "store_now": report.handovers,
            },
            "archived_after_backup": [
                {"file": a.name, "written_at": a.written_at.isoformat(), "message_id": a.message_id}
                for a in report.archived
            ],
        },
    )
