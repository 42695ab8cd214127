"""Evaluator.cancel() after the background evaluation died of an error: the error is the dead
task's own (counted, logged by type and frames), never the caller's (a rebuild, stop())."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from corekit import at, engine, episode
from prometheus_client import CollectorRegistry

from bridge.evaluation.evaluator import Evaluator
from bridge.metrics import Metrics


class _BrokenPersist:
    async def flush(self) -> None:
        raise RuntimeError("a bug in flush for olga@example.net")


async def test_cancel_after_the_background_evaluation_died_does_not_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics(CollectorRegistry())
    ev = Evaluator(engine(), timedelta(0), metrics, now=lambda: at(1), persist=_BrokenPersist())
    ev.admit([episode("a", at(0), element="olt-a1")], {})
    task = ev._task
    assert task is not None
    await asyncio.wait([task])  # it dies of the flush's error
    assert isinstance(task.exception(), RuntimeError)
    await ev.cancel()  # the old code raised the dead task's error here
    assert metrics.task_failures.labels(task="evaluation")._value.get() == 1
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "RuntimeError" in logged.getMessage() and "olga" not in logged.getMessage()
    await ev.cancel()  # nothing left to cancel
