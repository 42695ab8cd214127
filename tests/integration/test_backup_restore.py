"""Backups and restore on SQLite, as the platform team runs them (docs/deployment.md, "Backups
and restore"): ``bridge backup`` copies the file while a real ``bridge serve`` writes to it, and
a restored copy never sends again on its own a notice that left after the backup: ``serve``
refuses the copy until ``bridge restored`` ran, which puts the notice in doubt for a person
and names the archived message that left; only the person's resend reaches the relay."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bridge_process import OUTBOX_ROUNDS, BridgeProcess
from builders import WEBHOOK_TOKEN, alert, seed_user, webhook, write_config
from persons import sign_in
from polling import until
from smtp_server import SmtpServer
from test_cli import bridge as bridge_cli

from bridge.store import make_store
from bridge.store.sqlite import SqliteStore

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": "Bearer backup-viewer-token"}


def sections(smtp: SmtpServer) -> dict[str, Any]:
    return {
        "auth": {
            "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
            "api_tokens": [{"name": "noc", "token": "backup-viewer-token", "roles": ["viewer"]}],
        },
        "smtp": smtp.smtp_config(),
        "notices": {
            "refresh_interval": "0s",
            "poll_interval": "200ms",
            "retry_initial": "1s",
            "retry_max": "1s",
        },
    }


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def count_alerts(path: Path) -> int:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])
    finally:
        conn.close()


def put_back(copy: Path, database: Path) -> None:
    """What the docs say a restore does: the bridge stopped, the old file and its ``-wal`` and
    ``-shm`` removed (an old write-ahead log must never meet another file), the copy put in."""
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    shutil.copy2(copy, database)


async def approve_first_draft(
    session: aiohttp.ClientSession, bridge: BridgeProcess, approver: dict[str, str]
) -> tuple[str, dict[str, Any], str]:
    """An alert that makes a report owed; the person approves its draft while the relay answers
    4xx (``tempfail``): the draft stays ``approved``, retried. Its URL, the draft as first read
    and the approved Message-ID."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    body = webhook(alert("fp-1", start, element="no-cell-ullevaal", severity="major"))
    async with session.post(bridge.url + "/api/v1/alertmanager", json=body, headers=HOOK) as r:
        assert r.status == 200

    async def the_draft() -> dict[str, Any] | None:
        found = (await get(session, bridge.url + "/api/v1/drafts"))["drafts"]
        return found[0] if found else None

    draft = await until(the_draft, "the draft")
    url = f"{bridge.url}/api/v1/drafts/{draft['id']}"
    async with session.post(
        url + "/approve",
        json={"version": 1, "send_unknown": draft["to_complete"]},
        headers=approver,
    ) as r:
        assert r.status == 200, await r.text()
        message_id = str((await r.json())["message_id"])

    async def retrying() -> bool:
        d = await get(session, url)
        return d["state"] == "approved" and "failed, retrying" in (d["flag"] or "")

    await until(retrying, "a transient failure")
    return url, draft, message_id


async def get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url, headers=VIEWER) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def state_is(session: aiohttp.ClientSession, url: str, state: str) -> bool:
    return bool((await get(session, url))["state"] == state)


