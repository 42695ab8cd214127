"""``bridge serve``: run the service until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import sys

from bridge.cli.common import invalid
from bridge.cli.log_format import configure
from bridge.config import load_config
from bridge.errors import ConfigError, StoreUnavailable


def serve(path: str) -> int:
    from aiohttp import web

    from bridge.web.app import create_app

    try:
        loaded = load_config(path)
        configure(loaded.config.log_level, loaded.config.log_format)
        app = create_app(loaded)  # reads the inventory: may raise ConfigError too
    except ConfigError as exc:
        return invalid(exc)
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
        return invalid(exc)
    return 0
