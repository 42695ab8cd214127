"""A Redis store restored from a copy of its AOF directory (the procedure of docs/deployment.md,
"Backups and restore"): a notice approved before the copy and sent after it is ``approved``
again in the restored Redis; ``bridge restored`` (refused while a bridge leads) puts it in
doubt, and the bridge served on it sends nothing until a person marks it sent."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import redis as redis_py
from bridge_process import OUTBOX_ROUNDS, BridgeProcess, free_port
from builders import seed_user, write_config
from persons import sign_in
from polling import until
from redis_server import RedisServer
from smtp_server import SmtpServer
from test_backup_restore import (
    approve_first_draft,
    audit_continues_above,
    backup_line,
    get,
    second_folder,
    sections,
    state_is,
)
from test_cli import bridge as bridge_cli

from bridge.store.redis import RedisStore


def copy_aof(redis: RedisServer, dest: Path) -> None:
    """Copy the AOF directory while Redis serves, with automatic rewrites off meanwhile and none
    in progress (a copy taken during a rewrite may not load)."""
    with redis_py.Redis(host="127.0.0.1", port=redis.port, decode_responses=True) as r:
        before = r.config_get("auto-aof-rewrite-percentage")["auto-aof-rewrite-percentage"]
        r.config_set("auto-aof-rewrite-percentage", 0)
        try:
            assert r.info("persistence")["aof_rewrite_in_progress"] == 0
            shutil.copytree(redis.folder / "appendonlydir", dest)
        finally:
            r.config_set("auto-aof-rewrite-percentage", before)


async def test_a_redis_restored_from_an_older_aof_sends_nothing_again_until_a_person_acts(
    redis: RedisServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Approved, copied, sent; Redis restored from the copy: ``bridge restored`` is refused
    while a bridge holds the lease, then puts the notice in doubt; the restored bridge's outbox
    sends nothing on its own, and the person's "mark sent" settles it without a message."""
    port = free_port()
    config = write_config(
        tmp_path,
        store=redis.url(),
        extra={
            **sections(smtp),
            "server": {"listen": f"127.0.0.1:{port}"},
            # how long `bridge restored` waits for a lease to lapse (the copy holds one)
            "replication": {"lease_ttl": "2s"},
            "notices": {**sections(smtp)["notices"], "archive_dir": str(tmp_path / "sent")},
        },
    )
    bridge = BridgeProcess(config, port, tmp_path / "bridge.log")
    await asyncio.to_thread(seed_user, redis.url(), "olga", ["approver"])
    smtp.mailbox.mode = "tempfail"
    bridge.start()
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            approver = await sign_in(session, "olga", base=bridge.url)
            url, draft, message_id = await approve_first_draft(session, bridge, approver)
            taken = datetime.now(UTC)
            await asyncio.to_thread(copy_aof, redis, tmp_path / "aof-backup")
            smtp.mailbox.mode = "accept"
            await until(lambda: state_is(session, url, "sent"), "the notice sent after the copy")
            refused = await asyncio.to_thread(bridge_cli, "restored", "-c", str(config))
            await bridge.grows_by(OUTBOX_ROUNDS, 2, "outbox rounds")  # the audit's mark kept
    finally:
        bridge.stop()
    assert refused.returncode == 1
    assert "a bridge holds the store's lease" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    [first] = smtp.mailbox.received
    store = RedisStore(redis.url())
    await store.open()
    try:  # an export of the log before the restore
        exported = {e.seq: e for e in await store.audit_log(limit=10_000)}
    finally:
        await store.close()

    redis.stop()
    shutil.rmtree(redis.folder / "appendonlydir")
    shutil.copytree(tmp_path / "aof-backup", redis.folder / "appendonlydir")
    redis.start()
    run = await asyncio.to_thread(
        bridge_cli, "restored", "--backup-taken-at", taken.isoformat(), "-c", str(config)
    )
    assert run.returncode == 0, run.stderr
    assert f"{draft['id']}  was approved  {message_id}" in run.stdout
    assert f"{draft['id']}.v1.eml  {message_id}  draft now: in_doubt" in run.stdout

    bridge.start()
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            assert (await get(session, url))["state"] == "in_doubt"
            await bridge.grows_by(OUTBOX_ROUNDS, 5, "outbox rounds")
            assert smtp.mailbox.received == [first]
            later = datetime.now(UTC) + timedelta(seconds=30)  # a TOTP step not used yet
            approver = await sign_in(session, "olga", later, base=bridge.url)
            async with session.post(
                url + "/resolve",
                json={"action": "mark_sent", "comment": "in the archive: it left on the 23rd"},
                headers=approver,
            ) as r:
                assert r.status == 200, await r.text()
            assert (await get(session, url))["state"] == "sent"
            await bridge.grows_by(OUTBOX_ROUNDS, 2, "outbox rounds")
    finally:
        bridge.stop()
    assert smtp.mailbox.received == [first]
    store = RedisStore(redis.url())
    await store.open()
    try:
        [summary] = await store.audit_log(target="store")
    finally:
        await store.close()
    assert summary.action == "store.restored"
    assert summary.detail["backup_taken_at"] == taken.isoformat()
    assert summary.detail["in_doubt"] == [{"draft": draft["id"], "was": "approved"}]
    await audit_continues_above(redis.url(), exported)


