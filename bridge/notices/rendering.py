"""Notice drafts rendered to subject, plain text and HTML with Jinja2 (reads template files).

Built-in templates live in ``bridge/notices/templates/``, three per kind:
``<kind>.subject.txt.j2``, ``<kind>.body.txt.j2`` and ``<kind>.body.html.j2``. A configured
folder (``templates.dir``) is searched first, so a file there replaces the built-in one of the
same name and only that one. Undefined variables raise (``StrictUndefined``): a template naming
a field the draft lacks fails loudly instead of sending a blank. Autoescaping is on for
``*.html.j2`` only; alert annotations are untrusted text.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from bridge.core.drafts import DraftFields, RenderedDraft

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=8)
def environment(template_dir_override: Path | None = None) -> jinja2.Environment:
    """One environment per override folder (templates are re-read when their file changes)."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(BUILTIN_DIR)]
    if template_dir_override is not None:
        loaders.insert(0, jinja2.FileSystemLoader(template_dir_override))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(fields: DraftFields, template_dir_override: Path | None = None) -> RenderedDraft:
    """Subject (one line, whitespace collapsed), text and HTML body of a draft.

    Raises ``jinja2.UndefinedError`` when a template uses something the draft does not have,
    and ``jinja2.TemplateNotFound`` for a kind without templates."""
    env = environment(template_dir_override)
    context = {"d": fields, "f": fields.fields}

    def one(part: str) -> str:
        return env.get_template(f"{fields.kind}.{part}.j2").render(context)

    return RenderedDraft(
        subject=" ".join(one("subject.txt").split()),
        text=one("body.txt"),
        html=one("body.html"),
    )