async def test_a_backup_taken_while_the_bridge_writes_is_consistent_and_complete(
    bridge_process: Callable[..., BridgeProcess], smtp: SmtpServer, tmp_path: Path
) -> None:
    """Webhooks are acknowledged before, during and after ``bridge backup``: the copy passes
    ``PRAGMA integrity_check``, is one private file (no ``-wal``), holds every alert acknowledged
    before the command started, and the bridge never stopped acknowledging."""
    bridge = bridge_process(sections(smtp))
    bridge.start()
    acked = 0
    stop = asyncio.Event()
    start = datetime.now(UTC) - timedelta(minutes=1)

    async def post_forever() -> None:
        nonlocal acked
        async with aiohttp.ClientSession() as session:
            n = 0
            while not stop.is_set():
                n += 1
                body = webhook(
                    alert(f"fp-{n}", start, element="no-cell-ullevaal"), group_key=f"g{n}"
                )
                async with session.post(
                    bridge.url + "/api/v1/alertmanager", json=body, headers=HOOK
                ) as r:
                    assert r.status == 200, await r.text()
                acked = n

    try:
        await bridge.wait_ready()
        poster = asyncio.create_task(post_forever())
        await until(lambda: acked >= 20, "20 webhooks acknowledged", every=0.05)
        before = acked
        dest = tmp_path / "backups"
        dest.mkdir()
        run = await asyncio.to_thread(bridge_cli, "backup", str(dest), "-c", str(bridge.config))
        during = acked
        await until(lambda: acked >= during + 5, "webhooks acknowledged after the backup")
        stop.set()
        await poster
    finally:
        stop.set()
        bridge.stop()
    assert run.returncode == 0, run.stderr
    [copy] = list(dest.iterdir())
    assert copy.name.startswith("bridge-") and copy.suffix == ".sqlite3"
    assert f"{copy} (" in run.stdout and "integrity ok" in run.stdout
    assert during > before  # the bridge went on acknowledging while the backup ran
    assert integrity(copy) == ["ok"]
    assert not copy.with_name(copy.name + "-wal").exists()
    assert copy.stat().st_mode & 0o777 == 0o600
    assert before <= count_alerts(copy) <= during


async def test_a_restored_store_sends_nothing_again_until_a_person_resolves_it(
    bridge_process: Callable[..., BridgeProcess], smtp: SmtpServer, tmp_path: Path
) -> None:
    """A notice approved before the backup and sent after it: the copy put back is refused by
    ``serve``; ``bridge restored`` puts the notice in doubt and names the archived message that
    left; the restored bridge's outbox sends nothing on its own, and a person's resend delivers
    it with the same Message-ID."""
    database = tmp_path / "bridge.sqlite3"
    bridge = bridge_process(sections(smtp))
    await asyncio.to_thread(seed_user, f"sqlite:///{database}", "olga", ["approver"])
    smtp.mailbox.mode = "tempfail"  # approved, not delivered yet: as the backup will find it
    bridge.start()
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            approver = await sign_in(session, "olga", base=bridge.url)
            url, draft, message_id = await approve_first_draft(session, bridge, approver)
            backup = tmp_path / "bridge-backup.sqlite3"
            run = await asyncio.to_thread(
                bridge_cli, "backup", str(backup), "-c", str(bridge.config)
            )
            assert run.returncode == 0, run.stderr
            smtp.mailbox.mode = "accept"

            await until(lambda: state_is(session, url, "sent"), "the notice sent after the backup")
    finally:
        bridge.stop()
    [first] = smtp.mailbox.received
    assert first.message["Message-ID"] == message_id

    put_back(backup, database)
    refused = await asyncio.to_thread(bridge_cli, "serve", "-c", str(bridge.config))
    assert refused.returncode == 1
    assert "is a copy made by `bridge backup`" in refused.stderr
    assert "run `bridge restored" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    run = await asyncio.to_thread(bridge_cli, "restored", "-c", str(bridge.config))
    assert run.returncode == 0, run.stderr
    assert "as `bridge backup` recorded it in the copy" in run.stdout
    assert f"{draft['id']}  was approved  {message_id}" in run.stdout
    assert f"{draft['id']}.v1.eml  {message_id}  draft now: in_doubt" in run.stdout

    bridge.start()
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            doubt = await get(session, url)
            assert doubt["state"] == "in_doubt"
            assert "restored from a backup" in doubt["flag"]
            await bridge.grows_by(OUTBOX_ROUNDS, 5, "outbox rounds")
            assert smtp.mailbox.received == [first]  # nothing sent again on its own
            later = datetime.now(UTC) + timedelta(seconds=30)  # a TOTP step not used yet
            approver = await sign_in(session, "olga", later, base=bridge.url)
            async with session.post(
                url + "/resolve",
                json={"action": "resend", "comment": "Nkom has no record of it"},
                headers=approver,
            ) as r:
                assert r.status == 200, await r.text()

            await until(lambda: state_is(session, url, "sent"), "the person's resend")
    finally:
        bridge.stop()
    assert [m.message["Message-ID"] for m in smtp.mailbox.received] == [message_id] * 2
    store = SqliteStore(f"sqlite:///{database}")
    await store.open()
    try:
        [summary] = await store.audit_log(target="store")
        entries = await store.audit_log(target=f"draft:{draft['id']}")
    finally:
        await store.close()
    assert summary.action == "store.restored" and summary.actor.startswith("cli")
    assert summary.detail["in_doubt"] == [{"draft": draft["id"], "was": "approved"}]
    assert [a["message_id"] for a in summary.detail["archived_after_backup"]] == [message_id]
    doubted = next(e for e in entries if e.action == "outbox.in_doubt")
    assert (
        doubted.detail["was"] == "approved" and "restored from a backup" in doubted.detail["reason"]
    )


