"""bridge.yaml and rule-set files: pydantic models, strict loading, readable errors.

Contract:
- :func:`load_config` reads the YAML file, applies ``BRIDGE_…`` environment overrides
  (``BRIDGE_SERVER__LISTEN=0.0.0.0:8080``: sections joined by ``__``, values parsed as YAML),
  resolves relative paths against the config file's folder, reads ``*_file`` secrets, loads the
  rule sets of ``rules_dir`` and checks every reference between them.
- Any problem raises :class:`~bridge.errors.ConfigError` listing every problem as
  ``FILE: key.path: what was expected (got …)``: unknown keys, wrong types, bad durations,
  unknown rule sets or criterion kinds.
- Secrets print as ``<secret>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    IPvAnyNetwork,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from bridge.core import rules as core_rules
from bridge.core.access import grant_problem
from bridge.core.calendar import rule_from_params
from bridge.core.durations import format_duration, parse_duration
from bridge.core.incidents import CorrelationRules
from bridge.core.mapping import MappingRules
from bridge.errors import ConfigError


def _jurisdiction(value: object) -> object:
    if value is False:  # YAML 1.1 reads a bare NO as false
        raise ValueError('expected SE or NO; write "NO" in quotes (YAML reads bare NO as false)')
    return value


Jurisdiction = Annotated[Literal["SE", "NO"], BeforeValidator(_jurisdiction)]

Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]


class Secret:
    """A string that never prints."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Without this, model_dump(mode="json") / model_dump_json() fail on a config with secrets.
        return core_schema.is_instance_schema(
            cls,
            serialization=core_schema.plain_serializer_function_ser_schema(repr, when_used="json"),
        )


class Strict(BaseModel):
    # numbers given where text is expected (org numbers, env overrides parsed as YAML) are text
    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, coerce_numbers_to_str=True
    )


def _secret_from(data: dict[str, Any], name: str, base: Path | None) -> dict[str, Any]:
    """Accept ``name`` or ``name_file`` (exactly one); return data with a Secret under name."""
    direct, file_key = data.get(name), f"{name}_file"
    path = data.get(file_key)
    if direct is not None and path is not None:
        raise ValueError(f"give either {name} or {file_key}, not both")
    if path is not None:
        p = Path(path)
        if base is not None and not p.is_absolute():
            p = base / p
        try:
            direct = p.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"{file_key}: cannot read {p}: {exc.strerror}") from None
        data = {k: v for k, v in data.items() if k != file_key}
    if direct is None:
        return data
    if not isinstance(direct, str | Secret):
        raise ValueError(f"{name}: expected a string")
    return {**data, name: direct if isinstance(direct, Secret) else Secret(direct)}


class _WithSecret(Strict):
    _secret_fields: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any, info: Any) -> Any:
        if not isinstance(data, dict):
            return data
        base = (info.context or {}).get("base_dir") if info is not None else None
        for name in cls._secret_fields:
            data = _secret_from(dict(data), name, base)
        return data


class WebhookToken(_WithSecret):
    _secret_fields: ClassVar[tuple[str, ...]] = ("token",)
    name: str
    token: Secret


class BasicCredential(_WithSecret):
    _secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    username: str
    password: Secret


def _check_role(value: str) -> str:
    problem = grant_problem(value)  # one grammar for config tokens, stored tokens and users
    if problem:
        raise ValueError(problem)
    return value


RoleGrant = Annotated[str, BeforeValidator(lambda v: _check_role(v) if isinstance(v, str) else v)]


class ApiToken(_WithSecret):
    """An automation token; ``roles`` like ``viewer`` or ``approver:outage`` (role:track)."""

    _secret_fields: ClassVar[tuple[str, ...]] = ("token",)
    name: str
    token: Secret
    roles: list[RoleGrant] = Field(min_length=1)


class WebhookAuth(Strict):
    tokens: list[WebhookToken] = Field(default_factory=list)
    basic: list[BasicCredential] = Field(default_factory=list)


