"""GraphQL for the prepaid ledger: top-ups, online payments, refunds and ledger entries (PRE-1 to PRE-6)."""
