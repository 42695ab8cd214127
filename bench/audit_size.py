"""``python -m bench.audit_size [N] [--stores sqlite,redis] [--tmpdir DIR]``: what an audit log
of N entries (default 1 000 000; the log of ``bench/audit_search.py``) costs to keep, per entry,
and how long the upgrade that indexed it for its searches (schema 11) holds a bridge's start.

For each store, in the same run:

1. **Fill** a fresh store with N entries through ``AuditLog.append_audit`` (today's code, 5000
   entries an append) and measure what they hold: on SQLite the file (WAL checkpointed) and
   ``dbstat`` per table and index; on Redis ``INFO memory`` ``used_memory`` before and after
   (the server holds nothing else), each key's ``MEMORY USAGE … SAMPLES 0`` summed per key
   family, and the append-only file. Every figure is in bytes per entry and as a multiple of
   the BASELINE: the entries' own JSON (what ``record_codec.encode`` writes for one, without
   its ``seq``), measured in the same run.
2. **Start** ``bridge serve``'s app on that store (``python -m bench.servers bridge``, the
   soak benchmark's configuration and 10 000-element inventory) and time process start to
   ``/readyz`` 200: the BASELINE of a start with nothing to migrate.
3. **Take the store back** to the shape schema 10 left: the schema-11 indexes and the log's
   clock removed, the version set to 10 (SQLite: ``DROP INDEX``, ``VACUUM``; Redis: ``DEL`` of
   ``audit:at``, ``audit:actor:*``, ``audit:incident:*``, ``audit:clock``, and the target index
   in its form before schema 14: each entry's JSON under ``audit:target:T`` instead of its seq
   under ``audit:by-target:T``, rebuilt from the log). The rows are the ones today's code
   wrote, which schema 10's code wrote alike. Its size is measured again (what the indexes
   add).
4. **Start** the bridge on it: today's code migrates at open (schema 11, and every later one:
   schema 12 has no incidents to read here, schema 14 moves the target index to seqs), before
   it listens. The time to ``/readyz`` 200, how long nothing answered on the port, and, when the
   process exits instead, its last log line. On Redis: the migration's script calls
   (``SLOWLOG`` of every call over 1 ms: how many, the longest, their sum), the longest another
   client waited for a ``PING`` meanwhile and the ``BUSY`` replies it got (Redis runs one
   script at a time; every other replica waits for it), and the server's peak resident memory;
   if the bridge gave up, it is started again once the version is today's, as a service
   manager restarting it would.

Progress goes to stderr. Nothing here is a test; no figure is judged. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

from bench.audit_search import _entry, _fill
from bench.bodies import redis_server_module
from bench.inventory import generate, write_csv
from bench.soak import _config
from bench.webhook import Server
from bridge.store.interfaces import SCHEMA_VERSION, Store
from bridge.store.record_codec import AUDIT_BESIDE, encode
from bridge.store.redis import RedisStore
from bridge.store.sqlite import SqliteStore

INVENTORY_SIZE = 10_000
#: the Redis key families (after the prefix), longest first
FAMILIES = (
    "audit:by-target:",
    "audit:target:",
    "audit:actor:",
    "audit:incident:",
    "audit:at",
    "audit:clock",
    "audit:seq",
    "audit",
)
SCHEMA_11_REDIS = ("audit:at", "audit:clock")
SCHEMA_11_REDIS_FAMILIES = ("audit:actor:*", "audit:incident:*", "audit:by-target:*")
PREFIX = "bridge:"


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def json_bytes(n: int) -> int:
    """The BASELINE: the bytes of the N entries' own JSON (the codec's, without ``seq``)."""
    return sum(len(encode(_entry(i), omit=AUDIT_BESIDE)) for i in range(n))


async def _fill_store(store: Store, n: int) -> float:
    await store.open()
    try:
        t0 = time.perf_counter()
        await _fill(store, n)
        return time.perf_counter() - t0
    finally:
        await store.close()


# ---- starting the bridge ------------------------------------------------------------------
async def start_bridge(workdir: Path, config: Path, timeout: float = 900.0) -> dict[str, Any]:
    """Start ``bench.servers bridge`` and poll ``/readyz`` every 50 ms: seconds to the first
    answer of any kind (before it, the port refuses connections), to the first 200, or to the
    process's exit (with its last log line). The server is left running when ready."""
    began = time.perf_counter()
    server = Server("bridge", workdir, config)
    first_answer: float | None = None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
        while time.perf_counter() - began < timeout:
            if server.proc.poll() is not None:
                tail = server.log_tail(5).strip().splitlines()
                server.stop()
                return {
                    "exited_s": round(time.perf_counter() - began, 1),
                    "exit_code": server.proc.returncode,
                    "last_log": tail[-1] if tail else "",
                    "server": None,
                }
            try:
                async with session.get(server.base + "/readyz") as resp:
                    if first_answer is None:
                        first_answer = time.perf_counter() - began
                    if resp.status == 200:
                        ready = time.perf_counter() - began
                        return {
                            "ready_s": round(ready, 1),
                            "refused_s": round(first_answer, 1),
                            "server": server,
                        }
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
    server.stop()
    return {"timed_out_s": timeout, "server": None}


