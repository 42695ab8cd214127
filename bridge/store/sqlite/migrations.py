"""The SQLite schema, one migration per schema version, applied in one transaction on open.

Tables: ``meta`` (schema version), ``alerts`` (one row per episode; ``seq`` the change number of
its last write, 0 for rows from before schema 3), ``deliveries`` (row id = change number),
``group_truncation``, ``incidents`` (schema 6: ``settled_at``, indexed for what a restart
loads), ``drafts``, ``audit`` (append-only by trigger), ``lease``,
``users``, ``sessions``, ``api_tokens``, ``privacy_cases`` and ``privacy_case_revisions`` (never
deleted from, by trigger), ``casebook`` (schema 7: people's data per incident; its numbers
from the ``meta`` counter ``casebook_number``), ``declarations`` (schema 8, never deleted),
``resent`` (schema 9: a write's rows, by their ``seq``, re-sent unchanged since: the change
number of the latest re-send and the ``last_seen`` it left, which reads take when later than the
row's; see bridge/store/sqlite/alerts.py).
Schema 10 keeps ``alerts`` in write order (a row id) with a unique index on ``(starts_at,
fingerprint)``, instead of in key order (``WITHOUT ROWID`` on ``(fingerprint, starts_at)``):
Alertmanager's fingerprints are hashes, so in key order every new alert of a storm went into a
page of its own among the rows (each such page written whole to the WAL, and split when full:
3-4 times the CPU per new alert, ``bench/README.md``). In write order new rows fill the last
pages, and the index, ordered by start first, takes a storm's new alerts (which started
minutes ago) near its end instead of all over it.
Schema 11 indexes the audit log by ``at`` and by ``(actor, seq)`` for its searches, and keeps
the log's clock in ``meta`` (``audit_high``, the latest ``at`` appended; ``audit_lag_us``, the
most an entry's ``at`` fell behind it, :func:`bridge.core.audit_search.lag_after`), computed
here from the rows already stored (through ``julianday``, whose precision is some
microseconds: a millisecond is added to any lag found) and by every append after.
Schema 12 lists in each stored incident's document (``absorbed``) the incidents merged into it,
directly or through a chain of merges, as each save has written it since
(bridge/evaluation/persistence.py): a record last saved before has none, and recall
(bridge/evaluation/recall.py) brings back only what the host lists. The lists are read from
every record's ``merged_into`` (one pass over the table, following each chain through the
primary key), a list already there is kept and added to (sorted by id), so applying it again
changes nothing, and a host the store no longer holds (retention) is left out. The table of
hosts it builds is temporary and gone at the end (docs/architecture.md: why at the upgrade
and not at each recall).
Schema 13 lists the API tokens that are live in ``api_token_names`` (id → the name each holds
alone while live: A-Z lower-cased, :func:`bridge.store.records.token_name_key`), indexed by
that name, so a token's write refuses in its transaction a name another live token holds
(bridge/store/sqlite/people.py). Built anew from the tokens' documents, so applying it again
changes nothing; live tokens that share a name from before are all listed (a unique index
could not be built over them): docs/deployment.md, Upgrading.
Schema 14 changes nothing here: it is Redis's target index of the audit log, which now holds
each entry's seq instead of its JSON (SQLite's ``audit_target`` index always held the row).
Schema 15 keeps an audit entry's further targets (``AuditEntry.also``: a list's read of privacy
data is one entry naming every case it showed) in ``audit_also`` (``(seq, n)`` → target, in the
entry's order; indexed by ``(target, seq)`` as ``audit`` is by its target; append-only by
trigger). Nothing stored before has any, so nothing is copied.
Timestamps are :func:`bridge.store.codec.ts` text, so columns compare and sort as the instants
they name.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

from bridge.errors import StoreUnavailable
from bridge.store.interfaces import SCHEMA_VERSION

log = logging.getLogger(__name__)

#: ``alerts``' columns from schema 3 on (schema 10 copies them)
_COLUMNS = (
    "fingerprint, starts_at, status, ends_at, labels, annotations, first_seen, last_seen, "
    "generator_url, group_key, seq"
)

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS alerts (
        fingerprint TEXT NOT NULL, starts_at TEXT NOT NULL, status TEXT NOT NULL,
        ends_at TEXT, labels TEXT NOT NULL, annotations TEXT NOT NULL,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        generator_url TEXT NOT NULL, group_key TEXT NOT NULL,
        PRIMARY KEY (fingerprint, starts_at)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS deliveries (
        id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, receiver TEXT NOT NULL,
        group_key TEXT NOT NULL, status TEXT NOT NULL, alerts INTEGER NOT NULL,
        truncated INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS group_truncation (
        group_key TEXT PRIMARY KEY, truncated INTEGER NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS incidents (
        id TEXT PRIMARY KEY, key TEXT NOT NULL, started_at TEXT NOT NULL, state TEXT NOT NULL,
        merged_into TEXT, episodes TEXT NOT NULL, document TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS incidents_state ON incidents(state);
    """,
    2: """
    CREATE TABLE IF NOT EXISTS drafts (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, state TEXT NOT NULL,
        revision INTEGER NOT NULL, updated_at TEXT NOT NULL, document TEXT NOT NULL);;
    CREATE INDEX IF NOT EXISTS drafts_incident ON drafts(incident_id);;
    CREATE INDEX IF NOT EXISTS drafts_state ON drafts(state);;
    CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);;
    CREATE INDEX IF NOT EXISTS audit_target ON audit(target, seq);;
    CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;;
    CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;;
    """,
    3: """
    ALTER TABLE alerts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX IF NOT EXISTS alerts_seq ON alerts(seq);
    CREATE TABLE IF NOT EXISTS lease (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL,
        expires_at REAL NOT NULL);
    """,
    4: """
    CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, revision INTEGER NOT NULL, document TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, expires_at TEXT NOT NULL,
        document TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
    CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
    CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
        revision INTEGER NOT NULL, last_used_at TEXT, document TEXT NOT NULL);
    """,
    5: """
    CREATE TABLE IF NOT EXISTS privacy_cases (
        id TEXT PRIMARY KEY, state TEXT NOT NULL, revision INTEGER NOT NULL,
        updated_at TEXT NOT NULL, document TEXT NOT NULL);;
    CREATE TABLE IF NOT EXISTS privacy_case_revisions (
        id TEXT NOT NULL, revision INTEGER NOT NULL, updated_at TEXT NOT NULL,
        document TEXT NOT NULL, PRIMARY KEY (id, revision)) WITHOUT ROWID;;
    CREATE TRIGGER IF NOT EXISTS privacy_cases_no_delete BEFORE DELETE ON privacy_cases
        BEGIN SELECT RAISE(ABORT, 'the privacy register is never deleted from'); END;;
    CREATE TRIGGER IF NOT EXISTS privacy_revisions_no_update
        BEFORE UPDATE ON privacy_case_revisions
        BEGIN SELECT RAISE(ABORT, 'privacy case revisions are append-only'); END;;
    CREATE TRIGGER IF NOT EXISTS privacy_revisions_no_delete
        BEFORE DELETE ON privacy_case_revisions
        BEGIN SELECT RAISE(ABORT, 'privacy case revisions are append-only'); END;;
    """,
    6: """
    ALTER TABLE incidents ADD COLUMN settled_at TEXT;
    CREATE INDEX IF NOT EXISTS incidents_settled ON incidents(settled_at);
    CREATE INDEX IF NOT EXISTS incidents_started ON incidents(started_at, id);
    CREATE INDEX IF NOT EXISTS alerts_live ON alerts(status, ends_at);
    """,
    7: """
    CREATE TABLE IF NOT EXISTS casebook (
        incident_id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, revision INTEGER NOT NULL,
        updated_at TEXT NOT NULL, document TEXT NOT NULL);
    INSERT OR IGNORE INTO meta(key, value) VALUES('casebook_number', '0');
    """,
    8: """
    CREATE TABLE IF NOT EXISTS declarations (
        id TEXT PRIMARY KEY, revision INTEGER NOT NULL, updated_at TEXT NOT NULL,
        document TEXT NOT NULL);;
    CREATE TRIGGER IF NOT EXISTS declarations_no_delete BEFORE DELETE ON declarations
        BEGIN SELECT RAISE(ABORT, 'declarations are never deleted'); END;;
    """,
    9: """
    CREATE TABLE IF NOT EXISTS resent (
        seq INTEGER PRIMARY KEY, change INTEGER NOT NULL, last_seen TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS resent_change ON resent(change);
    """,
    10: f"""
    CREATE TABLE alerts_in_write_order (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL, starts_at TEXT NOT NULL, status TEXT NOT NULL,
        ends_at TEXT, labels TEXT NOT NULL, annotations TEXT NOT NULL,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        generator_url TEXT NOT NULL, group_key TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0);
    INSERT INTO alerts_in_write_order ({_COLUMNS})
        SELECT {_COLUMNS} FROM alerts ORDER BY seq, fingerprint, starts_at;
    DROP TABLE alerts;
    ALTER TABLE alerts_in_write_order RENAME TO alerts;
    CREATE UNIQUE INDEX alerts_key ON alerts(starts_at, fingerprint);
    CREATE INDEX alerts_seq ON alerts(seq);
    CREATE INDEX alerts_live ON alerts(status, ends_at);
    """,
    11: """
    CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
    CREATE INDEX IF NOT EXISTS audit_actor ON audit(actor, seq);
    INSERT OR REPLACE INTO meta(key, value)
        SELECT 'audit_high', MAX(at) FROM audit HAVING COUNT(*) > 0;
    INSERT OR REPLACE INTO meta(key, value)
        SELECT 'audit_lag_us', CASE WHEN behind > 0 THEN CAST(behind AS INTEGER) + 1000 ELSE 0 END
        FROM (SELECT MAX((julianday(high) - julianday(at)) * 86400000000.0) AS behind
              FROM (SELECT at, MAX(at) OVER (ORDER BY seq) AS high FROM audit))
        WHERE behind IS NOT NULL;
    """,
    12: """
    CREATE TEMP TABLE listed_absorbed AS
        WITH RECURSIVE leads(id, host) AS (
            SELECT id, merged_into FROM incidents WHERE merged_into IS NOT NULL
            UNION
            SELECT leads.id, i.merged_into FROM leads JOIN incidents AS i ON i.id = leads.host
            WHERE i.merged_into IS NOT NULL)
        SELECT host, id FROM leads WHERE id <> host;
    CREATE INDEX temp.listed_absorbed_host ON listed_absorbed(host, id);
    UPDATE incidents SET document = json_set(document, '$.absorbed', json((
        SELECT json_group_array(id) FROM (
            SELECT id FROM listed_absorbed WHERE host = incidents.id
            UNION
            SELECT value FROM json_each(incidents.document, '$.absorbed')
            WHERE type = 'text' AND json_type(incidents.document, '$.absorbed') = 'array'
            ORDER BY 1))))
        WHERE id IN (SELECT host FROM listed_absorbed) AND json_valid(document);
    DROP TABLE temp.listed_absorbed;
    """,
    13: """
    CREATE TABLE IF NOT EXISTS api_token_names (
        id TEXT PRIMARY KEY, live_name TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS api_token_names_name ON api_token_names(live_name, id);
    DELETE FROM api_token_names;
    INSERT INTO api_token_names(id, live_name)
        SELECT id, lower(json_extract(document, '$.name')) FROM api_tokens
        WHERE json_valid(document) AND json_type(document, '$.name') = 'text'
        AND coalesce(json_type(document, '$.revoked_at'), 'null') = 'null';
    """,
    14: """
    -- Redis's audit target index holds seqs (bridge/store/redis/lua/migration_14.lua)
    """,
    15: """
    CREATE TABLE IF NOT EXISTS audit_also (
        seq INTEGER NOT NULL, n INTEGER NOT NULL, target TEXT NOT NULL,
        PRIMARY KEY (seq, n)) WITHOUT ROWID;;
    CREATE INDEX IF NOT EXISTS audit_also_target ON audit_also(target, seq);;
    CREATE TRIGGER IF NOT EXISTS audit_also_no_update BEFORE UPDATE ON audit_also
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;;
    CREATE TRIGGER IF NOT EXISTS audit_also_no_delete BEFORE DELETE ON audit_also
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;;
    """,
}


