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
- Every draft of which the archive holds a message written at or after the backup's time (by
  draft id, whatever the version: its newest copy, read with its sidecar,
  :mod:`bridge.notices.archive`) that the restored store has in a state the bridge would
  draft again and a person could send a second time (:data:`~bridge.core.casework.LEFT_FROM`)
  becomes ``in_doubt`` too (:func:`~bridge.core.casework.left_after_backup`), flagged with what
  left (version, time, recipient, Message-ID); a draft approved or sending that has such a
  copy says it likewise. A person marks it sent with that copy or decides to send it again.
  A draft already held for that copy (an earlier run), or sent again by a person's decision,
  is left as it is.
- Before anything else is written, the audit log is made to continue above the highest seq
  handed out before the restore (:func:`continue_audit`: the archive folder's mark,
  :mod:`bridge.notices.audit_mark`, or a number given from an export), with one ``audit.lost``
  entry naming the lost range.
- The ``.eml`` files in ``notices.archive_dir`` written at or after the backup's time are
  listed (the outbox archives every message before handing it over: each is one that may have
  left after the backup), each with its Message-ID and what the restored store says of its
  draft, so a person can tell which of the drafts in doubt did leave.
- The store's hand-over count is raised to the archive folder's witness
  (:mod:`bridge.notices.witness`): a store rolled back after notices left is refused by ``bridge
  serve`` until then. A witness file that cannot be read is replaced by one of the store's
  count. Replicas with archive folders of their own: run it with each replica's folder (each
  lists its own files; running it again is harmless).
- The backup's time it reports against (:func:`backup_time`, pure): the one given, else the
  copy's mark (``bridge backup``), else the one the newest earlier run recorded in its
  ``store.restored`` entry (:func:`earlier_run`), else the store's newest audit entry, else the
  epoch. An earlier run's time comes before the newest entry: after a run the newest entries
  are that run's own and those of bridges served since, all written after the restore, and a
  copy without a mark (any Redis copy, ``sqlite3 .backup``) says nothing else. Read under the
  lease, so two runs never interleave.
- One ``store.restored`` audit entry records the backup's time and where it came from
  (``backup_time``: its ``source``; ``earlier_run_seq``, the entry it was read from;
  ``contradicts``, an earlier run's time that a given one differs from; ``written_since``, the
  newest entry written after that earlier run), the drafts moved, the archived files found,
  per draft of which a message left after the backup what its copy says
  (``left_after_backup``: file, version, time, recipient, Message-ID, approver, approval and
  second-factor times, the state it had, whether it was held), the audit log's numbers
  and the hand-over counts: what compliance reads about the gap, and what the next run reads.
- Running it again, with the same or another archive folder, is harmless and reports against
  the same backup time: a draft already in doubt is left as it is.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.core import casework, draft_codec
from bridge.core.audit_search import AuditFilter
from bridge.errors import BridgeError
from bridge.notices import archive, audit_mark, witness
from bridge.notices.book import draft_record
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, audit_entries

#: how long the lease is taken for: the writes are a handful, each a short store write
LEASE_TTL = timedelta(seconds=60)
#: the audit action of a run's summary (target ``store``)
RESTORED = "store.restored"
#: the audit action saying entries were lost with a restore (target ``audit``)
LOST = "audit.lost"
#: where the backup's time came from (:attr:`BackupTime.source`)
GIVEN, MARK, EARLIER_RUN, NEWEST_ENTRY, NOTHING = (
    "given",
    "mark",
    "earlier run",
    "newest audit entry",
    "nothing audited",
)


class Refused(BridgeError):
    """Another holder has the store's lease: a bridge serves the store; nothing was written."""


@dataclass(frozen=True, slots=True)
class Moved:
    draft_id: str
    was: str
    message_id: str | None
    copy: casework.LeftCopy | None = None  # what the archive says left after the backup


@dataclass(frozen=True, slots=True)
class Archived:
    """An ``.eml`` in the archive folder written at or after the backup's time."""

    name: str
    written_at: datetime
    message_id: str | None
    draft_id: str | None  # from the file's name (``DRAFT.vN.eml``)
    draft_state: str | None  # what the restored store says of that draft (None: not there)
    copy: casework.LeftCopy | None = None  # what it and its sidecar say (None: not a notice's)


@dataclass(frozen=True, slots=True)
class EarlierRun:
    """An earlier run's ``store.restored`` entry: the backup time it reported against."""

    seq: int
    at: datetime
    actor: str
    backup_taken_at: datetime
    archive_dir: str | None


