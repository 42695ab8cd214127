"""Refusals for want of a store, logged once per outage rather than once per refused request.

Contract: :class:`Refusals` is told of each refusal (:meth:`Refusals.refused`) and of each sign
that the store answers again (:meth:`Refusals.answered`). It logs a WARNING at the first refusal
of an outage and whenever the cause changes (the store's error, whichever operation met it),
naming what was refused (and, when given, the first request's method and path) and the cause
(a ``StoreUnavailable``'s text: a Redis URL's password is already redacted there); the same
cause again at most once per ``every`` (a minute) with how many were refused since the last such
line, so that an outage whose end nobody saw (no store call succeeded in between) is not silent
when it comes back; and an INFO with how many were refused when the store answers again.
Counting (``bridge_store_errors_total``, the webhook's ``bridge_webhook_requests_total``) is
left to the callers, each refusal counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bridge.errors import BridgeError, StoreUnavailable

log = logging.getLogger("bridge.store")

MINUTE = timedelta(minutes=1)


class Refusals:
    """See the module contract. ``what`` names the refused ("webhooks", "requests"),
    ``again`` the INFO's opening ("webhooks stored again"), ``now`` the clock."""

    def __init__(
        self,
        what: str,
        again: str,
        now: Callable[[], datetime],
        every: timedelta = MINUTE,
        logger: logging.Logger = log,
    ) -> None:
        self.what = what
        self.again = again
        self.now = now
        self.every = every
        self.log = logger
        self.cause: str | None = None  # the last refusal's; None: no refusal since it answered
        self.count = 0  # refused since the outage began
        self.unlogged = 0  # refused since the last WARNING
        self.logged_at: datetime | None = None  # when the last WARNING was written

    def refused(self, exc: BridgeError, on: str | None = None) -> None:
        """One refusal; ``on``: the request's method and path, named if this one is logged."""
        self.count += 1
        self.unlogged += 1
        now = self.now()
        first = f"first: {on}; " if on else ""
        # the cause without the operation: a console's pages call several, one outage
        cause = exc.cause if isinstance(exc, StoreUnavailable) else str(exc)
        if cause != self.cause:
            self.log.warning(
                "%s refused (503), store unavailable: %s (%slogged again when the cause changes,"
                " at most once a minute while it lasts, and when the store answers again)",
                self.what,
                exc,
                first,
            )
        elif self.logged_at is not None and now - self.logged_at >= self.every:
            self.log.warning(
                "%s refused (503), store unavailable: %s (%s%d refused since the last such line)",
                self.what,
                exc,
                first.replace("first", "this one"),
                self.unlogged,
            )
        else:
            return
        self.cause = cause
        self.unlogged = 0
        self.logged_at = now

    def answered(self) -> None:
        """The store answered (a write went through, its ping passed): the outage, if any, is
        over."""
        if self.cause is None:
            return
        self.log.info("%s: %d refused during the store's outage", self.again, self.count)
        self.cause = None
        self.count = 0
        self.unlogged = 0
        self.logged_at = None
