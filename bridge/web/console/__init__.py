"""The NOC console: server-rendered page shells (Jinja2, ``templates/``), the bundled static
assets (``static/``) and the sign-in pages.

Modules: :mod:`~bridge.web.console.pages` (the pages), :mod:`~bridge.web.console.frame` (the
frame every page renders in, sign-in pages included), :mod:`~bridge.web.console.signin`
(password, TOTP, sign-out) and :mod:`~bridge.web.console.session_middleware` (per request:
loading the session, CSRF, cookies). The sessions themselves are :mod:`bridge.web.sessions`,
the "something changed" feed :mod:`bridge.web.live`. The app factory (bridge/web/app.py)
registers their routes, middleware and lifecycles.
"""
