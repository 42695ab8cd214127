"""How late the event loop wakes a periodic timer: ``bridge_event_loop_lag_seconds``.

:class:`LoopLag` runs one task beside the service (started and stopped by
:mod:`bridge.service`): it sleeps ``interval`` (100 ms) again and again and observes how much
later than asked it woke (``actual - expected``, never below 0). A loop that stays responsive
shows lags of a few milliseconds; anything that holds the loop (a long evaluation, a blocking
call) shows as a lag as long as the hold, whatever the cause. Alerted on in
deploy/prometheus/bridge-rules.yml (p99 above 100 ms for 5 minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

#: seconds between two samples
INTERVAL = 0.1


class LoopLag:
    """Samples the loop's lag into ``observe`` (a histogram's ``observe``) until stopped."""

    def __init__(self, observe: Callable[[float], None], interval: float = INTERVAL) -> None:
        self._observe = observe
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self._interval
            await asyncio.sleep(self._interval)
            self._observe(max(0.0, loop.time() - expected))