async def test_a_redis_restored_without_a_time_reports_every_folder_against_the_backup(
    redis: RedisServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    """A Redis store carries no mark: the first ``bridge restored`` (no ``--backup-taken-at``)
    takes the copy's newest audit entry and records it; a bridge then serves and writes to the
    audit log (a sign-in); ``bridge restored`` with the second replica's folder still reports
    against the recorded time, never the first run's entry nor the served bridge's, so the
    message that left after the copy is listed in that folder too, with a note that entries
    were written since the earlier run."""
    port = free_port()
    extra = {
        **sections(smtp),
        "server": {"listen": f"127.0.0.1:{port}"},
        "replication": {"lease_ttl": "2s"},
    }
    config = write_config(
        tmp_path,
        store=redis.url(),
        extra={**extra, "notices": {**extra["notices"], "archive_dir": str(tmp_path / "sent")}},
    )
    (tmp_path / "b").mkdir()
    other = write_config(
        tmp_path / "b",
        store=redis.url(),
        extra={**extra, "notices": {**extra["notices"], "archive_dir": str(tmp_path / "sentB")}},
    )
    bridge = BridgeProcess(config, port, tmp_path / "bridge.log")
    await asyncio.to_thread(seed_user, redis.url(), "olga", ["approver"])
    smtp.mailbox.mode = "tempfail"
    bridge.start()
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            approver = await sign_in(session, "olga", base=bridge.url)
            url, draft, message_id = await approve_first_draft(session, bridge, approver)
            taken = datetime.now(UTC)
            await asyncio.to_thread(copy_aof, redis, tmp_path / "aof-backup")
            smtp.mailbox.mode = "accept"
            await until(lambda: state_is(session, url, "sent"), "the notice sent after the copy")
    finally:
        bridge.stop()
    second_folder(tmp_path / "sent", tmp_path / "sentB")
    redis.stop()
    shutil.rmtree(redis.folder / "appendonlydir")
    shutil.copytree(tmp_path / "aof-backup", redis.folder / "appendonlydir")
    redis.start()
    listed = f"{draft['id']}.v1.eml  {message_id}  draft now: in_doubt"

    first = await asyncio.to_thread(bridge_cli, "restored", "-c", str(config))
    assert first.returncode == 0, first.stderr
    assert listed in first.stdout
    at = backup_line(first.stdout)
    assert datetime.fromisoformat(at) <= taken

    bridge.start()  # the first folder's replica serves a while: the audit log grows
    try:
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            later = datetime.now(UTC) + timedelta(seconds=30)  # a TOTP step not used yet
            await sign_in(session, "olga", later, base=bridge.url)
    finally:
        bridge.stop()

    second = await asyncio.to_thread(bridge_cli, "restored", "-c", str(other))
    assert second.returncode == 0, second.stderr
    assert backup_line(second.stdout) == at
    assert listed in second.stdout, second.stdout
    assert "nothing written since the backup" not in second.stdout
    note = next(line for line in second.stdout.splitlines() if line.startswith("note:"))
    assert "--backup-taken-at" in note
    store = RedisStore(redis.url())
    await store.open()
    try:
        runs = list(reversed(await store.audit_log(target="store")))
    finally:
        await store.close()
    assert [r.detail["backup_taken_at"] for r in runs] == [runs[0].detail["backup_taken_at"]] * 2
    assert runs[1].detail["backup_time"]["earlier_run_seq"] == runs[0].seq
