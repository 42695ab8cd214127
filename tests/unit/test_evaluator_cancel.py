"""Evaluator.cancel() after the background evaluation died of an error: the error is the dead
task's own (counted, logged by type and frames), never the caller's (a rebuild, stop()). A
flush that raises no longer ends the task (bridge.evaluation.evaluator's contract)."""

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

    async def dies() -> None:  # what the evaluator's own guards no longer let happen
        raise RuntimeError("a bug for olga@example.net")

    task = ev._task = asyncio.get_running_loop().create_task(dies())
    await asyncio.wait([task])
    assert isinstance(task.exception(), RuntimeError)
    await ev.cancel()  # the old code raised the dead task's error here
    assert metrics.task_failures.labels(task="evaluation")._value.get() == 1
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "RuntimeError" in logged.getMessage() and "olga" not in logged.getMessage()
    await ev.cancel()  # nothing left to cancel


async def test_a_flush_that_raises_no_longer_ends_the_background_evaluation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The error is counted as a persist failure and logged by type and frames; the task ends
    its round normally and the next admission is evaluated."""
    metrics = Metrics(CollectorRegistry())
    ev = Evaluator(engine(), timedelta(0), metrics, now=lambda: at(1), persist=_BrokenPersist())
    ev.admit([episode("a", at(0), element="olt-a1")], {})
    assert ev._task is not None
    await ev._task
    assert metrics.evaluation_errors.labels(stage="persist")._value.get() == 1
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "RuntimeError" in logged.getMessage() and "olga" not in logged.getMessage()
    ev.admit([episode("b", at(0), element="olt-n1")], {})
    await ev._task
    assert len(ev.engine.incidents) == 2
    await ev.cancel()
    assert metrics.task_failures.labels(task="evaluation")._value.get() == 0
