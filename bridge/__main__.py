"""Command line: ``bridge serve``, ``bridge check-config``, ``bridge replay``, ``bridge users``,
``bridge tokens`` (bridge/people/cli.py).

Exit codes: 0 success, 1 invalid configuration or input, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bridge.config import LoadedConfig, load_config
from bridge.config.inventory import load_inventory
from bridge.core.alerts import format_time, parse_time, parse_webhook
from bridge.errors import BadInput, ConfigError, StoreUnavailable
from bridge.people import cli as people_cli
from bridge.store.redis import redact

DEFAULT_CONFIG = "config/bridge.yaml"


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", default=DEFAULT_CONFIG, help=f"bridge.yaml (default {DEFAULT_CONFIG})"
    )


def _invalid(exc: ConfigError) -> int:
    """Print every configuration problem to stderr; the exit code for it."""
    print(f"configuration INVALID ({len(exc.problems)} problem(s)):", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def check_config(path: str) -> int:
    """Print a summary of a valid configuration, or every problem; return 0 or 1."""
    try:
        loaded = load_config(path)
        cfg = loaded.config
        topology = load_inventory(cfg.inventory.path, cfg.inventory.service_totals)
    except ConfigError as exc:
        return _invalid(exc)
    print(f"configuration OK: {loaded.path}")
    print(f"  store: {redact(loaded.store_url())}")
    print(f"  listen: {cfg.server.listen}  (public URL {cfg.server.public_url})")
    print(
        f"  inventory: {len(topology)} elements"
        + (
            f" from {cfg.inventory.path}"
            if cfg.inventory.path
            else " (none: alerts describe their own impact)"
        )
    )
    print(
        f"  webhook credentials: {len(cfg.auth.webhook.tokens)} bearer token(s), "
        f"{len(cfg.auth.webhook.basic)} basic"
    )
    print("  regulators:")
    for name, reg in sorted(cfg.regulators.items()):
        rule_file, rs = loaded.rule_sets[reg.rule_set]
        state = "on " if reg.enabled else "off"
        flag = "verified" if rs.verified else "NOT VERIFIED"
        print(
            f"    {state} {name}: rule set {rs.id} ({rs.jurisdiction}, {len(rs.criteria)} "
            f"criteria, {flag}) from {rule_file.name}; recipient {reg.recipient or '-'}"
        )
    privacy = loaded.privacy_rule_sets()
    if cfg.privacy is None:
        print("  privacy track: off (no privacy section)")
    else:
        label = ", ".join(f"{k}={v}" for k, v in cfg.privacy.alert_label.items()) or "none"
        print(f"  privacy track: on; alerts opening privacy cases: {label}")
        for rs in privacy:
            flag = "verified" if rs.verified else "NOT VERIFIED"
            kinds = ", ".join(rs.obligation_kinds())
            print(f"    {rs.regulator}: rule set {rs.id} ({rs.jurisdiction}, {flag}): {kinds}")
    used = {r.rule_set for r in cfg.regulators.values()} | {rs.id for rs in privacy}
    unused = sorted(set(loaded.rule_sets) - used)
    if unused:
        print(f"  rule sets not used by any regulator: {', '.join(unused)}")
    unverified = [rs.id for rs in [*loaded.enabled_rule_sets(), *privacy] if not rs.verified]
    if unverified:
        print(
            f"  WARNING: unverified rule sets in use: {', '.join(unverified)} "
            "(check their numbers against the regulation in force)"
        )
    return 0


def serve(path: str) -> int:
    from aiohttp import web

    from bridge.web.app import create_app

    try:
        loaded = load_config(path)
        logging.basicConfig(
            level=loaded.config.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        app = create_app(loaded)  # reads the inventory: may raise ConfigError too
    except ConfigError as exc:
        return _invalid(exc)
    server = loaded.config.server
    try:
        web.run_app(
            app,
            host=server.host,
            port=server.port,
            access_log=None,
            print=lambda msg: logging.getLogger("bridge").info(msg),
        )
    except StoreUnavailable as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:  # e.g. a Redis whose settings cannot keep acknowledged alerts
        return _invalid(exc)
    return 0


def replay(path: str, file: str) -> int:
    """Feed recorded webhooks (JSON lines: {"received_at": …, "body": {…}}) through the core
    with their own timestamps and print when each incident became reportable, per regulator."""
    from bridge.evaluation.engine import build_engine

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
            delivery = parse_webhook(record["body"], at)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run the service")
    _config_arg(p_serve)
    p_check = sub.add_parser("check-config", help="validate configuration and print a summary")
    _config_arg(p_check)
    p_replay = sub.add_parser("replay", help="replay recorded webhooks and print reportability")
    _config_arg(p_replay)
    p_replay.add_argument("file", help="JSON lines: {received_at, body}")
    people_cli.add_parsers(sub, _config_arg)
    args = parser.parse_args(argv)
    if args.command in ("users", "tokens"):
        return people_cli.run(args)
    if args.command == "serve":
        return serve(args.config)
    if args.command == "check-config":
        return check_config(args.config)
    return replay(args.config, args.file)


if __name__ == "__main__":
    sys.exit(main())
