"""What every command shares: the ``-c CONFIG`` option and how configuration problems print.

Light on purpose: :mod:`bridge.cli` imports it to build the parser, before any command runs
(loading the configuration and its inventory is :mod:`bridge.cli.configured`)."""

from __future__ import annotations

import argparse
import sys

from bridge.errors import ConfigError

DEFAULT_CONFIG = "config/bridge.yaml"


def config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", default=DEFAULT_CONFIG, help=f"bridge.yaml (default {DEFAULT_CONFIG})"
    )


def invalid(exc: ConfigError) -> int:
    """Print every configuration problem to stderr; the exit code for it."""
    print(f"configuration INVALID ({len(exc.problems)} problem(s)):", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1
