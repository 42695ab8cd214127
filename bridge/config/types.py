"""Value types shared by the configuration models: strict models, durations, jurisdictions,
secrets that never print, and ``*_file`` secret loading."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    PlainSerializer,
    model_validator,
)
from pydantic_core import core_schema

from bridge.core.addresses import address_problem
from bridge.core.durations import format_duration, parse_duration


def _jurisdiction(value: object) -> object:
    if value is False:  # YAML 1.1 reads a bare NO as false
        raise ValueError('expected SE or NO; write "NO" in quotes (YAML reads bare NO as false)')
    return value


Jurisdiction = Annotated[Literal["SE", "NO"], BeforeValidator(_jurisdiction)]


def _known_jurisdiction(value: str) -> str:
    if value not in ("SE", "NO"):
        raise ValueError(f"expected SE or NO, got {value!r}")
    return value


#: A jurisdiction as a mapping's key (typed ``str``, so the mapping passes where text keys go).
JurisdictionKey = Annotated[
    str, BeforeValidator(_jurisdiction), AfterValidator(_known_jurisdiction)
]

#: A duration (``90s``, ``1h30m``, ``14d``) of at most 100 years
#: (:data:`bridge.core.durations.MAX_DURATION`): no interval or threshold means anything longer,
#: and a longer one once overflowed ``datetime`` arithmetic at start or in ``bridge prune``.
Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]


def _addresses(value: str) -> str:
    problem = address_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _address(value: str) -> str:
    problem = address_problem(value, several=False)
    if problem is not None:
        raise ValueError(problem)
    return value


#: One e-mail address or several, comma-separated (a recipient field of the notices).
Addresses = Annotated[str, AfterValidator(_addresses)]
#: Exactly one e-mail address (a sender, a contact).
Address = Annotated[str, AfterValidator(_address)]
#: One e-mail address, or ``""`` for none.
OptionalAddress = Annotated[str, AfterValidator(lambda v: v and _address(v))]


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
        if not direct:
            # an empty file (a secret not yet written, a mount gone wrong) would be an empty
            # secret: a blank password lets a caller in with just the user name
            raise ValueError(f"{file_key}: {p} is empty (blank): write the secret into it")
        data = {k: v for k, v in data.items() if k != file_key}
    if direct is None:
        return data
    if not isinstance(direct, str | Secret):
        raise ValueError(f"{name}: expected a string")
    return {**data, name: direct if isinstance(direct, Secret) else Secret(direct)}


#: The shortest secret the bridge accepts from a caller (webhook and API tokens, basic-auth
#: passwords): 16 characters. A configured secret is compared on every request and is never
#: locked out like a person's password, so a short one can be guessed by trying; 16 random
#: characters are beyond guessing over the network, and a person choosing one is pushed past
#: words like ``alertmanager`` (``bridge tokens add`` makes 47).
MIN_SECRET_LENGTH = 16

#: The prefix of the shipped example's development secrets (config/bridge.yaml): accepted only
#: while the server listens on loopback (:func:`bridge.config.loading.load_config`).
DEV_SECRET_PREFIX = "dev-only-"

#: The prefix of the example deploy files' placeholders (deploy/kubernetes/secret.yaml): a
#: secret starting with it (in any case) is refused wherever the server listens: it is as
#: public as the repository (:func:`bridge.config.loading.load_config`).
PLACEHOLDER_SECRET_PREFIX = "change-me"


#: The shapes of a templating leftover, each named by how it is written (never the value): a
#: secret in one of them was meant to be filled in by a tool (a shell, envsubst, Helm, Ansible,
#: a CI's replace-tokens step) but reached bridge.yaml as written, which substitutes nothing.
#: Anywhere in the secret: ``${…}``, ``{{ … }}``, ``{% … %}``, ``#{…}`` (a random secret does
#: not hold them); the whole secret only: ``$(…)``, ``$VAR`` (a name in capitals), ``<…>``,
#: ``%VAR%``, ``__VAR__``, ``@VAR@`` (a ``$`` or ``<`` inside a password of one's own is fine).
TEMPLATE_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("${…}", re.compile(r"\$\{[^{}]*\}")),
    ("{{ … }}", re.compile(r"\{\{.*?\}\}", re.S)),
    ("{% … %}", re.compile(r"\{%.*?%\}", re.S)),
    ("#{…}", re.compile(r"#\{[^{}]*\}")),
    ("$(…)", re.compile(r"\$\(.*\)", re.S)),
    ("$VAR", re.compile(r"\$[A-Z_][A-Z0-9_]*")),
    ("<…>", re.compile(r"<[^<>]*>", re.S)),
    ("%VAR%", re.compile(r"%[A-Za-z_][A-Za-z0-9_]*%")),
    ("__VAR__", re.compile(r"__[A-Za-z][A-Za-z0-9_]*__")),
    ("@VAR@", re.compile(r"@[A-Za-z_][A-Za-z0-9_]*@")),
)
#: the shapes that count only as the whole secret (see :data:`TEMPLATE_SHAPES`)
_WHOLE = frozenset({"$(…)", "$VAR", "<…>", "%VAR%", "__VAR__", "@VAR@"})


def template_shape(value: str) -> str | None:
    """How ``value`` looks like an unexpanded placeholder (``"${…}"``), or None."""
    value = value.strip()
    for shape, pattern in TEMPLATE_SHAPES:
        found = pattern.fullmatch(value) if shape in _WHOLE else pattern.search(value)
        if found is not None:
            return shape
    return None


def _long_secret(value: Secret) -> Secret:
    if len(value.get()) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"must be at least {MIN_SECRET_LENGTH} characters (got {len(value.get())}): a "
            "secret checked on every request can be guessed by trying when short "
            "(docs/security.md)"
        )
    return value


def _some_secret(value: Secret) -> Secret:
    if not value.get().strip():
        raise ValueError("must not be empty")
    return value


#: A caller's secret: at least :data:`MIN_SECRET_LENGTH` characters.
CallerSecret = Annotated[Secret, AfterValidator(_long_secret)]
#: A secret of another system (the SMTP relay's password): not blank.
GivenSecret = Annotated[Secret, AfterValidator(_some_secret)]


class WithSecret(Strict):
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