def _started(label: str, result: dict[str, Any]) -> str:
    if "ready_s" in result:
        return f"{label}: ready in {result['ready_s']} s (port refused for {result['refused_s']} s)"
    if "exited_s" in result:
        return (
            f"{label}: EXITED after {result['exited_s']} s (code {result['exit_code']}): "
            f"{result['last_log']}"
        )
    return f"{label}: not ready after {result['timed_out_s']} s"


# ---- SQLite -------------------------------------------------------------------------------
def sqlite_sizes(path: Path) -> dict[str, int]:
    """The file (its WAL checkpointed into it first) and ``dbstat``'s bytes per table/index."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes = {
            str(name): int(total)
            for name, total in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
        }
    finally:
        conn.close()
    sizes["(file)"] = path.stat().st_size
    return sizes


def sqlite_to_schema_10(path: Path) -> None:
    """The file as schema 10 left it: no ``audit_at``/``audit_actor``, no clock, version 10."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DROP INDEX audit_at")
        conn.execute("DROP INDEX audit_actor")
        conn.execute("DELETE FROM meta WHERE key IN ('audit_high', 'audit_lag_us')")
        conn.execute("UPDATE meta SET value = '10' WHERE key = 'schema_version'")
        conn.execute("COMMIT")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def bench_sqlite(n: int, root: Path, csv: Path, base: int) -> dict[str, Any]:
    workdir = root / "sqlite"
    workdir.mkdir()
    path = workdir / "bridge.sqlite3"
    config = _config(workdir, csv)
    _progress(f"sqlite: writing {n:,} entries")
    fill_s = await _fill_store(SqliteStore(f"sqlite:///{path}"), n)
    _progress(f"  written in {fill_s:.0f} s")
    today = sqlite_sizes(path)
    plain = await start_bridge(workdir, config)
    _progress("  " + _started(f"start at schema {SCHEMA_VERSION}", plain))
    if plain["server"] is not None:
        plain["server"].stop()
    sqlite_to_schema_10(path)
    before = sqlite_sizes(path)
    _progress("  back at schema 10; starting the bridge on it")
    upgrade = await start_bridge(workdir, config)
    _progress("  " + _started("start migrating", upgrade))
    peak_disk = _on_disk(path)  # file + WAL while it runs, right after the migration
    if upgrade["server"] is not None:
        upgrade["server"].stop()
    after = sqlite_sizes(path)
    return {
        "store": "sqlite",
        "n": n,
        "json_bytes": base,
        "fill_s": round(fill_s),
        "sizes": today,
        "sizes_schema_10": before,
        "sizes_migrated": after,
        "peak_disk": peak_disk,
        "start": _plain(plain),
        "upgrade": _plain(upgrade),
    }


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "server"}


# ---- Redis --------------------------------------------------------------------------------
def family(key: str) -> str:
    name = key.removeprefix(PREFIX)
    for fam in FAMILIES:
        if name.startswith(fam) and (fam.endswith(":") or name == fam):
            return fam + ("*" if fam.endswith(":") else "")
    return "(other)"


