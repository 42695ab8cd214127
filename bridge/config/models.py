"""The models of bridge.yaml: every section, strictly validated (unknown keys are errors).

Loading (environment overrides, relative paths, rule sets) is :mod:`bridge.config.loading`;
rule-set files are :mod:`bridge.config.rule_sets`.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    IPvAnyNetwork,
    PlainSerializer,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bridge.config import org_numbers
from bridge.config.errors import BRANCH
from bridge.config.rule_sets import OBLIGATION_KINDS
from bridge.config.types import (
    Address,
    Addresses,
    CallerSecret,
    Duration,
    GivenSecret,
    Jurisdiction,
    JurisdictionKey,
    OptionalAddress,
    Strict,
    WithSecret,
)
from bridge.core import addresses
from bridge.core import retention as core_retention
from bridge.core.access import grant_problem
from bridge.core.alerts import WebhookLimits
from bridge.core.drafts import DEFAULT_RECIPIENTS
from bridge.core.durations import format_duration, parse_duration
from bridge.core.incidents import CorrelationRules
from bridge.core.mapping import MAX_CONNECTIONS, MappingRules
from bridge.core.store_url import store_url_problems


class WebhookToken(WithSecret):
    _secret_fields: ClassVar[tuple[str, ...]] = ("token",)
    name: str
    token: CallerSecret


class BasicCredential(WithSecret):
    _secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    username: str
    password: CallerSecret


def _longer_than_zero(v: timedelta, why: str = "") -> timedelta:
    """``v`` unchanged if it is longer than 0s; else a ValueError "must be longer than 0s"
    followed by ``why`` (what 0s or less would mean, for the operator reading it)."""
    if v <= timedelta(0):
        raise ValueError(f"must be longer than 0s{why}")
    return v


def _check_role(value: str) -> str:
    problem = grant_problem(value)  # one grammar for config tokens, stored tokens and users
    if problem:
        raise ValueError(problem)
    return value


RoleGrant = Annotated[str, BeforeValidator(lambda v: _check_role(v) if isinstance(v, str) else v)]


class ApiToken(WithSecret):
    """An automation token; ``roles`` like ``viewer`` or ``approver:outage`` (role:track)."""

    _secret_fields: ClassVar[tuple[str, ...]] = ("token",)
    name: str
    token: CallerSecret
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

    @field_validator("lock_for", "address_window")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        # 0s would switch the lockout (or the per-address throttle) off while looking set
        return _longer_than_zero(
            v,
            ": 0s switches this protection off (a wrong password could be tried without end)",
        )


MAX_STEP_UP_WINDOW = timedelta(minutes=15)


class SessionConfig(Strict):
    """Console sessions (cookie ``bridge_session``) and the optional trusted proxy."""

    idle_timeout: Duration = timedelta(minutes=30)
    absolute_timeout: Duration = timedelta(hours=12)
    cookie_secure: bool = True
    lockout: LockoutConfig = LockoutConfig()
    # approving, resending, marking sent and the privacy exemption need a TOTP code given with
    # the action or at most this long before it in the same session (sign-in counts)
    step_up_window: Duration = timedelta(minutes=5)
    # SSO: a reverse proxy that authenticated the person names them in this header; trusted
    # only from trusted_proxies (addresses or networks). Off when None.
    trusted_proxy_header: str | None = None
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)

    @field_validator("idle_timeout", "absolute_timeout")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        return _longer_than_zero(v)

    @field_validator("step_up_window")
    @classmethod
    def _short_step_up(cls, v: timedelta) -> timedelta:
        if v < timedelta(0) or v > MAX_STEP_UP_WINDOW:
            raise ValueError(
                "must be between 0s (a code with every action) and 15m: a second factor "
                "confirms the person at the desk now, not this morning"
            )
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


_LIMITS = WebhookLimits()


class LimitsConfig(Strict):
    """What one webhook may carry (docs/configuration.md, docs/security.md "Limits"); over a
    limit the webhook answers 413 (counts and lengths) or 400 (timestamps) naming the field and
    the limit, and nothing is stored."""

    alerts_per_webhook: int = Field(default=_LIMITS.alerts_per_webhook, ge=1)
    labels_per_alert: int = Field(default=_LIMITS.labels_per_alert, ge=1)
    label_name_length: int = Field(default=_LIMITS.label_name_length, ge=1)
    label_value_length: int = Field(default=_LIMITS.label_value_length, ge=1)
    annotation_value_length: int = Field(default=_LIMITS.annotation_value_length, ge=1)
    fingerprint_length: int = Field(default=_LIMITS.fingerprint_length, ge=1)
    timestamps_past: Duration = _LIMITS.timestamps_past
    timestamps_future: Duration = _LIMITS.timestamps_future

    @field_validator("timestamps_past", "timestamps_future")
    @classmethod
    def _window(cls, v: timedelta) -> timedelta:
        return _longer_than_zero(v)

    def webhook(self) -> WebhookLimits:
        """The core's view of these limits."""
        return WebhookLimits(**{name: getattr(self, name) for name in type(self).model_fields})


