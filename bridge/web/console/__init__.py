"""The NOC console: server-rendered page shells (Jinja2, ``templates/``), the bundled static
assets (``static/``), the sign-in pages, browser sessions and the live updates feed.

Modules: :mod:`~bridge.web.console.pages` (the pages), :mod:`~bridge.web.console.frame` (the
frame every page renders in, sign-in pages included), :mod:`~bridge.web.console.signin`
(password, TOTP, sign-out), :mod:`~bridge.web.console.sessions` (sessions and the sign-in
policy), :mod:`~bridge.web.console.session_middleware` (per request: loading, CSRF, cookies)
and :mod:`~bridge.web.console.live` (the "something changed" feed). The app factory
(bridge/web/app.py) registers their routes, middleware and lifecycles.
"""
