"""``bridge replay FILE [--json]``: recorded webhooks through the core on their own timestamps:
per incident, its verdict changes over time, each obligation with its due time, and a forecast
from the last record if nothing changes (:mod:`bridge.core.replay`). No server, no store.

A met rule set is printed as what it means for the incident (:func:`says`; the incident
document's ``binding``, carried in each change): reportable to a regulator; *potentially
significant* under a cyber rule set (a person declares) with what a declaration then would owe;
a repealed law's internal threshold, owed to no regulator (on every line naming it or its
reports, whose passed due time is not called overdue); or a reference matrix met. A rule set
whose law applies only from a day after an incident began is named on its ``opened`` line as
not in force for it, and on the line of a verdict that stopped because the incident's start
moved before that day. docs/configuration.md (``bridge replay``) lists
the lines."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.cli.common import invalid
from bridge.cli.configured import load_with_inventory
from bridge.config import LoadedConfig
from bridge.config.errors import read_text
from bridge.core.alerts import Delivery, format_time, parse_time, parse_webhook
from bridge.core.documents import obligation_json
from bridge.core.durations import format_duration
from bridge.core.obligations import CYBER
from bridge.core.repeal import internal_threshold, not_in_force
from bridge.core.replay import Change, Replay
from bridge.core.replay import replay as run_replay
from bridge.core.report_names import REPORTS, met_words
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
    print(json.dumps(_as_json(result), indent=2) if as_json else as_text(result))
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


def _span(delta: timedelta) -> str:
    """``24h``, ``72h``, ``1h30m``: whole hours as hours (deadlines are read so), else the
    configuration's own duration words."""
    hours, rest = divmod(delta, timedelta(hours=1))
    return f"{hours}h" if not rest and hours >= 0 else format_duration(delta)


def _internal(d: dict[str, Any]) -> str:
    """A repealed law's rule set's words (bridge.core.repeal), from the change's own date."""
    return internal_threshold(date.fromisoformat(d["repealed_on"]))


def _then(change: Change) -> str:
    """What a cyber rule set would owe were the incident declared at the change's instant T,
    as T plus each deadline (its own rules, carried in the change); "" when nothing would."""
    owed = [
        f"{REPORTS[o['kind']]['en'] if o['kind'] in REPORTS else o['kind']} due "
        f"T+{_span(datetime.fromisoformat(o['due_at']) - change.at)}"
        for o in change.detail.get("if_declared", ())
        if o["due_at"] is not None
    ]
    return f"; if declared at T={format_time(change.at)}: {', '.join(owed)}" if owed else ""


def _binds(d: dict[str, Any]) -> bool:
    """The verdict owes its regulator a report: neither a reference matrix nor binding false."""
    return d.get("binding") is not False and not d.get("reference")


def _met(change: Change) -> str:
    """A rule set's criteria met, in what that means: reportable to a regulator (its code and
    the rule set, as the other lines name them), potentially significant (a person declares;
    what that would owe), else the incident document's words for a verdict that owes no
    regulator anything (:func:`bridge.core.report_names.met_words`: a reference matrix, a
    repealed law's internal threshold)."""
    d = change.detail
    rule_set = d.get("rule_set", "")
    if d.get("track") == CYBER:
        return f"potentially significant under {rule_set} (a person declares){_then(change)}"
    if _binds(d):
        return f"reportable to {d['regulator']} ({rule_set})"
    return met_words(d)


def _unmet(change: Change) -> str:
    """A verdict that stopped, worded as :func:`_met` words it; one that stopped because the
    incident's start moved before the day its law applies from names that day."""
    d = change.detail
    rule_set = d.get("rule_set", "")
    if d.get("track") == CYBER:
        late = d.get("in_force_from")
        why = f": {not_in_force(date.fromisoformat(late))}" if late else ""
        return f"no longer potentially significant under {rule_set}{why}"
    if _binds(d):
        return f"no longer reportable to {d['regulator']} ({rule_set})"
    return met_words(d, met=False)


def _owed(change: Change) -> str:
    """An obligation's change; one that binds no regulator never reads as owed to one, and its
    passing due time is no regulator's deadline missed."""
    d = change.detail
    what = change.what
    due = d["due_at"] or "once its event comes"
    if d.get("binding") is False:
        name = f"{d['kind']} ({d['rule_set']})"
        if what == "owes":
            return f"{name} due {due}: {_internal(d)}"
        if what == "due_moved":
            return f"{name} now due {d['due_at']}: {_internal(d)}"
        return f"{name} past its internal due time, nothing kept or sent: {_internal(d)}"
    if what == "owes":
        return f"owes {d['regulator']} {d['kind']}, due {due}"
    if what == "due_moved":
        return f"{d['regulator']} {d['kind']} now due {d['due_at']}"
    return f"{d['regulator']} {d['kind']} overdue (nothing sent)"


def says(change: Change) -> str:
    """One change in words."""
    d = change.detail
    what = change.what
    if what == "opened":
        where = ", ".join(d["jurisdictions"]) or "no jurisdiction"
        late = "".join(
            f"; {n['rule_set']} {not_in_force(date.fromisoformat(n['in_force_from']))}"
            for n in d.get("not_in_force", ())
        )
        return f"opened: {d['affected']} connections affected ({where}){late}"
    if what == "reportable":
        return _met(change)
    if what == "not_reportable":
        return _unmet(change)
    if what in ("owes", "due_moved", "overdue"):
        return _owed(change)
    if what == "closed":
        return f"closed: ended {d['ended_at']}, peak {d['affected_peak']} connections"
    if what == "merged":
        return f"merged into {d['into']}"
    return "opened again"


def _line(change: Change) -> str:
    return f"  {format_time(change.at)}  {says(change)}"


def as_text(result: Replay) -> str:
    """The replay as lines for a person: per incident its changes, then the forecast."""
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
