"""What every command shares: the ``-c CONFIG`` option and how configuration problems print."""

from __future__ import annotations

import argparse
import sys

from bridge.config import LoadedConfig, load_config
from bridge.config.inventory import load_inventory
from bridge.core.topology import Topology
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


def load_with_inventory(path: str) -> tuple[LoadedConfig, Topology]:
    """The configuration at ``path`` and the inventory it names (with its service totals).
    Raises :class:`ConfigError` when either is invalid; nothing is printed."""
    loaded = load_config(path)
    inventory = loaded.config.inventory
    return loaded, load_inventory(inventory.path, inventory.service_totals)
