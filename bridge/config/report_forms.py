"""Report forms as data: the fields of the Swedish cybersecurity act's reports
(``bridge/config/forms/se-cyber.yaml``), strictly validated into the core's
:class:`~bridge.core.cyber_fields.ReportForm` per kind.

The CSIRT's exact fields are not verified, so they live in this file rather than in code: a
field added there (key, Swedish label, source) is drafted, shown and sent without a code change.
Every problem names the file and the key (``FILE: kinds.se_cyber_final.fields.2: …``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from bridge.config.errors import errors_of, read_yaml
from bridge.config.types import Strict
from bridge.core import cyber_fields
from bridge.errors import ConfigError

BUILTIN = Path(__file__).resolve().parent / "forms" / "se-cyber.yaml"


class FieldModel(Strict):
    label: str = Field(min_length=1)
    source: str = Field(min_length=1)
    person: bool = False
    hint: str = ""


class KindModel(Strict):
    title: str = Field(min_length=1)
    source: str = Field(min_length=1)
    fields: list[str] = Field(min_length=1)


class StatementsModel(Strict):
    """What every report says of itself in its header, and instead once a person said the
    incident was a false alarm (an impact override to none with a correction)."""

    significant: str = Field(min_length=1)
    false_alarm: str = Field(min_length=1)


class FormFile(Strict):
    form: str
    source: str
    verified: bool
    statements: StatementsModel
    fields: dict[str, FieldModel]
    kinds: dict[str, KindModel]

    @model_validator(mode="after")
    def _known(self) -> FormFile:
        for kind, model in self.kinds.items():
            if kind not in cyber_fields.KINDS:
                raise ValueError(
                    f"kinds.{kind}: not a report kind; expected one of "
                    f"{', '.join(cyber_fields.KINDS)}"
                )
            for i, key in enumerate(model.fields):
                if key not in self.fields:
                    raise ValueError(f"kinds.{kind}.fields.{i}: {key!r} is not under fields")
            if len(set(model.fields)) != len(model.fields):
                raise ValueError(f"kinds.{kind}.fields: a field appears twice")
        missing = [k for k in cyber_fields.KINDS if k not in self.kinds]
        if missing:
            raise ValueError(f"kinds: missing {', '.join(missing)}")
        return self

    def forms(self) -> dict[str, cyber_fields.ReportForm]:
        return {
            kind: cyber_fields.ReportForm(
                kind=kind,
                title=model.title,
                source=model.source,
                verified=self.verified,
                statement=self.statements.significant,
                statement_false_alarm=self.statements.false_alarm,
                fields=tuple(
                    cyber_fields.FormField(
                        key,
                        self.fields[key].label,
                        self.fields[key].source,
                        self.fields[key].person,
                        self.fields[key].hint,
                    )
                    for key in model.fields
                ),
            )
            for kind, model in self.kinds.items()
        }


def load_forms(path: Path = BUILTIN) -> dict[str, cyber_fields.ReportForm]:
    """The report forms of ``path`` by kind; ConfigError naming the file and key."""
    try:
        return FormFile.model_validate(read_yaml(path)).forms()
    except ValidationError as exc:
        raise ConfigError(errors_of(path, exc)) from None


@lru_cache(maxsize=1)
def builtin_forms() -> dict[str, cyber_fields.ReportForm]:
    """The shipped forms (read once)."""
    return load_forms(BUILTIN)


def labels_of(kind: str) -> dict[str, str]:
    """Field key → Swedish label of a report kind with a form (empty for other kinds)."""
    form = builtin_forms().get(kind)
    return {} if form is None else {f.key: f.label for f in form.fields}


def hints_of(kind: str) -> dict[str, str]:
    """Field key → drafting hint of a report kind with a form (empty for other kinds)."""
    form = builtin_forms().get(kind)
    return {} if form is None else {f.key: f.hint for f in form.fields if f.hint}
