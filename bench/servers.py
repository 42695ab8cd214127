"""The two servers the webhook benchmark compares, each run in its own process.

``python -m bench.servers baseline`` — an aiohttp app whose webhook handler only reads and parses
the JSON body and answers 200: the floor any Python aiohttp receiver pays.

``python -m bench.servers bridge --config PATH`` — the real bridge, built exactly as
``bridge serve`` builds it: ``create_app(load_config(PATH))`` served by ``web.run_app`` without an
access log.

Either binds 127.0.0.1 on a free port chosen by the kernel and prints ``PORT <n>`` on stdout, then
serves until SIGTERM/SIGINT (``run_app`` then runs the app's cleanup, so the bridge flushes and
closes its store). With ``--profile FILE`` the event-loop thread runs under cProfile and the
top functions by cumulative time are written to FILE on exit (the SQLite writer thread is not
profiled: its time shows up as waiting in the loop).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import logging
import pstats
import socket
import sys
import time
from pathlib import Path

import orjson
from aiohttp import web

MAX_BODY = 8 * 1024 * 1024


async def _baseline_webhook(request: web.Request) -> web.Response:
    body = orjson.loads(await request.read())  # the parser the bridge uses
    return web.json_response({"accepted": len(body.get("alerts", ())), "incidents": []})


async def _ok(request: web.Request) -> web.Response:
    return web.json_response({"status": "ready"})


def baseline_app() -> web.Application:
    app = web.Application(client_max_size=MAX_BODY + 1)
    app.router.add_post("/api/v1/alertmanager", _baseline_webhook)
    app.router.add_get("/readyz", _ok)
    return app


def bridge_app(config: Path) -> web.Application:
    from bridge.config import load_config
    from bridge.web.app import create_app

    return create_app(load_config(config))


def add_scrape_routes(app: web.Application) -> None:
    """The routes bench/scrape.py compares ``/metrics`` with: prometheus_client's own aiohttp
    handler over the process's default registry (``/bench/default-registry``) and over the
    bridge's registry, on the event loop, as ``/metrics`` was served before
    (``/bench/inline-metrics``)."""
    from prometheus_client import REGISTRY
    from prometheus_client.aiohttp import make_aiohttp_handler

    from bridge.web.keys import METRICS

    async def inline(request: web.Request) -> web.StreamResponse:
        return await make_aiohttp_handler(request.app[METRICS].registry)(request)

    app.router.add_get("/bench/default-registry", make_aiohttp_handler(REGISTRY))
    app.router.add_get("/bench/inline-metrics", inline)

    # the garbage collector's pauses of 10 ms or more, by generation, since the last reading
    # (GET /bench/gc): a full collection holds every thread, the event loop's included
    pauses: list[tuple[int, float]] = []
    started: list[float] = []

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started and (ms := (time.perf_counter() - started[0]) * 1000) >= 10:
            pauses.append((info["generation"], round(ms, 1)))

    gc.callbacks.append(timed)

    async def gc_pauses(request: web.Request) -> web.Response:
        answer = web.json_response(pauses[:])
        pauses.clear()
        return answer

    app.router.add_get("/bench/gc", gc_pauses)


def _serve(app: web.Application, profile: Path | None) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    try:
        web.run_app(app, sock=sock, access_log=None, print=None, handle_signals=True)
    finally:
        if profiler is not None and profile is not None:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
            out.write("\n---- by own time ----\n")
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
            profile.write_text(out.getvalue(), encoding="utf-8")
            profiler.dump_stats(profile.with_suffix(".prof"))  # for pstats / snakeviz


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("kind", choices=["baseline", "bridge"])
    parser.add_argument("--config", type=Path, help="bridge.yaml (bridge only)")
    parser.add_argument("--profile", type=Path, help="write a cProfile report here on exit")
    parser.add_argument(
        "--scrape-routes", action="store_true", help="bridge only: the routes of bench/scrape.py"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.kind == "bridge":
        if args.config is None:
            parser.error("bridge needs --config")
        app = bridge_app(args.config)
        if args.scrape_routes:
            add_scrape_routes(app)
    else:
        app = baseline_app()
    _serve(app, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
