"""Redis's declarations of significance (schema 8). Keys (``P`` = prefix): ``P declarations``
and ``P declarations:rev`` (hashes: incident id → record JSON of
:mod:`bridge.store.record_codec` / revision). Never deleted from, by discipline."""

from __future__ import annotations

from collections.abc import Sequence

from bridge.store.record_codec import decode, encode
from bridge.store.records import AuditEntry, DeclarationRecord
from bridge.store.redis.guards import RevisedDocuments


class RedisDeclarations(RevisedDocuments):
    """:class:`bridge.store.interfaces.DeclarationStore` on Redis."""

    async def put_declaration(
        self, record: DeclarationRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        await self._put_revised(
            "put_declaration",
            "declarations",
            f"declaration of {record.id}",
            record.id,
            record.revision,
            expected_revision,
            encode(record),
            "",
            audit,
        )

    async def get_declaration(self, incident_id: str) -> DeclarationRecord | None:
        found = await self._call(
            "get_declaration", lambda c: c.hget(self._key("declarations"), incident_id)
        )
        return None if found is None else decode(found, DeclarationRecord)

    async def list_declarations(self) -> list[DeclarationRecord]:
        values = await self._call("list_declarations", lambda c: c.hvals(self._key("declarations")))
        return sorted((decode(v, DeclarationRecord) for v in values), key=lambda r: r.id)