def statements(script: str) -> list[str]:
    """Split a migration into statements: on ``;;`` when it holds triggers (whose bodies
    contain ``;``), else on ``;``."""
    separator = ";;" if ";;" in script else ";"
    return [s.strip() for s in script.split(separator) if s.strip()]


def newer_than_this(path: Path, current: int) -> str:
    """Why a file a newer bridge wrote is refused."""
    return (
        f"{path} has schema {current}, newer than this bridge's {SCHEMA_VERSION}: "
        "upgrade the bridge"
    )


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the file to :data:`SCHEMA_VERSION` (StoreUnavailable if it is newer), in one
    transaction: logged at INFO (``store PATH: schema migrated from X to Y``, as Redis logs
    it) once committed. A migration that fails changes nothing and raises SQLite's own error
    (a full disk: ``database or disk is full``), also when SQLite already rolled the
    transaction back itself (as it does on a full disk)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        current = int(row[0]) if row else 0
        if current > SCHEMA_VERSION:
            raise StoreUnavailable("open", newer_than_this(path, current))
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in statements(MIGRATIONS[version]):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(
            "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (str(SCHEMA_VERSION),),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a full disk has SQLite roll back on its own: nothing to undo
            with contextlib.suppress(sqlite3.Error):  # the cause is the error being raised
                conn.execute("ROLLBACK")
        raise
    if current != SCHEMA_VERSION:
        log.info("store %s: schema migrated from %s to %s", path, current, SCHEMA_VERSION)
