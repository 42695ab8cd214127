"""``bridge restored [--backup-taken-at T]``: run on a store restored from a backup, before
any ``bridge serve`` on it, once per archive folder (docs/deployment.md, "Backups and restore";
what it does: :mod:`bridge.notices.after_restore`).

Every draft the outbox would send on its own (approved for e-mail, or sending) goes ``in_doubt``
for a person, audited; so does every draft of which the archive holds a message written since
the backup (by draft id, whatever the version) that the restored store has as a draft, held,
rejected, failed or withdrawn, each line saying what left (version, time, address, Message-ID);
the archive's ``.eml`` files written since the backup are listed with their Message-IDs so
that person can tell which left. It refuses (exit 1, nothing written)
while a bridge serves the store: on SQLite it takes the serve lock as ``serve`` does, on Redis
it takes the store's lease, waiting up to the lease's time to live for one the restored data
holds to lapse, and refuses while another holder keeps renewing it.

The backup's time ``T`` (ISO 8601 with its offset): given, else the one a copy made by
``bridge backup`` carries, else the one the newest earlier run recorded in its
``store.restored`` audit entry, else the store's newest audit entry (every approval and every
hand-over to the relay is audited, so the backup was taken at or after it: listing the files
from there lists every one written after the backup, and perhaps a few more). So a second run
(another archive folder, or again) reports against the same time as the first, never against
the first run's own entry or one a bridge wrote since. A given time that differs from an
earlier run's is used, with a ``warning:`` line naming both (and, when it is the later, how
many of this folder's files it leaves out); an earlier run's time used although entries were
written after that run gets a ``note:`` line (a later copy of a store restored before: give
its time). Every run records the time it used and where from (``backup_time`` in its
``store.restored`` entry). It raises the store's hand-over count to the archive folder's
witness (:mod:`bridge.notices.witness`), and on SQLite it finally removes the copy's mark, so
``bridge serve`` accepts the store.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

from bridge.cli.common import invalid
from bridge.config import LoadedConfig, load_config
from bridge.core.alerts import format_time
from bridge.core.casework import LeftCopy
from bridge.errors import BadInput, ConfigError, Conflict, LeaseLost, StoreUnavailable
from bridge.notices.after_restore import (
    EARLIER_RUN,
    GIVEN,
    MARK,
    NEWEST_ENTRY,
    BackupTime,
    EarlierRun,
    Refused,
    Report,
    settle,
)
from bridge.store import make_store
from bridge.store.holders import lease_holder
from bridge.store.sqlite import backup
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.sole import AlreadyServed, sole_server


def parse_taken_at(text: str, now: datetime) -> datetime:
    """``--backup-taken-at``: an ISO 8601 instant with its offset, not in the future."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            "--backup-taken-at", f"{text!r} is not an ISO 8601 time (2026-11-23T10:00:00Z)"
        ) from None
    if value.utcoffset() is None:
        raise BadInput("--backup-taken-at", f"{text!r} has no offset: add Z or +01:00")
    if value > now:
        raise BadInput("--backup-taken-at", f"{text} is in the future")
    return value.astimezone(UTC)


def parse_seq(text: str) -> int:
    """``--audit-seq-above``: a whole number, 0 or more."""
    try:
        value = int(text.strip())
    except ValueError:
        raise BadInput("--audit-seq-above", f"{text!r} is not a whole number") from None
    if value < 0:
        raise BadInput("--audit-seq-above", f"{text} is below 0")
    return value


