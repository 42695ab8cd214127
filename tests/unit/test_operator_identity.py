"""The provider as registered in each country (``operator.jurisdictions``): Nkom's notices name
the Norwegian entity with its organisasjonsnummer, not the Swedish AB; each country's number is
checked at load (NO: 9 digits, MOD11; SE: 10 digits, Luhn), the bad one named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from builders import write_config

from bridge.config import OperatorConfig, load_config
from bridge.config.org_numbers import problem
from bridge.core.drafts import draft_fields
from bridge.errors import ConfigError
from bridge.notices.rendering import sender

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SWEDISH = {
    "name": "Exempel Nät AB",
    "org_number": "559999-9991",
    "contacts": {"outage": {"name": "NOC-vakt", "phone": "+46 10 000 00 00", "email": "n@x.se"}},
}
NORWEGIAN = {
    "name": "Exempel Nett AS",
    "org_number": "312 345 676",
    "contacts": {"outage": {"name": "NOC-vakt", "phone": "+47 21 00 00 00", "email": "n@x.no"}},
}


def operator(**extra: Any) -> OperatorConfig:
    return OperatorConfig.model_validate({**SWEDISH, **extra})


@pytest.mark.parametrize(
    "jurisdiction, number, valid",
    [
        ("NO", "312 345 676", True),
        ("NO", "312345676", True),
        ("NO", "988 077 917", True),
        ("NO", "988 077 918", False),  # check digit
        ("NO", "98807791", False),  # 8 digits
        ("NO", "556000-0001", False),  # a Swedish number
        ("SE", "556000-0001", True),
        ("SE", "5560000001", True),
        ("SE", "556000-0000", False),  # check digit
        ("SE", "312 345 676", False),  # a Norwegian number
        ("SE", "55600O-0001", False),  # a letter O
    ],
)
def test_each_countrys_form_and_check_digit(jurisdiction: str, number: str, valid: bool) -> None:
    assert (problem(jurisdiction, number) is None) is valid


def test_a_wrong_number_of_a_country_is_refused_naming_the_field(tmp_path: Path) -> None:
    for jurisdiction, bad, why in (
        ("NO", "556000-0001", "not a Norwegian organisasjonsnummer"),
        ("NO", "312 345 677", "its check digit is wrong"),
        ("SE", "312 345 676", "not a Swedish organisationsnummer"),
    ):
        path = write_config(
            tmp_path,
            extra={"operator": {**SWEDISH, "jurisdictions": {jurisdiction: {"org_number": bad}}}},
        )
        with pytest.raises(ConfigError) as info:
            load_config(path, env={})
        [found] = info.value.problems
        assert f"operator.jurisdictions: {jurisdiction}.org_number: {bad!r}" in found, found
        assert why in found, found


def test_nkoms_notices_name_the_norwegian_provider_and_swedish_ones_the_swedish() -> None:
    """A Nkom varsel says "Tilbyder: Exempel Nett AS (org.nr. 312 345 676)", its reference
    built on that number and signed by the Norwegian NOC; a PTS report and a CSIRT one keep
    the Swedish AB and its NOC."""
    who = sender(operator(jurisdictions={"NO": NORWEGIAN}))
    incident = {"id": "inc-20261123-0a1b2c3d", "started_at": "2026-11-23T08:00:00Z"}
    varsel = draft_fields("nkom_varsel", incident, who, None, NOW)
    assert varsel.operator.name == "Exempel Nett AS"
    assert varsel.operator.org_number == "312 345 676"
    assert varsel.reference.startswith("312345676-20261123-")
    assert "+47 21 00 00 00" in varsel.fields["contact"].value
    assert "Exempel Nett AS" in varsel.fields["contact"].value
    pts = draft_fields("pts_initial", incident, who, None, NOW)
    assert (pts.operator.name, pts.operator.org_number) == ("Exempel Nät AB", "559999-9991")
    assert pts.reference.startswith("5599999991-") and "+46 10" in pts.fields["contact"].value
    # without a Norwegian identity, the operator's own (as before)
    alone = draft_fields("nkom_varsel", incident, sender(operator()), None, NOW)
    assert alone.operator.name == "Exempel Nät AB" and "+46 10" in alone.fields["contact"].value


def test_a_country_identity_leaves_out_what_it_does_not_name() -> None:
    """Only a name given: the org number and the contacts are the operator's own."""
    who = sender(operator(jurisdictions={"NO": {"name": "Exempel Nett AS"}})).of("NO")
    assert (who.name, who.org_number) == ("Exempel Nett AS", "559999-9991")
    assert who.contact("outage").phone == "+46 10 000 00 00"
