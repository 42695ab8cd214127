"""People's handling of an incident: its name, who is on it, their notes. Pure.

Contract:
- The handling of an incident is a plain JSON document (what the store's casebook keeps):
  ``title`` (``{"text", "by", "at"}`` when a person named it, else absent), ``acknowledged``
  (``{"by", "at"}``), ``assignee`` (``{"name", "by", "at"}``) and ``notes`` (``[{"at",
  "author", "text"}]``, oldest first). :func:`view` reads it with defaults.
- Each change (:func:`rename`, :func:`acknowledge`, :func:`assign`, :func:`add_note`) takes the
  document, the person (or token) acting and ``now``, and returns the new document and the audit
  events that go with it (target ``incident:ID``: ``incident.renamed``, ``.acknowledged``,
  ``.assigned``, ``.noted``), or raises :class:`~bridge.errors.BadInput` naming the field
  (``title``, ``assignee``, ``text``). A change that changes nothing (acknowledging again,
  assigning the same person) returns no events: nothing is written.
- :func:`derived_title` names an incident nobody named: the first alert summary (the
  ``summary`` annotation, firing alerts first, oldest first), else its top element ("site
  se-site-ostersund, Östersund"), else its first alert's name, each without the control,
  bidirectional and format characters an alert may bring (:func:`bridge.core.person_text.cleaned`);
  :func:`title_sources` picks those out of the incident's alerts in one pass, without sorting them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from bridge.core.alerts import AlertEpisode, format_time
from bridge.core.casework import AuditEvent
from bridge.core.person_text import clean_text, cleaned
from bridge.errors import BadInput

MAX_TITLE = 120
MAX_NOTE = 4000
MAX_NOTES = 500

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class View:
    """The handling document as read (absent parts as None / empty)."""

    title: dict[str, str] | None
    acknowledged: dict[str, str] | None
    assignee: dict[str, str] | None
    notes: list[dict[str, str]]


#: the most digits an incident's number is read with (more: no incident carries it)
MOST_NUMBER_DIGITS = 19


def number_written(text: str) -> int | None:
    """The incident number ``text`` writes as people do (``42``, ``#42``: ASCII digits only,
    at most :data:`MOST_NUMBER_DIGITS`), or None when it writes none (an id, or ``²``, which
    ``str.isdigit`` calls a digit and ``int`` refuses)."""
    digits = text.strip().removeprefix("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= MOST_NUMBER_DIGITS:
        return int(digits)
    return None


def view(doc: Document) -> View:
    return View(
        doc.get("title"), doc.get("acknowledged"), doc.get("assignee"), list(doc.get("notes", []))
    )


def incident_event(
    incident: str, now: datetime, actor: str, action: str, **detail: Any
) -> AuditEvent:
    """An audit event of people's handling of an incident (target ``incident:ID``)."""
    return AuditEvent(now, actor, action, f"incident:{incident}", {"incident": incident, **detail})


def clean_title(title: object) -> str:
    """A title as kept: stripped, one line, at most :data:`MAX_TITLE` characters ("" is
    allowed: back to the derived title); else BadInput naming ``title``."""
    return clean_text(title, "title", MAX_TITLE, one_line=True)


def clean_note(text: object) -> str:
    """A note's text as kept: stripped, 1 to :data:`MAX_NOTE` characters (lines and tabs
    allowed); else BadInput naming ``text``."""
    body = clean_text(text, "text", MAX_NOTE, one_line=False)
    if not body:
        raise BadInput("text", "required")
    return body


def rename(
    doc: Document, incident: str, title: object, actor: str, now: datetime
) -> tuple[Document, list[AuditEvent]]:
    """A person's title (:func:`clean_title`); empty text gives the incident back its derived
    title."""
    text = clean_title(title)
    before = (doc.get("title") or {}).get("text")
    if text == (before or ""):
        return doc, []
    new = {k: v for k, v in doc.items() if k != "title"}
    if text:
        new["title"] = {"text": text, "by": actor, "at": format_time(now)}
    return new, [
        incident_event(incident, now, actor, "incident.renamed", title=text, before=before)
    ]


