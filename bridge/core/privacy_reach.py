"""How a subscriber notice reached the subscribers (PTS, seed 001: "rimliga steg för att se till
att informationen verkligen når fram"). Pure.

Contract:
- The bridge never e-mails subscribers: an approved subscriber notice is handed to the
  operator's own address (``privacy.subscriber_notice_recipient``, else
  ``operator.contact.email``), which distributes it. A :class:`Handed` is such a notice as its
  sent draft says (kind, draft, address, when). :func:`record` is a person's account of how it
  then reached the subscribers: ``channels`` (:data:`CHANNELS`, at least one), ``went_out_at``
  (not before the hand-over's minute, not in the future beyond
  :data:`~bridge.core.manual.FUTURE_SLACK`), ``reached`` and ``unreached`` (whole numbers ≥ 0,
  not both 0), ``unreached_action`` (what was done for those not reached: required when
  ``unreached`` > 0), optional ``comment``. Any other key, or a bad value, is a BadInput naming
  the field; a kind not handed over is a Conflict. It is kept in the case
  (``PrivacyCase.distributions``, kind → the record as JSON, the draft it is of included), as
  the next revision (action :data:`REVISION_ACTION`), audited as
  ``privacy.distribution_recorded`` with the kind, draft, channels, time and counts, never
  the free text. Recording again replaces it (the revisions keep every one).
- :func:`status` is, per handed-over notice, whether its distribution is recorded (a record
  of an earlier draft of the kind does not count for a later one), with the words the case,
  the queue and the register show until it is: "handed to <address> for distribution, not yet
  recorded as reached".
- The copy to PTS (``privacy_subscriber_copy``) is of the notice's text and counts from the
  hand-over: it never waits for the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bridge.core import instants, person_text
from bridge.core.casework import AuditEvent
from bridge.core.manual import FUTURE_SLACK
from bridge.core.privacy import Change, PrivacyCase, rfc3339_time
from bridge.errors import BadInput, Conflict

#: how a notice may reach subscribers
CHANNELS = ("email", "sms", "letter", "web")
#: the subscriber notices (the copy to PTS goes to PTS, not to subscribers)
KINDS = ("subscriber_notice", "nkom_privacy_subscriber")
#: the queue's kind and state for a handed-over notice whose distribution is not recorded
QUEUE_KIND = "subscriber_distribution"
NOT_RECORDED, RECORDED = "not_recorded", "recorded"
REVISION_ACTION = "distribution recorded"
KEYS = ("kind", "channels", "went_out_at", "reached", "unreached", "unreached_action", "comment")
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Handed:
    """A subscriber notice handed to the operator's address: its sent draft."""

    kind: str
    draft: str
    regulator: str
    address: str
    at: datetime


