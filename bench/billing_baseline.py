"""The fair baseline of bench/billing.py: hand-written set-based SQL that writes what Accord's bill
run writes for the bench's data, in one transaction — the run's row, the usage claim marks, bills,
bill lines with their service period, email notices with their full text, ``bill.issued`` outbox
events with their NOTIFY, and the cleared holds.

Written for the bench's data: list prices only (no agreement prices, discounts, price-change
deliveries, continuing products or late usage — Accord's queries join those and find nothing)."""

import time
import uuid
from datetime import date, datetime

import asyncpg

from services.billing.pricing import month_bounds

CLAIM = """
UPDATE usage_records u SET bill_run_id = $1, updated_at = now()  -- as the ORM's onupdate stamps it
WHERE u.bill_run_id IS NULL AND u.occurred_at < $2
  AND u.product_code NOT IN (SELECT code FROM products WHERE continuing)
  AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.account_id = u.account_id AND b.period = $3)
"""
# Per account, product and the list price in force when the usage occurred; half-up to the fen.
LINES = """
CREATE TEMP TABLE run_lines ON COMMIT DROP AS
SELECT u.account_id, u.product_code, p.unit_price_fen, $2::date AS service_period,
       sum(u.quantity_micros)::bigint AS quantity_micros,
       (sum(u.quantity_micros)::bigint * p.unit_price_fen + 500000) / 1000000 AS amount_fen
FROM usage_records u
JOIN (
    SELECT product_code, unit_price_fen, effective_from,
           lead(effective_from) OVER (PARTITION BY product_code ORDER BY effective_from) AS effective_until
    FROM list_prices
) p ON p.product_code = u.product_code AND u.occurred_at >= p.effective_from
   AND (p.effective_until IS NULL OR u.occurred_at < p.effective_until)
WHERE u.bill_run_id = $1
GROUP BY u.account_id, u.product_code, p.unit_price_fen
HAVING sum(u.quantity_micros) > 0
"""
BILLS = """
CREATE TEMP TABLE run_bills ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, account_id, sum(amount_fen)::bigint AS total_fen FROM run_lines GROUP BY account_id
"""
INSERT_BILLS = """
INSERT INTO bills (id, created_at, updated_at, account_id, period, state, total_fen, issued_at, paid_fen)
SELECT id, $1, $1, account_id, $2, 'ISSUED', total_fen, $1, 0 FROM run_bills
ON CONFLICT (account_id, period) DO NOTHING
"""
INSERT_LINES = """
INSERT INTO bill_lines (id, created_at, updated_at, bill_id, kind, product_code, quantity_micros, unit_price_fen,
                        discount_fen, amount_fen, description, service_period)
SELECT gen_random_uuid(), $1, $1, b.id, 'USAGE', l.product_code, l.quantity_micros, l.unit_price_fen,
       0, l.amount_fen, NULL, l.service_period
FROM run_lines l JOIN run_bills b USING (account_id)
"""
# The same text as services/billing/issue.py's bill_email, line by line in (product, price) order.
INSERT_NOTICES = """
INSERT INTO notices (id, created_at, updated_at, account_id, channel, addressee, subject, body, sent_by,
                     email_to, purpose, bill_id, attempts)
SELECT gen_random_uuid(), $1, $1, a.id, 'ELECTRONIC', a.email, '账单 / Bill ' || $2, concat_ws(E'\n',
         a.name || ':',
         '您 ' || $2 || ' 的账单 / Your bill for ' || $2 || ':',
         t.rows,
         '合计 / Total: ' || (b.total_fen::numeric / 100)::numeric(20, 2) || ' CNY',
         '请在送达后 2 个工作日内确认或提出异议，逾期视为认可。',
         'Confirm or dispute it within 2 working days of delivery; after that it is deemed accepted.'),
       'system:notices', a.email, 'BILL', b.id, 0
FROM run_bills b
JOIN accounts a ON a.id = b.account_id
JOIN (
    SELECT account_id, string_agg(
        '  ' || product_code || ': ' || trim_scale(round(quantity_micros::numeric / 1000000, 6))
        || ' x ' || (unit_price_fen::numeric / 100)::numeric(20, 2) || ' - 0.00 = '
        || (amount_fen::numeric / 100)::numeric(20, 2) || ' CNY',
        E'\n' ORDER BY product_code COLLATE "C", unit_price_fen) AS rows
    FROM run_lines GROUP BY account_id
) t ON t.account_id = b.account_id
"""
INSERT_EVENTS = """
INSERT INTO account_events (id, created_at, updated_at, account_id, type, occurred_at, data)
SELECT gen_random_uuid(), $1, $1, account_id, 'bill.issued', $1, json_build_object(
    'bill', translate(encode(convert_to('Bill:' || id::text, 'UTF8'), 'base64'), '+/', '-_'),
    'period', $2::text,
    'total', ((total_fen::numeric / 100)::numeric(20, 2))::text)
FROM run_bills
"""
NOTIFY = "SELECT count(pg_notify('accord_events', account_id::text)) FROM run_bills"
HOLDS = "DELETE FROM bill_holds WHERE period = $1 AND account_id IN (SELECT account_id FROM bills WHERE period = $1)"


async def run(conn: asyncpg.Connection, period: date, now: datetime) -> tuple[int, float]:
    """(bills written, seconds), all in one transaction."""
    _, end = month_bounds(period)
    run_id = uuid.uuid4()
    month = period.strftime("%Y-%m")
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO bill_runs (id, created_at, updated_at, period, ran_at, ran_by, issued, held)"
            " VALUES ($1, $2, $2, $3, $2, 'bench:baseline', 0, 0)",
            *(run_id, now, period),
        )
        await conn.execute(CLAIM, run_id, end, period)
        await conn.execute(LINES, run_id, period)
        await conn.execute(BILLS)
        issued = int((await conn.execute(INSERT_BILLS, now, period)).split()[-1])
        await conn.execute(INSERT_LINES, now)
        await conn.execute(INSERT_NOTICES, now, month)
        await conn.execute(INSERT_EVENTS, now, period.isoformat())
        await conn.fetchval(NOTIFY)
        await conn.execute(HOLDS, period)
        await conn.execute("UPDATE bill_runs SET issued = $2, finished_at = $3 WHERE id = $1", *(run_id, issued, now))
    return issued, time.perf_counter() - started
