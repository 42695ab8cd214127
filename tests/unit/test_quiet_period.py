"""Nkom asks for an updated varsel when the incident is normalised (seed 003): nkom_normalised
is due 1 h (by default) after the last alert ended, but the bridge opens it only when the
incident closes, ``correlation.quiet_period`` later. A quiet period of 1 h or more made every
normalised notice overdue the moment it opened; the configuration now refuses it, naming
both keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import REPO, alert, webhook, write_config
from corekit import NKOM, at, deliver, engine, live

from bridge.config import load_config
from bridge.errors import ConfigError


def normalised_after(quiet: int) -> Any:
    """The nkom_normalised obligation when the incident closes: olt-n1 out from 0 to 39 min,
    closing ``quiet`` minutes after."""
    nkom = replace(NKOM, obligations=("nkom_varsel", "nkom_normalised"))
    eng = engine(rule_sets=[nkom], quiet_period=timedelta(minutes=quiet))
    deliver(eng, at(1), webhook(alert("n", at(0), element="olt-n1")))
    ended = alert("n", at(0), status="resolved", ends_at=at(39), element="olt-n1")
    deliver(eng, at(40), webhook(ended))
    eng.tick(at(39 + quiet))
    (inc,) = live(eng).values()
    assert inc.state == "closed"
    return {o.kind: o for o in inc.obligations}["nkom_normalised"]


def test_a_quiet_period_shorter_than_the_target_leaves_time_and_one_as_long_does_not() -> None:
    """What the check guards against: at 30 min the notice opens with 30 min to go; at 1 h it
    is overdue as it opens (due at the last alert's end + 1 h, the normalisation)."""
    assert normalised_after(30).state == "open"
    late = normalised_after(60)
    assert late.state == "overdue" and late.due_at == at(39 + 60)


def config(tmp_path: Path, quiet: str, normalised: str = "") -> Path:
    """bridge.yaml with ``quiet``; ``normalised``: nkom-varsel's nkom_normalised entry instead
    of the bare kind (a copy of the shipped rule sets)."""
    extra: dict[str, Any] = {"correlation": {"quiet_period": quiet}}
    if normalised:
        rules = tmp_path / "rules"
        rules.mkdir(exist_ok=True)
        for f in (REPO / "config" / "rules").glob("*.yaml"):
            text = f.read_text(encoding="utf-8")
            if f.name == "nkom-varsel.yaml":
                assert text.count("nkom_normalised") == 1
                text = text.replace("nkom_normalised", normalised)
            (rules / f.name).write_text(text, encoding="utf-8")
        extra["rules_dir"] = str(rules)
    return write_config(tmp_path, extra=extra)


@pytest.mark.parametrize("quiet, said", [("1h", "1h"), ("90m", "1h30m")])
def test_a_quiet_period_as_long_as_the_normalised_deadline_is_refused(
    tmp_path: Path, quiet: str, said: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(config(tmp_path, quiet), env={})
    [problem] = info.value.problems
    assert f"correlation.quiet_period: {said} is not shorter than the deadline of " in problem
    assert "nkom_normalised (1h after the incident is normalised" in problem
    assert "obligations nkom_normalised params.duration" in problem
    assert load_config(config(tmp_path, "59m"), env={})  # a minute to spare


def test_a_longer_normalised_deadline_allows_a_longer_quiet_period(tmp_path: Path) -> None:
    longer = "{kind: nkom_normalised, params: {duration: 3h}}"
    loaded = load_config(config(tmp_path, "2h", longer), env={})
    assert loaded.config.correlation.quiet_period == timedelta(hours=2)
    with pytest.raises(ConfigError) as info:
        load_config(config(tmp_path, "3h", longer), env={})
    assert "3h is not shorter than the deadline of nkom_normalised (3h" in str(info.value)