#: A host name or IPv4 address: dot-separated labels of letters, digits and inner hyphens.
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def _host(v: str) -> str:
    """A host name, an IPv4 address or an IPv6 address (bare)."""
    try:
        ipaddress.ip_address(v)
    except ValueError:
        if not _HOST_NAME.fullmatch(v):
            raise ValueError(f"expected a host name or an IP address, got {v!r}") from None
    return v


def _http_url(v: str) -> str:
    """An absolute http:// or https:// URL with a host (and a port from 1 to 65535, if any)."""
    parts = urlsplit(v)
    try:
        port = parts.port
    except ValueError:
        port = 0
    bad_host = not parts.hostname or any(c.isspace() for c in v)
    if parts.scheme not in ("http", "https") or bad_host or port == 0:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {v!r}")
    return v


class ServerConfig(Strict):
    listen: str = "127.0.0.1:8080"
    public_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=1024)
    limits: LimitsConfig = LimitsConfig()

    @field_validator("listen")
    @classmethod
    def _host_port(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not sep or not port.isascii() or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"expected HOST:PORT, got {v!r}")
        if not host:  # aiohttp would listen on every interface
            raise ValueError(
                f"expected HOST:PORT, got {v!r}: no host; to listen on every interface say so "
                "with 0.0.0.0:PORT (IPv4) or [::]:PORT (IPv6)"
            )
        if host.startswith("[") and host.endswith("]"):
            try:
                ipaddress.IPv6Address(host[1:-1])
            except ValueError:
                raise ValueError(f"expected [IPv6 address]:PORT, got {v!r}") from None
        elif ":" in host:
            raise ValueError(f"expected HOST:PORT, got {v!r}: an IPv6 address goes in brackets")
        elif not _HOST_NAME.fullmatch(host):
            raise ValueError(
                f"expected HOST:PORT, got {v!r}: {host!r} is not a host name or address"
            )
        return v

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str) -> str:
        return _http_url(v)

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


Channel = Literal["email", "portal"]


class RegulatorConfig(Strict):
    """A regulator: its rule set, its e-mail address, and how its reports reach it: ``email``
    (the outbox sends the approved notice) or ``portal`` (a person submits the approved report
    on the regulator's web portal and records the submission). ``channel`` is the default of
    the rule set's kinds (left out: ``portal`` for a cybersecurity rule set, else ``email``);
    ``channels`` sets it per kind."""

    enabled: bool = True
    rule_set: str
    recipient: Addresses | None = None  # one or more, comma-separated
    # where the reports of a repealed law's rule set go for an incident since the repeal (the
    # operator's internal threshold, owed to no regulator): the operator's own address; left
    # out, such reports are kept internally on approval and sent to no one
    internal_recipient: Addresses | None = None
    channel: Channel | None = None
    channels: dict[str, Channel] = Field(default_factory=dict)

    @field_validator("internal_recipient")
    @classmethod
    def _internal_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        regulators = {a.lower() for a in DEFAULT_RECIPIENTS.values()}
        own = info.data.get("recipient")
        if own:
            regulators |= {a.lower() for a in addresses.split(own)}
        for address in addresses.split(value):
            if address.lower() in regulators:
                raise ValueError(
                    f"{address} is a regulator's address; internal-threshold reports are owed "
                    "to no regulator: give the operator's own address"
                )
        return value

    @field_validator("channels")
    @classmethod
    def _known_kinds(cls, channels: dict[str, str]) -> dict[str, str]:
        for kind in channels:
            if kind not in OBLIGATION_KINDS:
                raise ValueError(
                    f"{kind!r} is not a report kind; expected one of {', '.join(OBLIGATION_KINDS)}"
                )
        return channels


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


