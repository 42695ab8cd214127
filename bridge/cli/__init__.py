"""Command line: ``bridge serve``, ``bridge check-config``, ``bridge replay``, ``bridge prune``,
``bridge backup``, ``bridge restored``, ``bridge users``, ``bridge tokens`` (one module each;
people's commands in :mod:`bridge.people.cli`).

Exit codes: 0 success, 1 invalid configuration or input (or a store that cannot be opened),
2 usage error. A problem is printed to stderr as one line per problem, never as a traceback:
each command reports its own, and :func:`main` reports any BridgeError or OSError (a file or
directory that cannot be read or made) a command let through the same way; ``--debug`` shows
the traceback instead. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

# Only light modules here (the docstring above is ``--help``'s text): a command's module, with
# the store, the web stack or the configuration models it needs, is imported in _run when that
# command runs, so ``bridge --help`` and a usage error answer at once and each command pays for
# its own imports alone.
from bridge.cli.common import config_arg, invalid
from bridge.errors import BridgeError, ConfigError
from bridge.people import cli_args as people_args


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bridge", description=__doc__)
    parser.add_argument(
        "--debug", action="store_true", help="show a traceback instead of a one-line problem"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run the service")
    config_arg(p_serve)
    p_serve.add_argument(
        "--accept-empty-store",
        action="store_true",
        help="create a new empty store although the archive folder shows one was in use (its "
        "data is gone and will not be restored); audited. Once, never in a unit file",
    )
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
    p_backup = sub.add_parser(
        "backup", help="a consistent copy of the SQLite store while it serves (not Redis)"
    )
    config_arg(p_backup)
    p_backup.add_argument("dest", help="a new file, or a folder (named by store and time)")
    p_restored = sub.add_parser(
        "restored",
        help="run on a store restored from a backup, before serving it (once per archive "
        "folder): what the outbox would send again goes to a person",
    )
    config_arg(p_restored)
    p_restored.add_argument(
        "--backup-taken-at",
        metavar="TIME",
        help="when the backup was taken, ISO 8601 with offset (default: what a copy made by "
        "`bridge backup` records, else the time an earlier run recorded, else the store's "
        "newest audit entry)",
    )
    p_restored.add_argument(
        "--audit-seq-above",
        metavar="SEQ",
        help="the highest audit seq handed out before the restore, from an export of the log "
        "(default: the archive folder's mark): the log continues above it",
    )
    people_args.add_parsers(sub, config_arg)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ConfigError as exc:
        if args.debug:
            raise
        return invalid(exc)
    except (BridgeError, OSError) as exc:
        if args.debug:
            raise
        print(f"bridge {args.command}: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    """The problem an exception a command let through names, on one line."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return f"{where}{exc.strerror}"
    return " ".join(str(exc).split()) or type(exc).__name__


def _run(args: argparse.Namespace) -> int:
    """Run the command ``args`` name; its module is imported here, when it runs."""
    if args.command in ("users", "tokens"):
        from bridge.notices import in_use
        from bridge.people import cli as people_cli

        return people_cli.run(args, lost=in_use.guard)
    if args.command == "serve":
        # a SIGTERM/SIGINT/SIGHUP while its modules load (a second or more on a busy machine)
        # is kept for it, not the default's death or KeyboardInterrupt (bridge.cli.serve)
        early: list[int] = []
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, lambda n, _frame: early.append(n))
        from bridge.cli.serve import serve

        return serve(args.config, early, accept_empty_store=args.accept_empty_store)
    if args.command == "check-config":
        from bridge.cli.check_config import check_config

        return check_config(args.config)
    if args.command == "prune":
        from bridge.cli.prune import prune

        return prune(args.config, args.dry_run)
    if args.command == "backup":
        from bridge.cli.backup import backup

        return backup(args.config, args.dest)
    if args.command == "restored":
        from bridge.cli.restored import restored

        return restored(args.config, args.backup_taken_at, args.audit_seq_above)
    from bridge.cli.replay import replay

    return replay(args.config, args.file, as_json=args.json)
