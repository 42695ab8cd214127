"""A privacy case with a subscriber notice's distribution recorded (bridge/core/privacy_reach.py)
on every store in ``STORES``: the record reads back exactly, its audit entry is written with
it, and the revision before it is kept."""

from __future__ import annotations

from datetime import timedelta

from store_kit import T0

from bridge.core import privacy, privacy_reach
from bridge.store.interfaces import Store
from bridge.store.records import PrivacyCaseRecord, audit_entries


def _record(case: privacy.PrivacyCase) -> PrivacyCaseRecord:
    return PrivacyCaseRecord(
        case.id, case.state, case.revision, case.updated_at, privacy.to_dict(case)
    )


async def test_a_recorded_distribution_round_trips_with_its_audit_entry(store: Store) -> None:
    opened, events = privacy.open_case(
        {"detected_at": T0 - timedelta(hours=1)}, "erik", T0, "priv-20261123-d"
    )
    await store.put_privacy_case(_record(opened), None, audit_entries(events))
    handed = [
        privacy_reach.Handed(
            "subscriber_notice", "priv-20261123-d.pts.subscriber_notice.1", "pts", "k@ex.net", T0
        )
    ]
    body = {
        "kind": "subscriber_notice",
        "channels": ["sms", "web"],
        "went_out_at": "2026-11-23T11:00:00+01:00",
        "reached": 99,
        "unreached": 1,
        "unreached_action": "Brev, åäö.",
    }
    later = T0 + timedelta(hours=1)
    recorded, events = privacy_reach.record(opened, 1, body, handed, "erik", later)
    await store.put_privacy_case(_record(recorded), 1, audit_entries(events))
    stored = await store.get_privacy_case(opened.id)
    assert stored is not None
    back = privacy.from_dict(stored.document)
    assert back == recorded
    entry = back.distributions["subscriber_notice"]
    assert entry["went_out_at"] == "2026-11-23T10:00:00Z" and entry["reached"] == 99
    assert privacy_reach.status(back, handed)[0]["state"] == privacy_reach.RECORDED
    revisions = await store.privacy_case_revisions(opened.id)
    assert [privacy.from_dict(r.document).distributions for r in revisions] == [
        {},
        recorded.distributions,
    ]
    [audited] = await store.audit_log(target=f"privacy:{opened.id}", limit=1)
    assert audited.action == "privacy.distribution_recorded"
    assert audited.detail["reached"] == 99 and "Brev" not in repr(audited.detail)
