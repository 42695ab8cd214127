"""E-mail for approved drafts: the message as the regulator receives it, and its delivery.

Contract:
- :func:`build_message` makes the exact message for a draft's approved version: plain text and
  HTML alternatives, the draft's stable ``Message-ID``, ``Date`` = the approval time and MIME
  boundaries derived from both (so a retry, or a resend after an in-doubt delivery, is
  byte-for-byte the same message while the configuration is unchanged), headers naming the
  draft, version and content hash, and for PTS the upload document
  (:mod:`bridge.notices.attachments`). ``From`` is ``smtp.sender`` for
  every notice, named as the provider of the regulator's country; ``Reply-To`` follows the
  notice's track in that country (:meth:`Sender.reply` of :func:`contact_track` after
  :meth:`Sender.of`): a privacy report's answer goes to the privacy contact point, a
  subscriber notice's to the subscriber channel (else the privacy contact point), an outage
  notice's to the country's reply address. Neither From's name nor Reply-To is in the content
  hash (a person approves the notice, not the configuration): a retry built after the
  configuration changed carries the ones configured now, in other bytes under the same
  ``Message-ID`` and ``Date``, and the archive keeps it beside the first copy
  (:func:`bridge.notices.archive.keep`).
- :func:`send` hands one message to the configured relay (aiosmtplib; implicit TLS, STARTTLS or
  plain; optional AUTH) and says what happened as a :class:`Outcome`: ``sent`` (the relay
  accepted it: 250 after DATA), ``transient`` (not accepted and certainly not delivered: no
  connection, a timeout before DATA, any 4xx reply), ``permanent`` (a 5xx reply, e.g. a refused
  recipient or failed authentication) or ``in_doubt`` (the connection broke after the message
  was handed over, before the relay answered: it may have been delivered). Cancelled, it
  closes the connection at once (no QUIT) and lets the cancellation through.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr

import aiosmtplib

from bridge.config import SmtpConfig
from bridge.core.casework import Draft
from bridge.core.drafts import JURISDICTIONS, Sender, contact_track
from bridge.notices.attachments import attachment_for

SENT, TRANSIENT, PERMANENT, IN_DOUBT = "sent", "transient", "permanent", "in_doubt"


@dataclass(frozen=True, slots=True)
class Outcome:
    result: str  # sent | transient | permanent | in_doubt
    detail: str


def message_id(draft_id: str, version: int, content_hash: str, domain: str) -> str:
    """Stable per draft version and content: ``<draft.v3.1a2b3c4d@domain>``."""
    digest = hashlib.sha256(f"{draft_id}|{version}|{content_hash}".encode()).hexdigest()[:12]
    return f"<{draft_id}.v{version}.{digest}@{domain}>"


def sender_domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def build_message(draft: Draft, sender: Sender, from_address: str) -> EmailMessage:
    """The message for the approved version (raises ValueError when there is none)."""
    approval = draft.approval
    if approval is None or draft.message_id is None:
        raise ValueError(f"draft {draft.id} is not approved")
    version = draft.version(approval.version)
    sender = sender.of(JURISDICTIONS.get(draft.regulator, ""))  # Nkom's: the Norwegian provider
    msg = EmailMessage(policy=SMTP_POLICY)
    # From is the relay's one sender (smtp.sender), whichever country: its domain is the one the
    # relay may send for (SPF, DKIM, DMARC alignment); the name is the country's provider's
    msg["From"] = formataddr((sender.name, from_address)) if sender.name else from_address
    msg["To"] = version.recipient
    reply = sender.reply(contact_track(draft.kind))  # a privacy report's: the privacy contact
    if reply.address:
        msg["Reply-To"] = reply.address
    msg["Subject"] = version.subject
    msg["Date"] = format_datetime(approval.at)
    msg["Message-ID"] = draft.message_id
    msg["X-Incident-Bridge-Draft"] = f"{draft.id}; version={version.number}"
    msg["X-Incident-Bridge-Content-Hash"] = approval.content_hash
    msg.set_content(version.text)
    msg.add_alternative(version.html, subtype="html")
    attachment = attachment_for(draft, version, sender)
    if attachment is not None:
        name, mime, body = attachment
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(body, maintype=maintype, subtype=subtype, filename=name)
    # the MIME boundaries from the message's identity, not at random (the email package's
    # default): the same approval always makes the same bytes, so a retry or a resend archives
    # and sends exactly what the first try did
    seed = f"{draft.message_id}|{approval.content_hash}|{approval.at.isoformat()}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:24]
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_bridge.{digest}.{n}")
    return msg


def _tls_context(cfg: SmtpConfig) -> ssl.SSLContext | None:
    if cfg.security == "none":
        return None
    context = ssl.create_default_context(cafile=str(cfg.ca_file) if cfg.ca_file else None)
    return context


async def send(message: EmailMessage, cfg: SmtpConfig) -> Outcome:
    """See the module contract. Never raises for SMTP or network failures."""
    recipients = [a.strip() for a in str(message["To"]).split(",") if a.strip()]
    client = aiosmtplib.SMTP(
        hostname=cfg.host,
        port=cfg.port,
        use_tls=cfg.security == "tls",
        start_tls=cfg.security == "starttls",
        timeout=cfg.timeout.total_seconds(),
        tls_context=_tls_context(cfg),
    )
    handed_over = False
    try:
        await client.connect()
        if cfg.username:
            password = cfg.password.get() if cfg.password is not None else ""
            await client.login(cfg.username, password)
        await client.mail(cfg.sender)
        for rcpt in recipients:
            await client.rcpt(rcpt)
        handed_over = True
        response = await client.data(message.as_bytes())
        return Outcome(SENT, f"{response.code} {response.message}".strip())
    except aiosmtplib.SMTPResponseException as exc:
        result = TRANSIENT if 400 <= exc.code < 500 else PERMANENT
        return Outcome(result, f"{exc.code} {exc.message}".strip())
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        text = f"{type(exc).__name__}: {exc}"
        return Outcome(IN_DOUBT if handed_over else TRANSIENT, text)
    except asyncio.CancelledError:  # the caller gives up (stopping): no polite QUIT either,
        client.close()  # which would wait for a relay still busy with DATA
        raise
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()
