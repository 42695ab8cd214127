"""Redis's privacy register (schema 5). Keys (``P`` = prefix): ``P privacy`` and
``P privacy:rev`` (hashes: case id → record JSON of :mod:`bridge.store.record_codec` /
revision) with ``P privacy:revisions:ID`` (list of every revision's record JSON, oldest first).
Never deleted from, by discipline."""

from __future__ import annotations

from collections.abc import Sequence

from bridge.store.record_codec import decode, encode
from bridge.store.records import AuditEntry, PrivacyCaseRecord
from bridge.store.redis.guards import RevisedDocuments


class RedisPrivacy(RevisedDocuments):
    """:class:`bridge.store.interfaces.PrivacyRegister` on Redis."""

    async def put_privacy_case(
        self, case: PrivacyCaseRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        await self._put_revised(
            "put_privacy_case",
            "privacy",
            f"privacy case {case.id}",
            case.id,
            case.revision,
            expected_revision,
            encode(case),
            "",
            audit,
            history="privacy:revisions:",
        )

    async def get_privacy_case(self, case_id: str) -> PrivacyCaseRecord | None:
        found = await self._call(
            "get_privacy_case", lambda c: c.hget(self._key("privacy"), case_id)
        )
        return None if found is None else decode(found, PrivacyCaseRecord)

    async def list_privacy_cases(self) -> list[PrivacyCaseRecord]:
        values = await self._call("list_privacy_cases", lambda c: c.hvals(self._key("privacy")))
        return sorted((decode(v, PrivacyCaseRecord) for v in values), key=lambda r: r.id)

    async def privacy_case_revisions(self, case_id: str) -> list[PrivacyCaseRecord]:
        values = await self._call(
            "privacy_case_revisions",
            lambda c: c.lrange(self._key(f"privacy:revisions:{case_id}"), 0, -1),
        )
        return [decode(v, PrivacyCaseRecord) for v in values]