class LockoutConfig(Strict):
    """Failed sign-ins (password or TOTP code): per account, then per client address."""

    max_failures: int = Field(default=5, ge=1)  # the Nth failure in a row locks the account
    lock_for: Duration = timedelta(minutes=15)
    address_max_failures: int = Field(default=20, ge=1)  # per client address, in the window
    address_window: Duration = timedelta(minutes=15)


class SessionConfig(Strict):
    """Console sessions (cookie ``bridge_session``) and the optional trusted proxy."""

    idle_timeout: Duration = timedelta(minutes=30)
    absolute_timeout: Duration = timedelta(hours=12)
    cookie_secure: bool = True
    lockout: LockoutConfig = LockoutConfig()
    # SSO: a reverse proxy that authenticated the person names them in this header; trusted
    # only from trusted_proxies (addresses or networks). Off when None.
    trusted_proxy_header: str | None = None
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)

    @field_validator("idle_timeout", "absolute_timeout")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        if v <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return v

    @model_validator(mode="after")
    def _proxy_needs_addresses(self) -> SessionConfig:
        if self.trusted_proxy_header and not self.trusted_proxies:
            raise ValueError(
                "trusted_proxy_header needs trusted_proxies (the proxy's addresses): a header "
                "anyone can send must not sign anyone in"
            )
        return self


class AuthConfig(Strict):
    webhook: WebhookAuth = WebhookAuth()
    # bootstrap and development only: people sign in with users (bridge users add), and
    # automation uses stored API tokens (bridge tokens add)
    api_tokens: list[ApiToken] = Field(default_factory=list)
    session: SessionConfig = SessionConfig()


class ServerConfig(Strict):
    listen: str = "127.0.0.1:8080"
    public_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=1024)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, v: str) -> str:
        _host, sep, port = v.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"expected HOST:PORT, got {v!r}")
        return v

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class RegulatorConfig(Strict):
    enabled: bool = True
    rule_set: str
    recipient: str | None = None


# Defaults come from the core's own rule objects: one place says what a label is called.
_LABELS = MappingRules()
_CORRELATION = CorrelationRules()


class InventoryLabels(Strict):
    element: list[str] = Field(default_factory=lambda: list(_LABELS.element_labels), min_length=1)
    service: str = _LABELS.service
    region: str = _LABELS.region
    affected_connections: str = _LABELS.affected_connections
    jurisdiction: str = _LABELS.jurisdiction
    impact: str = _LABELS.impact
    severity: str = _LABELS.severity


class InventoryConfig(Strict):
    path: Path | None = None
    labels: InventoryLabels = InventoryLabels()
    default_jurisdiction: Jurisdiction = "SE"
    service_totals: dict[str, dict[str, int]] = Field(default_factory=dict)


class CorrelationConfig(Strict):
    incident_label: str = _CORRELATION.incident_label
    ancestor_kind: str | None = _CORRELATION.ancestor_kind
    key_labels: list[list[str]] = Field(default_factory=list)
    window: Duration = _CORRELATION.window
    quiet_period: Duration = _CORRELATION.quiet_period


class EvaluationConfig(Strict):
    interval: Duration = timedelta(seconds=15)
    stale_after: Duration = timedelta(hours=5)
    coalesce: Duration = timedelta(milliseconds=100)  # at most one ingest evaluation per this

    @field_validator("interval")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        if v <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return v


class TemplatesConfig(Strict):
    dir: Path | None = None


class OperatorContact(Strict):
    name: str = ""
    phone: str = ""
    email: str = ""


class OperatorConfig(Strict):
    name: str = ""
    org_number: str = ""
    contact: OperatorContact = OperatorContact()


class SmtpConfig(_WithSecret):
    _secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    host: str = "127.0.0.1"
    port: int = 25
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    sender: str = "incident-bridge@localhost"
    timeout: Duration = timedelta(seconds=30)
    ca_file: Path | None = None  # CA bundle to trust for the relay's certificate (else system)