def pending_words(address: str) -> str:
    return f"handed to {address} for distribution, not yet recorded as reached"


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _text(name: str, value: object, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadInput(name, "expected text")
    refused = person_text.refused(value, "\t\n\r", formats=False)
    if refused is not None:
        raise BadInput(name, f"{person_text.problem(refused)}; line breaks and tabs are")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise BadInput(name, f"at most {MAX_TEXT} characters")
    if required and not text:
        raise BadInput(name, "required")
    return text


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(name, f"required: a whole number ≥ 0, got {value!r}")
    return value


def _channels(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput("channels", f"expected a list of {', '.join(CHANNELS)}")
    unknown = sorted(set(value) - set(CHANNELS))
    if unknown:
        raise BadInput(
            "channels", f"unknown channel(s) {', '.join(unknown)}; expected {', '.join(CHANNELS)}"
        )
    if not value:
        raise BadInput("channels", "name at least one channel the notice went out by")
    return list(dict.fromkeys(value))


def _went_out(value: object, handed: Handed, now: datetime) -> datetime:
    name = "went_out_at"
    if not isinstance(value, str):
        raise BadInput(name, "required: an RFC 3339 time with an offset, e.g. 2026-11-24T09:00Z")
    at = instants.given(rfc3339_time(name, value), name, now)
    if at > now + FUTURE_SLACK:
        raise BadInput(name, f"{_iso(at)} lies in the future (now {_iso(now)})")
    if at < handed.at.replace(second=0, microsecond=0):
        raise BadInput(
            name,
            f"{_iso(at)} is before the notice was handed to {handed.address} ({_iso(handed.at)})",
        )
    return at


def record(
    case: PrivacyCase,
    base_revision: int,
    body: Mapping[str, object],
    handed: Sequence[Handed],
    actor: str,
    now: datetime,
) -> tuple[PrivacyCase, list[AuditEvent]]:
    """The case with the distribution of ``body['kind']`` recorded (see the module contract);
    ``handed``: the case's notices handed over."""
    for key in body:
        if key not in KEYS:
            raise BadInput(key, f"not a distribution field; expected {', '.join(KEYS)}")
    kind = body.get("kind")
    if kind not in KINDS:
        raise BadInput("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    of = next((h for h in handed if h.kind == kind), None)
    if of is None:
        raise Conflict(
            f"privacy case {case.id}",
            f"its {kind} has not been handed over for distribution (approve and send it first)",
        )
    if base_revision != case.revision:
        raise Conflict(
            f"privacy case {case.id}",
            f"the change is based on revision {base_revision} but the latest is "
            f"{case.revision}: reload and record again",
        )
    channels = _channels(body.get("channels"))
    went_out = _went_out(body.get("went_out_at"), of, now)
    reached = _count("reached", body.get("reached"))
    unreached = _count("unreached", body.get("unreached"))
    if reached + unreached == 0:
        raise BadInput("reached", "reached and unreached are both 0: how many were told?")
    action = _text("unreached_action", body.get("unreached_action"), required=unreached > 0)
    comment = _text("comment", body.get("comment"))
    entry: dict[str, Any] = {
        "kind": kind,
        "draft": of.draft,
        "handed_to": of.address,
        "handed_at": _iso(of.at),
        "channels": channels,
        "went_out_at": _iso(went_out),
        "reached": reached,
        "unreached": unreached,
        "unreached_action": action,
        "comment": comment,
        "by": actor,
        "recorded_at": _iso(now),
    }
    revision = case.revision + 1
    after = replace(
        case,
        revision=revision,
        updated_at=now,
        distributions={**case.distributions, kind: entry},
        history=(*case.history, Change(revision, now, actor, REVISION_ACTION, ("distributions",))),
    )
    detail = {
        "case": case.id,
        "revision": revision,
        "kind": kind,
        "draft": of.draft,
        "channels": channels,
        "went_out_at": entry["went_out_at"],
        "reached": reached,
        "unreached": unreached,
    }
    event = AuditEvent(now, actor, "privacy.distribution_recorded", f"privacy:{case.id}", detail)
    return after, [event]


def status(case: PrivacyCase, handed: Sequence[Handed]) -> list[dict[str, Any]]:
    """Per handed-over notice: ``kind``, ``draft``, ``regulator``, ``handed_to``,
    ``handed_at``, ``state`` (:data:`RECORDED` or :data:`NOT_RECORDED`), ``words`` and
    ``record`` (None until recorded for that draft)."""
    out = []
    for h in sorted(handed, key=lambda h: h.kind):
        found = case.distributions.get(h.kind)
        done = found if found is not None and found.get("draft") == h.draft else None
        out.append(
            {
                "kind": h.kind,
                "draft": h.draft,
                "regulator": h.regulator,
                "handed_to": h.address,
                "handed_at": _iso(h.at),
                "state": NOT_RECORDED if done is None else RECORDED,
                "words": pending_words(h.address) if done is None else describe(done),
                "record": None if done is None else dict(done),
            }
        )
    return out


def describe(entry: Mapping[str, Any]) -> str:
    """A recorded distribution in one line (the register's cell)."""
    unreached = int(entry.get("unreached", 0))
    words = (
        f"went out {entry['went_out_at']} by {', '.join(entry['channels'])}; "
        f"reached {entry['reached']}; not reached {unreached}"
    )
    if entry.get("unreached_action"):
        words += f" ({entry['unreached_action']})"
    return f"{words}; handed to {entry['handed_to']} {entry['handed_at']}; recorded by " + (
        f"{entry['by']} {entry['recorded_at']}"
    )
