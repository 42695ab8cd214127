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


def errors_of(
    file: Path | str, exc: ValidationError, env: Mapping[tuple[str, ...], str] | None = None
) -> list[str]:
    """Each problem as ``FILE: key.path: …``; one at or below a key an environment override set
    (``env``: key path → variable name) as ``environment BRIDGE_…: key.path: …`` instead."""
    out = []
    for e in exc.errors():
        loc = tuple(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        name = next((n for p, n in (env or {}).items() if loc[: len(p)] == p), None)
        out.append(f"{'environment ' + name if name else file}: {_describe(e)}")
    return out


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