def restored(path: str, taken_at: str | None, audit_above: str | None = None) -> int:
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        return invalid(exc)
    url = loaded.store_url()
    sqlite = url.startswith("sqlite:///")
    try:
        given = None if taken_at is None else parse_taken_at(taken_at, datetime.now(UTC))
        above = None if audit_above is None else parse_seq(audit_above)
        if not sqlite:
            report = asyncio.run(_run(url, False, given, None, loaded, above))
        else:
            database = SqliteConnection(url)
            with sole_server(url):
                mark = backup.pending(database.path)
                report = asyncio.run(_run(url, True, given, mark, loaded, above))
                if mark is not None:
                    backup.clear_pending(database.path, database.busy_timeout_ms)
    except AlreadyServed as exc:
        print(f"bridge restored: {exc}: stop it first", file=sys.stderr)
        return 1
    except (BadInput, Refused, Conflict, LeaseLost, StoreUnavailable) as exc:
        print(f"bridge restored: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:  # e.g. a Redis whose settings cannot keep acknowledged writes
        return invalid(exc)
    print(render(report, loaded.config.notices.archive_dir))
    return 0


async def _run(
    url: str,
    sole: bool,
    given: datetime | None,
    mark: datetime | None,
    loaded: LoadedConfig,
    above: int | None,
) -> Report:
    store = make_store(url, sole=sole)
    await store.open()
    try:
        return await settle(
            store,
            given,
            mark,
            _actor(),
            lease_holder("restored"),
            loaded.config.notices.archive_dir,
            datetime.now(UTC),
            loaded.lease_ttl(),  # as the bridges on this store take it
            above,
        )
    finally:
        await store.close()


def _actor() -> str:
    """Who ran it, for the audit log (as ``bridge users`` records it)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _time(value: datetime) -> str:
    return format_time(value.astimezone(UTC).replace(microsecond=0)) or value.isoformat()


def _earlier(run: EarlierRun) -> str:
    folder = f", archive {run.archive_dir}" if run.archive_dir else ""
    return f"store.restored #{run.seq} at {_time(run.at)} by {run.actor}{folder}"


def basis(backup: BackupTime) -> str:
    """Where the backup's time came from, in words."""
    if backup.source == GIVEN:
        return "as given"
    if backup.source == MARK:
        return "as `bridge backup` recorded it in the copy"
    if backup.source == EARLIER_RUN and backup.earlier is not None:
        return (
            "not given: the time the earlier `bridge restored` reported against, as it recorded "
            f"it ({_earlier(backup.earlier)})"
        )
    if backup.source == NEWEST_ENTRY:
        return (
            "not given: the store's newest audit entry, the earliest the backup can have been taken"
        )
    return "not given, and nothing audited"


def caveats(report: Report, archive_dir: Path) -> list[str]:
    """A given time that differs from an earlier run's; entries written since an earlier run
    whose time is used."""
    backup = report.backup
    earlier = backup.earlier
    if earlier is None:
        return []
    if backup.contradicts:
        if backup.at > earlier.backup_taken_at:
            then = (
                f"{report.unlisted} .eml file(s) in {archive_dir} written between the two are "
                f"not listed: if both restored the same copy, run it again with "
                f"--backup-taken-at {_time(earlier.backup_taken_at)}"
            )
        else:
            then = "this run lists files that one did not"
        return [
            f"warning: an earlier `bridge restored` ({_earlier(earlier)}) reported against a "
            f"backup taken at {_time(earlier.backup_taken_at)}, this run against "
            f"{_time(backup.at)} as given; {then}"
        ]
    if backup.source == EARLIER_RUN and backup.written_since is not None:
        return [
            f"note: audit entries were written after that run (the newest at "
            f"{_time(backup.written_since)}): a bridge served the restored store, or this is a "
            f"copy taken later than the one that run restored; if so, give its time with "
            f"--backup-taken-at (this time lists more files, never fewer)"
        ]
    return []


def said(copy: LeftCopy) -> str:
    """What the archive says left after the backup, in words."""
    how = "sent" if copy.accepted else "handed to the relay (acceptance not recorded)"
    return (
        f"{how} after the backup as version {copy.version} at {_time(copy.at)} to "
        f"{copy.recipient or '?'}, Message-ID {copy.message_id or '-'}"
    )


def audit_line(report: Report) -> str:
    """What became of the audit log's numbering."""
    gap = report.audit
    if gap is None or gap.high is None:
        return (
            f"audit log: no high-water mark found (the archive folder has none, none given): it "
            f"continues from seq {gap.last if gap else '?'}; entries written after the backup "
            "may be lost and their numbers reused (give --audit-seq-above from an export)"
        )
    if gap.raised:
        return (
            f"audit log: entries {gap.last + 1} to {gap.high} were written after the backup and "
            f"are lost (highest seq {gap.high}, {gap.source}); it continues above {gap.high}, "
            "audited as audit.lost"
        )
    return f"audit log: nothing lost (seq {gap.last}; {gap.source} says {gap.high})"


def render(report: Report, archive_dir: Path) -> str:
    """What a person reads: the backup's time, what went in doubt, what left since."""
    lines = [f"backup taken at {_time(report.backup_taken_at)} ({basis(report.backup)})"]
    lines += caveats(report, archive_dir)
    if report.moved:
        lines.append(
            f"in doubt now, for a person (console: resend with the same Message-ID, or mark "
            f"sent): {len(report.moved)}"
        )
        lines += [
            f"  {m.draft_id}  was {m.was}  {m.message_id or '-'}"
            + ("" if m.copy is None else f"  {said(m.copy)}; the store does not know")
            for m in report.moved
        ]
    else:
        lines.append("in doubt now: none (no draft was approved or sending)")
    absent = [(d, c) for d, was, c in report.left if was is None]
    if absent:
        lines.append(
            "sent after the backup, not in the restored store (the bridge may draft it again: "
            "the archive holds the same version for a person, not another; check before "
            "approving):"
        )
        lines += [f"  {d}  {said(c)}" for d, c in absent]
    if report.portal:
        lines.append("approved for a portal (check the portal for a submission since the backup):")
        lines += [f"  {d}" for d in report.portal]
    if report.archive_missing:
        lines.append(
            f"archive {archive_dir}: missing (restore it from its own backup, never older)"
        )
    elif report.archived:
        lines.append(
            f"handed to the relay since the backup (archive {archive_dir}, .eml written since "
            f"then): {len(report.archived)}"
        )
        lines += [
            f"  {_time(a.written_at)}  {a.name}  {a.message_id or '-'}  draft now: "
            f"{a.draft_state or 'not in the store'}"
            for a in report.archived
        ]
    else:
        lines.append(f"archive {archive_dir}: nothing written since the backup")
    if report.handovers_witness is not None and report.handovers_witness > report.handovers_before:
        lines.append(
            f"hand-overs counted: the store had {report.handovers_before}, the archive's witness "
            f"{report.handovers_witness}: the store's count is {report.handovers} now"
        )
    lines.append(audit_line(report))
    lines.append("audited as store.restored; the store may be served now")
    return "\n".join(lines)