@dataclass(frozen=True, slots=True)
class BackupTime:
    """The backup's time a run reports against and where it came from (module contract)."""

    at: datetime
    source: str  # GIVEN, MARK, EARLIER_RUN, NEWEST_ENTRY or NOTHING
    earlier: EarlierRun | None = None  # the newest earlier run on this store
    written_since: datetime | None = None  # the newest audit entry written after ``earlier``

    @property
    def contradicts(self) -> bool:
        """A given time that differs from the one an earlier run reported against."""
        return (
            self.source == GIVEN
            and self.earlier is not None
            and self.at != self.earlier.backup_taken_at
        )


def backup_time(
    given: datetime | None,
    mark: datetime | None,
    earlier: EarlierRun | None,
    newest: tuple[int, datetime] | None,
) -> BackupTime:
    """The backup's time (module contract): ``given`` (``--backup-taken-at``), ``mark`` (the
    copy's, from ``bridge backup``), ``earlier`` (the newest ``store.restored`` entry) and
    ``newest`` (the store's newest audit entry: its ``seq`` and time), each None when absent."""
    since = newest[1] if earlier is not None and newest and newest[0] > earlier.seq else None
    if given is not None:
        return BackupTime(given, GIVEN, earlier, since)
    if mark is not None:
        return BackupTime(mark, MARK, earlier, since)
    if earlier is not None:
        return BackupTime(earlier.backup_taken_at, EARLIER_RUN, earlier, since)
    if newest is not None:
        return BackupTime(newest[1], NEWEST_ENTRY)
    return BackupTime(datetime.fromtimestamp(0, UTC), NOTHING)


async def earlier_run(store: Store) -> EarlierRun | None:
    """The newest ``store.restored`` entry whose backup time can be read, or None."""
    where = AuditFilter(action=RESTORED, target="store")
    before: int | None = None
    while True:
        page = await store.search_audit(where, 10, before)
        for entry in page.entries:
            try:
                taken = datetime.fromisoformat(str(entry.detail["backup_taken_at"]))
            except (KeyError, ValueError):
                continue
            if taken.utcoffset() is None:
                continue
            folder = entry.detail.get("archive_dir")
            return EarlierRun(
                entry.seq,
                entry.at,
                entry.actor,
                taken.astimezone(UTC),
                None if folder is None else str(folder),
            )
        if page.resume is None:
            return None
        before = page.resume


@dataclass(frozen=True, slots=True)
class Report:
    backup: BackupTime
    moved: list[Moved]
    portal: list[str]  # approved portal drafts: check the portal before submitting
    archived: list[Archived]
    archive_missing: bool
    handovers_before: int = 0  # the restored store's hand-over count
    handovers_witness: int | None = None  # the archive folder's (None: no readable witness)
    handovers: int = 0  # the store's count now
    #: a given time later than an earlier run's: the files this folder has from that run's time
    #: on that this run does not list
    unlisted: int = 0
    #: per draft of which a message left after the backup (its newest archived copy): the
    #: draft's state in the restored store before this run (None: not in it) and the copy
    left: tuple[tuple[str, str | None, casework.LeftCopy], ...] = ()
    audit: AuditGap | None = None  # the audit log's seq after the restore

    @property
    def backup_taken_at(self) -> datetime:
        return self.backup.at


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
        copy = None if named is None else _copy(folder, path, named[1], written)
        found.append(Archived(path.name, written, message_id, draft_id, None, copy))
    return sorted(found, key=lambda a: (a.written_at, a.name)), False


def _copy(folder: Path, path: Path, version: int, written: datetime) -> casework.LeftCopy:
    """What an archived message and its sidecar say (:mod:`bridge.notices.archive`); the
    message's headers where there is no sidecar (archives written before there were any)."""
    side = archive.read_sidecar(folder, path.name) or {}
    heads = archive.headers(path)

    def text(key: str) -> str | None:
        value = side.get(key)
        return None if value is None else str(value)

    def time_of(key: str) -> datetime | None:
        value = side.get(key)
        try:
            return None if not value else datetime.fromisoformat(str(value))
        except ValueError:
            return None

    try:
        numbered = int(str(side.get("version", version)))
    except ValueError:
        numbered = version
    return casework.LeftCopy(
        file=path.name,
        version=numbered,
        at=time_of("sent_at") or time_of("handed_over_at") or written,
        recipient=text("recipient") or heads.get("To"),
        message_id=text("message_id") or heads.get("Message-ID"),
        approved_by=text("approved_by"),
        approved_at=time_of("approved_at"),
        second_factor_at=time_of("second_factor_at"),
        content_hash=text("content_hash"),
        accepted=time_of("sent_at") is not None,
    )


