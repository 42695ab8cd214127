"""A real SMTP server on loopback for tests (aiosmtpd, in its own thread): records every message
it accepts, and can answer 4xx/5xx, hang in DATA, require STARTTLS or implicit TLS and AUTH."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Mailbox:
    """What the server does with DATA: ``accept``, ``tempfail`` (451), ``reject`` (554),
    ``hang`` (never answers: the sender's connection breaks or times out) or ``hold`` (accepts
    once the test calls :meth:`release`; the message is recorded then, even if the sender has
    gone meanwhile, as a relay would have it)."""

    mode: str = "accept"
    received: list[Received] = field(default_factory=list)
    data_started: threading.Event = field(default_factory=threading.Event)
    _held: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "hold":
            held = asyncio.Event()
            self._held = (asyncio.get_running_loop(), held)
            self.data_started.set()
            await held.wait()
        self.data_started.set()
        if self.mode == "hang":
            await asyncio.sleep(3600)
        if self.mode == "tempfail":
            return "451 4.3.0 try again later"
        if self.mode == "reject":
            return "554 5.7.1 rejected by policy"
        raw = bytes(envelope.original_content or envelope.content)
        parsed = message_from_bytes(raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
        return "250 2.0.0 queued as test"

    def release(self) -> None:
        """Let the DATA step held in ``hold`` mode go on (from the test's thread)."""
        assert self._held is not None, "no DATA step is held (wait for data_started first)"
        loop, held = self._held
        loop.call_soon_threadsafe(held.set)


class SmtpServer:
    """``security``: none | starttls | tls. With ``login`` set, AUTH is required."""

    def __init__(
        self,
        folder: Path,
        security: str = "none",
        login: tuple[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.mailbox = Mailbox()
        self.port = port or free_port()
        self.security = security
        self.login = login
        self.ca_file: Path | None = None
        self._controller: Controller | None = None
        self._server_context: ssl.SSLContext | None = None
        if security != "none":
            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            self.ca_file = folder / "smtp-ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_file))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            self._server_context = context

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and self.login is not None
            and (data.login.decode(), data.password.decode()) == self.login
        )
        return AuthResult(success=ok, handled=False, auth_data=data)

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        if self.security == "starttls":
            kwargs.update(tls_context=self._server_context, require_starttls=True)
        elif self.security == "tls":
            kwargs.update(ssl_context=self._server_context)
        if self.login is not None:
            kwargs.update(
                authenticator=self._authenticate, auth_require_tls=self.security == "starttls"
            )
        else:
            kwargs.update(auth_require_tls=False)
        self._controller = Controller(self.mailbox, ready_timeout=10, **kwargs)
        if self.security == "tls":
            # the readiness probe of aiosmtpd speaks plain SMTP; trust our own CA for it
            self._controller.ssl_context = self._server_context
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def smtp_config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "security": self.security,
            "sender": "noc-reports@example.net",
            "timeout": "5s",
        }
        if self.ca_file is not None:
            cfg["ca_file"] = str(self.ca_file)
        if self.login is not None:
            cfg["username"], cfg["password"] = self.login
        return cfg