class SignificantChangeConfig(Strict):
    """What makes an ongoing incident's change worth an updated Nkom varsel."""

    impact_change: float = Field(default=0.25, ge=0, le=10)  # relative change of affected now
    new_region: bool = True
    new_service: bool = True
    new_cause: bool = True
    severity_change: bool = True


class NoticesConfig(Strict):
    """Drafting and delivery of notices."""

    archive_dir: Path = Path("sent")  # an .eml copy of every message handed to the relay
    refresh_interval: Duration = timedelta(seconds=10)  # re-render a draft at most this often
    retry_initial: Duration = timedelta(seconds=30)  # first retry after a transient failure
    retry_max: Duration = timedelta(minutes=10)  # backoff ceiling (retries never stop)
    poll_interval: Duration = timedelta(seconds=5)  # how often the outbox looks for due retries
    significant_change: SignificantChangeConfig = SignificantChangeConfig()


class ReplicationConfig(Strict):
    """Several replicas on one (Redis) store: one leads, all ingest (see README: replicas)."""

    replica_id: str | None = Field(default=None, min_length=1, max_length=100)  # default: host name
    lease_ttl: Duration | None = None  # default: evaluation.interval, at least 5s
    sync_interval: Duration = timedelta(seconds=1)  # how often to read other replicas' alerts

    @field_validator("lease_ttl", "sync_interval")
    @classmethod
    def _positive(cls, v: timedelta | None) -> timedelta | None:
        if v is not None and v < timedelta(milliseconds=100):
            raise ValueError("must be at least 100ms")
        return v


def _check_store_url(v: str) -> str:
    if not (v.startswith("sqlite:///") or v.startswith(("redis://", "rediss://"))):
        raise ValueError(f"expected sqlite:///PATH or redis://HOST:PORT/DB, got {v!r}")
    return v


class StoreConfig(Strict):
    """The long form of ``store``: the URL and, for Redis only, ``unsafe_ok`` (start even when
    the server cannot keep acknowledged alerts through a crash; each unsafe setting is logged)."""

    url: str
    unsafe_ok: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _check_store_url(v)

    @model_validator(mode="after")
    def _redis_only(self) -> StoreConfig:
        if self.unsafe_ok and not self.url.startswith(("redis://", "rediss://")):
            raise ValueError("unsafe_ok applies to a redis:// store only")
        return self


class PrivacyConfig(Strict):
    """The privacy track (integritetsincidenter). Absent: the track is off."""

    rule_sets: list[str] = Field(default_factory=lambda: ["pts-privacy", "nkom-privacy"])
    # Alerts carrying every one of these labels open a privacy case instead of an outage
    # incident (empty: no alert does; cases are opened by people through the API).
    alert_label: dict[str, str] = Field(default_factory=dict)
    # Regulator → address of its privacy reports (default: regulators.<name>.recipient, else
    # the regulator's published address).
    recipients: dict[str, str] = Field(default_factory=dict)
    # Where approved subscriber notices are e-mailed for the operator to distribute (default:
    # operator.contact.email). The bridge never e-mails subscribers itself.
    subscriber_notice_recipient: str | None = None


class BridgeConfig(Strict):
    """The whole bridge.yaml."""

    server: ServerConfig = ServerConfig()
    store: str | StoreConfig = "sqlite:///bridge.sqlite3"  # a URL, or {url, unsafe_ok}
    auth: AuthConfig = AuthConfig()
    smtp: SmtpConfig | None = None
    operator: OperatorConfig = OperatorConfig()
    regulators: dict[str, RegulatorConfig] = Field(default_factory=dict)
    rules_dir: Path = Path("rules")
    inventory: InventoryConfig = InventoryConfig()
    correlation: CorrelationConfig = CorrelationConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    templates: TemplatesConfig = TemplatesConfig()
    notices: NoticesConfig = NoticesConfig()
    replication: ReplicationConfig = ReplicationConfig()
    privacy: PrivacyConfig | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("store")
    @classmethod
    def _store_url(cls, v: str | StoreConfig) -> str | StoreConfig:
        return _check_store_url(v) if isinstance(v, str) else v