def backup_line(stdout: str) -> str:
    """The time ``bridge restored`` says the backup was taken at (its first line)."""
    found = re.match(r"backup taken at (\S+) ", stdout)
    assert found, stdout
    return found.group(1)


def second_folder(first: Path, second: Path) -> None:
    """Another replica's archive folder that got the same messages (``.eml`` copied with their
    times, no witness of its own)."""
    second.mkdir()
    for eml in first.glob("*.eml"):
        shutil.copy2(eml, second / eml.name)


async def test_restored_once_per_archive_folder_reports_every_run_against_the_backup(
    bridge_process: Callable[..., BridgeProcess], smtp: SmtpServer, tmp_path: Path
) -> None:
    """The audit's reproduction: an unmarked copy (``sqlite3 .backup``), a notice sent after it
    whose ``.eml`` is in two archive folders, the copy put back. ``bridge restored`` with the
    first folder, then with the second: both report against the backup's time the first run
    found (recorded in its ``store.restored`` entry), never the first run's own entry, so the
    second folder's message is listed too. A later run given a later time warns, naming both."""
    database = tmp_path / "bridge.sqlite3"
    bridge = bridge_process(sections(smtp))
    await asyncio.to_thread(seed_user, f"sqlite:///{database}", "olga", ["approver"])
    smtp.mailbox.mode = "tempfail"
    bridge.start()
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            approver = await sign_in(session, "olga", base=bridge.url)
            url, draft, message_id = await approve_first_draft(session, bridge, approver)
            copy = tmp_path / "unmarked.sqlite3"
            taken = datetime.now(UTC)
            made = await asyncio.to_thread(
                subprocess.run,
                ["sqlite3", str(database), f".backup {copy}"],
                capture_output=True,
                text=True,
                check=False,
            )
            assert made.returncode == 0, made.stderr
            smtp.mailbox.mode = "accept"
            await until(lambda: state_is(session, url, "sent"), "the notice sent after the backup")
    finally:
        bridge.stop()
    second_folder(tmp_path / "sent", tmp_path / "sentB")
    (tmp_path / "b").mkdir()
    other = write_config(  # the same store, the other folder
        tmp_path / "b",
        store=f"sqlite:///{database}",
        extra={"notices": {"archive_dir": str(tmp_path / "sentB")}},
    )
    put_back(copy, database)
    listed = f"{draft['id']}.v1.eml  {message_id}  draft now: in_doubt"

    first = await asyncio.to_thread(bridge_cli, "restored", "-c", str(bridge.config))
    assert first.returncode == 0, first.stderr
    assert listed in first.stdout
    at = backup_line(first.stdout)
    assert datetime.fromisoformat(at) <= taken

    second = await asyncio.to_thread(bridge_cli, "restored", "-c", str(other))
    assert second.returncode == 0, second.stderr
    assert backup_line(second.stdout) == at
    assert "the time the earlier `bridge restored`" in second.stdout
    assert listed in second.stdout, second.stdout
    assert "nothing written since the backup" not in second.stdout

    later = datetime.now(UTC).replace(microsecond=0)
    third = await asyncio.to_thread(
        bridge_cli, "restored", "--backup-taken-at", later.isoformat(), "-c", str(other)
    )
    assert third.returncode == 0, third.stderr
    assert f"backup taken at {later.isoformat().replace('+00:00', 'Z')}" in third.stdout
    warning = next(line for line in third.stdout.splitlines() if line.startswith("warning:"))
    assert at in warning and later.isoformat().replace("+00:00", "Z") in warning, warning
    assert "1 .eml file(s)" in warning and f"--backup-taken-at {at}" in warning

    store = SqliteStore(f"sqlite:///{database}")
    await store.open()
    try:
        runs = list(reversed(await store.audit_log(target="store")))
    finally:
        await store.close()
    assert [r.action for r in runs] == ["store.restored"] * 3
    recorded = [datetime.fromisoformat(r.detail["backup_taken_at"]) for r in runs]
    assert recorded[0] == recorded[1]
    assert recorded[0].replace(microsecond=0) == datetime.fromisoformat(at)
    assert runs[1].detail["backup_time"]["earlier_run_seq"] == runs[0].seq
    assert [a["message_id"] for a in runs[1].detail["archived_after_backup"]] == [message_id]
    assert runs[2].detail["backup_time"]["contradicts"] == {
        "earlier_run_seq": runs[1].seq,
        "backup_taken_at": runs[1].detail["backup_taken_at"],
        "unlisted_files": 1,
    }


