"""Issue 13's demo: an invoice in each state, made by the real services."""

from sqlalchemy import select

from api import demo
from models import Invoice, InvoiceProfile
from services.clock import FixedClock
from services.mail import mailer_for
from tests.conftest import DEFAULT_NOW


async def test_inv_demo_seed_shows_an_invoice_in_each_state(session, tmp_path) -> None:
    await demo.seed(session, clock=FixedClock(DEFAULT_NOW), mailer=mailer_for(None, tmp_path))
    await session.commit()
    states = set((await session.execute(select(Invoice.state))).scalars())
    assert states == {"REQUESTED", "ISSUED", "DELIVERED", "VOIDED", "REVERSED"}
    profile = (await session.execute(select(InvoiceProfile))).scalar_one()
    assert profile.certificate_sha256 is not None
    await demo.seed(session, clock=FixedClock(DEFAULT_NOW), mailer=mailer_for(None, tmp_path))  # idempotent
    # Five, and the corrected invoices that the VOIDED and the REVERSED one leave for next month.
    assert len((await session.execute(select(Invoice.id))).all()) == 7