# ---- rule sets ----------------------------------------------------------------------------

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
    "se_cyber_early_warning",
    "se_cyber_notification",
    "se_cyber_final",
    "nkom_hendelsesrapport",
)


class CriterionModel(Strict):
    id: str
    kind: str  # one of bridge.core.rules.CRITERION_KINDS (the core evaluates exactly those)
    description: str = ""
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
        )


class ObligationModel(Strict):
    """An obligation kind with parameters overriding its default deadline rule, e.g.
    ``{kind: nkom_varsel, params: {duration: 30m}}`` (see bridge/core/calendar.py)."""

    kind: Literal[OBLIGATION_KINDS]  # type: ignore[valid-type]
    params: dict[str, Any] = Field(default_factory=dict)

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


class RuleSetModel(Strict):
    """A regulator's rule set. ``track: outage`` (default) judges incidents by ``criteria``;
    ``track: privacy`` has no criteria: its obligations are owed by every privacy case of its
    jurisdiction whose nature (``breach``, ``risk``) it ``applies_to``."""

    id: str
    regulator: str
    jurisdiction: Jurisdiction
    source: str
    verified: bool
    notes: str = ""
    track: Literal["outage", "privacy"] = "outage"
    applies_to: list[Literal["breach", "risk"]] = Field(default_factory=list)
    severity_map: dict[str, str] = Field(default_factory=dict)
    criteria: list[CriterionModel] = Field(default_factory=list, validate_default=True)
    obligations: list[Obligation] = Field(default_factory=list)

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, criteria: list[CriterionModel], info: Any) -> list[CriterionModel]:
        track = info.data.get("track", "outage")
        if track == "outage" and not criteria:
            raise ValueError("an outage rule set needs at least 1 item (a criterion)")
        if track == "privacy" and criteria:
            raise ValueError("a privacy rule set has no criteria (every case owes its reports)")
        seen: set[str] = set()
        for c in criteria:
            if c.id in seen:
                raise ValueError(f"criterion id {c.id!r} appears twice")
            seen.add(c.id)
        return criteria

    @model_validator(mode="after")
    def _privacy_natures(self) -> RuleSetModel:
        if self.track == "privacy" and not self.applies_to:
            raise ValueError("applies_to: a privacy rule set names the natures it covers")
        return self

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
        )


# ---- loading ------------------------------------------------------------------------------


def _describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{loc}: unknown key"
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    shown = (
        "" if isinstance(got, dict | list) or got is None or repr(got) in msg else f" (got {got!r})"
    )
    return f"{loc or '(top)'}: {msg}{shown}"


def _errors(file: Path | str, exc: ValidationError) -> list[str]:
    return [f"{file}: {_describe(e)}" for e in exc.errors()]


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for name, raw in sorted(env.items()):
        if not name.startswith("BRIDGE_") or name in ("BRIDGE_CONFIG",):
            continue
        path = [p.lower() for p in name[len("BRIDGE_") :].split("__")]
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append(f"environment {name}: {part} is not a section")
                break
            node = child
        else:
            try:
                node[path[-1]] = yaml.safe_load(raw)
            except yaml.YAMLError:
                node[path[-1]] = raw
    return problems


def load_rule_set(path: Path) -> RuleSetModel:
    """One rule-set file, strictly validated."""
    data = _read_yaml(path)
    try:
        return RuleSetModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_errors(path, exc)) from None


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


