"""Rule-set files (``config/rules/*.yaml``): a regulator's criteria and obligations as data.

:func:`load_rule_sets` reads every file of a folder, strictly; each problem names the file and
the key (``FILE: criteria.0.kind: unknown criterion kind …``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bridge.config.errors import errors_of, read_yaml
from bridge.config.types import Duration, Jurisdiction, Strict
from bridge.core import rules as core_rules
from bridge.core.calendar import rule_from_params
from bridge.errors import ConfigError

OBLIGATION_KINDS = (
    "nkom_varsel",
    "nkom_update",
    "nkom_normalised",
    "pts_initial",
    "pts_supplementary",
    "privacy_initial",
    "privacy_supplementary",
    "subscriber_notice",
    "privacy_subscriber_copy",
    "nkom_privacy_varsel",
    "nkom_privacy_subscriber",
    "nkom_privacy_update",
    "nkom_privacy_normalised",
    "se_cyber_early_warning",
    "se_cyber_notification",
    "se_cyber_intermediate",
    "se_cyber_final",
    "se_cyber_progress",
    "nkom_hendelsesrapport",
)


#: The keys of a criterion that only some kinds read (bridge/core/rules.py), and those kinds.
_USED_BY = {
    "min_connections": ("connections",),
    "min_share": ("share",),
    "min_area_km2": ("area",),
    "min_capacity_share": ("capacity",),
    "service": ("connections", "share"),
    "scope": ("share",),
    "levels": ("severity",),
}


class CriterionModel(Strict):
    id: str
    kind: str  # one of bridge.core.rules.CRITERION_KINDS (the core evaluates exactly those)
    description: str = ""
    # Where it comes from: a seed, a regulation, or "operator" (the operator's own choice).
    # Left out: the rule set's ``source``.
    source: str | None = Field(default=None, min_length=1)
    min_duration: Duration = timedelta(0)
    min_connections: int | None = Field(default=None, gt=0)
    min_share: float | None = Field(default=None, gt=0, le=1)
    min_area_km2: float | None = Field(default=None, gt=0)
    min_capacity_share: float | None = Field(default=None, gt=0, le=1)
    service: str | None = None
    scope: Literal["jurisdiction", "region"] = "jurisdiction"
    impact: Literal["any", "outage"] = "any"
    levels: list[str] = Field(default_factory=list)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in core_rules.CRITERION_KINDS:
            known = ", ".join(repr(k) for k in core_rules.CRITERION_KINDS)
            raise ValueError(f"unknown criterion kind {v!r}; expected one of {known}")
        return v

    @model_validator(mode="after")
    def _threshold_for_kind(self) -> CriterionModel:
        needed = {
            "connections": "min_connections",
            "share": "min_share",
            "area": "min_area_km2",
            "capacity": "min_capacity_share",
        }.get(self.kind)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"kind {self.kind!r} needs {needed}")
        unused = sorted(
            key
            for key, kinds in _USED_BY.items()
            if key in self.model_fields_set and self.kind not in kinds
        )
        if unused:
            # the evaluation never reads it: the criterion would not be what it says
            raise ValueError(
                f"{', '.join(unused)}: not used by kind {self.kind!r} (ignored by its "
                "evaluation); remove it or choose the kind that uses it"
            )
        if self.kind == "severity" and not self.levels:
            raise ValueError("kind 'severity' needs levels (e.g. [alvorlig, kritisk])")
        return self

    def to_core(self) -> core_rules.Criterion:
        return core_rules.Criterion(
            id=self.id,
            kind=self.kind,
            min_duration=self.min_duration,
            min_connections=self.min_connections or 0,
            min_share=self.min_share or 0.0,
            min_area_km2=self.min_area_km2 or 0.0,
            min_capacity_share=self.min_capacity_share or 0.0,
            service=self.service,
            scope=self.scope,
            impact=self.impact,
            levels=tuple(self.levels),
            description=self.description,
            source=self.source or "",
        )


class ObligationModel(Strict):
    """An obligation kind with parameters overriding its default deadline rule, e.g.
    ``{kind: nkom_varsel, params: {duration: 30m}}`` (see bridge/core/calendar.py)."""

    kind: Literal[OBLIGATION_KINDS]  # type: ignore[valid-type]
    params: dict[str, Any] = Field(default_factory=dict)
    # where its deadline comes from, and whether that was read in the regulation in force
    # (left out: the rule set's ``source`` and ``verified``); shown by check-config
    source: str | None = Field(default=None, min_length=1)
    verified: bool | None = None

    @model_validator(mode="after")
    def _params_fit_the_rule(self) -> ObligationModel:
        rule_from_params(self.kind, self.params)  # ValueError names the bad parameter
        return self


# A bare kind (``pts_initial``) is short for ``{kind: pts_initial}``; normalising before
# validation keeps errors at ``obligations.N.kind`` instead of one per union member.
Obligation = Annotated[
    ObligationModel, BeforeValidator(lambda v: {"kind": v} if isinstance(v, str) else v)
]


PRIVACY_NATURES = ("breach", "risk")


def _each_once(keys: Iterable[str], what: str) -> None:
    """Nothing if every key in ``keys`` is different; else a ValueError naming the first one
    seen again: ``{what} 'key' appears twice``."""
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{what} {key!r} appears twice")
        seen.add(key)


class RuleSetModel(Strict):
    """A regulator's rule set. ``track: outage`` (default) judges incidents by ``criteria``;
    ``track: privacy`` has no criteria: its obligations are owed by every privacy case of its
    jurisdiction whose nature (``breach``, ``risk``) it ``applies_to``; ``track: cyber`` (the
    Swedish cybersecurity act): its criteria only mark an incident *potentially significant*,
    and its obligations are owed once a person declared the incident significant (the
    awareness instant starts their clocks, :mod:`bridge.core.awareness`)."""

    id: str
    regulator: str
    jurisdiction: Jurisdiction
    source: str
    verified: bool
    notes: str = ""
    # the law this rule set encodes was repealed on this day (it is kept for incidents before it
    # and as the operator's internal threshold); ``repealed_by``: what replaced it
    repealed_on: date | None = None
    repealed_by: str = ""
    # the law this rule set encodes applies from this day: an incident that began before it
    # (the jurisdiction's calendar) is marked nothing and owes nothing under it, nor can be
    # declared (se-cyber: 2026-01-15, the cybersecurity act; earlier incidents fall under
    # pts-outage); bridge.core.obligations says what a declaration made before still owes
    in_force_from: date | None = None
    track: Literal["outage", "privacy", "cyber"] = "outage"
    applies_to: list[Literal["breach", "risk"]] = Field(default_factory=list)
    # privacy: exemptions that waive this rule set's subscriber notices (none: they never do),
    # and where that comes from (a regulation, or ``operator`` for its own legal reading)
    exemptions: list[Literal["no_adverse_effect", "data_unreadable"]] = Field(default_factory=list)
    exemptions_source: str = ""
    severity_map: dict[str, str] = Field(default_factory=dict)
    criteria: list[CriterionModel] = Field(default_factory=list, validate_default=True)
    obligations: list[Obligation] = Field(default_factory=list)

    @field_validator("obligations")
    @classmethod
    def _unique_kinds(cls, obligations: list[ObligationModel]) -> list[ObligationModel]:
        # one report per kind: a second entry would hold a second deadline rule
        _each_once((o.kind for o in obligations), "obligation kind")
        return obligations

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, criteria: list[CriterionModel], info: Any) -> list[CriterionModel]:
        track = info.data.get("track", "outage")
        if track == "outage" and not criteria:
            raise ValueError("an outage rule set needs at least 1 item (a criterion)")
        if track == "privacy" and criteria:
            raise ValueError("a privacy rule set has no criteria (every case owes its reports)")
        _each_once((c.id for c in criteria), "criterion id")
        return criteria

    @model_validator(mode="after")
    def _in_force_before_repealed(self) -> RuleSetModel:
        if (
            self.in_force_from is not None
            and self.repealed_on is not None
            and self.in_force_from >= self.repealed_on
        ):
            raise ValueError(
                f"in_force_from: {self.in_force_from} is not before repealed_on "
                f"({self.repealed_on}): the law would apply to no incident"
            )
        return self

    @model_validator(mode="after")
    def _privacy_natures(self) -> RuleSetModel:
        if self.track == "privacy" and not self.applies_to:
            raise ValueError("applies_to: a privacy rule set names the natures it covers")
        if self.exemptions and not self.exemptions_source.strip():
            raise ValueError(
                "exemptions_source: say where the exemptions come from (a regulation, or "
                "operator for the operator's own legal reading)"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _every_criterion_has_a_source(cls, data: Any) -> Any:
        """A criterion without its own ``source`` takes the rule set's."""
        if not isinstance(data, dict) or not isinstance(data.get("criteria"), list):
            return data
        source = data.get("source")
        criteria = [
            {**c, "source": source} if isinstance(c, dict) and "source" not in c else c
            for c in data["criteria"]
        ]
        return {**data, "criteria": criteria}

    def obligation_kinds(self) -> tuple[str, ...]:
        return tuple(o.kind for o in self.obligations)

    def to_core(self) -> core_rules.RuleSet:
        return core_rules.RuleSet(
            id=self.id,
            regulator=self.regulator,
            jurisdiction=self.jurisdiction,
            source=self.source,
            verified=self.verified,
            criteria=tuple(c.to_core() for c in self.criteria),
            obligations=self.obligation_kinds(),
            severity_map={k.lower(): v for k, v in self.severity_map.items()},
            notes=self.notes,
            obligation_rules={
                o.kind: rule_from_params(o.kind, o.params)
                for o in self.obligations
                if isinstance(o, ObligationModel) and o.params
            },
            track=self.track,
            applies_to=tuple(self.applies_to),
            exemptions=tuple(self.exemptions),
            exemptions_source=self.exemptions_source,
            repealed_on=self.repealed_on,
            in_force_from=self.in_force_from,
        )


def load_rule_set(path: Path) -> RuleSetModel:
    """One rule-set file, strictly validated."""
    data = read_yaml(path)
    try:
        return RuleSetModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(errors_of(path, exc)) from None


def load_rule_sets(folder: Path) -> dict[str, tuple[Path, RuleSetModel]]:
    """Every ``*.yaml`` in ``folder`` keyed by rule-set id; all errors at once."""
    found: dict[str, tuple[Path, RuleSetModel]] = {}
    problems: list[str] = []
    if not folder.is_dir():
        raise ConfigError([f"{folder}: rules_dir is not a folder"])
    for path in sorted(folder.glob("*.y*ml")):
        try:
            rs = load_rule_set(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if rs.id in found:
            problems.append(f"{path}: id: {rs.id!r} is also used by {found[rs.id][0]}")
        found[rs.id] = (path, rs)
    if problems:
        raise ConfigError(problems)
    return found