def newest_per_draft(archived: Sequence[Archived]) -> dict[str, casework.LeftCopy]:
    """The newest copy of each draft's messages among ``archived`` (oldest first), by draft id
    whatever the version."""
    out: dict[str, casework.LeftCopy] = {}
    for a in archived:
        if a.draft_id is not None and a.copy is not None:
            out[a.draft_id] = a.copy
    return out


def decided(draft: casework.Draft, copy: casework.LeftCopy) -> bool:
    """Whether ``copy`` already put ``draft`` in doubt once (an earlier run), or a person
    decided to send it again beside it: a second run leaves the draft as the person left it."""
    for a in draft.attempts:
        if a.outcome == casework.SEND_AGAIN and a.detail == copy.file:
            return True
        if a.outcome == casework.LEFT_AFTER_BACKUP:
            try:
                held = json.loads(a.detail)["copy"]["file"]
            except (ValueError, KeyError, TypeError):
                continue
            if held == copy.file:
                return True
    return False


async def settle(
    store: Store,
    given: datetime | None,
    mark: datetime | None,
    actor: str,
    holder: str,
    archive_dir: Path,
    now: datetime,
    wait: timedelta,
    audit_above: int | None = None,
) -> Report:
    """Make the restored ``store`` safe to serve (see the module contract): ``given`` is
    ``--backup-taken-at``, ``mark`` the copy's time from ``bridge backup`` (None: absent),
    ``audit_above`` ``--audit-seq-above`` (an export's highest seq; None: not given)."""
    token = await _take_lease(store, holder, wait)
    try:
        newest = await store.audit_log(limit=1)
        backup = backup_time(
            given,
            mark,
            await earlier_run(store),
            (newest[0].seq, newest[0].at) if newest else None,
        )
        gap = await continue_audit(store, backup, archive_dir, audit_above, actor, now)
        return await _settle(store, token, backup, actor, archive_dir, now, gap)
    finally:
        await store.release_lease(holder)


@dataclass(frozen=True, slots=True)
class AuditGap:
    """The audit log's seq after a restore (:func:`continue_audit`)."""

    last: int  # the highest seq the restored store had handed out (the backup's last, or more)
    high: int | None  # the highest seq handed out before the restore, as known (None: unknown)
    source: str | None  # where ``high`` came from
    raised: bool  # whether the log now continues above ``high`` (entries were lost)


