"""``bridge prune [--dry-run]``: one retention pass over the store (docs/retention.md).

With ``--dry-run`` it prints, per kind, how many records would go and the cut-off, and changes
nothing: it does not migrate the store either (a store at an older schema is refused, exit 1:
``bridge serve`` upgrades it). Without, it prunes in batches, prints what went and appends one
audit entry (actor ``retention``). The periods are ``retention`` in bridge.yaml. Safe beside a
running bridge: every delete is a short write of records nothing uses any more.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from bridge.cli.common import invalid
from bridge.config import load_config
from bridge.core.alerts import format_time
from bridge.core.retention import KEPT, PRUNABLE
from bridge.errors import ConfigError, StoreEmpty, StoreUnavailable
from bridge.notices import in_use
from bridge.retention.pruner import Pruner, Report
from bridge.store import make_store

#: What each kind's cut-off is compared with.
_BASIS = {
    "alerts": "incident settled (unlisted: received) before",
    "incidents": "incident settled before",
    "drafts": "incident settled before",
    "notices": "incident settled before",
    "deliveries": "received before",
}


def prune(path: str, dry_run: bool) -> int:
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        return invalid(exc)
    cfg = loaded.config.retention
    privacy = loaded.config.privacy
    lost = in_use.guard(loaded.config.notices.archive_dir)

    async def run() -> Report:
        store = make_store(loaded.store_url())
        pruner = Pruner(
            store,
            cfg.periods(),
            cfg.batch,
            lambda: datetime.now(UTC),
            privacy_label=privacy.alert_label if privacy is not None else None,
        )
        # a dry run changes nothing, not the schema either; a store whose data is gone is not
        # created anew (bridge.notices.in_use)
        await store.open(migrate=not dry_run, create=lost is None)
        try:
            return await pruner.run(dry_run=dry_run, by="cli")
        finally:
            await store.close()

    try:
        report = asyncio.run(run())
    except StoreUnavailable as exc:
        print(f"store unavailable: {exc}", file=sys.stderr)
        return 1
    except StoreEmpty as exc:
        print(f"bridge prune: {lost(exc.where) if lost else exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:  # e.g. a Redis whose settings cannot keep acknowledged writes
        return invalid(exc)
    print(render(report))
    return 0


def render(report: Report) -> str:
    """The report as the operator reads it: one line per kind."""
    head = "would go (dry run, nothing changed)" if report.dry_run else "pruned"
    lines = [f"retention: {head}"]
    for kind in PRUNABLE:
        cut = report.cutoffs.get(kind)
        if cut is None:
            when = "kept for ever (never)"
        else:
            when = f"{_BASIS[kind]} {format_time(cut.replace(microsecond=0))}"
        lines.append(f"  {kind:<14}{report.counts[kind]:>10}  {when}")
    for kind in KEPT:
        lines.append(f"  {kind:<14}{'-':>10}  never pruned")
    return "\n".join(lines)
