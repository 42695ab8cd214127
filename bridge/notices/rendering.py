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

from bridge.config import OperatorConfig
from bridge.config.models import OperatorContact, OperatorContacts
from bridge.core.drafts import Contact, DraftFields, Identity, RenderedDraft, Sender

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"


def _contact(found: OperatorContact) -> Contact:
    return Contact(
        name=found.name,
        phone=found.phone,
        email=found.email,
        web=getattr(found, "web", ""),
        verification=dict(getattr(found, "verification", {})),
        names={str(k): v for k, v in found.names.items()},
        phones={str(k): v for k, v in found.phones.items()},
    )


def _tracks(contacts: OperatorContacts) -> dict[str, Contact]:
    """The contacts ``contacts`` names, by track (those it leaves out are absent)."""
    return {
        track: _contact(found)
        for track in ("outage", "privacy", "subscriber")
        if (found := getattr(contacts, track)) is not None
    }


def sender(operator: OperatorConfig) -> Sender:
    """The core's view of the configured operator: the default contact and one per track
    (``operator.contacts``; a track left out uses ``operator.contact``, with its names and
    phones per language), each with the key it came from, and its identity per country
    (``operator.jurisdictions``: name, organisation number, the contacts it names and its
    reply address; the rest is the operator's own). Replies go to ``operator.contact.email``
    where a country names no ``reply_to``."""
    own = _tracks(operator.contacts)
    tracks = ("outage", "privacy", "subscriber")
    return Sender(
        name=operator.name,
        org_number=operator.org_number,
        contact_name=operator.contact.name,
        phone=operator.contact.phone,
        email=operator.contact.email,
        contacts={track: own.get(track) or _contact(operator.contact) for track in tracks},
        origins={
            track: f"operator.contacts.{track}" if track in own else "operator.contact"
            for track in tracks
        },
        identities={
            j: Identity(
                identity.name,
                identity.org_number,
                _tracks(identity.contacts),
                reply_to=identity.reply_to,
            )
            for j, identity in operator.jurisdictions.items()
        },
        reply_to=operator.contact.email,
    )


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
