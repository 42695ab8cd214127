"""The core's view of the configured operator (:class:`bridge.core.drafts.Sender`): who signs
each track's notices, the provider registered in each country, and where answers go. Apart
from the templates (:mod:`.rendering`), so ``check-config`` can print where replies go without
loading Jinja2."""

from __future__ import annotations

from bridge.config import OperatorConfig
from bridge.config.models import OperatorContact, OperatorContacts
from bridge.core.drafts import Contact, Identity, Sender


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
    reply address; the rest is the operator's own). A notice's Reply-To follows its track
    (:meth:`Sender.reply`): the e-mail its track's own contacts name (``operator.contacts``,
    a country's first), else the country's ``reply_to``, else ``operator.contact.email``."""
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
        reply_key="operator.contact.email",
        track_emails={
            track: (found.email, f"operator.contacts.{track}.email")
            for track, found in own.items()
            if found.email
        },
    )
