"""Drafting (bridge/notices/drafting.py) with a book and cases of plain values: one case whose
drafts fail never holds up the others, is logged without the exception's message and counted,
and is not tried again until it is marked again."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry

from bridge.core import case_drafts as cd
from bridge.core import casework as cw
from bridge.core.drafts import DraftFields, RenderedDraft, Sender
from bridge.errors import StoreUnavailable
from bridge.metrics import Metrics
from bridge.notices.drafting import Drafting

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MARK = "Kalle Markörsson 070-1234567"  # personal data the log must not show
OPERATOR = Sender("Exempel Nett AS", "999 000 000", "NOC", "+47 22 00 00 00", "noc@example.net")


def render(fields: DraftFields) -> RenderedDraft:
    body = "\n".join(f"{f.label}: {f.value or fields.placeholder}" for f in fields.fields.values())
    return RenderedDraft(f"{fields.title} {fields.reference}", body, f"<pre>{body}</pre>")


CTX = cd.Context(OPERATOR, {"nkom": "ekomvarsling@nkom.no"}, render)


def doc(case_id: str) -> dict[str, Any]:
    return {
        "id": case_id,
        "state": "open",
        "started_at": "2026-11-23T09:05:00Z",
        "ended_at": None,
        "remedied_at": None,
        "impact": {
            "current": 4000,
            "peak": 4000,
            "by_service": {"internet": 4000},
            "by_region": {"NO-0301": 4000},
            "region_names": {"NO-0301": "Oslo"},
        },
        "assessments": [],
        "alert_details": [],
    }


class Cases:
    """Three incidents owing a varsel; ``bad`` fails to give its document."""

    def __init__(self, bad: str) -> None:
        self.bad = bad
        self.asked: list[str] = []

    def owed(self, case_id: str) -> list[cd.Owed] | None:
        return [cd.Owed("nkom_varsel", NOW)]

    def absorbed(self, case_id: str) -> list[str]:
        return []

    def host(self, case_id: str) -> str:
        return case_id

    def document(self, case_id: str) -> dict[str, Any] | None:
        self.asked.append(case_id)
        if case_id == self.bad:  # what an old store's out-of-range time did, say
            raise OverflowError(f"date value out of range for {MARK}")
        return doc(case_id)

    def notices_changed(
        self, case_id: str, events: Mapping[str, datetime], states: Mapping[str, str]
    ) -> None:
        pass


class Book:
    """What Drafting uses of the DraftBook: drafts kept in a dict."""

    def __init__(self, fail_writes: bool = False) -> None:
        self.drafts: dict[str, cw.Draft] = {}
        self.fail_writes = fail_writes

    def of_case(self, case_id: str) -> list[cw.Draft]:
        return [d for d in self.drafts.values() if d.incident_id == case_id]

    async def write(
        self,
        draft: cw.Draft,
        expected: int | None,
        events: Sequence[cw.AuditEvent],
        as_leader: bool = False,
    ) -> cw.Draft:
        if self.fail_writes:
            raise StoreUnavailable("put_draft", "database is locked")
        self.drafts[draft.id] = draft
        return draft

    def tell(self, case_id: str) -> None:
        pass


def drafting(cases: Cases, book: Book) -> tuple[Drafting, Metrics]:
    metrics = Metrics(CollectorRegistry())
    made = Drafting(cast(Any, book), cases, CTX, timedelta(0), lambda: NOW, metrics)
    return made, metrics


def errors(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value("bridge_drafting_errors_total")
    assert value is not None
    return value


async def test_one_failing_case_never_stops_the_others(caplog: pytest.LogCaptureFixture) -> None:
    """The cases are drafted in id order; the first one fails: the others are still drafted,
    the failure is counted and logged with the case, the exception's type and its frames, but
    not its message (it may carry personal data)."""
    cases, book = Cases(bad="inc-20261123-aaaaaaaa"), Book()
    made, metrics = drafting(cases, book)
    ids = ["inc-20261123-aaaaaaaa", "inc-20261123-bbbbbbbb", "inc-20261123-cccccccc"]
    made.mark(ids)
    with caplog.at_level(logging.ERROR, logger="bridge.notices"):
        await made.reconcile()
    assert sorted(book.drafts) == [f"{i}.nkom_varsel" for i in ids[1:]]
    assert errors(metrics) == 1
    [record] = caplog.records
    text = record.getMessage()
    assert "inc-20261123-aaaaaaaa" in text and "OverflowError" in text
    assert "test_drafting.py" in text and "in document" in text  # where it was raised
    assert MARK not in text and "Kalle" not in caplog.text
    assert record.exc_info is None  # a formatter would print the message with it


async def test_the_failed_case_is_not_tried_again_until_it_is_marked_again() -> None:
    """No spinning: later calls leave the failed case alone until something marks it."""
    cases, book = Cases(bad="inc-a"), Book()
    made, metrics = drafting(cases, book)
    made.mark(["inc-a", "inc-b"])
    await made.reconcile()
    await made.reconcile()
    await made.reconcile()
    assert cases.asked.count("inc-a") == 1 and errors(metrics) == 1
    made.mark(["inc-a"])  # its facts changed, say
    await made.reconcile()
    assert cases.asked.count("inc-a") == 2 and errors(metrics) == 2


async def test_a_store_outage_still_ends_the_call() -> None:
    """A store outage concerns every case alike: it ends the call (the flush retries), the
    cases stay marked and nothing is counted as a drafting error."""
    cases, book = Cases(bad="none"), Book(fail_writes=True)
    made, metrics = drafting(cases, book)
    made.mark(["inc-a", "inc-b"])
    with pytest.raises(StoreUnavailable):
        await made.reconcile()
    assert errors(metrics) == 0
    book.fail_writes = False
    await made.reconcile()
    assert sorted(book.drafts) == ["inc-a.nkom_varsel", "inc-b.nkom_varsel"]
