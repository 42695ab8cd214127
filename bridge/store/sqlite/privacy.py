"""SQLite's privacy register: ``privacy_cases`` (latest revision of each case) and
``privacy_case_revisions`` (every revision written); triggers refuse deleting from either and
changing a kept revision. Written under the revision check with their audit entries."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bridge.store.codec import loads
from bridge.store.records import AuditEntry, PrivacyCaseRecord
from bridge.store.revisions import check_follows
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import (
    audit_rows,
    from_row,
    to_row,
    write_revised,
)

_COLUMNS = ("id", "state", "revision", "updated_at", "document")
_UPDATED = ("state", "revision", "updated_at", "document")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM privacy_cases"
#: a kept revision has no state column: it is the document's
_REVISION_COLUMNS = ("id", "revision", "updated_at", "document")


class SqlitePrivacy(SqliteConnection):
    """:class:`bridge.store.interfaces.PrivacyRegister` on SQLite."""

    async def put_privacy_case(
        self, case: PrivacyCaseRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        check_follows(case, expected_revision, "privacy case")
        row = to_row(case, _COLUMNS)
        what = f"privacy case {case.id}"
        kept = to_row(case, _REVISION_COLUMNS)
        entries = audit_rows(audit)

        def apply(conn: sqlite3.Connection) -> None:
            write_revised(
                conn, "privacy_cases", _COLUMNS, _UPDATED, row, expected_revision, what, entries
            )
            conn.execute(
                "INSERT INTO privacy_case_revisions(id, revision, updated_at, document) "
                "VALUES (?,?,?,?)",
                kept,
            )

        await self._write("put_privacy_case", apply)

    async def get_privacy_case(self, case_id: str) -> PrivacyCaseRecord | None:
        row = await self._read(
            "get_privacy_case",
            lambda c: c.execute(f"{_SELECT} WHERE id=?", (case_id,)).fetchone(),
        )
        return from_row(PrivacyCaseRecord, _COLUMNS, row) if row else None

    async def list_privacy_cases(self) -> list[PrivacyCaseRecord]:
        rows = await self._read(
            "list_privacy_cases",
            lambda c: c.execute(f"{_SELECT} ORDER BY id").fetchall(),
        )
        return [from_row(PrivacyCaseRecord, _COLUMNS, r) for r in rows]

    async def privacy_case_revisions(self, case_id: str) -> list[PrivacyCaseRecord]:
        rows = await self._read(
            "privacy_case_revisions",
            lambda c: c.execute(
                f"SELECT {', '.join(_REVISION_COLUMNS)} FROM privacy_case_revisions "
                "WHERE id=? ORDER BY revision",
                (case_id,),
            ).fetchall(),
        )
        return [
            from_row(
                PrivacyCaseRecord,
                ("state", *_REVISION_COLUMNS),
                (loads(r[3]).get("state", ""), *r),
            )
            for r in rows
        ]
