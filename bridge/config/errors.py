"""Reading YAML and turning pydantic's validation errors into ``FILE: key.path: problem``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bridge.errors import ConfigError


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


def errors_of(file: Path | str, exc: ValidationError) -> list[str]:
    return [f"{file}: {_describe(e)}" for e in exc.errors()]


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