async def test_restored_refuses_while_a_bridge_serves_the_file(
    bridge_process: Callable[..., BridgeProcess], smtp: SmtpServer
) -> None:
    """``bridge restored`` takes the serve lock as ``serve`` does: beside a running bridge it
    exits 1 with one line naming that bridge's pid, and writes nothing."""
    bridge = bridge_process(sections(smtp))
    bridge.start()
    try:
        await bridge.wait_ready()
        run = await asyncio.to_thread(bridge_cli, "restored", "-c", str(bridge.config))
        assert bridge.proc is not None
        pid = bridge.proc.pid
    finally:
        bridge.stop()
    assert run.returncode == 1
    assert run.stderr.startswith("bridge restored: another bridge (pid ")
    assert f"(pid {pid})" in run.stderr and run.stderr.strip().endswith("stop it first")
    assert len(run.stderr.strip().splitlines()) == 1 and run.stdout == ""


def test_backup_refuses_redis_an_existing_file_and_a_missing_store(tmp_path: Path) -> None:
    """One line, exit 1: a Redis store (pointing to the docs), a destination that exists
    (never overwritten), a store file that does not exist yet."""
    from builders import write_config

    redis_cfg = write_config(tmp_path, store="redis://127.0.0.1:1/0")
    run = bridge_cli("backup", str(tmp_path / "x.sqlite3"), "-c", str(redis_cfg))
    assert run.returncode == 1 and "Backups and restore" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    config = write_config(tmp_path)
    run = bridge_cli("backup", str(tmp_path / "x.sqlite3"), "-c", str(config))
    assert run.returncode == 1 and "does not exist" in run.stderr
    assert not (tmp_path / "x.sqlite3").exists()
    (tmp_path / "bridge.sqlite3").write_bytes(b"")
    taken = tmp_path / "taken.sqlite3"
    taken.write_bytes(b"keep me")
    run = bridge_cli("backup", str(taken), "-c", str(config))
    assert run.returncode == 1 and "exists" in run.stderr
    assert taken.read_bytes() == b"keep me"
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


NEW_NKOM = {"rule_set": "nkom-varsel", "recipient": "ny-adresse@nkom.no"}


