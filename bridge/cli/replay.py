"""``bridge replay FILE``: recorded webhooks through the core, with their own timestamps."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from bridge.config import LoadedConfig, load_config
from bridge.config.inventory import load_inventory
from bridge.core.alerts import format_time, parse_time, parse_webhook
from bridge.errors import BadInput
from bridge.evaluation.engine import build_engine


def replay(path: str, file: str) -> int:
    """Feed recorded webhooks (JSON lines: {"received_at": …, "body": {…}}) through the core
    with their own timestamps and print when each incident became reportable, per regulator."""
    loaded: LoadedConfig = load_config(path)
    cfg = loaded.config
    topology = load_inventory(cfg.inventory.path, cfg.inventory.service_totals)
    engine = build_engine(loaded, topology)
    reported: dict[tuple[str, str], datetime] = {}
    last: datetime | None = None
    for line_no, line in enumerate(Path(file).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            at = parse_time(record["received_at"], f"line {line_no}.received_at")
            assert at is not None
            delivery = parse_webhook(record["body"], at, cfg.server.limits.webhook())
        except (ValueError, KeyError, BadInput) as exc:
            print(f"{file}:{line_no}: {exc}", file=sys.stderr)
            return 1
        engine.tick(at)
        engine.apply(delivery.episodes, at, {delivery.group_key: delivery.truncated_alerts})
        last = at
    if last is not None:
        engine.tick(last)
    for inc in sorted(engine.incidents.values(), key=lambda i: (i.started_at, i.id)):
        for a in inc.assessments:
            if a.reportable and a.since is not None:
                reported[(inc.id, a.regulator)] = a.since
    for (inc_id, regulator), since in sorted(reported.items(), key=lambda kv: kv[1]):
        print(f"{format_time(since)}  {inc_id}  reportable to {regulator}")
    if not reported:
        print("nothing became reportable")
    return 0