def redis_families(client: Any) -> dict[str, dict[str, int]]:
    """Each key family's ``MEMORY USAGE … SAMPLES 0`` (every element counted) and keys."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"bytes": 0, "keys": 0})
    keys = [k.decode() for k in client.scan_iter(match="*", count=1000)]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0")
        for key, used in zip(chunk, pipe.execute(), strict=True):
            fam = out[family(key)]
            fam["bytes"] += int(used or 0)
            fam["keys"] += 1
    return dict(out)


def aof_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and ".aof" in p.name)


def redis_memory(client: Any) -> dict[str, int]:
    """``INFO memory``'s figures, and how many AOF rewrites ran since the server started."""
    info = {**client.info("memory"), **client.info("persistence")}
    return {
        k: int(info[k])
        for k in (
            "used_memory",
            "used_memory_rss",
            "used_memory_vm_eval",
            "used_memory_peak",
            "aof_rewrites",
        )
        if k in info
    }


def redis_to_schema_10(client: Any) -> None:
    """The keys as schema 10 left them: no search indexes, no clock, the target index holding
    each entry's JSON (``audit:target:T``, rebuilt from the log), version 10."""
    import json

    for name in SCHEMA_11_REDIS:
        client.delete(PREFIX + name)
    for pattern in SCHEMA_11_REDIS_FAMILIES:
        keys = list(client.scan_iter(match=PREFIX + pattern, count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    if not client.exists(PREFIX + "audit:target:store"):  # today's store: no JSON copies
        top = 0
        while True:
            rows = client.zrangebyscore(
                PREFIX + "audit", f"({top}", "+inf", start=0, num=10_000, withscores=True
            )
            if not rows:
                break
            pipe = client.pipeline(transaction=False)
            for text, seq in rows:
                target = json.loads(text)["target"]
                pipe.zadd(PREFIX + "audit:target:" + target, {text: seq})
            pipe.execute()
            top = int(rows[-1][1])
    client.set(PREFIX + "schema", "10")


def rewrite_aof(client: Any, folder: Path) -> int:
    """``BGREWRITEAOF`` (after any rewrite Redis started on its own) and wait for it: the
    append-only file at its most compact."""
    while client.info("persistence")["aof_rewrite_in_progress"]:
        time.sleep(0.1)
    client.bgrewriteaof()
    while True:
        info = client.info("persistence")
        if not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"]):
            return aof_bytes(folder)
        time.sleep(0.1)


class Probe(threading.Thread):
    """Another client while the migration runs: a ``PING`` every 20 ms (the longest wait for
    an answer, the ``BUSY`` replies) and the server's resident memory (``/proc``)."""

    def __init__(self, url: str, pid: int) -> None:
        super().__init__(daemon=True)
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=None)
        self.pid = pid
        self.stop = threading.Event()
        self.longest = 0.0
        self.busy = 0
        self.peak_rss = 0
        self.rss_before = self._rss()

    def _rss(self) -> int:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def run(self) -> None:
        import redis

        while not self.stop.is_set():
            self.peak_rss = max(self.peak_rss, self._rss())
            t0 = time.perf_counter()
            try:
                self.client.ping()
            except redis.exceptions.BusyLoadingError:
                self.busy += 1
            except redis.exceptions.ResponseError as exc:
                if not str(exc).startswith("BUSY"):
                    raise
                self.busy += 1
            self.longest = max(self.longest, time.perf_counter() - t0)
            self.peak_rss = max(self.peak_rss, self._rss())
            self.stop.wait(0.02)


def wait_schema(client: Any, version: str, timeout: float = 3600.0) -> float:
    """Seconds until the schema key reads ``version`` (the migration script has finished)."""
    import redis

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            if client.get(PREFIX + "schema") == version.encode():
                return time.perf_counter() - t0
        except redis.exceptions.ResponseError as exc:
            if not str(exc).startswith("BUSY"):
                raise
        time.sleep(0.05)
    raise RuntimeError(f"the schema did not reach {version} in {timeout} s")


async def bench_redis(n: int, root: Path, csv: Path, base: int) -> dict[str, Any]:
    import redis

    workdir = root / "redis-bridge"
    workdir.mkdir()
    server = redis_server_module().RedisServer(root / "redis").start()
    try:
        url = server.url()
        client = redis.Redis.from_url(url, socket_timeout=None)
        config = _config(workdir, csv, url)
        store = RedisStore(url)
        await store.open()  # the schema and the scripts, nothing else
        await store.close()
        empty = redis_memory(client)
        _progress(f"redis: writing {n:,} entries")
        fill_s = await _fill_store(RedisStore(url), n)
        _progress(f"  written in {fill_s:.0f} s")
        full = redis_memory(client)
        families = redis_families(client)
        aof = aof_bytes(server.folder)
        plain = await start_bridge(workdir, config)
        _progress("  " + _started(f"start at schema {SCHEMA_VERSION}", plain))
        if plain["server"] is not None:
            plain["server"].stop()
        redis_to_schema_10(client)
        before = redis_memory(client)
        families_10 = redis_families(client)
        aof_10 = aof_bytes(server.folder)
        # every call over 1 ms (a step of a thousand entries takes more; the commands inside a
        # script are logged too, but each takes microseconds)
        client.config_set("slowlog-log-slower-than", 1000)
        client.config_set("slowlog-max-len", 100_000)
        client.slowlog_reset()
        probe = Probe(url, server.pid)
        probe.start()
        _progress("  back at schema 10; starting the bridge on it")
        upgrade = await start_bridge(workdir, config)
        _progress("  " + _started("start migrating", upgrade))
        again: dict[str, Any] | None = None
        if upgrade["server"] is None:
            waited = wait_schema(client, str(SCHEMA_VERSION))
            _progress(f"  the migration script finished {waited:.1f} s after the bridge gave up")
            again = await start_bridge(workdir, config)
            _progress("  " + _started("started again", again))
        else:
            upgrade["server"].stop()
        probe.stop.set()
        probe.join()
        scripts = [
            e["duration"]
            for e in client.slowlog_get(100_000)
            if bytes(e["command"]).upper().startswith(b"EVAL")
        ]
        script_s = max(scripts, default=0) / 1e6
        if again is not None and again["server"] is not None:
            again["server"].stop()
        after = redis_memory(client)
        aof_migrated = aof_bytes(server.folder)
        families_11 = redis_families(client)
        rewritten = rewrite_aof(client, server.folder)
        client.close()
        return {
            "store": "redis",
            "n": n,
            "json_bytes": base,
            "fill_s": round(fill_s),
            "empty": empty,
            "full": full,
            "families": families,
            "aof": aof,
            "schema_10": before,
            "families_10": families_10,
            "aof_10": aof_10,
            "migrated": after,
            "families_migrated": families_11,
            "aof_migrated": aof_migrated,
            "aof_rewritten": rewritten,
            "start": _plain(plain),
            "upgrade": _plain(upgrade),
            "again": None if again is None else _plain(again),
            "script_s": round(script_s, 3),
            "script_calls": len(scripts),
            "script_total_s": round(sum(scripts) / 1e6, 1),
            "other_client_longest_s": round(probe.longest, 3),
            "other_client_busy": probe.busy,
            "peak_rss": probe.peak_rss,
            "rss_before": probe.rss_before,
        }
    finally:
        server.stop()


# ---- the tables ---------------------------------------------------------------------------
def _row(part: str, total: int, n: int, base: int) -> str:
    per = total / n if n else 0.0
    return f"  {part:<46} {total / 2**20:>10.1f} {per:>9.0f} {total / base:>8.2f}"


def report(res: dict[str, Any]) -> str:
    n, base = res["n"], res["json_bytes"]
    head = f"  {'part':<46} {'MiB':>10} {'B/entry':>9} {'×JSON':>8}"
    lines = [f"{res['store']}: {n:,} audit entries (filled in {res['fill_s']} s)", head]
    lines.append(_row("BASELINE: the entries' own JSON", base, n, base))
    if res["store"] == "sqlite":
        sizes, old = res["sizes"], res["sizes_schema_10"]
        lines.append(_row(f"the file (today, schema {SCHEMA_VERSION})", sizes["(file)"], n, base))
        audit = ("audit", "audit_target", "audit_at", "audit_actor")
        for name in audit:
            lines.append(_row(f"  dbstat {name}", sizes.get(name, 0), n, base))
        rest = sum(v for k, v in sizes.items() if k not in audit and k != "(file)")
        lines.append(_row("  dbstat: every other table and index", rest, n, base))
        lines.append(_row("the file at schema 10 (VACUUMed)", old["(file)"], n, base))
        added = sizes["(file)"] - old["(file)"]
        lines.append(_row("what schema 11 adds (file)", added, n, base))
        lines.append(_row("file + WAL right after migrating", res["peak_disk"], n, base))
    else:
        used = res["full"]["used_memory"] - res["empty"]["used_memory"]
        lines.append(_row("used_memory, filled minus empty", used, n, base))
        for fam, figures in sorted(res["families"].items(), key=lambda kv: -kv[1]["bytes"]):
            label = f"  MEMORY USAGE {fam} ({figures['keys']:,} keys)"
            lines.append(_row(label, figures["bytes"], n, base))
        old = res["schema_10"]["used_memory"] - res["empty"]["used_memory"]
        lines.append(_row("used_memory at schema 10 (indexes deleted)", old, n, base))
        lines.append(_row("what today's indexes add (used_memory)", used - old, n, base))
        migrated = res["migrated"]["used_memory"] - res["empty"]["used_memory"]
        lines.append(_row("used_memory after the migration", migrated, n, base))
        rewrites = res["full"].get("aof_rewrites", 0)
        label = f"the append-only file after filling ({rewrites} rewrites)"
        lines.append(_row(label, res["aof"], n, base))
        during = res["migrated"].get("aof_rewrites", 0) - res["schema_10"].get("aof_rewrites", 0)
        label = f"  after the migration ({during} rewrites meanwhile)"
        lines.append(_row(label, res["aof_migrated"], n, base))
        lines.append(_row("  rewritten (BGREWRITEAOF)", res["aof_rewritten"], n, base))
        lines.append(_row("redis-server's RSS before migrating", res["rss_before"], n, base))
        lines.append(_row("  its peak while migrating", res["peak_rss"], n, base))
        lines.append(
            f"  used_memory_rss filled: {res['full']['used_memory_rss'] / 2**20:.1f} MiB; "
            f"Lua VM after migrating: {res['migrated'].get('used_memory_vm_eval', 0) / 2**20:.1f}"
            f" MiB; peak RSS while migrating ×{res['peak_rss'] / res['rss_before']:.2f} the RSS "
            "before"
        )
    lines.append(
        "  "
        + _started(f"BASELINE start at schema {SCHEMA_VERSION} (nothing to migrate)", res["start"])
        + "\n  "
        + _started("start on the schema-10 store (migrating)", res["upgrade"])
    )
    start, upgrade = res["start"].get("ready_s"), res["upgrade"].get("ready_s")
    if start and upgrade:
        lines.append(f"  migrating start ×base: {upgrade / start:.1f}")
    if res["store"] == "redis":
        if res["again"] is not None:
            lines.append(
                "  " + _started("started again once the script had finished", res["again"])
            )
        lines.append(
            f"  the migration: {res['script_calls']} script calls over 1 ms (SLOWLOG), "
            f"{res['script_total_s']} s in all, the longest {res['script_s']} s; another "
            f"client's longest wait for PING {res['other_client_longest_s']} s, "
            f"{res['other_client_busy']} BUSY replies"
        )
    return "\n".join(lines)


async def run(n: int, stores: list[str], tmpdir: Path | None) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-audit-size-", dir=tmpdir) as tmp:
        root = Path(tmp)
        csv = write_csv(generate(INVENTORY_SIZE), root / "inventory.csv")
        base = json_bytes(n)
        if "sqlite" in stores:
            results.append(await bench_sqlite(n, root, csv, base))
            print(report(results[-1]), flush=True)
        if "redis" in stores:
            results.append(await bench_redis(n, root, csv, base))
            print(report(results[-1]), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_size")
    parser.add_argument("entries", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--stores", default="sqlite,redis")
    parser.add_argument("--tmpdir", type=Path, default=None, help="a real disk (not tmpfs)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    asyncio.run(run(args.entries, args.stores.split(","), args.tmpdir))
    print(f"wall time {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
