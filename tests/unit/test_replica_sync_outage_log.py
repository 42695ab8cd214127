"""The periodic replica sync during a store outage (bridge/evaluation/replica_sync.py): one log
line on the first failure and then one per :data:`OUTAGE_LOG_EVERY` failures in a row (a
minute at the default 1 s), one when the store answers again; every failure still counted."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from bridge.errors import StoreUnavailable
from bridge.evaluation import replica_sync
from bridge.evaluation.replica_sync import OUTAGE_LOG_EVERY, ReplicaSync
from bridge.metrics import Metrics


class _Outage(ReplicaSync):
    """A sync whose store fails ``failures`` times, then answers ``answers`` times."""

    def __init__(self, failures: int, answers: int) -> None:
        super().__init__(None, None, lambda ep: True, Metrics(CollectorRegistry()), timedelta(0))  # type: ignore[arg-type]
        self.failures, self.answers = failures, answers
        self.done = asyncio.Event()

    async def sync(self, settle: bool = False) -> int:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("episodes_since", "redis 127.0.0.1:1: connection refused")
        self.answers -= 1
        if self.answers == 0:
            self.done.set()
        return 0


async def test_an_outage_logs_once_a_minute_and_its_end_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = 2 * OUTAGE_LOG_EVERY + 5
    sync = _Outage(failures, answers=3)
    caplog.set_level(logging.INFO, logger=replica_sync.log.name)
    task = asyncio.create_task(sync.run())
    await asyncio.wait_for(sync.done.wait(), 30)
    task.cancel()
    lines = [r.getMessage() for r in caplog.records if r.name == replica_sync.log.name]
    warned = [m for m in lines if m.startswith("could not read other replicas' alerts")]
    assert [m.split(" time(s)")[0].rpartition("(")[2] for m in warned] == ["1", "61", "121"]
    assert lines[-1] == f"reading other replicas' alerts again, after {failures} failed sync(s)"
    assert sync.failed_in_a_row == 0
    errors: Any = sync.metrics.store_errors.labels(op="episodes_since")
    assert errors._value.get() == failures