def acknowledge(
    doc: Document, incident: str, actor: str, now: datetime
) -> tuple[Document, list[AuditEvent]]:
    """``actor`` is on it (the first acknowledgement stands; again changes nothing)."""
    if doc.get("acknowledged"):
        return doc, []
    new = {**doc, "acknowledged": {"by": actor, "at": format_time(now)}}
    return new, [incident_event(incident, now, actor, "incident.acknowledged")]


def assign(
    doc: Document, incident: str, assignee: str | None, actor: str, now: datetime
) -> tuple[Document, list[AuditEvent]]:
    """``assignee`` (a person's name, checked by the caller against the people) is on it; None
    takes the assignment away."""
    before = (doc.get("assignee") or {}).get("name")
    if assignee == before:
        return doc, []
    new = {k: v for k, v in doc.items() if k != "assignee"}
    if assignee is not None:
        new["assignee"] = {"name": assignee, "by": actor, "at": format_time(now)}
    event = incident_event(
        incident, now, actor, "incident.assigned", assignee=assignee, before=before
    )
    return new, [event]


def add_note(
    doc: Document, incident: str, text: object, actor: str, now: datetime
) -> tuple[Document, list[AuditEvent]]:
    """A note by ``actor`` (1 to :data:`MAX_NOTE` characters; at most :data:`MAX_NOTES` per
    incident). The audit entry names the note's number, not its text."""
    body = clean_note(text)
    notes = list(doc.get("notes", []))
    if len(notes) >= MAX_NOTES:
        raise BadInput("text", f"this incident has {MAX_NOTES} notes already, the most kept")
    notes.append({"at": format_time(now), "author": actor, "text": body})
    new = {**doc, "notes": notes}
    return new, [incident_event(incident, now, actor, "incident.noted", note=len(notes))]


@dataclass(frozen=True, slots=True)
class TitleSources:
    """What an incident nobody named is named from (see :func:`title_sources`)."""

    summary: str | None  # the first non-blank ``summary`` annotation
    element: str | None  # the first ``element`` label
    alertname: str | None  # the first alert's ``alertname`` (None: it has none)


#: an episode's place in a title's order: firing before resolved (an episode's only two
#: statuses, in that alphabetical order), then oldest start first; compared in C
_RANK = attrgetter("status", "starts_at")


def title_sources(episodes: Iterable[AlertEpisode]) -> TitleSources:
    """The first non-blank summary, the first element label and the first alert's name of an
    incident's alerts, in the order :func:`derived_title` prefers them: firing before resolved,
    then oldest start first, ties in the order given (as a stable sort of them by
    ``(not firing, starts_at)`` would put them). No sort: the first alert is a ``min``, and
    is the summary's and the element's source too when it has them (a storm's alerts mostly
    say alike); only otherwise are the alerts that have one looked through. An incident of
    10 000 alerts is named at every read of it."""
    eps = episodes if isinstance(episodes, list) else list(episodes)
    first = min(eps, key=_RANK, default=None)
    if first is None:
        return TitleSources(None, None, None)
    if _summary(first):
        said: AlertEpisode | None = first
    else:
        said = min((ep for ep in eps if _summary(ep)), key=_RANK, default=None)
    if first.labels.get("element"):
        placed: AlertEpisode | None = first
    else:
        placed = min((ep for ep in eps if ep.labels.get("element")), key=_RANK, default=None)
    return TitleSources(
        said.annotations["summary"] if said is not None else None,
        placed.labels["element"] if placed is not None else None,
        first.labels.get("alertname"),
    )


def _summary(ep: AlertEpisode) -> bool:
    """The episode has a summary that is not blank."""
    return bool(ep.annotations.get("summary", "").strip())


def derived_title(
    summaries: Sequence[str],
    element: str | None,
    element_kind: str = "",
    region_name: str | None = None,
    alertname: str | None = None,
) -> str:
    """See the module contract; ``summaries`` in the order to prefer them."""
    for s in summaries:  # an alert's words: no control, bidirectional or format character
        line = " ".join(cleaned(s).split())
        if line:
            return line[:MAX_TITLE]
    if element:
        where = f", {region_name}" if region_name else ""
        title = f"{element_kind + ' ' if element_kind else ''}{element}{where}"
        return " ".join(cleaned(title).split())[:MAX_TITLE]
    return " ".join(cleaned(alertname or "").split())[:MAX_TITLE] or "unnamed incident"