ConnectionTotal = Annotated[int, Field(ge=1, le=MAX_CONNECTIONS)]


class InventoryConfig(Strict):
    path: Path | None = None
    labels: InventoryLabels = InventoryLabels()
    default_jurisdiction: Jurisdiction = "SE"
    # jurisdiction → service → all its active connections there (the denominator of a share
    # criterion; default: the inventory's sum): at least 1, at most MAX_CONNECTIONS
    service_totals: dict[JurisdictionKey, dict[str, ConnectionTotal]] = Field(default_factory=dict)


class CorrelationConfig(Strict):
    incident_label: str = _CORRELATION.incident_label
    ancestor_kind: str | None = _CORRELATION.ancestor_kind
    key_labels: list[list[str]] = Field(default_factory=list)
    window: Duration = _CORRELATION.window
    quiet_period: Duration = _CORRELATION.quiet_period

    @field_validator("window")
    @classmethod
    def _window(cls, v: timedelta) -> timedelta:
        return _longer_than_zero(
            v,
            " (how long alerts of the same key_labels join one incident after its first began)",
        )


class EvaluationConfig(Strict):
    interval: Duration = timedelta(seconds=15)
    stale_after: Duration = timedelta(hours=5)
    #: under a storm, at most one ingest evaluation per this (the first after a quiet spell
    #: follows at once): a round costs what the touched incidents hold, not what came in, so
    #: fewer rounds cost less (docs/performance.md); drafts follow at notices.refresh_interval
    coalesce: Duration = timedelta(seconds=1)
    #: how long a closed incident that owes nothing stays in memory (bridge.core.liveness);
    #: longer than Alertmanager keeps resolved alerts (120 h by default), so no re-delivery
    #: of a resolved alert can reach an incident that has left memory
    memory_horizon: Duration = timedelta(days=7)

    @field_validator("memory_horizon")
    @classmethod
    def _at_least_an_hour(cls, v: timedelta) -> timedelta:
        if v < timedelta(hours=1):
            raise ValueError("must be at least 1h (the default, 7d, outlasts Alertmanager's 120h)")
        return v

    @field_validator("interval")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        return _longer_than_zero(v)

    @field_validator("stale_after")
    @classmethod
    def _at_least_a_minute(cls, v: timedelta) -> timedelta:
        if v < timedelta(minutes=1):
            raise ValueError(
                "must be at least 1m (keep it above Alertmanager's repeat_interval: an unchanged "
                "firing alert is heard of only that often)"
            )
        return v


class TemplatesConfig(Strict):
    dir: Path | None = None


def _not_a_regulators(value: str) -> str:
    """``value`` unless it is a regulator's published address: a reply address (a country's
    ``reply_to``, a contact's ``email``, which a notice's Reply-To may be) would send a
    regulator's answer back to the regulator."""
    if value.strip().lower() in {a.lower() for a in DEFAULT_RECIPIENTS.values()}:
        raise ValueError(
            f"{value} is a regulator's address; a regulator's answer would go back to it: "
            "give the operator's own address"
        )
    return value


class OperatorContact(Strict):
    """A contact as the notices name it. ``names`` and ``phones``: per notice language (``sv``
    for Swedish notices and subscribers, ``nb`` for Norwegian ones), replacing ``name`` and
    ``phone`` there: a title in the reader's language ("dataskyddsombud"/"personvernombud"), a
    number dialled as a subscriber in that country dials it (a domestic number such as
    ``0771-…`` works in one country only). ``email`` may be a notice's Reply-To (the privacy
    contact's on privacy reports, the subscriber channel's on subscriber notices,
    ``operator.contact``'s as the fallback), so it is never a regulator's address."""

    name: str = ""
    phone: str = ""
    email: OptionalAddress = ""
    names: dict[Literal["sv", "nb"], str] = Field(default_factory=dict)
    phones: dict[Literal["sv", "nb"], str] = Field(default_factory=dict)

    @field_validator("email")
    @classmethod
    def _not_a_regulators(cls, value: str) -> str:
        return _not_a_regulators(value)


class ChannelContact(OperatorContact):
    """Where subscribers turn about a privacy incident: a channel that verifies who is asking
    before discussing their data (seed 004). ``verification``: per language (``sv``, ``nb``),
    how it does so, in the notice's words (default: a sentence saying identity is checked)."""

    web: str = ""
    verification: dict[Literal["sv", "nb"], str] = Field(default_factory=dict)


