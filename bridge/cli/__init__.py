"""Command line: ``bridge serve``, ``bridge check-config``, ``bridge replay``, ``bridge prune``,
``bridge users``, ``bridge tokens`` (one module each; people's commands in
:mod:`bridge.people.cli`).

Exit codes: 0 success, 1 invalid configuration or input, 2 usage error.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bridge.cli.check_config import check_config
from bridge.cli.common import config_arg
from bridge.cli.prune import prune
from bridge.cli.replay import replay
from bridge.cli.serve import serve
from bridge.people import cli as people_cli


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run the service")
    config_arg(p_serve)
    p_check = sub.add_parser("check-config", help="validate configuration and print a summary")
    config_arg(p_check)
    p_replay = sub.add_parser(
        "replay", help="replay recorded webhooks: what was owed, when, and a forecast"
    )
    config_arg(p_replay)
    p_replay.add_argument("file", help="JSON lines: {received_at, body}")
    p_replay.add_argument("--json", action="store_true", help="one JSON document for tools")
    p_prune = sub.add_parser("prune", help="remove what retention says goes (see --dry-run)")
    config_arg(p_prune)
    p_prune.add_argument(
        "--dry-run", action="store_true", help="print what would go per kind; change nothing"
    )
    people_cli.add_parsers(sub, config_arg)
    args = parser.parse_args(argv)
    if args.command in ("users", "tokens"):
        return people_cli.run(args)
    if args.command == "serve":
        return serve(args.config)
    if args.command == "check-config":
        return check_config(args.config)
    if args.command == "prune":
        return prune(args.config, args.dry_run)
    return replay(args.config, args.file, as_json=args.json)
