"""The OpenAPI 3 document of the HTTP API: ``openapi.yaml`` beside this module, served as JSON
at ``GET /api/v1/openapi.json``.

Contract: the YAML is written by hand so that it states the contract of docs/design.md rather than
whatever the code happens to do; a test checks that every route of the app is documented and
nothing else. :func:`document` loads it once per process (the app factory calls it at start, so
a broken file stops the bridge there) with ``info.version`` set to ``bridge.__version__``.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml
from aiohttp import web

from bridge import __version__

routes = web.RouteTableDef()


@functools.cache
def document() -> dict[str, Any]:
    """The document as served (do not change it: it is shared by every app)."""
    text = resources.files("bridge.web.api").joinpath("openapi.yaml").read_text(encoding="utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    doc["info"]["version"] = __version__
    return doc


@routes.get("/api/v1/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document())