class OperatorContacts(Strict):
    """One contact per track; a track left out uses ``operator.contact``."""

    outage: OperatorContact | None = None  # signs Nkom varsler and PTS outage reports
    privacy: OperatorContact | None = None  # the privacy reports' contact point
    subscriber: ChannelContact | None = None  # the "contact us" of subscriber notices


class OperatorIdentity(Strict):
    """The provider as registered in one country (``operator.jurisdictions.NO``, ``.SE``):
    the notices to that country's regulators and subscribers name it. A Norwegian provider
    under ekomloven is usually its own legal entity with a Norwegian organisasjonsnummer, not
    the Swedish AB. Left out, a field is the operator's own (``operator.name``,
    ``operator.org_number``; a track left out of ``contacts`` is ``operator.contacts``' or
    ``operator.contact``; ``reply_to`` is ``operator.contact.email``). ``org_number`` must have
    the country's form (:mod:`bridge.config.org_numbers`). ``reply_to``: where a regulator's
    case handler's answer to that country's outage notices goes, and to its privacy and
    subscriber notices when no privacy contact names an e-mail (the e-mail's Reply-To; From
    stays ``smtp.sender``): exactly one address, never a regulator's."""

    name: str = ""
    org_number: str = ""
    contacts: OperatorContacts = OperatorContacts()
    reply_to: OptionalAddress = ""

    @field_validator("reply_to")
    @classmethod
    def _not_a_regulators(cls, value: str) -> str:
        return _not_a_regulators(value)


class OperatorConfig(Strict):
    """The operator as the notices name it: ``name`` and ``org_number`` are the default
    identity (of no stated country, so not checked: ``check-config`` warns when a country's
    notices use one that lacks that country's form), ``jurisdictions`` the identity registered
    in a country, checked at load."""

    name: str = ""
    org_number: str = ""
    contact: OperatorContact = OperatorContact()  # the default of every track
    contacts: OperatorContacts = OperatorContacts()
    jurisdictions: dict[JurisdictionKey, OperatorIdentity] = Field(default_factory=dict)

    @field_validator("jurisdictions")
    @classmethod
    def _org_numbers_of_their_country(
        cls, v: dict[str, OperatorIdentity]
    ) -> dict[str, OperatorIdentity]:
        for jurisdiction, identity in v.items():
            if not identity.org_number:
                continue
            found = org_numbers.problem(jurisdiction, identity.org_number)
            if found is not None:
                raise ValueError(f"{jurisdiction}.org_number: {found}")
        return v


class ServiceNames(Strict):
    """A service's display names in the notices' languages."""

    sv: str = Field(min_length=1)
    nb: str = Field(min_length=1)


#: The longest ``smtp.timeout``: a hand-over in flight at SIGTERM is let finish within it, and
#: the stop's whole budget (:func:`bridge.service.stop_deadline`) must end inside the process
#: managers' grace (deploy/: Kubernetes' terminationGracePeriodSeconds, systemd's
#: TimeoutStopSec).
MAX_SMTP_TIMEOUT = timedelta(seconds=60)


class SmtpConfig(WithSecret):
    _secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    host: str = "127.0.0.1"
    port: int = 25
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str | None = None
    password: GivenSecret | None = None
    sender: Address = "incident-bridge@localhost"  # the envelope's and header's From
    timeout: Duration = timedelta(seconds=30)
    ca_file: Path | None = None  # CA bundle to trust for the relay's certificate (else system)

    @field_validator("host")
    @classmethod
    def _relay_host(cls, v: str) -> str:
        return _host(v)

    @field_validator("port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 1 <= v <= 65535:
            raise ValueError("expected a port from 1 to 65535")
        return v

    @field_validator("timeout")
    @classmethod
    def _fits_the_stop(cls, v: timedelta) -> timedelta:
        if not timedelta(0) < v <= MAX_SMTP_TIMEOUT:
            raise ValueError(
                f"must be longer than 0s and at most {format_duration(MAX_SMTP_TIMEOUT)} (how "
                "long the relay may take to answer; on SIGTERM a notice being handed over is "
                "let finish within it, and the stop must end inside the process manager's "
                "grace: docs/deployment.md, Stopping)"
            )
        return v

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, v: Path | None, info: ValidationInfo) -> Path | None:
        """Read at load, so a missing or unreadable bundle fails now, not at the first notice."""
        if v is None:
            return v
        base = (info.context or {}).get("base_dir")
        path = base / v if base is not None and not v.is_absolute() else v
        try:
            with path.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise ValueError(f"cannot read the CA file {path}: {exc.strerror}") from None
        return v


