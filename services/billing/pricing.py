"""BIL-2 / NTC-2: the unit price a usage row is billed at, joined in SQL so a whole month of
every account's usage is priced in one pass.

The account's supplementary-agreement price wins over the list price; NULL when neither
exists (BIL-2). A list price announced to the account by email (NTC-2) applies to it only from
its ``PriceChangeDelivery.applies_from`` (7 days after the email's delivery when that is later
than the change's date); before that, and for as long as the email is undelivered, the account
keeps the price it replaced. An account with no delivery row (it joined after the announcement,
or the price was never announced, as the first list) follows the list.
"""

from datetime import date, datetime

from sqlalchemy import Select, case, func, select

from models import AgreementPrice, ListPrice, PriceChangeDelivery
from services.clock import first_of_next_month, start_of_day


def month_bounds(period: date) -> tuple[datetime, datetime]:
    """T-1: the month's first and next month's first instant, Asia/Shanghai, as UTC."""
    return start_of_day(period), start_of_day(first_of_next_month(period))


def _agreement_ranges():
    """Each price with the instant the next one of its product and account replaced it: joining
    on a range prices every usage row in one pass, instead of a lookup per row."""
    partition = (AgreementPrice.account_id, AgreementPrice.product_code)
    until = func.lead(AgreementPrice.effective_from).over(
        partition_by=partition, order_by=AgreementPrice.effective_from
    )
    return select(
        AgreementPrice.account_id,
        AgreementPrice.product_code,
        AgreementPrice.unit_price_fen,
        AgreementPrice.effective_from.label("valid_from"),
        until.label("valid_until"),
    ).subquery()


def _list_ranges():
    """The same for the list, with the price each one replaced (what an account keeps until the
    change applies to it, NTC-2)."""
    window = {"partition_by": ListPrice.product_code, "order_by": ListPrice.effective_from}
    return select(
        ListPrice.id,
        ListPrice.product_code,
        ListPrice.unit_price_fen,
        ListPrice.effective_from.label("valid_from"),
        func.lead(ListPrice.effective_from).over(**window).label("valid_until"),
        func.lag(ListPrice.unit_price_fen).over(**window).label("previous_fen"),
    ).subquery()


def priced(query: Select, account_id, product, at) -> Select:
    """``query`` with a ``unit_price_fen`` column: the price in force for the account at ``at``."""
    agreement = _agreement_ranges()
    standard = _list_ranges()
    delivery = PriceChangeDelivery.__table__.alias("price_delivery")

    def in_force(ranges):
        return (
            (ranges.c.product_code == product)
            & (ranges.c.valid_from <= at)
            & (ranges.c.valid_until.is_(None) | (at < ranges.c.valid_until))
        )

    not_yet = delivery.c.id.is_not(None) & (delivery.c.applies_from.is_(None) | (at < delivery.c.applies_from))
    standard_fen = case((not_yet, standard.c.previous_fen), else_=standard.c.unit_price_fen)
    return (
        query.add_columns(func.coalesce(agreement.c.unit_price_fen, standard_fen).label("unit_price_fen"))
        .outerjoin(agreement, in_force(agreement) & (agreement.c.account_id == account_id))
        .outerjoin(standard, in_force(standard))
        .outerjoin(delivery, (delivery.c.list_price_id == standard.c.id) & (delivery.c.account_id == account_id))
    )
