"""The draft book's mapping filed by case (bridge/notices/drafts_by_case.py): whatever is set,
replaced, deleted or popped, a case's drafts are exactly the mapping's drafts of that case, in
the mapping's order; the dict methods that would bypass the filing are refused."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bridge.core.casework import Draft
from bridge.notices.drafts_by_case import DraftsById

T = datetime(2026, 12, 1, tzinfo=UTC)


def draft(case: str, kind: str, revision: int = 1) -> Draft:
    return Draft(f"{case}.{kind}", case, "nkom", kind, 1, "outage", "draft", revision, T, T, ())


def filtered(drafts: DraftsById, case: str) -> list[Draft]:
    return [d for d in drafts.values() if d.incident_id == case]


def test_a_cases_drafts_are_the_mappings_drafts_of_that_case_in_its_order() -> None:
    rng = random.Random(7)
    drafts = DraftsById()
    cases = ["inc-a", "inc-b", "inc-c"]
    kinds = ["nkom_varsel", "nkom_update", "nkom_normalised"]
    for _ in range(2000):
        case, kind = rng.choice(cases), rng.choice(kinds)
        key = f"{case}.{kind}"
        move = rng.random()
        if move < 0.5:
            drafts[key] = draft(case, kind, rng.randint(1, 9))
        elif move < 0.75 and key in drafts:
            del drafts[key]
        else:
            drafts.pop(key, None)
            assert key not in drafts
        for c in cases:
            assert drafts.of(c) == filtered(drafts, c)
        assert set(drafts.cases()) == {d.incident_id for d in drafts.values()}
    assert drafts.of("inc-unknown") == []


def test_built_from_drafts_and_replaced_in_place() -> None:
    a1, b1, a2 = draft("inc-a", "nkom_varsel"), draft("inc-b", "nkom_varsel"), draft("inc-a", "x")
    drafts = DraftsById([a1, b1, a2])
    newer = draft("inc-a", "nkom_varsel", revision=2)
    drafts[a1.id] = newer  # keeps its place, as a dict does
    assert list(drafts) == [a1.id, b1.id, a2.id]
    assert drafts.of("inc-a") == [newer, a2]
    assert drafts.pop(b1.id) is b1 and drafts.of("inc-b") == []
    with pytest.raises(KeyError):
        drafts.pop(b1.id)


@pytest.mark.parametrize("method", ["update", "setdefault", "popitem", "clear"])
def test_methods_that_would_bypass_the_filing_are_refused(method: str) -> None:
    drafts = DraftsById([draft("inc-a", "nkom_varsel")])
    with pytest.raises(TypeError):
        getattr(drafts, method)()
    assert drafts.of("inc-a") == list(drafts.values())