class LoadedConfig:
    """A validated bridge.yaml with its rule sets."""

    def __init__(
        self, path: Path, config: BridgeConfig, rule_sets: dict[str, tuple[Path, RuleSetModel]]
    ) -> None:
        self.path = path
        self.config = config
        self.rule_sets = rule_sets

    def enabled_rule_sets(self) -> list[RuleSetModel]:
        """The outage rule sets of the enabled regulators."""
        return [
            self.rule_sets[reg.rule_set][1]
            for reg in self.config.regulators.values()
            if reg.enabled
        ]

    def privacy_rule_sets(self) -> list[RuleSetModel]:
        """The privacy rule sets named in ``privacy.rule_sets`` (none while the track is off)."""
        privacy = self.config.privacy
        return [] if privacy is None else [self.rule_sets[n][1] for n in privacy.rule_sets]

    def store_url(self) -> str:
        """The store URL with a relative SQLite path resolved against the config folder (and
        ``store.unsafe_ok`` carried as the Redis URL's ``unsafe_ok=true``)."""
        store = self.config.store
        url = store if isinstance(store, str) else store.url
        if isinstance(store, StoreConfig) and store.unsafe_ok:
            url += ("&" if "?" in url else "?") + "unsafe_ok=true"
        if url.startswith("sqlite:///"):
            p = Path(url[len("sqlite:///") :])
            if not p.is_absolute():
                p = (self.path.parent / p).resolve()
            return f"sqlite:///{p}"
        return url


def _rule_set_problems(
    path: Path,
    where: str,
    name: str,
    track: str,
    rule_sets: Mapping[str, tuple[Path, RuleSetModel]],
    rules_dir: Path,
) -> list[str]:
    if name not in rule_sets:
        known = ", ".join(sorted(n for n, (_, rs) in rule_sets.items() if rs.track == track))
        return [
            f"{path}: {where}: unknown rule set {name!r} (known: {known or 'none'} in {rules_dir})"
        ]
    found = rule_sets[name][1].track
    if found != track:

        def a(word: str) -> str:
            return f"an {word}" if word == "outage" else f"a {word}"

        return [
            f"{path}: {where}: rule set {name!r} is {a(found)} rule set, expected {a(track)} one"
        ]
    return []


def load_config(path: Path | str, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """See the module contract."""
    path = Path(path)
    data = _read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping at the top level"])
    problems = _apply_env(data, os.environ if env is None else env)
    if problems:
        raise ConfigError([f"{path}: {p}" for p in problems])
    base = path.parent.resolve()
    try:
        cfg = BridgeConfig.model_validate(data, context={"base_dir": base})
    except ValidationError as exc:
        raise ConfigError(_errors(path, exc)) from None
    updates: dict[str, Any] = {}
    rules_dir = cfg.rules_dir if cfg.rules_dir.is_absolute() else base / cfg.rules_dir
    updates["rules_dir"] = rules_dir
    inv = cfg.inventory
    if inv.path is not None and not inv.path.is_absolute():
        updates["inventory"] = inv.model_copy(update={"path": base / inv.path})
    if cfg.templates.dir is not None and not cfg.templates.dir.is_absolute():
        updates["templates"] = TemplatesConfig(dir=base / cfg.templates.dir)
    if not cfg.notices.archive_dir.is_absolute():
        updates["notices"] = cfg.notices.model_copy(
            update={"archive_dir": base / cfg.notices.archive_dir}
        )
    if cfg.smtp is not None and cfg.smtp.ca_file is not None and not cfg.smtp.ca_file.is_absolute():
        updates["smtp"] = cfg.smtp.model_copy(update={"ca_file": base / cfg.smtp.ca_file})
    cfg = cfg.model_copy(update=updates)
    if not rules_dir.is_dir():
        raise ConfigError([f"{path}: rules_dir: expected a folder of rule sets, got {rules_dir}"])
    rule_sets = load_rule_sets(rules_dir)
    problems = []
    for name, reg in cfg.regulators.items():
        problems += _rule_set_problems(
            path, f"regulators.{name}.rule_set", reg.rule_set, "outage", rule_sets, rules_dir
        )
    if cfg.privacy is not None:
        for i, name in enumerate(cfg.privacy.rule_sets):
            problems += _rule_set_problems(
                path, f"privacy.rule_sets.{i}", name, "privacy", rule_sets, rules_dir
            )
    if cfg.inventory.path is not None and not cfg.inventory.path.exists():
        problems.append(f"{path}: inventory.path: file not found: {cfg.inventory.path}")
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(path, cfg, rule_sets)