class SignificantChangeConfig(Strict):
    """What makes an ongoing incident's change worth an updated Nkom varsel."""

    impact_change: float = Field(default=0.25, ge=0, le=10)  # relative change of affected now
    new_region: bool = True
    new_service: bool = True
    new_cause: bool = True
    severity_change: bool = True
    flags_change: bool = True  # 112, a societal or a wholesale element affected or restored


class NoticesConfig(Strict):
    """Drafting and delivery of notices."""

    archive_dir: Path = Path("sent")  # an .eml copy of every message handed to the relay
    refresh_interval: Duration = timedelta(seconds=10)  # re-render a draft at most this often
    retry_initial: Duration = timedelta(seconds=30)  # first retry after a transient failure
    retry_max: Duration = timedelta(minutes=10)  # backoff ceiling (retries never stop)
    poll_interval: Duration = timedelta(seconds=5)  # how often the outbox looks for due retries
    significant_change: SignificantChangeConfig = SignificantChangeConfig()
    # a portal's receipt a person may upload with a recorded submission, at most this large
    receipt_max_bytes: int = Field(default=1024 * 1024, gt=0, le=4 * 1024 * 1024)

    # refresh_interval 0s is meaningful: a draft follows every change of its incident at once
    @field_validator("poll_interval")
    @classmethod
    def _at_least_100ms(cls, v: timedelta) -> timedelta:
        if v < timedelta(milliseconds=100):  # 0s made the outbox spin at 90 % CPU
            raise ValueError("must be at least 100ms (how often the outbox looks for due retries)")
        return v

    @field_validator("retry_initial", "retry_max")
    @classmethod
    def _at_least_a_second(cls, v: timedelta) -> timedelta:
        if v < timedelta(seconds=1):
            raise ValueError(
                "must be at least 1s (a relay's transient failure is retried no sooner)"
            )
        return v

    @model_validator(mode="after")
    def _backoff_in_order(self) -> NoticesConfig:
        if self.retry_initial > self.retry_max:
            raise ValueError(
                f"retry_initial ({format_duration(self.retry_initial)}) must not be longer than "
                f"retry_max ({format_duration(self.retry_max)}): the backoff starts at "
                "retry_initial and doubles up to retry_max"
            )
        return self


class ReplicationConfig(Strict):
    """Several replicas on one (Redis) store: one leads, all ingest (docs/replicas-and-redis.md)."""

    replica_id: str | None = Field(default=None, min_length=1, max_length=100)  # default: host name
    lease_ttl: Duration | None = None  # default: evaluation.interval, at least 5s
    sync_interval: Duration = timedelta(seconds=1)  # how often to read other replicas' alerts

    @field_validator("lease_ttl", "sync_interval")
    @classmethod
    def _positive(cls, v: timedelta | None) -> timedelta | None:
        if v is not None and v < timedelta(milliseconds=100):
            raise ValueError("must be at least 100ms")
        return v


def _period(value: object) -> object:
    """``never`` → None (kept for ever); a duration of at least one day otherwise. Keeping for
    ever is spelled out: an empty value (``alerts:``, ``alerts: null``, ``alerts: ""``) is
    refused, not read as ``never``."""
    if value == "never":
        return None
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(
            "is empty: write 'never' to keep this kind for ever, or a duration of at least 1d"
        )
    try:
        period = parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{exc} (or 'never')") from None
    if period < timedelta(days=1):
        raise ValueError(f"expected 'never' or a duration of at least 1d, got {value!r}")
    return period


#: A retention period: a duration from one day to 100 years (the cut-off ``now - period`` must
#: stay a date: ``999999d`` once passed check-config and crashed ``bridge prune``), or ``never``.
Period = Annotated[
    timedelta | None,
    BeforeValidator(_period),
    PlainSerializer(lambda v: "never" if v is None else format_duration(v), return_type=str),
]
_PERIODS = core_retention.Periods()


