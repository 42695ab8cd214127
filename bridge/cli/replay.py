"""``bridge replay FILE [--json]``: recorded webhooks through the core on their own timestamps:
per incident, its verdict changes over time, each obligation with its due time, and a forecast
from the last record if nothing changes (:mod:`bridge.core.replay`). No server, no store."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bridge.cli.common import invalid, load_with_inventory
from bridge.config import LoadedConfig
from bridge.config.errors import read_text
from bridge.core.alerts import Delivery, format_time, parse_time, parse_webhook
from bridge.core.documents import obligation_json
from bridge.core.replay import Change, Replay
from bridge.core.replay import replay as run_replay
from bridge.errors import BadInput, ConfigError
from bridge.evaluation.engine import build_engine


def _records(loaded: LoadedConfig, file: str) -> list[tuple[datetime, Delivery]]:
    """The recording's deliveries; BadInput naming ``FILE:LINE`` and the field, or ``FILE`` when
    it cannot be read or is not UTF-8."""
    limits = loaded.config.server.limits.webhook()
    out: list[tuple[datetime, Delivery]] = []
    try:
        text = read_text(Path(file))
    except ConfigError as exc:  # cannot be read, or not UTF-8: names the file (and the byte)
        raise BadInput(file, exc.problems[0].removeprefix(f"{Path(file)}: ")) from None
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            at = parse_time(record["received_at"], "received_at")
            if at is None:
                raise BadInput("received_at", "missing")
            out.append((at, parse_webhook(record["body"], at, limits)))
        except (ValueError, KeyError, TypeError, BadInput) as exc:
            raise BadInput(f"{file}:{line_no}", str(exc)) from None
    out.sort(key=lambda r: r[0])
    return out


def replay(path: str, file: str, as_json: bool = False) -> int:
    """Print what the recording owed, when, and the forecast (text, or JSON with ``as_json``)."""
    try:
        loaded, topology = load_with_inventory(path)
    except ConfigError as exc:
        return invalid(exc)
    try:
        records = _records(loaded, file)
    except BadInput as exc:
        print(f"{exc.field}: {exc.problem}", file=sys.stderr)
        return 1
    result = run_replay(build_engine(loaded, topology), records)
    print(json.dumps(_as_json(result), indent=2) if as_json else _as_text(result))
    return 0


def _as_json(result: Replay) -> dict[str, Any]:
    return {
        "last_record": format_time(result.last_record),
        "incidents": [
            {
                "id": inc.id,
                "key": inc.key,
                "started_at": format_time(inc.started_at),
                "state": inc.state,
                "merged_into": inc.merged_into,
                "obligations": [obligation_json(o) for o in inc.obligations],
                "changes": [c.as_json() for c in result.changes if c.incident == inc.id],
            }
            for inc in result.incidents
        ],
    }


def _says(change: Change) -> str:
    """One change in words."""
    d = change.detail
    what = change.what
    if what == "opened":
        where = ", ".join(d["jurisdictions"]) or "no jurisdiction"
        return f"opened: {d['affected']} connections affected ({where})"
    if what == "reportable":
        return f"reportable to {d['regulator']} ({d['rule_set']})"
    if what == "not_reportable":
        return f"no longer reportable to {d['regulator']}"
    if what == "owes":
        return f"owes {d['regulator']} {d['kind']}, due {d['due_at'] or 'once its event comes'}"
    if what == "due_moved":
        return f"{d['regulator']} {d['kind']} now due {d['due_at']}"
    if what == "overdue":
        return f"{d['regulator']} {d['kind']} overdue (nothing sent)"
    if what == "closed":
        return f"closed: ended {d['ended_at']}, peak {d['affected_peak']} connections"
    if what == "merged":
        return f"merged into {d['into']}"
    return "opened again"


def _line(change: Change) -> str:
    return f"  {format_time(change.at)}  {_says(change)}"


def _as_text(result: Replay) -> str:
    if not result.incidents:
        return "no incidents"
    lines: list[str] = []
    last = format_time(result.last_record)
    for inc in result.incidents:
        mine = [c for c in result.changes if c.incident == inc.id]
        lines.append(f"{inc.id}  ({inc.key}), started {format_time(inc.started_at)}")
        lines += [_line(c) for c in mine if not c.forecast]
        ahead = [c for c in mine if c.forecast]
        if ahead:
            lines.append(f"  forecast, if no further alert comes after {last}:")
            lines += ["  " + _line(c) for c in ahead]
        lines.append("")
    return "\n".join(lines).rstrip()
