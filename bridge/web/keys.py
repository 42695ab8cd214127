"""Every key of the web layer's shared state: one ``web.AppKey`` per thing an app holds and one
``web.RequestKey`` per thing a request carries between the middlewares and the handlers.

Contract: the app factory (bridge/web/app.py) sets every app key before the app starts; the
session middleware (bridge/web/console/session_middleware.py) sets the request keys. No other
module defines keys.
"""

from __future__ import annotations

import jinja2
from aiohttp import web

from bridge.config import LoadedConfig
from bridge.metrics import Metrics
from bridge.service import BridgeService
from bridge.store.outage import Refusals
from bridge.web.live import LiveFeed
from bridge.web.sessions import Current, Sessions

# ---- per app ------------------------------------------------------------------------------
SERVICE = web.AppKey("service", BridgeService)
METRICS = web.AppKey("metrics", Metrics)
CONFIG = web.AppKey("config", LoadedConfig)
SESSIONS = web.AppKey("sessions", Sessions)
JINJA = web.AppKey("console_jinja", jinja2.Environment)
FEED = web.AppKey("live_feed", LiveFeed)
#: requests the store refused, logged once per outage (the error middleware tells it)
REFUSALS = web.AppKey("store_refusals", Refusals)

# ---- per request (set by the session middleware and the handlers it wraps) ---------------
CURRENT = web.RequestKey("session_current", Current)
NEW_SESSION = web.RequestKey("session_new_id", str)
CLEAR_SESSION = web.RequestKey("session_clear", bool)
LOGIN_CSRF = web.RequestKey("session_login_csrf", str)
LOGIN_CSRF_NEW = web.RequestKey("session_login_csrf_new", bool)