class RetentionConfig(Strict):
    """How long each kind of record is kept once its incident settled (docs/retention.md):
    ``never`` keeps it for ever. The audit log and the privacy register are never pruned."""

    alerts: Period = _PERIODS.alerts  # alert episodes of settled incidents
    deliveries: Period = _PERIODS.deliveries  # the webhook log
    incidents: Period = _PERIODS.incidents  # incident documents
    drafts: Period = _PERIODS.drafts  # notices never sent (rejected, withdrawn)
    notices: Period = _PERIODS.notices  # notices sent to a regulator
    audit: Literal["never"] = "never"  # who approved and sent what: kept (docs/retention.md)
    privacy_register: Literal["never"] = "never"  # the förteckning: kept, never deleted from
    interval: Duration = timedelta(hours=1)  # how often the leader prunes
    count_interval: Duration = timedelta(minutes=1)  # the leader reads bridge_store_records
    batch: int = Field(default=500, ge=1, le=10_000)  # records per delete (one short write)

    @field_validator("audit", "privacy_register", mode="before")
    @classmethod
    def _never(cls, v: object) -> object:
        if v != "never":
            raise ValueError(f"is never pruned, so the only value is 'never' (got {v!r})")
        return v

    @field_validator("interval", "count_interval")
    @classmethod
    def _at_least_100ms(cls, v: timedelta) -> timedelta:
        if v < timedelta(milliseconds=100):
            raise ValueError("must be at least 100ms")
        return v

    def periods(self) -> core_retention.Periods:
        return core_retention.Periods(
            self.alerts, self.deliveries, self.incidents, self.drafts, self.notices
        )


def _check_store_url(v: str) -> str:
    """The URL's shape and parameter names (bridge.core.store_url); errors never print it."""
    problems = store_url_problems(v)
    if problems:
        raise ValueError("; ".join(problems))
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


def _store_form(value: object) -> str:
    return f"{BRANCH}long" if isinstance(value, dict | StoreConfig) else f"{BRANCH}url"


#: ``store``: a URL, or the long form. Either form is validated alone, so a problem of one
#: names its own key (``store.bogus: unknown key``), never the other form's expectations.
StoreSetting = Annotated[
    Annotated[str, Tag(f"{BRANCH}url")] | Annotated[StoreConfig, Tag(f"{BRANCH}long")],
    Discriminator(_store_form),
]


class PrivacyConfig(Strict):
    """The privacy track (integritetsincidenter). Absent: the track is off."""

    rule_sets: list[str] = Field(default_factory=lambda: ["pts-privacy", "nkom-privacy"])
    # Alerts carrying every one of these labels open a privacy case instead of an outage
    # incident (empty: no alert does; cases are opened by people through the API).
    alert_label: dict[str, str] = Field(default_factory=dict)
    # Regulator → address of its privacy reports (default: regulators.<name>.recipient, else
    # the regulator's published address).
    recipients: dict[str, Addresses] = Field(default_factory=dict)
    # Where approved subscriber notices are e-mailed for the operator to distribute (default:
    # operator.contact.email). The bridge never e-mails subscribers itself.
    subscriber_notice_recipient: Addresses | None = None


class AlertmanagerConfig(Strict):
    """The Alertmanager people use: the console links each alert to a silence for it there."""

    url: str | None = None  # its external URL (the one in its webhook's externalURL)

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        scheme, sep, rest = v.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or rest.startswith("/"):
            raise ValueError(f"expected an http:// or https:// URL, got {v!r}")
        return v.rstrip("/")


class ConsoleConfig(Strict):
    """What the console shows people: every time they read is in ``time_zone`` (an IANA zone),
    labelled with it."""

    time_zone: str = "Europe/Stockholm"

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"expected an IANA time zone such as Europe/Oslo, got {v!r}") from None
        return v


class BridgeConfig(Strict):
    """The whole bridge.yaml."""

    server: ServerConfig = ServerConfig()
    store: StoreSetting = "sqlite:///bridge.sqlite3"  # a URL, or {url, unsafe_ok}
    auth: AuthConfig = AuthConfig()
    smtp: SmtpConfig | None = None
    alertmanager: AlertmanagerConfig = AlertmanagerConfig()
    console: ConsoleConfig = ConsoleConfig()
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
    retention: RetentionConfig = RetentionConfig()
    # inventory service key → display names (added to and overriding the built-in ones)
    services: dict[str, ServiceNames] = Field(default_factory=dict)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # text: one human line per record; json: one JSON object per line (for log shippers)
    log_format: Literal["text", "json"] = "text"

    @field_validator("store")
    @classmethod
    def _store_url(cls, v: str | StoreConfig) -> str | StoreConfig:
        return _check_store_url(v) if isinstance(v, str) else v
