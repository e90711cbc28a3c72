"""BIL-4 / NTC-1 with a real SMTP server (ACCORD_SMTP_URL): a bill is delivered when the server
accepted its email, and its dispute window starts then; while the server is down nothing is
delivered, nothing is lost, and the next sweep tries again."""

from datetime import UTC, datetime

import httpx
from aiosmtpd.controller import Controller

from api.app import create_app
from tests.billing.helpers import bills_of, move_to, run_month, sweep
from tests.factories import add_usage, make_app
from tests.services.test_mail import Collector, free_port, parsed


async def test_bil4_bill_email_through_smtp_delivery_starts_the_window(settings, clock, session, principals):
    port = free_port()
    app = create_app(settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"}), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as client,
    ):
        principals.watch(client)
        usage_app = await make_app(session, account_id=principals.account_a.id)
        await add_usage(
            session, usage_app, product="RTC_AUDIO_MINUTES", quantity="3", at=datetime(2026, 8, 3, tzinfo=UTC)
        )
        assert (await run_month(client, principals))["issued"] == 1

        jobs = await sweep(client, principals)  # the mail server is not running
        assert jobs["deliver_notices"] == 0
        assert await bills_of(client, principals.holder_a) == []

        handler = Collector()
        server = Controller(handler, hostname="127.0.0.1", port=port)
        server.start()
        try:
            await move_to(clock, principals, datetime(2026, 10, 9, 2, 0, tzinfo=UTC))
            assert (await sweep(client, principals))["deliver_notices"] == 1
        finally:
            server.stop()
        (envelope,) = handler.envelopes
        message = parsed(envelope.content)
        assert "2026-08" in message["Subject"] and "21.00" in message.get_content()
        (bill,) = await bills_of(client, principals.holder_a)
        assert bill["deliveredAt"] == "2026-10-09T02:00:00+00:00"  # when the server took it
        assert bill["disputeDeadline"] == "2026-10-12T15:59:59.999999+00:00"
