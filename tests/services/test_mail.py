"""The mail transport hands notices to a real SMTP server (aiosmtpd), or to the outbox, and says
when it could not. Transport only: when a notice sent this way is deemed delivered (NTC-1) is
tested with the notices (tests/billing/test_bill_email.py, tests/billing/test_prices.py)."""

import email
import email.policy
import logging
import pathlib
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.mail import Email, MailError, OutboxMailer, SmtpMailer, mailer_for

BILL = Email(to="finance@example.cn", subject="2026年10月账单", body="尊敬的客户：您10月的账单金额为 ¥1,234.56。")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


class Collector:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def accept_accord_secret(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"accord", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Collector]]:
    handler = Collector()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=accept_accord_secret,
        auth_require_tls=False,  # plain AUTH on loopback, only in this test
    )
    controller.start()
    yield controller.port, handler
    controller.stop()


async def test_smtp_a_chinese_notice_arrives_with_its_headers(smtp_server: tuple[int, Collector]) -> None:
    port, server = smtp_server
    await SmtpMailer(f"smtp://127.0.0.1:{port}", timeout=5).send(BILL)

    [envelope] = server.envelopes
    assert envelope.rcpt_tos == ["finance@example.cn"]
    message = parsed(envelope.content)
    assert message["To"] == "finance@example.cn"
    assert message["From"] == "accord@localhost"
    assert message["Subject"] == "2026年10月账单"
    assert message.get_content().strip() == BILL.body
    assert message["Message-ID"]
    assert message["Date"].datetime is not None


async def test_smtp_from_parameter_and_login_are_used(smtp_server: tuple[int, Collector]) -> None:
    port, server = smtp_server
    await SmtpMailer(f"smtp://accord:s3cret@127.0.0.1:{port}?from=bills%40accord.example.cn", timeout=5).send(BILL)

    [envelope] = server.envelopes
    assert envelope.mail_from == "bills@accord.example.cn"
    assert parsed(envelope.content)["From"] == "bills@accord.example.cn"


async def test_smtp_a_refused_login_is_a_mail_error_without_the_password(smtp_server: tuple[int, Collector]) -> None:
    port, server = smtp_server
    with pytest.raises(MailError) as failed:
        await SmtpMailer(f"smtp://accord:wrong-pw@127.0.0.1:{port}", timeout=5).send(BILL)
    assert "535" in str(failed.value)  # refused by the server, not a timeout
    assert "wrong-pw" not in str(failed.value)
    assert server.envelopes == []


async def test_smtp_a_server_that_is_not_listening_is_a_mail_error_quickly() -> None:
    mailer = SmtpMailer(f"smtp://accord:s3cret@127.0.0.1:{free_port()}", timeout=1)
    started = time.monotonic()
    with pytest.raises(MailError) as failed:
        await mailer.send(BILL)
    assert time.monotonic() - started < 5
    assert "s3cret" not in str(failed.value)
    assert "s3cret" not in repr(mailer)


@pytest.mark.parametrize(
    "url", ["http://mail.example.cn", "mailto:ops@example.cn", "smtp://", "smtp:///path", "smtp://host:notaport"]
)
def test_an_invalid_smtp_url_is_refused_at_construction(url: str) -> None:
    with pytest.raises(ValueError):
        SmtpMailer(url)


def test_smtp_url_defaults() -> None:
    plain = SmtpMailer("smtp://mail.example.cn")
    assert (plain.port, plain.implicit_tls, plain.starttls, plain.sender) == (25, False, False, "accord@localhost")
    tls = SmtpMailer("smtps://mail.example.cn")
    assert (tls.port, tls.implicit_tls) == (465, True)
    assert SmtpMailer("smtp://mail.example.cn:587?starttls=1").starttls


async def test_outbox_writes_one_parseable_file_per_message_in_send_order(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "outbox"  # does not exist yet
    mailer = OutboxMailer(outbox)
    subjects = ["第一封", "第二封", "第三封"]
    with caplog.at_level(logging.INFO, logger="accord.mail"):
        for subject in subjects:
            await mailer.send(Email(to="finance@example.cn", subject=subject, body="正文"))

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 3
    messages = [parsed(f.read_bytes()) for f in files]
    assert [m["Subject"] for m in messages] == subjects
    assert all(m["To"] == "finance@example.cn" and m.get_content().strip() == "正文" for m in messages)
    logged = [r.getMessage() for r in caplog.records if r.name == "accord.mail"]
    assert len(logged) == 3
    assert "finance@example.cn" in logged[0] and "第一封" in logged[0]


def test_mailer_for_picks_smtp_when_a_url_is_set(tmp_path: pathlib.Path) -> None:
    assert isinstance(mailer_for("smtp://mail.example.cn", tmp_path), SmtpMailer)
    assert isinstance(mailer_for(None, tmp_path), OutboxMailer)
    assert isinstance(mailer_for("", tmp_path), OutboxMailer)
