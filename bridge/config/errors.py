"""Reading YAML and turning pydantic's validation errors into ``FILE: key.path: problem``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bridge.config.types import Secret
from bridge.core.store_url import hide_userinfo
from bridge.errors import ConfigError

#: A URL's user information (``redis://:PASSWORD@host``): never printed in a problem.
_USERINFO = re.compile(r"(?<=://)[^@\s'\"]+@")
#: The prefix of a union's tags (``Tag(BRANCH + "url")``): which form of a key was read is no
#: part of its path, so the tag is left out of the problem's key path.
BRANCH = "form:"


def _describe(err: Mapping[str, Any]) -> str:
    parts = [str(p) for p in err["loc"] if not str(p).startswith(("function-", BRANCH))]
    of_key = parts[-1:] == ["[key]"]  # a mapping's key failed, not its value
    loc = ".".join(parts[:-1] if of_key else parts)
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{loc}: unknown key"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if of_key:
        msg = f"as a key: {msg}"
    got = err.get("input")
    shown = (
        ""
        if isinstance(got, dict | list | Secret) or got is None or repr(got) in msg
        else f" (got {(hide_userinfo(got) if isinstance(got, str) else got)!r})"
    )
    return _USERINFO.sub("<secret>@", f"{loc or '(top)'}: {msg}{shown}")


def env_origin(env: Mapping[tuple[str, ...], str], loc: tuple[str, ...]) -> str | None:
    """The ``BRIDGE_…`` variable(s) that set the value at ``loc`` or a section above it (the
    longest key path of ``env`` that ``loc`` starts with), or None: the file's."""
    found = [p for p in env if loc[: len(p)] == p]
    return env[max(found, key=len)] if found else None


def errors_of(
    file: Path | str, exc: ValidationError, env: Mapping[tuple[str, ...], str] | None = None
) -> list[str]:
    """Each problem as ``FILE: key.path: …``; one at or below a key an environment override set
    or a section it made (``env``: key path → variable names) as ``environment BRIDGE_…:
    key.path: …`` instead (:func:`env_origin`)."""
    out = []
    for e in exc.errors():
        loc = tuple(str(p) for p in e["loc"] if not str(p).startswith(("function-", BRANCH)))
        name = env_origin(env or {}, loc)
        out.append(f"{'environment ' + name if name else file}: {_describe(e)}")
    return out


_BOM = b"\xef\xbb\xbf"


def read_text(path: Path) -> str:
    """A configuration file's text (UTF-8, a leading byte-order mark dropped). A file that
    cannot be read, or is not UTF-8 (a Latin-1 ``å``, a UTF-16 export), raises ConfigError naming
    the file and the first bad byte's offset and line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise ConfigError(
            [
                f"{path}: not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset} (line "
                f"{line}); save the file as UTF-8"
            ]
        ) from None


def read_yaml(path: Path) -> Any:
    """A YAML file's data (see :func:`read_text`); invalid YAML raises ConfigError."""
    text = read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
