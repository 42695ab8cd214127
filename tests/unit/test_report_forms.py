"""The cybersecurity act's report forms as data (bridge/config/report_forms.py): the shipped
file gives every kind its Swedish fields with sources; a wrong file is refused naming the file
and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bridge.config.report_forms import BUILTIN, builtin_forms, load_forms
from bridge.core.cyber_fields import KINDS
from bridge.errors import ConfigError


def test_the_shipped_forms_cover_every_kind_with_sourced_fields() -> None:
    forms = builtin_forms()
    assert set(forms) == set(KINDS)
    for form in forms.values():
        assert form.title and form.source and not form.verified
        assert all(f.label and f.source for f in form.fields)
    person = {f.key for f in forms["se_cyber_notification"].fields if f.person}
    assert person == {"suspected_malicious", "cross_border", "severity_impact", "indicators"}
    assert "root_cause" in {f.key for f in forms["se_cyber_final"].fields if f.person}


def write(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    for dotted, value in change.items():
        *head, last = dotted.split(".")
        node = data
        for key in head:
            node = node[key]
        node[last] = value
    path = tmp_path / "form.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"kinds.se_cyber_final.fields": ["aware_at", "nope"]}, "'nope' is not under fields"),
        ({"fields.aware_at.label": ""}, "fields.aware_at.label"),
        ({"fields.aware_at.colour": "red"}, "fields.aware_at.colour"),
        ({"verified": "perhaps"}, "verified"),
    ],
)
def test_a_wrong_form_is_refused_naming_the_key(
    tmp_path: Path, change: dict[str, object], named: str
) -> None:
    path = write(tmp_path, change)
    with pytest.raises(ConfigError) as err:
        load_forms(path)
    text = "\n".join(err.value.problems)
    assert str(path) in text and named in text