async def test_a_notice_drafted_before_the_backup_and_sent_after_is_held_with_what_left(
    bridge_process: Callable[..., BridgeProcess], smtp: SmtpServer, tmp_path: Path
) -> None:
    """The compliance audit's reproduction: a draft (not approved) in the backup, approved and
    sent after it; the configuration changes (Nkom's address) and the copy is put back.
    ``bridge restored`` holds the draft in doubt saying what left (version, time, address,
    Message-ID) and audits the archived copy with its approver and second factor; the bridge
    served on it neither re-renders it nor sends it again; a person marks it sent with that copy
    (its Message-ID and time)."""
    database = tmp_path / "bridge.sqlite3"
    bridge = bridge_process(sections(smtp))
    await asyncio.to_thread(seed_user, f"sqlite:///{database}", "olga", ["approver"])
    bridge.start()
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            start = datetime.now(UTC) - timedelta(minutes=5)
            body = webhook(alert("fp-1", start, element="no-cell-ullevaal", severity="major"))
            async with session.post(
                bridge.url + "/api/v1/alertmanager", json=body, headers=HOOK
            ) as r:
                assert r.status == 200

            async def the_draft() -> dict[str, Any] | None:
                found = (await get(session, bridge.url + "/api/v1/drafts"))["drafts"]
                return found[0] if found else None

            draft = await until(the_draft, "the draft")
            url = f"{bridge.url}/api/v1/drafts/{draft['id']}"
            backup = tmp_path / "bridge-backup.sqlite3"
            run = await asyncio.to_thread(
                bridge_cli, "backup", str(backup), "-c", str(bridge.config)
            )
            assert run.returncode == 0, run.stderr
            approver = await sign_in(session, "olga", base=bridge.url)
            async with session.post(
                url + "/approve",
                json={"version": 1, "send_unknown": draft["to_complete"]},
                headers=approver,
            ) as r:
                assert r.status == 200, await r.text()
            await until(lambda: state_is(session, url, "sent"), "the notice sent after the backup")
            sent = await get(session, url)
            await bridge.grows_by(OUTBOX_ROUNDS, 2, "outbox rounds")  # the audit's mark kept
    finally:
        bridge.stop()
    [first] = smtp.mailbox.received
    message_id = first.message["Message-ID"]
    assert sent["message_id"] == message_id and sent["recipient"] == "ekomvarsling@nkom.no"
    store = SqliteStore(f"sqlite:///{database}")
    await store.open()
    try:  # the approval's entry, which the restore loses; an export of the whole log
        entries = await store.audit_log(target=f"draft:{draft['id']}")
        approved = next(e for e in entries if e.action == "draft.approved")
        exported = {e.seq: e for e in await store.audit_log(limit=10_000)}
    finally:
        await store.close()

    sidecar = tmp_path / "sent" / f"{draft['id']}.v1.eml.json"
    assert sidecar.stat().st_mode & 0o777 == 0o600
    kept = json.loads(sidecar.read_text())
    assert set(kept) == {  # ids, times, the recipient and the approver: no text of the notice
        "draft", "version", "message_id", "recipient", "content_hash", "approved_by",
        "approved_at", "second_factor_at", "handover", "handed_over_at", "sent_at",
    }  # fmt: skip
    assert (kept["approved_by"], kept["message_id"]) == ("olga", message_id)

    put_back(backup, database)
    bridge = bridge_process({**sections(smtp), "regulators": {"nkom": NEW_NKOM}})
    url = f"{bridge.url}/api/v1/drafts/{draft['id']}"
    run = await asyncio.to_thread(bridge_cli, "restored", "-c", str(bridge.config))
    assert run.returncode == 0, run.stderr
    assert f"{draft['id']}  was draft  -" in run.stdout, run.stdout
    said = f"sent after the backup as version 1 at {sent['sent_at'][:16]}"  # to the minute
    assert said in run.stdout, run.stdout
    assert f"to ekomvarsling@nkom.no, Message-ID {message_id}" in run.stdout
    assert f"{draft['id']}.v1.eml  {message_id}  draft now: in_doubt" in run.stdout
    assert "are lost" in run.stdout and f"continues above {max(exported)}" in run.stdout

    bridge.start()
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            doubt = await get(session, url)
            assert doubt["state"] == "in_doubt" and doubt["version"] == 1
            assert "sent after the backup as version 1" in doubt["flag"]
            assert message_id in doubt["flag"] and "the store does not know" in doubt["flag"]
            left_copy = doubt["left_after_backup"]
            assert (left_copy["version"], left_copy["message_id"]) == (1, message_id)
            await bridge.grows_by(OUTBOX_ROUNDS, 5, "outbox rounds")
            still = await get(session, url)
            assert (still["state"], still["version"]) == ("in_doubt", 1)  # not re-rendered
            assert smtp.mailbox.received == [first]  # nothing sent again
            later = datetime.now(UTC) + timedelta(seconds=30)  # a TOTP step not used yet
            approver = await sign_in(session, "olga", later, base=bridge.url)
            async with session.post(
                url + "/resolve",
                json={"action": "mark_sent", "comment": "Nkom has it"},
                headers=approver,
            ) as r:
                assert r.status == 200, await r.text()
            marked = await get(session, url)
    finally:
        bridge.stop()
    assert smtp.mailbox.received == [first]
    assert marked["state"] == "sent" and marked["message_id"] == message_id
    assert marked["sent_at"] == sent["sent_at"]  # when that copy left, not when it was marked
    store = SqliteStore(f"sqlite:///{database}")
    await store.open()
    try:
        [summary] = await store.audit_log(target="store")
        entries = await store.audit_log(target=f"draft:{draft['id']}")
    finally:
        await store.close()
    [left] = summary.detail["left_after_backup"]
    assert left["draft"] == draft["id"] and left["was"] == "draft"
    assert left["file"] == f"{draft['id']}.v1.eml" and left["version"] == 1
    assert left["message_id"] == message_id and left["recipient"] == "ekomvarsling@nkom.no"
    assert left["approved_by"] == "olga"
    assert left["held"] is True and approved.detail["second_factor_at"]
    factor = datetime.fromisoformat(approved.detail["second_factor_at"])
    assert datetime.fromisoformat(left["second_factor_at"]) == factor
    assert summary.detail["in_doubt"] == [{"draft": draft["id"], "was": "draft"}]
    marked_entry = next(e for e in entries if e.action == "outbox.mark_sent")
    assert marked_entry.detail["copy"]["message_id"] == message_id
    await audit_continues_above(f"sqlite:///{database}", exported)


