"""GraphQL for prices, notices and the prepaid ledger (NTC-2, PRE-1, PRE-2)."""