async def continue_audit(
    store: Store,
    backup: BackupTime,
    archive_dir: Path,
    given: int | None,
    actor: str,
    now: datetime,
) -> AuditGap:
    """The next audit seq continues above the highest handed out before the restore: the
    archive folder's mark (:mod:`bridge.notices.audit_mark`) or ``given`` (an export's), the
    higher. Above the restored store's counter: the counter is raised and one ``audit.lost``
    entry (target ``audit``, the first of the new numbers but for the run's own) says the log
    was restored from a backup taken at the backup's time and that the entries numbered from
    the store's last + 1 to that number were lost. Written before anything else this run
    writes, so none of its entries takes a number handed out before."""
    last = await store.audit_seq()
    found = audit_mark.read(archive_dir)
    candidates: list[tuple[int, str]] = []
    if found is not None:
        candidates.append((found.seq, f"the archive's mark ({audit_mark.path(archive_dir)})"))
    if given is not None:
        candidates.append((given, "given (--audit-seq-above)"))
    if not candidates:
        return AuditGap(last, None, None, False)
    high, source = max(candidates)
    if high <= last:
        return AuditGap(last, high, source, False)
    await store.raise_audit_seq(high)
    await store.append_audit(
        [
            AuditEntry(
                now,
                actor,
                LOST,
                "audit",
                {
                    "backup_taken_at": backup.at.isoformat(),
                    "restored_last_seq": last,
                    "lost": {"from_seq": last + 1, "to_seq": high},
                    "high_water": {"seq": high, "source": source},
                    "reason": (
                        f"the audit log was restored from a backup taken at "
                        f"{backup.at.isoformat()}: the entries numbered {last + 1} to {high} "
                        "were written after it and are lost; the log continues above them"
                    ),
                },
            )
        ]
    )
    return AuditGap(last, high, source, True)


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
    backup: BackupTime,
    actor: str,
    archive_dir: Path,
    now: datetime,
    gap: AuditGap,
) -> Report:
    taken = backup.at
    archived, missing = archived_after(archive_dir, taken)
    copies = newest_per_draft(archived)
    records = await store.list_drafts(states=(casework.APPROVED, casework.SENDING))
    moved: list[Moved] = []
    portal: list[str] = []
    left: list[tuple[str, str | None, casework.LeftCopy]] = []
    for record in records:
        draft = draft_codec.from_dict(record.document)
        if not casework.at_risk_after_restore(draft):
            if draft.state == casework.APPROVED and draft.channel == casework.PORTAL:
                portal.append(draft.id)
            continue
        copy = copies.get(draft.id)
        changed, events = casework.restored(draft, taken, actor, now, copy)
        await store.put_draft(
            draft_record(changed), draft.revision, audit_entries(events), fence=token
        )
        moved.append(Moved(draft.id, draft.state, draft.message_id, copy))
        if copy is not None:
            left.append((draft.id, draft.state, copy))
    for draft_id, copy in copies.items():
        if any(m.draft_id == draft_id for m in moved):
            continue
        found = await store.get_draft(draft_id)
        if found is None:
            left.append((draft_id, None, copy))
            continue
        draft = draft_codec.from_dict(found.document)
        left.append((draft_id, draft.state, copy))
        if draft.state not in casework.LEFT_FROM or decided(draft, copy):
            continue
        changed, events = casework.left_after_backup(draft, taken, actor, now, copy)
        await store.put_draft(
            draft_record(changed), draft.revision, audit_entries(events), fence=token
        )
        moved.append(Moved(draft.id, draft.state, draft.message_id, copy))
    unlisted = 0
    if backup.contradicts and backup.earlier is not None and backup.earlier.backup_taken_at < taken:
        unlisted = len(archived_after(archive_dir, backup.earlier.backup_taken_at)[0]) - len(
            archived
        )
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
        backup,
        moved,
        portal,
        archived,
        missing,
        before,
        None if seen is None else seen.count,
        count,
        unlisted,
        tuple(left),
        gap,
    )
    await store.append_audit([_summary(report, actor, archive_dir, now)])
    return report


async def _with_states(store: Store, archived: Sequence[Archived]) -> list[Archived]:
    out: list[Archived] = []
    for a in archived:
        record = await store.get_draft(a.draft_id) if a.draft_id else None
        state = None if record is None else record.state
        out.append(Archived(a.name, a.written_at, a.message_id, a.draft_id, state, a.copy))
    return out


def _basis(backup: BackupTime, unlisted: int) -> dict[str, object]:
    """Where the backup's time came from, for the ``store.restored`` entry."""
    out: dict[str, object] = {"source": backup.source}
    if backup.source == EARLIER_RUN and backup.earlier is not None:
        out["earlier_run_seq"] = backup.earlier.seq
    if backup.contradicts and backup.earlier is not None:
        out["contradicts"] = {
            "earlier_run_seq": backup.earlier.seq,
            "backup_taken_at": backup.earlier.backup_taken_at.isoformat(),
            "unlisted_files": unlisted,
        }
    if backup.written_since is not None:
        out["written_since"] = backup.written_since.isoformat()
    return out


def _summary(report: Report, actor: str, archive_dir: Path, now: datetime) -> AuditEntry:
    return AuditEntry(
        now,
        actor,
        RESTORED,
        "store",
        {
            "backup_taken_at": report.backup_taken_at.isoformat(),
            "backup_time": _basis(report.backup, report.unlisted),
            "in_doubt": [{"draft": m.draft_id, "was": m.was} for m in report.moved],
            "portal_approved": report.portal,
            "archive_dir": str(archive_dir),
            "handovers": {
                "store_before": report.handovers_before,
                "archive_witness": report.handovers_witness,
                "store_now": report.handovers,
            },
            # per draft of which a message left after the backup: what the archive says of its
            # newest copy, the draft's state in the restored store (None: not in it) and
            # whether this run held it for a person
            "left_after_backup": [
                {
                    "draft": draft_id,
                    "was": was,
                    "held": any(m.draft_id == draft_id for m in report.moved),
                    **copy.to_dict(),
                }
                for draft_id, was, copy in report.left
            ],
            "audit": None
            if report.audit is None
            else {
                "restored_last_seq": report.audit.last,
                "high_water": report.audit.high,
                "high_water_source": report.audit.source,
                "lost": report.audit.raised,
            },
            "archived_after_backup": [
                {"file": a.name, "written_at": a.written_at.isoformat(), "message_id": a.message_id}
                for a in report.archived
            ],
        },
    )
