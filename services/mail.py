"""The e-mail transport for notices (bills, price changes, …).

NTC-1: an electronic notice is delivered when it is sent successfully, so whoever sends one must
know whether the hand-over succeeded. ``send`` therefore returns only once the message has been
handed over (accepted by the SMTP server, or written to the outbox) and raises ``MailError``
otherwise; it never swallows a failure.

``ACCORD_SMTP_URL`` says where notice e-mail goes; without it (development) messages are written
to an outbox folder and logged, so nothing leaves the machine.
"""

import logging
import pathlib
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import anyio.to_thread

logger = logging.getLogger("accord.mail")

DEFAULT_FROM = "accord@localhost"
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_YES = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class Email:
    to: str
    subject: str
    body: str


class MailError(Exception):
    """The message could not be handed over; the text never contains credentials."""


class Mailer(Protocol):
    async def send(self, email: Email) -> None: ...


def _message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    # Date is when the message really left, not the (possibly simulated) business clock.
    message["Date"] = datetime.now(UTC)
    # An explicit domain: without one make_msgid asks DNS for this host's name, which can hang.
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "localhost")
    message.set_content(email.body, charset="utf-8")
    return message


class SmtpMailer:
    """Hands messages to an SMTP server: ``smtp://[user:password@]host[:port][?from=addr&starttls=1]``
    or ``smtps://…`` (TLS from the first byte)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise ValueError(f"mail URL must start with smtp:// or smtps://, not {parts.scheme or 'nothing'}")
        if not parts.hostname:
            raise ValueError("mail URL has no host")
        query = parse_qs(parts.query)
        self.host = parts.hostname
        self.port = parts.port or _DEFAULT_PORTS[parts.scheme]  # .port raises ValueError when not a number
        self.implicit_tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", [""])[-1].lower() in _YES
        self.sender = query.get("from", [DEFAULT_FROM])[-1]
        self.timeout = timeout
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None

    def __repr__(self) -> str:
        # Without the password: the mailer may end up in logs and tracebacks.
        return f"SmtpMailer(host={self.host!r}, port={self.port}, user={self._user!r}, sender={self.sender!r})"

    async def send(self, email: Email) -> None:
        message = _message(email, self.sender)
        try:
            await anyio.to_thread.run_sync(self._send_blocking, message)
        except (OSError, smtplib.SMTPException) as exc:
            # The server's answer or the socket error, never the URL: it may hold the password.
            raise MailError(f"mail not handed over to {self.host}:{self.port}: {exc}") from exc

    def _send_blocking(self, message: EmailMessage) -> None:
        if self.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls and not self.implicit_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self._user is not None:
                smtp.login(self._user, self._password or "")
            smtp.send_message(message)
        finally:
            # The message is handed over once DATA is accepted; a failing QUIT must not turn
            # that into an error (the caller would send the notice twice).
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


class OutboxMailer:
    """Development: each message becomes an ``.eml`` file in ``directory`` and a log line."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.directory = directory

    async def send(self, email: Email) -> None:
        message = _message(email, DEFAULT_FROM)
        # The timestamp makes names sort in send order; the uuid keeps same-microsecond names apart.
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex}.eml"
        path = self.directory / name
        try:
            await anyio.to_thread.run_sync(self._write, path, message.as_bytes())
        except OSError as exc:
            raise MailError(f"mail not written to the outbox {self.directory}: {exc}") from exc
        logger.info("mail to %s: %s (%s)", email.to, email.subject, path)

    def _write(self, path: pathlib.Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def mailer_for(smtp_url: str | None, outbox_dir: pathlib.Path) -> Mailer:
    """The mailer the settings ask for: SMTP when ``ACCORD_SMTP_URL`` is set, else the outbox."""
    return SmtpMailer(smtp_url) if smtp_url else OutboxMailer(outbox_dir)