async def audit_continues_above(url: str, exported: dict[int, Any]) -> None:
    """The restored log against an export taken before the restore: every seq both hold is the
    same entry; the entries after the backup are gone, and one ``audit.lost`` entry, the first
    above the export's highest seq, names them; nothing else reuses their numbers."""
    store = make_store(url)
    await store.open()
    try:
        log = {e.seq: e for e in await store.audit_log(limit=10_000)}
    finally:
        await store.close()
    high = max(exported)
    kept = [seq for seq in log if seq <= high]
    assert kept and all(log[seq] == exported[seq] for seq in kept)
    last = max(kept)
    assert last < high  # entries were written after the backup, and are lost
    lost = log[high + 1]
    assert (lost.action, lost.target) == ("audit.lost", "audit")
    assert lost.detail["lost"] == {"from_seq": last + 1, "to_seq": high}
    assert "restored from a backup taken at" in lost.detail["reason"]
    assert all(seq > high for seq in log if seq not in kept)


def test_restored_refuses_an_audit_seq_that_is_not_a_number(tmp_path: Path) -> None:
    """``--audit-seq-above`` that is not a whole number of 0 or more: exit 1, one line naming
    the option, nothing opened or written."""
    config = write_config(tmp_path)
    for bad in ("x", "-3"):
        run = bridge_cli("restored", "--audit-seq-above", bad, "-c", str(config))
        assert run.returncode == 1 and run.stdout == ""
        [line] = run.stderr.strip().splitlines()
        assert line.startswith("bridge restored: --audit-seq-above"), line
    assert not (tmp_path / "bridge.sqlite3").exists()
