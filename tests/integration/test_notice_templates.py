"""Notice templates (bridge.notices.rendering): every kind renders, strictly, escaped,
overridable."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import pytest

from bridge.config import OperatorConfig, load_config
from bridge.config.report_forms import builtin_forms
from bridge.core.drafts import KINDS, OPTIONAL, DraftFields, draft_fields
from bridge.notices.context import drafting_context
from bridge.notices.rendering import BUILTIN_DIR, render
from bridge.notices.senders import sender

REPO = Path(__file__).resolve().parents[2]

OPERATOR = OperatorConfig.model_validate(
    {
        "name": "Exempel Nät AB",
        "org_number": "556000-0000",
        "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@ex.net"},
    }
)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def incident(cause: str = "Fiberavbrott") -> dict[str, Any]:
    return {
        "id": "inc-20261123-0a1b2c3d",
        "started_at": "2026-11-23T09:05:00Z",
        "impact": {
            "current": 7000,
            "peak": 7000,
            "by_service": {"internet": 6000, "iptv": 1000},
            "by_region": {"SE-0180": 7000},
            "region_names": {"SE-0180": "Stockholm"},
        },
        "assessments": [],
        "alert_details": [{"annotations": {"cause": cause}}],
    }


def draft(kind: str, cause: str = "Fiberavbrott") -> DraftFields:
    form = builtin_forms().get(kind)
    return draft_fields(kind, incident(cause), sender(OPERATOR), None, NOW, form=form)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_subject_text_and_html(kind: str) -> None:
    """Each kind renders a one-line subject with reference and operator, and both bodies (an
    empty optional element, the provider's severity rating, is left out, never "not known")."""
    d = draft(kind)
    out = render(d, None)
    assert d.reference in out.subject
    assert "Exempel Nät AB" in out.subject
    assert "\n" not in out.subject
    for f in d.fields.values():
        if f.key in OPTIONAL and not f.value:
            assert f.label not in out.text and f.label not in out.html
            continue
        assert f.label in out.text
        assert f.label in out.html
        assert (f.value.splitlines() or [d.placeholder])[0] in out.text
    assert d.reference in out.text
    assert out.html.startswith("<!DOCTYPE html>")
    assert f'lang="{d.language}"' in out.html


def test_every_kind_has_all_three_builtin_templates() -> None:
    """The package ships subject, text and HTML templates for each of the five kinds."""
    names = {p.name for p in BUILTIN_DIR.iterdir()}
    for kind in KINDS:
        assert {f"{kind}.subject.txt.j2", f"{kind}.body.txt.j2", f"{kind}.body.html.j2"} <= names


def test_a_missing_field_raises_instead_of_rendering_blank() -> None:
    """A template naming a field the draft lacks fails (StrictUndefined)."""
    d = draft("pts_initial")
    fields = {k: v for k, v in d.fields.items() if k != "emergency_112"}
    with pytest.raises(jinja2.UndefinedError):
        render(dataclasses.replace(d, fields=fields), None)


def test_html_escapes_markup_from_an_alert_annotation_and_text_keeps_it() -> None:
    """A ``<script>`` in a cause annotation is escaped in HTML and verbatim in plain text."""
    out = render(draft("pts_initial", cause="<script>alert(1)</script>"), None)
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert "<script>alert(1)</script>" in out.text


def test_an_override_folder_replaces_one_template_by_file_name(tmp_path: Path) -> None:
    """A file in the configured folder wins over the built-in one; the others stay built-in."""
    (tmp_path / "nkom_varsel.subject.txt.j2").write_text(
        "EGEN MAL {{ d.reference }} {{ d.operator.name }}\n", encoding="utf-8"
    )
    d = draft("nkom_varsel")
    out = render(d, tmp_path)
    assert out.subject == f"EGEN MAL {d.reference} Exempel Nät AB"
    assert out.text == render(d, None).text
    assert render(d, None).subject.startswith("Varsel om hendelse")


def test_an_override_using_an_unknown_variable_raises(tmp_path: Path) -> None:
    """An operator's template with a typo fails loudly instead of sending a blank."""
    (tmp_path / "pts_initial.body.txt.j2").write_text("{{ f.orsak.value }}\n", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        render(draft("pts_initial"), tmp_path)


def test_empty_fields_show_the_regulator_facing_not_yet_known_wording() -> None:
    """An empty field reads "Ännu inte känt" / "Ikke kjent ennå" (what the regulator would get if
    the approver names it), never a placeholder token or a drafting note."""
    out = render(draft("pts_supplementary"), None)
    assert out.text.count("Ännu inte känt") >= 4
    assert "<em>Ännu inte känt</em>" in out.html
    nkom = render(draft("nkom_varsel"), None)
    assert "Ikke kjent ennå" in nkom.text
    for text in (out.text, out.html, nkom.text, nkom.html):
        assert "[fyll" not in text and "Utkast" not in text and "före sändning" not in text


def test_a_pts_outage_report_after_the_repeal_says_first_it_is_none_owed_to_pts() -> None:
    """The shipped configuration drafts PTS's outage reports with the day LEK 8 kap. was
    repealed (pts-outage's ``repealed_on``): for an incident since then the subject and the top
    of the text and HTML say it is no report owed to PTS (SFS 2025:1511); for an incident
    before that day, nothing is added."""
    context = drafting_context(load_config(REPO / "config" / "bridge.yaml", env={}))
    assert context.repealed_on["pts_initial"] == context.repealed_on["pts_supplementary"]
    assert "nkom_varsel" not in context.repealed_on
    for kind in ("pts_initial", "pts_supplementary"):
        out = render(context.fields(kind, incident(), NOW), None)
        assert out.subject.startswith("Ingen rapport till PTS (upphävd rapportplikt) – ")
        head = out.text.split("\n\n")[1]
        assert head.startswith("Detta är ingen rapport som ska lämnas till PTS.")
        assert "upphävdes den 15 januari 2026 (SFS 2025:1511)" in head
        assert "ingen rapport som ska lämnas till PTS" in out.html.split("<table")[0]
        before = {**incident(), "started_at": "2026-01-14T22:59:00Z"}  # 23.59 in Stockholm
        earlier = render(context.fields(kind, before, NOW), None)
        assert "PTS" not in earlier.subject and "upphävd" not in earlier.text
    on_the_day = {**incident(), "started_at": "2026-01-14T23:00:00Z"}  # 00.00 in Stockholm
    assert context.fields("pts_initial", on_the_day, NOW).repealed
