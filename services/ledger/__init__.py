"""The prepaid ledger (PRE-1, PRE-2, PRE-6).

One lock order for everything that touches an account's money (PostgreSQL row locks; SQLite
serialises writers with its database lock):

1. The bill whose state changes (confirm, dispute, resolve, the sweep's deemed acceptance):
   ``services.billing.bills`` locks it first.
2. The account row (``batch.locked(session, Account, id)``), before inserting or changing any
   row that refers to the account: top-ups, refunds, ledger entries, penalty accruals, the
   account's settled bills (their paid principal, accrual progress and shortfall are written
   only under this lock).
3. The account's own request rows: the top-up being confirmed (``topups.locked_top_up``), the
   refund being paid (``refunds.pay_refund``).

A path that needs a row of a later step never comes back for one of an earlier step.
Every lock is ``FOR NO KEY UPDATE`` (``batch.for_update``), never ``FOR UPDATE``, so inserting a
row that merely references a locked row (an audit record naming the account, an accrual
naming a settled bill: the foreign-key check takes ``FOR KEY SHARE``) never waits and cannot
close a cycle. The sweep's ``SKIP LOCKED`` selects never wait either.

Two top-ups used to deadlock because each inserted its top-up row (a key-share lock on the
account) before asking for the account lock, which each other's key-share lock then blocked.

Where one transaction takes several accounts (the sweep settling many bills), it takes them in
account order (``billing.repository.due_for_settlement``), and it writes no settled bill before
it has finished waiting for accounts: delivering a payment notice writes its bill's ``pay_by``,
so the sweep delivers those after settlement (``services/jobs.py``). Both cycles were found by
``tests/ledger/test_mixed_clients.py`` with runDueJobs, where the whole sweep is one transaction.
"""
