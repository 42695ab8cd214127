"""The JSON API (``/api/v1/…``) and the operational endpoints, one module per resource.

Each module exposes ``routes`` (a ``web.RouteTableDef``) that the app factory adds; handlers
reach the service through ``request.app[keys.SERVICE]`` and check the caller with
bridge/web/access.py. The document of it all is ``openapi.yaml`` (served by
:mod:`bridge.web.api.openapi`).
"""
